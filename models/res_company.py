# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from markupsafe import Markup

from odoo import Command, api, fields, models
from odoo.exceptions import ValidationError

from .partner_rfm_segment import RFM_MAPS
from .partner_value_tier import LADDER_CHECK, LadderCheck, check_ladders_once

TIER_METHODS = [
    ("pareto", "Pareto share of revenue"),
    ("threshold", "Revenue and order thresholds"),
    ("rfm_score", "Weighted RFM score"),
]
# Bounds of the numeric settings (see readme/CONFIGURE.md).
MAX_ANALYSIS_MONTHS = 120
MAX_DAYS = 3650
MAX_ORDERS = 100000
MAX_AT_RISK_FACTOR = 100
MAX_RFM_WEIGHT = 100


class ResCompany(models.Model):
    _inherit = "res.company"

    cpc_analysis_months = fields.Integer(
        string="Analysis Window (Months)",
        default=24,
        help="Only sales within this many months before the reference date "
        "count towards customer and product classes.",
    )
    cpc_revenue_basis = fields.Selection(
        [
            ("order", "Confirmed sales orders"),
            ("invoice", "Posted invoices net of credit notes"),
        ],
        string="Revenue Basis",
        default="order",
        required=True,
    )
    cpc_amount_type = fields.Selection(
        [("untaxed", "Untaxed amount"), ("total", "Total amount")],
        string="Amount Counted",
        default="untaxed",
        required=True,
    )
    cpc_tier_method = fields.Selection(
        TIER_METHODS, string="Value Tier Method", default="pareto", required=True
    )
    cpc_value_tier_ids = fields.One2many(
        "partner.value.tier", "company_id", string="Value Tiers"
    )
    cpc_rfm_weight_recency = fields.Float(string="Recency Weight", default=1.0)
    cpc_rfm_weight_frequency = fields.Float(string="Frequency Weight", default=1.0)
    cpc_rfm_weight_monetary = fields.Float(string="Monetary Weight", default=1.0)
    cpc_rfm_map = fields.Selection(
        RFM_MAPS,
        string="RFM Segment Map",
        default="eleven",
        required=True,
        help="How R, F and M scores name customers: the eleven usual segments, or "
        "the eight classes of Chinese marketing (each score high from 4). The next "
        "run moves every customer to the chosen map.",
    )
    cpc_new_days = fields.Integer(
        string="New Customer Days",
        default=90,
        help="A customer whose first order is at most this many days old is new.",
    )
    cpc_loyal_min_orders = fields.Integer(
        string="Loyal Customer Orders",
        default=5,
        help="A recent customer with at least this many orders in the analysis "
        "window is loyal.",
    )
    cpc_at_risk_days = fields.Integer(
        string="At Risk After (Days)",
        default=90,
        help="A customer silent for longer than this, and longer than its usual "
        "interval between orders times the factor below, is at risk.",
    )
    cpc_at_risk_factor = fields.Float(
        string="At Risk Interval Factor",
        default=2.0,
        help="How many of its own average intervals between orders a customer may "
        "stay silent before it is at risk.",
    )
    cpc_churn_days = fields.Integer(
        string="Churned After (Days)",
        default=365,
        help="A customer silent for this many days is churned; if it orders again "
        "it is reactivated.",
    )

    @api.constrains(
        "cpc_analysis_months",
        "cpc_new_days",
        "cpc_loyal_min_orders",
        "cpc_at_risk_days",
        "cpc_at_risk_factor",
        "cpc_churn_days",
        "cpc_rfm_weight_recency",
        "cpc_rfm_weight_frequency",
        "cpc_rfm_weight_monetary",
    )
    def _check_cpc_analysis_months(self):
        for company in self:
            company._cpc_check_bounds(company._cpc_customer_bounds())

    def _cpc_check_bounds(self, bounds):
        """Refuse the first bound a setting breaks. ``bounds`` lists (whether the
        company keeps the bound, the error naming it): bounds keep the run's date
        arithmetic and SQL in range (a window of 100,000 months reaches before
        year 1), and are written so that NaN, which compares false with
        everything, fails them too."""
        for kept, message in bounds:
            if not kept:
                raise ValidationError(message())

    def _cpc_customer_bounds(self):
        self.ensure_one()
        company = self.display_name
        weights = self._cpc_rfm_weights()
        return [
            (
                1 <= self.cpc_analysis_months <= MAX_ANALYSIS_MONTHS,
                lambda: self.env._(
                    "The analysis window of company %(company)s must be between "
                    "1 and %(max)s months.",
                    company=company,
                    max=MAX_ANALYSIS_MONTHS,
                ),
            ),
            (
                1 <= self.cpc_new_days <= MAX_DAYS
                and 1 <= self.cpc_loyal_min_orders <= MAX_ORDERS,
                lambda: self.env._(
                    "Company %(company)s: the new customer days must be between 1 "
                    "and %(max_days)s, the loyal customer orders between 1 and "
                    "%(max_orders)s.",
                    company=company,
                    max_days=MAX_DAYS,
                    max_orders=MAX_ORDERS,
                ),
            ),
            (
                0 < self.cpc_at_risk_days < self.cpc_churn_days <= MAX_DAYS,
                lambda: self.env._(
                    "Company %(company)s: a customer must be at risk (after "
                    "%(at_risk)s days) before it is churned (after %(churn)s "
                    "days), and churned within %(max)s days.",
                    company=company,
                    at_risk=self.cpc_at_risk_days,
                    churn=self.cpc_churn_days,
                    max=MAX_DAYS,
                ),
            ),
            (
                1 <= self.cpc_at_risk_factor <= MAX_AT_RISK_FACTOR,
                lambda: self.env._(
                    "Company %(company)s: the at risk interval factor must be "
                    "between 1 and %(max)s.",
                    company=company,
                    max=MAX_AT_RISK_FACTOR,
                ),
            ),
            (
                all(0 <= weight <= MAX_RFM_WEIGHT for weight in weights)
                and sum(weights) > 0,
                lambda: self.env._(
                    "Company %(company)s: the RFM weights must be between 0 and "
                    "%(max)s, and at least one must be positive.",
                    company=company,
                    max=MAX_RFM_WEIGHT,
                ),
            ),
        ]

    @api.constrains("cpc_tier_method")
    def _check_cpc_tier_method(self):
        # A company being created has no ladder yet: it gets the default one right
        # after, and that write is checked.
        self.filtered("cpc_value_tier_ids")._cpc_ladder_changed()

    @api.constrains("cpc_value_tier_ids")
    def _check_cpc_value_tiers(self):
        self._cpc_ladder_changed()

    def _cpc_ladder_changed(self):
        """Check these companies' ladders now, or at the end of the write of
        whole ladders in progress (see check_ladders_once)."""
        pending = self.env.context.get(LADDER_CHECK)
        if isinstance(pending, LadderCheck) and pending.open:
            pending.company_ids.update(self.ids)
        else:
            self._cpc_check_ladders()

    def _cpc_check_ladders(self):
        """Refuse a ladder that is not one, naming its company.

        The whole ladder counts, whoever changed it: read as superuser, since
        record rules may hide some of its tiers from the user.
        """
        if not self:
            return
        tiers = (
            self.env["partner.value.tier"]
            .sudo()
            .with_context(active_test=True)
            .search([("company_id", "in", self.ids)])
        )
        for company in self:
            try:
                tiers.filtered(
                    lambda tier, c=company: tier.company_id == c
                )._check_ladder(company.sudo().cpc_tier_method)
            except ValidationError as error:
                raise ValidationError(
                    self.env._(
                        "Value tiers of company %(company)s: %(error)s",
                        company=company.display_name,
                        error=error.args[0],
                    )
                ) from error

    def write(self, vals):
        # The ladder and the tier method written together are checked together,
        # once, whatever the order of the one2many commands.
        if {"cpc_value_tier_ids", "cpc_tier_method"} & vals.keys():
            return check_ladders_once(self, lambda companies: super().write(vals))
        return super().write(vals)

    def _cpc_value_tiers(self):
        """The company's active value tiers, best first."""
        self.ensure_one()
        return self.cpc_value_tier_ids.filtered("active").sorted(
            lambda tier: (tier.sequence, tier.id)
        )

    def _cpc_rfm_weights(self):
        self.ensure_one()
        return (
            self.cpc_rfm_weight_recency,
            self.cpc_rfm_weight_frequency,
            self.cpc_rfm_weight_monetary,
        )

    @api.model_create_multi
    def create(self, vals_list):
        # A company created with its own ladder gets it checked as a whole.
        companies = check_ladders_once(
            self, lambda model: super().create(vals_list)
        ).with_env(self.env)
        # Whoever may create a company gets its default ladder, even without the
        # classification manager's rights on tiers.
        companies.sudo()._cpc_create_default_tiers()
        return companies

    def _cpc_create_default_tiers(self):
        """Give companies without tiers the default ladder."""
        for company in self.filtered(lambda c: not c.cpc_value_tier_ids):
            company.cpc_value_tier_ids = [
                Command.create(tier) for tier in self._cpc_default_tier_values()
            ]
            company.cpc_value_tier_ids._cpc_translate_default_names()

    @api.model
    def _cpc_default_tier_values(self):
        """The A/B/C/D ladder, valid for every tier method."""
        english = self.env["partner.value.tier"].with_context(lang="en_US")
        names = english._default_names()
        return [
            {
                "code": code,
                "name": names[code],
                "color": color,
                "sequence": 10 * index,
                "revenue_share": share,
                "min_revenue": min_revenue,
                "min_rfm_score": min_score,
            }
            for index, (code, color, share, min_revenue, min_score) in enumerate(
                [
                    # code, colour, revenue share, minimum revenue, minimum RFM score
                    ("A", 2, 80.0, 50000.0, 4.0),
                    ("B", 4, 15.0, 10000.0, 3.0),
                    ("C", 3, 4.0, 1000.0, 2.0),
                    ("D", 1, 1.0, 0.0, 0.0),
                ],
                start=1,
            )
        ]

    # ------------------------------------------------ scheduled run failures
    cpc_classification_error = fields.Text(
        string="Last Classification Error",
        readonly=True,
        copy=False,
        groups="customer_product_classification.group_classification_manager",
        help="Why the last scheduled classification of this company's customers "
        "failed; cleared when a run succeeds. The other companies are classified "
        "all the same.",
    )

    def _cpc_report_classification_error(self, message):
        """Keep a failed run's reason on the company, and tell its classification
        managers the first time this reason comes up (not on every retry)."""
        self.ensure_one()
        if self.sudo().cpc_classification_error == message:
            return
        self.sudo().cpc_classification_error = message
        managers = (
            self.env.ref("customer_product_classification.group_classification_manager")
            .sudo()
            .users.filtered(lambda user: self in user.company_ids)
        )
        if not managers:
            return
        # Each manager reads the subject and the advice in their own language;
        # the reason itself was worded once, in the language of the run.
        for lang, readers in managers.grouped(lambda user: user.lang).items():
            company = self.with_context(lang=lang)
            body = Markup("<p>%s</p><p>%s</p>") % (
                message,
                company.env._(
                    "The other companies were classified. Correct the configuration "
                    "in Settings, Classification: the error is shown there until a "
                    "run of %(company)s succeeds.",
                    company=self.name,
                ),
            )
            self.partner_id.sudo().message_notify(
                partner_ids=readers.partner_id.ids,
                subject=company.env._(
                    "Customers of %(company)s could not be classified",
                    company=self.name,
                ),
                body=body,
            )

    def _cpc_clear_classification_error(self):
        """A run succeeded: the last error no longer holds."""
        failed = self.sudo().filtered("cpc_classification_error")
        if failed:
            failed.cpc_classification_error = False


