# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import base64
from datetime import datetime, timedelta

from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tests import freeze_time, new_test_user, tagged
from odoo.tools import mute_logger

from ..utils import locks
from .common import MODULE, TODAY, ClassificationCase
from .scheme_common import SchemeCase

CLASSIFY_CRON = f"{MODULE}.ir_cron_classify_customers"
RULES_CRON = f"{MODULE}.ir_cron_apply_classification_rules"
ADDON = f"odoo.addons.{MODULE}"
ENGINE_LOGGER = f"{ADDON}.models.partner_classification"


class SecondConnection:
    """Work done in another transaction, as another worker would do it.

    The second connection sees only committed data; what it locks stays locked
    until :meth:`_end_elsewhere` or the end of the test (its transaction is
    rolled back, taking its locks with it).
    """

    def setUp(self):
        super().setUp()
        # A mistake in these tests must fail them, not hang the suite.
        self.env.cr.execute("SET LOCAL lock_timeout = '20s'")

    def _elsewhere(self):
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        cr.execute("SET LOCAL lock_timeout = '20s'")
        return api.Environment(cr, SUPERUSER_ID, {})

    def _end_elsewhere(self, env):
        env.cr.close()

    def _retries(self, xmlid, before):
        cron = self.env.ref(xmlid)
        triggers = self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])
        return (triggers - before).filtered(
            lambda trigger: (
                trigger.call_at > datetime.combine(TODAY, datetime.min.time())
            )
        )

    def _triggers(self, xmlid):
        cron = self.env.ref(xmlid)
        return self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)])


