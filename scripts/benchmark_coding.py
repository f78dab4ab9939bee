"""Benchmark of code assignment at scale.

Builds (set-based SQL, seeded) N customers without a code, spread over four
regions of a benchmark scheme, and a coding rule REGION-YYYY-NNNNNN (one
sequence per region and year). Then times, in one Odoo process:

- the baseline: allocating N values of a fresh PostgreSQL sequence alone
  (SELECT nextval(...) FROM generate_series);
- the wizard: "Records without a code" for customers, applied: the set is
  larger than a batch, so the wizard queues a job and the scheduled action
  codes one committed batch per call (called here until nothing is left, as
  the scheduler does).

Prints both, their ratio, the codes written and whether they are all distinct.
Run by scripts/benchmark.sh coding, which prepares the database:
    benchmark_coding.py --config ODOO_CONF --database DB [--customers N]
"""

import argparse
import resource
import sys
import time

import odoo
from odoo import SUPERUSER_ID, Command
from odoo.tools import SQL


def peak_memory_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(env, customers):
    cr = env.cr
    scheme = env["classification.scheme"].create(
        {"name": "Bench Region", "code": "BREGION", "applies_to": "partner"}
    )
    categories = env["classification.category"].create(
        [
            {"scheme_id": scheme.id, "name": name, "code": name[:4].upper()}
            for name in ("North", "South", "East", "West")
        ]
    )
    cr.commit()
    field = scheme.field_id.name
    cr.execute("SELECT setseed(0.42)")
    cr.execute(
        SQL(
            """
            INSERT INTO res_partner (name, complete_name, active, type, is_company,
                                     autopost_bills, lang, create_date, write_date,
                                     create_uid, write_uid, customer_rank, %(field)s)
            SELECT 'Bench Customer ' || g, 'Bench Customer ' || g, TRUE, 'contact',
                   TRUE, 'ask', 'en_US', now(), now(), 1, 1, 1,
                   (%(ids)s)[1 + floor(random() * 4)::int]
              FROM generate_series(1, %(count)s) g
            """,
            field=SQL.identifier(field),
            ids=categories.ids,
            count=customers,
        )
    )
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id "
        "WHERE name LIKE 'Bench Customer %' AND commercial_partner_id IS NULL"
    )
    env["classification.coding.rule"].create(
        {
            "name": "Bench customers",
            "company_id": False,
            "padding": 6,
            "part_ids": [
                Command.create(
                    {"sequence": 1, "kind": "scheme", "scheme_id": scheme.id}
                ),
                Command.create({"sequence": 2, "kind": "separator", "value": "-"}),
                Command.create({"sequence": 3, "kind": "year"}),
                Command.create({"sequence": 4, "kind": "separator", "value": "-"}),
                Command.create({"sequence": 5, "kind": "sequence"}),
            ],
        }
    )
    cr.commit()
    cr.execute("ANALYZE res_partner")


def baseline(env, customers):
    cr = env.cr
    cr.execute("DROP SEQUENCE IF EXISTS bench_coding_seq")
    cr.execute("CREATE SEQUENCE bench_coding_seq")
    cr.commit()
    started = time.perf_counter()
    cr.execute(
        "SELECT nextval('bench_coding_seq') FROM generate_series(1, %s)", [customers]
    )
    values = cr.fetchall()
    cr.commit()
    elapsed = time.perf_counter() - started
    assert len(values) == customers
    cr.execute("DROP SEQUENCE bench_coding_seq")
    cr.commit()
    return elapsed


def through_wizard(env):
    cr = env.cr
    Job = env["classification.coding.job"]
    started = time.perf_counter()
    wizard = env["classification.coding.wizard"].create(
        {"applies_to": "partner", "mode": "missing"}
    )
    wizard.action_apply()
    cr.commit()
    calls = 0
    remaining = True
    while remaining:
        __, remaining = Job._cron_assign_codes()
        cr.commit()
        env.invalidate_all()
        calls += 1
    return time.perf_counter() - started, calls


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--customers", type=int, default=100_000)
    args = parser.parse_args(argv)
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(args.database)
    out = sys.stdout
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, SUPERUSER_ID, {})
        build(env, args.customers)
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, SUPERUSER_ID, {})
        batch = env["partner.classification"]._cpc_batch_size()
        out.write(f"{args.customers} customers without a code; batch {batch}\n")
        base = baseline(env, args.customers)
        out.write(f"baseline: {args.customers} sequence values alone: {base:.2f} s\n")
        elapsed, calls = through_wizard(env)
        cr.execute(
            "SELECT count(ref), count(DISTINCT ref), min(ref), max(ref) "
            "FROM res_partner WHERE name LIKE 'Bench Customer %'"
        )
        coded, distinct, first, last = cr.fetchone()
        out.write(
            f"wizard, records without a code: {elapsed:.2f} s "
            f"({elapsed / base:.1f} x baseline), {calls} scheduled calls; "
            f"{coded} coded, {distinct} distinct ({first} .. {last})\n"
        )
        out.write(f"peak memory of the Odoo process: {peak_memory_mb():.0f} MB\n")
        if coded != args.customers or distinct != coded:
            out.write("FAILED: not every customer got a code of its own\n")
            return 1
        if elapsed > 30:
            out.write("FAILED: over the 30 s target\n")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
