# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Installed into a live database, the addon classifies what is there at once.

The addon is installed in the test database already: each test builds the live
database it was installed into (orders, companies placed by no rule yet), then
runs the installation's own hook, as Odoo does right after the install.
"""

import importlib.util
from datetime import timedelta
from pathlib import Path

from odoo import fields
from odoo.addons.customer_product_classification import post_init_hook
from odoo.tests import new_test_user, tagged

from .common import MODULE, ClassificationCase

CLASSIFY_CRON = f"{MODULE}.ir_cron_classify_customers"
RULES_CRON = f"{MODULE}.ir_cron_apply_classification_rules"
CUSTOMERS_ACTION = f"{MODULE}.partner_classification_action"
HISTORY_ACTION = f"{MODULE}.partner_classification_history_action"


def load_migration(version, script):
    """A migration script of the addon, as Odoo's upgrade would run it."""
    path = Path(__file__).parent.parent / "migrations" / version / script
    spec = importlib.util.spec_from_file_location("cpc_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@tagged("post_install", "-at_install")
class TestInstallIntoLiveDatabase(ClassificationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.sales_manager = new_test_user(
            cls.env, login="cpc_install_manager", groups="sales_team.group_sale_manager"
        )
        today = fields.Date.context_today(cls.Classification)
        # Partners from before the addon: its seeded rules have never seen them.
        seeded = cls.env["classification.scheme"].search([])
        seeded.active = False
        cls.buyers = cls.env["res.partner"].create(
            [{"name": f"Existing Buyer {n}", "is_company": True} for n in range(3)]
        )
        cls.prospect = cls.env["res.partner"].create(
            {"name": "Existing Prospect", "is_company": True}
        )
        seeded.active = True
        for n, buyer in enumerate(cls.buyers):
            cls._order(buyer, 100.0 * (n + 1), today - timedelta(days=30 * n + 5))
        cls.type_field = cls.env.ref(f"{MODULE}.scheme_customer_type").field_id.name
        cls.enterprise = cls.env.ref(f"{MODULE}.category_customer_type_enterprise")

    def _triggered(self, xmlid):
        cron = self.env.ref(xmlid)
        return self.env["ir.cron.trigger"].search(
            [("cron_id", "=", cron.id), ("call_at", "<=", fields.Datetime.now())]
        )

    def _run_cron(self, xmlid):
        """One call of the scheduled action as the scheduler makes it; returns
        the progress it reported."""
        cron = self.env.ref(xmlid)
        cron.method_direct_trigger()
        return self.env["ir.cron.progress"].search(
            [("cron_id", "=", cron.id)], order="id desc", limit=1
        )

    def _empty_screen_help(self, xmlid, user):
        """The help an empty screen of the action shows the user, loaded as the
        web client loads actions."""
        action = self.env["ir.actions.act_window"].with_user(user)._for_xml_id(xmlid)
        return str(action["help"])

    def test_first_classification_starts_in_the_background(self):
        classify_before = self._triggered(CLASSIFY_CRON)
        post_init_hook(self.env)
        self.assertTrue(self.company.cpc_first_run_pending)
        self.assertGreater(
            self._triggered(CLASSIFY_CRON) - classify_before,
            self.env["ir.cron.trigger"],
            "the classification must be started now, not at the nightly run",
        )
        for xmlid in (CUSTOMERS_ACTION, HISTORY_ACTION):
            text = self._empty_screen_help(xmlid, self.sales_manager)
            self.assertIn("running in the background", text)
            self.assertIn(self.company.name, text)
            self.assertNotIn("No customers yet", text)

        # Batched: two customers a call, each call telling the scheduler what is left.
        self.env["ir.config_parameter"].set_param(f"{MODULE}.batch_size", 2)
        progress = self._run_cron(CLASSIFY_CRON)
        self.assertEqual((progress.done, progress.remaining), (2, 1))
        self.assertTrue(self.company.cpc_first_run_pending)
        progress = self._run_cron(CLASSIFY_CRON)
        self.assertEqual((progress.done, progress.remaining), (1, 0))

        rows = self.Classification.search([("partner_id", "in", self.buyers.ids)])
        self.assertEqual(rows.partner_id, self.buyers)
        self.assertTrue(all(rows.mapped("tier_id")))
        self.assertFalse(self.company.cpc_first_run_pending)
        text = self._empty_screen_help(CUSTOMERS_ACTION, self.sales_manager)
        self.assertIn("No customers yet", text)
        self.assertNotIn("running in the background", text)

    def test_seeded_rules_place_the_existing_partners(self):
        everyone = self.buyers | self.prospect
        self.assertFalse(any(everyone.mapped(self.type_field)))
        rules_before = self._triggered(RULES_CRON)
        post_init_hook(self.env)
        self.assertTrue(self._triggered(RULES_CRON) - rules_before)
        self.env["ir.config_parameter"].set_param(f"{MODULE}.batch_size", 5)
        Scheme = self.env["classification.scheme"]
        for __ in range(200):
            if not Scheme.search_count([("rules_queued", "=", True)]):
                break
            progress = self._run_cron(RULES_CRON)
            self.assertLessEqual(progress.done, 5)
        else:
            self.fail("the seeded rules never finished")
        everyone.invalidate_recordset()
        self.assertEqual(set(everyone.mapped(self.type_field)), {self.enterprise})

    def test_a_failed_first_run_does_not_promise_classes(self):
        post_init_hook(self.env)
        self.company._cpc_report_classification_error("the ladder is broken")
        text = self._empty_screen_help(CUSTOMERS_ACTION, self.sales_manager)
        self.assertNotIn("running in the background", text)
        self.assertIn("No customers yet", text)

    def test_a_company_without_sales_is_not_told_to_wait(self):
        other = self.env["res.company"].create({"name": "CPC New Branch"})
        self.sales_manager.company_ids |= other
        post_init_hook(self.env)
        self.assertFalse(other.cpc_first_run_pending)
        help_there = (
            self.env["partner.classification"]
            .with_user(self.sales_manager)
            .with_company(other)
            .get_empty_list_help("<p>static</p>")
        )
        self.assertEqual(help_there, "<p>static</p>")

    def test_upgrade_starts_only_what_never_ran(self):
        """The upgrade that brings this starts the companies never classified."""
        self._classify(day=fields.Date.context_today(self.Classification))
        load_migration("18.0.1.1.0", "post-migration.py").migrate(
            self.env.cr, "18.0.1.0.0"
        )
        self.assertFalse(self.company.cpc_first_run_pending)
        self.assertTrue(
            self.env["classification.scheme"].search_count(
                [("rules_queued", "=", True)]
            )
        )


@tagged("post_install", "-at_install")
class TestUpgradeOfCodingRules(ClassificationCase):
    def test_moved_coding_rules_follow_the_module_on_upgrade(self):
        """Rules first installed as no-update data are updated again after the
        upgrade that moved them to security/."""
        names = [
            "classification_coding_rule_rule_company",
            "classification_code_history_rule_company",
        ]
        data = self.env["ir.model.data"].search(
            [("module", "=", MODULE), ("name", "in", names)]
        )
        self.assertEqual(len(data), 2)
        data.write({"noupdate": True})
        self.env.flush_all()
        load_migration("18.0.1.2.0", "pre-migration.py").migrate(
            self.env.cr, "18.0.1.1.0"
        )
        data.invalidate_recordset(["noupdate"])
        self.assertFalse(any(data.mapped("noupdate")))
