# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import re
from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.osv import expression
from odoo.tools import SQL

from ..utils import coding
from ..utils.codes import code_error, duplicate_codes, trim_code

# Variants of a template with several take its code and this suffix, numbered
# in the order they were created (archived ones keep theirs): ABC-0001-01.
VARIANT_SUFFIX = "-{:02d}"
# The base of a variant's Internal Reference (ABC-0001 of ABC-0001-01),
# lower-cased, as its expression index holds it.
VARIANT_BASE_SQL = SQL("lower(regexp_replace(default_code, '-[0-9]+$', ''))")


class ProductCoder:
    """Where the code of a product lives: the template's Product Code, and
    the Internal Reference of its variants (the code itself for a single
    variant, the code and a suffix for each of several, see VARIANT_SUFFIX);
    Odoo shows a single variant's reference on the template."""

    kind = "product"
    model_name = "product.template"

    def __init__(self, env):
        self.env = env

    def facts(self, ids):
        """{id: {"code", "company_id"}}: a template's code is its Product Code,
        else the Internal Reference of its first variant that has one (codes
        given before the addon count: they are not replaced)."""
        self.env.flush_all()
        self.env.cr.execute(
            """
            SELECT t.id, COALESCE(NULLIF(t.cpc_code, ''), NULLIF(t.default_code, ''), (
                       SELECT p.default_code FROM product_product p
                        WHERE p.product_tmpl_id = t.id AND p.default_code <> ''
                        ORDER BY p.id LIMIT 1)),
                   t.company_id
              FROM product_template t WHERE t.id = ANY(%s)
            """,
            [list(ids)],
        )
        return {
            rid: {"code": code, "company_id": company_id}
            for rid, code, company_id in self.env.cr.fetchall()
        }

    def column_values(self, ids, column):
        self.env["product.template"].flush_model([column])
        return coding.column_values(self.env.cr, "product_template", column, ids)

    def codes_in_use(self, codes):
        used = coding.codes_in_use(self.env.cr, "product_template", "cpc_code", codes)
        used |= coding.codes_in_use(
            self.env.cr, "product_product", "default_code", codes
        )
        # A base whose variant codes are taken is taken (over the index of
        # bases, see ProductProduct.init; without regard to case).
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT %(base)s FROM product_product "
                "WHERE default_code ~ '-[0-9]+$' AND %(base)s = ANY(%(codes)s)",
                base=VARIANT_BASE_SQL,
                codes=list({code.lower() for code in codes}),
            )
        )
        bases = {row[0] for row in self.env.cr.fetchall()}
        return used | {code for code in codes if code.lower() in bases}

    def write_codes(self, mapping, facts):
        if not mapping:
            return []
        self.env.flush_all()
        cr = self.env.cr
        cr.execute(
            SQL(
                "SELECT product_tmpl_id, id, default_code, active FROM product_product "
                "WHERE product_tmpl_id = ANY(%s) ORDER BY product_tmpl_id, id",
                list(mapping),
            )
        )
        variants = defaultdict(list)
        for template_id, variant_id, old, active in cr.fetchall():
            variants[template_id].append((variant_id, old, active))
        variant_codes, template_codes, history = {}, {}, []
        Template = self.env["product.template"]
        for template_id, code in mapping.items():
            rows = variants[template_id]
            company_id = facts[template_id]["company_id"]
            if facts[template_id]["code"]:
                history.append(
                    {
                        "res_model": "product.template",
                        "res_id": template_id,
                        "old_code": facts[template_id]["code"],
                        "new_code": code,
                        "company_id": company_id,
                    }
                )
            for index, (variant_id, old, __) in enumerate(rows, start=1):
                new = code if len(rows) == 1 else code + VARIANT_SUFFIX.format(index)
                variant_codes[variant_id] = new
                if old and old != new:
                    history.append(
                        {
                            "res_model": "product.product",
                            "res_id": variant_id,
                            "old_code": old,
                            "new_code": new,
                            "company_id": company_id,
                        }
                    )
            active = [row for row in rows if row[2]]
            # Odoo shows the reference of a template's only active variant.
            template_codes[template_id] = (
                variant_codes[active[0][0]] if len(active) == 1 else None
            )
        uid = self.env.uid
        # Printed on labels: a variant's code is never given to another, even
        # once the variant is deleted (see _cpc_code_new_variants).
        coding.claim_codes(cr, self.kind, list(variant_codes.values()))
        coding.update_values(cr, "product_template", "cpc_code", mapping, uid)
        coding.update_values(cr, "product_product", "default_code", variant_codes, uid)
        coding.update_values(
            cr,
            "product_template",
            "default_code",
            {tid: code for tid, code in template_codes.items() if code},
            uid,
        )
        Template.browse(list(mapping)).invalidate_recordset(
            ["cpc_code", "default_code", "write_date", "write_uid"]
        )
        self.env["product.product"].browse(list(variant_codes)).invalidate_recordset(
            ["default_code", "write_date", "write_uid"]
        )
        return history


