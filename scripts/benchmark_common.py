"""What the benchmark scripts share: opening the database, timing, memory,
counting the rows a run wrote, building customers and orders in SQL, profiling
and printing the figures.

A script defines its arguments and a ``run(env, args, out)`` function and calls
:func:`main`; scripts/benchmark.sh prepares the database.
"""

import argparse
import cProfile
import pstats
import re
import resource
import sys
import time
from collections import defaultdict
from contextlib import contextmanager

import odoo
from odoo import SUPERUSER_ID
from odoo.tools import SQL


def peak_memory_mb():
    """Peak resident memory of this (Odoo) process so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def open_registry(args):
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level=warn"]
    )
    return odoo.modules.registry.Registry(args.database)


def main(argv, run, add_arguments=None):
    """Parse the common arguments (--config, --database) and the script's own,
    then call ``run(env, args, out)`` in one cursor as superuser; its return
    value is the exit status."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    if add_arguments:
        add_arguments(parser)
    args = parser.parse_args(argv)
    registry = open_registry(args)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, SUPERUSER_ID, {})
        return run(env, args, sys.stdout) or 0


def add_size_arguments(parser, subject, default):
    """--<subject> N (how many records), --lines N and --profile, as the
    classification benchmarks take them."""
    parser.add_argument(f"--{subject}", type=int, default=default)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile each run: Python functions and SQL statements",
    )


class Timer:
    """Times labelled steps (each committed) and keeps the figures."""

    def __init__(self, env):
        self.env, self.cr = env, env.cr
        self.figures = {}

    def timed(self, label, function):
        started = time.perf_counter()
        result = function()
        self.cr.commit()
        self.figures[label] = time.perf_counter() - started
        return result

    def transaction_id(self):
        self.cr.execute("SELECT txid_current()")
        return self.cr.fetchone()[0] % 2**32

    def written(self, tables, xid):
        """{table: rows the transaction ``xid`` inserted or updated}."""
        counts = {}
        for table in tables:
            self.cr.execute(
                SQL(
                    "SELECT count(*) FROM %s WHERE xmin = %s::text::xid",
                    SQL.identifier(table),
                    xid,
                )
            )
            counts[table] = self.cr.fetchone()[0]
        return counts

    def timed_run(self, label, function, tables):
        """Time ``function`` (a classification run) in a transaction of its own
        and count what it wrote in ``tables``."""
        xid = self.transaction_id()
        result = self.timed(label, function)
        self.figures[f"{label} memory"] = peak_memory_mb()
        return result, self.written(tables, xid)


def insert_partners(cr, prefix, count):
    """``count`` companies named ``prefix`` + number, their own commercial
    partner, inserted in SQL."""
    cr.execute(
        SQL(
            """
            INSERT INTO res_partner (name, complete_name, active, type, is_company,
                                     autopost_bills, lang, create_date, write_date,
                                     create_uid, write_uid)
            SELECT %(prefix)s || g, %(prefix)s || g, TRUE, 'contact',
                   TRUE, 'ask', 'en_US', now(), now(), 1, 1
              FROM generate_series(1, %(count)s) g
            """,
            prefix=prefix,
            count=count,
        )
    )
    cr.execute(
        SQL(
            "UPDATE res_partner SET commercial_partner_id = id "
            "WHERE name LIKE %s AND commercial_partner_id IS NULL",
            prefix + "%",
        )
    )


def insert_orders(cr, company, rows, prefix, partners="bench_partner"):
    """Confirmed orders named ``prefix`` + g of the rows (g, rn, day) of the SQL
    ``rows``, for the partner numbered rn of the table ``partners`` (id, rn)."""
    cr.execute(
        SQL(
            """
            INSERT INTO sale_order (name, partner_id, partner_invoice_id,
                   partner_shipping_id, company_id, date_order, state, currency_id,
                   currency_rate, amount_untaxed, amount_tax, amount_total,
                   create_date, write_date, create_uid, write_uid)
            SELECT %(prefix)s || s.g, p.id, p.id, p.id, %(company)s, s.day, 'sale',
                   %(currency)s, 1.0, 0, 0, 0, now(), now(), 1, 1
              FROM (%(rows)s) s JOIN %(partners)s p ON p.rn = s.rn
            """,
            prefix=prefix,
            company=company.id,
            currency=company.currency_id.id,
            rows=rows,
            partners=SQL.identifier(partners),
        )
    )


@contextmanager
def profiled(out, enabled, top=25):
    """Profile the block (when ``enabled``): the Python functions by cumulative
    time, and the SQL statements by total time (where PostgreSQL spends it)."""
    if not enabled:
        yield
        return
    statements = StatementTimer()
    profiler = cProfile.Profile()
    with statements:
        profiler.enable()
        try:
            yield
        finally:
            profiler.disable()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    statements.report(out, top)


class StatementTimer:
    """Times every SQL statement run while active, grouped by its first words
    (a profiling aid of the benchmarks; nothing else uses it)."""

    def __init__(self):
        self.seconds = defaultdict(float)
        self.calls = defaultdict(int)

    @staticmethod
    def _label(query):
        text = query.code if isinstance(query, SQL) else str(query)
        return re.sub(r"\s+", " ", text).strip()[:110]

    def __enter__(self):
        cursor_class = odoo.sql_db.Cursor
        self._execute = original = cursor_class.execute
        timer = self

        def execute(cursor, query, params=None, log_exceptions=True):
            started = time.perf_counter()
            try:
                return original(cursor, query, params, log_exceptions)
            finally:
                label = timer._label(query)
                timer.seconds[label] += time.perf_counter() - started
                timer.calls[label] += 1

        cursor_class.execute = execute
        return self

    def __exit__(self, *exc):
        odoo.sql_db.Cursor.execute = self._execute

    def report(self, out, top):
        out.write(f"SQL statements by total time (top {top}):\n")
        ranked = sorted(self.seconds.items(), key=lambda item: -item[1])[:top]
        for label, seconds in ranked:
            out.write(f"{seconds:8.2f} s {self.calls[label]:6d} x  {label}\n")


def report_runs(out, figures, runs, noun, tables):
    """One line per timed run: seconds, ratio to the baseline, what it wrote.

    ``runs`` is a list of (label, result, written, target); ``tables`` a list
    of (table, plural name) in the order printed."""
    base = figures["baseline"]
    for label, result, written, target in runs:
        seconds = figures[label]
        rows = ", ".join(f"{written[table]} {name}" for table, name in tables)
        out.write(
            f"{label}: {seconds:.2f} s ({seconds / base:.1f} x baseline), "
            f"{result['done']} {noun} written; rows written: {rows} "
            f"[target {target}]\n"
        )
