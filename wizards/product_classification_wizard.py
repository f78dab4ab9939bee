# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models

from ..models.product_classification import XYZ_CLASSES
from ..utils.actions import success_notification


class ProductClassificationWizard(models.TransientModel):
    """Recompute product classes now, after a preview of what would move."""

    _name = "product.classification.wizard"
    _inherit = "classification.preview.wizard"
    _description = "Recompute Product Classes"

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
    line_ids = fields.One2many(
        "product.classification.wizard.line", "wizard_id", string="Changes"
    )
    changed_count = fields.Integer(string="Products Changing", readonly=True)
    abc_moves = fields.Integer(string="ABC Changes", readonly=True)
    xyz_moves = fields.Integer(string="XYZ Changes", readonly=True)

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

    @api.model
    def _cpc_model(self):
        return "product.classification"

    def _cpc_records(self):
        return self.product_tmpl_ids if self.scope == "selected" else None

    def _cpc_title(self):
        return self.env._("Recompute Product Classes")

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
