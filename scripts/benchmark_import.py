"""Benchmark of the category import at scale.

Builds N companies (set-based SQL) and an .xlsx of N rows placing each of them in
three seeded schemes (Region, one value; Sales Channel, several values; Customer
Type, one value), then times, in one Odoo process:

- the baseline: reading the file alone with openpyxl, the floor of any import;
- the check: reading and checking every row (what "Check File" does);
- the import: checking again and writing (what "Import" does);
- the same file again: nothing changes, so nothing may be written.

Prints every figure, its ratio to the baseline, and the peak memory.

With --hostile, builds instead the worst files the import must survive (see
HOSTILE below: a far cell, a zip bomb, a million formula rows, a file of errors,
the largest legitimate file the limits let through) and checks each in a fresh
Odoo process, printing its time and the peak memory (RSS) of that process.

Run by scripts/benchmark.sh import, which prepares the database:
    benchmark_import.py --config ODOO_CONF --database DB [--rows N] [--hostile]
"""

import argparse
import base64
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile

import openpyxl

import odoo
from odoo import SUPERUSER_ID
from odoo.tools import SQL

MODULE = "customer_product_classification"
REGIONS = ["EAST", "NORTH", "CENTRAL", "SOUTH", "SW", "NW", "NE", "HMT", "EU", "SA"]
CHANNELS = ["ON", "OFF", "ON;DIR", "OFF;DIST", "ON;OFF;DIR"]
TYPES = ["ENT", "GOV", "IND"]


def peak_memory_mb():
    # VmHWM is this process's own peak; ru_maxrss would also count the parent's
    # peak before the fork (the hostile mode checks each file in a child).
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
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


