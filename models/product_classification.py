# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from ..utils.subject import Subject, Tracked

# Demand classes. Products without a sale in the XYZ window, or first sold too
# recently, get no X, Y or Z: a coefficient of variation over two months of a
# new product, or over nothing, would be a guess.
XYZ_CLASSES = [
    ("x", "X"),
    ("y", "Y"),
    ("z", "Z"),
    ("short", "Not enough history"),
    ("none", "No demand"),
]
XYZ_LETTERS = {"x": "X", "y": "Y", "z": "Z"}
CLASSIFICATION_USER = "customer_product_classification.group_classification_user"
CLASSIFY_PRODUCTS_CRON = "customer_product_classification.ir_cron_classify_products"
PRODUCT_SUBJECT = Subject(
    key="product_tmpl_id",
    record_model="product.template",
    history_model="product.classification.history",
    computed_columns=(
        "profile_id",
        "revenue",
        "margin",
        "quantity",
        "share",
        "cumulative_share",
        "first_sale_date",
        "sale_months",
        "monthly_mean",
        "monthly_cv",
        "no_sales",
        "computed_abc_level_id",
        "computed_xyz_class",
    ),
    tracked=(
        Tracked(
            "abc",
            "abc_level_id",
            computed="computed_abc_level_id",
            manual="manual_abc_level_id",
            mirror="abc_level_id",
        ),
        Tracked(
            "xyz",
            "xyz_class",
            computed="computed_xyz_class",
            manual="manual_xyz_class",
            mirror="xyz_class",
        ),
    ),
)


