# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import hashlib
import re
import unicodedata
from collections import defaultdict
from datetime import datetime

import pytz

from odoo import api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.osv.expression import AND
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from ..utils import coding
from ..utils.codes import FORMULA_PREFIXES, INVISIBLE_CATEGORIES, code_error

# Which records each kind of coding rule codes, and where their code goes.
CODING_TARGETS = {
    "partner": "res.partner",
    "product": "product.template",
}
PART_KINDS = [
    ("text", "Fixed Text"),
    ("separator", "Separator"),
    ("scheme", "Category of a Scheme"),
    ("product_category", "Product Category Code"),
    ("value_tier", "Value Tier Code"),
    ("year", "Year"),
    ("year_month", "Year and Month"),
    ("sequence", "Sequence Number"),
]
# Stand-ins of the date parts in a sequence key: a rule that does not restart
# with them numbers on across years and months.
YEAR_MARK = "\x00Y"
MONTH_MARK = "\x00M"
SEQUENCE_MARK = "\x00N"
# Key of the cursor's cache holding the ids of the rules being written.
RULES_BEING_WRITTEN = "customer_product_classification.coding_rules_being_written"
# Codes written per UPDATE statement.
WRITE_BATCH = 10000


class ClassificationCodingRule(models.Model):
    """How the codes of customers or products are built from their classes.

    The rules of a kind are tried in sequence; the first whose domain takes a
    record codes it. A code is its parts put end to end; the sequence part
    numbers the records that share everything else (the prefix), with one
    PostgreSQL sequence per kind and prefix, created when first needed; every
    code numbered is claimed once for its kind (classification.code.claim), so
    rules sharing a prefix never give one code twice.
    """

    _name = "classification.coding.rule"
    _description = "Coding Rule"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(
        default=10, help="Rules are tried in this order; the first that applies codes."
    )
    applies_to = fields.Selection(
        [("partner", "Customers"), ("product", "Products")],
        required=True,
        default="partner",
    )
    company_id = fields.Many2one(
        "res.company",
        index=True,
        default=lambda self: self.env.company,
        help="Leave empty to share the rule between companies. A company's rule "
        "codes the records of that company and the shared ones.",
    )
    model_name = fields.Char(compute="_compute_model_name")
    domain = fields.Char(
        default="[]",
        help="Which records this rule codes; empty codes every record of its kind.",
    )
    auto_assign = fields.Boolean(
        string="Code New Records",
        help="Records created without a code get one from this rule at once.",
    )
    restart = fields.Selection(
        [("never", "Never"), ("yearly", "Every Year"), ("monthly", "Every Month")],
        string="Restart Numbering",
        required=True,
        default="never",
        help="Numbering restarts at 1 with each new year or month. The code must "
        "then show the year (or the month): otherwise it would repeat last "
        "year's codes.",
    )
    padding = fields.Integer(
        default=4, required=True, help="Digits of the sequence number, zero-padded."
    )
    part_ids = fields.One2many(
        "classification.coding.part", "rule_id", string="Parts", copy=True
    )
    example = fields.Char(compute="_compute_example", help="A code this rule makes.")
    sequence_ids = fields.Many2many(
        "ir.sequence",
        compute="_compute_sequence_ids",
        string="Sequences",
        help="One numbering per prefix, created when first needed and shared "
        "by every rule of customers (or of products) making that prefix.",
    )

    _sql_constraints = [
        (
            "padding_range",
            "CHECK (padding BETWEEN 1 AND 12)",
            "The sequence of a coding rule has 1 to 12 digits.",
        ),
    ]

    @api.depends(
        "part_ids.kind",
        "part_ids.value",
        "part_ids.scheme_id",
        "part_ids.level",
        "part_ids.full_path",
        "padding",
    )
    def _compute_example(self):
        samples = {
            "scheme": "CAT",
            "product_category": "PCAT",
            "value_tier": "A",
            "year": "2026",
            "year_month": "202606",
        }
        for rule in self:
            pieces = []
            for part in rule.part_ids:
                if part.kind in ("text", "separator"):
                    pieces.append(part.value or "")
                elif part.kind == "sequence":
                    pieces.append("1".zfill(max(rule.padding, 1)))
                elif part.kind == "scheme" and part.scheme_id:
                    category = part.scheme_id.sudo().category_ids[:1]
                    pieces.append(category.code or samples["scheme"])
                else:
                    pieces.append(samples.get(part.kind, ""))
            rule.example = "".join(pieces)

    @api.depends("applies_to")
    def _compute_model_name(self):
        for rule in self:
            rule.model_name = CODING_TARGETS.get(rule.applies_to)

    def _compute_sequence_ids(self):
        # The sequences are shared by the rules of a kind (see _cpc_sequence).
        Sequence = self.env["ir.sequence"].sudo()
        for rule in self:
            rule.sequence_ids = (
                Sequence.search([("code", "=like", f"cpc.coding.{rule.applies_to}.%")])
                if rule.applies_to
                else Sequence
            )

    @api.constrains("part_ids", "restart", "applies_to", "padding")
    def _check_parts(self):
        for rule in self:
            kinds = rule.part_ids.mapped("kind")
            rule._check_one_sequence(kinds)
            if rule.restart == "yearly" and not {"year", "year_month"} & set(kinds):
                raise ValidationError(
                    self.env._(
                        "The coding rule %(rule)s restarts every year: its code needs "
                        "a year part, or the new year's codes would repeat the old "
                        "ones.",
                        rule=rule.name,
                    )
                )
            if rule.restart == "monthly" and "year_month" not in kinds:
                raise ValidationError(
                    self.env._(
                        "The coding rule %(rule)s restarts every month: its code "
                        "needs a year and month part.",
                        rule=rule.name,
                    )
                )
            for part in rule.part_ids:
                part._check_for_rule(rule)
            rule._check_code_ends()

    def _check_one_sequence(self, kinds):
        self.ensure_one()
        if kinds.count("sequence") != 1:
            raise ValidationError(
                self.env._(
                    "The coding rule %(rule)s needs exactly one sequence part: "
                    "without a number, two records would get one code.",
                    rule=self.name,
                )
            )

    def _check_code_ends(self):
        """A code must not read as a spreadsheet formula, nor start or end
        with a space: the fixed texts at its ends decide it."""
        self.ensure_one()
        parts = self.part_ids.sorted(lambda part: (part.sequence, part.id))
        first, last = parts[:1], parts[-1:]
        if first.kind in ("text", "separator") and (first.value or "").startswith(
            FORMULA_PREFIXES
        ):
            raise ValidationError(
                self.env._(
                    "The codes of the coding rule %(rule)s would start with "
                    "%(text)s: spreadsheets read a code starting with %(prefixes)s "
                    "as a formula. Start the code with another part.",
                    rule=self.name,
                    text=first.value,
                    prefixes=" ".join(FORMULA_PREFIXES),
                )
            )
        for part, text in (
            (first, (first.value or "").lstrip()),
            (last, (last.value or "").rstrip()),
        ):
            if part.kind in ("text", "separator") and text != part.value:
                raise ValidationError(
                    self.env._(
                        "The codes of the coding rule %(rule)s would start or end "
                        "with a space: remove it from the text %(text)s.",
                        rule=self.name,
                        text=repr(part.value),
                    )
                )

    @api.constrains("domain", "applies_to")
    def _check_domain(self):
        for rule in self:
            try:
                rule._domain_list()
                self.env[rule._target_model()].search_count(
                    rule._domain_list(), limit=1
                )
            except Exception as error:  # any bad domain is refused, whatever it breaks
                raise ValidationError(
                    self.env._(
                        "The domain of the coding rule %(rule)s is not valid: "
                        "%(error)s",
                        rule=rule.name,
                        error=error,
                    )
                ) from error

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self.env.registry.clear_cache()
        return rules

    def write(self, vals):
        # The parts a rule's form writes are checked together, by the rule's
        # own constraint at the end of its write: one by one, replacing the
        # number part (a deletion and a creation) would fail either way. Kept
        # on the cursor, where no client can set it (a context key it could).
        writing = self.env.cr.cache.setdefault(RULES_BEING_WRITTEN, set())
        added = set(self.ids) - writing
        writing |= added
        try:
            res = super().write(vals)
        finally:
            writing -= added
        self.env.registry.clear_cache()
        return res

    def _cpc_being_written(self):
        """The rules whose own write is checking their parts."""
        return self.filtered(
            lambda rule: rule.id in self.env.cr.cache.get(RULES_BEING_WRITTEN, ())
        )

    def unlink(self):
        # The sequences stay: they are the prefix's, whichever rule numbers it.
        res = super().unlink()
        self.env.registry.clear_cache()
        return res

    def _target_model(self):
        self.ensure_one()
        return CODING_TARGETS[self.applies_to]

    def _domain_list(self):
        self.ensure_one()
        return safe_eval(self.domain or "[]") or []

    @api.model
    @tools.ormcache("model_name")
    def _auto_rule_companies(self, model_name):
        """The companies (False: shared) with active auto-coding rules for a
        model: record creation asks this at each create, so it is cached."""
        kinds = [kind for kind, name in CODING_TARGETS.items() if name == model_name]
        rules = (
            self.sudo()
            .with_context(active_test=True)
            .search([("applies_to", "in", kinds), ("auto_assign", "=", True)])
        )
        return frozenset(rules.mapped(lambda rule: rule.company_id.id))

    # ------------------------------------------------------------------
    # Building codes
    # ------------------------------------------------------------------
    @api.model
    def _cpc_code(self, records, recode=False, preview=False, auto_only=False):
        """Code ``records`` (carriers of their kind) by the rules.

        Records that already have a code are left alone unless ``recode``. A
        preview allocates no number and writes nothing: it predicts the numbers
        from the sequences' current values. Returns one dict per record:
        ``record``, ``old``, ``new`` (False when skipped) and ``reason``.

        Set-based: the values the parts read come in a few queries, the codes
        are built in plain Python, numbered in bulk and written with one
        UPDATE per batch.
        """
        Target = records.sudo().with_context(active_test=False)
        if not records:
            return []
        coder = records._cpc_coder()
        ids = records.ids
        facts = coder.facts(ids)
        todo = ids if recode else [rid for rid in ids if not facts[rid]["code"]]
        # Every rule takes part: a record a manual rule places first is not
        # given a code by a later automatic one (auto_only).
        rules = self.sudo().search([("applies_to", "=", coder.kind)])
        results = {}
        plans = self._cpc_plan(Target, todo, rules, coder, facts, results)
        if auto_only:
            plans = {key: items for key, items in plans.items() if key[0].auto_assign}
            results = {}
        self._cpc_number(plans, coder, results, preview)
        lines = [
            {
                "record": Target.browse(rid),
                "old": facts[rid]["code"] or False,
                "new": results[rid][0],
                "reason": results[rid][1],
            }
            for rid in ids
            if rid in results
        ]
        if not preview:
            history = coder.write_codes(
                {line["record"].id: line["new"] for line in lines if line["new"]},
                facts,
            )
            if history:
                self.env["classification.code.history"].sudo().create(
                    [dict(row, user_id=self.env.uid) for row in history]
                )
        return lines

    @api.model
    def _cpc_plan(self, Target, ids, rules, coder, facts, results):
        """Give each record its rule and the prefix its parts make.

        Returns {(rule, sequence key): [(record id, code template), ...]}; the
        records no rule takes, or whose parts lack a value, are put in
        ``results`` with the reason.
        """
        plans = defaultdict(list)
        left = list(ids)
        env_company = self.env.company.id
        for rule in rules:
            if not left:
                break
            rule_company = rule.company_id.id
            scoped = [
                rid
                for rid in left
                if not rule_company
                or (facts[rid]["company_id"] or env_company) == rule_company
            ]
            if not scoped:
                continue
            domain = rule._domain_list()
            taken = (
                set(Target.search(AND([[("id", "in", scoped)], domain])).ids)
                if domain
                else set(scoped)
            )
            if not taken:
                continue
            left = [rid for rid in left if rid not in taken]
            rule._cpc_prefixes(
                [rid for rid in scoped if rid in taken], coder, facts, plans, results
            )
        reason = self.env._("No coding rule applies to this record.")
        for rid in left:
            results[rid] = (False, reason)
        return plans

    def _cpc_prefixes(self, ids, coder, facts, plans, results):
        self.ensure_one()
        Company = self.env["res.company"]
        env_company = self.env.company.id
        companies = {facts[rid]["company_id"] or env_company for rid in ids}
        dates = {cid: self._cpc_today(Company.browse(cid)) for cid in companies}
        # Per part: (text or None, key or None, {record id: (text, missing)}).
        columns = []
        for part in self.part_ids:
            if part.kind in ("text", "separator"):
                columns.append((part.value or "", part.value or "", None))
            elif part.kind == "sequence":
                columns.append((SEQUENCE_MARK, SEQUENCE_MARK, None))
            elif part.kind in ("year", "year_month"):
                columns.append((part.kind, None, None))
            else:
                columns.append((None, None, part._cpc_values(ids, coder, facts)))
        for rid in ids:
            today = dates[facts[rid]["company_id"] or env_company]
            pieces, key_pieces, missing = [], [], None
            for text, key, values in columns:
                if values is not None:
                    text, missing = values[rid]
                    key = text
                elif text == "year":
                    text = f"{today.year:04d}"
                    key = text if self.restart in ("yearly", "monthly") else YEAR_MARK
                elif text == "year_month":
                    text = f"{today.year:04d}{today.month:02d}"
                    if self.restart == "monthly":
                        key = text
                    elif self.restart == "yearly":
                        key = f"{today.year:04d}{MONTH_MARK}"
                    else:
                        key = YEAR_MARK + MONTH_MARK
                if missing:
                    break
                pieces.append(text)
                key_pieces.append(key)
            if missing:
                results[rid] = (False, missing)
                continue
            plans[(self, "".join(key_pieces))].append((rid, "".join(pieces)))

    @api.model
    def _cpc_today(self, company):
        """The assignment date in the company's time zone."""
        tz = company.partner_id.tz or self.env.user.tz or "UTC"
        return datetime.now(pytz.timezone(tz)).date()

    @api.model
    def _cpc_number(self, plans, coder, results, preview):
        """Number every planned code, leaving out codes already in use."""
        for (rule, key), items in plans.items():
            sequence_id = rule._cpc_sequence(key, create=not preview)
            numbers = _Numbers(self.env, sequence_id, preview)
            if preview and not sequence_id:
                numbers.next_predicted = rule._cpc_highest_claimed(key) + 1
            pending = items
            if any(SEQUENCE_MARK not in template for __, template in pending):
                # Without a number every retry would give the same codes again.
                raise ValidationError(
                    self.env._(
                        "The coding rule %(rule)s has no sequence part: it cannot "
                        "give distinct codes.",
                        rule=rule.name,
                    )
                )
            # Codes in use are skipped; each retry takes twice as many numbers
            # as the last, so a prefix whose numbers are mostly taken costs a
            # few rounds, not one per code in use.
            batch = len(pending)
            while pending:
                values = numbers.take(batch)
                codes = [
                    template.replace(SEQUENCE_MARK, str(number).zfill(rule.padding))
                    for template in {template for __, template in pending}
                    for number in values
                ]
                used = coder.codes_in_use(codes)
                numbers_left = iter(values)
                chosen, retry = [], []
                for record_id, template in pending:
                    code = next(
                        (
                            candidate
                            for candidate in (
                                template.replace(
                                    SEQUENCE_MARK, str(number).zfill(rule.padding)
                                )
                                for number in numbers_left
                            )
                            if candidate not in used
                        ),
                        None,
                    )
                    if code is None:
                        retry.append((record_id, template))
                    else:
                        chosen.append((record_id, template, code))
                claimed = (
                    {code for __, __, code in chosen}
                    if preview
                    else coding.claim_codes(
                        self.env.cr, coder.kind, [code for __, __, code in chosen]
                    )
                )
                for record_id, template, code in chosen:
                    if code in claimed:
                        results[record_id] = (code, False)
                    else:
                        retry.append((record_id, template))
                pending = retry
                batch = max(len(pending), batch * 2)

    def _cpc_sequence(self, key, create=True):
        """The id of the sequence of this rule's kind for one prefix, or None.

        One sequence per kind and prefix, shared by every rule making that
        prefix and kept when a rule is deleted: a copied, re-created or second
        company's rule numbers on instead of walking again through every code
        in use. A new sequence starts after the highest number claimed with
        its prefix (codes given by earlier rules or versions).

        Numbers come from a PostgreSQL sequence (``standard``): no lock, two
        transactions never get the same number, and numbers taken are never
        given back (a rolled-back transaction only leaves a gap). Creating the
        sequence of a prefix is claimed first: of two transactions doing it at
        once, the second fails with a serialization error, which Odoo retries,
        and then finds the first one's sequence.
        """
        self.ensure_one()
        digest = hashlib.sha1(key.encode()).hexdigest()[:16]
        code = f"cpc.coding.{self.applies_to}.{digest}"
        Sequence = self.env["ir.sequence"].sudo()
        found = Sequence.search([("code", "=", code)], limit=1)
        if found or not create:
            return found.id or None
        # Control characters are never in a code: this claim is the prefix's.
        coding.claim_codes(self.env.cr, self.applies_to, [f"\x1fsequence {code}"])
        visible = key.replace(SEQUENCE_MARK, "#").replace(YEAR_MARK, "YYYY")
        visible = visible.replace(MONTH_MARK, "MM")
        label = dict(self._fields["applies_to"]._description_selection(self.env))
        return Sequence.create(
            {
                "name": f"{label[self.applies_to]}: {visible}",
                "code": code,
                "implementation": "standard",
                "padding": self.padding,
                "number_next": self._cpc_highest_claimed(key) + 1,
                "number_increment": 1,
                "company_id": False,
            }
        ).id

    def _cpc_highest_claimed(self, key):
        """The highest number claimed for this rule's kind with the prefix
        ``key`` (0 when none), in one query over the claims.

        Numbers of ten digits or more are left out: no rule counts that far,
        and a Reference typed with such a number would push the sequence past
        what ``ir.sequence`` can hold, failing every coding of the prefix."""
        self.ensure_one()
        pattern = "".join(
            {
                SEQUENCE_MARK: "([0-9]{1,9})",
                YEAR_MARK: "[0-9]{4}",
                MONTH_MARK: "[0-9]{2}",
            }.get(piece, re.escape(piece.lower()))
            for piece in re.split(
                f"({re.escape(SEQUENCE_MARK)}|{re.escape(YEAR_MARK)}|"
                f"{re.escape(MONTH_MARK)})",
                key,
            )
            if piece
        )
        self.env.cr.execute(
            SQL(
                "SELECT max(substring(code FROM %(pattern)s)::numeric) "
                "FROM classification_code_claim "
                "WHERE kind = %(kind)s AND code ~ %(pattern)s",
                pattern=f"^{pattern}$",
                kind=self.applies_to,
            )
        )
        highest = self.env.cr.fetchone()[0]
        return int(highest or 0)


