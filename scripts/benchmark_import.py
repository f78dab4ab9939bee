"""Benchmark of the category import at scale.

Builds N companies (set-based SQL) and an .xlsx of N rows placing each of them in
three seeded schemes (Region, one value; Sales Channel, several values; Customer
Type, one value), then times, in one Odoo process:

- the baseline: reading the file alone with openpyxl, the floor of any import;
- the check: reading and checking every row (what "Check File" does);
- the import: checking again and writing (what "Import" does);
- the same file again: nothing changes, so nothing may be written.

Prints every figure, its ratio to the baseline, and the peak memory.
Run by scripts/benchmark.sh import, which prepares the database:
    benchmark_import.py --config ODOO_CONF --database DB [--rows N]
"""

import argparse
import io
import resource
import sys
import time

import openpyxl

import odoo
from odoo import SUPERUSER_ID
from odoo.tools import SQL

MODULE = "customer_product_classification"
REGIONS = ["EAST", "NORTH", "CENTRAL", "SOUTH", "SW", "NW", "NE", "HMT", "EU", "SA"]
CHANNELS = ["ON", "OFF", "ON;DIR", "OFF;DIST", "ON;OFF;DIR"]
TYPES = ["ENT", "GOV", "IND"]


def peak_memory_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(env, rows):
    cr = env.cr
    cr.execute(
        SQL(
            """
            INSERT INTO res_partner (name, complete_name, ref, active, type,
                                     is_company, autopost_bills, lang, create_date,
                                     write_date, create_uid, write_uid)
            SELECT 'Import Bench ' || g, 'Import Bench ' || g,
                   'IB' || lpad(g::text, 7, '0'), TRUE, 'contact', TRUE, 'ask',
                   'en_US', now(), now(), 1, 1
              FROM generate_series(1, %s) g
            """,
            rows,
        )
    )
    cr.execute(
        "UPDATE res_partner SET commercial_partner_id = id "
        "WHERE ref LIKE 'IB%' AND commercial_partner_id IS NULL"
    )
    cr.execute("ANALYZE res_partner")
    cr.commit()
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["reference", "REGION", "CHANNEL", "CTYPE"])
    for index in range(1, rows + 1):
        sheet.append(
            [
                f"IB{index:07d}",
                REGIONS[index % len(REGIONS)],
                CHANNELS[index % len(CHANNELS)],
                TYPES[index % len(TYPES)],
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def timed(figures, label, function):
    started = time.perf_counter()
    result = function()
    figures[label] = time.perf_counter() - started
    return result


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args(argv)
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(args.database)
    out = sys.stdout
    figures = {}
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, SUPERUSER_ID, {})
        content = timed(figures, "build", lambda: build(env, args.rows))
        out.write(
            f"data: {args.rows} companies and an .xlsx of {args.rows} rows "
            f"({len(content) / 1e6:.1f} MB), built in {figures['build']:.1f} s\n"
        )
        Importer = env["classification.importer"]

        def read_only():
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
            count = sum(1 for __ in workbook.worksheets[0].iter_rows())
            workbook.close()
            return count

        timed(figures, "baseline", read_only)

        def check():
            return Importer._check_file("partner", content, "bench.xlsx")

        result = timed(figures, "check", check)
        assert not result["errors"], result["errors"][:5]

        def import_file():
            checked = check()
            written = Importer._apply_plan("partner", checked["plan"])
            env.flush_all()
            cr.commit()
            return written

        written = timed(figures, "import", import_file)
        written_again = timed(figures, "same file again", import_file)
        region = env.ref(f"{MODULE}.scheme_region").field_name
        cr.execute(
            SQL(
                "SELECT count(*) FROM res_partner WHERE ref LIKE %s AND %s IS NOT NULL",
                "IB%",
                SQL.identifier(region),
            )
        )
        placed = cr.fetchone()[0]

    base = figures["baseline"]
    out.write(f"baseline (openpyxl reads the file): {base:.2f} s\n")
    out.write(
        f"check: {figures['check']:.2f} s ({figures['check'] / base:.1f} x baseline)\n"
    )
    out.write(
        f"import: {figures['import']:.2f} s ({figures['import'] / base:.1f} x "
        f"baseline), {written} companies written, {placed} placed in a region "
        "[target < 60 s]\n"
    )
    out.write(
        f"same file again: {figures['same file again']:.2f} s "
        f"({figures['same file again'] / base:.1f} x baseline), {written_again} "
        "companies written [target: writes nothing]\n"
    )
    out.write(f"peak memory of the Odoo process: {peak_memory_mb():.0f} MB\n")


if __name__ == "__main__":
    main(sys.argv[1:])
