# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Hostile review of issue 8: what RPC calls the UI never sends must not do."""

from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import MODULE, ClassificationCase
from .scheme_common import SchemeCase
from .test_security_value import ValueCase

PARAM = "customer_product_classification.batch_size"


@tagged("post_install", "-at_install")
class TestSchemeWritesOverRpc(SchemeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "Review Company B"})
        cls.cn = cls.env.ref("base.cn")
        cls.env["classification.rule"].create(
            {
                "scheme_id": cls.region.id,
                "category_id": cls.east.id,
                "criterion": "country",
                "country_ids": [Command.set(cls.cn.ids)],
            }
        )
        cls.b_manager = new_test_user(
            cls.env,
            login="cpc_review_b_manager",
            groups="sales_team.group_sale_manager",
            company_id=cls.company_b.id,
            company_ids=[Command.set(cls.company_b.ids)],
        )
        cls.a_private = cls.env["res.partner"].create(
            {
                "name": "Review A Private",
                "is_company": True,
                "company_id": cls.company_a.id,
                "country_id": cls.cn.id,
            }
        )

    def _as_b(self, records):
        return records.with_user(self.b_manager).with_context(
            allowed_company_ids=self.company_b.ids
        )

    def test_queue_of_rules_is_not_writable_over_rpc(self):
        # A's manual choice on its private partner.
        self.a_private[self.region_field] = self.west
        region = self._as_b(self.region)
        # An empty "queued by" would have the scheduler apply the shared
        # scheme's rules as superuser, over A's manual choices.
        for vals in (
            {
                "rules_queued": True,
                "rules_overwrite": True,
                "rules_cursor": 0,
                "rules_queued_uid": False,
            },
            {"rules_queued_uid": self.env.ref("base.user_admin").id},
        ):
            with self.assertRaisesRegex(AccessError, "queue of rules"):
                region.write(vals)
        with self.assertRaisesRegex(AccessError, "queue of rules"):
            self._as_b(self.env["classification.scheme"]).create(
                {
                    "name": "Queued",
                    "code": "REVQ",
                    "applies_to": "partner",
                    "rules_queued": True,
                }
            )
        self._run_queue()
        self.assertEqual(self.a_private[self.region_field], self.west)
        # The button still queues them, as its user.
        region.with_context(cpc_overwrite_manual=True).action_apply_rules()
        self.assertTrue(self.region.rules_queued)
        self.assertEqual(self.region.rules_queued_uid, self.b_manager)
        self._run_queue()
        self.assertEqual(self.a_private[self.region_field], self.west)

    def test_scheme_field_is_not_writable_over_rpc(self):
        # B's manager points B's scheme at the shared scheme's field, then
        # deletes or renames it: the addon drops or replaces "its" field.
        b_scheme = self.env["classification.scheme"].create(
            {
                "name": "Review B Scheme",
                "code": "REVB",
                "applies_to": "partner",
                "company_id": self.company_b.id,
            }
        )
        self.a_private[self.region_field] = self.west
        for vals in (
            {"field_id": self.region.field_id.id},
            {"field_id": self.region.field_id.id, "name": "Renamed"},
            {"field_name": self.region_field},
        ):
            with self.assertRaisesRegex(AccessError, "field of a scheme"):
                self._as_b(b_scheme).write(vals)
        self._as_b(b_scheme).unlink()
        self.assertIn(self.region_field, self.env["res.partner"]._fields)
        self.assertEqual(self.a_private[self.region_field], self.west)

    def test_category_search_with_values_the_ui_never_sends(self):
        self.a_private[self.region_field] = self.west
        Partner = self.env["res.partner"].with_user(self.b_manager)
        for value in (True, [True, "x", None], "West"):
            with self.subTest(value=value):
                found = Partner.search([("classification_category_ids", "=", value)])
                self.assertFalse(found & self.a_private, "A's partner stays hidden")

    def test_scheme_company_moves(self):
        # Into a company the manager does not work in: refused.
        with self.assertRaisesRegex(AccessError, "one of your current companies"):
            self._as_b(self.channel).write({"company_id": self.company_a.id})
        self.assertFalse(self.channel.company_id)
        # A shared scheme that classifies A's partner cannot become B's only:
        # A's partner would carry a category of B's private scheme.
        self.a_private[self.region_field] = self.west
        with self.assertRaisesRegex(UserError, "Test Region.*Review Company B"):
            self._as_b(self.region).write({"company_id": self.company_b.id})
        self.assertFalse(self.region.company_id)
        self.assertFalse(self.west.company_id)
        # An unused shared scheme may become B's.
        self._as_b(self.channel).write({"company_id": self.company_b.id})
        self.assertEqual(self.online.company_id, self.company_b)

    def test_category_does_not_move_to_another_scheme(self):
        b_scheme = self.env["classification.scheme"].create(
            {
                "name": "Review B Scheme",
                "code": "REVB",
                "applies_to": "partner",
                "company_id": self.company_b.id,
            }
        )
        self.a_private[self.region_field] = self.west
        with self.assertRaisesRegex(UserError, "West cannot move"):
            self._as_b(self.west).write({"scheme_id": b_scheme.id})
        self.assertEqual(self.west.scheme_id, self.region)
        self.assertFalse(self.west.company_id)
        # Writing its own scheme again is no move.
        self._as_b(self.west).write({"scheme_id": self.region.id, "name": "Far West"})
        self.assertEqual(self.a_private[self.region_field].name, "Far West")


