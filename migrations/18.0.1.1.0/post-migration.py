# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Databases that had the addon before it classified on arrival: start what
    installing it now starts (companies already classified are left alone)."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["res.company"]._cpc_start_background_runs()
