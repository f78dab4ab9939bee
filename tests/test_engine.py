# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import random
from datetime import datetime, timedelta

from odoo import Command, fields
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.tests import tagged
from odoo.tools import SQL

from ..utils.rfm import quintile_scores
from .common import TODAY, ClassificationCase


@tagged("post_install", "-at_install")
class TestSkewedScores(ClassificationCase):
    def test_half_bought_once_reaches_the_low_segments(self):
        # Forty customers, half of whom bought once, at dates spread over two
        # years: what a retailer's data looks like.
        rng = random.Random(9)
        customers = self.env["res.partner"].create(
            [{"name": f"Skewed {i}"} for i in range(40)]
        )
        for index, customer in enumerate(customers):
            count = 1 if index % 2 else rng.randint(2, 6)
            for _ in range(count):
                day = TODAY - timedelta(days=rng.randint(1, 700))
                self._order(customer, rng.choice([20, 60, 150, 400, 900]), day)
        self._classify()
        rows = [self._row(customer) for customer in customers]
        once = [row for row in rows if row.order_count == 1]
        self.assertTrue(once)
        self.assertEqual({row.frequency_score for row in once}, {1})
        segments = {row.segment_id.code for row in rows}
        self.assertIn("lost", segments)
        self.assertIn("hibernating", segments)
        for column in ("recency_score", "monetary_score"):
            self.assertEqual({row[column] for row in rows}, {1, 2, 3, 4, 5}, column)
        self.assertEqual(max(row.frequency_score for row in rows), 5)
        # The SQL scores are the documented rule, in utils/rfm.py.
        for column, value in (
            ("recency_score", lambda r: r.last_order_date.toordinal()),
            ("frequency_score", lambda r: r.order_count),
            ("monetary_score", lambda r: r.revenue),
        ):
            expected = quintile_scores([value(row) for row in rows])
            self.assertEqual([row[column] for row in rows], expected, column)

    def test_a_single_customer_scores_the_middle(self):
        partner = self._customer("Only One")
        self._order(partner, 100, TODAY - timedelta(days=3))
        self._classify()
        self.assertEqual(self._row(partner).rfm_code, "333")

    def test_score_stage_ranks_within_a_partition(self):
        # The stage products reuse: one expression, scored per group.
        Engine = self.env["partner.classification"]
        score = Engine._cpc_score_sql(SQL("v"), partition=SQL("g"))
        rows = self.env.execute_query(
            SQL(
                "SELECT g, v, %s FROM (VALUES (1, 1), (1, 1), (1, 1), (1, 5), "
                "(1, 9), (2, 4), (2, 4)) AS t(g, v) ORDER BY g, v",
                score,
            )
        )
        self.assertEqual(
            [row[2] for row in rows],
            quintile_scores([1, 1, 1, 5, 9]) + quintile_scores([4, 4]),
        )
        self.assertEqual([row[2] for row in rows], [1, 1, 1, 4, 5, 3, 3])


