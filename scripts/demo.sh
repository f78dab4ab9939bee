#!/usr/bin/env bash
# The demo command. Creates a fresh database with the addon installed, fills it
# with a seeded multi-year sales history, runs every classification the addon
# has, prints a summary, and serves Odoo at http://localhost:8069 (login admin,
# password admin) until interrupted. Running it again replaces its database.
#
# Usage: scripts/demo.sh [options]
#   --customers N   customers to create (default 300)
#   --products N    products to create (default 200)
#   --orders N      sales orders to create (default 3000)
#   --years N       years of history, ending today (default 3)
#   --seed N        random seed: the same seed gives the same history (default 42)
#   --db NAME       database name (default cpc_demo)
#   --port N        HTTP port (default 8069)
#   --no-serve      exit after the summary
#   --check-serving serve in the background, load the web client in rounds of
#                   parallel requests (scripts/load_web_client.py), stop, and exit
#                   non-zero on any failed request or server error in the log
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"

db=cpc_demo
port=8069
serve=1
generator_args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --customers|--products|--orders|--years|--seed)
            [ $# -ge 2 ] || cpc_die "$1 needs a value"
            generator_args+=("$1" "$2"); shift ;;
        --db) db=$2; shift ;;
        --port) port=$2; shift ;;
        --no-serve) serve=0 ;;
        --check-serving) serve=check ;;
        -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
        *) cpc_die "unknown argument: $1 (see --help)" ;;
    esac
    shift
done

cpc_ensure_odoo || cpc_die "no Odoo 18.0 source tree: see above, and README, 'Odoo itself'"
started=$(date +%s)
cpc_ensure_venv 1
cpc_ensure_postgres

demo_dir=$CPC_CACHE/demo
conf=$demo_dir/odoo.conf
rm -rf "$demo_dir/data/filestore/$db"
cpc_write_odoo_config "$conf" "$demo_dir/data"
cpc_install_db "$conf" "$db" "$demo_dir/install.log"

cpc_log "generating the sales history and classifying"
PYTHONPATH=$ODOO_SRC "$CPC_VENV/bin/python" "$CPC_REPO/scripts/demo_data.py" \
    --config "$conf" --database "$db" ${generator_args[@]+"${generator_args[@]}"}
cpc_log "demo database $db ready in $(( $(date +%s) - started )) s"

serve_args=(-c "$conf" -d "$db" --db-filter="^${db}\$" --http-port="$port")

if [ "$serve" = check ]; then
    log=$demo_dir/serve-check.log
    : > "$log"
    cpc_log "serving in the background (log: $log) and loading the web client"
    "$CPC_VENV/bin/python" "$ODOO_SRC/odoo-bin" "${serve_args[@]}" --log-level=info \
        --logfile="$log" &
    server=$!
    trap 'kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true' EXIT
    # It meets the server cold, as a browser opened at once would.
    check_rc=0
    "$CPC_VENV/bin/python" "$CPC_REPO/scripts/load_web_client.py" --wait 120 \
        --url "http://127.0.0.1:$port" --db "$db" --log "$log" || check_rc=$?
    exit "$check_rc"
fi

if [ "$serve" = 1 ]; then
    printf '\nOdoo is serving the demo at http://localhost:%s  (login: admin, password: admin)\n' "$port"
    printf 'Press Ctrl+C to stop.\n\n'
    exec "$CPC_VENV/bin/python" "$ODOO_SRC/odoo-bin" "${serve_args[@]}" --log-level=warn
fi