class _Numbers:
    """Numbers of a sequence: allocated in bulk, or predicted for a preview."""

    def __init__(self, env, sequence_id, preview):
        self.env = env
        self.sequence_id = sequence_id
        self.preview = preview
        self.next_predicted = None

    def take(self, count):
        if not self.preview:
            self.env.cr.execute(
                SQL(
                    "SELECT nextval(%s) FROM generate_series(1, %s)",
                    f"ir_sequence_{self.sequence_id:03d}",
                    count,
                )
            )
            return [row[0] for row in self.env.cr.fetchall()]
        if self.next_predicted is None:
            sequence = self.env["ir.sequence"].sudo().browse(self.sequence_id)
            self.next_predicted = sequence.number_next_actual if self.sequence_id else 1
        first = self.next_predicted
        self.next_predicted += count
        return list(range(first, first + count))


class ClassificationCodingPart(models.Model):
    _name = "classification.coding.part"
    _description = "Coding Rule Part"
    _order = "sequence, id"

    rule_id = fields.Many2one(
        "classification.coding.rule", required=True, index=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="rule_id.company_id", store=True)
    applies_to = fields.Selection(related="rule_id.applies_to")
    sequence = fields.Integer(default=10)
    kind = fields.Selection(PART_KINDS, required=True, default="text")
    value = fields.Char(
        string="Text", help="The fixed text or the separator the code shows."
    )
    scheme_id = fields.Many2one(
        "classification.scheme",
        ondelete="restrict",
        domain="[('applies_to', '=', applies_to), ('multiple', '=', False)]",
        help="The code of the record's category in this scheme.",
    )
    level = fields.Integer(
        help="0: the record's own category. 1, 2...: its ancestor at that level of "
        "the hierarchy (1 is the top); a record whose category is not that deep "
        "gets no code.",
    )
    full_path = fields.Boolean(
        string="With Parent Codes",
        help="The codes from the top category down (CN-EAST) rather than the "
        "category's own code (EAST).",
    )

    @api.constrains(
        "kind", "value", "scheme_id", "level", "full_path", "rule_id", "sequence"
    )
    def _check_rule_still_valid(self):
        # A part written on its own (RPC) must leave its rule as valid as the
        # rule's form does.
        rules = self.rule_id
        (rules - rules._cpc_being_written())._check_parts()

    def unlink(self):
        # Checked before anything is deleted: a rule must keep its number.
        rules = self.rule_id
        for rule in rules - rules._cpc_being_written():
            rule._check_one_sequence((rule.part_ids - self).mapped("kind"))
        return super().unlink()

    def _check_for_rule(self, rule):
        if self.kind in ("text", "separator"):
            error = self.value and code_error(self.env, self.value, rule.name)
            if (
                self.kind == "separator"
                and error
                and self.value.startswith(FORMULA_PREFIXES)
                and not any(
                    unicodedata.category(char) in INVISIBLE_CATEGORIES
                    for char in self.value
                )
            ):
                # A separator between parts may be "-"; only at the start of
                # the code does it make a formula (_check_code_ends).
                error = None
            if not self.value or error:
                raise ValidationError(
                    error
                    or self.env._(
                        "A text or separator part of the coding rule %(rule)s is "
                        "empty.",
                        rule=rule.name,
                    )
                )
        if self.kind == "scheme":
            scheme = self.scheme_id.sudo()
            if not scheme or scheme.applies_to != rule.applies_to or scheme.multiple:
                raise ValidationError(
                    self.env._(
                        "A scheme part of the coding rule %(rule)s needs a one-value "
                        "scheme of the same records.",
                        rule=rule.name,
                    )
                )
            if scheme.company_id and scheme.company_id != rule.company_id:
                raise ValidationError(
                    self.env._(
                        "The coding rule %(rule)s cannot use %(scheme)s, a scheme of "
                        "%(company)s only.",
                        rule=rule.name,
                        scheme=scheme.name,
                        company=scheme.company_id.name,
                    )
                )
            if self.level < 0:
                raise ValidationError(
                    self.env._(
                        "The level of a scheme part of %(rule)s is 0 or more.",
                        rule=rule.name,
                    )
                )
        if self.kind == "value_tier" and rule.applies_to != "partner":
            raise ValidationError(
                self.env._(
                    "The coding rule %(rule)s codes products: value tiers are "
                    "customers' only.",
                    rule=rule.name,
                )
            )
        if self.kind == "product_category" and rule.applies_to != "product":
            raise ValidationError(
                self.env._(
                    "The coding rule %(rule)s codes customers: product categories "
                    "are products' only.",
                    rule=rule.name,
                )
            )

    def _cpc_values(self, ids, coder, facts):
        """{record id: (text, why it is missing)} of this part, in bulk."""
        if self.kind == "scheme":
            return self._cpc_scheme_values(ids, coder)
        if self.kind == "product_category":
            return self._cpc_product_category_values(ids, coder)
        if self.kind == "value_tier":
            return self._cpc_tier_values(ids, coder, facts)
        return dict.fromkeys(ids, ("", None))

    def _cpc_scheme_values(self, ids, coder):
        scheme = self.scheme_id.sudo()
        by_record = coder.column_values(ids, scheme.field_name)
        Category = self.env["classification.category"].sudo()
        texts = {}
        for own in Category.browse(set(by_record.values()) - {None}):
            category = own
            if self.level:
                path = [int(i) for i in own.parent_path.split("/") if i]
                if len(path) < self.level:
                    texts[own.id] = (
                        "",
                        self.env._(
                            "The category %(category)s of the scheme %(scheme)s has "
                            "no level %(level)s.",
                            category=own.complete_code,
                            scheme=scheme.name,
                            level=self.level,
                        ),
                    )
                    continue
                category = Category.browse(path[self.level - 1])
            texts[own.id] = (
                category.complete_code if self.full_path else category.code,
                None,
            )
        missing = (
            "",
            self.env._("No category in the scheme %(scheme)s.", scheme=scheme.name),
        )
        return {rid: texts.get(by_record.get(rid), missing) for rid in ids}

    def _cpc_product_category_values(self, ids, coder):
        by_record = coder.column_values(ids, "categ_id")
        texts = {}
        for category in (
            self.env["product.category"].sudo().browse(set(by_record.values()) - {None})
        ):
            texts[category.id] = (
                (category.code, None)
                if category.code
                else (
                    "",
                    self.env._(
                        "The product category %(category)s has no code.",
                        category=category.display_name,
                    ),
                )
            )
        return {rid: texts.get(by_record.get(rid), ("", "")) for rid in ids}

    def _cpc_tier_values(self, ids, coder, facts):
        # Value tiers are per company (company-dependent): read in each.
        env_company = self.env.company.id
        by_company = defaultdict(list)
        for rid in ids:
            by_company[facts[rid]["company_id"] or env_company].append(rid)
        result = {}
        Partner = self.env["res.partner"].sudo()
        for company_id, company_ids in by_company.items():
            company = self.env["res.company"].browse(company_id)
            missing = (
                "",
                self.env._("No value tier in %(company)s yet.", company=company.name),
            )
            for partner in Partner.with_company(company).browse(company_ids):
                tier = partner.value_tier_id
                result[partner.id] = (tier.code, None) if tier else missing
        return result
