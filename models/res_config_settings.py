# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    cpc_analysis_months = fields.Integer(
        related="company_id.cpc_analysis_months",
        readonly=False,
    )
