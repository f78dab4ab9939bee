# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models

from ..models.product_classification import XYZ_CLASSES
from ..utils.actions import reopen_dialog, success_notification

# The preview counts every move but lists only the first ones.
PREVIEW_LINES = 1000


class ProductClassificationWizard(models.TransientModel):
    """Recompute product classes now, after a preview of what would move."""

    _name = "product.classification.wizard"
    _description = "Recompute Product Classes"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    reference_date = fields.Date(required=True, default=fields.Date.context_today)
    scope = fields.Selection(
        [("all", "All products"), ("selected", "Selected products")],
        required=True,
        default="all",
    )
    product_tmpl_ids = fields.Many2many(
        "product.template",
        string="Products",
        help="Products are still ranked against all the company's products; only "
        "these products' classes are written.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("preview", "Preview")], default="draft", required=True
    )
    line_ids = fields.One2many(
        "product.classification.wizard.line", "wizard_id", string="Changes"
    )
    changed_count = fields.Integer(string="Products Changing", readonly=True)
    abc_moves = fields.Integer(string="ABC Changes", readonly=True)
    xyz_moves = fields.Integer(string="XYZ Changes", readonly=True)
    listed_count = fields.Integer(string="Changes Listed", readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        context = self.env.context
        active_ids = context.get("active_ids")
        if context.get("active_model") == "product.template" and active_ids:
            values.update(
                scope="selected", product_tmpl_ids=[fields.Command.set(active_ids)]
            )
        return values

    def _run(self, preview):
        self.ensure_one()
        products = self.product_tmpl_ids if self.scope == "selected" else None
        return (
            self.env["product.classification"]
            .with_company(self.company_id)
            ._cpc_classify_products(
                self.company_id,
                reference_date=self.reference_date,
                products=products,
                source="wizard",
                preview=preview,
            )
        )

    def action_preview(self):
        result = self._run(preview=True)
        lines = [
            {
                "product_tmpl_id": change["product_tmpl_id"],
                "old_abc_level_id": change["old_abc_level_id"],
                "new_abc_level_id": change["new_abc_level_id"],
                "old_xyz_class": change["old_xyz_class"],
                "new_xyz_class": change["new_xyz_class"],
            }
            for change in result["changes"]
            if (change["old_abc_level_id"], change["old_xyz_class"])
            != (change["new_abc_level_id"], change["new_xyz_class"])
        ]
        self.line_ids.unlink()
        self.write(
            {
                "state": "preview",
                "changed_count": len(lines),
                "abc_moves": sum(
                    ln["old_abc_level_id"] != ln["new_abc_level_id"] for ln in lines
                ),
                "xyz_moves": sum(
                    ln["old_xyz_class"] != ln["new_xyz_class"] for ln in lines
                ),
                "listed_count": min(len(lines), PREVIEW_LINES),
                "line_ids": [
                    fields.Command.create(line) for line in lines[:PREVIEW_LINES]
                ],
            }
        )
        return reopen_dialog(self, self.env._("Recompute Product Classes"))

    def action_back(self):
        self.write({"state": "draft", "line_ids": [fields.Command.clear()]})
        return reopen_dialog(self, self.env._("Recompute Product Classes"))

    def action_apply(self):
        result = self._run(preview=False)
        return success_notification(
            self.env._("%(count)s products reclassified.", count=result["done"])
        )


class ProductClassificationWizardLine(models.TransientModel):
    _name = "product.classification.wizard.line"
    _description = "Product Class Change Preview"

    wizard_id = fields.Many2one(
        "product.classification.wizard", required=True, ondelete="cascade"
    )
    product_tmpl_id = fields.Many2one(
        "product.template", string="Product", readonly=True
    )
    old_abc_level_id = fields.Many2one("product.abc.level", string="ABC Now")
    new_abc_level_id = fields.Many2one("product.abc.level", string="New ABC")
    old_xyz_class = fields.Selection(XYZ_CLASSES, string="XYZ Now")
    new_xyz_class = fields.Selection(XYZ_CLASSES, string="New XYZ")
    move = fields.Char(compute="_compute_move", string="Move")

    @api.depends(
        "old_abc_level_id", "new_abc_level_id", "old_xyz_class", "new_xyz_class"
    )
    def _compute_move(self):
        letters = {"x": "X", "y": "Y", "z": "Z"}
        for line in self:
            old = (line.old_abc_level_id.code or "-") + letters.get(
                line.old_xyz_class, ""
            )
            new = (line.new_abc_level_id.code or "-") + letters.get(
                line.new_xyz_class, ""
            )
            line.move = f"{old} → {new}"
