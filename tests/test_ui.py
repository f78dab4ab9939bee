# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestClassificationUi(HttpCase):
    def test_customer_classes_in_the_web_client(self):
        partner = self.env["res.partner"].create({"name": "Tour Customer"})
        product = self.env["product.product"].create({"name": "Tour Product"})
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [(0, 0, {"product_id": product.id, "price_unit": 10})],
            }
        )
        order.action_confirm()
        order.date_order = fields.Datetime.now() - timedelta(days=3)
        company = self.env.company
        self.env["partner.classification"]._cpc_classify(company)
        self.start_tour("/odoo", "customer_product_classification_tour", login="admin")
