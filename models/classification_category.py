# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..utils.codes import code_error, duplicate_codes, trim_code

CODE_SEPARATOR = "-"


class ClassificationCategory(models.Model):
    """A coded category of a scheme; categories form a tree within their scheme."""

    _name = "classification.category"
    _description = "Classification Category"
    _parent_store = True
    _rec_name = "complete_name"
    _order = "scheme_id, sort_path, id"

    scheme_id = fields.Many2one(
        "classification.scheme", required=True, index=True, ondelete="cascade"
    )
    applies_to = fields.Selection(related="scheme_id.applies_to", store=True)
    company_id = fields.Many2one(related="scheme_id.company_id", store=True)
    parent_id = fields.Many2one(
        "classification.category",
        string="Parent Category",
        index=True,
        ondelete="restrict",
        domain="[('scheme_id', '=', scheme_id), ('id', '!=', id)]",
    )
    parent_path = fields.Char(index=True)
    child_ids = fields.One2many(
        "classification.category", "parent_id", string="Sub-categories"
    )
    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Unique within the scheme.")
    complete_name = fields.Char(
        compute="_compute_complete_name",
        search="_search_complete_name",
        recursive=True,
    )
    complete_code = fields.Char(
        compute="_compute_complete_code",
        store=True,
        recursive=True,
        index=True,
        help="The codes from the top category down, e.g. EAST-SH.",
    )
    sequence = fields.Integer(default=10, help="Order among sibling categories.")
    sort_path = fields.Char(
        compute="_compute_sort_path", store=True, recursive=True, index=True
    )
    color = fields.Integer(aggregator=False)
    description = fields.Text(translate=True)
    active = fields.Boolean(default=True)
    industry_id = fields.Many2one(
        "res.partner.industry",
        help="Odoo's industry this category stands for, when the scheme classifies "
        "by industry.",
    )
    show_industry = fields.Boolean(compute="_compute_show_industry")
    synonyms = fields.Char(
        translate=True,
        help="Other names an import file may give the category, separated by "
        "semicolons, e.g. Major Account; KA.",
    )
    tree_name = fields.Char(
        string="Category",
        compute="_compute_tree_name",
        recursive=True,
        help="The name, indented by the category's depth in the tree.",
    )
    record_count = fields.Integer(
        string="Classified",
        compute="_compute_record_count",
        help="Customers (companies and individuals, not their contacts) or "
        "products in the category or below it.",
    )

    @api.depends("name", "parent_id.complete_name")
    @api.depends_context("lang")
    def _compute_complete_name(self):
        # Not stored: names are translated, so is the path built from them.
        for category in self:
            if category.parent_id:
                category.complete_name = (
                    f"{category.parent_id.complete_name} / {category.name}"
                )
            else:
                category.complete_name = category.name

    @api.depends_context("lang", "hierarchical_naming")
    def _compute_display_name(self):
        # Side panels ask for names without their path (as for product
        # categories): a full path there is cut. Their lists of several values are
        # flat, so the name is indented under its parent instead.
        indented = not self.env.context.get("hierarchical_naming", True)
        for category in self:
            category.display_name = (
                category.tree_name if indented else category.complete_name
            )

    @api.depends("name", "parent_id.tree_name")
    @api.depends_context("lang")
    def _compute_tree_name(self):
        # Em spaces: the list keeps them, where it folds ordinary ones.
        for category in self:
            depth, parent = 0, category.parent_id
            while parent and depth < 50:
                depth, parent = depth + 1, parent.parent_id
            category.tree_name = "\u2003\u2003" * depth + (category.name or "")

    @api.depends("scheme_id.applies_to", "scheme_id.rule_ids.criterion")
    def _compute_show_industry(self):
        # Odoo's industry only means something in a scheme of industries: one
        # whose rules read it, or whose categories already name one.
        for scheme in self.scheme_id:
            categories = self.filtered(lambda c, s=scheme: c.scheme_id == s)
            categories.show_industry = scheme.applies_to == "partner" and (
                "industry" in scheme.rule_ids.mapped("criterion")
                or bool(scheme.category_ids.filtered("industry_id"))
            )
        (self - self.filtered("scheme_id")).show_industry = False

    def _search_complete_name(self, operator, value):
        if operator not in ("ilike", "not ilike", "=", "!=", "like", "=ilike", "in"):
            return [("name", operator, value)]
        if operator == "in" or not isinstance(value, str) or " / " not in value:
            return [("name", operator, value)]
        # "East / Shang" finds Shanghai under East: the last part names the
        # category, the other parts its ancestors.
        *ancestors, leaf = (part.strip() for part in value.split(" / "))
        domain = [("name", operator, leaf)]
        prefix = "parent_id."
        for ancestor in reversed(ancestors):
            domain.append((f"{prefix}name", operator, ancestor))
            prefix += "parent_id."
        return domain

    @api.depends("code", "parent_id.complete_code")
    def _compute_complete_code(self):
        for category in self:
            if category.parent_id:
                category.complete_code = (
                    f"{category.parent_id.complete_code}{CODE_SEPARATOR}{category.code}"
                )
            else:
                category.complete_code = category.code

    @api.depends("sequence", "code", "parent_id.sort_path")
    def _compute_sort_path(self):
        for category in self:
            own = f"{category.sequence:08d}:{category.code or ''}/"
            category.sort_path = (category.parent_id.sort_path or "") + own

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_record_count(self):
        # Counted as the user, with their record rules: another company's
        # private records are neither shown nor counted.
        for category in self:
            scheme = category.scheme_id.sudo()
            Target = self.env[scheme._target_model()]
            if (
                category._origin.id
                and scheme.field_name in Target._fields
                and Target.has_access("read")
            ):
                # The carriers, as the side panel counts: a company's contacts
                # share its categories and would count it several times.
                category.record_count = Target.search_count(
                    [
                        *Target._cpc_carrier_domain(),
                        (scheme.field_name, "child_of", category._origin.id),
                    ]
                )
            else:
                category.record_count = 0

    def copy_data(self, default=None):
        # Codes are unique within a scheme: a copy needs its own.
        vals_list = super().copy_data(default=default)
        if "code" not in (default or {}):
            for category, vals in zip(self, vals_list, strict=True):
                vals["code"] = f"{category.code}_COPY"
                vals["name"] = self.env._("%(category)s (copy)", category=category.name)
        return vals_list

    @api.model_create_multi
    def create(self, vals_list):
        return super().create([trim_code(vals) for vals in vals_list])

    def write(self, vals):
        # A category's records keep it in their field of its scheme: moved to
        # another scheme (maybe another company's), they would hold a category
        # their field does not take, private to a company they may not be of.
        moving = self.filtered(
            lambda category: (
                "scheme_id" in vals and category.scheme_id.id != vals["scheme_id"]
            )
        )
        if moving:
            raise UserError(
                self.env._(
                    "The category %(category)s cannot move to another scheme: create "
                    "it in that scheme instead.",
                    category=moving[0].complete_name,
                )
            )
        res = super().write(trim_code(vals))
        # Rules place records in categories: the index of rules holds them.
        self.env["classification.scheme"]._cpc_clear_index()
        return res

    @api.constrains("parent_id", "scheme_id")
    def _check_parent(self):
        if self._has_cycle():
            raise ValidationError(
                self.env._(
                    "%(categories)s: a category cannot be its own ancestor.",
                    categories=", ".join(self.mapped("name")),
                )
            )
        for category in self:
            if (
                category.parent_id
                and category.parent_id.scheme_id != category.scheme_id
            ):
                raise ValidationError(
                    self.env._(
                        "%(category)s and its parent %(parent)s belong to different "
                        "schemes.",
                        category=category.name,
                        parent=category.parent_id.name,
                    )
                )

    @api.constrains("code", "scheme_id")
    def _check_code(self):
        for category in self:
            error = code_error(self.env, category.code, category.complete_name)
            if error:
                raise ValidationError(error)
            if CODE_SEPARATOR in category.code or ";" in category.code:
                raise ValidationError(
                    self.env._(
                        "The code %(code)s of %(category)s may not contain "
                        "'%(separator)s' or ';'.",
                        code=category.code,
                        category=category.name,
                        separator=CODE_SEPARATOR,
                    )
                )
        # Import files name categories by code, whatever its case.
        groups = self.with_context(active_test=False)._read_group(
            [("scheme_id", "in", self.scheme_id.ids)],
            ["scheme_id", "code"],
            ["__count"],
        )
        clashes = duplicate_codes(groups)
        for category in self:
            codes = clashes.get((category.scheme_id, category.code.casefold()))
            if codes:
                raise ValidationError(
                    self.env._(
                        "The code %(code)s is used twice in the scheme %(scheme)s "
                        "(case is ignored): %(codes)s.",
                        code=category.code,
                        scheme=category.scheme_id.name,
                        codes=", ".join(codes),
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        for scheme in self.scheme_id:
            categories = self.filtered(lambda c, s=scheme: c.scheme_id == s)
            if scheme._count_classified(categories, limit=1):
                used = categories.filtered(
                    lambda c, s=scheme: s._count_classified(c, limit=1)
                )[:1]
                raise UserError(
                    self.env._(
                        "Records are classified in %(category)s: archive the "
                        "category instead of deleting it.",
                        category=used.complete_name,
                    )
                )
        orphans = self.with_context(active_test=False).child_ids - self
        if orphans:
            raise UserError(
                self.env._(
                    "%(category)s has sub-categories: delete or move them first.",
                    category=orphans[0].parent_id.complete_name,
                )
            )

    def unlink(self):
        res = super().unlink()
        # Deleting a category deletes its rules (in the database).
        self.env["classification.scheme"]._cpc_clear_index()
        return res

    def action_open_records(self):
        self.ensure_one()
        model = self.scheme_id._target_model()
        return {
            "type": "ir.actions.act_window",
            "name": self.complete_name,
            "res_model": model,
            "view_mode": "list,form",
            "domain": [
                *self.env[model]._cpc_carrier_domain(),
                ("classification_category_ids", "child_of", self.id),
            ],
        }
