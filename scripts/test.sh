#!/usr/bin/env bash
# The test command. Runs the offline suite (no Odoo needed), then, when an Odoo
# 18.0 tree is at $ODOO_SRC (default /opt/odoo), the Odoo suite: a fresh
# database, the addon installed with its dependencies, every test in tests/ run
# through pytest-odoo, the database dropped. Writes .test-results/last.json and
# exits non-zero when anything failed.
#
# The tests of the margin basis (named *margin*) run again in a second database,
# a copy of the first with sale_margin installed on top: each path of them (with
# and without order lines' costs) passes in one of the two databases, and a test
# skipped in one is counted once, by what it did in the other.
#
# Usage: scripts/test.sh [--offline] [-k EXPRESSION]
#   --offline   run the offline suite only
#   -k EXPR     only the tests whose name matches EXPR (both suites)
#   CPC_KEEP_DB=1 keeps the test database for inspection.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

offline_only=0
filter_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --offline) offline_only=1 ;;
        -k) filter_args=(-k "$2"); shift ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) cpc_die "unknown argument: $1 (see --help)" ;;
    esac
    shift
done

cd "$CPC_REPO"
started=$(date +%s)
work=$(mktemp -d "${TMPDIR:-/tmp}/cpc-test.XXXXXX")
db="cpc_test_$(date +%Y%m%d%H%M%S)_$$"
margin_db="${db}_margin"
cleanup() {
    if [ "${CPC_KEEP_DB:-0}" != 1 ] && [ -n "${PGUSER:-}" ]; then
        cpc_drop_db "$db"
        cpc_drop_db "$margin_db"
    fi
    rm -rf "$work"
}
trap cleanup EXIT

with_odoo=0
if [ "$offline_only" = 0 ] && cpc_ensure_odoo; then
    with_odoo=1
fi
cpc_ensure_venv "$with_odoo"
py=$CPC_VENV/bin/python

cpc_log "offline suite"
offline_rc=0
"$py" -m pytest -p no:odoo -p no:cacheprovider -q offline_tests ${filter_args[@]+"${filter_args[@]}"} \
    --junitxml="$work/offline.xml" || offline_rc=$?
# With -k, a suite where nothing matches is not a failure (pytest's exit code 5).
if [ ${#filter_args[@]} -gt 0 ] && [ "$offline_rc" = 5 ]; then offline_rc=0; fi

odoo_state=skipped
odoo_rc=0
if [ "$with_odoo" = 1 ]; then
    cpc_ensure_postgres
    # Browser tests (tours) run in Debian's Chromium.
    cpc_apt_install chromium
    conf=$work/odoo.conf
    cpc_write_odoo_config "$conf" "$work/data"
    if cpc_install_db "$conf" "$db" "$work/install.log"; then
        cpc_log "Odoo suite"
        odoo_state=ran
        odoo_pytest() {  # database, then pytest arguments
            local database=$1; shift
            PYTHONPATH=$ODOO_SRC "$py" "$CPC_REPO/scripts/odoo_pytest.py" -p no:cacheprovider -q \
                --odoo-config="$conf" --odoo-database="$database" --odoo-log-level=warn \
                "$CPC_CACHE/addons-link/$CPC_MODULE/tests" "$@"
        }
        # Copied before the suite runs (the database must be idle), with its
        # files, while it is the fresh install.
        margin_expr="margin"
        if [ ${#filter_args[@]} -gt 0 ]; then margin_expr="(${filter_args[1]}) and margin"; fi
        margin_tests=$(odoo_pytest "$db" --collect-only -k "$margin_expr" 2>/dev/null \
            | grep -c '::' || true)
        margin_rc=0
        if [ "$margin_tests" -gt 0 ]; then
            psql -d postgres -q -c "CREATE DATABASE \"$margin_db\" TEMPLATE \"$db\"" \
                && { [ ! -d "$work/data/filestore/$db" ] \
                     || cp -r "$work/data/filestore/$db" "$work/data/filestore/$margin_db"; } \
                || margin_rc=1
        fi
        odoo_pytest "$db" --odoo-http ${filter_args[@]+"${filter_args[@]}"} \
            --junitxml="$work/odoo.xml" || odoo_rc=$?
        if [ ${#filter_args[@]} -gt 0 ] && [ "$odoo_rc" = 5 ]; then odoo_rc=0; fi
        if [ "$margin_tests" -gt 0 ] && [ "$margin_rc" = 0 ]; then
            margin_started=$(date +%s)
            cpc_log "margin tests ($margin_tests) on a copy with sale_margin"
            cpc_odoo_bin -c "$conf" -d "$margin_db" -i sale_margin --stop-after-init \
                --no-http --log-level=warn --logfile="$work/install-margin.log" \
                || margin_rc=$?
            if [ "$margin_rc" = 0 ]; then
                odoo_pytest "$margin_db" -k "$margin_expr" \
                    --junitxml="$work/odoo-margin.xml" || margin_rc=$?
            else
                tail -n 40 "$work/install-margin.log" >&2
            fi
            cpc_log "margin tests took $(( $(date +%s) - margin_started )) s"
        fi
        # A failed copy or install fails the suite: the margin paths went untested.
        if [ "$margin_rc" != 0 ] && [ "$odoo_rc" = 0 ]; then odoo_rc=$margin_rc; fi
    else
        odoo_state=install-failed
    fi
else
    if [ "$offline_only" = 1 ]; then
        why="--offline was given"
    else
        why="no Odoo 18.0 tree at ODOO_SRC=$ODOO_SRC, and none could be fetched (see above and README)"
    fi
    printf '\n!!!!! ODOO SUITE SKIPPED: %s. Only the offline suite ran. !!!!!\n\n' "$why" >&2
fi

"$py" "$CPC_REPO/scripts/test_report.py" \
    --offline-xml "$work/offline.xml" --offline-rc "$offline_rc" \
    --odoo-xml "$work/odoo.xml" --odoo-rc "$odoo_rc" --odoo-state "$odoo_state" \
    --margin-xml "$work/odoo-margin.xml" \
    --seconds "$(( $(date +%s) - started ))" \
    --output "$CPC_REPO/.test-results/last.json"
