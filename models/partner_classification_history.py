# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models

from .partner_classification import LIFECYCLE_STAGES


class PartnerClassificationHistory(models.Model):
    """One change of a customer's effective tier, segment or stage."""

    _name = "partner.classification.history"
    _inherit = "classification.history.mixin"
    _description = "Customer Classification History"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    classification_id = fields.Many2one(
        "partner.classification", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one(
        "res.partner", string="Customer", required=True, ondelete="cascade", index=True
    )
    change_type = fields.Selection(
        [
            ("tier", "Value tier"),
            ("segment", "RFM segment"),
            ("stage", "Lifecycle stage"),
        ],
        string="What Changed",
        required=True,
    )
    old_tier_id = fields.Many2one("partner.value.tier", string="Old Tier")
    new_tier_id = fields.Many2one("partner.value.tier", string="New Tier")
    old_segment_id = fields.Many2one("partner.rfm.segment", string="Old Segment")
    new_segment_id = fields.Many2one("partner.rfm.segment", string="New Segment")
    old_stage = fields.Selection(LIFECYCLE_STAGES, string="Old Stage")
    new_stage = fields.Selection(LIFECYCLE_STAGES, string="New Stage")
    old_value = fields.Char(string="From", compute="_compute_values")
    new_value = fields.Char(string="To", compute="_compute_values")

    @api.depends("change_type", "old_tier_id", "new_tier_id", "old_stage", "new_stage")
    def _compute_values(self):
        stages = dict(self._fields["old_stage"]._description_selection(self.env))
        for row in self:
            if row.change_type == "stage":
                row.old_value = stages.get(row.old_stage, "")
                row.new_value = stages.get(row.new_stage, "")
            else:
                kind = row.change_type
                row.old_value = row[f"old_{kind}_id"].display_name or ""
                row.new_value = row[f"new_{kind}_id"].display_name or ""
