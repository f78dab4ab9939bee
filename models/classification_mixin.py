# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from collections import defaultdict

from lxml.builder import E

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv.expression import OR, normalize_domain

from ..utils import locks
from .classification_rule import CRITERIA

FIELD_PREFIX = "x_cpc_scheme"


class ClassificationMixin(models.AbstractModel):
    """Categories of every scheme on the records a scheme kind classifies.

    Each scheme stores its categories in its own field (see
    classification.scheme); this mixin adds what spans all schemes: the
    categories of every scheme in one field, which searches a category with its
    sub-categories, the rules, and the fields of the active schemes in views.
    """

    _name = "classification.mixin"
    _description = "Classified by Schemes"

    classification_category_ids = fields.Many2many(
        "classification.category",
        string="Categories",
        compute="_compute_classification_category_ids",
        inverse="_inverse_classification_category_ids",
        search="_search_classification_category_ids",
        help="The categories of every scheme. Searching a category finds its "
        "sub-categories too.",
    )
    classification_auto_scheme_ids = fields.Many2many(
        "classification.scheme",
        string="Schemes Set by Rules",
        copy=False,
        help="Schemes whose category was set by a rule rather than by a person; "
        "rules may change only these.",
    )

    def _cpc_scheme_fields(self):
        return [name for name in self._fields if name.startswith(FIELD_PREFIX)]

    # No @api.depends: the scheme fields come and go with the schemes, so create
    # and write invalidate this field instead.
    def _compute_classification_category_ids(self):
        names = self._cpc_scheme_fields()
        for record in self:
            categories = self.env["classification.category"]
            for name in names:
                categories |= record[name]
            record.classification_category_ids = categories

    def _inverse_classification_category_ids(self):
        Category = self.env["classification.category"]
        visible = self.env["classification.scheme"]._active_for(self._name)
        for record in self:
            chosen = record.classification_category_ids
            values = {}
            for scheme in visible | chosen.scheme_id:
                categories = chosen.filtered(lambda c, s=scheme: c.scheme_id == s)
                if not scheme.multiple and len(categories) > 1:
                    raise ValidationError(
                        self.env._(
                            "%(record)s can have only one category of the scheme "
                            "%(scheme)s.",
                            record=record.display_name,
                            scheme=scheme.name,
                        )
                    )
                values[scheme.field_name] = (
                    [Command.set(categories.ids)]
                    if scheme.multiple
                    else (categories or Category).id
                )
            record.write(values)

    def _search_classification_category_ids(self, operator, value):
        if operator in ("not in", "!=", "not ilike"):
            positive = {"not in": "in", "!=": "=", "not ilike": "ilike"}[operator]
            return [
                "!",
                *normalize_domain(
                    self._search_classification_category_ids(positive, value)
                ),
            ]
        names = self._cpc_scheme_fields()
        if value is False or value is None:
            # "Categories is not set": no scheme has a value.
            return [(name, "=", False) for name in names]
        Category = self.env["classification.category"].with_context(active_test=False)
        if isinstance(value, str):
            roots = Category.search([("complete_name", "ilike", value)])
        else:
            ids = value if isinstance(value, list | tuple) else [value]
            roots = Category.browse([i for i in ids if isinstance(i, int)])
        # A category stands for its whole subtree, whatever the operator.
        categories = Category.search([("id", "child_of", roots.ids)])
        by_field = defaultdict(list)
        for category in categories:
            by_field[category.scheme_id.field_name].append(category.id)
        domains = [
            [(name, "in", ids)] for name, ids in by_field.items() if name in names
        ]
        return OR(domains) if domains else [("id", "=", False)]

    # ------------------------------------------------------------------
    # Writes: check the categories, tell manual choices from rules
    # ------------------------------------------------------------------
    def _cpc_check_scheme_values(self, vals_list):
        """A scheme's field takes only categories of that scheme."""
        by_field = defaultdict(set)
        for vals in vals_list:
            for name, value in vals.items():
                if not name.startswith(FIELD_PREFIX) or not value:
                    continue
                if isinstance(value, int):
                    by_field[name].add(value)
                elif isinstance(value, list | tuple):
                    for command in value:
                        if isinstance(command, int):
                            by_field[name].add(command)
                        elif command[0] == Command.SET:
                            by_field[name].update(command[2])
                        elif command[0] == Command.LINK:
                            by_field[name].add(command[1])
        if not by_field:
            return
        schemes = self.env["classification.scheme"].with_context(active_test=False)
        schemes = schemes.search([("field_name", "in", list(by_field))])
        Category = self.env["classification.category"].with_context(active_test=False)
        for scheme in schemes:
            strays = Category.browse(by_field[scheme.field_name]).filtered(
                lambda c, s=scheme: c.scheme_id != s
            )
            if strays:
                raise ValidationError(
                    self.env._(
                        "%(category)s is not a category of the scheme %(scheme)s.",
                        category=strays[0].complete_name,
                        scheme=scheme.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        self._cpc_check_scheme_values(vals_list)
        records = super().create(vals_list)
        records.invalidate_recordset(["classification_category_ids"])
        if not self.env.context.get("cpc_rule_write"):
            records._cpc_apply_rules()
        return records

    def write(self, vals):
        self._cpc_check_scheme_values([vals])
        if any(name.startswith(FIELD_PREFIX) for name in vals):
            self.invalidate_recordset(["classification_category_ids"])
        if self.env.context.get("cpc_rule_write"):
            return super().write(vals)
        chosen = [name for name in vals if name.startswith(FIELD_PREFIX)]
        if chosen:
            # A person (or an import) chose these categories: rules keep off them.
            manual = (
                self.env["classification.scheme"]
                .with_context(active_test=False)
                .search([("field_name", "in", chosen)])
            )
            vals = dict(
                vals,
                classification_auto_scheme_ids=[
                    Command.unlink(scheme.id) for scheme in manual
                ],
            )
        res = super().write(vals)
        criteria = [
            criterion
            for criterion, (__, trigger_fields) in CRITERIA.items()
            if vals.keys() & set(trigger_fields)
        ]
        if criteria:
            schemes = (
                self.env["classification.rule"]
                .sudo()
                .search(
                    [("criterion", "in", criteria), ("scheme_id.active", "=", True)]
                )
                .scheme_id
            )
            if schemes:
                self._cpc_apply_rules(schemes)
        return res

    # ------------------------------------------------------------------
    # Rules
    # ------------------------------------------------------------------
    def _cpc_carriers(self):
        """The records that carry categories; others share their carrier's."""
        return self

    @api.model
    def _cpc_schemes_with_rules(self):
        kind = self.env["classification.scheme"]._kind_for(self._name)
        return (
            self.env["classification.rule"]
            .sudo()
            .search([("applies_to", "=", kind), ("scheme_id.active", "=", True)])
            .scheme_id
        )

    def _cpc_apply_rules(self, schemes=None, overwrite=False):
        """Place the records by the schemes' rules.

        Rules change a scheme's value only where it is empty or was set by a
        rule, unless ``overwrite`` is set. Records are written grouped by their
        new value, and only where the value changes.
        """
        carriers = self._cpc_carriers()
        if not carriers:
            return
        schemes = (schemes or self._cpc_schemes_with_rules()).sudo()
        plans = []
        fnames = {"classification_auto_scheme_ids"}
        for scheme in schemes.filtered(lambda s: s.field_name in self._fields):
            rules = scheme.rule_ids.filtered("active").sorted("sequence")
            matchers = [(rule.category_id.id, rule._matcher()) for rule in rules]
            plans.append((scheme, matchers))
            fnames.add(scheme.field_name)
            fnames.update(f for rule in rules for f in CRITERIA[rule.criterion][1])
        if not plans:
            return
        records = carriers.with_context(
            cpc_rule_write=True, active_test=False, tracking_disable=True
        )
        rows = records.read(sorted(fnames), load=None)
        for scheme, matchers in plans:
            name = scheme.field_name
            changes = defaultdict(list)
            for row in rows:
                is_auto = scheme.id in row["classification_auto_scheme_ids"]
                if row[name] and not is_auto and not overwrite:
                    continue
                matched = [category for category, matches in matchers if matches(row)]
                if scheme.multiple:
                    value = tuple(sorted(set(matched)))
                    current = tuple(sorted(row[name]))
                else:
                    value = matched[0] if matched else False
                    current = row[name] or False
                if value == current and (is_auto or not value):
                    continue
                changes[value].append(row["id"])
            for value, ids in changes.items():
                records.browse(ids).write(
                    {
                        name: [Command.set(list(value))] if scheme.multiple else value,
                        "classification_auto_scheme_ids": [
                            Command.link(scheme.id)
                            if value
                            else Command.unlink(scheme.id)
                        ],
                    }
                )

    def _cpc_apply_rules_in_bulk(self):
        """The "Apply Classification Rules" action on a selection: like an
        import, it must not interleave with another bulk write of categories."""
        locks.lock_categories(self.env, self._name)
        self._cpc_apply_rules()

    @api.model
    def _cpc_carrier_domain(self):
        """The domain of _cpc_carriers, for searches over the whole table."""
        return []

    # ------------------------------------------------------------------
    # Views: one field per active scheme
    # ------------------------------------------------------------------
    @api.model
    def _get_view_cache_key(self, view_id=None, view_type="form", **options):
        # Schemes can belong to a company: the views differ between companies.
        key = super()._get_view_cache_key(view_id, view_type, **options)
        return (*key, tuple(self.env.companies.ids))

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        arch, view = super()._get_view(view_id, view_type, **options)
        if self.env.context.get("studio") or not self.env[
            "classification.scheme"
        ].has_access("read"):
            return arch, view
        schemes = self.env["classification.scheme"]._active_for(self._name)
        if not schemes:
            return arch, view
        if view_type == "form":
            for group in arch.xpath("//group[@name='classification_schemes']"):
                for scheme in schemes:
                    group.append(self._cpc_form_field(scheme))
        elif view_type == "list":
            for anchor in arch.xpath("//field[@name='classification_category_ids']"):
                for scheme in reversed(schemes):
                    anchor.addnext(
                        E.field(
                            name=scheme.field_name,
                            string=scheme.name,
                            optional="hide",
                            widget="many2many_tags" if scheme.multiple else "badge",
                        )
                    )
        elif view_type == "search":
            for anchor in arch.xpath(
                "//field[@name='classification_category_ids']"
                "[not(ancestor::searchpanel)]"
            ):
                for scheme in reversed(schemes):
                    anchor.addnext(
                        E.field(
                            name=scheme.field_name,
                            string=scheme.name,
                            operator="child_of",
                        )
                    )
            group_bys = arch.xpath("//group/filter[contains(@context, 'group_by')]")
            if group_bys:
                anchor = group_bys[-1]
                for scheme in reversed(schemes):
                    anchor.addnext(
                        E.filter(
                            name=f"group_by_{scheme.field_name}",
                            string=scheme.name,
                            context=repr({"group_by": scheme.field_name}),
                        )
                    )
        return arch, view

    @api.model
    def _cpc_form_field(self, scheme):
        node = E.field(
            name=scheme.field_name,
            string=scheme.name,
            options=repr({"no_create": True, "color_field": "color"}),
        )
        if scheme.multiple:
            node.set("widget", "many2many_tags")
        if scheme.description:
            node.set("help", scheme.description)
        readonly = self._cpc_form_readonly()
        if readonly:
            node.set("readonly", readonly)
        if scheme.required:
            node.set("required", f"not ({readonly})" if readonly else "True")
        return node

    @api.model
    def _cpc_form_readonly(self):
        """Condition under which the scheme fields are read-only on the form."""
        return ""
