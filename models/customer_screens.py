# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""What the customer screens need from the classification models: group order,
pivot aggregates, badge colours and the wording of pins.

Kept apart from the engine (models/partner_classification.py): these fields
extend the engine's fields with attributes only the screens read.
"""

from odoo import api, fields, models
from odoo.tools import format_date

from .partner_classification import CLASSIFICATION_USER


class PartnerClassification(models.Model):
    _inherit = "partner.classification"

    # Columns and groups in lifecycle order and in ladder order, empty ones too,
    # as stages in Odoo's CRM.
    stage = fields.Selection(group_expand=True)
    tier_id = fields.Many2one(group_expand="_read_group_expand_tiers")
    # A sum of averages means nothing: the pivot averages them.
    average_order_value = fields.Monetary(aggregator="avg")
    average_interval_days = fields.Float(aggregator="avg")

    tier_color = fields.Integer(related="tier_id.color", string="Tier Color")
    segment_color = fields.Integer(related="segment_id.color", string="Segment Color")
    tier_pin_note = fields.Char(
        string="Tier Pin", compute="_compute_pin_notes", compute_sudo=False
    )
    stage_pin_note = fields.Char(
        string="Stage Pin", compute="_compute_pin_notes", compute_sudo=False
    )

    @api.model
    def _read_group_expand_tiers(self, tiers, domain):
        # The ladders of the companies the user works in, best tier first.
        return tiers.search([("company_id", "in", self.env.companies.ids)])

    @api.depends(
        "manual_tier_id",
        "computed_tier_id",
        "manual_stage",
        "computed_stage",
        "pin_until",
    )
    @api.depends_context("lang")
    def _compute_pin_notes(self):
        stages = dict(self._fields["stage"]._description_selection(self.env))
        for record in self:
            record.tier_pin_note = record._pin_note(
                record.manual_tier_id, record.computed_tier_id.display_name
            )
            record.stage_pin_note = record._pin_note(
                record.manual_stage, stages.get(record.computed_stage)
            )

    def _pin_note(self, pinned, computed):
        """ "(pinned until 31/12/2026; computed B - Major)" beside a pinned class."""
        if not pinned:
            return False
        computed = computed or self.env._("none")
        if self.pin_until:
            return self.env._(
                "(pinned until %(day)s; computed %(computed)s)",
                day=format_date(self.env, self.pin_until),
                computed=computed,
            )
        return self.env._("(pinned; computed %(computed)s)", computed=computed)


class ResPartner(models.Model):
    _inherit = "res.partner"

    # The partner's mirror and its company's classification, as the customer
    # screens show them: coloured like their tier, with the pin spelt out.
    value_tier_color = fields.Integer(
        related="value_tier_id.color",
        string="Value Tier Color",
        groups=CLASSIFICATION_USER,
    )
    classification_tier_color = fields.Integer(
        related="classification_id.tier_color", groups=CLASSIFICATION_USER
    )
    classification_segment_color = fields.Integer(
        related="classification_id.segment_color", groups=CLASSIFICATION_USER
    )
    classification_tier_pin_note = fields.Char(
        related="classification_id.tier_pin_note", groups=CLASSIFICATION_USER
    )
    classification_stage_pin_note = fields.Char(
        related="classification_id.stage_pin_note", groups=CLASSIFICATION_USER
    )
    classification_pinned = fields.Boolean(
        string="Class Pinned",
        compute="_compute_classification_pinned",
        search="_search_classification_pinned",
        groups=CLASSIFICATION_USER,
        help="A manager pinned the tier or the stage of this customer for the "
        "current company.",
    )
    classification_has_sales = fields.Boolean(
        string="Has Quotations or Orders",
        compute="_compute_classification_has_sales",
        groups=CLASSIFICATION_USER,
    )
    cpc_is_customer = fields.Boolean(
        string="Is a Customer",
        compute="_compute_cpc_is_customer",
        search="_search_cpc_is_customer",
        groups=CLASSIFICATION_USER,
        help="The partner, or one of its contacts, has a quotation, a sales order "
        "or a customer invoice, or it is classified for the current company.",
    )
    lifecycle_stage = fields.Selection(group_expand=True)
    value_tier_id = fields.Many2one(group_expand="_read_group_expand_value_tiers")

    @api.model
    def _cpc_customer_domain(self):
        """The customers the Customers menu and the import template list, not
        every top-level partner (the companies, the users)."""
        return [
            "|",
            "|",
            "|",
            ("customer_rank", ">", 0),
            ("sale_order_ids", "!=", False),
            ("child_ids.sale_order_ids", "!=", False),
            ("classification_id", "!=", False),
        ]

    @api.depends_context("company")
    def _compute_cpc_is_customer(self):
        # Records being created (the form's onchanges) are no one's customer yet.
        customers = self.search(
            [("id", "in", self._origin.ids), *self._cpc_customer_domain()]
        )
        for partner in self:
            partner.cpc_is_customer = partner._origin in customers

    def _search_cpc_is_customer(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        domain = self._cpc_customer_domain()
        return domain if (operator == "=") == bool(value) else ["!", *domain]

    @api.model
    def _read_group_expand_value_tiers(self, tiers, domain):
        return tiers.search([("company_id", "in", self.env.companies.ids)])

    @api.depends_context("company")
    def _compute_classification_pinned(self):
        for partner in self:
            partner.classification_pinned = partner.classification_id.is_pinned

    def _search_classification_pinned(self, operator, value):
        if operator not in ("=", "!="):
            return NotImplemented
        # Pins are few: a manager sets each one by hand.
        pinned = self.env["partner.classification"].search(
            [
                ("company_id", "=", self.env.company.id),
                "|",
                ("manual_tier_id", "!=", False),
                ("manual_stage", "!=", False),
            ]
        )
        positive = (operator == "=") == bool(value)
        return [
            (
                "commercial_partner_id",
                "in" if positive else "not in",
                pinned.partner_id.ids,
            )
        ]

    @api.depends_context("company")
    def _compute_classification_has_sales(self):
        # Whether the classes are only waiting for a run, or need a first order:
        # quotations and orders of the current company, of the commercial partner
        # or any of its contacts.
        commercial = self.commercial_partner_id
        orders = (
            self.env["sale.order"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", self.env.company.id),
                    ("partner_id.commercial_partner_id", "in", commercial.ids),
                ],
                ["partner_id"],
            )
        )
        with_sales = {partner.commercial_partner_id.id for (partner,) in orders}
        for partner in self:
            partner.classification_has_sales = (
                partner.commercial_partner_id.id in with_sales
            )

    # The class history of the customer for the current company, one click from
    # its form.
    classification_history_count = fields.Integer(
        string="Class Changes",
        compute="_compute_classification_history_count",
        groups=CLASSIFICATION_USER,
    )

    @api.depends_context("company")
    def _compute_classification_history_count(self):
        counts = dict(
            self.env["partner.classification.history"]._read_group(
                [
                    ("partner_id", "in", self.commercial_partner_id.ids),
                    ("company_id", "=", self.env.company.id),
                ],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.classification_history_count = counts.get(
                partner.commercial_partner_id, 0
            )

    def action_open_classification_history(self):
        self.ensure_one()
        # Callable over RPC by whoever reads the partner: not a way round the
        # group of the history.
        self.check_field_access_rights("read", ["classification_history_count"])
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_product_classification.partner_classification_history_action"
        )
        action.update(
            name=self.env._(
                "Class History of %(customer)s",
                customer=self.commercial_partner_id.display_name,
            ),
            domain=[
                ("partner_id", "=", self.commercial_partner_id.id),
                ("company_id", "=", self.env.company.id),
            ],
            context={},
        )
        return action


class PartnerRfmCell(models.Model):
    _inherit = "partner.rfm.cell"

    # The segment map is read grouped by segment: a sum of scores means nothing.
    recency_score = fields.Integer(aggregator=False)
    frequency_score = fields.Integer(aggregator=False)
    monetary_score = fields.Integer(aggregator=False)
