"""Benchmark of the strategies on top of a classification run.

Builds N customers (default 40,000) with about 3 orders each over two years, all
with a salesperson, and classifies them once. Then every customer changes
lifecycle stage (the churn threshold drops to two days, so nearly all become
*Churned*), twice from the same state:

- the run without strategies (rolled back afterwards);
- the same run with one strategy firing for each customer: set the price list
  and schedule an activity for the salesperson.

Prints both times, the difference (target: at most 30 s) and what the strategy
wrote. Run by scripts/benchmark.sh strategies, which prepares the database:
    benchmark_strategies.py --config ODOO_CONF --database DB [--customers N]
"""

import argparse
import cProfile
import pstats
import resource
import sys
import time

import odoo
from odoo import SUPERUSER_ID
from odoo.tools import SQL


def peak_memory_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(env, customers):
    """N customers with three one-line orders each over the last two years."""
    cr, company = env.cr, env.company
    cr.execute("SELECT setseed(0.42)")
    cr.execute(
        SQL(
            """
            INSERT INTO res_partner (name, complete_name, active, type, is_company,
                                     autopost_bills, lang, company_id, create_date,
                                     write_date, create_uid, write_uid)
            SELECT 'Bench Customer ' || g, 'Bench Customer ' || g, TRUE, 'contact',
                   TRUE, 'ask', 'en_US', %s, now(), now(), 1, 1
              FROM generate_series(1, %s) g
            """,
            # The company's own customers: on shared ones a strategy sets only
            # the price list.
            company.id,
            customers,
        )
    )
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id "
        "WHERE name LIKE 'Bench Customer %' AND commercial_partner_id IS NULL"
    )
    cr.execute(
        SQL(
            """
            INSERT INTO sale_order (name, partner_id, partner_invoice_id,
                   partner_shipping_id, company_id, date_order, state, currency_id,
                   currency_rate, amount_untaxed, amount_tax, amount_total,
                   create_date, write_date, create_uid, write_uid)
            SELECT 'BENCH/' || p.id || '/' || k, p.id, p.id, p.id, %(company)s,
                   now() - random() * interval '700 days', 'sale', %(currency)s,
                   1.0, 0, 0, 0, now(), now(), 1, 1
              FROM res_partner p, generate_series(1, 3) k
             WHERE p.name LIKE %(pattern)s
            """,
            pattern="Bench Customer %",
            company=company.id,
            currency=company.currency_id.id,
        )
    )
    cr.execute(
        SQL(
            """
            INSERT INTO sale_order_line (order_id, name, product_uom_qty, price_unit,
                   price_subtotal, price_total, customer_lead, company_id,
                   create_date, write_date, create_uid, write_uid)
            SELECT o.id, 'Bench line', 1, p.price, p.price, p.price, 0, %s,
                   now(), now(), 1, 1
              FROM sale_order o
              JOIN LATERAL (SELECT round((5 + random() * 995)::numeric, 2) AS price
                            OFFSET 0) p ON TRUE
             WHERE o.name LIKE %s
            """,
            company.id,
            "BENCH/%",
        )
    )


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--customers", type=int, default=40_000)
    parser.add_argument(
        "--profile", action="store_true", help="profile the run with the strategy"
    )
    args = parser.parse_args(argv)
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(args.database)
    out = sys.stdout
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, SUPERUSER_ID, {})
        company = env.company
        started = time.perf_counter()
        build(env, args.customers)
        rep = env["res.users"].create(
            {
                "name": "Bench Salesperson",
                "login": "bench_rep",
                "company_id": company.id,
            }
        )
        cr.execute(
            "UPDATE res_partner SET user_id = %s WHERE name LIKE 'Bench Customer %%'",
            [rep.id],
        )
        env["res.partner"].invalidate_model(["user_id"])
        pricelist = env["product.pricelist"].create(
            {"name": "Bench Churned", "company_id": company.id}
        )
        env["classification.strategy"].with_context(active_test=False).search(
            []
        ).active = False
        strategy = env["classification.strategy"].create(
            {
                "name": "Bench: churned customers",
                "company_id": company.id,
                "trigger": "stage",
                "stage": "churned",
                "pricelist_id": pricelist.id,
                "activity_type_id": env.ref("mail.mail_activity_data_call").id,
                "activity_summary": "Win the customer back",
                "activity_days": 7,
                "activity_assignee": "salesperson",
                "active": False,
            }
        )
        company.cpc_churn_days = 3000
        cr.execute("ANALYZE")
        cr.commit()
        out.write(
            f"data: {args.customers} customers, {3 * args.customers} orders, built in "
            f"{time.perf_counter() - started:.1f} s\n"
        )
        Classification = env["partner.classification"]
        first = time.perf_counter()
        Classification._cpc_classify(company)
        cr.commit()
        out.write(f"first classification: {time.perf_counter() - first:.2f} s\n")

        def churn_run():
            company.write({"cpc_at_risk_days": 1, "cpc_churn_days": 2})
            begin = time.perf_counter()
            result = Classification._cpc_classify(company)
            env.flush_all()
            return result, time.perf_counter() - begin

        plain, plain_seconds = churn_run()
        cr.rollback()
        env.invalidate_all()
        strategy.active = True
        env.flush_all()
        profiler = cProfile.Profile() if args.profile else None
        if profiler:
            profiler.enable()
        fired, fired_seconds = churn_run()
        if profiler:
            profiler.disable()
            stats = pstats.Stats(profiler, stream=out)
            stats.sort_stats("cumulative").print_stats(60)
            stats.print_callers("cursor' objects")
        logs = env["classification.strategy.log"].search_count(
            [("strategy_id", "=", strategy.id)]
        )
        activities = env["mail.activity"].search_count(
            [("res_model", "=", "res.partner"), ("user_id", "=", rep.id)]
        )
        cr.execute(
            "SELECT count(*) FROM res_partner WHERE name LIKE 'Bench Customer %%' "
            "AND specific_property_product_pricelist ->> %s = %s",
            [str(company.id), str(pricelist.id)],
        )
        priced = cr.fetchone()[0]
        cr.rollback()

    out.write(
        f"run without strategies: {plain_seconds:.2f} s, {plain['done']} customers "
        "changed class\n"
    )
    out.write(
        f"run with the strategy:  {fired_seconds:.2f} s, {fired['done']} customers "
        f"changed class; {logs} moves handled, {priced} price lists set, "
        f"{activities} activities\n"
    )
    out.write(
        f"strategies on top of the run: {fired_seconds - plain_seconds:.2f} s "
        "[target <= 30 s]\n"
    )
    out.write(f"peak memory of the Odoo process: {peak_memory_mb():.0f} MB\n")


if __name__ == "__main__":
    main(sys.argv[1:])
