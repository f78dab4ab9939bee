# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import TODAY
from .product_common import ProductCase


@tagged("post_install", "-at_install")
class TestProductAbc(ProductCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.p70, cls.p15, cls.p10, cls.p5 = (
            cls._product(name) for name in ("Seventy", "Fifteen", "Ten", "Five")
        )
        day = TODAY - timedelta(days=20)
        cls._sell(
            [(cls.p70, 7, 10), (cls.p15, 3, 5), (cls.p10, 1, 10), (cls.p5, 5, 1)], day
        )

    def test_revenue_basis_pareto_levels(self):
        result = self._classify_products()
        self.assertGreaterEqual(result["done"], 4)
        # Cumulated before each product: 0, 70, 85, 95 of 100.
        self.assertEqual(
            self._codes(self.p70, self.p15, self.p10, self.p5), ["A", "A", "B", "C"]
        )
        row = self._prow(self.p15)
        self.assertEqual(row.revenue, 15)
        self.assertAlmostEqual(row.share, 15.0)
        self.assertAlmostEqual(row.cumulative_share, 85.0)
        self.assertEqual(row.profile_id, self.profile)
        self.assertEqual(row.classified_on, TODAY)

    def test_quantity_basis(self):
        self.profile.basis = "quantity"
        self._classify_products()
        # Quantities 7, 5, 3, 1 of 16: before them 0, 7, 12 (75 %) and 15 (94 %).
        self.assertEqual(
            self._codes(self.p70, self.p5, self.p15, self.p10), ["A", "A", "A", "B"]
        )
        self.assertEqual(self._prow(self.p5).quantity, 5)

    def test_equal_products_share_a_level_at_a_border(self):
        self.profile.basis = "quantity"
        tie_a, tie_b = self._product("Tie A"), self._product("Tie B")
        # 60 / 20 / 20 of 100: the second tie starts where the first ends (80 %),
        # but equal products rank together and start at 60 %: both A.
        other = self._product("Sixty")
        self.env["sale.order.line"].search(
            [("product_id", "in", (self.p70 | self.p15 | self.p10 | self.p5).ids)]
        ).order_id._action_cancel()
        self._sell([(other, 60, 1), (tie_a, 20, 1), (tie_b, 20, 1)], TODAY)
        self._classify_products()
        self.assertEqual(self._codes(other, tie_a, tie_b), ["A", "A", "A"])
        self.assertEqual(self._prow(self.p70).abc_level_id.code, "C", "no sales: last")

    def test_products_without_sales(self):
        unsold = self._product("Never Sold")
        self._classify_products()
        row = self._prow(unsold)
        self.assertTrue(row.no_sales)
        self.assertEqual(row.abc_level_id.code, "C", "the last level by default")
        self.assertEqual(row.xyz_class, "none")
        self.profile.no_sales_class = True
        self._classify_products()
        self.assertFalse(row.abc_level_id, "apart: no level")
        self.assertTrue(row.no_sales)
        self.assertEqual(self._prow(self.p5).abc_level_id.code, "C")

    def test_sales_outside_the_window_do_not_count(self):
        old = self._product("Old Seller")
        self._sell([(old, 1000, 10)], TODAY - relativedelta(months=13))
        self._classify_products()
        row = self._prow(old)
        self.assertEqual(row.revenue, 0)
        self.assertTrue(row.no_sales)

    def test_categories_with_children_and_first_profile_wins(self):
        child = self.env["product.category"].create(
            {"name": "CPC Child", "parent_id": self.categ.id}
        )
        spare = self._product("Spare Part", categ_id=child.id)
        self._sell([(spare, 1, 1)], TODAY - timedelta(days=3))
        parts = self.env["product.abc.profile"].create(
            {
                "name": "Spare parts by quantity",
                "sequence": 1,
                "basis": "quantity",
                "categ_ids": [Command.set(self.categ.ids)],
                "level_ids": [
                    Command.create({"code": "A", "share": 50}),
                    Command.create({"code": "B", "share": 50}),
                ],
            }
        )
        self._classify_products()
        row = self._prow(spare)
        self.assertEqual(row.profile_id, parts, "the child category is included")
        self.assertEqual(self._prow(self.p70).profile_id, parts, "first by sequence")
        outside = self._product(
            "Elsewhere", categ_id=self.env.ref("product.product_category_all").id
        )
        self._classify_products()
        self.assertEqual(self._prow(outside).profile_id, self.profile)

    def test_units_of_measure_and_variants_roll_up(self):
        dozen = self.env.ref("uom.product_uom_dozen")
        attribute = self.env["product.attribute"].create(
            {
                "name": "CPC Size",
                "value_ids": [
                    Command.create({"name": "S"}),
                    Command.create({"name": "L"}),
                ],
            }
        )
        template = self.env["product.template"].create(
            {
                "name": "Shirt",
                "list_price": 1,
                "taxes_id": False,
                "categ_id": self.categ.id,
                "attribute_line_ids": [
                    Command.create(
                        {
                            "attribute_id": attribute.id,
                            "value_ids": [Command.set(attribute.value_ids.ids)],
                        }
                    )
                ],
            }
        )
        small, large = template.product_variant_ids
        self._sell([(small, 1, 24, dozen), (large, 3, 1)], TODAY - timedelta(days=5))
        self._classify_products()
        row = self._prow(template)
        self.assertEqual(len(row), 1, "one row for the template")
        self.assertEqual(row.quantity, 15, "a dozen counts 12 units")
        self.assertEqual(row.revenue, 27)
        # The variants show their template's classes.
        self.assertEqual(small.abc_level_id, row.abc_level_id)
        self.assertEqual(large.xyz_class, row.xyz_class)
        self.assertEqual(template.abc_level_id, row.abc_level_id)

    def test_foreign_currency_at_the_order_rate(self):
        eur = self.env.ref("base.EUR")
        eur.active = True
        self.env["res.currency.rate"].create(
            {
                "currency_id": eur.id,
                "company_id": self.company.id,
                "name": TODAY - timedelta(days=40),
                "rate": 0.5,
            }
        )
        pricelist = self.env["product.pricelist"].create(
            {"name": "EUR", "currency_id": eur.id, "company_id": self.company.id}
        )
        euro = self._product("Euro Seller")
        self._sell([(euro, 1, 100)], TODAY - timedelta(days=2), pricelist=pricelist)
        self._classify_products()
        self.assertEqual(self._prow(euro).revenue, 200)

    def test_each_company_classifies_its_own_sales(self):
        other = self.env["res.company"].create({"name": "CPC Product Company"})
        self.env.user.company_ids |= other
        self.assertTrue(self._default_profile(other), "a new company gets a profile")
        self.assertEqual(
            self._default_profile(other).level_ids.mapped("share"), [80, 15, 5]
        )
        self._sell([(self.p5, 1000, 10)], TODAY - timedelta(days=1), company=other)
        self._classify_products()
        self._classify_products(company=other)
        self.assertEqual(self._prow(self.p5).revenue, 5)
        self.assertEqual(self._prow(self.p5, other).revenue, 10000)
        self.assertEqual(self._prow(self.p5, other).abc_level_id.code, "A")
        self.assertEqual(self._prow(self.p5).abc_level_id.code, "C")
        template = self.p5.product_tmpl_id
        self.assertEqual(template.with_company(other).abc_level_id.code, "A")
        self.assertEqual(template.with_company(self.company).abc_level_id.code, "C")

    def test_mirror_updates_write_date(self):
        self._classify_products()
        template = self.p10.product_tmpl_id
        self.env.cr.execute(
            "UPDATE product_template SET write_date = '2000-01-01' WHERE id = %s",
            [template.id],
        )
        template.invalidate_recordset()
        self.p10.product_tmpl_id.invalidate_recordset()
        self._sell([(self.p10, 100, 10)], TODAY)
        self._classify_products()
        self.assertEqual(template.abc_level_id.code, "A")
        self.assertEqual(template.abc_xyz_class, "A")
        self.assertGreater(template.write_date.year, 2000)

    def test_margin_needs_sale_margin(self):
        if "purchase_price" in self.env["sale.order.line"]._fields:
            self.skipTest("sale_margin is installed")
        with self.assertRaisesRegex(ValidationError, "Sales Margin"):
            self.profile.basis = "margin"

    def test_margin_basis_ranks_by_the_cost_at_the_time_of_sale(self):
        # Run by scripts/test.sh in its second database, with sale_margin.
        if "purchase_price" not in self.env["sale.order.line"]._fields:
            self.skipTest("sale_margin is not installed")
        self.profile.basis = "margin"
        # Revenue 70 / 15 / 10 / 5; the costs make the margins 7 / 15 / 10 / 5.
        costs = {self.p70: 9.0, self.p15: 0.0, self.p10: 0.0, self.p5: 0.0}
        for line in self.env["sale.order.line"].search(
            [("product_id", "in", [p.id for p in costs])]
        ):
            line.purchase_price = costs[line.product_id]
        # A later change of the product's cost leaves past sales as they were.
        self.p15.standard_price = 1000.0
        self._classify_products()
        row = self._prow(self.p15)
        self.assertEqual(row.margin, 15)
        self.assertEqual(row.revenue, 15, "revenue is still shown")
        self.assertAlmostEqual(row.share, 40.5405, places=3)  # 15 of 37
        # Before each, by margin: 0 (p15), 15 (p10, 41 %), 25 (p70), 32 (p5).
        self.assertEqual(
            self._codes(self.p15, self.p10, self.p70, self.p5), ["A", "A", "A", "B"]
        )


@tagged("post_install", "-at_install")
class TestProductAbcLevels(ProductCase):
    def _profile(self, levels, **values):
        return self.env["product.abc.profile"].create(
            {
                "name": "Test Profile",
                "level_ids": [
                    Command.create({"code": code, "share": share})
                    for code, share in levels
                ],
                **values,
            }
        )

    def test_default_split(self):
        levels = self.profile._levels()
        self.assertEqual(levels.mapped("code"), ["A", "B", "C"])
        self.assertEqual(levels.mapped("share"), [80, 15, 5])

    def test_shares_sum_to_100(self):
        with self.assertRaisesRegex(ValidationError, "sum to 90"):
            self._profile([("A", 80), ("B", 10)])

    def test_each_share_positive(self):
        with self.assertRaisesRegex(ValidationError, "positive"):
            self._profile([("A", 100), ("B", 0)])

    def test_codes_unique(self):
        with self.assertRaisesRegex(ValidationError, "used twice"):
            self._profile([("A", 50), ("a", 50)])

    def test_needs_a_level(self):
        with self.assertRaisesRegex(ValidationError, "at least one level"):
            self._profile([])

    def test_rebalance_through_the_profile(self):
        a, b, c = self.profile._levels()
        self.profile.write(
            {
                "level_ids": [
                    Command.update(a.id, {"share": 70}),
                    Command.update(b.id, {"share": 25}),
                ]
            }
        )
        self.assertEqual(self.profile._levels().mapped("share"), [70, 25, 5])
        with self.assertRaisesRegex(ValidationError, "sum to"):
            c.share = 10

    def test_window_bounded(self):
        with self.assertRaisesRegex(ValidationError, "between 1 and 120"):
            self.profile.analysis_months = 0

    def test_xyz_limits_validated(self):
        with self.assertRaisesRegex(ValidationError, "XYZ limits"):
            self.company.cpc_xyz_x_max = 1.5

    def test_xyz_history_validated(self):
        with self.assertRaisesRegex(ValidationError, "minimum history"):
            self.company.cpc_xyz_min_months = 13

    def test_xyz_in_settings(self):
        settings = self.env["res.config.settings"].create({"cpc_xyz_y_max": 2.0})
        settings.execute()
        self.assertEqual(self.company.cpc_xyz_y_max, 2.0)

    def test_level_in_use_stays(self):
        product = self._product("Used")
        self._sell([(product, 1, 1)], TODAY)
        self._classify_products()
        with self.assertRaises(UserError):
            self._prow(product).abc_level_id.unlink()
        with self.assertRaises(UserError):
            self.profile.unlink()


@tagged("post_install", "-at_install")
class TestProductXyz(ProductCase):
    def _month(self, months_back):
        # The middle of a whole month of the window (June 2026 is under way).
        return TODAY.replace(day=15) - relativedelta(months=months_back)

    def test_steady_demand_is_x(self):
        steady = self._product("Steady")
        for month in range(1, 13):
            self._sell([(steady, 10, 1)], self._month(month))
        self._classify_products()
        row = self._prow(steady)
        self.assertEqual(row.xyz_class, "x")
        self.assertEqual(row.sale_months, 12)
        self.assertAlmostEqual(row.monthly_mean, 10)
        self.assertAlmostEqual(row.monthly_cv, 0)
        self.assertEqual(row.abc_xyz_class, "AX")

    def test_sparse_demand_is_z(self):
        sparse = self._product("Sparse")
        self._sell([(sparse, 10, 1)], self._month(12))
        self._sell([(sparse, 50, 1)], self._month(3))
        self._classify_products()
        row = self._prow(sparse)
        # Mean 5 a month over 12, sd sqrt((100 + 2500) / 12 - 25) ~ 13.8.
        self.assertEqual(row.sale_months, 2)
        self.assertAlmostEqual(row.monthly_mean, 5)
        self.assertAlmostEqual(row.monthly_cv, 2.7689, places=3)
        self.assertEqual(row.xyz_class, "z")

    def test_variable_demand_is_y(self):
        variable = self._product("Variable")
        for month, quantity in zip(range(1, 13), [2, 18] * 6, strict=True):
            self._sell([(variable, quantity, 1)], self._month(month))
        self._classify_products()
        # Mean 10, sd 8: CV 0.8.
        self.assertAlmostEqual(self._prow(variable).monthly_cv, 0.8)
        self.assertEqual(self._prow(variable).xyz_class, "y")

    def test_new_product_has_not_enough_history(self):
        new = self._product("Newcomer")
        for month in (1, 2, 3):
            self._sell([(new, 10, 1)], self._month(month))
        self._classify_products()
        self.assertEqual(self._prow(new).xyz_class, "short")
        self.company.cpc_xyz_min_months = 3
        self._classify_products()
        # Three months of history, steady: X.
        self.assertEqual(self._prow(new).xyz_class, "x")

    def test_months_in_the_company_time_zone(self):
        # 07:00 on 1 May in Shanghai is 23:00 on 30 April in UTC: a May sale.
        self.company.partner_id.tz = "Asia/Shanghai"
        product = self._product("Early Bird")
        order = self._sell([(product, 1, 1)], TODAY)
        order.date_order = datetime(2026, 4, 30, 23, 0)
        self._classify_products()
        row = self._prow(product)
        self.assertEqual(row.first_sale_date, date(2026, 5, 1))
        self.assertEqual(row.sale_months, 1)

    def test_thresholds_from_settings(self):
        variable = self._product("Variable")
        for month, quantity in zip(range(1, 13), [2, 18] * 6, strict=True):
            self._sell([(variable, quantity, 1)], self._month(month))
        self.company.cpc_xyz_x_max = 0.9
        self._classify_products()
        self.assertEqual(self._prow(variable).xyz_class, "x")


@tagged("post_install", "-at_install")
class TestProductPins(ProductCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.big, cls.small = cls._product("Big"), cls._product("Small")
        cls._sell([(cls.big, 90, 1), (cls.small, 10, 1)], TODAY - timedelta(days=3))
        cls.product_user = new_test_user(
            cls.env,
            login="cpc_product_user",
            groups="customer_product_classification.group_classification_user",
        )

    def test_preview_writes_nothing(self):
        result = self._classify_products(preview=True)
        self.assertFalse(self.ProductClassification.search([]))
        changes = {c["product_tmpl_id"]: c for c in result["changes"]}
        big = changes[self.big.product_tmpl_id.id]
        self.assertEqual(
            self.env["product.abc.level"].browse(big["new_abc_level_id"]).code, "A"
        )
        self.assertTrue(big["is_new"])
        self.assertFalse(self.big.product_tmpl_id.abc_level_id)

    def test_run_with_no_change_writes_nothing(self):
        self._classify_products()
        result = self._classify_products()
        self.assertEqual(result["changed"], 0)

    def test_pin_expiry_and_history(self):
        self._classify_products()
        row = self._prow(self.small)
        level_a = self.profile._levels()[0]
        self.assertEqual(row.abc_level_id.code, "B")
        row.with_user(self.manager).write(
            {
                "manual_abc_level_id": level_a.id,
                "manual_xyz_class": "x",
                "pin_reason": "Launch",
                "pin_until": TODAY + timedelta(days=400),
            }
        )
        self.assertEqual(row.abc_level_id, level_a)
        self.assertEqual(row.abc_xyz_class, "AX")
        self.assertEqual(self.small.product_tmpl_id.abc_level_id, level_a)
        self.assertEqual(self.small.product_tmpl_id.abc_xyz_class, "AX")
        manual = row.history_ids.filtered(lambda h: h.source == "manual")
        self.assertEqual(set(manual.mapped("change_type")), {"abc", "xyz"})
        self.assertEqual(
            manual.filtered(lambda h: h.change_type == "abc").old_value, "B"
        )
        # The run keeps the pin.
        self._classify_products()
        self.assertEqual(row.abc_level_id, level_a)
        # Past its last day, the pin lapses by itself at the next run.
        self.env.cr.execute(
            "UPDATE product_classification SET pin_until = %s WHERE id = %s",
            [TODAY - timedelta(days=1), row.id],
        )
        row.invalidate_recordset()
        self._classify_products()
        self.assertFalse(row.is_pinned)
        self.assertEqual(row.abc_level_id.code, "B")
        self.assertEqual(self.small.product_tmpl_id.abc_xyz_class, "B")

    def test_run_history_holds_for_the_reference_date(self):
        self._classify_products()
        self._sell([(self.small, 500, 1)], TODAY - timedelta(days=1))
        self._classify_products(day=TODAY, source="wizard")
        change = self._prow(self.small).history_ids.filtered(
            lambda h: h.change_type == "abc" and h.old_abc_level_id
        )
        self.assertEqual(change.reference_date, TODAY)
        self.assertEqual((change.old_value, change.new_value), ("B", "A"))
        self.assertEqual(change.source, "wizard")
        notes = self.small.product_tmpl_id.message_ids.filtered(
            lambda m: "ABC class" in (m.body or "")
        )
        self.assertTrue(notes, "a chatter note on the product")

    def test_access(self):
        self._classify_products()
        row = self._prow(self.small)
        # Users read classes; only managers pin.
        self.assertEqual(row.with_user(self.product_user).abc_level_id.code, "B")
        self.assertEqual(
            self.small.product_tmpl_id.with_user(self.product_user).abc_xyz_class, "B"
        )
        with self.assertRaises(AccessError):
            row.with_user(self.product_user).write(
                {"manual_xyz_class": "x", "pin_reason": "Mine"}
            )
        with self.assertRaises(AccessError):
            self.profile.with_user(self.product_user).basis = "quantity"
        with self.assertRaises(AccessError):
            row.with_user(self.manager).write({"revenue": 1})
        self.profile.with_user(self.manager).analysis_months = 6
        # Portal users read neither rows nor the classes on products.
        portal = new_test_user(
            self.env, login="cpc_product_portal", groups="base.group_portal"
        )
        with self.assertRaises(AccessError):
            row.with_user(portal).read(["abc_level_id"])
        with self.assertRaises(AccessError):
            self.small.product_tmpl_id.with_user(portal).read(["abc_level_id"])
        # Another company's users see nothing of this company's classes.
        other = self.env["res.company"].create({"name": "CPC Other Products"})
        stranger = new_test_user(
            self.env,
            login="cpc_product_stranger",
            groups="sales_team.group_sale_manager",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        self.assertFalse(
            self.ProductClassification.with_user(stranger).search([("id", "=", row.id)])
        )
        self.assertFalse(
            self.env["product.abc.profile"]
            .with_user(stranger)
            .search([("id", "=", self.profile.id)])
        )
        with self.assertRaises(AccessError):
            self.profile.with_user(stranger).write({"analysis_months": 3})

    def test_wizard_preview_then_apply(self):
        wizard = (
            self.env["product.classification.wizard"]
            .with_user(self.manager)
            .create({"reference_date": TODAY})
        )
        wizard.action_preview()
        self.assertFalse(self.ProductClassification.search([]))
        line = wizard.line_ids.filtered(
            lambda ln: ln.product_tmpl_id == self.big.product_tmpl_id
        )
        self.assertEqual(line.move, "- → A")
        self.assertGreaterEqual(wizard.changed_count, 2)
        wizard.action_apply()
        self.assertEqual(self._prow(self.big).abc_level_id.code, "A")

    def test_cron_is_weekly_and_classifies(self):
        cron = self.env.ref("customer_product_classification.ir_cron_classify_products")
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "weeks"))
        done, remaining = self.ProductClassification._cron_classify_products()
        self.assertGreaterEqual(done, 2)
        self.assertEqual(remaining, 0)
        self.assertTrue(self._prow(self.big))


@tagged("post_install", "-at_install")
class TestProductInvoiceBasis(AccountTestInvoicingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.env.company
        cls.company.write(
            {"cpc_revenue_basis": "invoice", "cpc_amount_type": "untaxed"}
        )
        cls.customer = cls.env["res.partner"].create({"name": "Invoiced Buyer"})
        cls.kept = cls.env["product.product"].create(
            {"name": "Kept", "taxes_id": False}
        )
        cls.returned = cls.env["product.product"].create(
            {"name": "Returned", "taxes_id": False}
        )
        day = TODAY - timedelta(days=10)
        cls._move("out_invoice", day, [(cls.kept, 5, 10), (cls.returned, 8, 10)])
        cls._move("out_refund", day, [(cls.returned, 7, 10)])
        cls._move("out_invoice", day, [(cls.kept, 100, 10)], post=False)

    @classmethod
    def _move(cls, move_type, day, lines, post=True):
        move = cls.env["account.move"].create(
            {
                "move_type": move_type,
                "partner_id": cls.customer.id,
                "invoice_date": day,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "product_id": product.id,
                            "quantity": quantity,
                            "price_unit": price,
                            "tax_ids": [Command.clear()],
                        }
                    )
                    for product, quantity, price in lines
                ],
            }
        )
        if post:
            move.action_post()
        return move

    def _row(self, product):
        return self.env["product.classification"].search(
            [
                ("product_tmpl_id", "=", product.product_tmpl_id.id),
                ("company_id", "=", self.company.id),
            ]
        )

    def test_invoices_net_of_credit_notes(self):
        self.env["product.classification"]._cpc_classify_products(
            self.company, reference_date=TODAY
        )
        kept, returned = self._row(self.kept), self._row(self.returned)
        self.assertEqual((kept.revenue, kept.quantity), (50, 5), "drafts count nothing")
        self.assertEqual((returned.revenue, returned.quantity), (10, 1))
        self.assertEqual(kept.abc_level_id.code, "A")
        self.assertEqual(returned.abc_level_id.code, "B")

    def test_margin_refused_on_invoice_basis(self):
        if "purchase_price" not in self.env["sale.order.line"]._fields:
            self.skipTest("sale_margin is not installed")
        profile = self.env["product.abc.profile"].search(
            [("company_id", "=", self.company.id)], limit=1
        )
        with self.assertRaisesRegex(ValidationError, "invoices"):
            profile.basis = "margin"
