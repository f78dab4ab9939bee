# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Configuration that cannot break the data: ladders, bounds, rules, pins, codes.

Managers and settings administrators act over the ORM with their own
environments, as their RPC calls would.
"""

import re
from contextlib import contextmanager
from datetime import timedelta

from odoo import Command
from odoo.exceptions import UserError, ValidationError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import TODAY, ClassificationCase
from .scheme_common import SchemeCase


class RefusalMixin:
    @contextmanager
    def assertRaisesRegex(self, exception, pattern):
        # Odoo's assertRaises rolls back to a savepoint, so nothing of a refused
        # call stays for the checks that follow; unittest's Regex variant does not.
        with self.assertRaises(exception) as caught:
            yield caught
        self.assertRegex(str(caught.exception), pattern)


class LadderCase(RefusalMixin, ClassificationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Settings are for administrators; this one also manages classification.
        cls.admin = new_test_user(
            cls.env,
            login="cpc_settings_admin",
            groups="base.group_system,sales_team.group_sale_manager",
        )
        cls.Tier = cls.env["partner.value.tier"].with_user(cls.manager)

    def _tier(self, code, company=None):
        return super()._tier(code, company).with_user(self.manager)

    def _shares(self):
        self.env.invalidate_all()
        return {
            tier.code: tier.revenue_share
            for tier in self.company.with_context(active_test=False).cpc_value_tier_ids
        }

    def _ladder(self, changes=None, deleted=()):
        """Commands for the whole ladder, as the Settings form sends them."""
        changes = changes or {}
        ladder = self.company.with_context(active_test=False).cpc_value_tier_ids
        return [
            Command.delete(tier.id)
            if tier.code in deleted
            else Command.update(tier.id, changes[tier.code])
            if tier.code in changes
            else Command.link(tier.id)
            for tier in ladder
        ]

    def _save_settings(self, values):
        settings = self.env["res.config.settings"].with_user(self.admin).create(values)
        settings.execute()


@tagged("post_install", "-at_install")
class TestLadderOnTheModel(LadderCase):
    def test_one_tier_written_directly_keeps_the_ladder(self):
        with self.assertRaisesRegex(ValidationError, "sum to 100") as caught:
            self._tier("A").revenue_share = 44
        self.assertIn(self.company.name, str(caught.exception))
        self.assertEqual(self._shares()["A"], 80, "nothing is written")

    def test_creating_a_tier_is_a_ladder_change(self):
        with self.assertRaisesRegex(ValidationError, "sum to 100"):
            self.Tier.create({"code": "E", "name": "E - Tail", "revenue_share": 5})
        tail = self.Tier.create(
            {"code": "E", "name": "E - Tail", "revenue_share": 0, "sequence": 99}
        )
        self.assertEqual(tail.company_id, self.company)

    def test_deleting_archiving_and_reordering_are_ladder_changes(self):
        with self.assertRaisesRegex(ValidationError, "sum to 100"):
            self._tier("D").unlink()
        with self.assertRaisesRegex(ValidationError, "sum to 100"):
            self._tier("D").action_archive()
        self.assertTrue(self._tier("D").active)
        self.company.cpc_tier_method = "threshold"
        with self.assertRaisesRegex(ValidationError, "comes after"):
            self._tier("D").sequence = 1

    def test_a_client_cannot_switch_the_check_off(self):
        # Whatever a JSON-RPC call puts in the context, tiers are checked.
        for value in (True, 1, "1", {"open": True, "company_ids": []}, [1]):
            with self.assertRaisesRegex(ValidationError, "sum to 100"):
                self._tier("A").with_context(cpc_ladder_check=value).write(
                    {"revenue_share": 44}
                )

    def test_tier_cannot_move_to_another_company(self):
        other = self.env["res.company"].create({"name": "CPC Tier Other Co"})
        with self.assertRaisesRegex(UserError, "A - Key"):
            self._tier("A").sudo().company_id = other

    def test_company_write_checks_the_whole_ladder_once(self):
        # Each command alone would leave a ladder summing to 90 or 110.
        self.company.write(
            {
                "cpc_value_tier_ids": [
                    Command.update(self._tier("A").id, {"revenue_share": 70}),
                    Command.update(self._tier("B").id, {"revenue_share": 25}),
                ]
            }
        )
        self.assertEqual(self._shares(), {"A": 70, "B": 25, "C": 4, "D": 1})
        with self.assertRaisesRegex(ValidationError, "sum to 100"):
            self.company.write(
                {
                    "cpc_value_tier_ids": [
                        Command.update(self._tier("A").id, {"revenue_share": 60})
                    ]
                }
            )

    def test_company_created_with_its_own_ladder(self):
        def ladder(*shares):
            return [
                Command.create(
                    {"code": f"T{n}", "name": f"T{n}", "revenue_share": share}
                )
                for n, share in enumerate(shares)
            ]

        company = self.env["res.company"].create(
            {"name": "CPC Two Tiers Co", "cpc_value_tier_ids": ladder(60, 40)}
        )
        self.assertEqual(company.cpc_value_tier_ids.mapped("revenue_share"), [60, 40])
        with self.assertRaisesRegex(ValidationError, "CPC Bad Tiers Co.*sum to 100"):
            self.env["res.company"].create(
                {"name": "CPC Bad Tiers Co", "cpc_value_tier_ids": ladder(60, 30)}
            )

    def test_new_company_ladder_and_deletion(self):
        company = self.env["res.company"].create({"name": "CPC Short-lived Co"})
        tiers = company.cpc_value_tier_ids
        self.assertEqual(len(tiers), 4)
        customer = self._customer("Short-lived Customer")
        row = self.env["partner.classification"].create(
            {
                "partner_id": customer.id,
                "company_id": company.id,
                "computed_tier_id": tiers[0].id,
                "manual_tier_id": tiers[1].id,
                "pin_reason": "Test",
            }
        )
        self.env["partner.classification.history"].create(
            {
                "classification_id": row.id,
                "partner_id": customer.id,
                "company_id": company.id,
                "change_type": "tier",
                "source": "manual",
                "old_tier_id": tiers[2].id,
                "new_tier_id": tiers[1].id,
            }
        )
        # The classifications, their history and the ladder go with the company.
        company.unlink()
        self.assertFalse(tiers.exists())
        self.assertFalse(row.exists())


@tagged("post_install", "-at_install")
class TestLadderInSettings(LadderCase):
    def test_a_valid_change_of_several_tiers_is_saved(self):
        # Each line alone would leave a ladder that does not sum to 100.
        changes = {
            "A": {"revenue_share": 70},
            "B": {"revenue_share": 20},
            "C": {"revenue_share": 9},
        }
        self._save_settings({"cpc_value_tier_ids": self._ladder(changes)})
        self.assertEqual(self._shares(), {"A": 70, "B": 20, "C": 9, "D": 1})

    def test_archiving_a_tier_with_its_share_moved_is_saved(self):
        changes = {"C": {"revenue_share": 5}, "D": {"active": False}}
        self._save_settings({"cpc_value_tier_ids": self._ladder(changes)})
        self.assertEqual(self.company._cpc_value_tiers().mapped("code"), list("ABC"))
        self.assertEqual(self._shares()["D"], 1, "archived, not deleted")

    def test_method_and_ladder_change_together(self):
        # Valid for Pareto, not for thresholds: C asks more revenue than B.
        self.company.write(
            {"cpc_value_tier_ids": self._ladder({"C": {"min_revenue": 20000}})}
        )
        self._save_settings(
            {
                "cpc_tier_method": "threshold",
                "cpc_value_tier_ids": self._ladder({"C": {"min_revenue": 5000}}),
            }
        )
        self.assertEqual(self.company.cpc_tier_method, "threshold")
        self.assertEqual(self._tier("C").min_revenue, 5000)
        with self.assertRaisesRegex(ValidationError, "comes after"):
            self._save_settings(
                {"cpc_value_tier_ids": self._ladder({"D": {"min_revenue": 60000}})}
            )

    def test_an_invalid_change_fails_and_writes_nothing(self):
        changes = {"A": {"revenue_share": 70}, "B": {"revenue_share": 20}}
        with self.assertRaisesRegex(ValidationError, "sum to 100") as caught:
            self._save_settings({"cpc_value_tier_ids": self._ladder(changes)})
        self.assertIn(self.company.name, str(caught.exception))
        self.assertEqual(self._shares(), {"A": 80, "B": 15, "C": 4, "D": 1})

    def test_later_tier_writes_are_checked_again(self):
        settings = (
            self.env["res.config.settings"]
            .with_user(self.admin)
            .create({"cpc_new_days": 60})
        )
        # The records Settings return carry no deferred check.
        with self.assertRaisesRegex(ValidationError, "sum to 100"):
            settings.company_id.cpc_value_tier_ids[0].revenue_share = 1


@tagged("post_install", "-at_install")
class TestTiersInUse(LadderCase):
    def setUp(self):
        super().setUp()
        self.customer = self._customer("Tier User Ltd", is_company=True)
        self._order(self.customer, 1000, TODAY - timedelta(days=10))
        self._classify()
        self.row = self._row(self.customer).with_user(self.manager)

    def assertRefused(self, tier, operation):
        with self.assertRaisesRegex(UserError, re.escape(tier.name)) as caught:
            operation()
        self.assertIn("archive it", str(caught.exception))
        self.assertTrue(tier.exists())

    def test_computed_tier_cannot_be_deleted(self):
        computed = self.row.computed_tier_id.with_user(self.manager)
        self.assertTrue(computed)
        self.assertRefused(computed, computed.unlink)

    def test_pinned_tier_cannot_be_deleted(self):
        pinned = self._tier("B")
        self.row.write({"manual_tier_id": pinned.id, "pin_reason": "Strategic"})
        self.assertRefused(pinned, pinned.unlink)

    def test_tier_in_history_cannot_be_deleted(self):
        former = self._tier("C")
        self.row.write({"manual_tier_id": former.id, "pin_reason": "Trial"})
        self.row.action_unpin()
        self.assertNotIn(former, self.row.computed_tier_id | self.row.manual_tier_id)
        self.assertRefused(former, former.unlink)

    def test_settings_cannot_delete_a_used_tier(self):
        used = self.row.computed_tier_id.with_user(self.manager)
        others = self.company.cpc_value_tier_ids - used
        history = self.row.history_ids
        changes = {others[0].code: {"revenue_share": others[0].revenue_share + 80}}
        self.assertRefused(
            used,
            lambda: self._save_settings(
                {"cpc_value_tier_ids": self._ladder(changes, deleted=[used.code])}
            ),
        )
        self.env.invalidate_all()
        self.assertEqual(self.row.tier_id, used)
        self.assertEqual(self.row.history_ids, history)

    def test_unused_tiers_can_be_deleted(self):
        self.assertEqual(self.row.tier_id, self._tier("A"))
        self.company.write(
            {
                "cpc_value_tier_ids": [
                    Command.update(self._tier("C").id, {"revenue_share": 5}),
                    Command.delete(self._tier("D").id),
                ]
            }
        )
        self.assertEqual(self.company.cpc_value_tier_ids.mapped("code"), list("ABC"))
        tail = self.Tier.create({"code": "E", "name": "E - Tail", "sequence": 99})
        tail.unlink()
        self.assertFalse(tail.exists())

    def test_used_tier_can_be_archived(self):
        pinned = self._tier("B")
        self.row.write({"manual_tier_id": pinned.id, "pin_reason": "Strategic"})
        self.company.write(
            {
                "cpc_value_tier_ids": [
                    Command.update(self._tier("A").id, {"revenue_share": 95}),
                    Command.update(pinned.id, {"active": False}),
                ]
            }
        )
        self.assertFalse(pinned.active)
        self.assertEqual(self.row.tier_id, pinned, "an existing pin holds")
        self.row.pin_reason = "Still strategic"


@tagged("post_install", "-at_install")
class TestSettingsBounds(LadderCase):
    def _refused(self, values, pattern):
        with self.assertRaisesRegex(ValidationError, pattern) as caught:
            self._save_settings(values)
        self.assertIn(self.company.name, str(caught.exception))

    def test_analysis_window_is_bounded(self):
        for months in (100000, 121, 0, -3):
            self._refused({"cpc_analysis_months": months}, "analysis window")
        self._save_settings({"cpc_analysis_months": 120})
        self.assertEqual(self.company.cpc_analysis_months, 120)
        customer = self._customer("Window Customer")
        self._order(customer, 100, TODAY - timedelta(days=3000))
        self._classify()
        self.assertEqual(self._row(customer).order_count, 1)

    def test_days_orders_factor_and_weights_are_bounded(self):
        nan, inf = float("nan"), float("inf")
        cases = [
            ({"cpc_new_days": 10**9}, "new customer days"),
            ({"cpc_new_days": 0}, "new customer days"),
            ({"cpc_loyal_min_orders": 10**9}, "loyal customer orders"),
            ({"cpc_churn_days": 10**7}, "churned within"),
            ({"cpc_at_risk_days": 400}, "at risk"),
            ({"cpc_at_risk_factor": nan}, "interval factor"),
            ({"cpc_at_risk_factor": 1e300}, "interval factor"),
            ({"cpc_at_risk_factor": 0.5}, "interval factor"),
            ({"cpc_rfm_weight_recency": nan}, "RFM weights"),
            ({"cpc_rfm_weight_monetary": inf}, "RFM weights"),
            ({"cpc_rfm_weight_frequency": -1}, "RFM weights"),
            (
                {
                    "cpc_rfm_weight_recency": 0,
                    "cpc_rfm_weight_frequency": 0,
                    "cpc_rfm_weight_monetary": 0,
                },
                "RFM weights",
            ),
        ]
        for values, pattern in cases:
            with self.subTest(values=values):
                self._refused(values, pattern)
        self._save_settings({"cpc_churn_days": 3650, "cpc_at_risk_factor": 100})
        self.assertEqual(self.company.cpc_churn_days, 3650)

    def test_tier_values_are_bounded(self):
        with self.assertRaisesRegex(ValidationError, "A - Key.*must be a number"):
            self._tier("A").write({"revenue_share": float("nan")})
        with self.assertRaisesRegex(ValidationError, "must be a number"):
            self._tier("A").write({"min_rfm_score": float("inf")})
        self.company.cpc_tier_method = "threshold"
        with self.assertRaisesRegex(ValidationError, "must be a number"):
            self._tier("D").write({"min_revenue": float("nan")})
        with self.assertRaisesRegex(ValidationError, "D - Occasional.*negative"):
            self._tier("D").write({"min_revenue": -5})
        with self.assertRaisesRegex(ValidationError, "cannot be negative"):
            self._tier("D").min_orders = -1


@tagged("post_install", "-at_install")
class TestPins(LadderCase):
    def setUp(self):
        super().setUp()
        self.customer = self._customer("Pinned Ltd", is_company=True)
        self._order(self.customer, 1000, TODAY - timedelta(days=10))
        self._classify()
        self.row = self._row(self.customer).with_user(self.manager)

    def test_pin_on_an_archived_tier_is_refused(self):
        archived = self._tier("D")
        self.company.write(
            {
                "cpc_value_tier_ids": [
                    Command.update(self._tier("C").id, {"revenue_share": 5}),
                    Command.update(self._tier("D").id, {"active": False}),
                ]
            }
        )
        with self.assertRaisesRegex(ValidationError, "archived") as caught:
            self.row.write({"manual_tier_id": archived.id, "pin_reason": "Dropping"})
        self.assertIn("Pinned Ltd", str(caught.exception))

    @freeze_time(TODAY)
    def test_pin_end_date_in_the_past_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "Pinned Ltd"):
            self.row.write(
                {
                    "manual_tier_id": self._tier("B").id,
                    "pin_reason": "Late",
                    "pin_until": TODAY - timedelta(days=1),
                }
            )
        self.row.write(
            {
                "manual_tier_id": self._tier("B").id,
                "pin_reason": "Until tonight",
                "pin_until": TODAY,
            }
        )
        self.assertEqual(self.row.tier_id, self._tier("B"))
        # Past its day, the pin still lapses by itself, and can be edited until then.
        with freeze_time(TODAY + timedelta(days=1)):
            self.row.pin_reason = "Until yesterday"
            self.Classification._cron_classify_customers()
        self.assertFalse(self.row.is_pinned)
        self.assertFalse(self.row.pin_until)


@tagged("post_install", "-at_install")
class TestRuleValues(RefusalMixin, SchemeCase):
    def _rule(self, scheme, category, criterion, **values):
        return (
            self.env["classification.rule"]
            .with_user(self.manager)
            .create(
                {
                    "scheme_id": scheme.id,
                    "category_id": category.id,
                    "criterion": criterion,
                    **values,
                }
            )
        )

    def test_every_criterion_needs_its_value(self):
        partner_criteria = [
            "country",
            "country_group",
            "state",
            "city",
            "industry",
            "company_type",
            "team",
        ]
        for criterion in partner_criteria:
            with (
                self.subTest(criterion=criterion),
                self.assertRaisesRegex(ValidationError, "Online.*Test Channel"),
            ):
                self._rule(self.channel, self.online, criterion)
        with self.assertRaisesRegex(ValidationError, "say which"):
            self._rule(self.channel, self.online, "city", city_names=" , ,")
        for criterion in ("product_category", "product_type"):
            with (
                self.subTest(criterion=criterion),
                self.assertRaisesRegex(ValidationError, "Grade A.*Test Grade"),
            ):
                self._rule(self.grade, self.grade_a, criterion)
        rule = self._rule(
            self.channel, self.online, "company_type", company_type="person"
        )
        with self.assertRaisesRegex(ValidationError, "say which"):
            rule.company_type = False

    def test_empty_company_type_rule_no_longer_classifies_everyone(self):
        with self.assertRaises(ValidationError):
            self._rule(self.channel, self.offline, "company_type")
        person = self.env["res.partner"].create({"name": "Walk-in"})
        self.assertNotIn(self.offline, person[self.channel_field])

    def test_bands_are_consistent(self):
        for low, high in ((500, 10), (-5, 10), (10, -1), (0, 0), (float("nan"), 0)):
            with (
                self.subTest(low=low, high=high),
                self.assertRaisesRegex(ValidationError, "band"),
            ):
                self._rule(
                    self.channel,
                    self.direct,
                    "employees",
                    min_value=low,
                    max_value=high,
                )
        self._rule(self.channel, self.direct, "employees", min_value=0, max_value=10)
        rule = self._rule(self.grade, self.grade_b, "list_price", min_value=10)
        with self.assertRaisesRegex(ValidationError, "Grade B"):
            rule.max_value = 5


@tagged("post_install", "-at_install")
class TestCodes(RefusalMixin, SchemeCase):
    def setUp(self):
        super().setUp()
        self.Scheme = self.env["classification.scheme"].with_user(self.manager)
        self.Category = self.env["classification.category"].with_user(self.manager)

    def _scheme(self, code, **values):
        return self.Scheme.create(
            {
                "name": f"Scheme {code!r}",
                "code": code,
                "applies_to": "partner",
                **values,
            }
        )

    def test_scheme_codes(self):
        scheme = self._scheme("  TRIMMED \t")
        self.assertEqual(scheme.code, "TRIMMED")
        scheme.code = " RETRIMMED  "
        self.assertEqual(scheme.code, "RETRIMMED")
        refused = {
            "   ": "needs a code",
            "A\tB": "control",
            "A\u200bB": "control",
            "LINE\nBREAK": "control",
            "=HYPERLINK(1)": "formula",
            "+1": "formula",
            "-1": "formula",
            "@SUM": "formula",
            "name": "import column",
            "Reference": "import column",
            "EXTERNAL_ID": "import column",
            "code": "import column",
            "retrimmed": "case is ignored",
        }
        for code, reason in refused.items():
            with (
                self.subTest(code=code),
                self.assertRaisesRegex(ValidationError, reason),
            ):
                self._scheme(code)
        with self.assertRaisesRegex(ValidationError, "formula"):
            scheme.code = "=1+1"
        # Another kind of records may reuse the code.
        self._scheme("retrimmed", applies_to="product")

    def test_category_codes(self):
        category = self.Category.create(
            {"scheme_id": self.region.id, "name": "North", "code": " NORTH "}
        )
        self.assertEqual(category.code, "NORTH")
        refused = {
            "": "needs a code",
            "\u202eLIAM": "control",
            "=CMD": "formula",
            "@X": "formula",
            "+X": "formula",
            "north": "case is ignored",
            "East": "case is ignored",
            "A;B": "may not contain",
        }
        for code, reason in refused.items():
            with (
                self.subTest(code=code),
                self.assertRaisesRegex(ValidationError, reason),
            ):
                self.Category.create(
                    {"scheme_id": self.region.id, "name": "Probe", "code": code}
                )
        with self.assertRaisesRegex(ValidationError, "case is ignored"):
            self.west.with_user(self.manager).code = "east "
        # The same code, whatever its case, is free in another scheme.
        self.Category.create(
            {"scheme_id": self.channel.id, "name": "North", "code": "north"}
        )

    def test_seeded_data_passes(self):
        Scheme = self.env["classification.scheme"].with_context(active_test=False)
        seeded = Scheme.search([("id", "in", self.seeded.ids)])
        self.assertTrue(seeded)
        seeded._check_code()
        seeded.category_ids._check_code()
        seeded.rule_ids._check_values()
        self.env.company.cpc_value_tier_ids._check_code()


@tagged("post_install", "-at_install")
class TestTierCodes(LadderCase):
    def test_tier_codes(self):
        self.company.cpc_value_tier_ids = [
            Command.update(self._tier("D").id, {"code": " DD "})
        ]
        self.assertTrue(self._tier("DD"))
        for code, reason in (
            ("a", "case is ignored"),
            ("=A", "formula"),
            ("E\x07", "control"),
            (" ", "needs a code"),
        ):
            with (
                self.subTest(code=code),
                self.assertRaisesRegex(ValidationError, reason),
            ):
                self.Tier.create(
                    {"code": code, "name": "Probe", "sequence": 99, "revenue_share": 0}
                )
