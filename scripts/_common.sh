# Shared set-up for scripts/test.sh and scripts/demo.sh: sourced, not run.
#
# Finds Odoo, makes sure a PostgreSQL server answers on loopback (installing and
# starting Debian's when none does), creates the database role Odoo connects
# with, and keeps one Python virtual environment with Odoo's requirements and
# the addon's. Everything is idempotent: a second call only checks.

set -euo pipefail

CPC_MODULE=customer_product_classification
CPC_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CPC_CACHE=${CPC_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/$CPC_MODULE}
CPC_VENV=${CPC_VENV:-$CPC_CACHE/venv}
# Odoo: $ODOO_SRC when set, else /opt/odoo when it holds a tree, else a copy in the
# cache that cpc_ensure_odoo fetches on first use from $CPC_ODOO_URL (a mirror, or
# the path of a local clone, will do).
if [ -z "${ODOO_SRC:-}" ]; then
    ODOO_SRC=/opt/odoo
    [ -f "$ODOO_SRC/odoo-bin" ] || ODOO_SRC=$CPC_CACHE/odoo
fi
CPC_ODOO_URL=${CPC_ODOO_URL:-https://github.com/odoo/odoo.git}
CPC_ODOO_BRANCH=18.0
CPC_PYTHON=${CPC_PYTHON:-}
PGHOST=${PGHOST:-127.0.0.1}
PGPORT=${PGPORT:-5432}
CPC_DB_USER=${CPC_DB_USER:-odoo}
CPC_DB_PASSWORD=${CPC_DB_PASSWORD:-odoo}
# HTTP port of the test server (browser tours); another one lets two runs share a machine.
CPC_HTTP_PORT=${CPC_HTTP_PORT:-8069}
export PGHOST PGPORT

cpc_log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
cpc_die() { printf 'ERROR: %s\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, else through sudo.
cpc_as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Runs a command as the postgres system user, over the local socket (peer auth).
cpc_as_postgres() {
    local clean=(env -u PGHOST -u PGUSER -u PGPASSWORD -C /)
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "${clean[@]}" "$@"
    else
        sudo -u postgres "${clean[@]}" "$@"
    fi
}

CPC_APT_UPDATED=0
cpc_apt_install() {
    local missing=()
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null || cpc_die "apt-get is needed to install: ${missing[*]}"
    cpc_log "installing Debian packages: ${missing[*]}"
    if [ "$CPC_APT_UPDATED" -eq 0 ]; then
        cpc_as_root apt-get update -qq >/dev/null
        CPC_APT_UPDATED=1
    fi
    cpc_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
}

# True when an Odoo 18.0 source tree is at $ODOO_SRC.
cpc_odoo_found() {
    [ -f "$ODOO_SRC/odoo-bin" ] && [ -d "$ODOO_SRC/odoo/addons/base" ]
}

# Makes sure an Odoo 18.0 tree is at $ODOO_SRC: when the folder is missing or
# empty, fetches a shallow clone of the 18.0 branch into it. Returns non-zero,
# having said loudly what to do, when that cannot be done.
cpc_ensure_odoo() {
    if cpc_odoo_found; then
        cpc_check_odoo_version
        return 0
    fi
    if [ -n "$(ls -A "$ODOO_SRC" 2>/dev/null)" ]; then
        printf '\n!!!!! %s holds no Odoo source tree (no odoo-bin). !!!!!\n' "$ODOO_SRC" >&2
        printf 'Empty it to let the scripts fetch Odoo %s there, or set ODOO_SRC to an Odoo %s tree.\n\n' \
            "$CPC_ODOO_BRANCH" "$CPC_ODOO_BRANCH" >&2
        return 1
    fi
    command -v git >/dev/null || cpc_apt_install git ca-certificates
    local partial=$ODOO_SRC.partial
    rm -rf "$partial"
    mkdir -p "$(dirname "$ODOO_SRC")"
    cpc_log "fetching Odoo $CPC_ODOO_BRANCH Community from $CPC_ODOO_URL into $ODOO_SRC (once; a few minutes)"
    if ! git clone -q --depth 1 --single-branch --branch "$CPC_ODOO_BRANCH" "$CPC_ODOO_URL" "$partial"; then
        rm -rf "$partial"
        printf '\n!!!!! Odoo %s could not be fetched from %s. !!!!!\n' "$CPC_ODOO_BRANCH" "$CPC_ODOO_URL" >&2
        printf 'Do one of these, then run the command again:\n' >&2
        printf '  - let this machine reach that address;\n' >&2
        printf '  - set CPC_ODOO_URL to a mirror of the Odoo repository (a URL, or the path of a\n' >&2
        printf '    local clone) that has the %s branch;\n' "$CPC_ODOO_BRANCH" >&2
        printf '  - put an Odoo %s source tree at /opt/odoo, or anywhere and set ODOO_SRC to it.\n\n' \
            "$CPC_ODOO_BRANCH" >&2
        return 1
    fi
    rmdir "$ODOO_SRC" 2>/dev/null || true
    mv "$partial" "$ODOO_SRC"
    if ! cpc_odoo_found; then
        printf '\n!!!!! The %s branch of %s holds no Odoo source tree (no odoo-bin). !!!!!\n\n' \
            "$CPC_ODOO_BRANCH" "$CPC_ODOO_URL" >&2
        return 1
    fi
    cpc_check_odoo_version
}

cpc_check_odoo_version() {
    local version
    version=$(sed -n 's/^version_info = (\([0-9]*\), \([0-9]*\),.*/\1.\2/p' "$ODOO_SRC/odoo/release.py")
    [ "$version" = "18.0" ] || cpc_die "$ODOO_SRC holds Odoo $version; this addon needs Odoo 18.0"
}

# The addons path Odoo is started with: a folder holding this repository under
# its technical name, then Odoo's own addons.
cpc_addons_path() {
    local link_dir=$CPC_CACHE/addons-link
    mkdir -p "$link_dir"
    ln -sfn "$CPC_REPO" "$link_dir/$CPC_MODULE"
    local path="$link_dir,$ODOO_SRC/odoo/addons"
    [ -d "$ODOO_SRC/addons" ] && path="$path,$ODOO_SRC/addons"
    printf '%s' "$path"
}

cpc_pg_ready() {
    command -v pg_isready >/dev/null && pg_isready -q -h "$PGHOST" -p "$PGPORT" -t 2
}

# Makes sure a PostgreSQL server answers on $PGHOST:$PGPORT and that the role
# Odoo uses exists (Odoo refuses to connect as the superuser "postgres").
cpc_ensure_postgres() {
    if ! cpc_pg_ready; then
        if ! command -v pg_lsclusters >/dev/null || [ -z "$(ls /usr/lib/postgresql 2>/dev/null)" ]; then
            cpc_apt_install postgresql postgresql-client
        fi
        local version cluster
        version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
        cluster=$(pg_lsclusters -h 2>/dev/null | awk -v v="$version" '$1 == v {print $2; exit}')
        if [ -z "$cluster" ]; then
            cpc_log "creating PostgreSQL $version cluster main"
            cpc_as_root pg_createcluster "$version" main >/dev/null
            cluster=main
        fi
        cpc_log "starting PostgreSQL $version/$cluster"
        cpc_as_root pg_ctlcluster "$version" "$cluster" start || true
        local i
        for i in $(seq 1 30); do
            cpc_pg_ready && break
            sleep 1
        done
        cpc_pg_ready || cpc_die "PostgreSQL did not answer on $PGHOST:$PGPORT"
    fi
    if [ "$(cpc_as_postgres psql -p "$PGPORT" -tAc \
        "SELECT 1 FROM pg_roles WHERE rolname = '$CPC_DB_USER'" 2>/dev/null)" != "1" ]; then
        cpc_log "creating database role $CPC_DB_USER"
        cpc_as_postgres psql -p "$PGPORT" -q -c \
            "CREATE ROLE \"$CPC_DB_USER\" LOGIN CREATEDB PASSWORD '$CPC_DB_PASSWORD'"
    fi
    export PGUSER=$CPC_DB_USER PGPASSWORD=$CPC_DB_PASSWORD
}

# Python 3.11 before 3.11.8 keeps one AST recursion counter for all threads
# (CPython gh-106905): when a garbage collection lets another thread parse in the
# middle of ast.parse, the request fails with "SystemError: AST constructor
# recursion depth mismatch". Odoo's threaded server parses in every request
# (safe_eval, domains, tracebacks), so the demo's static files failed at random.
# 3.12 (Odoo 18's newest, the one its own images run) collects garbage only
# between bytecodes, and 3.10 has no such counter: both are free of it.
cpc_python_race_free() {
    "$1" -c 'import sys; v = sys.version_info[:3]
sys.exit(not ((3, 10) <= v[:2] <= (3, 12) and not (3, 11) <= v < (3, 11, 8)))' 2>/dev/null
}

# Odoo 18 runs on 3.10 to 3.12.
cpc_python_supported() {
    "$1" -c 'import sys; sys.exit(not (3, 10) <= sys.version_info[:2] <= (3, 12))' 2>/dev/null
}

# The interpreters to choose from, best first: on PATH, then pyenv's (whose
# shims answer only for its selected version).
cpc_python_candidates() {
    local name found
    for name in python3.12 python3.11 python3.10 python3; do
        found=$(command -v "$name" 2>/dev/null) && printf '%s\n' "$found"
        [ "$name" = python3 ] && continue
        for found in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"${name#python}".*/bin/"$name"; do
            [ -x "$found" ] && printf '%s\n' "$found"
        done
    done
    printf '%s\n' /usr/bin/python3.12 /usr/bin/python3.11 /usr/bin/python3.10 /usr/bin/python3
}

# Sets CPC_PYTHON (unless the user did) to the first race-free interpreter Odoo 18
# supports, else to the first one it supports, loudly.
cpc_pick_python() {
    if [ -n "$CPC_PYTHON" ]; then
        cpc_python_supported "$CPC_PYTHON" || cpc_die "CPC_PYTHON=$CPC_PYTHON: Odoo 18 needs Python 3.10 to 3.12"
        return
    fi
    local candidate fallback=
    while read -r candidate; do
        [ -x "$candidate" ] || continue
        if cpc_python_race_free "$candidate"; then
            CPC_PYTHON=$candidate
            return
        fi
        if [ -z "$fallback" ] && cpc_python_supported "$candidate"; then fallback=$candidate; fi
    done < <(cpc_python_candidates)
    [ -n "$fallback" ] || cpc_die "no Python 3.10 to 3.12 found (Odoo 18 needs one); set CPC_PYTHON to one"
    CPC_PYTHON=$fallback
    printf '\n!!!!! %s is Python %s: under load its threads can fail requests with\n' \
        "$CPC_PYTHON" "$("$CPC_PYTHON" -c 'import platform; print(platform.python_version())')" >&2
    printf '"SystemError: AST constructor recursion depth mismatch" (CPython bug gh-106905).\n' >&2
    printf 'Install Python 3.12 (or 3.11.8 or later), or set CPC_PYTHON to one, then run again. !!!!!\n\n' >&2
}

# Odoo 18 pins cbor2 5.4.2 for Python < 3.12, which no longer builds; 5.6.2 does.
cpc_odoo_requirements() {
    sed 's/^cbor2==5\.4\.2\b/cbor2==5.6.2/' "$ODOO_SRC/requirements.txt"
}

# A virtual environment belongs to one interpreter: when $CPC_VENV was built by
# another one than $CPC_PYTHON (or is broken), it goes, to be built anew.
cpc_drop_foreign_venv() {
    [ -e "$CPC_VENV" ] || return 0
    local version_of='import sys; print(sys.version)'
    if [ "$("$CPC_VENV/bin/python" -c "$version_of" 2>/dev/null)" \
        != "$("$CPC_PYTHON" -c "$version_of")" ]; then
        cpc_log "replacing virtual environment $CPC_VENV: it was not built with $CPC_PYTHON"
        rm -rf "$CPC_VENV"
    fi
}

# Builds (or refreshes) the virtual environment. With Odoo, it holds Odoo's
# requirements, the addon's and the test tools; without, the offline tools only.
cpc_ensure_venv() {
    cpc_pick_python
    local with_odoo=$1
    local wanted
    wanted=$({
        "$CPC_PYTHON" --version 2>&1
        cat "$CPC_REPO/requirements.txt" "$CPC_REPO/scripts/requirements-dev.txt"
        if [ "$with_odoo" = 1 ]; then
            cpc_odoo_requirements
            cat "$CPC_REPO/scripts/requirements-odoo-tests.txt"
        fi
    } | sha256sum | cut -c1-16)
    if [ -x "$CPC_VENV/bin/python" ] && [ "$(cat "$CPC_VENV/.cpc-stamp" 2>/dev/null)" = "$wanted" ]; then
        return
    fi
    cpc_drop_foreign_venv
    if ! "$CPC_PYTHON" -c 'import ensurepip, venv' 2>/dev/null; then
        cpc_apt_install python3-venv
    fi
    if [ ! -x "$CPC_VENV/bin/python" ]; then
        cpc_log "creating virtual environment $CPC_VENV"
        mkdir -p "$(dirname "$CPC_VENV")"
        "$CPC_PYTHON" -m venv "$CPC_VENV"
    fi
    local pip=("$CPC_VENV/bin/python" -m pip install -q --disable-pip-version-check)
    "${pip[@]}" --upgrade pip wheel 2>&1 | grep -v '^WARNING: Location' >&2 || true
    if [ "$with_odoo" = 1 ]; then
        # Headers that python-ldap and psycopg2 compile against.
        cpc_apt_install build-essential libldap2-dev libsasl2-dev libpq-dev
        cpc_log "installing Odoo's Python requirements (a few minutes the first time)"
        local req=$CPC_VENV/odoo-requirements.txt
        cpc_odoo_requirements > "$req"
        "${pip[@]}" -r "$req" 2>&1 | grep -v '^WARNING: Location' >&2 || true
        "$CPC_VENV/bin/python" -c 'import psycopg2, lxml, werkzeug, babel, PIL' \
            || cpc_die "Odoo's Python requirements did not install"
        "${pip[@]}" -r "$CPC_REPO/scripts/requirements-odoo-tests.txt" 2>&1 \
            | grep -v '^WARNING: Location' >&2 || true
        "$CPC_VENV/bin/python" -c 'import importlib.metadata as m, websocket; m.version("pytest-odoo")' \
            || cpc_die "the Odoo test tools did not install"
    fi
    cpc_log "installing the addon's and the test tools' Python requirements"
    "${pip[@]}" -r "$CPC_REPO/requirements.txt" -r "$CPC_REPO/scripts/requirements-dev.txt" 2>&1 \
        | grep -v '^WARNING: Location' >&2 || true
    "$CPC_VENV/bin/python" -c 'import pytest, polib, lxml' \
        || cpc_die "the test tools did not install"
    printf '%s' "$wanted" > "$CPC_VENV/.cpc-stamp"
}

# Writes an Odoo configuration file for database work on loopback and prints its path.
cpc_write_odoo_config() {
    local conf=$1 data_dir=$2
    mkdir -p "$(dirname "$conf")" "$data_dir"
    cat > "$conf" <<EOF
[options]
addons_path = $(cpc_addons_path)
data_dir = $data_dir
db_host = $PGHOST
db_port = $PGPORT
db_user = $CPC_DB_USER
db_password = $CPC_DB_PASSWORD
admin_passwd = $CPC_DB_PASSWORD
http_interface = 127.0.0.1
http_port = $CPC_HTTP_PORT
list_db = False
without_demo = all
EOF
}

cpc_odoo_bin() {
    "$CPC_VENV/bin/python" "$ODOO_SRC/odoo-bin" "$@"
}

cpc_drop_db() {
    local db=$1
    psql -d postgres -q -c "DROP DATABASE IF EXISTS \"$db\" WITH (FORCE)" >/dev/null 2>&1 || true
}

# Installs the addon (and its dependencies) into a fresh database. Any ERROR or
# CRITICAL line in Odoo's log, or a warning about this addon, fails the install:
# a broken view or access line must stop everything here.
cpc_install_db() {
    local conf=$1 db=$2 log=$3
    cpc_drop_db "$db"
    cpc_log "installing $CPC_MODULE into a fresh database $db"
    local rc=0
    cpc_odoo_bin -c "$conf" -d "$db" -i "$CPC_MODULE" --stop-after-init --no-http \
        --log-level=info --logfile="$log" || rc=$?
    local problems
    problems=$(grep -E '^[0-9-]+ [0-9:,]+ [0-9]+ (ERROR|CRITICAL) ' "$log" || true)
    problems+=$(grep -E "^[0-9-]+ [0-9:,]+ [0-9]+ WARNING .*($CPC_MODULE|no access rules)" "$log" || true)
    if [ "$rc" -ne 0 ] || [ -n "$problems" ]; then
        printf '%s\n' "$problems" | head -n 40 >&2
        printf -- '--- end of the install log ---\n' >&2
        tail -n 60 "$log" >&2
        mkdir -p "$CPC_REPO/.test-results"
        cp "$log" "$CPC_REPO/.test-results/install.log"
        cpc_log "installing $CPC_MODULE failed (exit $rc); log: .test-results/install.log"
        return 1
    fi
}
