# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.tools import SQL

from ..models.partner_classification import LIFECYCLE_STAGES
from ..utils.actions import success_notification


class PartnerClassificationWizard(models.TransientModel):
    """Recompute customer classes now, after a preview of what would move."""

    _name = "partner.classification.wizard"
    _inherit = "classification.preview.wizard"
    _description = "Recompute Customer Classes"

    scope = fields.Selection(
        [("all", "All customers"), ("selected", "Selected customers")],
        required=True,
        default="all",
    )
    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers to Reclassify",
        help="Scores are still ranked against all the company's customers; only "
        "these customers' classes are written.",
    )
    line_ids = fields.One2many(
        "partner.classification.wizard.line", "wizard_id", string="Changes"
    )
    changed_count = fields.Integer(string="Customers Changing Class", readonly=True)
    refreshed_count = fields.Integer(
        string="Figures Refreshed Only",
        readonly=True,
        help="Customers whose figures (revenue, orders, scores) change but whose "
        "tier, segment and stage stay the same.",
    )
    tier_moves = fields.Integer(string="Tier Changes", readonly=True)
    segment_moves = fields.Integer(string="Segment Changes", readonly=True)
    stage_moves = fields.Integer(string="Stage Changes", readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        active_ids = self.env.context.get("active_ids")
        active_model = self.env.context.get("active_model")
        if active_ids and active_model in ("res.partner", "partner.classification"):
            records = self.env[active_model].browse(active_ids)
            partners = (
                records.commercial_partner_id
                if active_model == "res.partner"
                else records.partner_id
            )
            values.update(
                scope="selected", partner_ids=[fields.Command.set(partners.ids)]
            )
        return values

    @api.model
    def _cpc_model(self):
        return "partner.classification"

    def _cpc_records(self):
        return (
            self.partner_ids.commercial_partner_id if self.scope == "selected" else None
        )

    def _cpc_title(self):
        return self.env._("Recompute Customer Classes")

    def _cpc_preview_values(self, result, moves):
        return {"refreshed_count": result["changed"] - len(moves)}

    def action_apply(self):
        result = self._run(preview=False)
        moved = self._count_moved_customers()
        return success_notification(
            self.env._(
                "%(moved)s customers changed class; the figures of %(refreshed)s "
                "more were refreshed.",
                moved=moved,
                refreshed=result["done"] - moved,
            )
        )

    def _count_moved_customers(self):
        """The customers this run moved to another class, as the preview counts
        them: those it wrote a history row for (rows of this transaction)."""
        self.env["partner.classification.history"].flush_model()
        [(count,)] = self.env.execute_query(
            SQL(
                """
                SELECT COUNT(DISTINCT partner_id) FROM partner_classification_history
                 WHERE company_id = %s AND source = 'wizard'
                   AND create_date = now() AT TIME ZONE 'UTC'
                """,
                self.company_id.id,
            )
        )
        return count


class PartnerClassificationWizardLine(models.TransientModel):
    _name = "partner.classification.wizard.line"
    _description = "Customer Class Change Preview"

    wizard_id = fields.Many2one(
        "partner.classification.wizard", required=True, ondelete="cascade"
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    old_tier_id = fields.Many2one("partner.value.tier", string="Tier Now")
    new_tier_id = fields.Many2one("partner.value.tier", string="New Tier")
    old_segment_id = fields.Many2one("partner.rfm.segment", string="Segment Now")
    new_segment_id = fields.Many2one("partner.rfm.segment", string="New Segment")
    old_stage = fields.Selection(LIFECYCLE_STAGES, string="Stage Now")
    new_stage = fields.Selection(LIFECYCLE_STAGES, string="New Stage")
    tier_change = fields.Char(string="Value Tier", compute="_compute_changes")
    segment_change = fields.Char(string="RFM Segment", compute="_compute_changes")
    stage_change = fields.Char(string="Lifecycle Stage", compute="_compute_changes")

    @api.depends(
        "old_tier_id",
        "new_tier_id",
        "old_segment_id",
        "new_segment_id",
        "old_stage",
        "new_stage",
    )
    @api.depends_context("lang")
    def _compute_changes(self):
        stages = dict(self._fields["new_stage"]._description_selection(self.env))
        none = self.env._("none")
        for line in self:
            pairs = {
                "tier_change": (
                    line.old_tier_id.display_name,
                    line.new_tier_id.display_name,
                ),
                "segment_change": (
                    line.old_segment_id.display_name,
                    line.new_segment_id.display_name,
                ),
                "stage_change": (
                    stages.get(line.old_stage),
                    stages.get(line.new_stage),
                ),
            }
            for fname, (old, new) in pairs.items():
                # "B → A" for a change; the class alone where it stays.
                line[fname] = (
                    new or ""
                    if old == new
                    else self.env._(
                        "%(old)s → %(new)s", old=old or none, new=new or none
                    )
                )
