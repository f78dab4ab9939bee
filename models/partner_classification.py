# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..utils import locks
from ..utils.subject import Subject, Tracked

# Who may see a customer's value: tiers, segments, stages, metrics, pins.
CLASSIFICATION_USER = "customer_product_classification.group_classification_user"
CLASSIFY_CRON = "customer_product_classification.ir_cron_classify_customers"

LIFECYCLE_STAGES = [
    ("prospect", "Prospect"),
    ("new", "New"),
    # Not "Active": that word is the archive toggle of every Odoo record, and
    # translates as such.
    ("active", "Active Customer"),
    ("loyal", "Loyal"),
    ("at_risk", "At Risk"),
    ("churned", "Churned"),
    ("reactivated", "Reactivated"),
]

# Columns the engine computes; a run rewrites a row only when one of them changed.
COMPUTED_COLUMNS = (
    "first_order_date",
    "last_order_date",
    "order_count",
    "revenue",
    "average_order_value",
    "average_interval_days",
    "return_date",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "rfm_code",
    "segment_id",
    "computed_tier_id",
    "computed_stage",
)
CUSTOMERS = Subject(
    key="partner_id",
    record_model="res.partner",
    history_model="partner.classification.history",
    computed_columns=COMPUTED_COLUMNS,
    tracked=(
        Tracked(
            "tier", "tier_id", "computed_tier_id", "manual_tier_id", "value_tier_id"
        ),
        Tracked("segment", "segment_id", mirror="rfm_segment_id"),
        Tracked("stage", "stage", "computed_stage", "manual_stage", "lifecycle_stage"),
    ),
)