@tagged("post_install", "-at_install")
class TestReferenceDate(ClassificationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls._customer("Back Dated")
        cls._order(cls.partner, 100, TODAY - timedelta(days=400))
        cls._order(cls.partner, 100, TODAY - timedelta(days=40))

    def test_days_since_last_order_count_to_the_reference_date(self):
        past = TODAY - timedelta(days=30)
        self._classify(day=past)
        row = self._row(self.partner)
        self.assertEqual(row.classified_on, past)
        self.assertEqual(row.recency_days, 10)
        # A run that changes nothing keeps the date the figures hold for.
        self._classify(day=past + timedelta(days=1))
        self.assertEqual(row.classified_on, past)
        self.assertEqual(row.recency_days, 10)
        later = TODAY + timedelta(days=400)
        self._classify(day=later)
        self.assertEqual(row.classified_on, later)
        self.assertEqual(row.stage, "churned")
        self.assertEqual(row.recency_days, 440)

    def test_history_rows_carry_the_date_the_classes_hold_for(self):
        past = TODAY - timedelta(days=300)
        self._classify(day=past)
        row = self._row(self.partner)
        self.assertTrue(row.history_ids)
        self.assertEqual(set(row.history_ids.mapped("reference_date")), {past})
        self._classify()
        moved = row.history_ids.filtered(lambda h: h.reference_date == TODAY)
        self.assertTrue(moved, "the second run moved some class, dated for today")
        # A pin holds from the day it is set.
        row.write({"manual_stage": "loyal", "pin_reason": "Key account"})
        pin = row.history_ids.filtered(lambda h: h.source == "manual")
        self.assertEqual(pin.reference_date, fields.Date.context_today(row))
        pivot = self.env.ref(
            "customer_product_classification.partner_classification_history_view_pivot"
        )
        self.assertIn('name="reference_date"', pivot.arch)


@tagged("post_install", "-at_install")
class TestMirrorWriteDate(ClassificationCase):
    def test_partners_whose_classes_change_get_a_new_write_date(self):
        partner = self._customer("Synced")
        quiet = self._customer("Quiet")
        self._order(partner, 100, TODAY - timedelta(days=10))
        self._order(quiet, 100, TODAY - timedelta(days=10))
        self._classify()
        manager = self.manager
        old = datetime(2020, 1, 1)

        def age_both():
            self.env.flush_all()
            self.env.cr.execute(
                "UPDATE res_partner SET write_date = %s, write_uid = 1 WHERE id IN %s",
                [old, (partner.id, quiet.id)],
            )
            self.env.invalidate_all()

        age_both()
        self._classify()
        self.assertEqual(partner.write_date, old, "no change, no new write date")
        self.assertEqual(quiet.write_date, old, "no change, no new write date")
        # Only the first one orders again, and is reclassified: it moves.
        self._order(partner, 5000, TODAY - timedelta(days=1))
        age_both()
        self.Classification.with_user(manager)._cpc_classify(
            self.company, reference_date=TODAY, partners=partner
        )
        self.env.invalidate_all()
        self.assertGreater(partner.write_date, old)
        self.assertEqual(partner.write_uid, manager)
        self.assertEqual(quiet.write_date, old, "not reclassified")
        # A pin changes the mirror too.
        self.env.cr.execute(
            "UPDATE res_partner SET write_date = %s WHERE id = %s", [old, quiet.id]
        )
        self.env.invalidate_all()
        self._row(quiet).write({"manual_stage": "loyal", "pin_reason": "Key account"})
        self.env.invalidate_all()
        self.assertEqual(quiet.lifecycle_stage, "loyal")
        self.assertGreater(quiet.write_date, old)


@tagged("post_install", "-at_install")
class TestCompanyTimeZone(ClassificationCase):
    def _order_at(self, partner, moment):
        order = self._order(partner, 100, moment.date())
        order.date_order = moment
        return order

    def test_days_are_counted_in_the_company_time_zone(self):
        self.company.partner_id.tz = "Asia/Shanghai"
        partner = self._customer("Early Bird")
        # 07:00 on 1 January in Shanghai is 23:00 UTC on 31 December.
        self._order_at(partner, datetime(2025, 12, 31, 23, 0))
        self._classify(day=datetime(2025, 12, 31).date())
        self.assertFalse(self._row(partner).last_order_date, "not yet on 31 Dec")
        self._classify(day=datetime(2026, 1, 1).date())
        self.assertEqual(
            self._row(partner).last_order_date, datetime(2026, 1, 1).date()
        )

    def test_a_company_without_time_zone_counts_in_utc(self):
        self.company.partner_id.tz = False
        partner = self._customer("Night Owl")
        self._order_at(partner, datetime(2025, 12, 31, 23, 0))
        self._classify(day=datetime(2025, 12, 31).date())
        self.assertEqual(
            self._row(partner).last_order_date, datetime(2025, 12, 31).date()
        )


@tagged("post_install", "-at_install")
class TestFacts(ClassificationCase):
    def _facts(self, **kwargs):
        Engine = self.env["partner.classification"]
        query = Engine._cpc_facts_query(self.company, TODAY, **kwargs)
        self.env.flush_all()
        return self.env.execute_query_dict(
            SQL("SELECT * FROM (%s) f ORDER BY order_id, quantity", query)
        )

    def test_line_facts_in_the_product_unit_and_company_currency(self):
        dozen = self.env.ref("uom.product_uom_dozen")
        partner = self._customer("Wholesale")
        contact = self._customer("Buyer", parent_id=partner.id)
        order = self._order(contact, 100, TODAY - timedelta(days=3))
        order.write(
            {
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.product.id,
                            "product_uom": dozen.id,
                            "product_uom_qty": 2,
                            "price_unit": 1000,
                        }
                    ),
                    Command.create({"display_type": "line_note", "name": "Note"}),
                ]
            }
        )
        self._order(partner, 100, TODAY - timedelta(days=3), state="draft")
        facts = [f for f in self._facts() if f["order_id"] == order.id]
        self.assertEqual(len(facts), 2, "display lines are left out")
        self.assertEqual({f["partner_id"] for f in facts}, {partner.id})
        self.assertEqual(
            {f["product_tmpl_id"] for f in facts}, {self.product.product_tmpl_id.id}
        )
        self.assertEqual(sorted(f["quantity"] for f in facts), [1, 24])
        self.assertEqual(sorted(f["amount"] for f in facts), [100, 2000])
        self.assertEqual({f["day"] for f in facts}, {TODAY - timedelta(days=3)})
        self.assertTrue(all(f["is_order"] for f in facts))
        # Customers still count orders, not lines.
        self._classify()
        self.assertEqual(self._row(partner).order_count, 1)
        self.assertEqual(self._row(partner).revenue, 2100)

    def test_window_start_restricts_the_facts(self):
        partner = self._customer("Windowed")
        old = self._order(partner, 100, TODAY - timedelta(days=100))
        new = self._order(partner, 100, TODAY - timedelta(days=10))
        ids = {f["order_id"] for f in self._facts(date_from=TODAY - timedelta(days=50))}
        self.assertIn(new.id, ids)
        self.assertNotIn(old.id, ids)


