# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from ..models.classification_strategy import Move
from .common import TODAY, ClassificationCase


class StrategyCase(ClassificationCase):
    """Customers, tags and price lists for strategies, and a registry put back
    after a test that makes a scheme."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Strategy = cls.env["classification.strategy"]
        cls.Log = cls.env["classification.strategy.log"]
        # The seeds and other tests' strategies stay out of the way.
        cls.Strategy.with_context(active_test=False).search([]).active = False
        cls.key_list = cls.env["product.pricelist"].create(
            {"name": "Key Accounts", "company_id": cls.company.id}
        )
        # The company's own customers: a strategy changes shared ones' global
        # fields only when told to (test_strategy_safety).
        cls.big = cls._customer(
            "Big Buyer",
            is_company=True,
            user_id=cls.salesman.id,
            company_id=cls.company.id,
        )
        cls.smalls = cls.env["res.partner"].create(
            [
                {
                    "name": f"Small Buyer {i}",
                    "is_company": True,
                    "user_id": cls.salesman.id,
                    "company_id": cls.company.id,
                }
                for i in range(4)
            ]
        )
        cls._order(cls.big, 5000, TODAY - timedelta(days=20))
        for index, partner in enumerate(cls.smalls):
            cls._order(partner, 100 + index, TODAY - timedelta(days=10 + index))
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")
        cls.vip_tag = cls.env["res.partner.category"].create({"name": "VIP"})
        cls.lost_tag = cls.env["res.partner.category"].create({"name": "Lost"})

    def setUp(self):
        # A test that makes a scheme adds a field: the registry is put back
        # after the test's savepoint is rolled back (registered before it).
        fields_before = set(self.env["res.partner"]._fields)
        self.addCleanup(self._restore_registry, fields_before)
        super().setUp()

    def _restore_registry(self, fields_before):
        if set(self.env["res.partner"]._fields) != fields_before:
            self.registry.setup_models(self.cr)

    def _classify(self, day=TODAY, company=None, **kwargs):
        # The suite's days are fixed, so past: run as the recompute wizard does
        # when told to fire the strategies for a past day (test_strategy_safety
        # checks they do not otherwise).
        company = company or self.env.company
        return (
            self.Classification.with_company(company)
            .with_context(cpc_strategies_for_past_date=True)
            ._cpc_classify(company, reference_date=day, **kwargs)
        )

    def _partner_action(self, name, code):
        """A server action on contacts, as an administrator writes one."""
        return self.env["ir.actions.server"].create(
            {
                "name": name,
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "state": "code",
                "code": code,
            }
        )

    def _strategy(self, **values):
        return self.Strategy.create({"name": "Test strategy", **values})

    def _activities(self, partners, strategy=None):
        return self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "in", partners.ids)]
        )

    def _tiers_now(self, partners):
        return {p: self._row(p).tier_id for p in partners}

    def _make_a(self, partner, amount=20000):
        self._order(partner, amount, TODAY - timedelta(days=2))


@tagged("post_install", "-at_install")
class TestStrategies(StrategyCase):
    # ----------------------------------------------------------- triggers
    def test_enters_tier_sets_price_list_and_activity_once(self):
        self._classify()
        key = self._strategy(
            name="Key accounts",
            trigger="tier",
            tier_id=self._tier("A").id,
            pricelist_id=self.key_list.id,
            activity_type_id=self.todo.id,
            activity_summary="Meet the key account",
            activity_days=7,
        )
        before = self._tiers_now(self.smalls)
        newcomer = self.smalls[0]
        self._make_a(newcomer)
        self._classify()
        entered = self.smalls.filtered(
            lambda p: (
                self._row(p).tier_id == self._tier("A") and before[p] != self._tier("A")
            )
        )
        self.assertIn(newcomer, entered)
        for partner in entered:
            self.assertEqual(
                partner.with_company(self.company).property_product_pricelist,
                self.key_list,
            )
        activities = self._activities(entered)
        self.assertEqual(len(activities), len(entered))
        self.assertEqual(activities.user_id, self.salesman)
        due = fields.Date.context_today(self.big) + timedelta(days=7)
        self.assertEqual(set(activities.mapped("date_deadline")), {due})
        self.assertEqual(activities[0].summary, "Meet the key account")
        logs = self.Log.search([("strategy_id", "=", key.id)])
        self.assertEqual(logs.partner_id, entered)
        self.assertIn("Key Accounts", logs[0].actions)
        self.assertIn("→", logs[0].move)
        # The chatter says which strategy did what.
        note = newcomer.message_ids.filtered(lambda m: "Key accounts" in (m.body or ""))
        self.assertTrue(note)
        self.assertIn("Key Accounts", note[0].body)
        # The big buyer was A before and stays: no move, nothing done to it.
        self.assertNotIn(self.big, logs.partner_id)
        self.assertFalse(self._activities(self.big))

        # The same run again, and the same moves fired again: nothing more.
        self._classify()
        moves = [
            Move(p.id, "tier", before[p].id, self._tier("A").id, TODAY, None, False)
            for p in entered
        ]
        self.Strategy._cpc_fire(self.company, moves, None, "wizard")
        self.assertEqual(len(self._activities(entered)), len(entered))
        self.assertEqual(
            self.Log.search_count([("strategy_id", "=", key.id)]), len(logs)
        )

    def test_downgrade_from_a_fires_when_a_manager_pins(self):
        self._classify()
        self.assertEqual(self._row(self.big).tier_id, self._tier("A"))
        down = self._strategy(
            trigger="tier_down",
            from_tier_id=self._tier("A").id,
            activity_type_id=self.todo.id,
            activity_days=7,
            activity_assignee="salesperson",
        )
        up = self._strategy(
            trigger="tier_up", tag_add_ids=[Command.link(self.vip_tag.id)]
        )
        row = self._row(self.big).with_user(self.manager)
        row.write({"manual_tier_id": self._tier("B").id, "pin_reason": "Slowing down"})
        activity = self._activities(self.big)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertEqual(
            activity.date_deadline,
            fields.Date.context_today(self.big) + timedelta(days=7),
        )
        log = self.Log.search([("strategy_id", "=", down.id)])
        self.assertEqual(log.partner_id, self.big)
        self.assertEqual(log.source, "manual")
        # B → C is down, but not from A.
        row.write({"manual_tier_id": self._tier("C").id})
        self.assertEqual(len(self._activities(self.big)), 1)
        self.assertNotIn(self.vip_tag, self.big.category_id)
        # Back up: the up strategy fires.
        row.action_unpin()
        self.assertIn(self.vip_tag, self.big.category_id)
        self.assertEqual(
            self.Log.search([("strategy_id", "=", up.id)]).partner_id, self.big
        )

    def test_stage_trigger_tags_and_salesperson(self):
        self._classify()
        strategy = self._strategy(
            trigger="stage",
            stage="at_risk",
            tag_add_ids=[Command.link(self.lost_tag.id)],
            tag_remove_ids=[Command.link(self.vip_tag.id)],
            salesperson_action="set",
            salesperson_id=self.manager.id,
        )
        partner = self.smalls[1]
        partner.category_id = [Command.link(self.vip_tag.id)]
        self._row(partner).with_user(self.manager).write(
            {"manual_stage": "at_risk", "pin_reason": "No answer to calls"}
        )
        self.assertIn(self.lost_tag, partner.category_id)
        self.assertNotIn(self.vip_tag, partner.category_id)
        self.assertEqual(partner.user_id, self.manager)
        self.assertEqual(
            self.Log.search([("strategy_id", "=", strategy.id)]).partner_id, partner
        )

    def test_stage_reached_by_a_run_and_stay_of_180_days(self):
        silent = self._customer(
            "Silent Ltd",
            is_company=True,
            user_id=self.salesman.id,
            company_id=self.company.id,
        )
        self._order(silent, 300, TODAY - timedelta(days=400))
        pool = self._strategy(
            trigger="stage", stage="churned", delay_days=180, salesperson_action="clear"
        )
        at_once = self._strategy(
            trigger="stage",
            stage="churned",
            tag_add_ids=[Command.link(self.lost_tag.id)],
        )
        self._classify()
        self.assertEqual(self._row(silent).stage, "churned")
        self.assertIn(self.lost_tag, silent.category_id)
        # Not churned long enough yet.
        self.assertEqual(silent.user_id, self.salesman)
        self._classify(day=TODAY + timedelta(days=100))
        self.assertEqual(silent.user_id, self.salesman)
        self._classify(day=TODAY + timedelta(days=181))
        self.assertFalse(silent.user_id)
        log = self.Log.search([("strategy_id", "=", pool.id)])
        self.assertEqual(log.partner_id, silent)
        self.assertEqual(log.moved_on, TODAY)
        # A salesperson given back by hand is not taken again for the same stay.
        silent.user_id = self.salesman
        self._classify(day=TODAY + timedelta(days=200))
        self.assertEqual(silent.user_id, self.salesman)
        self.assertEqual(self.Log.search_count([("strategy_id", "=", at_once.id)]), 1)

    def test_any_segment_change_runs_a_server_action(self):
        # Not the Reference: codes are unique.
        action = self._partner_action(
            "Flag segment change", "records.write({'function': 'segment changed'})"
        )
        strategy = self._strategy(trigger="segment", server_action_id=action.id)
        self._classify()
        fired = self.Log.search([("strategy_id", "=", strategy.id)]).partner_id
        self.assertEqual(fired, self.big | self.smalls)
        self.assertEqual(set(fired.mapped("function")), {"segment changed"})

    def test_category_change_fires_once_per_move(self):
        scheme = self.env["classification.scheme"].create(
            {"name": "Strategy Region", "code": "SREGION", "applies_to": "partner"}
        )
        east, west = self.env["classification.category"].create(
            [
                {"scheme_id": scheme.id, "name": "East", "code": "E"},
                {"scheme_id": scheme.id, "name": "West", "code": "W"},
            ]
        )
        strategy = self._strategy(
            trigger="category",
            scheme_id=scheme.id,
            category_id=east.id,
            tag_add_ids=[Command.link(self.vip_tag.id)],
            partner_domain="[('is_company', '=', True)]",
        )
        field = scheme.field_id.name
        person = self._customer("Lone Person", user_id=self.salesman.id)
        self._order(person, 10, TODAY - timedelta(days=3))
        self._classify()
        (self.big | person).write({field: east.id})
        self.assertIn(self.vip_tag, self.big.category_id)
        # The customer filter leaves persons alone.
        self.assertNotIn(self.vip_tag, person.category_id)
        self.big.write({field: west.id})
        self.big.category_id = [Command.unlink(self.vip_tag.id)]
        self.big.write({field: west.id})
        self.assertNotIn(self.vip_tag, self.big.category_id)
        self.assertEqual(
            self.Log.search([("strategy_id", "=", strategy.id)]).partner_id, self.big
        )

    # ------------------------------------------------------ set-based
    def test_price_lists_and_salespersons_written_grouped_by_value(self):
        self._classify()
        strategy = self._strategy(
            trigger="stage",
            stage="at_risk",
            pricelist_id=self.key_list.id,
            salesperson_action="clear",
            activity_type_id=self.todo.id,
            activity_assignee="user",
            activity_user_id=self.manager.id,
        )
        more = self.env["res.partner"].create(
            [
                {
                    "name": f"More Buyer {i}",
                    "is_company": True,
                    "user_id": self.salesman.id,
                    "company_id": self.company.id,
                }
                for i in range(6)
            ]
        )

        def fire(partners):
            moves = [
                Move(p.id, "stage", "active", "at_risk", TODAY, None, False)
                for p in partners
            ]
            self.env.flush_all()
            self.env.invalidate_all()
            queries = self.cr.sql_log_count
            self.Strategy._cpc_fire(self.company, moves, None, "wizard")
            self.env.flush_all()
            return self.cr.sql_log_count - queries

        self.cr.execute(
            "UPDATE res_partner SET write_date = '2000-01-01' WHERE id = ANY(%s)",
            [(self.big | self.smalls | more).ids],
        )
        self.env.invalidate_all()
        few = fire(more[:2])
        many = fire(self.big | self.smalls | more[2:])
        # Grouped by value: nine customers cost no more statements than two.
        self.assertLessEqual(many, few)
        for partner in self.big | self.smalls | more:
            self.assertEqual(
                partner.with_company(self.company).specific_property_product_pricelist,
                self.key_list,
            )
            self.assertFalse(partner.user_id)
            self.assertGreater(partner.write_date.year, 2000)
        activities = self._activities(self.big | self.smalls)
        self.assertEqual(activities.res_model_id.model, "res.partner")
        self.assertEqual(activities.user_id, self.manager)
        self.assertEqual(len(activities), 5)
        self.assertEqual(len(self._activities(more)), 6)
        self.assertTrue(all(activities.mapped("automated")))
        self.assertEqual(
            set(activities.mapped("res_name")),
            set((self.big | self.smalls).mapped("name")),
        )
        # The assignee follows the customers, as with any activity.
        for partner in self.big | self.smalls:
            self.assertIn(self.manager.partner_id, partner.message_partner_ids)
        self.assertEqual(self.Log.search_count([("strategy_id", "=", strategy.id)]), 11)

    # ------------------------------------------------ preview, dry run
    def test_preview_and_dry_run_write_nothing(self):
        self._classify()
        strategy = self._strategy(
            name="Key accounts",
            trigger="tier",
            tier_id=self._tier("A").id,
            pricelist_id=self.key_list.id,
            activity_type_id=self.todo.id,
        )
        newcomer = self.smalls[0]
        self._make_a(newcomer)
        wizard = Form(
            self.env["partner.classification.wizard"].with_user(self.manager)
        ).save()
        wizard.reference_date = TODAY
        wizard.strategies_for_past_date = True
        wizard.action_preview()
        self.assertIn("Key accounts → ", wizard.strategy_preview)
        self.assertFalse(self.Log.search([("strategy_id", "=", strategy.id)]))
        self.assertFalse(self._activities(newcomer))
        self.assertNotEqual(
            newcomer.with_company(self.company).specific_property_product_pricelist,
            self.key_list,
        )

        trial = (
            self.env["classification.strategy.try.wizard"]
            .with_user(self.manager)
            .create(
                {"strategy_id": strategy.id, "partner_ids": [Command.set(newcomer.ids)]}
            )
        )
        trial.action_try()
        self.assertIn("Key Accounts", trial.line_ids.description)
        self.assertIn("Activity", trial.line_ids.description)
        self.assertFalse(self.Log.search([("strategy_id", "=", strategy.id)]))
        self.assertFalse(self._activities(newcomer))
        self.assertNotEqual(
            newcomer.with_company(self.company).specific_property_product_pricelist,
            self.key_list,
        )
        # Applying the wizard then does it.
        wizard.action_apply()
        self.assertTrue(self.Log.search([("strategy_id", "=", strategy.id)]))
        self.assertEqual(
            newcomer.with_company(self.company).specific_property_product_pricelist,
            self.key_list,
        )

    # ------------------------------------------------------ companies
    def test_a_strategy_never_touches_another_company(self):
        other = self.env["res.company"].create({"name": "CPC Strategy Other"})
        self.env.user.company_ids |= other
        other_list = self.env["product.pricelist"].create(
            {"name": "Other List", "company_id": other.id}
        )
        with self.assertRaises(ValidationError):
            self._strategy(trigger="stage", stage="new", pricelist_id=other_list.id)
        strategy = self._strategy(
            trigger="stage", stage="new", tag_add_ids=[Command.link(self.vip_tag.id)]
        )
        foreign = self._customer("Foreign Buyer", is_company=True)
        self._order(foreign, 100, TODAY - timedelta(days=5), company=other)
        self._classify(company=other)
        self.assertEqual(self._row(foreign, other).stage, "new")
        self.assertNotIn(self.vip_tag, foreign.category_id)
        self.assertFalse(self.Log.search([("strategy_id", "=", strategy.id)]))
        # Category moves of another company's partners stay with it too.
        self.assertFalse(
            self.Strategy._cpc_match(
                other, [Move(foreign.id, "stage", None, "new", TODAY, None, False)]
            )
        )

    # --------------------------------------------------------- access
    def test_managers_configure_users_read_results(self):
        self._classify()
        strategy = self._strategy(
            trigger="segment", tag_add_ids=[Command.link(self.vip_tag.id)]
        )
        self.Strategy._cpc_fire(
            self.company,
            [
                Move(
                    self.big.id,
                    "segment",
                    None,
                    self._row(self.big).segment_id.id,
                    TODAY,
                    None,
                    False,
                )
            ],
            None,
            "manual",
        )
        rep = self.salesman
        self.assertTrue(self.Strategy.with_user(rep).search([("id", "=", strategy.id)]))
        log = self.Log.with_user(rep).search([("strategy_id", "=", strategy.id)])
        self.assertEqual(log.partner_id, self.big)
        with self.assertRaises(AccessError):
            log.write({"actions": "changed"})
        with self.assertRaises(AccessError):
            self.Strategy.with_user(rep).create({"name": "Mine", "trigger": "tier"})
        with self.assertRaises(AccessError):
            strategy.with_user(rep).write({"name": "Renamed"})
        self.Strategy.with_user(self.manager).create(
            {"name": "Managed", "trigger": "tier"}
        )
        with self.assertRaises(AccessError):
            log.with_user(self.manager).unlink()
        employee = new_test_user(
            self.env, login="cpc_strat_employee", groups="base.group_user"
        )
        with self.assertRaises(AccessError):
            self.Log.with_user(employee).search([])
        portal = new_test_user(
            self.env, login="cpc_strat_portal", groups="base.group_portal"
        )
        with self.assertRaises(AccessError):
            self.Strategy.with_user(portal).search([])

    # ----------------------------------------------------------- mail
    def test_mail_only_with_a_template(self):
        self._classify()
        strategy = self._strategy(
            trigger="stage",
            stage="at_risk",
            activity_type_id=self.todo.id,
            activity_assignee="user",
            activity_user_id=self.manager.id,
        )
        self.big.email = "big@example.com"
        mails = self.env["mail.mail"].sudo()
        before = mails.search_count([])
        move = [Move(self.big.id, "stage", "active", "at_risk", TODAY, None, False)]
        self.Strategy._cpc_fire(self.company, move, None, "manual")
        self.assertEqual(len(self._activities(self.big)), 1)
        self.assertEqual(mails.search_count([]), before)
        template = self.env["mail.template"].create(
            {
                "name": "We miss you",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "subject": "We miss you",
                "email_to": "{{ object.email }}",
                "body_html": "<p>Come back</p>",
            }
        )
        strategy.mail_template_id = template
        move = [Move(self.big.id, "stage", "new", "at_risk", TODAY, None, False)]
        self.Strategy._cpc_fire(self.company, move, None, "manual")
        self.assertEqual(mails.search_count([]), before + 1)

    def test_scheduled_run_fires_and_other_companies_see_nothing(self):
        # The scheduled run classifies as of today: any stage will do.
        strategy = self._strategy(
            trigger="stage", tag_add_ids=[Command.link(self.vip_tag.id)]
        )
        self.env["partner.classification"]._cron_classify_customers()
        logs = self.Log.search([("strategy_id", "=", strategy.id)])
        self.assertIn(self.big, logs.partner_id)
        self.assertEqual(set(logs.mapped("source")), {"scheduled"})
        # A user of another company reads neither the strategy nor its log.
        other = self.env["res.company"].create({"name": "CPC Strategy Elsewhere"})
        outsider = new_test_user(
            self.env,
            login="cpc_strat_outsider",
            groups="sales_team.group_sale_manager",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        self.assertFalse(
            self.Strategy.with_user(outsider).search([("id", "=", strategy.id)])
        )
        self.assertFalse(
            self.Log.with_user(outsider).search([("strategy_id", "=", strategy.id)])
        )

    def test_category_strategy_leaves_other_companies_partners_alone(self):
        other = self.env["res.company"].create({"name": "CPC Strategy Category Other"})
        self.env.user.company_ids |= other
        scheme = self.env["classification.scheme"].create(
            {"name": "Strategy Size", "code": "SSIZE", "applies_to": "partner"}
        )
        large = self.env["classification.category"].create(
            {"scheme_id": scheme.id, "name": "Large", "code": "L"}
        )
        strategy = self._strategy(
            trigger="category",
            scheme_id=scheme.id,
            tag_add_ids=[Command.link(self.vip_tag.id)],
        )
        theirs = self._customer("Their Customer", is_company=True, company_id=other.id)
        ours = self._customer(
            "Our Customer", is_company=True, company_id=self.company.id
        )
        (theirs | ours).write({scheme.field_id.name: large.id})
        self.assertIn(self.vip_tag, ours.category_id)
        self.assertNotIn(self.vip_tag, theirs.category_id)
        self.assertEqual(
            self.Log.search([("strategy_id", "=", strategy.id)]).partner_id, ours
        )

    def test_seeds_are_archived_examples(self):
        seeds = {
            name: self.env.ref(f"customer_product_classification.strategy_{name}")
            for name in ("key_accounts", "downgrade_from_a", "at_risk_call")
        }
        seeds["churned"] = self.env.ref(
            "customer_product_classification.strategy_churned_to_pool"
        )
        self.assertFalse(any(seed.active for seed in seeds.values()))
        main = self.env.ref("base.main_company")
        key = seeds["key_accounts"]
        self.assertEqual(key.tier_id, self._tier("A", main))
        self.assertEqual(key.activity_type_id, self.todo)
        self.assertEqual(seeds["downgrade_from_a"].trigger, "tier_down")
        self.assertEqual(seeds["downgrade_from_a"].activity_days, 7)
        self.assertEqual(seeds["at_risk_call"].stage, "at_risk")
        self.assertEqual(
            seeds["at_risk_call"].activity_type_id,
            self.env.ref("mail.mail_activity_data_call"),
        )
        self.assertEqual(seeds["churned"].delay_days, 180)
        self.assertEqual(seeds["churned"].salesperson_action, "clear")
        # The placeholder price list must be replaced before the seed acts.
        with self.assertRaises(ValidationError):
            key.active = True
        key.write({"active": True, "pricelist_id": self.key_list.id})

    def test_manager_builds_a_strategy_in_its_form(self):
        form = Form(self.Strategy.with_user(self.manager))
        form.name = "Winback"
        form.trigger = "stage"
        form.stage = "churned"
        form.salesperson_action = "clear"
        form.activity_type_id = self.todo
        form.activity_assignee = "team_leader"
        strategy = form.save()
        self.assertEqual(strategy.company_id, self.company)
        self.assertFalse(strategy.mail_template_id)
        action = strategy.with_user(self.manager).action_try()
        trial = Form(
            self.env[action["res_model"]]
            .with_user(self.manager)
            .with_context(**action["context"])
        )
        trial.partner_ids.add(self.big)
        trial = trial.save()
        trial.action_try()
        # The leader of the salesperson's team gets the activity; without a
        # leader nobody does, and the dry run says so.
        self.assertIn("Salesperson", trial.line_ids.description)
        self.assertIn("nobody to assign", trial.line_ids.description)
        self.env["crm.team"].create(
            {
                "name": "Strategy Team",
                "user_id": self.manager.id,
                "member_ids": [Command.link(self.salesman.id)],
            }
        )
        trial.action_try()
        self.assertIn(self.manager.name, trial.line_ids.description)
        self.assertEqual(self.big.user_id, self.salesman)
        self.assertFalse(self._activities(self.big))

    # ------------------------------------------------ failures and checks
    def test_only_templates_actions_and_activities_for_contacts(self):
        order_template = self.env["mail.template"].search(
            [("model", "=", "sale.order")], limit=1
        )
        order_activity = self.env["mail.activity.type"].create(
            {"name": "Order follow-up", "res_model": "sale.order"}
        )
        strategy = self._strategy(trigger="stage", stage="new")
        for values in (
            {"mail_template_id": order_template.id},
            {"activity_type_id": order_activity.id},
        ):
            with self.assertRaisesRegex(ValidationError, "Test strategy"):
                strategy.write(values)

    def test_a_failing_strategy_keeps_the_classes_and_the_others(self):
        broken = self._partner_action(
            "Broken action", "raise UserError('broken on purpose')"
        )
        failing = self._strategy(trigger="segment", server_action_id=broken.id)
        working = self._strategy(
            trigger="segment", tag_add_ids=[Command.link(self.vip_tag.id)]
        )
        with self.assertLogs(
            "odoo.addons.customer_product_classification.models.classification_strategy",
            level="ERROR",
        ):
            self._classify()
        self.assertTrue(self._row(self.big).segment_id, "the classes are written")
        self.assertIn(self.vip_tag, self.big.category_id)
        self.assertTrue(self.Log.search([("strategy_id", "=", working.id)]))
        # Logged as failed, so that the next run tries again
        # (test_strategy_safety.test_a_failed_move_is_retried_at_the_next_run).
        failed = self.Log.search([("strategy_id", "=", failing.id)])
        self.assertIn(self.big, failed.partner_id)
        self.assertEqual(set(failed.mapped("state")), {"failed"})

    def test_dry_run_of_another_companys_strategy_is_refused(self):
        other = self.env["res.company"].create({"name": "CPC Strategy Elsewhere"})
        foreign = self._strategy(trigger="stage", stage="new", company_id=other.id)
        manager = new_test_user(
            self.env,
            login="cpc_strategy_try_manager",
            groups="sales_team.group_sale_manager,"
            "customer_product_classification.group_classification_manager",
        )
        wizard = (
            self.env["classification.strategy.try.wizard"]
            .with_user(manager)
            .sudo(False)
        )
        with self.assertRaises(AccessError):
            wizard.create(
                {"strategy_id": foreign.id, "partner_ids": [Command.set(self.big.ids)]}
            ).action_try()

    def test_contacts_take_the_new_price_list(self):
        buyer = self.env["res.partner"].create(
            {"name": "Buyer Person", "parent_id": self.big.id}
        )
        self._strategy(trigger="stage", stage="new", pricelist_id=self.key_list.id)
        self._classify()
        self.assertEqual(self._row(self.big).stage, "new")
        self.assertEqual(
            buyer.with_company(self.company).property_product_pricelist,
            self.key_list,
            "a quotation addressed to the contact gets the company's new list",
        )

    def test_activity_goes_to_the_salesperson_the_strategy_gives(self):
        account_manager = new_test_user(
            self.env,
            login="cpc_strategy_account_manager",
            groups="sales_team.group_sale_salesman",
        )
        self._strategy(
            trigger="stage",
            stage="new",
            salesperson_action="set",
            salesperson_id=account_manager.id,
            activity_type_id=self.todo.id,
            activity_assignee="salesperson",
        )
        self._classify()
        self.assertEqual(self.big.user_id, account_manager)
        self.assertEqual(self._activities(self.big).user_id, account_manager)

    def test_a_broken_customer_filter_names_the_strategy(self):
        for text in ("1/0", "[('no_such_field', '=', 1)]", "[("):
            with self.assertRaisesRegex(ValidationError, "Test strategy"):
                self._strategy(trigger="stage", stage="new", partner_domain=text)
