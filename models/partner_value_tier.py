# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import itertools
import math

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, float_compare

from ..utils.codes import code_error, duplicate_codes, trim_code

# Fields whose change can break a ladder.
LADDER_FIELDS = {
    "sequence",
    "active",
    "company_id",
    "revenue_share",
    "min_revenue",
    "min_orders",
    "min_rfm_score",
}
# Columns that keep a tier in use: a deleted tier would silently vanish from
# classifications, pins and history.
TIER_REFERENCES = (
    ("partner_classification", "computed_tier_id"),
    ("partner_classification", "manual_tier_id"),
    ("partner_classification", "tier_id"),
    ("partner_classification_history", "old_tier_id"),
    ("partner_classification_history", "new_tier_id"),
)
# Context key of the LadderCheck collecting the ladders changed by a write of
# whole ladders (see check_ladders_once).
LADDER_CHECK = "cpc_ladder_check"


class LadderCheck:
    """The companies whose ladder a write of whole ladders changed.

    It travels in the context, where no RPC call can put one (JSON carries no
    such object): a client cannot switch the ladder checks off.
    """

    def __init__(self):
        self.company_ids = set()
        self.open = True


def check_ladders_once(records, operation):
    """``operation(records)``, each ladder it changes checked once, at its end.

    A ladder written as a whole (one2many commands, Settings) passes through
    states that are no ladder (shares summing to 90 before the next tier gets
    its 10): the tiers and companies it changes are collected instead of
    checked, then checked together. Nested calls belong to the outermost one.
    """
    pending = records.env.context.get(LADDER_CHECK)
    if isinstance(pending, LadderCheck) and pending.open:
        return operation(records)
    pending = LadderCheck()
    try:
        result = operation(records.with_context(**{LADDER_CHECK: pending}))
    finally:
        pending.open = False
    companies = records.env["res.company"].browse(pending.company_ids).exists()
    companies._cpc_check_ladders()
    return result


class PartnerValueTier(models.Model):
    """A value tier customers are sorted into (A, B, C, D by default).

    Each company has its own ladder, checked as a whole after every change of
    its tiers, or once at the end of a write of the whole ladder (Settings, see
    check_ladders_once). Tiers in use are archived, not deleted. Which fields
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
    color = fields.Integer(aggregator=False)
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

    @api.constrains("code", "company_id")
    def _check_code(self):
        for tier in self:
            error = code_error(self.env, tier.code, tier.name)
            if error:
                raise ValidationError(error)
        groups = (
            self.sudo()
            .with_context(active_test=False)
            ._read_group(
                [("company_id", "in", self.company_id.ids)],
                ["company_id", "code"],
                ["__count"],
            )
        )
        clashes = duplicate_codes(groups)
        for tier in self:
            if (tier.company_id, tier.code.casefold()) in clashes:
                raise ValidationError(
                    self.env._(
                        "Company %(company)s already has a value tier with the code "
                        "%(code)s (case is ignored): choose another code for "
                        "%(tier)s.",
                        company=tier.company_id.display_name,
                        code=tier.code,
                        tier=tier.name,
                    )
                )

    @api.model
    def _check_finite(self, vals):
        # JSON-RPC carries NaN and Infinity, which rounding to the fields' digits
        # cannot handle: refuse them before they reach the fields.
        for fname in ("revenue_share", "min_revenue", "min_rfm_score"):
            value = vals.get(fname)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValidationError(
                    self.env._(
                        "Value tier %(tier)s: %(field)s must be a number.",
                        tier=vals.get("name") or ", ".join(self.mapped("name")),
                        field=self._fields[fname]._description_string(self.env),
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_finite(vals)
        tiers = super().create([trim_code(vals) for vals in vals_list])
        tiers.company_id._cpc_ladder_changed()
        return tiers

    def write(self, vals):
        self._check_finite(vals)
        vals = trim_code(vals)
        if "company_id" in vals:
            moving = self.filtered(
                lambda tier: tier.company_id.id != vals["company_id"]
            )
            if moving:
                raise UserError(
                    self.env._(
                        "Value tier %(tier)s belongs to %(company)s: create a tier in "
                        "the other company instead of moving it.",
                        tier=moving[0].name,
                        company=moving[0].company_id.display_name,
                    )
                )
        result = super().write(vals)
        if LADDER_FIELDS & vals.keys():
            self.company_id._cpc_ladder_changed()
        return result

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        used = self._cpc_used()
        if used:
            raise UserError(
                self.env._(
                    "Value tier %(tiers)s is used by customer classifications, pins "
                    "or their history: archive it instead of deleting it.",
                    tiers=", ".join(used.mapped("display_name")),
                )
            )

    def unlink(self):
        companies = self.company_id
        result = super().unlink()
        companies._cpc_ladder_changed()
        return result

    def _cpc_used(self):
        """The tiers among these that classifications or history rows name."""
        if not self.ids:
            return self.browse()
        self.env["partner.classification"].flush_model(
            ["computed_tier_id", "manual_tier_id", "tier_id"]
        )
        self.env["partner.classification.history"].flush_model(
            ["old_tier_id", "new_tier_id"]
        )
        query = SQL(" UNION ").join(
            SQL(
                "SELECT %(column)s FROM %(table)s WHERE %(column)s IN %(ids)s",
                column=SQL.identifier(column),
                table=SQL.identifier(table),
                ids=tuple(self.ids),
            )
            for table, column in TIER_REFERENCES
        )
        used_ids = {row[0] for row in self.env.execute_query(query)}
        return self.filtered(lambda tier: tier.id in used_ids)

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
        if not all(0 <= share <= 100 for share in shares) or float_compare(
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
            if not (math.isfinite(tier.min_revenue) and tier.min_revenue >= 0) or (
                tier.min_orders < 0
            ):
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
