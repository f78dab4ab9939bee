# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models

from .partner_value_tier import check_ladders_once


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    cpc_analysis_months = fields.Integer(
        related="company_id.cpc_analysis_months", readonly=False
    )
    cpc_revenue_basis = fields.Selection(
        related="company_id.cpc_revenue_basis", readonly=False
    )
    cpc_amount_type = fields.Selection(
        related="company_id.cpc_amount_type", readonly=False
    )
    cpc_tier_method = fields.Selection(
        related="company_id.cpc_tier_method", readonly=False
    )
    cpc_value_tier_ids = fields.One2many(
        related="company_id.cpc_value_tier_ids", readonly=False
    )
    cpc_rfm_weight_recency = fields.Float(
        related="company_id.cpc_rfm_weight_recency", readonly=False
    )
    cpc_rfm_weight_frequency = fields.Float(
        related="company_id.cpc_rfm_weight_frequency", readonly=False
    )
    cpc_rfm_weight_monetary = fields.Float(
        related="company_id.cpc_rfm_weight_monetary", readonly=False
    )
    cpc_rfm_map = fields.Selection(related="company_id.cpc_rfm_map", readonly=False)
    cpc_new_days = fields.Integer(related="company_id.cpc_new_days", readonly=False)
    cpc_loyal_min_orders = fields.Integer(
        related="company_id.cpc_loyal_min_orders", readonly=False
    )
    cpc_at_risk_days = fields.Integer(
        related="company_id.cpc_at_risk_days", readonly=False
    )
    cpc_at_risk_factor = fields.Float(
        related="company_id.cpc_at_risk_factor", readonly=False
    )
    cpc_churn_days = fields.Integer(related="company_id.cpc_churn_days", readonly=False)
    cpc_classification_error = fields.Text(
        related="company_id.cpc_classification_error",
        groups="customer_product_classification.group_classification_manager",
    )

    # Saving Settings writes each changed tier field by field, then the ladder
    # and the tier method separately: each ladder is checked once, at the end.
    @api.model_create_multi
    def create(self, vals_list):
        settings = check_ladders_once(self, lambda records: super().create(vals_list))
        return settings.with_env(self.env)

    def write(self, vals):
        return check_ladders_once(self, lambda records: super().write(vals))


# ---------------------------------------------------------------- products
class ResConfigSettingsProductClasses(models.TransientModel):
    _inherit = "res.config.settings"

    cpc_xyz_months = fields.Integer(related="company_id.cpc_xyz_months", readonly=False)
    cpc_xyz_x_max = fields.Float(related="company_id.cpc_xyz_x_max", readonly=False)
    cpc_xyz_y_max = fields.Float(related="company_id.cpc_xyz_y_max", readonly=False)
    cpc_xyz_min_months = fields.Integer(
        related="company_id.cpc_xyz_min_months", readonly=False
    )
    cpc_product_classification_error = fields.Text(
        related="company_id.cpc_product_classification_error",
        groups="customer_product_classification.group_classification_manager",
    )