@tagged("post_install", "-at_install")
class TestOrderTotal(ClassificationCase):
    def test_total_amount_is_the_tax_included_line_amount(self):
        tax = self.env["account.tax"].create(
            {"name": "CPC Ten", "amount": 10, "company_id": self.company.id}
        )
        self.product.taxes_id = tax
        partner = self._customer("Taxed")
        order = self._order(partner, 100, TODAY - timedelta(days=5))
        self.assertEqual(order.amount_total, 110)
        self._classify()
        self.assertEqual(self._row(partner).revenue, order.amount_untaxed)
        self.company.cpc_amount_type = "total"
        self._classify()
        self.assertEqual(self._row(partner).revenue, order.amount_total)


@tagged("post_install", "-at_install")
class TestInvoiceFacts(AccountTestInvoicingCommon):
    def test_credit_notes_count_negative_in_the_product_unit(self):
        company = self.env.company
        company.write({"cpc_revenue_basis": "invoice", "cpc_amount_type": "untaxed"})
        customer = self.env["res.partner"].create({"name": "Returns Ltd"})
        product = self.product_a
        day = TODAY - timedelta(days=5)
        invoice = self.init_invoice(
            "out_invoice", customer, day, post=True, products=[product], taxes=[]
        )
        refund = self.init_invoice(
            "out_refund", customer, day, post=True, products=[product], taxes=[]
        )
        self.init_invoice("out_invoice", customer, day, products=[product])
        self.env.flush_all()
        query = self.env["partner.classification"]._cpc_facts_query(company, TODAY)
        facts = self.env.execute_query_dict(
            SQL(
                "SELECT * FROM (%s) f WHERE partner_id = %s ORDER BY order_id",
                query,
                customer.id,
            )
        )
        self.assertEqual([f["order_id"] for f in facts], [invoice.id, refund.id])
        sold, returned = facts
        self.assertTrue(sold["is_order"])
        self.assertFalse(returned["is_order"])
        self.assertEqual(sold["product_tmpl_id"], product.product_tmpl_id.id)
        self.assertEqual(sold["quantity"], 1)
        self.assertEqual(returned["quantity"], -1)
        self.assertAlmostEqual(sold["amount"], invoice.amount_untaxed_signed)
        self.assertAlmostEqual(returned["amount"], refund.amount_untaxed_signed)
        self.assertLess(returned["amount"], 0)


