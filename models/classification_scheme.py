# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import logging
from typing import NamedTuple

from odoo import api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, create_index, make_index_name

from ..utils import locks
from ..utils.actions import RELOAD_VIEW, success_notification
from ..utils.codes import code_error, duplicate_codes, trim_code
from .classification_rule import CRITERIA, DYNAMIC_CRITERIA

_logger = logging.getLogger(__name__)

RULES_CRON = "customer_product_classification.ir_cron_apply_classification_rules"

# Written by the queue of rules: they change nothing the index holds.
QUEUE_FIELDS = {"rules_queued", "rules_overwrite", "rules_cursor", "rules_queued_uid"}
# Kept by the addon alone (as superuser): the queue, and the scheme's field, which
# rules write as superuser and which goes with the scheme when it is deleted.
ENGINE_FIELDS = QUEUE_FIELDS | {"field_id", "field_name"}


class RuleInfo(NamedTuple):
    id: int
    category_id: int
    # None when the test reads data other models own: built at each use.
    matcher: object


class SchemeInfo(NamedTuple):
    id: int
    field_name: str
    multiple: bool
    company_id: int
    rules: tuple
    read_fields: frozenset


class SchemeIndex(NamedTuple):
    by_field: dict  # every scheme of the kind with a field, archived ones too
    ruled: tuple  # active schemes with active rules, in sequence
    trigger_fields: frozenset  # fields whose change re-applies rules


# Which records each kind of scheme classifies.
SCHEME_TARGETS = {
    "partner": "res.partner",
    "product": "product.template",
}
# Import columns that name the record (and "code", which names records once they
# are coded): a scheme with such a code would make its column ambiguous.
RESERVED_COLUMNS = ("external_id", "reference", "name", "code")