class PartnerClassification(models.Model):
    """How valuable a customer is for one company, and how it behaves.

    One row per commercial partner and company, kept by the classification
    engine (classification.engine, through classification.result.mixin): this
    model describes the subject (:data:`CUSTOMERS`) and builds the customers'
    metrics, RFM scores, segment, tier and stage from the shared facts query in
    :meth:`_cpc_result_query`.
    """

    _name = "partner.classification"
    _inherit = "classification.result.mixin"
    _description = "Customer Classification"
    _order = "company_id, revenue desc, id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    classified_on = fields.Date(
        help="Reference date of the last run that changed this customer's figures "
        "or classes: they hold for that day, and for later runs that found no "
        "change. Days since the last order count to it."
    )

    first_order_date = fields.Date(readonly=True)
    last_order_date = fields.Date(readonly=True)
    recency_days = fields.Integer(
        string="Days Since Last Order",
        compute="_compute_recency_days",
        help="Days from the last order to the day the classes were computed for "
        "(Classified On).",
    )
    order_count = fields.Integer(
        string="Orders", readonly=True, help="Orders in the analysis window."
    )
    revenue = fields.Monetary(
        readonly=True, help="Revenue in the analysis window, in company currency."
    )
    average_order_value = fields.Monetary(readonly=True)
    average_interval_days = fields.Float(
        string="Average Days Between Orders", digits=(16, 1), readonly=True
    )
    return_date = fields.Date(
        string="Reactivated On",
        readonly=True,
        help="Last time the customer ordered again after being silent long enough "
        "to count as churned.",
    )

    recency_score = fields.Integer(
        string="R",
        readonly=True,
        aggregator="avg",
        help="1 to 5 by the rank of the last order date among the company's "
        "customers with orders in the window; equal values share the lowest score "
        "of the ranks they span, and when all are equal every customer scores 3.",
    )
    frequency_score = fields.Integer(
        string="F",
        readonly=True,
        aggregator="avg",
        help="1 to 5 by the rank of the number of orders in the window; customers "
        "with the same number share the lowest score of the ranks they span (where "
        "half bought once, they score 1), and when all are equal every customer "
        "scores 3.",
    )
    monetary_score = fields.Integer(
        string="M",
        readonly=True,
        aggregator="avg",
        help="1 to 5 by the rank of the revenue in the window; equal values share "
        "the lowest score of the ranks they span, and when all are equal every "
        "customer scores 3.",
    )
    rfm_code = fields.Char(string="RFM Code", readonly=True, index=True)
    segment_id = fields.Many2one(
        "partner.rfm.segment", string="RFM Segment", readonly=True, index=True
    )

    computed_tier_id = fields.Many2one(
        "partner.value.tier", string="Computed Tier", readonly=True
    )
    manual_tier_id = fields.Many2one(
        "partner.value.tier",
        string="Pinned Tier",
        domain="[('company_id', '=', company_id)]",
    )
    tier_id = fields.Many2one(
        "partner.value.tier",
        string="Value Tier",
        compute="_compute_effective_classes",
        store=True,
        index=True,
    )
    computed_stage = fields.Selection(
        LIFECYCLE_STAGES, string="Computed Stage", readonly=True
    )
    manual_stage = fields.Selection(LIFECYCLE_STAGES, string="Pinned Stage")
    stage = fields.Selection(
        LIFECYCLE_STAGES,
        string="Lifecycle Stage",
        compute="_compute_effective_classes",
        store=True,
        index=True,
    )
    history_ids = fields.One2many(
        "partner.classification.history", "classification_id", string="History"
    )

    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique (partner_id, company_id)",
            "A customer has one classification per company.",
        ),
    ]

    @api.model
    def _cpc_subject(self):
        return CUSTOMERS

    @api.model
    def _cpc_subject_label(self):
        return self.env._("Customers")

    @api.depends("last_order_date", "classified_on")
    def _compute_recency_days(self):
        for record in self:
            last, day = record.last_order_date, record.classified_on
            record.recency_days = (day - last).days if last and day else 0

    @api.constrains("manual_tier_id", "company_id")
    def _check_pin_tier_company(self):
        for record in self:
            tier = record.manual_tier_id
            if tier and tier.company_id != record.company_id:
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s belongs to another company than the "
                        "classification of %(customer)s.",
                        tier=tier.display_name,
                        customer=record.partner_id.display_name,
                    )
                )

    @api.constrains("manual_tier_id")
    def _check_pin_tier_active(self):
        # Only when the pin is set: a tier archived later keeps its pins until
        # they lapse or a manager moves them.
        for record in self:
            if record.manual_tier_id and not record.manual_tier_id.active:
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s is archived: the class of %(customer)s cannot "
                        "be pinned to it.",
                        tier=record.manual_tier_id.display_name,
                        customer=record.partner_id.display_name,
                    )
                )

    # ------------------------------------------------------------ running
    @api.model
    def _cpc_classify(
        self,
        company,
        reference_date=None,
        partners=None,
        source="scheduled",
        limit=None,
        preview=False,
    ):
        """Classify the customers of one company from its sales: see
        classification.engine._cpc_run; ``partners`` are commercial partners."""
        return self._cpc_run(
            company,
            reference_date=reference_date,
            records=partners,
            source=source,
            limit=limit,
            preview=preview,
        )

    @api.model
    def _cron_classify_customers(self):
        """Scheduled classification of every company's customers, in batches
        (see classification.engine._cpc_cron_run)."""
        return self._cpc_cron_run(CLASSIFY_CRON)

    @api.model
    def _cpc_lock(self, company):
        locks.lock_company_classification(self.env, company)

    @api.model
    def _cpc_report_failure(self, company, message):
        company._cpc_report_classification_error(message)

    @api.model
    def _cpc_clear_failure(self, company):
        company._cpc_clear_classification_error()

    @api.model
    def _cpc_note_records_condition(self):
        # Under Odoo's partner rule a partner of an internal user is read by
        # every company.
        return SQL("AND r.partner_share")

    @api.model
    def _cpc_prepare_run(self, company, reference_date):
        tiers = company._cpc_value_tiers()
        try:
            tiers._check_ladder(company.cpc_tier_method)
        except ValidationError as error:
            raise UserError(
                self.env._(
                    "Customers of %(company)s cannot be classified: %(error)s",
                    company=company.name,
                    error=error.args[0],
                )
            ) from error
        return {"tiers": tiers}

    # -------------------------------------------------------------- query
    @api.model
    def _cpc_scope_query(self, company):
        """Commercial partners to classify besides those who bought: those with
        quotations or cancelled orders of the company (prospects) and those
        classified before (so that they move when their orders are cancelled).
        Confirmed orders are left out: their customers are in the facts already,
        and the index on the state keeps this to the few other orders."""
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id
              FROM sale_order o
              JOIN res_partner p ON p.id = o.partner_id
             WHERE o.company_id = %(company)s
               AND o.state IN ('draft', 'sent', 'cancel')
             UNION
            SELECT c.partner_id FROM partner_classification c
             WHERE c.company_id = %(company)s
            """,
            company=company.id,
        )

    @api.model
    def _cpc_tier_expression(self, company, tiers):
        """The computed tier of a scored customer (alias s): the first of the
        ladder whose rule it meets, as one CASE over the few tiers."""
        weights = company._cpc_rfm_weights()
        whens = []
        upper = 0.0
        for index, tier in enumerate(tiers):
            upper += tier.revenue_share / 100.0
            last = index == len(tiers) - 1
            if company.cpc_tier_method == "pareto":
                # Customers who make the first N% of revenue, best first; ties
                # by id.
                condition = (
                    SQL("TRUE")
                    if last
                    else SQL("s.revenue_before < %s::numeric * s.revenue_total", upper)
                )
            elif company.cpc_tier_method == "threshold":
                condition = SQL(
                    "s.revenue >= %s::numeric AND s.order_count >= %s",
                    tier.min_revenue,
                    tier.min_orders,
                )
            else:
                condition = SQL(
                    "ROUND((%s * s.r + %s * s.f + %s * s.m)::numeric / %s, 4) "
                    ">= %s::numeric",
                    *weights,
                    sum(weights),
                    tier.min_rfm_score,
                )
            whens.append(SQL("WHEN %s THEN %s", condition, tier.id))
        return SQL(
            "CASE WHEN s.partner_id IS NULL THEN NULL %s END", SQL(" ").join(whens)
        )

    @api.model
    def _cpc_segment_join(self, company):
        """The join giving a scored customer (alias s, scores r, f, m) its RFM
        segment as ``cell.segment_id``."""
        return SQL(
            """
            LEFT JOIN partner_rfm_cell cell
                   ON cell.rfm_map = %s
                  AND cell.recency_score = s.r AND cell.frequency_score = s.f
                  AND cell.monetary_score = s.m
            """,
            company.cpc_rfm_map,
        )

    @api.model
    def _cpc_result_query(self, company, reference_date, prepared):
        """Every customer's metrics, scores and computed classes, in one query:
        the shared line facts summed per order, then per customer."""
        window_start = reference_date - relativedelta(
            months=company.cpc_analysis_months
        )
        return SQL(
            """
            WITH facts AS (%(facts)s),
            orders AS (
                SELECT partner_id, order_id, MIN(day) AS day,
                       bool_or(is_order) AS is_order, SUM(amount) AS amount
                  FROM facts GROUP BY partner_id, order_id
            ),
            gaps AS (
                SELECT partner_id, day, amount, is_order,
                       CASE WHEN is_order THEN day - LAG(day) OVER (
                           PARTITION BY partner_id, is_order ORDER BY day) END AS gap
                  FROM orders
            ),
            metrics AS (
                SELECT partner_id,
                       MIN(day) FILTER (WHERE is_order) AS first_order_date,
                       MAX(day) FILTER (WHERE is_order) AS last_order_date,
                       COUNT(*) FILTER (WHERE is_order AND day >= %(window_start)s)
                           AS order_count,
                       MIN(day) FILTER (WHERE is_order AND day >= %(window_start)s)
                           AS first_window_date,
                       MAX(day) FILTER (WHERE gap >= %(churn_days)s) AS return_date,
                       ROUND(COALESCE(SUM(amount) FILTER (
                           WHERE day >= %(window_start)s), 0)::numeric, 2) AS revenue
                  FROM gaps GROUP BY partner_id
            ),
            base AS (
                SELECT scope.partner_id, m.first_order_date, m.last_order_date,
                       COALESCE(m.order_count, 0) AS order_count, m.first_window_date,
                       m.return_date, COALESCE(m.revenue, 0) AS revenue
                  FROM (SELECT partner_id FROM metrics
                         WHERE last_order_date IS NOT NULL
                         UNION %(scope)s) scope
                  JOIN res_partner partner ON partner.id = scope.partner_id
                  LEFT JOIN metrics m ON m.partner_id = scope.partner_id
                 WHERE partner.active OR m.last_order_date IS NOT NULL
            ),
            scored AS (
                SELECT partner_id, revenue, order_count,
                       %(r)s AS r, %(f)s AS f, %(m)s AS m,
                       SUM(revenue) OVER (ORDER BY revenue DESC, partner_id
                                          ROWS UNBOUNDED PRECEDING) - revenue
                           AS revenue_before,
                       SUM(revenue) OVER () AS revenue_total
                  FROM base WHERE order_count > 0
            )
            SELECT b.partner_id, b.first_order_date, b.last_order_date, b.order_count,
                   b.revenue, b.return_date,
                   CASE WHEN b.order_count > 0
                        THEN ROUND(b.revenue / b.order_count, 2) END
                       AS average_order_value,
                   CASE WHEN b.order_count > 1
                        THEN ROUND((b.last_order_date - b.first_window_date)::numeric
                                   / (b.order_count - 1), 2) END
                       AS average_interval_days,
                   s.r AS recency_score, s.f AS frequency_score,
                   s.m AS monetary_score,
                   s.r::text || s.f::text || s.m::text AS rfm_code,
                   cell.segment_id,
                   %(tier)s AS computed_tier_id,
                   CASE
                       WHEN b.last_order_date IS NULL THEN 'prospect'
                       WHEN %(today)s - b.last_order_date >= %(churn_days)s
                           THEN 'churned'
                       WHEN %(today)s - b.last_order_date > GREATEST(
                           %(at_risk_days)s,
                           %(at_risk_factor)s
                               * (b.last_order_date - b.first_window_date)
                               / NULLIF(b.order_count - 1, 0)
                       ) THEN 'at_risk'
                       WHEN %(today)s - b.return_date <= %(new_days)s THEN 'reactivated'
                       WHEN %(today)s - b.first_order_date <= %(new_days)s THEN 'new'
                       WHEN b.order_count >= %(loyal_orders)s THEN 'loyal'
                       ELSE 'active'
                   END::varchar AS computed_stage
              FROM base b
              LEFT JOIN scored s ON s.partner_id = b.partner_id
              %(segment_join)s
            """,
            facts=self._cpc_facts_query(company, reference_date),
            scope=self._cpc_scope_query(company),
            r=self._cpc_score_sql(SQL("last_order_date")),
            f=self._cpc_score_sql(SQL("order_count")),
            m=self._cpc_score_sql(SQL("revenue")),
            tier=self._cpc_tier_expression(company, prepared["tiers"]),
            segment_join=self._cpc_segment_join(company),
            window_start=window_start,
            today=reference_date,
            churn_days=company.cpc_churn_days,
            at_risk_days=company.cpc_at_risk_days,
            at_risk_factor=company.cpc_at_risk_factor,
            new_days=company.cpc_new_days,
            loyal_orders=company.cpc_loyal_min_orders,
        )
