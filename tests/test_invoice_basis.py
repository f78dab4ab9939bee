# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from datetime import timedelta

from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.tests import tagged

from .common import TODAY


@tagged("post_install", "-at_install")
class TestInvoiceBasis(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write(
            {"cpc_revenue_basis": "invoice", "cpc_amount_type": "untaxed"}
        )
        cls.customer = cls.env["res.partner"].create(
            {"name": "Invoiced Ltd", "is_company": True}
        )
        cls.contact = cls.env["res.partner"].create(
            {"name": "Accounts Payable", "parent_id": cls.customer.id}
        )
        day = TODAY - timedelta(days=20)
        cls.init_invoice(
            "out_invoice", cls.contact, day, post=True, amounts=[1000.0], taxes=[]
        )
        cls.init_invoice(
            "out_invoice", cls.customer, day, post=True, amounts=[500.0], taxes=[]
        )
        cls.init_invoice("out_refund", cls.customer, day, post=True, amounts=[300.0])
        # Drafts count for nothing.
        cls.init_invoice("out_invoice", cls.customer, day, amounts=[9999.0], taxes=[])

    def _classify(self):
        self.env["partner.classification"]._cpc_classify(
            self.company, reference_date=TODAY
        )
        return self.env["partner.classification"].search(
            [
                ("partner_id", "=", self.customer.id),
                ("company_id", "=", self.company.id),
            ]
        )

    def test_revenue_is_invoices_net_of_credit_notes(self):
        row = self._classify()
        self.assertEqual(row.revenue, 1200)
        self.assertEqual(row.order_count, 2, "a credit note is not an order")

    def test_total_amount_includes_taxes(self):
        self.company.cpc_amount_type = "total"
        tax = self.env["account.tax"].create(
            {"name": "Ten", "amount": 10, "company_id": self.company.id}
        )
        self.init_invoice(
            "out_invoice",
            self.customer,
            TODAY - timedelta(days=2),
            post=True,
            amounts=[100.0],
            taxes=tax,
        )
        row = self._classify()
        self.assertAlmostEqual(row.revenue, 1200 + 110 + self._refund_tax(), 2)

    def _refund_tax(self):
        refund = self.env["account.move"].search(
            [("move_type", "=", "out_refund"), ("partner_id", "=", self.customer.id)]
        )
        return -(refund.amount_total - refund.amount_untaxed)
