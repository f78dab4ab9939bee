# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import random
from datetime import timedelta
from unittest.mock import patch

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, freeze_time, tagged

from ..utils.rfm import SEGMENT_CODES, quintile_scores, seed_segment
from ..wizards import classification_preview_wizard as wizard_module
from .common import TODAY, ClassificationCase


@tagged("post_install", "-at_install")
class TestCustomerMetrics(ClassificationCase):
    def test_contacts_roll_up_and_only_confirmed_orders_count(self):
        company = self._customer("Rollup Ltd", is_company=True)
        contact = self._customer("Buyer", parent_id=company.id)
        delivery = self._customer("Dock", parent_id=company.id, type="delivery")
        self._order(company, 100, TODAY - timedelta(days=50))
        self._order(contact, 200, TODAY - timedelta(days=20))
        # A locked order is still a confirmed order.
        self._order(delivery, 300, TODAY - timedelta(days=10)).action_lock()
        self._order(contact, 5000, TODAY - timedelta(days=5), state="draft")
        self._order(contact, 7000, TODAY - timedelta(days=4), state="cancel")
        self._classify()
        row = self._row(company)
        self.assertEqual(row.order_count, 3)
        self.assertEqual(row.revenue, 600)
        self.assertEqual(row.average_order_value, 200)
        self.assertEqual(row.first_order_date, TODAY - timedelta(days=50))
        self.assertEqual(row.last_order_date, TODAY - timedelta(days=10))
        self.assertEqual(row.average_interval_days, 20)
        self.assertFalse(self._row(contact))
        # The contact shows its company's classes.
        self.assertEqual(contact.classification_id, row)
        self.assertEqual(contact.classification_revenue, 600)

    def test_window_limits_revenue_not_dates(self):
        partner = self._customer("Old Friend")
        self._order(partner, 1000, TODAY - timedelta(days=900))
        self._order(partner, 50, TODAY - timedelta(days=30))
        self._classify()
        row = self._row(partner)
        self.assertEqual(row.order_count, 1)
        self.assertEqual(row.revenue, 50)
        self.assertEqual(row.first_order_date, TODAY - timedelta(days=900))

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
        partner = self._customer("Euro Buyer")
        self._order(partner, 100, TODAY - timedelta(days=30), pricelist=pricelist)
        self._classify()
        # 100 EUR at 0.5 EUR per company-currency unit.
        self.assertEqual(self._row(partner).revenue, 200)

    def test_each_company_classifies_its_own_sales(self):
        other = self.env["res.company"].create({"name": "CPC Second Company"})
        self.env.user.company_ids |= other
        partner = self._customer("Two Suppliers")
        self._order(partner, 100, TODAY - timedelta(days=10))
        self._order(partner, 900, TODAY - timedelta(days=5), company=other)
        self._classify()
        self._classify(company=other)
        self.assertEqual(self._row(partner).revenue, 100)
        self.assertEqual(self._row(partner, other).revenue, 900)
        self.assertEqual(self._row(partner, other).computed_tier_id.company_id, other)
        # Each company reads its own tier on the partner.
        self.assertEqual(partner.with_company(other).value_tier_id.company_id, other)
        self.assertEqual(partner.value_tier_id.company_id, self.company)

    def test_prospects_have_no_scores(self):
        prospect = self._customer("Just Looking")
        self._order(prospect, 100, TODAY - timedelta(days=3), state="draft")
        self._classify()
        row = self._row(prospect)
        self.assertEqual(row.stage, "prospect")
        self.assertFalse(row.tier_id)
        self.assertFalse(row.rfm_code)
        self.assertEqual(prospect.lifecycle_stage, "prospect")


