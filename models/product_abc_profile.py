# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import Command, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_compare

from .res_company import MAX_ANALYSIS_MONTHS

ABC_BASES = [
    ("revenue", "Revenue"),
    ("margin", "Margin"),
    ("quantity", "Quantity"),
]
# Context key under which a profile's write checks its levels once, at the end
# (an object no RPC call can forge: JSON carries none).
LEVELS_CHECKED_BY_PROFILE = "cpc_abc_levels_checked_by_profile"
# The default Pareto split, seeded for every company, coloured as the customer
# tiers of the same letter.
DEFAULT_LEVELS = (("A", 80.0, 10, 2), ("B", 15.0, 20, 4), ("C", 5.0, 30, 3))


_PROFILE_WRITE = object()


class ProductAbcProfile(models.Model):
    """How one company sorts (some of) its products into ABC levels.

    Products are ranked by the profile's basis over its window, best first;
    the first ones making the first level's share of the total are in that
    level, and so on. A product in the categories of several profiles of its
    company is classified by the first of them (lowest sequence, then id).
    """

    _name = "product.abc.profile"
    _description = "Product ABC Profile"
    _order = "company_id, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(
        default=10,
        help="A product in the categories of several profiles is classified by "
        "the first one.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        ondelete="cascade",
        default=lambda self: self.env.company,
    )
    basis = fields.Selection(
        ABC_BASES,
        required=True,
        default="revenue",
        help="What ranks the products: revenue in company currency, margin "
        "(revenue less the cost recorded on the order line; needs the Sales "
        "Margin module and the order basis) or quantity in the product's unit "
        "of measure.",
    )
    analysis_months = fields.Integer(
        string="Analysis Window (Months)",
        required=True,
        default=12,
        help="Sales within this many months before the reference date count.",
    )
    categ_ids = fields.Many2many(
        "product.category",
        string="Product Categories",
        help="Only products of these categories and their subcategories; leave "
        "empty for every product.",
    )
    no_sales_class = fields.Boolean(
        string="Products Without Sales Apart",
        help="Products without a sale in the window get no ABC level but are "
        "marked as without sales; otherwise they get the last level.",
    )
    level_ids = fields.One2many(
        "product.abc.level", "profile_id", string="Levels", copy=True
    )

    @api.constrains("analysis_months")
    def _check_analysis_months(self):
        for profile in self:
            if not 1 <= profile.analysis_months <= MAX_ANALYSIS_MONTHS:
                raise ValidationError(
                    self.env._(
                        "The analysis window of ABC profile %(profile)s must be "
                        "between 1 and %(max)s months.",
                        profile=profile.display_name,
                        max=MAX_ANALYSIS_MONTHS,
                    )
                )

    @api.constrains("basis", "company_id")
    def _check_margin_basis(self):
        for profile in self.filtered(lambda p: p.basis == "margin"):
            profile._check_margin_possible()

    def _check_margin_possible(self):
        """The margin basis needs the cost of each sale: refuse it clearly where
        there is none (no Sales Margin module, or the invoice basis, whose lines
        carry no cost at the time of sale)."""
        self.ensure_one()
        # sale_margin records the cost of each order line; this addon does not
        # depend on it.
        if not self.env["classification.engine"]._cpc_has_sale_cost():
            raise ValidationError(
                self.env._(
                    "ABC profile %(profile)s cannot rank products by margin: "
                    "install the Sales Margin module (sale_margin), which records "
                    "the cost of each order line, or choose revenue or quantity.",
                    profile=self.display_name,
                )
            )
        if self.sudo().company_id.cpc_revenue_basis == "invoice":
            raise ValidationError(
                self.env._(
                    "ABC profile %(profile)s cannot rank products by margin: "
                    "company %(company)s counts posted invoices, whose lines carry "
                    "no cost at the time of sale. Count confirmed sales orders, or "
                    "choose revenue or quantity.",
                    profile=self.display_name,
                    company=self.company_id.display_name,
                )
            )

    @api.constrains("level_ids", "active")
    def _check_levels(self):
        for profile in self.filtered("active"):
            profile._check_level_split()

    def _check_level_split(self):
        """Levels make one split of the whole: each share positive, shares
        summing to 100, codes unique within the profile."""
        self.ensure_one()
        levels = self.sudo().level_ids
        if not levels:
            raise ValidationError(
                self.env._(
                    "ABC profile %(profile)s needs at least one level.",
                    profile=self.display_name,
                )
            )
        not_positive = levels.filtered(lambda level: not level.share > 0)
        if not_positive:
            raise ValidationError(
                self.env._(
                    "ABC profile %(profile)s: the share of level %(level)s must be "
                    "positive.",
                    profile=self.display_name,
                    level=not_positive[0].display_name,
                )
            )
        total = sum(levels.mapped("share"))
        if float_compare(total, 100.0, precision_digits=2):
            raise ValidationError(
                self.env._(
                    "ABC profile %(profile)s: the shares of its levels sum to "
                    "%(total)s %%, not 100 %%.",
                    profile=self.display_name,
                    total=round(total, 2),
                )
            )
        codes = [level.code.strip().upper() for level in levels]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            raise ValidationError(
                self.env._(
                    "ABC profile %(profile)s: level code %(code)s is used twice.",
                    profile=self.display_name,
                    code=duplicates[0],
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        # The constraint on level_ids checks each new profile's split as a whole.
        checked = self.with_context(**{LEVELS_CHECKED_BY_PROFILE: _PROFILE_WRITE})
        return super(ProductAbcProfile, checked).create(vals_list).with_env(self.env)

    def write(self, vals):
        # Levels rewritten through the profile (its form) pass through splits
        # that are not one (A 70 before B gets 25): they are checked together
        # by the constraint on level_ids, not one by one.
        if "level_ids" in vals:
            checked = self.with_context(**{LEVELS_CHECKED_BY_PROFILE: _PROFILE_WRITE})
            return super(ProductAbcProfile, checked).write(vals)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        # Deleting a profile deletes its levels in SQL (cascade), past the
        # levels' own check: classifications and products would point at
        # levels that no longer exist.
        self.level_ids._unlink_except_in_use()

    def _levels(self):
        """The profile's levels, best first."""
        self.ensure_one()
        return self.level_ids.sorted(lambda level: (level.sequence, level.id))

    def _check_runnable(self):
        """Refuse, naming the profile, a run this profile cannot make."""
        for profile in self:
            try:
                profile._check_level_split()
                if profile.basis == "margin":
                    profile._check_margin_possible()
            except ValidationError as error:
                raise UserError(error.args[0]) from error

    @api.model
    def _default_name(self):
        return self.env._("Products by revenue")

    @api.model
    def _default_values(self, company):
        english = self.with_context(lang="en_US")
        return {
            "name": english._default_name(),
            "company_id": company.id,
            "basis": "revenue",
            "level_ids": [
                Command.create(
                    {
                        "code": code,
                        "name": code,
                        "share": share,
                        "sequence": seq,
                        "color": color,
                    }
                )
                for code, share, seq, color in DEFAULT_LEVELS
            ],
        }

    @api.model
    def _create_default_profiles(self, companies=None):
        """Give every company without an ABC profile (archived ones count) the
        default A 80 / B 15 / C 5 split on revenue."""
        if companies is None:
            # Companies are few.
            companies = self.env["res.company"].search([])  # pylint: disable=no-search-all
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                "SELECT DISTINCT company_id FROM product_abc_profile "
                "WHERE company_id = ANY(%s)",
                companies.ids,
            )
        )
        have = {company_id for (company_id,) in rows}
        missing = companies.filtered(lambda company: company.id not in have)
        profiles = self.sudo().create([self._default_values(c) for c in missing])
        profiles._cpc_translate_default_names()
        return profiles

    def _cpc_translate_default_names(self):
        """Name the default profiles among these in every installed language.

        They are created in code, so the .po files never reach them: called when
        they are created and when a language is installed later. A profile
        renamed by the user keeps its name."""
        english = self.with_context(lang="en_US")
        defaults = english.filtered(
            lambda profile: profile.name == english._default_name()
        )
        if not defaults:
            return
        translations = {
            lang: self.with_context(lang=lang)._default_name()
            for lang, _label in self.env["res.lang"].get_installed()
            if lang != "en_US"
        }
        if translations:
            for profile in defaults:
                profile.update_field_translations("name", translations)


