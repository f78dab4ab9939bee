# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import itertools

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import float_compare


class PartnerValueTier(models.Model):
    """A value tier customers are sorted into (A, B, C, D by default).

    Each company has its own ladder, edited as a whole in Settings so that it is
    checked as a whole (see res.company._check_cpc_value_tiers). Which fields
    matter depends on the company's tier method: the revenue share for Pareto,
    the minimum revenue and order count for thresholds, the minimum weighted RFM
    score for the RFM method.
    """

    _name = "partner.value.tier"
    _description = "Customer Value Tier"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, size=8)
    sequence = fields.Integer(default=10, help="Best tier first.")
    color = fields.Integer()
    active = fields.Boolean(default=True)
    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        ondelete="cascade",
        default=lambda self: self.env.company,
    )
    description = fields.Text(translate=True)
    revenue_share = fields.Float(
        string="Revenue Share (%)",
        digits=(5, 2),
        help="Pareto method: the share of revenue this tier's customers make, "
        "counted from the best customer down. The shares of a company's tiers sum "
        "to 100.",
    )
    min_revenue = fields.Float(
        string="Minimum Revenue",
        help="Threshold method: revenue in the analysis window, in company "
        "currency, a customer needs to reach this tier.",
    )
    min_orders = fields.Integer(
        string="Minimum Orders",
        help="Threshold method: orders in the analysis window a customer needs "
        "to reach this tier.",
    )
    min_rfm_score = fields.Float(
        string="Minimum Weighted RFM Score",
        digits=(3, 2),
        help="RFM score method: weighted mean of the R, F and M scores (1 to 5) a "
        "customer needs to reach this tier.",
    )

    _sql_constraints = [
        (
            "code_company_uniq",
            "unique (code, company_id)",
            "The code of a value tier must be unique per company.",
        ),
    ]

    @api.model
    def _default_names(self):
        """The names of the default tiers, in the environment's language."""
        return {
            "A": self.env._("A - Key"),
            "B": self.env._("B - Major"),
            "C": self.env._("C - Regular"),
            "D": self.env._("D - Occasional"),
        }

    def _cpc_translate_default_names(self):
        """Name the default tiers among these in every installed language."""
        english = self.with_context(lang="en_US")._default_names()
        for lang, _label in self.env["res.lang"].get_installed():
            if lang == "en_US":
                continue
            names = self.with_context(lang=lang)._default_names()
            for tier in self.with_context(lang="en_US"):
                if english.get(tier.code) == tier.name:
                    tier.update_field_translations("name", {lang: names[tier.code]})

    def _check_ladder(self, method):
        """Refuse a ladder (one company's tiers, best first) in which a customer
        would fall in two tiers or a tier could never be reached, for the fields
        the tier method uses: shares must sum to 100, thresholds must fall tier by
        tier."""
        if not self:
            raise ValidationError(
                self.env._("Each company needs at least one active value tier.")
            )
        if method == "pareto":
            self._check_ladder_shares()
        elif method == "threshold":
            self._check_ladder_thresholds()
        else:
            self._check_ladder_scores()

    def _check_ladder_shares(self):
        shares = self.mapped("revenue_share")
        if any(share < 0 for share in shares) or float_compare(
            sum(shares), 100.0, precision_digits=2
        ):
            raise ValidationError(
                self.env._(
                    "The revenue shares of the value tiers %(tiers)s must be positive "
                    "and sum to 100%%; they sum to %(total)s%%.",
                    tiers=", ".join(self.mapped("name")),
                    total=round(sum(shares), 2),
                )
            )

    def _check_ladder_thresholds(self):
        for tier in self:
            if tier.min_revenue < 0 or tier.min_orders < 0:
                raise ValidationError(
                    self.env._(
                        "The thresholds of value tier %(tier)s cannot be negative.",
                        tier=tier.name,
                    )
                )
        for better, worse in itertools.pairwise(self):
            revenue_down = worse.min_revenue <= better.min_revenue
            orders_down = worse.min_orders <= better.min_orders
            strictly = (worse.min_revenue, worse.min_orders) != (
                better.min_revenue,
                better.min_orders,
            )
            if not (revenue_down and orders_down and strictly):
                raise ValidationError(
                    self.env._(
                        "Value tier %(worse)s comes after %(better)s, so its minimum "
                        "revenue and minimum orders must be lower or equal, and at "
                        "least one of them lower.",
                        worse=worse.name,
                        better=better.name,
                    )
                )

    def _check_ladder_scores(self):
        for tier in self:
            if not 0 <= tier.min_rfm_score <= 5:
                raise ValidationError(
                    self.env._(
                        "The minimum weighted RFM score of value tier %(tier)s must "
                        "be between 0 and 5.",
                        tier=tier.name,
                    )
                )
        for better, worse in itertools.pairwise(self):
            if worse.min_rfm_score >= better.min_rfm_score:
                raise ValidationError(
                    self.env._(
                        "Value tier %(worse)s comes after %(better)s, so its minimum "
                        "weighted RFM score must be lower.",
                        worse=worse.name,
                        better=better.name,
                    )
                )