# ----------------------------------------------------------------------
# Hostile files
# ----------------------------------------------------------------------
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _replace_sheet(content, member, chunks):
    """The workbook with one part written from chunks (never held whole)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename != member:
                archive.writestr(info.filename, source.read(info))
        with archive.open(member, "w", force_zip64=True) as part:
            for chunk in chunks:
                part.write(chunk)
    return buffer.getvalue()


def _small_workbook():
    workbook = openpyxl.Workbook()
    workbook.active.append(["reference", "REGION"])
    workbook.active.append(["IB0000001", "EAST"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def far_cell():
    sheet = (
        f'<worksheet xmlns="{SHEET_NS}"><dimension ref="A1:XFD1048576"/>'
        '<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>reference</t></is>'
        '</c></row><row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t>'
        "</is></c></row></sheetData></worksheet>"
    )
    return "far_cell.xlsx", _replace_sheet(
        _small_workbook(), "xl/worksheets/sheet1.xml", [sheet.encode()]
    )


def zip_bomb():
    chunk = b"A" * (1024 * 1024)
    chunks = [b"<sst><si><t>", *([chunk] * 1024), b"</t></si></sst>"]
    return "zip_bomb.xlsx", _replace_sheet(
        _small_workbook(), "xl/sharedStrings.xml", chunks
    )


def formula_rows():
    def chunks():
        yield (
            f'<worksheet xmlns="{SHEET_NS}"><sheetData><row r="1">'
            '<c r="A1" t="inlineStr"><is><t>reference</t></is></c>'
            '<c r="B1" t="inlineStr"><is><t>REGION</t></is></c></row>'
        ).encode()
        # Rows and cells without references (openpyxl counts them): the file
        # compresses to little, as a hostile one would.
        row = b"<row><c><f>A1</f></c><c><f>A1</f></c></row>"
        for __ in range(1_048_575 // 1025):
            yield row * 1025
        yield b"</sheetData></worksheet>"

    return "formula_rows.xlsx", _replace_sheet(
        _small_workbook(), "xl/worksheets/sheet1.xml", chunks()
    )


def formula_rows_csv():
    return "formula_rows.csv", b"reference,REGION\n" + b"=1,=1\n" * 1_048_575


def _rows_file(rows, width, valid):
    """Rows naming the benchmark's companies (or unknown ones) in ``width``
    scheme columns, the most a file within the limits holds."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    columns = SCHEME_VALUES[:width]
    sheet.append(["reference", *(code for code, __ in columns)])
    for index in range(1, rows + 1):
        reference = f"IB{index:07d}" if valid else f"XX{index:07d}"
        sheet.append(
            [reference, *(values[index % len(values)] for __, values in columns)]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Codes of the seeded partner schemes' categories, filled in by main().
SCHEME_VALUES = []


def errors_everywhere():
    return "errors.xlsx", _rows_file(50_000, 8, valid=False)


def largest_valid():
    return "largest_valid.xlsx", _rows_file(50_000, 8, valid=True)


HOSTILE = {
    "far cell (one cell at XFD1048576)": far_cell,
    "zip bomb (a 1 GB shared string)": zip_bomb,
    "1,048,575 formula rows (.xlsx)": formula_rows,
    "1,048,575 formula rows (.csv)": formula_rows_csv,
    "50,000 rows, every one wrong": errors_everywhere,
    "largest valid file: 50,000 rows x 9 columns, check and import": largest_valid,
}


def check_one(env, path, apply):
    """In a fresh process: check (and import) one file as the wizard does."""
    with open(path, "rb") as handle:
        content = handle.read()
    before = peak_memory_mb()
    started = time.perf_counter()
    wizard = env["classification.import.wizard"].create(
        {"file": base64.b64encode(content), "filename": os.path.basename(path)}
    )
    wizard.action_check()
    if apply and wizard.state == "preview":
        wizard.action_import()
    env.flush_all()
    elapsed = time.perf_counter() - started
    report = wizard.error_report or ""
    result = {
        "seconds": elapsed,
        "peak_mb": peak_memory_mb(),
        "start_mb": before,
        "state": wizard.state,
        "errors": wizard.error_count,
        "report_kb": len(report.encode()) / 1024,
        "first_error": report.split("\n")[0][:100],
    }
    env.cr.rollback()
    return result


def hostile(args, registry, out):
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, SUPERUSER_ID, {})
        cr.execute("SELECT 1 FROM res_partner WHERE ref = 'IB0000001'")
        if not cr.fetchone():
            build(env, args.rows)
        for xmlid in (
            "scheme_region",
            "scheme_customer_type",
            "scheme_company_size",
            "scheme_industry",
            "scheme_city_tier",
            "scheme_channel",
            "scheme_needs",
            "scheme_account_value",
        ):
            scheme = env.ref(f"{MODULE}.{xmlid}")
            SCHEME_VALUES.append(
                (scheme.code, [c.complete_code for c in scheme.category_ids[:5]])
            )
    with tempfile.TemporaryDirectory() as folder:
        for label, make in HOSTILE.items():
            if args.only not in label:
                continue
            filename, content = make()
            path = os.path.join(folder, filename)
            with open(path, "wb") as handle:
                handle.write(content)
            del content
            command = [
                sys.executable,
                os.path.abspath(__file__),
                "--config",
                args.config,
                "--database",
                args.database,
                "--check-file",
                path,
            ]
            if filename.startswith("largest"):
                command.append("--apply")
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode:
                raise RuntimeError(f"{label}: {done.stderr[-3000:]}")
            result = json.loads(done.stdout.splitlines()[-1])
            out.write(
                f"{label}: {os.path.getsize(path) / 1e6:.3f} MB file, "
                f"{result['seconds']:.2f} s, peak {result['peak_mb']:.0f} MB "
                f"(process at start {result['start_mb']:.0f} MB), "
                f"{result['state']}, {result['errors']} errors, report "
                f"{result['report_kb']:.0f} kB: {result['first_error']}\n"
            )
            out.flush()


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--hostile", action="store_true")
    parser.add_argument(
        "--only", default="", help="with --hostile: the files whose label has this"
    )
    parser.add_argument("--check-file", help=argparse.SUPPRESS)
    parser.add_argument("--apply", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(args.database)
    out = sys.stdout
    if args.check_file:
        with registry.cursor() as cr:
            env = odoo.api.Environment(cr, SUPERUSER_ID, {})
            result = check_one(env, args.check_file, args.apply)
        out.write(json.dumps(result) + "\n")
        return
    if args.hostile:
        hostile(args, registry, out)
        return
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
