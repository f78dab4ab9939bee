# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models

from .product_classification import XYZ_CLASSES


class ProductClassificationHistory(models.Model):
    """One change of a product's effective ABC or XYZ class."""

    _name = "product.classification.history"
    _inherit = ["classification.history.mixin"]
    _description = "Product Classification History"
    _rec_name = "product_tmpl_id"

    classification_id = fields.Many2one(
        "product.classification", required=True, ondelete="cascade", index=True
    )
    product_tmpl_id = fields.Many2one(
        "product.template",
        string="Product",
        required=True,
        ondelete="cascade",
        index=True,
    )
    change_type = fields.Selection(
        [("abc", "ABC class"), ("xyz", "XYZ class")],
        string="What Changed",
        required=True,
    )
    old_abc_level_id = fields.Many2one("product.abc.level", string="Old ABC Class")
    new_abc_level_id = fields.Many2one("product.abc.level", string="New ABC Class")
    old_xyz_class = fields.Selection(XYZ_CLASSES, string="Old XYZ Class")
    new_xyz_class = fields.Selection(XYZ_CLASSES, string="New XYZ Class")
    old_value = fields.Char(string="From", compute="_compute_values")
    new_value = fields.Char(string="To", compute="_compute_values")

    @api.depends(
        "change_type",
        "old_abc_level_id",
        "new_abc_level_id",
        "old_xyz_class",
        "new_xyz_class",
    )
    def _compute_values(self):
        classes = dict(self._fields["old_xyz_class"]._description_selection(self.env))
        for row in self:
            if row.change_type == "xyz":
                row.old_value = classes.get(row.old_xyz_class, "")
                row.new_value = classes.get(row.new_xyz_class, "")
            else:
                row.old_value = row.old_abc_level_id.display_name or ""
                row.new_value = row.new_abc_level_id.display_name or ""
