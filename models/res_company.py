# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    cpc_analysis_months = fields.Integer(
        string="Analysis Window (Months)",
        default=24,
        help="Only sales within this many months before the reference date "
        "count towards customer and product classes.",
    )

    @api.constrains("cpc_analysis_months")
    def _check_cpc_analysis_months(self):
        for company in self:
            if company.cpc_analysis_months < 1:
                raise ValidationError(
                    self.env._(
                        "The analysis window of company %(company)s must be at "
                        "least one month.",
                        company=company.display_name,
                    )
                )
