#!/usr/bin/env bash
# Regenerates i18n/customer_product_classification.pot from a fresh database with
# the addon installed, and merges it into i18n/zh_CN.po: new terms arrive
# untranslated (the tests then fail until a translator fills them in), terms no
# longer used are dropped, existing translations are kept.
source "$(dirname "${BASH_SOURCE[0]}")/_common.sh"
cpc_ensure_odoo || cpc_die "no Odoo 18.0 source tree: see above, and README"
cpc_ensure_venv 1
cpc_ensure_postgres
work=$(mktemp -d "${TMPDIR:-/tmp}/cpc-i18n.XXXXXX")
db="cpc_i18n_$$"
trap 'cpc_drop_db "$db"; rm -rf "$work"' EXIT
cpc_write_odoo_config "$work/odoo.conf" "$work/data"
cpc_install_db "$work/odoo.conf" "$db" "$work/install.log"
cpc_odoo_bin -c "$work/odoo.conf" -d "$db" --no-http --stop-after-init --log-level=warn \
    --i18n-export="$work/$CPC_MODULE.pot" --modules="$CPC_MODULE"
"$CPC_VENV/bin/python" "$CPC_REPO/scripts/merge_po.py" "$work/$CPC_MODULE.pot" "$CPC_REPO/i18n"
