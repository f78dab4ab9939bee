"""Benchmark of the product classification (ABC + XYZ) at scale.

Builds (set-based SQL, seeded) P product templates with one variant each and L
confirmed order lines over the last 24 months, sales skewed towards few
products (as real catalogues are), then times, in one Odoo process:

- the baseline: the bare SQL aggregate of those lines per template with the
  Pareto shares (cumulative share of revenue) and the variance of the monthly
  quantity;
- run 1: the first full ABC + XYZ classification;
- run 2: the same again with no data change (must write no product, no
  classification and no history row).

Prints every figure, its ratio to the baseline, and the peak memory of the
process. Run by scripts/benchmark.sh products, which prepares the database:
    benchmark_products.py --config ODOO_CONF --database DB [--products N]
                          [--lines N]
"""

import sys
import time

from benchmark_common import (
    Timer,
    add_size_arguments,
    insert_orders,
    insert_partners,
    main,
    peak_memory_mb,
    profiled,
    report_runs,
)

from odoo.tools import SQL

WRITTEN_TABLES = (
    ("product_template", "templates"),
    ("product_classification", "classifications"),
    ("product_classification_history", "history"),
)


class Bench(Timer):
    def __init__(self, env, products, lines):
        super().__init__(env)
        self.products, self.lines = products, lines
        self.orders = max(lines // 5, 1)
        self.customers = 1000
        self.company = env.company

    # -- data ------------------------------------------------------------------
    def build(self):
        cr, env = self.cr, self.env
        cr.execute("SELECT setseed(0.42)")
        unit = env.ref("uom.product_uom_unit")
        categ = env.ref("product.product_category_all")
        cr.execute(
            SQL(
                """
                INSERT INTO product_template (name, type, categ_id, uom_id, uom_po_id,
                       sale_ok, purchase_ok, active, list_price, invoice_policy,
                       service_tracking, sale_line_warn, create_date, write_date,
                       create_uid, write_uid)
                SELECT jsonb_build_object('en_US', 'Bench Product ' || g), 'consu',
                       %(categ)s, %(unit)s, %(unit)s, TRUE, TRUE, TRUE, 10, 'order',
                       'no', 'no-message', now(), now(), 1, 1
                  FROM generate_series(1, %(n)s) g
                """,
                categ=categ.id,
                unit=unit.id,
                n=self.products,
            )
        )
        cr.execute(
            """
            INSERT INTO product_product (product_tmpl_id, active, create_date,
                   write_date, create_uid, write_uid)
            SELECT id, TRUE, now(), now(), 1, 1 FROM product_template
             WHERE name->>'en_US' LIKE 'Bench Product %'
            """
        )
        cr.execute(
            "CREATE TABLE bench_product AS "
            "SELECT pp.id, row_number() OVER (ORDER BY pp.id) rn "
            "FROM product_product pp "
            "JOIN product_template t ON t.id = pp.product_tmpl_id "
            "WHERE t.name->>'en_US' LIKE 'Bench Product %'"
        )
        cr.execute("CREATE UNIQUE INDEX ON bench_product (rn)")
        insert_partners(cr, "Bench Buyer ", self.customers)
        cr.execute(
            "CREATE TABLE bench_partner AS "
            "SELECT id, row_number() OVER (ORDER BY id) rn "
            "FROM res_partner WHERE name LIKE 'Bench Buyer %'"
        )
        insert_orders(
            cr,
            self.company,
            SQL(
                "SELECT g, 1 + mod(g, %s) AS rn, "
                "now() - random() * interval '730 days' AS day "
                "FROM generate_series(1, %s) g",
                self.customers,
                self.orders,
            ),
            "BENCHP/",
        )
        # Most lines go to few products (a long tail), some products never sell.
        cr.execute(
            SQL(
                """
                INSERT INTO sale_order_line (order_id, name, product_id, product_uom,
                       product_uom_qty, price_unit, price_subtotal, price_total,
                       customer_lead, company_id, create_date, write_date,
                       create_uid, write_uid)
                SELECT o.id, 'Bench line', bp.id, %(unit)s, q.qty, q.price,
                       q.qty * q.price, q.qty * q.price, 0, %(company)s,
                       now(), now(), 1, 1
                  FROM generate_series(1, %(lines)s) g
                  JOIN LATERAL (
                      SELECT 1 + floor(random() * 10) AS qty,
                             round((5 + random() * 95)::numeric, 2) AS price,
                             1 + floor(power(random(), 3) * %(products)s * 0.9)::int
                                 AS rn
                       -- Correlated, so drawn for each line (PostgreSQL runs an
                       -- uncorrelated LATERAL once: every line the same product).
                       WHERE g IS NOT NULL
                  ) q ON TRUE
                  JOIN bench_product bp ON bp.rn = q.rn
                  JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rn
                          FROM sale_order WHERE name LIKE %(pattern)s) o
                    ON o.rn = 1 + mod(g, %(orders)s)
                """,
                unit=unit.id,
                company=self.company.id,
                lines=self.lines,
                products=self.products,
                orders=self.orders,
                pattern="BENCHP/%",
            )
        )
        cr.commit()

    # -- measures --------------------------------------------------------------
    def baseline(self):
        cr = self.cr

        def run():
            cr.execute(
                SQL(
                    """
                    WITH lines AS (
                        SELECT pp.product_tmpl_id, o.date_order::date AS day,
                               l.product_uom_qty AS quantity,
                               l.price_subtotal / o.currency_rate AS amount
                          FROM sale_order_line l
                          JOIN sale_order o ON o.id = l.order_id
                          JOIN product_product pp ON pp.id = l.product_id
                         WHERE o.company_id = %(company)s AND o.state = 'sale'
                    ),
                    revenue AS (
                        SELECT product_tmpl_id, SUM(amount) AS revenue
                          FROM lines WHERE day >= now()::date - 365
                         GROUP BY product_tmpl_id
                    ),
                    pareto AS (
                        SELECT product_tmpl_id,
                               SUM(revenue) OVER (ORDER BY revenue DESC,
                                                  product_tmpl_id)
                                   / SUM(revenue) OVER () AS cumulative_share
                          FROM revenue
                    ),
                    monthly AS (
                        SELECT product_tmpl_id, date_trunc('month', day) AS month,
                               SUM(quantity) AS quantity
                          FROM lines WHERE day >= now()::date - 365
                         GROUP BY 1, 2
                    ),
                    demand AS (
                        SELECT product_tmpl_id,
                               var_pop(quantity) AS variance
                          FROM monthly GROUP BY product_tmpl_id
                    )
                    SELECT count(*), max(p.cumulative_share), max(d.variance)
                      FROM pareto p FULL JOIN demand d USING (product_tmpl_id)
                    """,
                    company=self.company.id,
                )
            )
            cr.fetchall()

        self.timed("baseline", run)

    def classify(self, label):
        Classification = self.env["product.classification"]
        return self.timed_run(
            label,
            lambda: Classification._cpc_classify_products(self.company),
            [table for table, __ in WRITTEN_TABLES],
        )


def add_arguments(parser):
    add_size_arguments(parser, "products", 50_000)


def run(env, args, out):
    cr = env.cr
    bench = Bench(env, args.products, args.lines)
    started = time.perf_counter()
    bench.build()
    cr.execute("ANALYZE")
    cr.commit()
    out.write(
        f"data: {args.products} products, {bench.orders} orders, {args.lines} "
        f"order lines, built in {time.perf_counter() - started:.1f} s\n"
    )
    bench.baseline()
    with profiled(out, args.profile):
        first, written_first = bench.classify("first run")
    with profiled(out, args.profile):
        again, written_again = bench.classify("no-change run")

    out.write(
        "baseline (SQL aggregate + Pareto shares + monthly variance): "
        f"{bench.figures['baseline']:.2f} s\n"
    )
    report_runs(
        out,
        bench.figures,
        [
            ("first run", first, written_first, "<= 20 s"),
            (
                "no-change run",
                again,
                written_again,
                "<= 3 x baseline, writes nothing",
            ),
        ],
        "products",
        WRITTEN_TABLES,
    )
    out.write(
        f"peak memory of the Odoo process: {peak_memory_mb():.0f} MB "
        "[target < 500 MB]\n"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], run, add_arguments))
