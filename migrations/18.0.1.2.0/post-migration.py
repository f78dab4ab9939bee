# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """History written before it said which day the classes hold for: give each
    row the day it was written on, in its company's time zone (runs were not
    back-dated then), so that the pivots by period count it."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["classification.history.mixin"]._cpc_fill_reference_dates()
