# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.classification_coding_rule import CODING_TARGETS
from ..utils.actions import reopen_dialog, success_notification

# The preview counts every record but lists only the first ones.
PREVIEW_LINES = 1000


class ClassificationCodingWizard(models.TransientModel):
    """Give codes to the records without one, or re-code a selection, after a
    preview of old and new codes."""

    _name = "classification.coding.wizard"
    _description = "Assign Codes"

    applies_to = fields.Selection(
        [("partner", "Customers"), ("product", "Products")],
        required=True,
        default="partner",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    mode = fields.Selection(
        [
            ("missing", "Records without a code"),
            ("recode", "Re-code the selected records"),
        ],
        required=True,
        default="missing",
        help="Re-coding replaces the codes of the selected records; their old codes "
        "are kept in the code history and still find them.",
    )
    partner_ids = fields.Many2many("res.partner", string="Customers")
    product_tmpl_ids = fields.Many2many("product.template", string="Products")
    state = fields.Selection(
        [("draft", "Draft"), ("preview", "Preview")], default="draft", required=True
    )
    line_ids = fields.One2many(
        "classification.coding.wizard.line", "wizard_id", string="Codes"
    )
    has_rules = fields.Boolean(compute="_compute_has_rules")
    coded_count = fields.Integer(string="Records Coded", readonly=True)
    skipped_count = fields.Integer(string="Records Skipped", readonly=True)
    listed_count = fields.Integer(string="Lines Listed", readonly=True)

    @api.depends("applies_to", "company_id")
    def _compute_has_rules(self):
        Rule = self.env["classification.coding.rule"]
        for wizard in self:
            wizard.has_rules = bool(
                Rule.search_count(
                    [
                        ("applies_to", "=", wizard.applies_to),
                        "|",
                        ("company_id", "=", False),
                        ("company_id", "=", wizard.company_id.id),
                    ],
                    limit=1,
                )
            )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        model = self.env.context.get("active_model")
        ids = self.env.context.get("active_ids")
        kind = next((k for k, name in CODING_TARGETS.items() if name == model), None)
        if kind and ids:
            records = self.env[model].browse(ids)._cpc_code_carriers()
            field = "partner_ids" if kind == "partner" else "product_tmpl_ids"
            values.update(
                applies_to=kind,
                mode="recode",
                **{field: [fields.Command.set(records.ids)]},
            )
        return values

    @api.model
    def _cpc_open_for(self, records):
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_product_classification.classification_coding_wizard_action"
        )
        action["context"] = {"active_model": records._name, "active_ids": records.ids}
        return action

    def _target(self):
        return self.env[CODING_TARGETS[self.applies_to]]

    def _records(self):
        """The records to code, among those the user may change."""
        self.ensure_one()
        Target = self._target().with_company(self.company_id)
        if self.mode == "recode":
            chosen = (
                self.partner_ids
                if self.applies_to == "partner"
                else self.product_tmpl_ids
            )
            records = chosen._cpc_code_carriers()._filtered_access("write")
            if not records:
                raise UserError(
                    self.env._(
                        "Select the records to re-code: none you may change is "
                        "selected."
                    )
                )
            return records
        # Coding writes in SQL: the user's right to change them is checked here.
        return Target.search(Target._cpc_uncoded_domain(), order="id")._filtered_access(
            "write"
        )

    def action_back(self):
        self.ensure_one()
        self.line_ids.unlink()
        self.write(
            {"state": "draft", "coded_count": 0, "skipped_count": 0, "listed_count": 0}
        )
        return reopen_dialog(self, self.env._("Assign Codes"))

    def action_open_rules(self):
        return self.env["ir.actions.act_window"]._for_xml_id(
            "customer_product_classification.classification_coding_rule_action"
        )

    def action_preview(self):
        self.ensure_one()
        if not self.has_rules:
            # Said once on the form, not on every record.
            self.line_ids.unlink()
            self.write(
                {
                    "state": "preview",
                    "coded_count": 0,
                    "skipped_count": 0,
                    "listed_count": 0,
                }
            )
            return reopen_dialog(self, self.env._("Assign Codes"))
        records = self._records()
        lines = (
            self.env["classification.coding.rule"]
            .with_company(self.company_id)
            ._cpc_code(records, recode=self.mode == "recode", preview=True)
        )
        coded = [line for line in lines if line["new"]]
        skipped = [line for line in lines if not line["new"]]
        # Records skipped come first: they are what a manager must act on.
        listed = (skipped + coded)[:PREVIEW_LINES]
        self.line_ids.unlink()
        self.write(
            {
                "state": "preview",
                "coded_count": len(coded),
                "skipped_count": len(skipped),
                "listed_count": len(listed),
                "line_ids": [
                    fields.Command.create(
                        {
                            "res_model": line["record"]._name,
                            "res_id": line["record"].id,
                            "record_name": line["record"].display_name,
                            "old_code": line["old"],
                            "new_code": line["new"],
                            "reason": line["reason"],
                        }
                    )
                    for line in listed
                ],
            }
        )
        return reopen_dialog(self, self.env._("Assign Codes"))

    def action_apply(self):
        self.ensure_one()
        if not self.has_rules:
            raise UserError(
                self.env._(
                    "No coding rule codes %(records)s in %(company)s: create one "
                    "under Configuration > Coding Rules first.",
                    records=dict(
                        self._fields["applies_to"]._description_selection(self.env)
                    )[self.applies_to],
                    company=self.company_id.name,
                )
            )
        records = self._records()
        batch = self.env["partner.classification"]._cpc_batch_size()
        if self.mode == "missing" and len(records) > batch:
            job = self.env["classification.coding.job"]._cpc_queue(
                self.applies_to, self.company_id | self.env.companies
            )
            return success_notification(
                self.env._(
                    "%(count)s records will be coded in the background, %(batch)s at "
                    "a time: the job %(job)s shows the progress.",
                    count=len(records),
                    batch=batch,
                    job=job.display_name,
                )
            )
        if self.mode == "recode" and len(records) > batch:
            raise UserError(
                self.env._(
                    "Re-code at most %(batch)s records at a time (%(count)s are "
                    "selected).",
                    batch=batch,
                    count=len(records),
                )
            )
        lines = (
            self.env["classification.coding.rule"]
            .with_company(self.company_id)
            ._cpc_code(records, recode=self.mode == "recode")
        )
        coded = sum(1 for line in lines if line["new"])
        return success_notification(
            self.env._(
                "%(coded)s records coded, %(skipped)s skipped (see the preview for "
                "why).",
                coded=coded,
                skipped=len(lines) - coded,
            )
        )


class ClassificationCodingWizardLine(models.TransientModel):
    _name = "classification.coding.wizard.line"
    _description = "Assign Codes: Preview Line"
    _order = "id"

    wizard_id = fields.Many2one(
        "classification.coding.wizard", required=True, ondelete="cascade"
    )
    res_model = fields.Char(string="Model")
    res_id = fields.Integer(string="Record ID")
    record_name = fields.Char(string="Record")
    old_code = fields.Char()
    new_code = fields.Char()
    reason = fields.Char(string="Why No Code")