class ClassificationScheme(models.Model):
    """An axis customers or products are classified along (region, industry...).

    Each scheme owns one field on the records it classifies, the way Odoo's
    analytic plans own one column on analytic lines: a many2one for a one-value
    scheme, a many2many for a scheme that takes several values. The field is a
    plain stored field, so lists filter and group by any scheme natively; the
    forms, lists and search views show the active schemes' fields (see
    classification.mixin._get_view).
    """

    _name = "classification.scheme"
    _description = "Classification Scheme"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(
        required=True,
        help="Short code, unique among the schemes of the same kind; it heads the "
        "scheme's column in import files.",
    )
    applies_to = fields.Selection(
        [("partner", "Customers"), ("product", "Products")],
        required=True,
        default="partner",
    )
    multiple = fields.Boolean(
        string="Several Values",
        help="A record may be placed in several categories of this scheme.",
    )
    required = fields.Boolean(
        help="Customer and product forms ask for a category of this scheme.",
    )
    active = fields.Boolean(default=True)
    sequence = fields.Integer(default=10)
    company_id = fields.Many2one(
        "res.company",
        index=True,
        help="Leave empty to share the scheme between companies.",
    )
    description = fields.Text(translate=True)
    category_ids = fields.One2many("classification.category", "scheme_id")
    category_count = fields.Integer(compute="_compute_category_count")
    rule_ids = fields.One2many("classification.rule", "scheme_id")
    field_id = fields.Many2one(
        "ir.model.fields",
        string="Field",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The field of customers or products that holds this scheme's categories.",
    )
    rules_queued = fields.Boolean(
        readonly=True,
        copy=False,
        help="The scheduler is applying the rules to every record.",
    )
    rules_overwrite = fields.Boolean(readonly=True, copy=False)
    rules_queued_uid = fields.Many2one(
        "res.users",
        string="Rules Queued By",
        readonly=True,
        copy=False,
        help="The queued rules are applied as this user: only to the records they "
        "may change.",
    )
    rules_cursor = fields.Integer(
        readonly=True, copy=False, help="The last record the queued rules reached."
    )
    field_name = fields.Char(
        related="field_id.name", string="Field Name", store=True, index=True
    )

    @api.depends("category_ids")
    def _compute_category_count(self):
        counts = dict(
            self.env["classification.category"]._read_group(
                [("scheme_id", "in", self.ids)], ["scheme_id"], ["__count"]
            )
        )
        for scheme in self:
            scheme.category_count = counts.get(scheme, 0)

    @api.constrains("code", "applies_to", "company_id")
    def _check_code(self):
        for scheme in self:
            error = code_error(self.env, scheme.code, scheme.name)
            if error:
                raise ValidationError(error)
            if scheme.code.casefold() in RESERVED_COLUMNS:
                raise ValidationError(
                    self.env._(
                        "The code %(code)s of the scheme %(scheme)s is the name of an "
                        "import column (%(columns)s): choose another one.",
                        code=scheme.code,
                        scheme=scheme.name,
                        columns=", ".join(RESERVED_COLUMNS),
                    )
                )
        # Import files name schemes by code, whatever its case.
        groups = self.with_context(active_test=False)._read_group(
            [("applies_to", "in", list(set(self.mapped("applies_to"))))],
            ["applies_to", "code"],
            ["__count"],
        )
        clashes = duplicate_codes(groups)
        for scheme in self:
            if (scheme.applies_to, scheme.code.casefold()) in clashes:
                raise ValidationError(
                    self.env._(
                        "Another scheme for the same records already has the code "
                        "%(code)s (case is ignored): choose another code for "
                        "%(scheme)s.",
                        code=scheme.code,
                        scheme=scheme.name,
                    )
                )

    # ------------------------------------------------------------------
    # The scheme's field on the classified records
    # ------------------------------------------------------------------
    def _target_model(self):
        self.ensure_one()
        return SCHEME_TARGETS[self.applies_to]

    def _field_name_for(self, multiple):
        self.ensure_one()
        return f"x_cpc_scheme{self.id}_{'ids' if multiple else 'id'}"

    def _sync_field(self):
        """Create the schemes' fields, or replace them after a change of kind.

        The fields are created in one batch: each creation of fields sets the
        registry up again, which takes seconds.
        """
        pending = []
        for scheme in self:
            field = scheme.field_id.sudo()
            if field.name != scheme._field_name_for(scheme.multiple):
                pending.append((scheme, field))
        new_fields = (
            self.env["ir.model.fields"]
            .sudo()
            .with_context(update_custom_fields=True)
            .create([scheme._field_values() for scheme, __ in pending])
        )
        for (scheme, old_field), new_field in zip(pending, new_fields, strict=True):
            if new_field.ttype == "many2one":
                table = self.env[new_field.model]._table
                create_index(
                    self.env.cr,
                    make_index_name(table, new_field.name),
                    table,
                    [new_field.name],
                    "btree",
                    f"{new_field.name} IS NOT NULL",
                )
            if old_field:
                scheme._move_values(old_field, new_field)
                old_field.unlink()
            scheme.sudo().field_id = new_field
        self._sync_field_label()
        self.env.registry.clear_cache("templates")

    def _field_values(self):
        self.ensure_one()
        model = self._target_model()
        name = self._field_name_for(self.multiple)
        values = {
            "name": name,
            "field_description": self._field_labels()["en_US"],
            "help": self.with_context(lang="en_US").description or False,
            "state": "manual",
            "model_id": self.env["ir.model"]._get_id(model),
            "ttype": "many2many" if self.multiple else "many2one",
            "relation": "classification.category",
            "domain": repr([("scheme_id", "=", self.id)]),
            "copied": True,
        }
        if self.multiple:
            values.update(
                relation_table=f"{name}_{model.replace('.', '_')}_rel",
                column1="record_id",
                column2="category_id",
            )
        else:
            values["on_delete"] = "restrict"
        return values

    @api.model
    def _sync_missing_fields(self):
        """Give their fields to the schemes a module's data files created."""
        self.with_context(active_test=False).search(
            [("field_id", "=", False)]
        )._sync_field()

    def _field_labels(self):
        """The field's label in every installed language.

        The label says it is a classification, so that a scheme named like an
        Odoo field (Industry) is told apart in filters and group-bys.
        """
        self.ensure_one()
        labels = {}
        for lang in [
            "en_US",
            *(code for code, __ in self.env["res.lang"].get_installed()),
        ]:
            scheme = self.with_context(lang=lang)
            labels[lang] = scheme.env._(
                "%(scheme)s (Classification)", scheme=scheme.name
            )
        return labels

    def _sync_field_label(self):
        """Label the fields after their schemes (the help is the description).

        Writing a field sets the registry up again: only changes are written.
        """
        for scheme in self.filtered("field_id"):
            labels = scheme._field_labels()
            field = scheme.field_id.sudo().with_context(lang="en_US")
            values = {
                "field_description": labels.pop("en_US"),
                "help": scheme.with_context(lang="en_US").description or False,
            }
            if any(field[name] != value for name, value in values.items()):
                field.write(values)
            if labels:
                field.update_field_translations("field_description", labels)

    def _move_values(self, old_field, new_field):
        """Carry the records' categories over when a scheme changes its kind."""
        self.ensure_one()
        Target = self.env[old_field.model]
        self.env.flush_all()
        if old_field.ttype == "many2one":
            self.env.cr.execute(
                SQL(
                    "INSERT INTO %s (record_id, category_id) "
                    "SELECT id, %s FROM %s WHERE %s IS NOT NULL",
                    SQL.identifier(new_field.relation_table),
                    SQL.identifier(old_field.name),
                    SQL.identifier(Target._table),
                    SQL.identifier(old_field.name),
                )
            )
        else:
            self.env.cr.execute(
                SQL(
                    "SELECT record_id FROM %s GROUP BY record_id "
                    "HAVING count(*) > 1 LIMIT 1",
                    SQL.identifier(old_field.relation_table),
                )
            )
            crowded = self.env.cr.fetchone()
            if crowded:
                raise UserError(
                    self.env._(
                        "%(record)s has several categories of the scheme "
                        "%(scheme)s: keep one before making the scheme take a "
                        "single value.",
                        record=Target.browse(crowded[0]).display_name,
                        scheme=self.name,
                    )
                )
            self.env.cr.execute(
                SQL(
                    "UPDATE %s AS t SET %s = rel.category_id FROM %s AS rel "
                    "WHERE rel.record_id = t.id",
                    SQL.identifier(Target._table),
                    SQL.identifier(new_field.name),
                    SQL.identifier(old_field.relation_table),
                )
            )
        Target.invalidate_model()

    def copy_data(self, default=None):
        # A copy gets its own field (and categories are not copied): it needs a
        # code of its own too.
        vals_list = super().copy_data(default=default)
        if "code" not in (default or {}):
            for scheme, vals in zip(self, vals_list, strict=True):
                vals["code"] = f"{scheme.code}_COPY"
                vals["name"] = self.env._("%(scheme)s (copy)", scheme=scheme.name)
        return vals_list

    def _check_engine_fields_untouched(self, vals_list):
        """Only the addon, as superuser, sets a scheme's field and its queue of
        rules. The queue says as whom, over which records and whether over
        manual choices the scheduler applies the rules: written over RPC, an
        empty "queued by" would apply them as superuser to every company's
        records. The field is written by rules as superuser and dropped with
        the scheme: pointed at another field (another scheme's, any custom one),
        its data would be overwritten, moved or deleted."""
        if self.env.su:
            return
        written = sorted({name for vals in vals_list for name in vals} & ENGINE_FIELDS)
        if written:
            raise AccessError(
                self.env._(
                    "The field of a scheme and its queue of rules (%(fields)s) are "
                    "kept by the addon: saving the scheme makes its field, the "
                    "Apply Rules button and the scheduled action queue its rules.",
                    fields=", ".join(written),
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_engine_fields_untouched(vals_list)
        schemes = super().create([trim_code(vals) for vals in vals_list])
        self._cpc_clear_index()
        if not self.env.context.get("install_filename"):
            schemes._sync_field()
        # else: data files create schemes one by one; their fields come in one
        # batch at the end (see _sync_missing_fields).
        return schemes

    def write(self, vals):
        self._check_engine_fields_untouched([vals])
        vals = trim_code(vals)
        moving = self.filtered(
            lambda scheme: (
                "applies_to" in vals and scheme.applies_to != vals["applies_to"]
            )
        )
        if moving:
            raise UserError(
                self.env._(
                    "The scheme %(scheme)s cannot move between customers and "
                    "products: create a new scheme instead.",
                    scheme=moving[0].name,
                )
            )
        if "company_id" in vals:
            self._check_company_move(vals["company_id"])
        res = super().write(vals)
        if vals.keys() - QUEUE_FIELDS - {"name", "description"}:
            self._cpc_clear_index()
        if {"multiple", "name", "description"} & set(vals):
            self._sync_field()
        elif vals.keys() & {"active", "sequence", "required", "company_id"}:
            self.env.registry.clear_cache("templates")
        return res

    def _check_company_move(self, company_id):
        """A scheme changes company only into a company of the user, and only
        while its categories classify no record the new company does not own:
        its categories follow it, and another company's (or a shared) record
        would then carry a category private to that company."""
        company = self.env["res.company"].browse(company_id or ())
        if company and not self.env.su and company not in self.env.companies:
            raise AccessError(
                self.env._(
                    "The schemes %(schemes)s can only be given to one of your "
                    "current companies.",
                    schemes=", ".join(self.mapped("name")),
                )
            )
        for scheme in self.filtered(lambda s: s.company_id != company):
            if not company:
                continue  # shared: every record may take its categories
            categories = scheme.with_context(active_test=False).category_ids
            if not scheme.field_name or not categories:
                continue
            outside = (
                self.env[scheme._target_model()]
                .sudo()
                .with_context(active_test=False)
                .search_count(
                    [
                        (scheme.field_name, "in", categories.ids),
                        "|",
                        ("company_id", "=", False),
                        ("company_id", "!=", company.id),
                    ],
                    limit=1,
                )
            )
            if outside:
                raise UserError(
                    self.env._(
                        "The scheme %(scheme)s classifies records that do not "
                        "belong to %(company)s: it cannot become a scheme of that "
                        "company only. Create a scheme of its own instead.",
                        scheme=scheme.name,
                        company=company.name,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        for scheme in self:
            categories = scheme.with_context(active_test=False).category_ids
            if scheme._count_classified(categories):
                raise UserError(
                    self.env._(
                        "Records are classified in the scheme %(scheme)s: archive it "
                        "instead of deleting it.",
                        scheme=scheme.name,
                    )
                )

    def unlink(self):
        fields_to_drop = self.field_id
        res = super().unlink()
        self._cpc_clear_index()
        fields_to_drop.sudo().unlink()
        self.env.registry.clear_cache("templates")
        return res

    def _count_classified(self, categories, limit=None):
        """How many records (archived ones too) sit in any of the categories."""
        self.ensure_one()
        if not self.field_name or not categories:
            return 0
        return (
            self.env[self._target_model()]
            .sudo()
            .with_context(active_test=False)
            .search_count([(self.field_name, "in", categories.ids)], limit=limit)
        )

    # ------------------------------------------------------------------
    # Lookups used by views, rules and imports
    # ------------------------------------------------------------------
    @api.model
    def _kind_for(self, model_name):
        return next(
            kind for kind, model in SCHEME_TARGETS.items() if model == model_name
        )

    @api.model
    def _active_for(self, model_name):
        """The active schemes of a model for the current companies.

        Searched as superuser with the companies as the only criterion: views
        are cached per companies, not per user, so everyone with the same
        companies must get the same schemes.
        """
        schemes = self.sudo().search(
            [
                ("applies_to", "=", self._kind_for(model_name)),
                ("company_id", "in", [False, *self.env.companies.ids]),
            ]
        )
        return schemes.filtered(
            lambda s: s.field_name in self.env[model_name]
        ).with_env(self.env)

    @api.model
    @tools.ormcache("kind")
    def _cpc_index(self, kind):
        """What creating or editing a record of a kind needs from its schemes.

        Every create and write of a customer or product reads it, whoever makes
        it, so it is read once as superuser and cached until a scheme, category
        or rule changes (see _cpc_clear_index). It holds plain values only.
        """
        schemes = (
            self.sudo()
            .with_context(active_test=False)
            .search([("applies_to", "=", kind), ("field_name", "!=", False)])
        )
        by_field, ruled = {}, []
        for scheme in schemes:
            rules = (
                scheme.rule_ids.filtered("active").sorted("sequence")
                if scheme.active
                else scheme.rule_ids.browse()
            )
            info = SchemeInfo(
                id=scheme.id,
                field_name=scheme.field_name,
                multiple=scheme.multiple,
                company_id=scheme.company_id.id,
                rules=tuple(
                    RuleInfo(
                        rule.id,
                        rule.category_id.id,
                        None if rule.criterion in DYNAMIC_CRITERIA else rule._matcher(),
                    )
                    for rule in rules
                ),
                read_fields=frozenset(
                    name for rule in rules for name in CRITERIA[rule.criterion][1]
                ),
            )
            by_field[info.field_name] = info
            if info.rules:
                ruled.append(info)
        trigger_fields = frozenset().union(*(info.read_fields for info in ruled))
        if any(info.company_id for info in ruled):
            # A record moving company gets the rules of the other company.
            trigger_fields |= {"company_id"}
        return SchemeIndex(by_field, tuple(ruled), trigger_fields)

    @api.model
    def _cpc_clear_index(self):
        self.env.registry.clear_cache()

    def action_open_categories(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_product_classification.classification_category_action"
        )
        action["domain"] = [("scheme_id", "=", self.id)]
        action["context"] = {"default_scheme_id": self.id}
        return action

    def action_apply_rules(self):
        """Queue the scheme's rules for every record, for the scheduler.

        A table of customers can take longer than a web request may last, so
        the scheduled action applies the rules in batches, each committed. Manual
        choices are kept unless the context asks to overwrite them.
        """
        # Only those who may change the schemes queue their rules, as themselves.
        self.check_access("write")
        self.sudo().write(
            {
                "rules_queued": True,
                "rules_overwrite": self.env.context.get("cpc_overwrite_manual", False),
                "rules_cursor": 0,
                "rules_queued_uid": self.env.uid,
            }
        )
        self.env.ref(
            "customer_product_classification.ir_cron_apply_classification_rules"
        )._trigger()
        return success_notification(
            self.env._(
                "The rules of %(schemes)s are being applied to every record in the "
                "background.",
                schemes=", ".join(self.mapped("name")),
            ),
            then=RELOAD_VIEW,
        )

    def _rules_acting_batch(self, batch):
        self.ensure_one()
        user = self.rules_queued_uid
        if not user:
            return batch
        return batch.with_user(user).with_context(
            allowed_company_ids=user.company_ids.ids
        )

    @api.model
    def _cron_apply_rules(self):
        """Apply queued rules, one batch of records per call (see _notify_progress)."""
        budget = self.env["partner.classification"]._cpc_batch_size()
        done = remaining = 0
        queued = self.sudo().search([("rules_queued", "=", True)])
        for scheme in locks.categories_free_for_cron(queued, RULES_CRON):
            Target = (
                self.env[scheme._target_model()].sudo().with_context(active_test=False)
            )
            domain = Target._cpc_carrier_domain()
            # A scheme whose batch fails stays where it was, for the next call;
            # the other schemes go on.
            try:
                with self.env.cr.savepoint():
                    batch = Target.browse()
                    if budget > 0:
                        batch = Target.search(
                            [*domain, ("id", ">", scheme.rules_cursor)],
                            order="id",
                            limit=budget,
                        )
                        if batch:
                            # As whoever queued them: the rules reach only the
                            # records that user may change, in their companies.
                            scheme._rules_acting_batch(batch)._cpc_apply_rules(
                                scheme, overwrite=scheme.rules_overwrite
                            )
                            scheme.rules_cursor = batch[-1].id
                    left = Target.search_count(
                        [*domain, ("id", ">", scheme.rules_cursor)]
                    )
                    scheme.rules_queued = bool(left)
            except locks.CONCURRENCY_ERRORS:
                locks.retry_cron_later(self.env, RULES_CRON, f"Rules of {scheme.name}")
                continue
            except Exception:
                _logger.exception("Applying the rules of %s failed", scheme.name)
                continue
            budget -= len(batch)
            done += len(batch)
            remaining += left
        _logger.info("Classification rules: %s records done, %s left", done, remaining)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done, remaining
