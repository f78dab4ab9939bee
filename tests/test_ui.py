# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from datetime import timedelta

from odoo import fields, http
from odoo.tests import HttpCase, tagged

MODULE = "customer_product_classification"


@tagged("post_install", "-at_install")
class TestClassificationUi(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The server's first static-file requests parse every manifest, several
        # threads at once; CPython 3.11 then fails some of them ("AST constructor
        # recursion depth mismatch") and the tour loses a file. Parse them here,
        # in one thread, before the browser asks.
        http.root.statics  # noqa: B018  # pylint: disable=pointless-statement

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

    def test_browse_and_place_customers_by_scheme(self):
        # The seeded region rules place the first company in East China.
        partners = self.env["res.partner"].create(
            [
                {
                    "name": "Tour Shanghai Co",
                    "is_company": True,
                    "country_id": self.env.ref("base.cn").id,
                    "state_id": self.env.ref("base.state_cn_SH").id,
                },
                {
                    "name": "Tour Paris Co",
                    "is_company": True,
                    "country_id": self.env.ref("base.fr").id,
                },
            ]
        )
        self.start_tour(
            "/odoo", "customer_product_classification_scheme_tour", login="admin"
        )
        channel = self.env.ref(f"{MODULE}.scheme_channel")
        self.assertEqual(
            partners[0][channel.field_name],
            self.env.ref(f"{MODULE}.category_channel_online"),
        )
