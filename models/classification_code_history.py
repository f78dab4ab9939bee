# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL, escape_psql

# Operators of a search by former code: exact or by the code's beginning
# (what a person types of a printed code), never a scan of the whole history.
FORMER_CODE_OPERATORS = ("=", "=ilike", "ilike", "like", "=like", "in")


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

    def init(self):
        res = super().init()
        # Exact and prefix searches of lower(old_code) (= 'east-0001', LIKE
        # 'east-00%') use this index.
        self.env.cr.execute(
            "CREATE INDEX IF NOT EXISTS classification_code_history_old_code_lower "
            "ON classification_code_history (lower(old_code) text_pattern_ops)"
        )
        return res

    @api.model
    def _cpc_former_code_sql(self, model_name, operator, value):
        """A sub-select of the ids of ``model_name`` records a former code
        matching ``value`` names, without regard to case; None when the
        operator is not one of FORMER_CODE_OPERATORS. ``ilike`` matches
        codes that start with the value. Record rules apply to the records
        the outer search returns, not here."""
        if operator not in FORMER_CODE_OPERATORS or not value:
            return None
        if operator == "in":
            values = [v.lower() for v in value if isinstance(v, str)]
            condition = SQL("lower(old_code) = ANY(%s)", values)
        elif not isinstance(value, str):
            return None
        elif operator in ("=", "=ilike") and "%" not in value and "_" not in value:
            condition = SQL("lower(old_code) = %s", value.lower())
        elif operator in ("=like", "=ilike"):
            condition = SQL("lower(old_code) LIKE %s", value.lower())
        else:
            condition = SQL("lower(old_code) LIKE %s", escape_psql(value.lower()) + "%")
        return SQL(
            "(SELECT res_id FROM classification_code_history "
            "WHERE res_model = %s AND %s)",
            model_name,
            condition,
        )

    @api.model
    def _cpc_former_code_domain(self, model_name, operator, value, field="id"):
        """The domain of the records (``field`` names the column holding the
        record's id) a former code matching ``value`` names."""
        sql = self._cpc_former_code_sql(model_name, operator, value)
        return [(field, "in", sql)] if sql is not None else expression.FALSE_DOMAIN

    def action_open_record(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
