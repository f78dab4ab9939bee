# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from datetime import datetime

from .common import TODAY, ClassificationCase


class ProductCase(ClassificationCase):
    """Products, sales of them at chosen dates, and a way to classify them."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.ProductClassification = cls.env["product.classification"]
        cls.customer = cls._customer("Product Buyer")
        cls.profile = cls._default_profile(cls.company)
        cls.company.write(
            {
                "cpc_xyz_months": 12,
                "cpc_xyz_x_max": 0.5,
                "cpc_xyz_y_max": 1.0,
                "cpc_xyz_min_months": 6,
            }
        )
        cls.categ = cls.env["product.category"].create({"name": "CPC Classified"})

    @classmethod
    def _default_profile(cls, company):
        return cls.env["product.abc.profile"].search(
            [("company_id", "=", company.id)], limit=1
        )

    @classmethod
    def _product(cls, name, **values):
        return cls.env["product.product"].create(
            {
                "name": name,
                "list_price": 10.0,
                "taxes_id": False,
                "categ_id": cls.categ.id,
                **values,
            }
        )

    @classmethod
    def _sell(cls, lines, day, company=None, partner=None, pricelist=None):
        """A confirmed order of ``lines``: (product, quantity, unit price[, uom])."""
        company = company or cls.env.company
        order_lines = []
        for line in lines:
            product, quantity, price = line[:3]
            values = {
                "product_id": product.id,
                "product_uom_qty": quantity,
                "price_unit": price,
                "tax_id": False,
            }
            if len(line) > 3:
                values["product_uom"] = line[3].id
            order_lines.append((0, 0, values))
        values = {
            "partner_id": (partner or cls.customer).id,
            "company_id": company.id,
            "date_order": datetime.combine(day, datetime.min.time()),
            "order_line": order_lines,
        }
        if pricelist:
            values["pricelist_id"] = pricelist.id
        order = cls.env["sale.order"].with_company(company).create(values)
        order.action_confirm()
        # Confirming stamps the current date: put back the order's own date.
        order.date_order = datetime.combine(day, datetime.min.time())
        return order

    def _classify_products(self, day=TODAY, company=None, **kwargs):
        company = company or self.env.company
        return self.ProductClassification.with_company(company)._cpc_classify_products(
            company, reference_date=day, **kwargs
        )

    def _prow(self, product, company=None):
        company = company or self.env.company
        template = (
            product.product_tmpl_id if product._name == "product.product" else product
        )
        return self.ProductClassification.search(
            [("product_tmpl_id", "=", template.id), ("company_id", "=", company.id)]
        )

    def _codes(self, *products):
        return [self._prow(product).abc_level_id.code or False for product in products]
