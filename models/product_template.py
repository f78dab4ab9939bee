# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models

from .classification_result_mixin import mirror_field
from .product_classification import CLASSIFICATION_USER, XYZ_CLASSES


class ProductTemplate(models.Model):
    _name = "product.template"
    _inherit = ["product.template", "classification.mixin"]

    # ------------------------------------------------ product ABC/XYZ classes
    # The effective classes of the template, per company, kept by the product
    # classification run so that product lists filter and group by them (read
    # by the classification group only).
    abc_level_id = mirror_field(
        fields.Many2one,
        "product.abc.level",
        string="ABC Class",
        help="The product's ABC class for the current company (A makes the most).",
    )
    xyz_class = mirror_field(
        fields.Selection,
        XYZ_CLASSES,
        string="XYZ Class",
        help="How steadily the product sells for the current company (X steadily, "
        "Z erratically).",
    )
    abc_xyz_class = mirror_field(fields.Char, string="ABC-XYZ Class")
    product_classification_ids = fields.One2many(
        "product.classification",
        "product_tmpl_id",
        string="Product Classifications",
        groups=CLASSIFICATION_USER,
    )
    product_classification_id = fields.Many2one(
        "product.classification",
        string="Product Classification",
        compute="_compute_product_classification_id",
        search="_search_product_classification_id",
        groups=CLASSIFICATION_USER,
        help="The classification of the product for the current company.",
    )
    product_classification_no_sales = fields.Boolean(
        related="product_classification_id.no_sales",
        string="Without Sales in Window",
        groups=CLASSIFICATION_USER,
    )

    @api.depends_context("company")
    def _compute_product_classification_id(self):
        rows = self.env["product.classification"].search_fetch(
            [
                ("product_tmpl_id", "in", self.ids),
                ("company_id", "=", self.env.company.id),
            ],
            ["product_tmpl_id"],
        )
        by_template = {row.product_tmpl_id.id: row for row in rows}
        for template in self:
            template.product_classification_id = by_template.get(template.id)

    def _search_product_classification_id(self, operator, value):
        return [
            (
                "product_classification_ids",
                "any",
                [("id", operator, value), ("company_id", "=", self.env.company.id)],
            )
        ]

    def action_open_product_classification(self):
        self.ensure_one()
        # Callable over RPC by whoever reads the product: not a way round the
        # group of the field.
        self.check_field_access_rights("read", ["product_classification_id"])
        return {
            "type": "ir.actions.act_window",
            "res_model": "product.classification",
            "view_mode": "form",
            "res_id": self.product_classification_id.id,
        }


class ProductProduct(models.Model):
    _inherit = "product.product"

    # Variants are classified with their template (their sales roll up to it).
    abc_level_id = fields.Many2one(
        related="product_tmpl_id.abc_level_id", groups=CLASSIFICATION_USER
    )
    xyz_class = fields.Selection(
        related="product_tmpl_id.xyz_class", groups=CLASSIFICATION_USER
    )
    abc_xyz_class = fields.Char(
        related="product_tmpl_id.abc_xyz_class", groups=CLASSIFICATION_USER
    )
