# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from collections import defaultdict

from lxml.builder import E

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv.expression import OR, normalize_domain

from ..utils import locks

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
        # Portal and public users read partners and products, not how the
        # company classifies them.
        groups="base.group_user",
        help="The categories of every scheme. Searching a category finds its "
        "sub-categories too.",
    )
    classification_auto_scheme_ids = fields.Many2many(
        "classification.scheme",
        string="Schemes Set by Rules",
        copy=False,
        groups="base.group_user",
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
        visible = self.env["classification.scheme"]._active_for(self._name).sudo()
        for record in self:
            chosen = record.classification_category_ids.sudo()
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
            # True is an int too: over RPC, "= True" would reach SQL as an id.
            roots = Category.browse(
                [i for i in ids if isinstance(i, int) and not isinstance(i, bool)]
            )
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
    @api.model
    def _cpc_index(self):
        return self.env["classification.scheme"]._cpc_index(
            self.env["classification.scheme"]._kind_for(self._name)
        )

    def _cpc_record_companies(self):
        """The company whose schemes each record may use (False: shared only)."""
        return {record.id: record.company_id.id for record in self.sudo()}

    def _cpc_check_categories(self, field_names):
        """Each scheme field holds categories of its own scheme only, and of a
        scheme the record's company may use: the scheme fields are manual
        fields, which have no check_company of their own.

        Read as superuser: whoever may edit the record may be checked, even
        without read access to the schemes.
        """
        index = self._cpc_index()
        field_names = [name for name in field_names if name in index.by_field]
        if not self or not field_names:
            return
        records = self.sudo().with_context(active_test=False)
        rows = records.read(field_names, load=None)
        companies = self._cpc_record_companies()
        category_ids = {
            category_id
            for row in rows
            for name in field_names
            for category_id in (
                row[name] if isinstance(row[name], list) else [row[name]]
            )
            if category_id
        }
        if not category_ids:
            return
        Category = self.env["classification.category"].sudo()
        categories = Category.with_context(active_test=False).browse(category_ids)
        owners = {
            category.id: (category.scheme_id.id, category.company_id.id)
            for category in categories
        }
        for row in rows:
            company_id = companies[row["id"]]
            for name in field_names:
                scheme_info = index.by_field[name]
                values = row[name] if isinstance(row[name], list) else [row[name]]
                for category_id in filter(None, values):
                    scheme_id, category_company_id = owners[category_id]
                    if scheme_id != scheme_info.id:
                        raise ValidationError(
                            self.env._(
                                "%(record)s: %(category)s is not a category of the "
                                "scheme %(scheme)s.",
                                record=records.browse(row["id"]).display_name,
                                category=Category.browse(category_id).complete_name,
                                scheme=Category.env["classification.scheme"]
                                .browse(scheme_info.id)
                                .name,
                            )
                        )
                    if category_company_id and category_company_id != company_id:
                        raise ValidationError(
                            self._cpc_company_error(
                                records.browse(row["id"]),
                                Category.browse(category_id),
                            )
                        )

    def _cpc_company_error(self, record, category):
        company = category.company_id
        if record.env["res.company"].browse(self._cpc_record_companies()[record.id]):
            return self.env._(
                "%(record)s does not belong to %(company)s: it cannot take "
                "%(category)s, a category of that company's scheme %(scheme)s.",
                record=record.display_name,
                company=company.name,
                category=category.complete_name,
                scheme=category.scheme_id.name,
            )
        return self.env._(
            "%(record)s is shared between companies: it cannot take %(category)s, "
            "a category of the scheme %(scheme)s of %(company)s only.",
            record=record.display_name,
            company=company.name,
            category=category.complete_name,
            scheme=category.scheme_id.name,
        )

    @api.model
    def _cpc_company_fields(self):
        """Fields whose change moves a record to another company's schemes."""
        return {"company_id"}

    @api.model_create_multi
    def create(self, vals_list):
        index = self._cpc_index()
        chosen = {name for vals in vals_list for name in vals} & set(index.by_field)
        rule_write = self.env.context.get("cpc_rule_write")
        if index.ruled and not rule_write:
            vals_list = self._cpc_vals_with_rules(vals_list, index)
        records = super().create(vals_list)
        if chosen:
            records.invalidate_recordset(["classification_category_ids"])
            if not rule_write:
                records._cpc_check_categories(chosen)
        return records

    @api.model
    def _cpc_is_carrier_vals(self, vals):
        """Whether the record these creation values make carries categories."""
        return True

    @api.model
    def _cpc_stored_vals(self, vals):
        """Creation values as the stored fields the rules read will hold them."""
        return vals

    @api.model
    def _cpc_vals_with_rules(self, vals_list, index):
        """The creation values with the categories the rules give.

        The rules' categories go into the creation itself rather than into a
        second write: a single create stays one INSERT. This mixin's create is
        the last override before the ORM's, so the values are final but for
        defaults, which are read here for the fields the rules need.
        """
        plans = [info for info in index.ruled if info.field_name in self._fields]
        if not plans:
            return vals_list
        needed = {"company_id"}.union(*(info.read_fields for info in plans))
        missing = {name for vals in vals_list for name in needed - vals.keys()}
        defaults = self.default_get(sorted(missing)) if missing else {}
        matchers = self.env["classification.rule"]._cpc_matchers(plans)
        result = []
        for vals in vals_list:
            if not self._cpc_is_carrier_vals(vals):
                result.append(vals)
                continue
            given = self._cpc_stored_vals(vals)
            row = {
                name: self._cpc_plain(
                    name, given[name] if name in given else defaults.get(name)
                )
                for name in needed
            }
            for info in plans:
                # A category the creator chose is theirs.
                row[info.field_name] = bool(vals.get(info.field_name))
            row["classification_auto_scheme_ids"] = []
            values, links, __ = self._cpc_rule_changes(row, plans, matchers)
            if not links:
                result.append(vals)
                continue
            multiple = {info.field_name for info in plans if info.multiple}
            result.append(
                {
                    **vals,
                    **{
                        name: [Command.set(list(value))] if name in multiple else value
                        for name, value in values.items()
                    },
                    "classification_auto_scheme_ids": [
                        *vals.get("classification_auto_scheme_ids", []),
                        *(Command.link(scheme_id) for scheme_id in links),
                    ],
                }
            )
        return result

    @api.model
    def _cpc_plain(self, name, value):
        """A creation value as read(load=None) gives it, for the rules' tests."""
        if isinstance(value, models.BaseModel):
            return value.id
        if value is None or value is False:
            numeric = self._fields[name].type in ("integer", "float", "monetary")
            return 0 if numeric else False
        return value

    def write(self, vals):
        if self.env.context.get("cpc_rule_write"):
            if any(name.startswith(FIELD_PREFIX) for name in vals):
                self.invalidate_recordset(["classification_category_ids"])
            return super().write(vals)
        index = self._cpc_index()
        chosen = [name for name in vals if name.startswith(FIELD_PREFIX)]
        if chosen:
            self.invalidate_recordset(["classification_category_ids"])
            # A person (or an import) chose these categories: rules keep off them.
            manual = [
                index.by_field[name].id for name in chosen if name in index.by_field
            ]
            if manual:
                vals = dict(
                    vals,
                    classification_auto_scheme_ids=[
                        Command.unlink(scheme_id) for scheme_id in manual
                    ],
                )
        res = super().write(vals)
        if vals.keys() & self._cpc_company_fields():
            self._cpc_check_categories(list(index.by_field))
        elif chosen:
            self._cpc_check_categories(chosen)
        triggered = vals.keys() & index.trigger_fields
        if triggered:
            schemes = [
                info.id
                for info in index.ruled
                if triggered & info.read_fields or triggered & {"company_id"}
            ]
            self.sudo()._cpc_apply_rules(scheme_ids=schemes)
        return res

    # ------------------------------------------------------------------
    # Rules
    # ------------------------------------------------------------------
    def _cpc_carriers(self):
        """The records that carry categories; others share their carrier's."""
        return self

    def _cpc_apply_rules(self, schemes=None, overwrite=False, scheme_ids=None):
        """Place the records by the rules of the schemes their company may use.

        Without superuser rights, only the records the user may write are
        placed (bulk actions). Rules change a scheme's value only where it is
        empty or was set by a rule, unless ``overwrite`` is set. Records are
        written grouped by their new values, and only where a value changes.
        """
        writable = self if self.env.su else self._filtered_access("write")
        carriers = writable._cpc_carriers()
        if not carriers:
            return
        wanted = set(schemes.ids if schemes is not None else scheme_ids or ())
        plans = [
            info
            for info in self._cpc_index().ruled
            if info.field_name in self._fields and (not wanted or info.id in wanted)
        ]
        if not plans or (scheme_ids is not None and not scheme_ids):
            return
        fnames = {"classification_auto_scheme_ids", "company_id"}
        for info in plans:
            fnames.add(info.field_name)
            fnames.update(info.read_fields)
        records = carriers.sudo().with_context(
            cpc_rule_write=True, active_test=False, tracking_disable=True
        )
        rows = records.read(sorted(fnames), load=None)
        matchers = self.env["classification.rule"]._cpc_matchers(plans)
        changes = defaultdict(list)
        for row in rows:
            values, links, unlinks = self._cpc_rule_changes(
                row, plans, matchers, overwrite
            )
            if values:
                key = (tuple(sorted(values.items())), tuple(links), tuple(unlinks))
                changes[key].append(row["id"])
        multiple = {info.field_name for info in plans if info.multiple}
        for (values, links, unlinks), ids in changes.items():
            records.browse(ids).write(
                {
                    **{
                        name: [Command.set(list(value))] if name in multiple else value
                        for name, value in values
                    },
                    "classification_auto_scheme_ids": [
                        *(Command.link(scheme_id) for scheme_id in links),
                        *(Command.unlink(scheme_id) for scheme_id in unlinks),
                    ],
                }
            )

    @api.model
    def _cpc_rule_changes(self, row, plans, matchers, overwrite=False):
        """What the rules change on one record (values as read with load=None).

        Returns the new values by field, and the schemes whose value is now set
        by a rule, or cleared by one.
        """
        values, links, unlinks = {}, [], []
        for info in plans:
            if info.company_id and info.company_id != row["company_id"]:
                continue  # another company's scheme
            name = info.field_name
            is_auto = info.id in row["classification_auto_scheme_ids"]
            if row[name] and not is_auto and not overwrite:
                continue
            if info.multiple:
                value = tuple(
                    sorted(
                        {
                            rule.category_id
                            for rule in info.rules
                            if matchers[rule.id](row)
                        }
                    )
                )
                current = tuple(sorted(row[name] or ()))
            else:
                value = next(
                    (rule.category_id for rule in info.rules if matchers[rule.id](row)),
                    False,
                )
                current = row[name] or False
            if value == current and (is_auto or not value):
                continue
            values[name] = value
            (links if value else unlinks).append(info.id)
        return values, links, unlinks

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
        if self.env.context.get("studio"):
            return arch, view
        # The arch is cached per companies and language, for every user: the
        # same schemes for everyone, the fields' groups hide them from those
        # who may not read them (see ir.model.fields._instanciate_attrs).
        schemes = self.env["classification.scheme"]._active_for(self._name).sudo()
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
            self._cpc_searchpanel_sections(arch, schemes)
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
    def _cpc_searchpanel_sections(self, arch, schemes):
        """One side-panel section per scheme, in the schemes' sequence, in place
        of a multi-select section on all categories: each titled by its scheme,
        with its counts, ticks of one scheme combined with OR and of different
        schemes with AND. (Odoo 18's grouped multi-select section, the other way
        to show schemes apart, drops its ticks from the domain once the user
        switches views: the state it saves copies each value twice.)"""
        for anchor in arch.xpath(
            "//searchpanel/field[@name='classification_category_ids'][@select='multi']"
        ):
            for scheme in reversed(schemes):
                section = E.field(**dict(anchor.attrib))
                section.attrib.pop("groupby", None)
                section.set("string", scheme.name)
                section.set("domain", repr([("scheme_id", "=", scheme.id)]))
                anchor.addnext(section)
            anchor.getparent().remove(anchor)

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
