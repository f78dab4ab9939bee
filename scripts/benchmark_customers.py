"""Benchmark of the customer classification engine at scale.

Builds (set-based SQL, seeded) N customers and L confirmed order lines on about
3 x N orders, then times, in one Odoo process:

- the baseline: the bare SQL aggregate of those order lines (per order, then per
  customer, as the engine's line-level facts) with quintile scores and one
  set-based UPDATE of as many rows into a scratch table;
- run 1: the first full classification;
- run 2: the same again with no data change (must write no partner, no
  classification and no history row);
- run 3: after 5% of the customers received a new order.

Prints every figure, its ratio to the baseline, and the peak memory of the process.
Run by scripts/benchmark.sh, which prepares the database:
    benchmark_customers.py --config ODOO_CONF --database DB [--customers N]
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

# Products the order lines are spread over.
PRODUCTS = 500
WRITTEN_TABLES = (
    ("res_partner", "partners"),
    ("partner_classification", "classifications"),
    ("partner_classification_history", "history"),
)


class Bench(Timer):
    def __init__(self, env, customers, lines):
        super().__init__(env)
        self.customers, self.lines = customers, lines
        self.orders = 3 * customers
        self.company = env.company

    # -- data ------------------------------------------------------------------
    def build(self):
        cr, company = self.cr, self.company
        products = self.env["product.product"].create(
            [
                {"name": f"Bench Product {index}", "list_price": 10.0 + index}
                for index in range(PRODUCTS)
            ]
        )
        cr.execute(
            "CREATE TABLE bench_product AS SELECT p.id, t.uom_id, "
            "row_number() OVER (ORDER BY p.id) - 1 AS rn "
            "FROM product_product p "
            "JOIN product_template t ON t.id = p.product_tmpl_id "
            "WHERE p.id = ANY(%s)",
            [products.ids],
        )
        self.dozen = self.env.ref("uom.product_uom_dozen").id
        cr.execute("SELECT setseed(0.42)")
        insert_partners(cr, "Bench Customer ", self.customers)
        cr.execute(
            "CREATE TABLE bench_partner AS "
            "SELECT id, row_number() OVER (ORDER BY id) rn "
            "FROM res_partner WHERE name LIKE 'Bench Customer %'"
        )
        cr.execute("CREATE UNIQUE INDEX ON bench_partner (rn)")
        # Every customer orders once; the other orders go mostly to few customers.
        self._insert_orders(
            SQL(
                """
                SELECT g, CASE WHEN g <= %(n)s THEN g
                               ELSE 1 + floor(power(random(), 3) * %(n)s)::int
                          END AS rn,
                       now() - random() * interval '730 days' AS day
                  FROM generate_series(1, %(orders)s) g
                """,
                n=self.customers,
                orders=self.orders,
            ),
            "BENCH/",
        )
        # One line in ten is sold by the dozen.
        cr.execute(
            SQL(
                """
                INSERT INTO sale_order_line (order_id, name, product_id, product_uom,
                       product_uom_qty, price_unit,
                       price_subtotal, price_total, customer_lead, company_id,
                       create_date, write_date, create_uid, write_uid)
                SELECT o.id, 'Bench line', pr.id,
                       CASE WHEN mod(g, 10) = 0 THEN %(dozen)s ELSE pr.uom_id END,
                       l.qty, l.price, l.qty * l.price,
                       round(l.qty * l.price * 1.13, 2),
                       0, %(company)s, now(), now(), 1, 1
                  FROM generate_series(1, %(lines)s) g
                  -- Correlated, so drawn for each line (PostgreSQL runs an
                  -- uncorrelated LATERAL once: every line the same price).
                  JOIN LATERAL (SELECT round((5 + random() * 195)::numeric, 2) AS price,
                                       (1 + floor(random() * 5))::numeric AS qty
                                 WHERE g IS NOT NULL)
                       l ON TRUE
                  JOIN bench_product pr ON pr.rn = mod(g, %(products)s)
                  JOIN (SELECT id, row_number() OVER (ORDER BY id) AS rn
                          FROM sale_order WHERE name LIKE %(pattern)s) o
                    ON o.rn = 1 + mod(g, %(orders)s)
                """,
                pattern="BENCH/%",
                company=company.id,
                lines=self.lines,
                orders=self.orders,
                products=PRODUCTS,
                dozen=self.dozen,
            )
        )
        self._total_orders("BENCH/")
        cr.commit()

    def _insert_orders(self, rows, prefix):
        insert_orders(self.cr, self.company, rows, prefix)

    def _total_orders(self, prefix):
        self.cr.execute(
            SQL(
                """
                UPDATE sale_order o
                   SET amount_untaxed = t.untaxed,
                       amount_total = round(t.untaxed * 1.13, 2),
                       amount_tax = round(t.untaxed * 0.13, 2)
                  FROM (SELECT order_id, sum(price_subtotal) AS untaxed
                          FROM sale_order_line GROUP BY order_id) t
                 WHERE t.order_id = o.id AND o.name LIKE %s
                """,
                prefix + "%",
            )
        )

    def add_new_orders(self):
        """One new order with three lines for 5% of the customers, dated yesterday."""
        self._insert_orders(
            SQL(
                "SELECT rn AS g, rn, now() - interval '1 day' AS day "
                "FROM bench_partner WHERE mod(rn, 20) = 0"
            ),
            "BENCH-NEW/",
        )
        self.cr.execute(
            SQL(
                """
                INSERT INTO sale_order_line (order_id, name, product_id, product_uom,
                       product_uom_qty, price_unit,
                       price_subtotal, price_total, customer_lead, company_id,
                       create_date, write_date, create_uid, write_uid)
                SELECT o.id, 'Bench line', pr.id, pr.uom_id, 2, 50, 100, 113, 0, %s,
                       now(), now(), 1, 1
                  FROM sale_order o, generate_series(1, 3) g
                  JOIN bench_product pr ON pr.rn = g
                 WHERE o.name LIKE %s
                """,
                self.company.id,
                "BENCH-NEW/%",
            )
        )
        self._total_orders("BENCH-NEW/")
        self.cr.commit()

    # -- measures --------------------------------------------------------------
    def baseline(self):
        cr = self.cr
        cr.execute(
            "CREATE TABLE bench_scratch "
            "(partner_id int PRIMARY KEY, r int, f int, m int)"
        )
        cr.execute("INSERT INTO bench_scratch SELECT id, 0, 0, 0 FROM bench_partner")
        cr.commit()

        def run():
            cr.execute(
                SQL(
                    """
                    UPDATE bench_scratch s SET r = a.r, f = a.f, m = a.m
                      FROM (
                        SELECT partner_id,
                               ntile(5) OVER (ORDER BY last_day) AS r,
                               ntile(5) OVER (ORDER BY orders) AS f,
                               ntile(5) OVER (ORDER BY revenue) AS m
                          FROM (SELECT partner_id, max(day) AS last_day,
                                       count(*) AS orders, sum(amount) AS revenue
                                  FROM (SELECT p.commercial_partner_id AS partner_id,
                                               l.order_id,
                                               min(o.date_order::date) AS day,
                                               sum(l.price_subtotal / o.currency_rate)
                                                   AS amount
                                          FROM sale_order_line l
                                          JOIN sale_order o ON o.id = l.order_id
                                          JOIN res_partner p ON p.id = o.partner_id
                                         WHERE o.company_id = %s
                                           AND o.state = 'sale'
                                           AND l.display_type IS NULL
                                         GROUP BY 1, 2) per_order
                                 GROUP BY 1) agg
                      ) a
                     WHERE s.partner_id = a.partner_id
                    """,
                    self.company.id,
                )
            )

        self.timed("baseline", run)

    def classify(self, label):
        Classification = self.env["partner.classification"]
        return self.timed_run(
            label,
            lambda: Classification._cpc_classify(self.company),
            [table for table, __ in WRITTEN_TABLES],
        )


def add_arguments(parser):
    add_size_arguments(parser, "customers", 100_000)


def run(env, args, out):
    cr = env.cr
    bench = Bench(env, args.customers, args.lines)
    started = time.perf_counter()
    bench.build()
    cr.execute("ANALYZE")
    out.write(
        f"data: {args.customers} customers, {bench.orders} orders, {args.lines} "
        f"order lines, built in {time.perf_counter() - started:.1f} s\n"
    )
    bench.baseline()
    with profiled(out, args.profile):
        first, written_first = bench.classify("first run")
    with profiled(out, args.profile):
        again, written_again = bench.classify("no-change run")
    bench.add_new_orders()
    cr.execute("ANALYZE sale_order")
    cr.commit()
    with profiled(out, args.profile):
        after, written_after = bench.classify("5% new orders run")

    what = "SQL aggregate of the lines + quintiles + one UPDATE"
    out.write(f"baseline ({what}): {bench.figures['baseline']:.2f} s\n")
    report_runs(
        out,
        bench.figures,
        [
            ("first run", first, written_first, "<= 20 s"),
            (
                "no-change run",
                again,
                written_again,
                "<= 2 x baseline, writes nothing",
            ),
            ("5% new orders run", after, written_after, "<= 30 s"),
        ],
        "customers",
        WRITTEN_TABLES,
    )
    out.write(
        f"peak memory of the Odoo process: {peak_memory_mb():.0f} MB "
        "[target < 1024 MB]\n"
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], run, add_arguments))
