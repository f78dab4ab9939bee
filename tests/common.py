# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from datetime import date, datetime

from odoo.tests import TransactionCase, new_test_user

MODULE = "customer_product_classification"
TODAY = date(2026, 6, 30)


class ClassificationCase(TransactionCase):
    """Customers, orders at chosen dates, and a way to run the engine."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(
            context=dict(cls.env.context, tracking_disable=True, mail_create_nolog=True)
        )
        cls.company = cls.env.company
        cls.company.write(
            {
                "cpc_analysis_months": 24,
                "cpc_tier_method": "pareto",
                "cpc_revenue_basis": "order",
                "cpc_amount_type": "untaxed",
            }
        )
        cls.product = cls.env["product.product"].create(
            {"name": "Classified Widget", "list_price": 100.0, "taxes_id": False}
        )
        cls.Classification = cls.env["partner.classification"]
        cls.manager = new_test_user(
            cls.env,
            login="cpc_manager",
            groups="sales_team.group_sale_manager",
        )
        cls.salesman = new_test_user(
            cls.env, login="cpc_rep", groups="sales_team.group_sale_salesman"
        )

    @classmethod
    def _customer(cls, name, **values):
        return cls.env["res.partner"].create({"name": name, **values})

    @classmethod
    def _order(cls, partner, amount, day, state="sale", company=None, pricelist=None):
        company = company or cls.env.company
        values = {
            "partner_id": partner.id,
            "company_id": company.id,
            "date_order": datetime.combine(day, datetime.min.time()),
            "order_line": [
                (0, 0, {"product_id": cls.product.id, "price_unit": amount})
            ],
        }
        if pricelist:
            values["pricelist_id"] = pricelist.id
        order = cls.env["sale.order"].with_company(company).create(values)
        if state in ("sale", "cancel"):
            order.action_confirm()
            # Confirming stamps the current date: put back the order's own date.
            order.date_order = datetime.combine(day, datetime.min.time())
        if state == "cancel":
            order._action_cancel()
        return order

    def _classify(self, day=TODAY, company=None, **kwargs):
        company = company or self.env.company
        return self.Classification.with_company(company)._cpc_classify(
            company, reference_date=day, **kwargs
        )

    def _row(self, partner, company=None):
        company = company or self.env.company
        return self.Classification.search(
            [("partner_id", "=", partner.id), ("company_id", "=", company.id)]
        )

    def _tier(self, code, company=None):
        company = company or self.env.company
        return company.cpc_value_tier_ids.filtered(lambda t: t.code == code)

    def _segment(self, code):
        return self.env.ref(f"{MODULE}.rfm_segment_{code}")