@tagged("post_install", "-at_install")
class TestRfm(ClassificationCase):
    def test_scores_follow_the_documented_quintile_rule(self):
        rng = random.Random(7)
        customers = self.env["res.partner"].create(
            [{"name": f"RFM {i}"} for i in range(23)]
        )
        for customer in customers:
            for _ in range(rng.choice([1, 1, 2, 3, 3, 5])):
                day = TODAY - timedelta(days=rng.choice([3, 10, 10, 40, 90, 200]))
                self._order(customer, rng.choice([50, 100, 100, 400]), day)
        self._classify()
        rows = [self._row(customer) for customer in customers]
        for column, value in (
            ("recency_score", lambda r: r.last_order_date.toordinal()),
            ("frequency_score", lambda r: r.order_count),
            ("monetary_score", lambda r: r.revenue),
        ):
            expected = quintile_scores([value(row) for row in rows])
            self.assertEqual([row[column] for row in rows], expected, column)
        for row in rows:
            self.assertEqual(
                row.rfm_code,
                f"{row.recency_score}{row.frequency_score}{row.monetary_score}",
            )

    def test_ties_at_quintile_borders_share_a_score(self):
        # Ten customers: six with one order, four with more; the six tie.
        customers = self.env["res.partner"].create(
            [{"name": f"Tie {i}"} for i in range(10)]
        )
        counts = [1, 1, 1, 1, 1, 1, 2, 2, 3, 4]
        for customer, count in zip(customers, counts, strict=True):
            for index in range(count):
                self._order(customer, 100, TODAY - timedelta(days=5 + index))
        self._classify()
        scores = [self._row(c).frequency_score for c in customers]
        # The six span ranks 1-6 (scores 1 to 3) and take the lowest: 1.
        self.assertEqual(scores, [1, 1, 1, 1, 1, 1, 4, 4, 5, 5])

    def test_segment_map_has_all_cells_and_reaches_every_segment(self):
        # The eleven segments' map (the eight classes have their own test).
        cells = self.env["partner.rfm.cell"].search([("rfm_map", "=", "eleven")])
        self.assertEqual(len(cells), 125)
        for cell in cells:
            expected = seed_segment(
                cell.recency_score, cell.frequency_score, cell.monetary_score
            )
            self.assertEqual(cell.segment_id, self._segment(expected), cell.rfm_code)
        self.assertEqual(set(cells.segment_id.mapped("code")), set(SEGMENT_CODES))

    def test_segment_comes_from_the_editable_map(self):
        partner = self._customer("Mapped")
        self._order(partner, 100, TODAY - timedelta(days=2))
        self._classify()
        row = self._row(partner)
        cell = self.env["partner.rfm.cell"].search(
            [
                ("rfm_map", "=", self.company.cpc_rfm_map),
                ("rfm_code", "=", row.rfm_code),
            ]
        )
        self.assertEqual(row.segment_id, cell.segment_id)
        cell.segment_id = self._segment("lost")
        self._classify()
        self.assertEqual(row.segment_id, self._segment("lost"))