class ProductClassification(models.Model):
    """How much one product template makes for one company (ABC) and how steadily
    it sells (XYZ).

    One row per product template and company: the sales of all its variants
    count together, quantities converted to the template's unit of measure.
    """

    _name = "product.classification"
    _inherit = ["classification.result.mixin"]
    _description = "Product Classification"
    _order = "company_id, cumulative_share, id"
    _rec_name = "product_tmpl_id"

    product_tmpl_id = fields.Many2one(
        "product.template",
        string="Product",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    uom_id = fields.Many2one(related="product_tmpl_id.uom_id", string="Unit")
    categ_id = fields.Many2one(
        related="product_tmpl_id.categ_id", string="Product Category", store=True
    )
    profile_id = fields.Many2one(
        "product.abc.profile",
        string="ABC Profile",
        readonly=True,
        index=True,
        help="The profile that ranked this product: the first (by sequence) whose "
        "categories include it.",
    )
    abc_basis = fields.Selection(related="profile_id.basis", string="ABC Basis")

    revenue = fields.Monetary(
        readonly=True,
        help="Revenue in the profile's window, in company currency.",
    )
    margin = fields.Monetary(
        readonly=True,
        help="Revenue less the cost recorded on the order lines, in the profile's "
        "window (margin profiles only).",
    )
    quantity = fields.Float(
        digits="Product Unit of Measure",
        readonly=True,
        help="Quantity sold in the profile's window, in the product's unit of measure.",
    )
    share = fields.Float(
        string="Share (%)",
        digits=(16, 4),
        readonly=True,
        aggregator="sum",
        help="Share of the profile's total (revenue, margin or quantity) this "
        "product makes.",
    )
    cumulative_share = fields.Float(
        string="Cumulative Share (%)",
        digits=(16, 4),
        readonly=True,
        aggregator="max",
        help="Share made by this product and every better-ranked one of its profile.",
    )
    first_sale_date = fields.Date(
        string="First Sale",
        readonly=True,
        help="First sale within the months a run reads (the longest of the ABC "
        "profile's and the XYZ window).",
    )
    sale_months = fields.Integer(
        string="Months With Sales",
        readonly=True,
        help="Months of the XYZ window in which the product sold.",
    )
    monthly_mean = fields.Float(
        string="Mean Monthly Quantity",
        digits=(16, 4),
        readonly=True,
        aggregator="avg",
    )
    monthly_cv = fields.Float(
        string="Coefficient of Variation",
        digits=(16, 4),
        readonly=True,
        aggregator="avg",
        help="Standard deviation of the monthly quantity divided by its mean, "
        "over the XYZ window, months without sales counting as zero.",
    )
    no_sales = fields.Boolean(
        string="Without Sales",
        readonly=True,
        help="No sale in the profile's window.",
    )

    computed_abc_level_id = fields.Many2one(
        "product.abc.level", string="Computed ABC Class", readonly=True
    )
    manual_abc_level_id = fields.Many2one(
        "product.abc.level",
        string="Pinned ABC Class",
        domain="[('company_id', '=', company_id)]",
    )
    abc_level_id = fields.Many2one(
        "product.abc.level",
        string="ABC Class",
        compute="_compute_effective_classes",
        store=True,
        index=True,
    )
    abc_class = fields.Char(
        string="ABC Code", compute="_compute_abc_xyz_class", store=True, index=True
    )
    computed_xyz_class = fields.Selection(
        XYZ_CLASSES, string="Computed XYZ Class", readonly=True
    )
    manual_xyz_class = fields.Selection(XYZ_CLASSES, string="Pinned XYZ Class")
    xyz_class = fields.Selection(
        XYZ_CLASSES,
        string="XYZ Class",
        compute="_compute_effective_classes",
        store=True,
        index=True,
    )
    abc_xyz_class = fields.Char(
        string="ABC-XYZ Class",
        compute="_compute_abc_xyz_class",
        store=True,
        index=True,
        help="ABC code followed by the XYZ letter, such as AX; only the ABC code "
        "while the product has no X, Y or Z class.",
    )

    history_ids = fields.One2many(
        "product.classification.history", "classification_id", string="History"
    )

    _sql_constraints = [
        (
            "product_company_uniq",
            "unique (product_tmpl_id, company_id)",
            "A product has one classification per company.",
        ),
    ]

    @api.depends("abc_level_id.code", "xyz_class")
    def _compute_abc_xyz_class(self):
        for record in self:
            code = record.abc_level_id.code or False
            record.abc_class = code
            letter = XYZ_LETTERS.get(record.xyz_class, "")
            record.abc_xyz_class = f"{code}{letter}" if code else False

    @api.constrains("manual_abc_level_id", "company_id")
    def _check_pin_level(self):
        for record in self:
            level = record.manual_abc_level_id
            if level and level.company_id != record.company_id:
                raise ValidationError(
                    self.env._(
                        "ABC class %(level)s belongs to another company than the "
                        "classification of %(product)s.",
                        level=level.display_name,
                        product=record.product_tmpl_id.display_name,
                    )
                )

    @api.constrains("manual_xyz_class")
    def _check_pin_no_demand(self):
        # "No demand" says the product did not sell in the XYZ window: a pin
        # cannot say so of one that sold.
        for record in self.filtered(lambda r: r.manual_xyz_class == "none"):
            if record.sale_months:
                raise ValidationError(
                    self.env._(
                        "%(product)s sold in %(months)s months of the XYZ window: "
                        "it cannot be pinned to No demand. Pin X, Y or Z, or Not "
                        "enough history.",
                        product=record.product_tmpl_id.display_name,
                        months=record.sale_months,
                    )
                )

    @api.model
    def _cpc_subject(self):
        return PRODUCT_SUBJECT

    @api.model
    def _cpc_subject_label(self):
        return self.env._("Products")

    # ------------------------------------------------------------- metrics
    @api.model
    def _cpc_product_windows(self, company, reference_date):
        """The XYZ window: the whole calendar months before the reference date's
        month (a month under way would look like a drop in demand)."""
        xyz_end = reference_date.replace(day=1)
        xyz_start = xyz_end - relativedelta(months=company.cpc_xyz_months)
        return xyz_start, xyz_end

    @api.model
    def _cpc_prepare_run(self, company, reference_date):
        """The company's active profiles and their levels as SQL VALUES lists
        (None when it has none), and where the facts start."""
        profiles = self.env["product.abc.profile"].search(
            [("company_id", "=", company.id)]
        )
        try:
            profiles._check_runnable()
        except UserError as error:
            raise UserError(
                self.env._(
                    "Products of %(company)s cannot be classified: %(error)s",
                    company=company.name,
                    error=error.args[0],
                )
            ) from error
        xyz_start, xyz_end = self._cpc_product_windows(company, reference_date)
        prepared = {
            "xyz_start": xyz_start,
            "xyz_end": xyz_end,
            "date_from": xyz_start,
            "profiles": None,
            "levels": None,
        }
        profile_rows, level_rows = [], []
        for sequence, profile in enumerate(profiles):
            window_start = reference_date - relativedelta(
                months=profile.analysis_months
            )
            prepared["date_from"] = min(prepared["date_from"], window_start)
            paths = profile.categ_ids.mapped("parent_path") or None
            profile_rows.append(
                SQL(
                    "(%s, %s, %s::date, %s, %s, %s::text[])",
                    profile.id,
                    sequence,
                    window_start,
                    profile.basis,
                    profile.no_sales_class,
                    paths,
                )
            )
            levels = profile._levels()
            lower = 0.0
            for index, level in enumerate(levels):
                last = index == len(levels) - 1
                upper = None if last else lower + level.share / 100.0
                level_rows.append(
                    SQL(
                        "(%s, %s, %s, %s::numeric, %s::numeric, %s)",
                        profile.id,
                        level.id,
                        index,
                        round(lower, 6),
                        None if upper is None else round(upper, 6),
                        last,
                    )
                )
                lower = upper or lower
        if profiles:
            prepared["profiles"] = SQL(", ").join(profile_rows)
            prepared["levels"] = SQL(", ").join(level_rows)
        return prepared

    @api.model
    def _cpc_result_query(self, company, reference_date, prepared):
        """Every product's figures and computed classes, in one query, from the
        shared sale lines (variants rolled up to their template, quantities in
        the template's unit, untaxed amounts and margins in company currency).

        ABC: within each profile, products rank by the profile's basis, best
        first; a product's level is the one in whose share of the total the
        products strictly better than it end, so that equal products share a
        level. XYZ: coefficient of variation of the monthly quantity over the
        whole months of the XYZ window since the product's first sale.
        """
        profiles = prepared["profiles"] or SQL(
            "(NULL::int, 0, NULL::date, NULL, FALSE, NULL::text[])"
        )
        levels = prepared["levels"] or SQL(
            "(NULL::int, NULL::int, 0, 0::numeric, NULL::numeric, TRUE)"
        )
        xyz_start, xyz_end = prepared["xyz_start"], prepared["xyz_end"]
        facts = SQL(
            """
            SELECT f.product_tmpl_id, f.day, f.quantity,
                   f.amount_untaxed AS amount, f.margin
              FROM (%s) f WHERE f.product_tmpl_id IS NOT NULL
            """,
            self._cpc_facts_query(company, reference_date, prepared["date_from"]),
        )
        return SQL(
            """
            WITH profiles (profile_id, seq, window_start, basis, no_sales_apart,
                           categ_paths) AS (VALUES %(profiles)s),
            levels (profile_id, level_id, seq, lower_share, upper_share, is_last)
                AS (VALUES %(levels)s),
            -- Every template's profile: the first whose categories hold it.
            assigned AS (
                SELECT DISTINCT ON (t.id) t.id AS product_tmpl_id,
                       p.profile_id, p.window_start, p.basis, p.no_sales_apart
                  FROM product_template t
                  LEFT JOIN product_category categ ON categ.id = t.categ_id
                  JOIN profiles p
                    ON p.profile_id IS NOT NULL
                   AND (p.categ_paths IS NULL
                        OR EXISTS (SELECT 1 FROM unnest(p.categ_paths) path
                                    WHERE starts_with(categ.parent_path, path)))
                 ORDER BY t.id, p.seq
            ),
            -- The only pass over the sale lines: per template and month.
            monthly AS (
                SELECT f.product_tmpl_id, date_trunc('month', f.day) AS month,
                       SUM(f.amount) FILTER (WHERE f.day >= a.window_start)
                           AS revenue,
                       SUM(f.margin) FILTER (WHERE f.day >= a.window_start)
                           AS margin,
                       SUM(f.quantity) FILTER (WHERE f.day >= a.window_start)
                           AS quantity,
                       COUNT(*) FILTER (WHERE f.day >= a.window_start) AS lines,
                       SUM(f.quantity) FILTER (WHERE f.day >= %(xyz_start)s
                                                 AND f.day < %(xyz_end)s)
                           AS xyz_quantity,
                       MIN(f.day) AS first_day
                  FROM (%(facts)s) f
                  LEFT JOIN assigned a ON a.product_tmpl_id = f.product_tmpl_id
                 GROUP BY f.product_tmpl_id, date_trunc('month', f.day)
            ),
            sums AS (
                SELECT product_tmpl_id, SUM(revenue) AS revenue, SUM(margin) AS margin,
                       SUM(quantity) AS quantity, SUM(lines) AS lines,
                       MIN(first_day) AS first_sale_date
                  FROM monthly GROUP BY product_tmpl_id
            ),
            demand AS (
                SELECT product_tmpl_id,
                       COUNT(*) FILTER (WHERE xyz_quantity <> 0) AS sale_months,
                       SUM(xyz_quantity) AS total,
                       SUM(xyz_quantity * xyz_quantity) AS squares
                  FROM monthly WHERE xyz_quantity IS NOT NULL
                 GROUP BY product_tmpl_id
            ),
            scope AS (
                SELECT t.id AS product_tmpl_id FROM product_template t
                 WHERE t.active AND t.sale_ok
                   AND (t.company_id IS NULL OR t.company_id = %(company)s)
                 UNION SELECT product_tmpl_id FROM sums
                 UNION SELECT c.product_tmpl_id FROM product_classification c
                        WHERE c.company_id = %(company)s
            ),
            base AS (
                SELECT s.product_tmpl_id, a.profile_id, a.no_sales_apart,
                       ROUND(COALESCE(m.revenue, 0)::numeric, 2) AS revenue,
                       ROUND(COALESCE(m.margin, 0)::numeric, 2) AS margin,
                       ROUND(COALESCE(m.quantity, 0)::numeric, 4) AS quantity,
                       COALESCE(m.lines, 0) > 0 AS has_sales,
                       m.first_sale_date,
                       -- Months of the XYZ window since the product's first sale.
                       LEAST(%(xyz_months)s, GREATEST(0,
                           %(xyz_end_month)s - (EXTRACT(YEAR FROM m.first_sale_date)
                               * 12 + EXTRACT(MONTH FROM m.first_sale_date))::int
                       )) AS history_months,
                       COALESCE(d.sale_months, 0) AS sale_months,
                       d.total AS demand_total, d.squares AS demand_squares,
                       CASE a.basis
                           WHEN 'margin' THEN COALESCE(m.margin, 0)
                           WHEN 'quantity' THEN COALESCE(m.quantity, 0)
                           ELSE COALESCE(m.revenue, 0)
                       END::numeric AS value
                  FROM scope s
                  LEFT JOIN assigned a ON a.product_tmpl_id = s.product_tmpl_id
                  LEFT JOIN sums m ON m.product_tmpl_id = s.product_tmpl_id
                  LEFT JOIN demand d ON d.product_tmpl_id = s.product_tmpl_id
            ),
            ranked AS (
                SELECT product_tmpl_id, value,
                       -- What the strictly better products make: equal values
                       -- rank together, so a tie never straddles a border. All
                       -- up to the last equal one, less the equal ones (a frame
                       -- that excludes them is summed again for every row).
                       SUM(value) OVER (
                           PARTITION BY profile_id ORDER BY value DESC
                           RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
                       - SUM(value) OVER (PARTITION BY profile_id, value)
                           AS value_before,
                       SUM(value) OVER (
                           PARTITION BY profile_id ORDER BY value DESC, product_tmpl_id
                           ROWS UNBOUNDED PRECEDING) AS value_through,
                       SUM(value) OVER (PARTITION BY profile_id) AS value_total
                  FROM base WHERE profile_id IS NOT NULL AND has_sales
            ),
            stats AS (
                SELECT b.*, r.value_before, r.value_total,
                       CASE WHEN r.value_total > 0 THEN
                           ROUND(100 * b.value / r.value_total, 4) END AS share,
                       CASE WHEN r.value_total > 0 THEN
                           ROUND(100 * r.value_through / r.value_total, 4) END
                           AS cumulative_share,
                       CASE WHEN b.history_months > 0 THEN
                           b.demand_total / b.history_months END AS mean
                  FROM base b
                  LEFT JOIN ranked r ON r.product_tmpl_id = b.product_tmpl_id
            ),
            cv AS (
                SELECT s.*,
                       ROUND(s.mean::numeric, 4) AS monthly_mean,
                       CASE WHEN s.mean > 0 THEN ROUND((sqrt(GREATEST(
                           s.demand_squares / s.history_months - s.mean * s.mean,
                           0)) / s.mean)::numeric, 4) END AS monthly_cv
                  FROM stats s
            )
            SELECT c.product_tmpl_id, c.profile_id, c.revenue, c.margin, c.quantity,
                   c.share, c.cumulative_share, c.first_sale_date, c.sale_months,
                   c.monthly_mean, c.monthly_cv,
                   c.profile_id IS NOT NULL AND NOT c.has_sales AS no_sales,
                   level.level_id AS computed_abc_level_id,
                   CASE
                       WHEN c.first_sale_date IS NULL THEN 'none'
                       WHEN c.history_months < %(min_months)s THEN 'short'
                       WHEN c.monthly_cv IS NULL THEN 'none'
                       WHEN c.monthly_cv <= %(x_max)s THEN 'x'
                       WHEN c.monthly_cv <= %(y_max)s THEN 'y'
                       ELSE 'z'
                   END::varchar AS computed_xyz_class
              FROM cv c
              LEFT JOIN levels level
                ON level.profile_id = c.profile_id
               AND CASE
                       WHEN NOT c.has_sales THEN level.is_last AND NOT c.no_sales_apart
                       WHEN c.value_total > 0 THEN
                           c.value_before >= level.lower_share * c.value_total
                           AND (level.upper_share IS NULL
                                OR c.value_before < level.upper_share * c.value_total)
                       ELSE level.is_last
                   END
            """,
            facts=facts,
            profiles=profiles,
            levels=levels,
            company=company.id,
            xyz_start=xyz_start,
            xyz_end=xyz_end,
            xyz_months=company.cpc_xyz_months,
            xyz_end_month=xyz_end.year * 12 + xyz_end.month,
            min_months=company.cpc_xyz_min_months,
            x_max=company.cpc_xyz_x_max,
            y_max=company.cpc_xyz_y_max,
        )

    # ------------------------------------------------------------- apply
    @api.model
    def _cpc_derived_values(self):
        # The codes shown and grouped by follow the effective classes the
        # engine writes in SQL (pins go through the ORM compute).
        code = SQL(
            "(SELECT level.code FROM product_abc_level level"
            " WHERE level.id = d.new_abc_level_id)"
        )
        return {
            **super()._cpc_derived_values(),
            "abc_class": code,
            "abc_xyz_class": SQL(
                """%(code)s || CASE d.new_xyz_class WHEN 'x' THEN 'X'
                       WHEN 'y' THEN 'Y' WHEN 'z' THEN 'Z' ELSE '' END""",
                code=code,
            ),
        }

    @api.model
    def _cpc_mirror_assignments(self, company, values):
        # The template also shows the combined class ("AX"), built from the
        # same new values in the same UPDATE (runs and pins alike).
        assignments = super()._cpc_mirror_assignments(company, values)
        by_kind = {tracked.kind: value for tracked, value in values.items()}
        if not {"abc", "xyz"} <= by_kind.keys():
            return assignments
        combined = SQL(
            """(SELECT level.code || CASE %(xyz)s WHEN 'x' THEN 'X' WHEN 'y' THEN 'Y'
                                                  WHEN 'z' THEN 'Z' ELSE '' END
                  FROM product_abc_level level WHERE level.id = %(abc)s)""",
            xyz=by_kind["xyz"],
            abc=by_kind["abc"],
        )
        return SQL(
            "%s, abc_xyz_class = COALESCE(p.abc_xyz_class, '{}'::jsonb) "
            "|| jsonb_build_object(%s, %s)",
            assignments,
            str(company.id),
            combined,
        )

    def _cpc_sync_mirror(self):
        result = super()._cpc_sync_mirror()
        self.env["product.template"].invalidate_model(["abc_xyz_class"])
        return result

    # --------------------------------------------------------------- run
    @api.model
    def _cpc_classify_products(
        self,
        company,
        reference_date=None,
        products=None,
        source="scheduled",
        limit=None,
        preview=False,
    ):
        """Classify the products (templates) of one company: see
        classification.engine._cpc_run."""
        return self._cpc_run(
            company,
            reference_date=reference_date,
            records=products,
            source=source,
            limit=limit,
            preview=preview,
        )

    @api.model
    def _cron_classify_products(self):
        return self._cpc_cron_run(CLASSIFY_PRODUCTS_CRON)

    @api.model
    def _cpc_report_failure(self, company, message):
        company.sudo().cpc_product_classification_error = message

    @api.model
    def _cpc_clear_failure(self, company):
        failed = company.sudo().filtered("cpc_product_classification_error")
        if failed:
            failed.cpc_product_classification_error = False
