#!/usr/bin/env bash
# Benchmarks on a fresh database cpc_bench with the addon. Prints the figures and
# keeps a copy in bench-results/ (git-ignored).
#  - customers (default): the classification engine on 100,000 customers and
#    1,000,000 confirmed order lines built with set-based SQL
#    (see scripts/benchmark_customers.py);
#  - import: the category import of a 50,000-row .xlsx
#    (see scripts/benchmark_import.py);
#  - products: ABC + XYZ product classification on 50,000 products and
#    1,000,000 confirmed order lines built with set-based SQL
#    (see scripts/benchmark_products.py);
#  - create: what the addon's hooks add to creating and editing partners and
#    products, one at a time and in batch (see scripts/benchmark_create.py);
#  - coding: the coding wizard giving codes to 100,000 customers without one,
#    beside allocating as many sequence values alone (scripts/benchmark_coding.py);
#  - strategies: a run where 40,000 customers change class, without and with a
#    strategy firing for each (see scripts/benchmark_strategies.py).
# CPC_BENCH_DB names the database (default cpc_bench), for runs side by side.
#
# Usage: scripts/benchmark.sh [customers] [--customers N] [--lines N] [--profile]
#        scripts/benchmark.sh products [--products N] [--lines N] [--profile]
#        scripts/benchmark.sh import [--rows N] [--hostile [--only TEXT]]
#        scripts/benchmark.sh create [--single N] [--batch N] [--rounds N]
#        scripts/benchmark.sh coding [--customers N]
#        scripts/benchmark.sh strategies [--customers N]
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
bench=customers
case "${1:-}" in
    customers|products|import|create|coding|strategies) bench=$1; shift ;;
esac
cpc_ensure_odoo || cpc_die "no Odoo 18.0 source tree: see above, and README"
cpc_ensure_venv 1
cpc_ensure_postgres
db=${CPC_BENCH_DB:-cpc_bench}
work=$CPC_CACHE/bench
conf=$work/odoo.conf
trap 'cpc_drop_db "$db"' EXIT
cpc_write_odoo_config "$conf" "$work/data"
cpc_install_db "$conf" "$db" "$work/install.log"
mkdir -p "$CPC_REPO/bench-results"
out="$CPC_REPO/bench-results/$bench-$(date +%Y%m%d-%H%M%S).txt"
PYTHONPATH=$ODOO_SRC "$CPC_VENV/bin/python" "$CPC_REPO/scripts/benchmark_$bench.py" \
    --config "$conf" --database "$db" "$@" | tee "$out"
