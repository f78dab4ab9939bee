# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models


class ClassificationCodeHistory(models.Model):
    """A code a record no longer has: printed on invoices and labels, it must
    still find the record."""

    _name = "classification.code.history"
    _description = "Code History"
    _order = "date desc, id desc"
    _rec_name = "old_code"

    res_model = fields.Char(string="Model", required=True, readonly=True, index=True)
    res_id = fields.Many2oneReference(
        string="Record ID", model_field="res_model", required=True, readonly=True
    )
    record_name = fields.Char(string="Record", compute="_compute_record_name")
    old_code = fields.Char(required=True, readonly=True, index=True)
    new_code = fields.Char(readonly=True)
    date = fields.Datetime(default=fields.Datetime.now, required=True, readonly=True)
    user_id = fields.Many2one(
        "res.users", string="Changed By", readonly=True, default=lambda s: s.env.user
    )
    company_id = fields.Many2one("res.company", readonly=True, index=True)

    @api.depends("res_model", "res_id")
    def _compute_record_name(self):
        for line in self:
            record = self.env[line.res_model].browse(line.res_id).exists()
            line.record_name = record.sudo().display_name if record else False

    @api.model
    def _cpc_record_ids(self, model_name, operator, value):
        """Ids of the records of ``model_name`` a former code matching
        ``value`` names; record rules apply to the records, not here."""
        lines = self.sudo().search_fetch(
            [("res_model", "=", model_name), ("old_code", operator, value)],
            ["res_id"],
        )
        return list(set(lines.mapped("res_id")))

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
