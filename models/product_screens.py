# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""What the product screens need beyond the product classification fields."""

from odoo import api, fields, models

from .product_classification import CLASSIFICATION_USER


class ProductTemplate(models.Model):
    _inherit = "product.template"

    # The class history of the product for the current company, one click from
    # its form, like the customer's.
    product_classification_history_count = fields.Integer(
        string="Class Changes",
        compute="_compute_product_classification_history_count",
        groups=CLASSIFICATION_USER,
    )
    abc_level_color = fields.Integer(
        related="abc_level_id.color",
        string="ABC Class Color",
        groups=CLASSIFICATION_USER,
    )
    product_classification_pinned = fields.Boolean(
        related="product_classification_id.is_pinned",
        string="Class Pinned",
        groups=CLASSIFICATION_USER,
    )

    @api.depends_context("company")
    def _compute_product_classification_history_count(self):
        counts = dict(
            self.env["product.classification.history"]._read_group(
                [
                    ("product_tmpl_id", "in", self.ids),
                    ("company_id", "=", self.env.company.id),
                ],
                ["product_tmpl_id"],
                ["__count"],
            )
        )
        for template in self:
            template.product_classification_history_count = counts.get(template, 0)

    def action_open_product_classification_history(self):
        self.ensure_one()
        # Callable over RPC by whoever reads the product: not a way round the
        # group of the history.
        self.check_field_access_rights("read", ["product_classification_history_count"])
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_product_classification.product_classification_history_action"
        )
        action.update(
            name=self.env._("Class History of %(product)s", product=self.display_name),
            domain=[
                ("product_tmpl_id", "=", self.id),
                ("company_id", "=", self.env.company.id),
            ],
            context={},
        )
        return action


class ProductClassification(models.Model):
    _inherit = "product.classification"

    # Badges in the colour of their level, as tiers on the customer screens.
    abc_level_color = fields.Integer(
        related="abc_level_id.color", string="ABC Class Color"
    )