@tagged("post_install", "-at_install")
class TestValueTiers(ClassificationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customers = cls.env["res.partner"].create(
            [{"name": f"Tiered {amount}"} for amount in (500, 300, 100, 60, 40)]
        )
        for customer, amount in zip(
            cls.customers, (500, 300, 100, 60, 40), strict=True
        ):
            cls._order(customer, amount, TODAY - timedelta(days=10))

    def _codes(self):
        return [self._row(c).tier_id.code for c in self.customers]

    def test_pareto(self):
        # Shares 80/15/4/1 of 1,000: revenue before each customer is 0, 500, 800,
        # 900, 960 -> A, A, B, B, C.
        self._classify()
        self.assertEqual(self._codes(), ["A", "A", "B", "B", "C"])

    def test_thresholds(self):
        self.company.write(
            {
                "cpc_tier_method": "threshold",
                "cpc_value_tier_ids": [
                    Command.update(self._tier(code).id, {"min_revenue": amount})
                    for code, amount in (("A", 400), ("B", 100), ("C", 50), ("D", 0))
                ],
            }
        )
        self._classify()
        self.assertEqual(self._codes(), ["A", "B", "B", "C", "D"])

    def test_weighted_rfm_score(self):
        self.company.write(
            {
                "cpc_tier_method": "rfm_score",
                "cpc_rfm_weight_recency": 0,
                "cpc_rfm_weight_frequency": 0,
                "cpc_rfm_weight_monetary": 1,
            }
        )
        # Monetary scores 5, 4, 3, 2, 1; tiers need 4, 3, 2, 0.
        self._classify()
        self.assertEqual(self._codes(), ["A", "A", "B", "C", "D"])

    def test_shares_must_sum_to_100(self):
        with self.assertRaisesRegex(ValidationError, "sum to 100"):
            self.company.cpc_value_tier_ids = [
                Command.update(self._tier("A").id, {"revenue_share": 70})
            ]

    def test_thresholds_must_fall(self):
        self.company.cpc_tier_method = "threshold"
        with self.assertRaisesRegex(ValidationError, "comes after"):
            self.company.cpc_value_tier_ids = [
                Command.update(self._tier("C").id, {"min_revenue": 20000})
            ]

    def test_scores_must_fall(self):
        self.company.cpc_tier_method = "rfm_score"
        with self.assertRaisesRegex(
            ValidationError, "weighted RFM score must be lower"
        ):
            self.company.cpc_value_tier_ids = [
                Command.update(self._tier("D").id, {"min_rfm_score": 3.5})
            ]

    def test_settings_refuse_an_inconsistent_ladder(self):
        with self.assertRaises(ValidationError) as caught:
            self.env["res.config.settings"].create(
                {
                    "cpc_value_tier_ids": [
                        Command.update(self._tier("A").id, {"revenue_share": 50})
                    ]
                }
            ).execute()
        self.assertIn(self.company.name, str(caught.exception))
        self.env.invalidate_all()
        self.assertEqual(self._tier("A").revenue_share, 80, "nothing is half-written")

    def test_settings_refuse_an_empty_ladder(self):
        with self.assertRaisesRegex(ValidationError, "at least one active value tier"):
            self.company.cpc_value_tier_ids = [
                Command.delete(tier.id) for tier in self.company.cpc_value_tier_ids
            ]

    def test_settings_view_saves_a_consistent_ladder(self):
        settings = Form(self.env["res.config.settings"])
        settings.cpc_tier_method = "threshold"
        settings.cpc_churn_days = 400
        settings.save().execute()
        self.assertEqual(self.company.cpc_tier_method, "threshold")
        self.assertEqual(self.company.cpc_churn_days, 400)

    def test_new_company_gets_a_valid_ladder(self):
        other = self.env["res.company"].create({"name": "CPC Fresh Company"})
        self.assertEqual(other.cpc_value_tier_ids.mapped("code"), ["A", "B", "C", "D"])


@tagged("post_install", "-at_install")
class TestLifecycle(ClassificationCase):
    def test_stages_move_both_ways(self):
        self.company.write(
            {
                "cpc_new_days": 30,
                "cpc_loyal_min_orders": 3,
                "cpc_at_risk_days": 60,
                "cpc_at_risk_factor": 2.0,
                "cpc_churn_days": 180,
            }
        )
        partner = self._customer("Journey")
        start = TODAY - timedelta(days=400)

        def stage_on(days_after_start):
            self._classify(day=start + timedelta(days=days_after_start))
            return self._row(partner).stage

        self._order(partner, 100, start - timedelta(days=1), state="draft")
        self.assertEqual(stage_on(0), "prospect")
        self._order(partner, 100, start + timedelta(days=1))
        self.assertEqual(stage_on(10), "new")
        self._order(partner, 100, start + timedelta(days=31))
        self.assertEqual(stage_on(40), "active")
        self._order(partner, 100, start + timedelta(days=45))
        self.assertEqual(stage_on(50), "loyal")
        # Nobody acts: silence demotes the loyal customer.
        self.assertEqual(stage_on(120), "at_risk")
        self.assertEqual(stage_on(45 + 180), "churned")
        self._order(partner, 100, start + timedelta(days=245))
        self.assertEqual(stage_on(250), "reactivated")
        self.assertEqual(self._row(partner).return_date, start + timedelta(days=245))
        history = self._row(partner).history_ids.filtered(
            lambda h: h.change_type == "stage"
        )
        self.assertEqual(
            history.sorted("id").mapped("new_stage"),
            ["prospect", "new", "active", "loyal", "at_risk", "churned", "reactivated"],
        )

    def test_at_risk_follows_the_customer_own_rhythm(self):
        self.company.write({"cpc_at_risk_days": 30, "cpc_at_risk_factor": 2.0})
        slow = self._customer("Quarterly Buyer")
        fast = self._customer("Weekly Buyer")
        for days in (370, 280, 190, 100):
            self._order(slow, 100, TODAY - timedelta(days=days))
        for days in (121, 114, 107, 100):
            self._order(fast, 100, TODAY - timedelta(days=days))
        self._classify()
        # Both silent for 100 days: within 2 x 90 days for the quarterly buyer,
        # far beyond 2 x 7 days for the weekly one.
        self.assertEqual(self._row(slow).stage, "active")
        self.assertEqual(self._row(fast).stage, "at_risk")


@tagged("post_install", "-at_install")
class TestRunsAndHistory(ClassificationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.partner = cls._customer("Historic", is_company=True)
        cls._order(cls.partner, 100, TODAY - timedelta(days=10))

    def _history(self):
        return self.env["partner.classification.history"].search(
            [("partner_id", "=", self.partner.id)]
        )

    def test_first_run_writes_history_but_no_chatter(self):
        messages = self.partner.message_ids
        self._classify()
        self.assertEqual(
            set(self._history().mapped("change_type")), {"tier", "segment", "stage"}
        )
        self.assertEqual(self.partner.message_ids, messages)

    def test_later_change_posts_one_note(self):
        self._classify()
        messages = self.partner.message_ids
        self._classify(day=TODAY + timedelta(days=400))
        notes = self.partner.message_ids - messages
        self.assertEqual(len(notes), 1)
        self.assertIn("Churned", notes.body)

    def test_a_run_that_changes_nothing_writes_nothing(self):
        self._classify()
        row = self._row(self.partner)
        written = row.write_date
        history = self._history()
        result = self._classify()
        self.assertEqual(result["changed"], 0)
        self.assertEqual(self._history(), history)
        self.assertEqual(row.write_date, written)

    def test_preview_writes_nothing(self):
        wizard = self.env["partner.classification.wizard"].create({})
        wizard.action_preview()
        self.assertFalse(self._row(self.partner))
        self.assertFalse(self._history())
        self.assertEqual(wizard.changed_count, 1)
        self.assertEqual(wizard.line_ids.partner_id, self.partner)
        wizard.action_apply()
        self.assertEqual(self._history().mapped("source"), ["wizard"] * 3)

    def test_preview_counts_every_move_but_lists_the_first(self):
        others = self.env["res.partner"].create(
            [{"name": f"Many {i}"} for i in range(3)]
        )
        for other in others:
            self._order(other, 100, TODAY - timedelta(days=10))
        with patch.object(wizard_module, "PREVIEW_LINES", 2):
            wizard = self.env["partner.classification.wizard"].create({})
            wizard.action_preview()
        self.assertEqual(wizard.changed_count, 4)
        self.assertEqual(wizard.listed_count, 2)
        self.assertEqual(len(wizard.line_ids), 2)

    def test_contacts_find_their_company_classification(self):
        self._classify()
        contact = self._customer("Colleague", parent_id=self.partner.id)
        row = self._row(self.partner)
        found = self.env["res.partner"].search([("classification_id", "=", row.id)])
        self.assertEqual(found, self.partner | contact)

    def test_wizard_on_a_selection_writes_only_it(self):
        other = self._customer("Untouched")
        self._order(other, 100, TODAY - timedelta(days=10))
        wizard = (
            self.env["partner.classification.wizard"]
            .with_context(active_model="res.partner", active_ids=self.partner.ids)
            .create({})
        )
        self.assertEqual(wizard.scope, "selected")
        wizard.action_apply()
        self.assertTrue(self._row(self.partner))
        self.assertFalse(self._row(other))

    def test_cron_works_in_batches(self):
        customers = self.env["res.partner"].create(
            [{"name": f"Batch {i}"} for i in range(5)]
        )
        for customer in customers:
            self._order(customer, 10, TODAY - timedelta(days=3))
        self.env["ir.config_parameter"].set_param(
            "customer_product_classification.batch_size", 2
        )
        with freeze_time(TODAY):
            done, remaining = self.Classification._cron_classify_customers()
            self.assertEqual(done, 2)
            self.assertGreaterEqual(remaining, 4)
            while remaining:
                done, remaining = self.Classification._cron_classify_customers()
        for customer in customers | self.partner:
            self.assertEqual(
                self._row(customer).history_ids.mapped("source")[0], "scheduled"
            )

    @freeze_time(TODAY)
    def test_pin_holds_until_its_day(self):
        self._classify()
        row = self._row(self.partner)
        computed = row.computed_tier_id
        pinned = self._tier("C")
        row.with_user(self.manager).write(
            {
                "manual_tier_id": pinned.id,
                "pin_reason": "Strategic account",
                "pin_until": TODAY + timedelta(days=30),
            }
        )
        self.assertEqual(row.tier_id, pinned)
        self.assertEqual(row.computed_tier_id, computed)
        self.assertIn("A - Key → C - Regular", self.partner.message_ids[0].body)
        self.assertEqual(self.partner.value_tier_id, pinned)
        manual = self._history().filtered(lambda h: h.source == "manual")
        self.assertEqual(manual.new_tier_id, pinned)
        self.assertEqual(manual.reason, "Strategic account")
        self._classify()
        self.assertEqual(row.tier_id, pinned, "a run keeps the pin")
        with freeze_time(TODAY + timedelta(days=31)):
            self.Classification._cron_classify_customers()
        self.assertFalse(row.is_pinned)
        self.assertEqual(row.tier_id, computed)
        lapse = self._history().filtered(
            lambda h: h.source == "scheduled" and h.change_type == "tier"
        )
        self.assertEqual(lapse.sorted("id")[-1].new_tier_id, computed)

    def test_a_crash_mid_run_leaves_nothing_half_written(self):
        self._classify()
        self._order(self.partner, 100, TODAY - timedelta(days=1))
        history = self._history()
        with (
            patch.object(
                type(self.Classification),
                "_cpc_post_run_notes",
                side_effect=RuntimeError("power cut"),
            ),
            self.assertRaises(RuntimeError),
        ):
            self._classify(day=TODAY + timedelta(days=400))
        self.env.invalidate_all()
        self.assertEqual(self._history(), history)
        self.assertEqual(self._row(self.partner).stage, "new")
        # The next run does the whole work again.
        self._classify(day=TODAY + timedelta(days=400))
        self.assertEqual(self._row(self.partner).stage, "churned")

    def test_pin_needs_a_reason(self):
        self._classify()
        with self.assertRaisesRegex(ValidationError, "Historic"):
            self._row(self.partner).manual_stage = "loyal"

    def test_users_cannot_change_rules_or_pins(self):
        self._classify()
        row = self._row(self.partner).with_user(self.salesman)
        self.assertTrue(row.tier_id)
        with self.assertRaises(AccessError):
            row.write({"manual_tier_id": self._tier("D").id, "pin_reason": "No"})
        with self.assertRaises(AccessError):
            self._tier("A").with_user(self.salesman).min_revenue = 1
        with self.assertRaises(AccessError):
            self.env["partner.rfm.cell"].search([], limit=1).with_user(
                self.salesman
            ).segment_id = self._segment("lost")
        with self.assertRaises(AccessError):
            self.env["partner.classification.wizard"].with_user(self.salesman).create(
                {}
            )

    def test_inconsistent_ladder_stops_a_run_with_a_clear_error(self):
        self.env.cr.execute(
            "UPDATE partner_value_tier SET revenue_share = 10 WHERE company_id = %s",
            [self.company.id],
        )
        self.env.invalidate_all()
        with self.assertRaisesRegex(UserError, self.company.name):
            self._classify()

    def test_partner_list_groups_by_class(self):
        self._classify()
        groups = self.env["res.partner"]._read_group(
            [("id", "=", self.partner.id)],
            ["value_tier_id", "lifecycle_stage"],
            ["__count"],
        )
        self.assertEqual(groups, [(self._row(self.partner).tier_id, "new", 1)])
