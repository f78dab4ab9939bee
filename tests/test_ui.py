# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from datetime import timedelta

from odoo import fields, http
from odoo.tests import HttpCase, new_test_user, tagged

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
        assert http.root.statics, "no module has static files"

    def _sales_manager(self, login, lang="en_US"):
        # What the tours are about: a sales manager, not an administrator.
        return new_test_user(
            self.env,
            login=login,
            groups=f"sales_team.group_sale_manager,{MODULE}.group_classification_manager",
            lang=lang,
        )

    def _sell(self, partner, days_ago):
        product = self.env["product.product"].create(
            {"name": f"Tour Product {partner.name}"}
        )
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [(0, 0, {"product_id": product.id, "price_unit": 10})],
            }
        )
        order.action_confirm()
        order.date_order = fields.Datetime.now() - timedelta(days=days_ago)

    def test_customer_classes_in_the_web_client(self):
        customer_type = self.env.ref(f"{MODULE}.scheme_customer_type")
        partner, other = self.env["res.partner"].create(
            [
                {"name": "Tour Customer", "is_company": True},
                # A customer without orders yet: the Customers menu lists it.
                {"name": "Tour Other", "is_company": True, "customer_rank": 1},
            ]
        )
        partner[customer_type.field_name] = self.env.ref(
            f"{MODULE}.category_customer_type_government"
        )
        other[customer_type.field_name] = self.env.ref(
            f"{MODULE}.category_customer_type_enterprise"
        )
        self._sell(partner, 3)
        company = self.env.company
        self.env["partner.classification"]._cpc_classify(company)
        # Sold to after the last run: the recompute's preview lists it.
        self._sell(self.env["res.partner"].create({"name": "Tour Newcomer"}), 2)
        manager = self._sales_manager("cpc_tour_manager")
        self.start_tour(
            "/odoo", "customer_product_classification_tour", login=manager.login
        )
        row = self.env["partner.classification"].search(
            [("partner_id", "=", partner.id), ("company_id", "=", company.id)]
        )
        self.assertEqual(row.manual_tier_id.code, "B", "the tour pinned the tier")
        self.assertEqual(row.pin_reason, "Tour pin")

    def test_customer_screens_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            [MODULE], ["zh_CN"], overwrite=True
        )
        self._sell(self.env["res.partner"].create({"name": "Tour Chinese Customer"}), 3)
        self.env["partner.classification"]._cpc_classify(self.env.company)
        manager = self._sales_manager("cpc_tour_manager_zh", lang="zh_CN")
        self.start_tour(
            "/odoo", "customer_product_classification_zh_tour", login=manager.login
        )

    def test_browse_and_place_customers_by_scheme(self):
        # The seeded region rules place the first company in East China.
        partners = self.env["res.partner"].create(
            [
                {
                    "name": "Tour Shanghai Co",
                    "is_company": True,
                    "customer_rank": 1,
                    "country_id": self.env.ref("base.cn").id,
                    "state_id": self.env.ref("base.state_cn_SH").id,
                },
                {
                    "name": "Tour Paris Co",
                    "is_company": True,
                    "customer_rank": 1,
                    "country_id": self.env.ref("base.fr").id,
                },
            ]
        )
        manager = self._sales_manager("cpc_tour_scheme_manager")
        self.start_tour(
            "/odoo", "customer_product_classification_scheme_tour", login=manager.login
        )
        channel = self.env.ref(f"{MODULE}.scheme_channel")
        self.assertEqual(
            partners[0][channel.field_name],
            self.env.ref(f"{MODULE}.category_channel_online"),
        )