@tagged("post_install", "-at_install")
class TestConcurrentClassification(SecondConnection, ClassificationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.env["res.company"].create({"name": "CPC Concurrency Branch"})
        cls.customer = cls._customer("Main Street Buyer")
        cls.branch_customer = cls._customer("Branch Buyer")
        cls._order(cls.customer, 500, TODAY - timedelta(days=10))
        cls._order(
            cls.branch_customer, 700, TODAY - timedelta(days=8), company=cls.other
        )
        cls.branch_manager = new_test_user(
            cls.env,
            login="cpc_branch_manager",
            groups="sales_team.group_sale_manager",
            company_id=cls.other.id,
            company_ids=[Command.set(cls.other.ids)],
        )

    def _run_elsewhere(self):
        """The scheduled run of the main company, busy in another transaction."""
        env = self._elsewhere()
        company = env["res.company"].browse(self.company.id)
        env["partner.classification"].with_company(company)._cpc_classify(company)
        return env

    def _notices(self, user):
        """Messages in the user's inbox about a company's failed run."""
        return self.env["mail.message"].search(
            [
                ("partner_ids", "in", user.partner_id.ids),
                ("model", "=", "res.partner"),
                ("res_id", "in", (self.company | self.other).partner_id.ids),
            ]
        )

    def test_second_run_of_a_company_is_told_plainly(self):
        elsewhere = self._run_elsewhere()
        wizard = (
            self.env["partner.classification.wizard"]
            .with_user(self.manager)
            .create({"reference_date": TODAY})
        )
        # A preview writes nothing: it does not wait for the other run.
        wizard.action_preview()
        self.assertEqual(wizard.changed_count, 1)
        with self.assertRaisesRegex(
            UserError,
            f"The customers of {self.company.name} are being classified by another run",
        ):
            wizard.action_apply()
        self.assertFalse(self._row(self.customer), "nothing is half-written")
        # Once the other run is over, the manager's run goes through.
        self._end_elsewhere(elsewhere)
        wizard.action_apply()
        self.assertTrue(self._row(self.customer).tier_id)

    def test_a_run_that_finished_meanwhile_is_retried_not_a_duplicate(self):
        # Odoo's transactions read one snapshot: a run that committed after it
        # was taken, and then released the lock, left rows this transaction
        # cannot see. Writing them again is a serialization failure, which
        # Odoo retries with a fresh snapshot, never a duplicate key error.
        admin = self.env.ref("base.partner_admin")
        self._order(admin, 300, TODAY - timedelta(days=3))
        elsewhere = self._elsewhere()
        elsewhere.cr.execute(
            "INSERT INTO partner_classification (partner_id, company_id) "
            "VALUES (%s, %s) RETURNING id",
            [admin.id, self.company.id],
        )
        row_id = elsewhere.cr.fetchone()[0]
        elsewhere.cr.commit()
        self.addCleanup(self._delete_committed_row, row_id)
        self._end_elsewhere(elsewhere)
        with (
            self.assertRaises(SerializationFailure),
            mute_logger("odoo.sql_db"),
        ):
            self._classify()
        self.assertIn(SerializationFailure, PG_CONCURRENCY_EXCEPTIONS_TO_RETRY)

    def _delete_committed_row(self, row_id):
        with self.registry.cursor() as cr:
            cr.execute("DELETE FROM partner_classification WHERE id = %s", [row_id])

    def test_other_companies_are_not_held_up(self):
        self._run_elsewhere()
        wizard = (
            self.env["partner.classification.wizard"]
            .with_user(self.branch_manager)
            .with_company(self.other)
            .create({"reference_date": TODAY, "company_id": self.other.id})
        )
        wizard.action_apply()
        self.assertTrue(self._row(self.branch_customer, self.other))

    def test_cron_skips_a_busy_company_and_comes_back(self):
        elsewhere = self._run_elsewhere()
        before = self._triggers(CLASSIFY_CRON)
        with freeze_time(TODAY):
            done, remaining = self.Classification._cron_classify_customers()
        self.assertEqual((done, remaining), (1, 0), "only the branch was classified")
        self.assertTrue(self._row(self.branch_customer, self.other))
        self.assertFalse(self._row(self.customer), "the busy company is skipped")
        self.assertTrue(
            self._retries(CLASSIFY_CRON, before),
            "the job calls itself again for the busy company",
        )
        # Being busy is no configuration error: nobody is told.
        self.assertFalse(self.company.cpc_classification_error)
        self.assertFalse(self._notices(self.manager))
        self._end_elsewhere(elsewhere)
        with freeze_time(TODAY):
            self.Classification._cron_classify_customers()
        self.assertTrue(self._row(self.customer).tier_id)

    def test_broken_company_does_not_stop_the_others(self):
        # A ladder corrupted behind the ORM's back: shares summing to 40%.
        self.env.cr.execute(
            "UPDATE partner_value_tier SET revenue_share = 10 WHERE company_id = %s",
            [self.company.id],
        )
        self.env.invalidate_all()
        with freeze_time(TODAY):
            # The job returns normally: the scheduler counts no failure and
            # never deactivates it for one broken company.
            self.Classification._cron_classify_customers()
            self.Classification._cron_classify_customers()
        self.assertTrue(self._row(self.branch_customer, self.other))
        self.assertFalse(self._row(self.customer))
        error = self.company.with_user(self.manager).cpc_classification_error
        self.assertIn(self.company.name, error)
        settings = self.env["res.config.settings"].create({})
        self.assertEqual(settings.cpc_classification_error, error)
        notices = self._notices(self.manager)
        self.assertEqual(len(notices), 1, "told once, not at every call")
        self.assertIn(self.company.name, notices.subject)
        self.assertIn("40.0%", notices.body, "the reason, in plain words")
        self.assertFalse(self._notices(self.branch_manager))
        self.assertFalse(self.other.cpc_classification_error)

        # Mended, the next run classifies the company and clears the error.
        # In one write: the ladder is checked as a whole, not tier by tier.
        self.company.write(
            {
                "cpc_value_tier_ids": [
                    Command.update(self._tier(code).id, {"revenue_share": share})
                    for code, share in (("A", 80), ("B", 15), ("C", 4), ("D", 1))
                ]
            }
        )
        with freeze_time(TODAY):
            self.Classification._cron_classify_customers()
        self.assertTrue(self._row(self.customer).tier_id)
        self.assertFalse(self.company.cpc_classification_error)
        settings = self.env["res.config.settings"].create({})
        self.assertFalse(settings.cpc_classification_error)

    def test_a_crash_is_reported_in_plain_words(self):
        # Not one of the addon's own checks: a database error mid-run.
        self.env.cr.execute(
            "UPDATE res_company SET cpc_analysis_months = 100000 WHERE id = %s",
            [self.company.id],
        )
        self.env.invalidate_all()
        with freeze_time(TODAY), mute_logger(ENGINE_LOGGER):
            done, __ = self.Classification._cron_classify_customers()
        self.assertEqual(done, 1)
        self.assertTrue(self._row(self.branch_customer, self.other))
        self.assertIn(self.company.name, self.company.cpc_classification_error)
        self.assertEqual(len(self._notices(self.manager)), 1)


@tagged("post_install", "-at_install")
class TestConcurrentCategoryWrites(SecondConnection, SchemeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cn = cls.env.ref("base.cn")
        Rule = cls.env["classification.rule"]
        Rule.create(
            [
                {
                    "scheme_id": cls.region.id,
                    "category_id": cls.east.id,
                    "criterion": "country",
                    "country_ids": [Command.set(cls.cn.ids)],
                },
                {
                    "scheme_id": cls.grade.id,
                    "category_id": cls.grade_a.id,
                    "criterion": "list_price",
                    "min_value": 1000,
                },
            ]
        )
        cls.acme = cls.env["res.partner"].create({"name": "Acme", "is_company": True})
        cls.premium = cls.env["product.template"].create(
            {"name": "Premium", "list_price": 10}
        )
        # Records the rules would place, had anyone asked them to.
        cls.env.cr.execute(
            "UPDATE res_partner SET country_id = %s WHERE id = %s",
            [cls.cn.id, cls.acme.id],
        )
        cls.env.cr.execute(
            "UPDATE product_template SET list_price = 1500 WHERE id = %s",
            [cls.premium.id],
        )
        cls.env.invalidate_all()

    def _busy_with_customers(self):
        """Another transaction writing customers' categories in bulk: it took
        the lock every import, queued rule batch and rule action takes first."""
        env = self._elsewhere()
        locks.lock_categories(env, "res.partner")
        return env

    def _import(self, content, kind="partner"):
        wizard = (
            self.env["classification.import.wizard"]
            .with_user(self.manager)
            .create(
                {
                    "applies_to": kind,
                    "file": base64.b64encode(content),
                    "filename": "file.csv",
                }
            )
        )
        wizard.action_check()
        self.assertEqual(wizard.state, "preview", wizard.error_report)
        return wizard.action_import()

    def test_import_while_another_import_runs(self):
        elsewhere = self._busy_with_customers()
        with self.assertRaisesRegex(
            UserError,
            "Another import or application of rules is changing the categories "
            "of Customers",
        ):
            self._import(b"name,TREGION\nAcme,WEST\n")
        self.assertFalse(self.acme[self.region_field], "nothing is half-written")
        # Products are another kind of record: their import goes on.
        self._import(b"name,TGRADE\nPremium,GB\n", kind="product")
        self.assertEqual(self.premium[self.grade_field], self.grade_b)
        self._end_elsewhere(elsewhere)
        self._import(b"name,TREGION\nAcme,WEST\n")
        self.assertEqual(self.acme[self.region_field], self.west)

    def test_rule_action_while_an_import_runs(self):
        self._busy_with_customers()
        action = self.env.ref(f"{MODULE}.res_partner_action_apply_rules")
        with self.assertRaisesRegex(UserError, "categories of Customers"):
            action.with_user(self.manager).with_context(
                active_model="res.partner",
                active_ids=self.acme.ids,
                active_id=self.acme.id,
            ).run()
        self.assertFalse(self.acme[self.region_field])

    def test_queued_rules_wait_for_an_import(self):
        elsewhere = self._busy_with_customers()
        (self.region | self.grade).with_user(self.manager).action_apply_rules()
        before = self._triggers(RULES_CRON)
        Scheme = self.env["classification.scheme"]
        with freeze_time(TODAY):
            Scheme._cron_apply_rules()
        self.assertFalse(self.acme[self.region_field], "customers are busy")
        self.assertTrue(self.region.rules_queued)
        self.assertEqual(self.premium[self.grade_field], self.grade_a)
        self.assertFalse(self.grade.rules_queued)
        self.assertTrue(self._retries(RULES_CRON, before))
        self._end_elsewhere(elsewhere)
        Scheme._cron_apply_rules()
        self.assertEqual(self.acme[self.region_field], self.east)
        self.assertFalse(self.region.rules_queued)

    def test_import_while_queued_rules_run(self):
        # A scheme the other transaction sees: one committed with the addon.
        self.customer_scheme = self.seeded.filtered(
            lambda scheme: scheme.applies_to == "partner"
        )[:1]
        # The scheduled rules hold the lock in their own transaction...
        elsewhere = self._elsewhere()
        self.assertEqual(
            locks.categories_free_for_cron(
                elsewhere["classification.scheme"].browse(self.customer_scheme.ids),
                RULES_CRON,
            ).ids,
            self.customer_scheme.ids,
        )
        # ... so an import of customers is told to wait.
        with self.assertRaisesRegex(UserError, "categories of Customers"):
            self._import(b"name,TREGION\nAcme,WEST\n")
        self.assertFalse(self.acme[self.region_field])

    def test_a_failing_scheme_does_not_stop_the_others(self):
        (self.region | self.grade).action_apply_rules()
        # A rule corrupted behind the ORM's back makes the grade's batch fail.
        self.env.cr.execute(
            "UPDATE classification_rule SET criterion = 'gone' WHERE scheme_id = %s",
            [self.grade.id],
        )
        self.env.invalidate_all()
        with freeze_time(TODAY), mute_logger(f"{ADDON}.models.classification_scheme"):
            self.env["classification.scheme"]._cron_apply_rules()
        self.assertEqual(self.acme[self.region_field], self.east)
        self.assertFalse(self.region.rules_queued)
        self.assertFalse(self.premium[self.grade_field])
        self.assertTrue(self.grade.rules_queued, "left for the next call")
