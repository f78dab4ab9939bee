# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models

from ..models.partner_classification import LIFECYCLE_STAGES
from ..utils.actions import reopen_dialog, success_notification

# The preview counts every move but lists only the first ones: a list of 100,000
# lines helps nobody and costs a lot to build.
PREVIEW_LINES = 1000


class PartnerClassificationWizard(models.TransientModel):
    """Recompute customer classes now, after a preview of what would move."""

    _name = "partner.classification.wizard"
    _description = "Recompute Customer Classes"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    reference_date = fields.Date(required=True, default=fields.Date.context_today)
    scope = fields.Selection(
        [("all", "All customers"), ("selected", "Selected customers")],
        required=True,
        default="all",
    )
    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        help="Scores are still ranked against all the company's customers; only "
        "these customers' classes are written.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("preview", "Preview")], default="draft", required=True
    )
    line_ids = fields.One2many(
        "partner.classification.wizard.line", "wizard_id", string="Changes"
    )
    changed_count = fields.Integer(string="Customers Changing", readonly=True)
    tier_moves = fields.Integer(string="Tier Changes", readonly=True)
    segment_moves = fields.Integer(string="Segment Changes", readonly=True)
    stage_moves = fields.Integer(string="Stage Changes", readonly=True)
    listed_count = fields.Integer(string="Changes Listed", readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        active_ids = self.env.context.get("active_ids")
        if self.env.context.get("active_model") == "res.partner" and active_ids:
            partners = self.env["res.partner"].browse(active_ids).commercial_partner_id
            values.update(
                scope="selected", partner_ids=[fields.Command.set(partners.ids)]
            )
        return values

    def _partners(self):
        return (
            self.partner_ids.commercial_partner_id if self.scope == "selected" else None
        )

    def _run(self, preview):
        self.ensure_one()
        return (
            self.env["partner.classification"]
            .with_company(self.company_id)
            ._cpc_classify(
                self.company_id,
                reference_date=self.reference_date,
                partners=self._partners(),
                source="wizard",
                preview=preview,
            )
        )

    def action_preview(self):
        result = self._run(preview=True)
        changes = result["changes"]
        lines = [
            {
                "partner_id": change["partner_id"],
                "old_tier_id": change["old_tier_id"],
                "new_tier_id": change["new_tier_id"],
                "old_segment_id": change["old_segment_id"],
                "new_segment_id": change["new_segment_id"],
                "old_stage": change["old_stage"],
                "new_stage": change["new_stage"],
            }
            for change in changes
            if (change["old_tier_id"], change["old_segment_id"], change["old_stage"])
            != (change["new_tier_id"], change["new_segment_id"], change["new_stage"])
        ]
        self.line_ids.unlink()
        self.write(
            {
                "state": "preview",
                "changed_count": len(lines),
                "tier_moves": sum(
                    ln["old_tier_id"] != ln["new_tier_id"] for ln in lines
                ),
                "segment_moves": sum(
                    ln["old_segment_id"] != ln["new_segment_id"] for ln in lines
                ),
                "stage_moves": sum(ln["old_stage"] != ln["new_stage"] for ln in lines),
                "listed_count": min(len(lines), PREVIEW_LINES),
                "line_ids": [
                    fields.Command.create(line) for line in lines[:PREVIEW_LINES]
                ],
            }
        )
        return self._reopen()

    def action_back(self):
        self.write({"state": "draft", "line_ids": [fields.Command.clear()]})
        return self._reopen()

    def action_apply(self):
        result = self._run(preview=False)
        return success_notification(
            self.env._("%(count)s customers reclassified.", count=result["done"])
        )

    def _reopen(self):
        return reopen_dialog(self)


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