# Where a product's code may already be: a variant's Internal Reference, a
# multi-variant template's Product Code (its variants' base), or a code a
# variant or template had before it was re-coded. A variant's own template is
# "owner": its code and former codes are the variant's own.
VARIANT_CODE_SOURCES = [
    coding.CodeSource(
        "product_product", "default_code", "cpc_company_id", "product.product"
    ),
    coding.CodeSource(
        "product_template", "cpc_code", "company_id", "product.template", mine="owner"
    ),
    coding.CodeSource.history("product.product"),
    coding.CodeSource.history("product.template", mine="owner"),
]
TEMPLATE_CODE_SOURCES = [
    coding.CodeSource("product_template", "cpc_code", "company_id", "product.template"),
    coding.CodeSource(
        "product_product",
        "default_code",
        "cpc_company_id",
        "product.template",
        key="product_tmpl_id",
    ),
    coding.CodeSource.history("product.template"),
]


def _flush_codes(env):
    """Flush what the checks of product codes read (not the whole cache: a
    check runs at each typed code)."""
    env["product.template"].flush_model(["cpc_code", "company_id"])
    env["product.product"].flush_model(
        ["default_code", "cpc_company_id", "product_tmpl_id"]
    )
    env["classification.code.history"].flush_model()


class ProductCategory(models.Model):
    _inherit = "product.category"

    code = fields.Char(
        help="Short code of the category, for product codes built by coding rules; "
        "unique without regard to case.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([trim_code(vals) for vals in vals_list])

    def write(self, vals):
        return super().write(trim_code(vals))

    @api.constrains("code")
    def _check_code(self):
        coded = self.filtered("code")
        for category in coded:
            error = code_error(self.env, category.code, category.display_name)
            if error:
                raise ValidationError(error)
        if not coded:
            return
        rows = [
            (False, code, count)
            for code, count in self.sudo()._read_group(
                [("code", "!=", False)], ["code"], ["__count"]
            )
        ]  # product categories are shared by every company
        clashes = duplicate_codes(rows)
        for category in coded:
            if (False, category.code.casefold()) in clashes:
                raise ValidationError(
                    self.env._(
                        "Another product category already has the code %(code)s "
                        "(case is ignored): choose another code for %(category)s.",
                        code=category.code,
                        category=category.display_name,
                    )
                )


class ProductTemplate(models.Model):
    _inherit = "product.template"

    cpc_code = fields.Char(
        string="Product Code",
        copy=False,
        readonly=True,
        index=True,
        help="The code a coding rule gave this product; its variants' Internal "
        "References are built from it.",
    )
    default_code = fields.Char(copy=False)
    cpc_former_code = fields.Char(
        string="Former Code",
        compute="_compute_cpc_former_code",
        search="_search_cpc_former_code",
        help="A code this product or one of its variants had before it was "
        "re-coded. A search finds the former codes that start with the text typed "
        "(EAST-00 finds EAST-0042).",
    )

    def _compute_cpc_former_code(self):
        History = self.env["classification.code.history"].sudo()
        variants = self.with_context(active_test=False).product_variant_ids
        lines = History.search_fetch(
            [
                "|",
                "&",
                ("res_model", "=", self._name),
                ("res_id", "in", self.ids),
                "&",
                ("res_model", "=", "product.product"),
                ("res_id", "in", variants.ids),
            ],
            ["res_model", "res_id", "old_code"],
        )
        template_of = {variant.id: variant.product_tmpl_id.id for variant in variants}
        by_template = {}
        # The template's own former code first, else one of its variants'.
        for line in lines.sorted(lambda line: line.res_model != self._name):
            template_id = (
                line.res_id
                if line.res_model == self._name
                else template_of[line.res_id]
            )
            by_template.setdefault(template_id, line.old_code)
        for template in self:
            template.cpc_former_code = by_template.get(template.id, False)

    def _search_cpc_former_code(self, operator, value):
        History = self.env["classification.code.history"]
        variants = History._cpc_former_code_sql("product.product", operator, value)
        if variants is None:
            return expression.FALSE_DOMAIN
        return expression.OR(
            [
                History._cpc_former_code_domain(self._name, operator, value),
                [
                    (
                        "id",
                        "in",
                        SQL(
                            "(SELECT product_tmpl_id FROM product_product "
                            "WHERE id IN %s)",
                            variants,
                        ),
                    )
                ],
            ]
        )

    def _cpc_refuse_code_write(self, vals):
        """The Product Code is the coding rules' (written in SQL, see
        ProductCoder): over the ORM only trusted server code (sudo) sets it,
        and it is checked as a typed code would be."""
        if "cpc_code" not in vals:
            return vals
        # Clients sending every column send an empty or unchanged code: only a
        # real change is the rules'.
        current = set(self.mapped("cpc_code")) if self else {False}
        unchanged = current == {vals["cpc_code"] or False}
        if not self.env.su and unchanged:
            return {key: value for key, value in vals.items() if key != "cpc_code"}
        if not self.env.su:
            raise AccessError(
                self.env._(
                    "The Product Code of %(product)s is given by the coding rules: "
                    "use Assign Codes to give or change it.",
                    product=", ".join(self[:3].mapped("display_name"))
                    or vals.get("name", ""),
                )
            )
        return dict(
            vals,
            cpc_code=coding.clean_code(
                self.env, vals["cpc_code"], vals.get("name", "")
            ),
        )

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [self._cpc_refuse_code_write(vals) for vals in vals_list]
        if any(vals.get("cpc_code") for vals in vals_list):
            self._cpc_check_template_codes_free(
                [
                    (None, vals.get("company_id"), vals.get("cpc_code"))
                    for vals in vals_list
                ]
            )
        templates = super().create(vals_list)
        if self.env["classification.coding.rule"]._auto_rule_companies(self._name):
            uncoded = templates.filtered(
                lambda t: (
                    not t.default_code
                    and not t.cpc_code
                    and not t.product_variant_ids.default_code
                )
            )
            if uncoded:
                self.env["classification.coding.rule"]._cpc_code(
                    uncoded, auto_only=True
                )
        return templates

    def write(self, vals):
        vals = self._cpc_refuse_code_write(vals)
        moved = (
            self.filtered(lambda t: t.company_id.id != (vals["company_id"] or False))
            if "company_id" in vals
            else self.browse()
        )
        recoded = (
            self.filtered(lambda t: t.cpc_code != (vals["cpc_code"] or False))
            if "cpc_code" in vals
            else self.browse()
        )
        if moved or recoded:
            self._cpc_check_template_codes_free(
                [
                    (
                        template.id,
                        vals.get("company_id", template.company_id.id),
                        vals.get("cpc_code", template.cpc_code),
                    )
                    for template in moved | recoded
                ]
            )
        if moved:
            # The variants' codes go to the new company with their template:
            # they must be free there (the stored company of the code follows
            # at the next flush, where the database would only fail raw).
            variants = moved.with_context(active_test=False).product_variant_ids
            self.env["product.product"]._cpc_check_codes_free(
                [
                    (
                        variant.id,
                        variant.product_tmpl_id.id,
                        vals["company_id"],
                        variant.default_code,
                    )
                    for variant in variants
                ]
            )
        res = super().write(vals)
        if moved:
            variants.flush_recordset(["cpc_company_id"])
            coding.refresh_collisions(
                self.env.cr,
                "product_product",
                "default_code",
                "cpc_company_id",
                ids=variants.ids,
            )
            self.env["product.product"].invalidate_model(["cpc_code_collision"])
        return res

    @api.model
    def _cpc_check_template_codes_free(self, rows):
        """``rows``: (template id, company id, Product Code)."""
        _flush_codes(self.env)
        coding.check_codes_free(
            self.env,
            TEMPLATE_CODE_SOURCES,
            [(rid, None, company_id, code) for rid, company_id, code in rows],
        )

    @api.model
    def _search_display_name(self, operator, value):
        domain = super()._search_display_name(operator, value)
        if operator in ("=", "ilike", "=ilike") and isinstance(value, str) and value:
            domain = expression.OR(
                [domain, self._search_cpc_former_code(operator, value)]
            )
        return domain

    def _cpc_coder(self):
        return ProductCoder(self.env)

    def _cpc_code_carriers(self):
        return self

    @api.model
    def _cpc_uncoded_domain(self):
        return [("cpc_code", "=", False), ("default_code", "=", False)]

    def action_cpc_code(self):
        return self.env["classification.coding.wizard"]._cpc_open_for(self)


class ProductProduct(models.Model):
    _inherit = "product.product"

    default_code = fields.Char(copy=False)
    # The company of the template, on the variant's own row: the unique index
    # of Internal References needs it there.
    cpc_company_id = fields.Many2one(
        related="product_tmpl_id.company_id",
        string="Company of the Code",
        store=True,
        index=True,
    )
    cpc_code_collision = fields.Boolean(
        string="Code Collision",
        readonly=True,
        copy=False,
        help="This Internal Reference was already another product's when the addon "
        "was installed: change one of them. Until then the database does not hold "
        "it unique.",
    )

    def init(self):
        res = super().init()
        # The related column is computed after init: the index needs it now.
        self.env.cr.execute(
            """
            UPDATE product_product p SET cpc_company_id = t.company_id
              FROM product_template t
             WHERE t.id = p.product_tmpl_id
               AND p.cpc_company_id IS DISTINCT FROM t.company_id
            """
        )
        coding.ensure_unique_indexes(
            self.env.cr, "product_product", "default_code", "cpc_company_id"
        )
        coding.ensure_lower_index(self.env.cr, "product_template", "cpc_code")
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS product_product_cpc_variant_base_index "
                "ON product_product (%s) WHERE default_code ~ '-[0-9]+$'",
                VARIANT_BASE_SQL,
            )
        )
        return res

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [
            coding.clean_vals(self, vals, "default_code", vals.get("name") or "")
            for vals in vals_list
        ]
        if any(vals.get("default_code") for vals in vals_list):
            Template = self.env["product.template"]
            self._cpc_check_codes_free(
                [
                    (
                        None,
                        vals.get("product_tmpl_id"),
                        # Through the variant, the template is made from these
                        # values (_inherits): their company is the code's.
                        vals.get("company_id")
                        or Template.browse(vals.get("product_tmpl_id")).company_id.id,
                        vals.get("default_code"),
                    )
                    for vals in vals_list
                ]
            )
        products = super().create(vals_list)
        products._cpc_code_new_variants()
        return products

    def _cpc_code_new_variants(self):
        """Variants added to a coded template take the suffixes after the
        highest one its variants have (archived ones included); a suffix once
        given is claimed, so one printed for a deleted variant is never given
        again. All new variants in one round of checks and one write."""
        new = self.filtered(lambda p: not p.default_code and p.product_tmpl_id.cpc_code)
        if not new:
            return
        cr = self.env.cr
        pending = {}
        for template in new.product_tmpl_id.sudo():
            base = template.cpc_code
            siblings = template.with_context(active_test=False).product_variant_ids
            suffix = re.compile(re.escape(base) + r"-(\d+)$", re.IGNORECASE)
            last = max(
                (
                    int(found.group(1))
                    for found in map(
                        suffix.match,
                        siblings.filtered("default_code").mapped("default_code"),
                    )
                    if found
                ),
                default=0,
            )
            pending[template] = (
                base,
                last,
                new.filtered(lambda p, t=template: p.product_tmpl_id == t).ids,
            )
        codes = {}
        while pending:
            candidates = {}
            for template, (base, last, ids) in pending.items():
                # As many suffixes as variants waiting, no more: a claimed
                # suffix is never given back, so a spare one would be a gap in
                # the printed numbering. Taken ones send their variants round
                # again, on the following suffixes.
                candidates[template] = [
                    base + VARIANT_SUFFIX.format(index)
                    for index in range(last + 1, last + 1 + len(ids))
                ]
            every = [code for found in candidates.values() for code in found]
            used = coding.codes_in_use(cr, "product_product", "default_code", every)
            claimed = coding.claim_codes(
                cr, "product", [code for code in every if code not in used]
            )
            left = {}
            for template, (base, last, ids) in pending.items():
                free = iter(code for code in candidates[template] if code in claimed)
                waiting = []
                for product_id in ids:
                    code = next(free, None)
                    if code:
                        codes[product_id] = code
                    else:
                        waiting.append(product_id)
                if waiting:
                    left[template] = (base, last + len(ids), waiting)
            pending = left
        Product = self.env["product.product"]
        Product.flush_model(["default_code"])
        coding.update_values(cr, "product_product", "default_code", codes, self.env.uid)
        Product.browse(list(codes)).invalidate_recordset(
            ["default_code", "write_date", "write_uid"]
        )
        Product.browse(list(codes)).modified(["default_code"])

    def write(self, vals):
        vals = coding.clean_vals(self, vals, "default_code")
        if "default_code" not in vals:
            return super().write(vals)
        code = vals["default_code"] or False
        changed = self.filtered(lambda p: p.default_code != code)

        def company_of(product):
            # A company written with the code moves the template (_inherits).
            return vals.get("company_id", product.cpc_company_id.id) or False

        if changed:
            self._cpc_check_codes_free(
                [
                    (product.id, product.product_tmpl_id.id, company_of(product), code)
                    for product in changed
                ]
            )
        history = coding.history_rows(
            changed,
            "default_code",
            code,
            {product.id: company_of(product) for product in changed},
        )
        res = super().write(vals)
        if changed:
            changed.flush_recordset(["default_code"])
            coding.refresh_collisions(
                self.env.cr,
                "product_product",
                "default_code",
                "cpc_company_id",
                ids=changed.ids,
            )
            self.env["product.product"].invalidate_model(["cpc_code_collision"])
        if history:
            # A code typed over another was printed too: it keeps finding the
            # product, and no other product may take it.
            self.env["classification.code.history"].sudo().create(history)
        return res

    @api.model
    def _cpc_check_codes_free(self, rows):
        """A person typing another product's code, or a code another product
        had, is told whose it is. ``rows``: (variant id, template id, company
        id, code)."""
        _flush_codes(self.env)
        coding.check_codes_free(self.env, VARIANT_CODE_SOURCES, rows)

    def _search_cpc_former_code(self, operator, value):
        return self.env["classification.code.history"]._cpc_former_code_domain(
            self._name, operator, value
        )

    @api.model
    def _search_display_name(self, operator, value):
        domain = super()._search_display_name(operator, value)
        if operator in ("=", "ilike", "=ilike") and isinstance(value, str) and value:
            domain = expression.OR(
                [domain, self._search_cpc_former_code(operator, value)]
            )
        return domain

    @api.model
    def name_search(self, name="", args=None, operator="ilike", limit=100):
        # Odoo's search of variants looks at default_code, barcode and name
        # itself, not through _search_display_name: former codes are added.
        result = super().name_search(name, args, operator, limit)
        if (
            not name
            or operator not in ("=", "ilike", "=ilike")
            or (limit and len(result) >= limit)
        ):
            return result
        found = [product_id for product_id, __ in result]
        extra = self.search_fetch(
            expression.AND(
                [
                    args or [],
                    self._search_cpc_former_code(operator, name),
                    [("id", "not in", found)],
                ]
            ),
            ["display_name"],
            limit=limit and limit - len(result),
        )
        return result + [(product.id, product.display_name) for product in extra.sudo()]