@tagged("post_install", "-at_install")
class TestRunWritesInSql(ClassificationCase):
    """The engine writes in SQL: what the ORM has read before a run, in the same
    transaction, must show what the run wrote."""

    def test_records_read_before_a_run_show_its_classes(self):
        partner = self._customer("Cached Customer", is_company=True)
        self._order(partner, 100, TODAY - timedelta(days=10))
        self.env.flush_all()
        old = datetime(2020, 1, 1)
        self.env.cr.execute(
            "UPDATE res_partner SET write_date = %s WHERE id = %s", [old, partner.id]
        )
        self.env.invalidate_all()
        # Read, and so cached, before the run.
        self.assertFalse(partner.value_tier_id)
        self.assertFalse(partner.classification_id)
        self.assertEqual(partner.write_date, old)
        messages = partner.message_ids
        self._classify()
        row = partner.classification_id
        self.assertTrue(row)
        self.assertEqual(partner.value_tier_id, row.tier_id)
        self.assertTrue(partner.value_tier_id)
        self.assertEqual(partner.lifecycle_stage, "new")
        self.assertEqual(partner.rfm_segment_id, row.segment_id)
        self.assertGreater(partner.write_date, old)
        self.assertEqual(partner.write_uid, self.env.user)
        # One history row per class, each holding only its own class.
        by_kind = {h.change_type: h for h in row.history_ids}
        self.assertEqual(set(by_kind), {"tier", "segment", "stage"})
        self.assertEqual(by_kind["tier"].new_tier_id, row.tier_id)
        self.assertFalse(by_kind["tier"].new_stage or by_kind["tier"].new_segment_id)
        self.assertEqual(by_kind["stage"].new_stage, "new")
        self.assertFalse(
            by_kind["stage"].new_tier_id or by_kind["stage"].new_segment_id
        )
        self.assertEqual(by_kind["segment"].new_segment_id, row.segment_id)
        self.assertFalse(by_kind["segment"].new_tier_id or by_kind["segment"].new_stage)
        self.assertEqual(partner.message_ids, messages, "a first run posts no note")
        # A later run that moves the customer: the cached row, history and
        # chatter follow without a reload.
        self.assertEqual(row.order_count, 1)
        self._classify(day=TODAY + timedelta(days=400))
        self.assertEqual(row.stage, "churned")
        self.assertEqual(partner.lifecycle_stage, "churned")
        self.assertEqual(row.classified_on, TODAY + timedelta(days=400))
        stage_moves = row.history_ids.filtered(lambda h: h.change_type == "stage")
        self.assertEqual(stage_moves.mapped("new_stage"), ["churned", "new"])
        self.assertEqual(stage_moves[0].old_stage, "new")
        self.assertEqual(len(partner.message_ids - messages), 1)

    def test_products_read_before_a_run_show_its_classes(self):
        template = self.product.product_tmpl_id
        self._order(self._customer("Product Buyer"), 100, TODAY - timedelta(days=10))
        self.env.flush_all()
        old = datetime(2020, 1, 1)
        self.env.cr.execute(
            "UPDATE product_template SET write_date = %s WHERE id = %s",
            [old, template.id],
        )
        self.env.invalidate_all()
        self.assertFalse(template.abc_level_id)
        self.assertFalse(template.abc_xyz_class)
        self.assertEqual(template.write_date, old)
        self.env["product.classification"]._cpc_classify_products(
            self.company, reference_date=TODAY
        )
        self.assertEqual(template.abc_level_id.code, "A")
        self.assertEqual(template.xyz_class, "short")
        self.assertEqual(template.abc_xyz_class, "A")
        self.assertEqual(self.product.abc_level_id.code, "A", "shown on the variant")
        self.assertGreater(template.write_date, old)
        row = template.product_classification_id
        self.assertEqual(row.abc_class, "A")
        self.assertEqual(set(row.history_ids.mapped("change_type")), {"abc", "xyz"})


@tagged("post_install", "-at_install")
class TestHistoryReferenceDateMigration(ClassificationCase):
    def _history_written_at(self, moment):
        """Classify a new customer, then make its history look as if written at
        ``moment`` (UTC) before history rows carried a reference date."""
        partner = self._customer(f"Migrated {moment}")
        self._order(partner, 100, TODAY - timedelta(days=10))
        self._classify()
        history = self._row(partner).history_ids
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE partner_classification_history"
            " SET reference_date = NULL, date = %s WHERE id IN %s",
            [moment, tuple(history.ids)],
        )
        history.invalidate_recordset()
        return history

    def test_upgrade_dates_old_history_in_the_company_time_zone(self):
        self.company.partner_id.tz = "Asia/Shanghai"
        # 23:00 UTC on 31 December is 07:00 on 1 January in Shanghai.
        old = self._history_written_at(datetime(2025, 12, 31, 23, 0))
        partner = self._customer("Recent Buyer")
        self._order(partner, 100, TODAY - timedelta(days=3))
        self._classify(day=TODAY - timedelta(days=1))
        kept = self._row(partner).history_ids
        self.env["classification.history.mixin"]._cpc_fill_reference_dates()
        self.assertEqual(
            set(old.mapped("reference_date")), {datetime(2026, 1, 1).date()}
        )
        self.assertEqual(
            set(kept.mapped("reference_date")), {TODAY - timedelta(days=1)}
        )

    def test_upgrade_counts_in_utc_without_a_valid_time_zone(self):
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner SET tz = 'Mars/Olympus' WHERE id = %s",
            [self.company.partner_id.id],
        )
        self.company.partner_id.invalidate_recordset(["tz"])
        old = self._history_written_at(datetime(2025, 12, 31, 23, 0))
        self.env["classification.history.mixin"]._cpc_fill_reference_dates()
        self.assertEqual(
            set(old.mapped("reference_date")), {datetime(2025, 12, 31).date()}
        )
