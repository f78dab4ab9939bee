#!/usr/bin/env bash
# Benchmark of the customer classification engine: a fresh database cpc_bench
# with the addon, 100,000 customers and 1,000,000 confirmed order lines built with
# set-based SQL, then the timed runs (see scripts/benchmark_customers.py). Prints
# the figures and keeps a copy in bench-results/ (git-ignored).
#
# Usage: scripts/benchmark.sh [--customers N] [--lines N]
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
cpc_odoo_found || cpc_die "no Odoo 18.0 tree at ODOO_SRC=$ODOO_SRC: see README"
cpc_check_odoo_version
cpc_ensure_venv 1
cpc_ensure_postgres
db=cpc_bench
work=$CPC_CACHE/bench
conf=$work/odoo.conf
trap 'cpc_drop_db "$db"' EXIT
cpc_write_odoo_config "$conf" "$work/data"
cpc_install_db "$conf" "$db" "$work/install.log"
mkdir -p "$CPC_REPO/bench-results"
out="$CPC_REPO/bench-results/customers-$(date +%Y%m%d-%H%M%S).txt"
PYTHONPATH=$ODOO_SRC "$CPC_VENV/bin/python" "$CPC_REPO/scripts/benchmark_customers.py" \
    --config "$conf" --database "$db" "$@" | tee "$out"
