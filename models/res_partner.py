# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models

from .classification_result_mixin import mirror_field
from .partner_classification import CLASSIFICATION_USER, LIFECYCLE_STAGES


class ResPartner(models.Model):
    _name = "res.partner"
    _inherit = ["res.partner", "classification.mixin"]

    cpc_employee_count = fields.Integer(
        string="Employees",
        help="Head count of the company, for classification rules by company size.",
    )

    # The effective classes of the commercial partner, per company, kept by the
    # classification engine so that customer lists can filter and group by them
    # (read, search, group by and export by the classification group only).
    value_tier_id = mirror_field(
        fields.Many2one, "partner.value.tier", string="Value Tier"
    )
    rfm_segment_id = mirror_field(
        fields.Many2one, "partner.rfm.segment", string="RFM Segment"
    )
    lifecycle_stage = mirror_field(
        fields.Selection, LIFECYCLE_STAGES, string="Lifecycle Stage"
    )
    classification_id = fields.Many2one(
        "partner.classification",
        string="Classification",
        compute="_compute_classification_id",
        search="_search_classification_id",
        groups=CLASSIFICATION_USER,
        help="The classification of the commercial partner for the current company.",
    )
    classification_tier_id = fields.Many2one(
        related="classification_id.tier_id",
        string="Customer Value Tier",
        groups=CLASSIFICATION_USER,
    )
    classification_stage = fields.Selection(
        related="classification_id.stage",
        string="Customer Lifecycle Stage",
        groups=CLASSIFICATION_USER,
    )
    classification_segment_id = fields.Many2one(
        related="classification_id.segment_id",
        string="Customer RFM Segment",
        groups=CLASSIFICATION_USER,
    )
    classification_rfm_code = fields.Char(
        related="classification_id.rfm_code", groups=CLASSIFICATION_USER
    )
    classification_revenue = fields.Monetary(
        related="classification_id.revenue",
        currency_field="classification_currency_id",
        string="Revenue in Window",
        groups=CLASSIFICATION_USER,
    )
    classification_currency_id = fields.Many2one(
        related="classification_id.currency_id",
        string="Classification Currency",
        groups=CLASSIFICATION_USER,
    )
    classification_order_count = fields.Integer(
        related="classification_id.order_count",
        string="Orders in Window",
        groups=CLASSIFICATION_USER,
    )
    classification_average_order_value = fields.Monetary(
        related="classification_id.average_order_value",
        currency_field="classification_currency_id",
        groups=CLASSIFICATION_USER,
    )
    classification_first_order_date = fields.Date(
        related="classification_id.first_order_date", groups=CLASSIFICATION_USER
    )
    classification_last_order_date = fields.Date(
        related="classification_id.last_order_date", groups=CLASSIFICATION_USER
    )
    classification_recency_days = fields.Integer(
        related="classification_id.recency_days", groups=CLASSIFICATION_USER
    )
    classification_average_interval_days = fields.Float(
        related="classification_id.average_interval_days", groups=CLASSIFICATION_USER
    )
    classification_is_pinned = fields.Boolean(
        related="classification_id.is_pinned", groups=CLASSIFICATION_USER
    )
    classification_pin_reason = fields.Char(
        related="classification_id.pin_reason", groups=CLASSIFICATION_USER
    )
    classification_pin_until = fields.Date(
        related="classification_id.pin_until", groups=CLASSIFICATION_USER
    )

    @api.model
    def _commercial_fields(self):
        # The commercial partner carries the categories; its contacts copy them.
        return [
            *super()._commercial_fields(),
            "cpc_employee_count",
            *self._cpc_scheme_fields(),
        ]

    def _cpc_carriers(self):
        return self.filtered(lambda partner: partner == partner.commercial_partner_id)

    @api.model
    def _cpc_carrier_domain(self):
        return ["|", ("is_company", "=", True), ("parent_id", "=", False)]

    @api.model
    def _cpc_is_carrier_vals(self, vals):
        return bool(self._cpc_stored_vals(vals).get("is_company")) or not vals.get(
            "parent_id"
        )

    @api.model
    def _cpc_stored_vals(self, vals):
        # The form sends the company type, whose inverse sets is_company later.
        if "is_company" not in vals and "company_type" in vals:
            return dict(vals, is_company=vals["company_type"] == "company")
        return vals

    def _cpc_record_companies(self):
        # Contacts carry their commercial partner's categories, so its company's.
        return {
            partner.id: partner.commercial_partner_id.company_id.id
            for partner in self.sudo()
        }

    @api.model
    def _cpc_form_readonly(self):
        return "parent_id and not is_company"

    @api.depends("commercial_partner_id")
    @api.depends_context("company")
    def _compute_classification_id(self):
        classifications = self.env["partner.classification"].search_fetch(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ],
            ["partner_id"],
        )
        by_partner = {c.partner_id.id: c for c in classifications}
        for partner in self:
            partner.classification_id = by_partner.get(partner.commercial_partner_id.id)

    def _search_classification_id(self, operator, value):
        classifications = self.env["partner.classification"].search(
            [("id", operator, value), ("company_id", "=", self.env.company.id)]
        )
        return [("commercial_partner_id", "in", classifications.partner_id.ids)]

    def action_open_classification(self):
        self.ensure_one()
        # Callable over RPC by whoever reads the partner: not a way round the
        # group of the field.
        self.check_field_access_rights("read", ["classification_id"])
        return {
            "type": "ir.actions.act_window",
            "res_model": "partner.classification",
            "res_id": self.classification_id.id,
            "view_mode": "form",
            "target": "current",
        }