# ---------------------------------------------------------------- products
# Product classes (ABC profiles live in product.abc.profile; XYZ is set here).
MAX_XYZ_THRESHOLD = 100.0


class ResCompanyProductClasses(models.Model):
    _inherit = "res.company"

    cpc_xyz_months = fields.Integer(
        string="XYZ Window (Months)",
        default=12,
        help="The XYZ class measures how steadily a product sells over this many "
        "whole months before the reference date, months without sales counting as "
        "zero.",
    )
    cpc_xyz_x_max = fields.Float(
        string="X Up To",
        default=0.5,
        digits=(16, 2),
        help="Products whose coefficient of variation of monthly quantity is at "
        "most this are X (steady demand).",
    )
    cpc_xyz_y_max = fields.Float(
        string="Y Up To",
        default=1.0,
        digits=(16, 2),
        help="Products whose coefficient of variation is above the X limit and at "
        "most this are Y (variable demand); above it, Z (erratic demand).",
    )
    cpc_xyz_min_months = fields.Integer(
        string="XYZ Minimum History (Months)",
        default=6,
        help="A product first sold fewer whole months ago than this is marked as "
        "without enough history instead of getting an X, Y or Z class.",
    )
    cpc_product_classification_error = fields.Text(
        string="Last Product Classification Error",
        readonly=True,
        copy=False,
        groups="customer_product_classification.group_classification_manager",
        help="Why the last scheduled classification of this company's products "
        "failed; cleared when a run succeeds.",
    )

    @api.constrains(
        "cpc_xyz_months", "cpc_xyz_x_max", "cpc_xyz_y_max", "cpc_xyz_min_months"
    )
    def _check_cpc_xyz(self):
        for company in self:
            company._cpc_check_bounds(company._cpc_xyz_bounds())

    def _cpc_xyz_bounds(self):
        self.ensure_one()
        company = self.display_name
        return [
            (
                2 <= self.cpc_xyz_months <= MAX_ANALYSIS_MONTHS,
                lambda: self.env._(
                    "Company %(company)s: the XYZ window must be between 2 and "
                    "%(max)s months.",
                    company=company,
                    max=MAX_ANALYSIS_MONTHS,
                ),
            ),
            (
                1 <= self.cpc_xyz_min_months <= self.cpc_xyz_months,
                lambda: self.env._(
                    "Company %(company)s: the XYZ minimum history must be between "
                    "1 month and the XYZ window (%(months)s months).",
                    company=company,
                    months=self.cpc_xyz_months,
                ),
            ),
            (
                0 < self.cpc_xyz_x_max < self.cpc_xyz_y_max <= MAX_XYZ_THRESHOLD,
                lambda: self.env._(
                    "Company %(company)s: the XYZ limits must satisfy 0 < X "
                    "limit (%(x)s) < Y limit (%(y)s) ≤ %(max)s.",
                    company=company,
                    x=self.cpc_xyz_x_max,
                    y=self.cpc_xyz_y_max,
                    max=MAX_XYZ_THRESHOLD,
                ),
            ),
        ]

    @api.model_create_multi
    def create(self, vals_list):
        companies = super().create(vals_list)
        # Whoever may create a company gets its default ABC profile.
        self.env["product.abc.profile"].sudo()._create_default_profiles(companies)
        return companies

    @api.constrains("cpc_revenue_basis")
    def _check_cpc_margin_profiles(self):
        # Invoice lines carry no cost at the time of sale.
        profiles = (
            self.env["product.abc.profile"]
            .sudo()
            .search([("company_id", "in", self.ids), ("basis", "=", "margin")])
        )
        for profile in profiles:
            profile._check_margin_possible()
