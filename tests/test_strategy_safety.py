# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json
from ast import literal_eval
from datetime import timedelta

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, freeze_time, new_test_user, tagged

from ..models.classification_strategy import Move
from .common import MODULE, TODAY
from .test_strategies import StrategyCase

STRATEGY_LOGGER = f"odoo.addons.{MODULE}.models.classification_strategy"


@tagged("post_install", "-at_install")
class TestStrategySafety(StrategyCase):
    """What a strategy may touch, who may aim it, and when it fires."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cls_manager = new_test_user(
            cls.env,
            login="cpc_strat_cls_manager",
            groups="sales_team.group_sale_manager,"
            f"{MODULE}.group_classification_manager",
        )

    def _fire(self, partner, old="active", new="at_risk", kind="stage"):
        move = Move(partner.id, kind, old, new, TODAY, None, False)
        return self.Strategy._cpc_fire(self.company, [move], None, "manual")

    def _log(self, strategy, partner=None):
        domain = [("strategy_id", "=", strategy.id)]
        if partner:
            domain.append(("partner_id", "=", partner.id))
        return self.Log.search(domain)

    # ------------------------------------------------ 1. company isolation
    def test_shared_customers_get_only_the_company_price_list(self):
        shared = self._customer(
            "Shared Buyer", is_company=True, user_id=self.salesman.id
        )
        strategy = self._strategy(
            trigger="stage",
            stage="at_risk",
            pricelist_id=self.key_list.id,
            tag_add_ids=[Command.link(self.vip_tag.id)],
            salesperson_action="set",
            salesperson_id=self.manager.id,
            activity_type_id=self.todo.id,
            activity_assignee="user",
            activity_user_id=self.manager.id,
        )
        self._fire(shared)
        self.assertEqual(
            shared.with_company(self.company).specific_property_product_pricelist,
            self.key_list,
        )
        # What every company reads stays as it was.
        self.assertNotIn(self.vip_tag, shared.category_id)
        self.assertEqual(shared.user_id, self.salesman)
        self.assertFalse(self._activities(shared))
        self.assertFalse(
            shared.message_follower_ids.partner_id & self.manager.partner_id
        )
        self.assertIn("Shared customer", self._log(strategy, shared).actions)
        # Told to, the strategy acts on shared customers too.
        strategy.act_on_shared_customers = True
        self._fire(shared, old="new")
        self.assertIn(self.vip_tag, shared.category_id)
        self.assertEqual(shared.user_id, self.manager)
        self.assertEqual(self._activities(shared).user_id, self.manager)

    def test_activity_only_for_a_user_who_can_work_on_the_customer(self):
        other = self.env["res.company"].create({"name": "CPC Strategy Assignee Co"})
        outsider = new_test_user(
            self.env,
            login="cpc_strat_b_rep",
            groups="sales_team.group_sale_salesman",
            company_id=other.id,
            company_ids=[Command.set(other.ids)],
        )
        self.big.user_id = outsider
        strategy = self._strategy(
            trigger="stage",
            stage="at_risk",
            activity_type_id=self.todo.id,
            activity_assignee="salesperson",
        )
        self._fire(self.big)
        self.assertFalse(self._activities(self.big))
        log = self._log(strategy, self.big)
        self.assertIn(outsider.name, log.actions)
        self.assertIn("cannot work on this customer", log.actions)
        # The named user stands in for the salesperson who cannot.
        strategy.activity_user_id = self.manager
        self._fire(self.big, old="new")
        self.assertEqual(self._activities(self.big).user_id, self.manager)

    # ------------------------------------------ 2. who aims actions and mail
    def test_only_administrators_aim_server_actions(self):
        action = self._partner_action(
            "Flag for review", "records.write({'function': 'review'})"
        )
        aimed = self._strategy(trigger="segment", server_action_id=action.id)
        manager = self.cls_manager
        # Deleting it stops the action and deletes its log: refused too.
        with self.assertRaisesRegex(AccessError, "Test strategy"):
            aimed.with_user(manager).unlink()
        self.assertTrue(aimed.exists())
        for change in (
            {"partner_domain": "[('id', '!=', 0)]"},
            {"trigger": "stage"},
            {"active": True, "sequence": 1},
        ):
            with self.assertRaisesRegex(AccessError, "Test strategy"):
                aimed.with_user(manager).write(change)
        with self.assertRaises(AccessError):
            aimed.with_user(manager).copy()
        self.assertEqual(aimed.trigger, "segment")
        # Strategies without a server action stay the managers' to change.
        plain = self._strategy(trigger="stage", stage="new")
        plain.with_user(manager).write({"stage": "at_risk"})
        self.assertEqual(plain.stage, "at_risk")

    def test_only_template_editors_choose_the_email(self):
        template = self.env["mail.template"].create(
            {
                "name": "Come back",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "subject": "Come back",
                "body_html": "<p>{{ object.name }}</p>",
            }
        )
        strategy = self._strategy(trigger="stage", stage="at_risk")
        with self.assertRaisesRegex(AccessError, "Test strategy"):
            strategy.with_user(self.cls_manager).write(
                {"mail_template_id": template.id}
            )
        self.assertFalse(strategy.mail_template_id)
        editor = new_test_user(
            self.env,
            login="cpc_strat_template_editor",
            groups="sales_team.group_sale_manager,"
            f"{MODULE}.group_classification_manager,mail.group_mail_template_editor",
        )
        strategy.with_user(editor).write({"mail_template_id": template.id})
        self.assertEqual(strategy.mail_template_id, template)
        # The email goes as superuser: a manager who may not choose it may not
        # re-aim it either (trigger, filter, company), only stop it.
        for change in (
            {"stage": "churned"},
            {"trigger": "tier", "stage": False},
            {"partner_domain": "[]"},
        ):
            with self.assertRaisesRegex(AccessError, "Test strategy"):
                strategy.with_user(self.cls_manager).write(change)
        self.assertEqual((strategy.trigger, strategy.stage), ("stage", "at_risk"))
        strategy.with_user(self.cls_manager).write({"active": False})
        strategy.with_user(self.cls_manager).write({"mail_template_id": False})
        self.assertFalse(strategy.mail_template_id)
        strategy.with_user(self.cls_manager).write({"stage": "churned"})

    # --------------------------------------------------- 3. back-dated runs
    def test_a_run_for_a_past_day_fires_only_when_asked(self):
        strategy = self._strategy(
            trigger="tier",
            tier_id=self._tier("A").id,
            tag_add_ids=[Command.link(self.vip_tag.id)],
        )
        # The suite's days are past (TODAY is fixed): a plain run fires nothing.
        self.Classification.with_company(self.company)._cpc_classify(
            self.company, reference_date=TODAY
        )
        self.assertEqual(self._row(self.big).tier_id, self._tier("A"))
        self.assertFalse(self._log(strategy))
        self.assertNotIn(self.vip_tag, self.big.category_id)

        newcomer = self.smalls[0]
        self._make_a(newcomer)
        wizard = Form(
            self.env["partner.classification.wizard"].with_user(self.manager)
        ).save()
        wizard.reference_date = TODAY
        self.assertTrue(wizard.is_past_date)
        wizard.action_preview()
        self.assertIn("No strategy fires", wizard.strategy_preview)
        wizard.action_back()
        wizard.strategies_for_past_date = True
        wizard.action_preview()
        self.assertTrue(wizard.strategy_preview.startswith("Test strategy → "))
        previewed = int(wizard.strategy_preview.split("→ ")[1].split()[0])
        wizard.action_apply()
        fired = self._log(strategy).partner_id
        self.assertIn(newcomer, fired)
        self.assertEqual(len(fired), previewed)
        self.assertIn(self.vip_tag, newcomer.category_id)

    def test_a_company_without_strategies_is_told_nothing_of_them(self):
        self.env["classification.strategy"].search(
            [("company_id", "=", self.company.id)]
        ).action_archive()
        wizard = Form(
            self.env["partner.classification.wizard"].with_user(self.manager)
        ).save()
        wizard.reference_date = TODAY
        wizard.action_preview()
        self.assertFalse(wizard.strategy_preview)

    # ------------------------------------------ 4. price list to contacts
    def test_contacts_get_the_price_list_on_a_pin_and_a_category(self):
        # A contact made in the form takes its company's company.
        buyer = self.env["res.partner"].create(
            {
                "name": "Buyer Contact",
                "parent_id": self.big.id,
                "company_id": self.company.id,
            }
        )
        self._strategy(
            trigger="tier_down",
            from_tier_id=self._tier("A").id,
            pricelist_id=self.key_list.id,
        )
        self._classify()
        self._row(self.big).with_user(self.manager).write(
            {"manual_tier_id": self._tier("B").id, "pin_reason": "Slowing down"}
        )
        order = self.env["sale.order"].create({"partner_id": buyer.id})
        self.assertEqual(order.pricelist_id, self.key_list)

        promo = self.env["product.pricelist"].create(
            {"name": "Promotion", "company_id": self.company.id}
        )
        scheme = self.env["classification.scheme"].create(
            {"name": "Strategy Price Band", "code": "SBAND", "applies_to": "partner"}
        )
        band = self.env["classification.category"].create(
            {"scheme_id": scheme.id, "name": "Sensitive", "code": "S"}
        )
        banded = self._strategy(
            trigger="category",
            scheme_id=scheme.id,
            category_id=band.id,
            pricelist_id=promo.id,
            activity_type_id=self.todo.id,
            activity_assignee="user",
            activity_user_id=self.manager.id,
        )
        self.big.write({scheme.field_id.name: band.id})
        order = self.env["sale.order"].create({"partner_id": buyer.id})
        self.assertEqual(order.pricelist_id, promo)
        # The customer moved, once: not each of its contacts.
        self.assertEqual(self._log(banded).partner_id, self.big)
        self.assertEqual(len(self._activities(self.big)), 1)
        self.assertFalse(self._activities(buyer))

    # ------------------------------------- 5. salesperson, then activity
    def test_activity_goes_to_the_new_salesperson_on_a_pin(self):
        account_manager = new_test_user(
            self.env,
            login="cpc_strat_pin_account_manager",
            groups="sales_team.group_sale_salesman",
        )
        self._strategy(
            sequence=1,
            trigger="tier_down",
            salesperson_action="set",
            salesperson_id=account_manager.id,
        )
        self._strategy(
            sequence=2,
            trigger="tier_down",
            activity_type_id=self.todo.id,
            activity_assignee="salesperson",
        )
        self._classify()
        self._row(self.big).with_user(self.manager).write(
            {"manual_tier_id": self._tier("C").id, "pin_reason": "Lost the tender"}
        )
        self.assertEqual(self.big.user_id, account_manager)
        self.assertEqual(self._activities(self.big).user_id, account_manager)

    # ----------------------------------------- 6. followers and assignees
    def test_internal_active_users_only(self):
        portal = new_test_user(
            self.env, login="cpc_strat_portal_rep", groups="base.group_portal"
        )
        gone = new_test_user(
            self.env,
            login="cpc_strat_gone_rep",
            groups="sales_team.group_sale_salesman",
        )
        gone.active = False
        for values in (
            {"salesperson_action": "set", "salesperson_id": portal.id},
            {
                "activity_type_id": self.todo.id,
                "activity_assignee": "user",
                "activity_user_id": gone.id,
            },
        ):
            with self.assertRaisesRegex(ValidationError, "Test strategy"):
                self._strategy(trigger="stage", stage="new", **values)
        # A salesperson archived after the strategy was made is not given
        # customers either.
        leaving = new_test_user(
            self.env,
            login="cpc_strat_leaving_rep",
            groups="sales_team.group_sale_salesman",
        )
        strategy = self._strategy(
            trigger="stage",
            stage="at_risk",
            salesperson_action="set",
            salesperson_id=leaving.id,
        )
        leaving.active = False
        self._fire(self.big)
        self.assertEqual(self.big.user_id, self.salesman)
        self.assertIn("Salesperson kept", self._log(strategy, self.big).actions)

    def test_assignees_follow_with_default_subtypes_and_their_menu_refreshes(self):
        self._strategy(
            trigger="stage",
            stage="at_risk",
            activity_type_id=self.todo.id,
            activity_days=0,
            activity_assignee="user",
            activity_user_id=self.manager.id,
        )
        self._fire(self.big)
        follower = self.env["mail.followers"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "=", self.big.id),
                ("partner_id", "=", self.manager.partner_id.id),
            ]
        )
        defaults = self.env["mail.message.subtype"].default_subtypes("res.partner")[0]
        self.assertTrue(defaults)
        self.assertEqual(follower.subtype_ids, defaults)
        # The notification is queued as a bus message at the strategy's
        # savepoint (the cursor's flush).
        sent = [
            json.loads(message.channel)
            for message in self.env["bus.bus"]
            .sudo()
            .search([("message", "ilike", "mail.activity/updated")])
        ]
        self.assertIn(
            [self.env.cr.dbname, "res.partner", self.manager.partner_id.id], sent
        )

    # ----------------------------------------- 7. a rule's category at create
    def test_a_category_given_by_a_rule_at_create_fires(self):
        scheme = self.env["classification.scheme"].create(
            {"name": "Strategy Origin", "code": "SORIGIN", "applies_to": "partner"}
        )
        china = self.env["classification.category"].create(
            {"scheme_id": scheme.id, "name": "China", "code": "CN"}
        )
        self.env["classification.rule"].create(
            {
                "scheme_id": scheme.id,
                "category_id": china.id,
                "criterion": "country",
                "country_ids": [Command.set(self.env.ref("base.cn").ids)],
            }
        )
        strategy = self._strategy(
            trigger="category",
            scheme_id=scheme.id,
            category_id=china.id,
            tag_add_ids=[Command.link(self.vip_tag.id)],
        )
        partner = self.env["res.partner"].create(
            {
                "name": "Shenzhen Buyer",
                "is_company": True,
                "country_id": self.env.ref("base.cn").id,
                "company_id": self.company.id,
            }
        )
        self.assertEqual(partner[scheme.field_id.name], china)
        self.assertIn(self.vip_tag, partner.category_id)
        self.assertEqual(self._log(strategy).partner_id, partner)

    # -------------------------------------------- 8. pins after the mirror
    def test_a_pin_fires_with_the_new_class_on_the_customer(self):
        self._classify()
        tier_b = self._tier("B")
        strategy = self._strategy(
            trigger="tier_down",
            from_tier_id=self._tier("A").id,
            partner_domain=f"[('value_tier_id', '=', {tier_b.id})]",
            tag_add_ids=[Command.link(self.vip_tag.id)],
        )
        self._row(self.big).with_user(self.manager).write(
            {"manual_tier_id": tier_b.id, "pin_reason": "Slowing down"}
        )
        self.assertIn(self.vip_tag, self.big.category_id)
        self.assertEqual(self._log(strategy).partner_id, self.big)

    # ------------------------------------------ 9. any change, lost included
    def test_any_change_fires_when_the_class_is_lost(self):
        strategy = self._strategy(
            trigger="segment", tag_add_ids=[Command.link(self.vip_tag.id)]
        )
        self._fire(
            self.big, old=self._segment("champions").id, new=None, kind="segment"
        )
        self.assertIn(self.vip_tag, self.big.category_id)
        self.assertIn("none", self._log(strategy, self.big).move.lower())
        # A strategy on one segment does not fire when it is lost.
        one = self._strategy(
            trigger="segment",
            segment_id=self._segment("champions").id,
            tag_add_ids=[Command.link(self.lost_tag.id)],
        )
        self._fire(
            self.smalls[0], old=self._segment("champions").id, new=None, kind="segment"
        )
        self.assertFalse(self._log(one))
        self.assertIn(self.vip_tag, self.smalls[0].category_id)

    # ---------------------------------------------------- 10. language
    def test_log_and_note_in_the_company_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            [MODULE], ["zh_CN"], overwrite=True
        )
        self.company.partner_id.lang = "zh_CN"
        strategy = self._strategy(
            trigger="stage", stage="at_risk", pricelist_id=self.key_list.id
        )
        # Fired from an English environment, as the scheduled run is.
        self.assertNotEqual(self.env.lang, "zh_CN")
        self._fire(self.big)
        self.assertIn("价格表", self._log(strategy).actions)
        note = self.big.message_ids.filtered(lambda m: "执行的策略" in (m.body or ""))
        self.assertTrue(note)

    # ----------------------------------------- 11. managers told of failures
    def test_managers_told_of_a_failing_strategy_once_a_day(self):
        broken = self._partner_action(
            "Broken action", "raise UserError('broken on purpose')"
        )
        failing = self._strategy(
            name="Broken follow-up", trigger="stage", server_action_id=broken.id
        )

        def notices():
            return self.env["mail.message"].search(
                [
                    ("message_type", "=", "user_notification"),
                    ("partner_ids", "in", self.cls_manager.partner_id.ids),
                    ("body", "ilike", "Broken follow-up"),
                ]
            )

        for partner in (self.big, self.smalls[0]):
            with self.assertLogs(STRATEGY_LOGGER, level="ERROR"):
                self._fire(partner)
        self.assertEqual(len(notices()), 1)
        self.assertIn("broken on purpose", notices().body)
        self.assertIn("broken on purpose", failing.last_failure)
        self.assertEqual(set(self._log(failing).mapped("state")), {"failed"})
        # Fixed, the same move made again acts and forgets the failure (the
        # next run retrying it: test_a_failed_move_is_retried_at_the_next_run).
        broken.code = "records.write({'function': 'followed up'})"
        self._fire(self.big)
        self.assertFalse(failing.last_failure)
        self.assertEqual(self.big.function, "followed up")

    # --------------------------------------------------------- 12. preview
    def test_preview_counts_stays_from_the_previewed_classes(self):
        quiet, back = self.env["res.partner"].create(
            [
                {"name": name, "is_company": True, "company_id": self.company.id}
                for name in ("Quiet Ltd", "Back Again Ltd")
            ]
        )
        for partner in quiet | back:
            self._order(partner, 300, TODAY - timedelta(days=400))
        self._strategy(
            trigger="stage",
            stage="churned",
            delay_days=100,
            tag_add_ids=[Command.link(self.lost_tag.id)],
        )
        self._classify()
        self.assertEqual(self._row(back).stage, "churned")
        day = TODAY + timedelta(days=150)
        self._order(back, 500, day - timedelta(days=5))
        wizard = Form(
            self.env["partner.classification.wizard"].with_user(self.manager)
        ).save()
        wizard.write({"reference_date": day, "strategies_for_past_date": True})
        wizard.action_preview()
        # Back Again Ltd ordered again: it will not have stayed churned.
        self.assertEqual(wizard.strategy_preview, "Test strategy → 1 customers")

    # ------------------------------------------------------- 13. smaller
    def test_incomplete_strategies_are_refused(self):
        other_map = self.env["partner.rfm.segment"].search(
            [("rfm_map", "!=", self.company.cpc_rfm_map)], limit=1
        )
        self.assertTrue(other_map)
        for values in (
            {
                "tag_add_ids": [Command.link(self.vip_tag.id)],
                "tag_remove_ids": [Command.link(self.vip_tag.id)],
            },
            {"salesperson_action": "set"},
            {"activity_type_id": self.todo.id, "activity_assignee": "user"},
            {"trigger": "segment", "segment_id": other_map.id},
        ):
            with self.assertRaisesRegex(ValidationError, "Test strategy"):
                self._strategy(**{"trigger": "stage", **values})

    def test_dry_run_starts_with_the_strategy_customers(self):
        self._classify()
        strategy = self._strategy(
            trigger="tier", tier_id=self._tier("A").id, pricelist_id=self.key_list.id
        )
        action = strategy.with_user(self.cls_manager).action_try()
        Wizard = (
            self.env[action["res_model"]]
            .with_user(self.cls_manager)
            .with_context(**action["context"])
        )
        trial = Form(Wizard)
        self.assertIn("now in the strategy's class", trial.hint)
        trial = trial.save()
        self.assertIn(self.big, trial.partner_ids)
        trial.action_try()
        self.assertIn("Key Accounts", trial.line_ids.description)
        # Nobody in the class: the dry run says what to pick.
        empty = self._strategy(trigger="stage", stage="churned")
        action = empty.with_user(self.cls_manager).action_try()
        trial = Form(Wizard.with_context(**action["context"]))
        self.assertIn("pick the customers", trial.hint)
        self.assertFalse(trial.save().partner_ids)
        # Its customers are customers: not the users nor the companies.
        domain = Wizard._fields["partner_ids"].domain
        domain = domain.replace("'=', company_id)", f"'=', {self.company.id})")
        choices = (
            self.env["res.partner"]
            .with_user(self.cls_manager)
            .search(literal_eval(domain))
        )
        self.assertIn(self.big, choices)
        self.assertNotIn(self.env.user.partner_id, choices)
        self.assertNotIn(self.company.partner_id, choices)
        self.assertNotIn(self.cls_manager.partner_id, choices)

    # ---------------------------------------------------------- 14. tier up
    def test_moving_up_the_ladder_fires_tier_up(self):
        up = self._strategy(
            trigger="tier_up", tag_add_ids=[Command.link(self.vip_tag.id)]
        )
        # A first classification is no move up.
        self._classify()
        self.assertFalse(self._log(up))
        climber = self.smalls[0]
        self.assertNotEqual(self._row(climber).tier_id, self._tier("A"))
        self._make_a(climber)
        self._classify()
        self.assertEqual(self._row(climber).tier_id, self._tier("A"))
        self.assertEqual(self._log(up).partner_id, climber)
        self.assertIn(self.vip_tag, climber.category_id)
        self.assertNotIn(self.vip_tag, self.big.category_id)

    # ------------------------------------------------ 15. second review
    def _band_scheme(self):
        scheme = self.env["classification.scheme"].create(
            {"name": "Review Band", "code": "RBAND", "applies_to": "partner"}
        )
        band = self.env["classification.category"].create(
            {"scheme_id": scheme.id, "name": "Sensitive", "code": "S"}
        )
        return scheme, band

    def test_a_category_strategy_fires_for_the_customer_not_its_contacts(self):
        contact = self.env["res.partner"].create(
            {
                "name": "Review Contact",
                "parent_id": self.big.id,
                "company_id": self.company.id,
                "email": "contact@review.example",
            }
        )
        scheme, band = self._band_scheme()
        template = self.env["mail.template"].create(
            {
                "name": "Review mail",
                "model_id": self.env["ir.model"]._get_id("res.partner"),
                "subject": "Hi",
                "body_html": "<p>hi</p>",
                "email_to": "{{ object.email }}",
            }
        )
        strategy = self._strategy(
            trigger="category",
            scheme_id=scheme.id,
            category_id=band.id,
            activity_type_id=self.todo.id,
            tag_add_ids=[Command.link(self.vip_tag.id)],
            mail_template_id=template.id,
        )
        self.big.write({scheme.field_id.name: band.id})
        newer = self.env["res.partner"].create(
            {
                "name": "Review New Contact",
                "parent_id": self.big.id,
                "company_id": self.company.id,
            }
        )
        self.assertEqual(newer[scheme.field_id.name], band)
        self.assertEqual(self._log(strategy).partner_id, self.big)
        self.assertEqual(len(self._activities(self.big)), 1)
        self.assertFalse(self._activities(contact | newer))
        self.assertNotIn(self.vip_tag, contact.category_id)
        self.assertFalse(
            self.env["mail.mail"].search([("email_to", "=", "contact@review.example")])
        )

    def test_a_failed_move_is_retried_at_the_next_run(self):
        broken = self._partner_action(
            "Broken action", "raise UserError('broken on purpose')"
        )
        failing = self._strategy(
            trigger="segment",
            server_action_id=broken.id,
            tag_add_ids=[Command.link(self.lost_tag.id)],
        )
        with self.assertLogs(STRATEGY_LOGGER, level="ERROR"):
            self._classify()
        moved = self._log(failing)
        self.assertIn(self.big, moved.partner_id)
        self.assertEqual(set(moved.mapped("state")), {"failed"})
        self.assertNotIn(self.lost_tag, self.big.category_id)
        # Fixed, the next run (which moves nobody) acts on the moves it failed.
        broken.code = "records.write({'function': 'followed up'})"
        self._classify(day=TODAY + timedelta(days=1))
        self.assertIn(self.lost_tag, self.big.category_id)
        self.assertEqual(self.big.function, "followed up")
        self.assertEqual(self._log(failing, self.big).state, "done")
        self.assertEqual(
            self._log(failing, self.big), moved & self._log(failing, self.big)
        )
        self.assertFalse(failing.last_failure)
        # Once: a further run does it no more.
        self.big.function = False
        self._classify(day=TODAY + timedelta(days=1))
        self.assertFalse(self.big.function)

    def test_a_failed_move_is_not_retried_once_the_customer_left_the_class(self):
        failing = self._strategy(
            trigger="tier",
            tier_id=self._tier("A").id,
            tag_add_ids=[Command.link(self.vip_tag.id)],
        )
        self._classify()
        newcomer = self.smalls[0]
        self._make_a(newcomer)
        # The filter breaks (a field gone with a module): the move is kept.
        self.env.cr.execute(
            "UPDATE classification_strategy SET partner_domain = %s WHERE id = %s",
            ("[('x_gone_field', '=', 1)]", failing.id),
        )
        failing.invalidate_recordset(["partner_domain"])
        with self.assertLogs(STRATEGY_LOGGER, level="ERROR"):
            self._classify()
        self.assertEqual(self._log(failing, newcomer).state, "failed")
        # The customer falls out of A before the next run.
        failing.partner_domain = "[]"
        self._row(newcomer).with_user(self.manager).write(
            {"manual_tier_id": self._tier("C").id, "pin_reason": "Lost the deal"}
        )
        self._classify(day=TODAY + timedelta(days=1))
        self.assertNotIn(self.vip_tag, newcomer.category_id)
        self.assertEqual(self._log(failing, newcomer).state, "dropped")

    def test_a_broken_filter_fails_its_strategy_only(self):
        scheme = self._band_scheme()[0]
        field = scheme.field_id.name
        broken = self._strategy(
            name="Banded follow-up",
            trigger="stage",
            partner_domain=f"[('{field}', '=', False)]",
            tag_add_ids=[Command.link(self.lost_tag.id)],
        )
        self._strategy(trigger="stage", tag_add_ids=[Command.link(self.vip_tag.id)])
        # The scheme whose field the filter reads cannot be deleted.
        with self.assertRaisesRegex(UserError, "Banded follow-up"):
            scheme.unlink()
        # Its field gone all the same (a module uninstalled): the run, the
        # pins and the other strategies go on; the failure is the strategy's.
        self.env.cr.execute(
            "UPDATE classification_strategy SET partner_domain = %s WHERE id = %s",
            ("[('x_gone_field', '=', False)]", broken.id),
        )
        broken.invalidate_recordset(["partner_domain"])
        with self.assertLogs(STRATEGY_LOGGER, level="ERROR"):
            self._classify()
        self.assertTrue(self._row(self.big).stage)
        self.assertIn(self.vip_tag, self.big.category_id)
        self.assertIn("x_gone_field", broken.last_failure)
        self.assertEqual(set(self._log(broken).mapped("state")), {"failed"})
        with self.assertLogs(STRATEGY_LOGGER, level="ERROR"):
            self._row(self.big).with_user(self.manager).write(
                {"manual_stage": "at_risk", "pin_reason": "Slowing down"}
            )
        self.assertEqual(self._row(self.big).stage, "at_risk")
        self.assertNotIn(self.lost_tag, self.big.category_id)

    def test_a_class_a_strategy_fires_on_cannot_be_deleted(self):
        platinum = self.env["partner.value.tier"].create(
            {
                "name": "Platinum",
                "code": "P",
                "company_id": self.company.id,
                "sequence": 0,
            }
        )
        welcome = self._strategy(
            name="Platinum welcome", trigger="tier", tier_id=platinum.id
        )
        with self.assertRaisesRegex(UserError, "Platinum welcome"):
            platinum.unlink()
        self.assertTrue(platinum.exists())
        self.assertEqual(welcome.tier_id, platinum)
        # Archived, it goes with its tier: reactivated, it would fire on any
        # change.
        welcome.active = False
        platinum.unlink()
        self.assertFalse(welcome.exists())
        scheme, band = self._band_scheme()
        self._strategy(
            name="Sensitive band",
            trigger="category",
            scheme_id=scheme.id,
            category_id=band.id,
        )
        with self.assertRaisesRegex(UserError, "Sensitive band"):
            band.unlink()
        with self.assertRaisesRegex(UserError, "Sensitive band"):
            scheme.unlink()

    def test_the_filter_is_a_plain_domain(self):
        self._strategy(trigger="stage", partner_domain="[('is_company', '=', True)]")
        for text in (
            "[('user_id', '=', uid)]",
            "[('id', 'in', list(range(10**9)))]",
            "[('name', '=', 'x' * 10**10)]",
            "[('id', 'in', [" + ", ".join(["1"] * 2000) + "])]",
            "{'a': 1}",
        ):
            with (
                self.assertRaisesRegex(ValidationError, "Test strategy"),
                self.env.cr.savepoint(),
            ):
                self._strategy(trigger="stage", partner_domain=text)
        # The same move is handled the same, whoever fires it.
        strategy = self._strategy(
            trigger="stage",
            stage="at_risk",
            partner_domain=f"[('user_id', '=', {self.salesman.id})]",
        )
        move = Move(self.big.id, "stage", "active", "at_risk", TODAY, None, False)
        for user in (self.manager, self.salesman):
            fired = self.Strategy.with_user(user)._cpc_match(self.company, [move])
            self.assertEqual(list(fired.get(strategy, {})), [self.big.id])

    def test_a_run_on_selected_customers_fires_delayed_strategies_on_them(self):
        self._classify()
        strategy = self._strategy(
            trigger="tier", delay_days=1, tag_add_ids=[Command.link(self.vip_tag.id)]
        )
        chosen = self.smalls[:1]
        wizard = self.env["partner.classification.wizard"].create(
            {
                "reference_date": TODAY + timedelta(days=3),
                "strategies_for_past_date": True,
                "scope": "selected",
                "partner_ids": [Command.set(chosen.ids)],
            }
        )
        wizard.action_preview()
        self.assertEqual(wizard.strategy_preview, "Test strategy → 1 customers")
        wizard.action_apply()
        self.assertEqual(self._log(strategy).partner_id, chosen)
        self.assertNotIn(self.vip_tag, self.big.category_id)

    def test_preview_sees_the_previewed_classes_in_filters(self):
        self._classify()
        tier_a = self._tier("A")
        strategy = self._strategy(
            trigger="tier",
            tier_id=tier_a.id,
            partner_domain=f"[('value_tier_id', '=', {tier_a.id})]",
            tag_add_ids=[Command.link(self.vip_tag.id)],
        )
        self._make_a(self.smalls[0])
        wizard = self.env["partner.classification.wizard"].create(
            {"reference_date": TODAY, "strategies_for_past_date": True}
        )
        wizard.action_preview()
        preview = wizard.strategy_preview
        self.assertNotEqual(self.smalls[0].value_tier_id, tier_a, "nothing written")
        wizard.action_apply()
        fired = self._log(strategy).partner_id
        self.assertIn(self.smalls[0], fired)
        self.assertEqual(preview, f"Test strategy → {len(fired)} customers")

    def test_dry_run_of_the_strategy_company_and_its_customers(self):
        other = self.env["res.company"].create({"name": "CPC Dry Run Co"})
        self.cls_manager.write({"company_ids": [Command.link(other.id)]})
        strategy = self._strategy(trigger="stage", stage="at_risk")
        shared_classified = self._customer("Shared Classified", is_company=True)
        self._order(shared_classified, 300, TODAY - timedelta(days=30))
        shared_unknown = self._customer("Shared Unknown", is_company=True)
        self._classify()
        self.assertTrue(self._row(shared_classified))
        # Working in the other company, the manager picks the strategy's
        # company's customers.
        domain = (
            self.env["classification.strategy.try.wizard"]
            ._fields["partner_ids"]
            .domain.replace("'=', company_id)", f"'=', {self.company.id})")
        )
        choices = (
            self.env["res.partner"]
            .with_user(self.cls_manager)
            .with_context(allowed_company_ids=[other.id, self.company.id])
            .search(literal_eval(domain))
        )
        self.assertIn(self.big, choices)
        self.assertIn(shared_classified, choices)
        self.assertNotIn(shared_unknown, choices)
        trial = (
            self.env["classification.strategy.try.wizard"]
            .with_user(self.cls_manager)
            .with_context(allowed_company_ids=[other.id, self.company.id])
            .create(
                {
                    "strategy_id": strategy.id,
                    "partner_ids": [
                        Command.set((self.big | shared_classified | shared_unknown).ids)
                    ],
                }
            )
        )
        trial.action_try()
        lines = {line.partner_id: line.description for line in trial.line_ids}
        self.assertNotIn("Not a customer", lines[self.big])
        self.assertNotIn("Not a customer", lines[shared_classified])
        self.assertIn("Not a customer", lines[shared_unknown])

    def test_activity_to_the_salesperson_kept_when_the_new_one_is_refused(self):
        leaver = new_test_user(
            self.env, login="cpc_strat_leaver", groups="sales_team.group_sale_salesman"
        )
        strategy = self._strategy(
            trigger="stage",
            stage="at_risk",
            salesperson_action="set",
            salesperson_id=leaver.id,
            activity_type_id=self.todo.id,
            activity_assignee="salesperson",
        )
        leaver.active = False
        self._fire(self.big)
        self.assertEqual(self.big.user_id, self.salesman)
        self.assertEqual(self._activities(self.big).user_id, self.salesman)
        self.assertIn("Salesperson kept", self._log(strategy).actions)

    def test_a_category_strategy_fires_on_its_sub_categories(self):
        scheme, asia = self._band_scheme()
        china = self.env["classification.category"].create(
            {
                "scheme_id": scheme.id,
                "name": "China",
                "code": "CN",
                "parent_id": asia.id,
            }
        )
        other = self.env["classification.category"].create(
            {"scheme_id": scheme.id, "name": "Europe", "code": "EU"}
        )
        strategy = self._strategy(
            trigger="category",
            scheme_id=scheme.id,
            category_id=asia.id,
            tag_add_ids=[Command.link(self.vip_tag.id)],
        )
        field = scheme.field_id.name
        self.big.write({field: china.id})
        self.smalls[0].write({field: other.id})
        self.assertEqual(self._log(strategy).partner_id, self.big)
        # From China up to Asia is no entry into Asia.
        self.big.write({field: asia.id})
        self.assertEqual(len(self._log(strategy)), 1)

    def test_the_form_says_why_a_manager_may_not_change_a_strategy(self):
        action = self._partner_action("Flag", "pass")
        aimed = self._strategy(trigger="segment", server_action_id=action.id)
        plain = self._strategy(trigger="stage", stage="new")
        self.assertIn(
            "only administrators",
            aimed.with_user(self.cls_manager).cpc_locked_reason,
        )
        self.assertFalse(plain.with_user(self.cls_manager).cpc_locked_reason)
        self.assertFalse(aimed.cpc_locked_reason)
        # The reason of a failure is the managers'.
        reader = new_test_user(
            self.env,
            login="cpc_strat_reader",
            groups=f"sales_team.group_sale_salesman,{MODULE}.group_classification_user",
        )
        self.assertNotIn(
            "last_failure", aimed.with_user(reader).fields_get(attributes=["type"])
        )

    def test_a_batched_scheduled_run_checks_the_stays_after_its_last_batch(self):
        self._classify()
        strategy = self._strategy(
            trigger="tier", delay_days=1, tag_add_ids=[Command.link(self.vip_tag.id)]
        )
        newcomers = self.env["res.partner"].create(
            [
                {"name": f"Batch Newcomer {i}", "company_id": self.company.id}
                for i in range(4)
            ]
        )
        for partner in newcomers:
            self._order(partner, 50, TODAY - timedelta(days=1))
        self.env["ir.config_parameter"].set_param(f"{MODULE}.batch_size", 2)
        # Today's run (strategies act on today's classes), days after the
        # customers entered their tiers.
        today = fields.Date.context_today(self.big)
        with freeze_time(today + timedelta(days=3)):
            done, remaining = self.Classification._cron_classify_customers()
            self.assertEqual(done, 2)
            self.assertTrue(remaining)
            self.assertFalse(self._log(strategy), "not before the last batch")
            while remaining:
                done, remaining = self.Classification._cron_classify_customers()
        self.assertIn(self.big, self._log(strategy).partner_id)
        self.assertIn(self.vip_tag, self.big.category_id)