@tagged("post_install", "-at_install")
class TestRunsWithHostileValues(ClassificationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer = cls._customer("Review Customer", is_company=True)
        cls._order(cls.customer, 500.0, date(2026, 5, 1))

    def test_reference_dates_out_of_range_are_refused_plainly(self):
        Wizard = self.env["partner.classification.wizard"].with_user(self.manager)
        # A day to come is refused by the wizard itself (issue 11), the far past
        # by the engine.
        with self.assertRaisesRegex(ValidationError, "still to come"):
            Wizard.create({"reference_date": "9999-12-31"})
        for day in ("0001-01-01",):
            wizard = Wizard.create({"reference_date": day})
            for action in (wizard.action_preview, wizard.action_apply):
                with self.assertRaisesRegex(UserError, "reference date must be"):
                    action()
        self.assertFalse(self._row(self.customer))
        self.assertEqual(Wizard.create({}).action_apply()["type"], "ir.actions.client")
        self.assertTrue(self._row(self.customer))

    @mute_logger(
        "odoo.addons.customer_product_classification.models.partner_classification"
    )
    def test_batch_size_parameter_set_to_garbage(self):
        Params = self.env["ir.config_parameter"].sudo()
        Classification = self.env["partner.classification"]
        for value, size in (
            ("abc", 20000),
            ("1e12", 20000),
            ("-1", 1),
            ("0", 1),
            ("10000000000000", 100000),
            (" 7 ", 7),
        ):
            Params.set_param(PARAM, value)
            self.assertEqual(Classification._cpc_batch_size(), size, value)
            self.env["classification.scheme"]._cron_apply_rules()
        # A negative size used to reach SQL as a negative OFFSET: every
        # company's run failed.
        Params.set_param(PARAM, "-1")
        Classification.with_context(
            allowed_company_ids=self.company.ids
        )._cron_classify_customers()
        self.assertTrue(self._row(self.customer).tier_id)
        self.assertFalse(self.company.cpc_classification_error)

    def test_used_rfm_segment_is_not_deleted(self):
        self._classify()
        segment = self._row(self.customer).segment_id
        self.assertTrue(segment)
        Segment = self.env["partner.rfm.segment"].with_user(self.manager)
        with self.assertRaisesRegex(UserError, f"{segment.name} is used"):
            Segment.browse(segment.id).unlink()
        # Mapped by no cell and used by nobody: deleted.
        Segment.create({"name": "Review Unused", "code": "REVIEW_UNUSED"}).unlink()
        self.assertEqual(self._row(self.customer).segment_id, segment)


@tagged("post_install", "-at_install")
class TestClassChangeNotesWithOtherRules(ValueCase):
    """Other addons' rules on messages keep their meaning, and cannot open the
    class-change notes: group rules are ORed together, global ones ANDed."""

    def test_notes_hidden_and_other_restrictions_kept(self):
        Rule = self.env["ir.rule"]
        messages = self.env["mail.message"].browse()
        # Like hr_recruitment's "All Chatter", for its own group.
        Rule.create(
            {
                "name": "Review: every message for contact creators",
                "model_id": self.env.ref("mail.model_mail_message").id,
                "groups": [Command.link(self.env.ref("base.group_partner_manager").id)],
                "domain_force": "[(1, '=', 1)]",
            }
        )
        # Another addon hiding some messages from every internal user.
        Rule.create(
            {
                "name": "Review: no e-mails for employees",
                "model_id": self.env.ref("mail.model_mail_message").id,
                "groups": [Command.link(self.env.ref("base.group_user").id)],
                "domain_force": "[('message_type', '!=', 'email')]",
            }
        )
        email = messages.create(
            {
                "model": "res.partner",
                "res_id": self.customer.id,
                "message_type": "email",
                "body": "Incoming e-mail",
            }
        )
        note = messages.search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", self.customer.id),
                (
                    "subtype_id",
                    "=",
                    self.env.ref(f"{MODULE}.mt_classification_change").id,
                ),
            ]
        )
        self.assertTrue(note)
        domain = [("id", "in", (note | email).ids)]

        def visible(user):
            self.env.invalidate_all()
            return messages.with_user(user).search(domain)

        self.assertFalse(visible(self.employee), "neither the note nor the e-mail")
        self.assertEqual(visible(self.clerk), email, "their rule opens all but notes")
        self.assertEqual(visible(self.salesman), note, "the note, not the e-mail")