class ProductAbcLevel(models.Model):
    """One ABC level of a profile: its code and its share of the basis."""

    _name = "product.abc.level"
    _description = "Product ABC Level"
    _order = "profile_id, sequence, id"
    _rec_name = "code"

    profile_id = fields.Many2one(
        "product.abc.profile", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="profile_id.company_id", store=True, index=True
    )
    code = fields.Char(required=True, size=8, help="Short code, such as A, B or C.")
    name = fields.Char(translate=True)
    sequence = fields.Integer(default=10, help="Best level first.")
    share = fields.Float(
        string="Share (%)",
        digits=(5, 2),
        required=True,
        help="Share of the profile's total (revenue, margin or quantity) its "
        "products make, counted from the best product down. The shares of a "
        "profile's levels sum to 100.",
    )
    color = fields.Integer(aggregator=False)

    @api.depends("code", "name")
    def _compute_display_name(self):
        for level in self:
            if level.name and level.name != level.code:
                level.display_name = f"{level.code} - {level.name}"
            else:
                level.display_name = level.code or ""

    def _levels_checked_by_profile(self):
        return self.env.context.get(LEVELS_CHECKED_BY_PROFILE) is _PROFILE_WRITE

    @api.model_create_multi
    def create(self, vals_list):
        levels = super().create(vals_list)
        if not self._levels_checked_by_profile():
            levels.profile_id.filtered("active")._check_level_split()
        return levels

    def write(self, vals):
        profiles = self.profile_id
        result = super().write(vals)
        if not self._levels_checked_by_profile():
            (profiles | self.profile_id).filtered("active")._check_level_split()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        # A level in use stays: classifications, pins and history point at it.
        used = (
            self.env["product.classification"]
            .sudo()
            .search_count(
                [
                    "|",
                    "|",
                    ("computed_abc_level_id", "in", self.ids),
                    ("manual_abc_level_id", "in", self.ids),
                    ("abc_level_id", "in", self.ids),
                ],
                limit=1,
            )
        )
        if used:
            raise UserError(
                self.env._(
                    "Level %(level)s of ABC profile %(profile)s classifies products: "
                    "change its share, or archive the profile, rather than deleting "
                    "it.",
                    level=self[0].display_name,
                    profile=self[0].profile_id.display_name,
                )
            )

    def unlink(self):
        profiles = self.profile_id
        result = super().unlink()
        if not self._levels_checked_by_profile():
            profiles.exists().filtered("active")._check_level_split()
        return result
