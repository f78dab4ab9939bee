# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Customer value is internal: who reads it, who changes it, where notes go."""

from datetime import timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import MODULE, TODAY, ClassificationCase

# Every field of res.partner that tells a customer's value.
VALUE_FIELDS = (
    "value_tier_id",
    "rfm_segment_id",
    "lifecycle_stage",
    "classification_id",
    "classification_tier_id",
    "classification_stage",
    "classification_segment_id",
    "classification_rfm_code",
    "classification_revenue",
    "classification_currency_id",
    "classification_order_count",
    "classification_average_order_value",
    "classification_first_order_date",
    "classification_last_order_date",
    "classification_recency_days",
    "classification_average_interval_days",
    "classification_is_pinned",
    "classification_pin_reason",
    "classification_pin_until",
)
PIN_REASON = "slow payer, consider dropping"


class ValueCase(ClassificationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.portal = new_test_user(
            cls.env, login="cpc_portal", groups="base.group_portal"
        )
        cls.public = new_test_user(
            cls.env, login="cpc_public", groups="base.group_public"
        )
        cls.employee = new_test_user(
            cls.env, login="cpc_employee", groups="base.group_user"
        )
        cls.clerk = new_test_user(
            cls.env,
            login="cpc_clerk",
            groups="base.group_user,base.group_partner_manager,base.group_allow_export",
        )
        cls.customer = cls._customer("Valued Ltd", is_company=True)
        cls._order(cls.customer, 900, TODAY - timedelta(days=10))
        cls._order(cls.customer, 300, TODAY - timedelta(days=40))
        for user in (cls.portal, cls.public):
            cls._order(user.partner_id, 100, TODAY - timedelta(days=20))
        cls.Classification.with_company(cls.company)._cpc_classify(
            cls.company, reference_date=TODAY
        )
        rows = cls.Classification.search(
            [
                ("partner_id", "in", (cls.customer | cls.portal.partner_id).ids),
                ("company_id", "=", cls.company.id),
            ]
        )
        rows.with_user(cls.manager).write(
            {"manual_stage": "at_risk", "pin_reason": PIN_REASON}
        )
        cls.row = rows.filtered(lambda r: r.partner_id == cls.customer)

    def _as(self, user, records):
        """``records`` as ``user`` would get them over RPC: a fresh transaction
        cache, so nothing read by another user is served from it."""
        self.env.invalidate_all()
        return records.with_user(user)


@tagged("post_install", "-at_install")
class TestValueFieldsAreInternal(ValueCase):
    def _outsiders(self):
        """Portal and public users on their own partner and on a customer's
        (which the portal user does not even see), the employee on both."""
        return [
            (self.portal, self.portal.partner_id),
            (self.public, self.public.partner_id),
            (self.employee, self.portal.partner_id | self.customer),
        ]

    def test_value_fields_are_for_classification_users_only(self):
        group = f"{MODULE}.group_classification_user"
        for name in VALUE_FIELDS:
            self.assertEqual(self.env["res.partner"]._fields[name].groups, group, name)

    def test_outsiders_cannot_read_any_value_field(self):
        for user, partners in self._outsiders():
            for name in VALUE_FIELDS:
                with self.subTest(user=user.login, field=name):
                    with self.assertRaises(AccessError):
                        self._as(user, partners).read([name])
                    with self.assertRaises(AccessError):
                        self._as(user, partners).web_read({name: {}})

    def test_outsiders_keep_reading_their_partners_without_value(self):
        for user, partners in self._outsiders():
            with self.subTest(user=user.login):
                # Portal and public users may not read every field of a partner
                # (bank accounts...), with or without this module.
                names = ["name", "email", "type", "parent_id", "category_id"]
                for row in self._as(user, partners).read(names):
                    self.assertFalse(set(VALUE_FIELDS) & set(row))
                    self.assertIn(row["name"], partners.mapped("name"))
                rows = self._as(user, self.env["res.partner"]).search_read(
                    [("id", "in", partners.ids)], names
                )
                self.assertEqual({row["id"] for row in rows}, set(partners.ids))
                self.assertFalse(set(VALUE_FIELDS) & set(rows[0]))
                self.assertFalse(
                    set(VALUE_FIELDS)
                    & set(self._as(user, self.env["res.partner"]).fields_get())
                )
                self.assertNotIn(
                    PIN_REASON,
                    str(self._as(user, partners).read(["display_name", "name"])),
                )

    def test_outsiders_cannot_search_or_group_by_value(self):
        tier = self.row.tier_id
        domains = [
            [("value_tier_id", "=", tier.id)],
            [("value_tier_id.name", "ilike", tier.name)],
            [("rfm_segment_id", "!=", False)],
            [("lifecycle_stage", "=", "at_risk")],
            [("classification_id", "!=", False)],
            [("classification_tier_id", "=", tier.id)],
            [("classification_pin_reason", "ilike", "slow")],
            [("classification_revenue", ">", 1000)],
            [("child_ids.value_tier_id", "=", tier.id)],
            [("commercial_partner_id.lifecycle_stage", "=", "at_risk")],
            [("user_ids.value_tier_id", "=", tier.id)],
        ]
        for user, _partners in self._outsiders():
            Partner = self._as(user, self.env["res.partner"])
            for domain in domains:
                with self.subTest(user=user.login, domain=domain):
                    with self.assertRaises(AccessError):
                        Partner.search(domain)
                    with self.assertRaises(AccessError):
                        Partner.search_count(domain)
            for name in ("value_tier_id", "rfm_segment_id", "lifecycle_stage"):
                with self.subTest(user=user.login, groupby=name):
                    with self.assertRaises(AccessError):
                        Partner.read_group([], ["__count"], [name])
                    with self.assertRaises(AccessError):
                        Partner.web_read_group([], ["__count"], [name])
                    with self.assertRaises(AccessError):
                        Partner.search([], order=f"{name}, id")
            # Their own searches still work.
            self.assertTrue(Partner.search([("name", "=", _partners[0].name)]))

    def test_users_records_do_not_tell_their_partner_value(self):
        """res.users delegates to res.partner: its inherited fields too."""
        for user in (self.portal, self.public, self.employee):
            for name in ("value_tier_id", "classification_pin_reason"):
                with self.subTest(user=user.login, field=name):
                    with self.assertRaises(AccessError):
                        self._as(user, user).read([name])
                    with self.assertRaises(AccessError):
                        self._as(user, self.env["res.users"]).search(
                            [(name, "!=", False)]
                        )
        self.assertEqual(
            self._as(self.salesman, self.portal).read(["lifecycle_stage"])[0][
                "lifecycle_stage"
            ],
            "at_risk",
        )

    def test_onchange_of_a_new_contact_tells_no_value(self):
        """A new contact shows its company's classes: the related fields are
        computed as superuser, but what the onchange returns is read as the
        user."""
        spec = {name: {} for name in VALUE_FIELDS}
        for user in (self.employee, self.clerk):
            for name in ("classification_pin_reason", "classification_tier_id"):
                with self.subTest(user=user.login), self.assertRaises(AccessError):
                    self._as(user, self.env["res.partner"]).onchange(
                        {"name": "New Contact", "parent_id": self.customer.id},
                        [],
                        {"name": {}, "parent_id": {}, name: {}},
                    )
        result = self._as(self.salesman, self.env["res.partner"]).onchange(
            {"name": "New Contact", "parent_id": self.customer.id},
            [],
            {"name": {}, "parent_id": {}, **spec},
        )
        self.assertIn(PIN_REASON, str(result))

    def test_open_classification_is_for_classification_users(self):
        with self.assertRaises(AccessError):
            self._as(self.employee, self.customer).action_open_classification()
        action = self._as(self.salesman, self.customer).action_open_classification()
        self.assertEqual(action["res_id"], self.row.id)

    def test_no_name_search_by_tier(self):
        tier = self.row.tier_id
        for user, _partners in self._outsiders():
            found = self._as(user, self.env["res.partner"]).name_search(tier.name)
            self.assertNotIn(self.customer.id, [pid for pid, _name in found])

    def test_export_gives_no_value(self):
        Partner = self._as(self.clerk, self.customer)
        exported = Partner.export_data(["name", "email"])["datas"]
        self.assertEqual(exported[0][0], "Valued Ltd")
        for name in (
            "value_tier_id",
            "classification_revenue",
            "classification_pin_reason",
        ):
            with self.subTest(field=name), self.assertRaises(AccessError):
                self._as(self.clerk, self.customer).export_data(["name", name])
        contact = self._customer("Contact of Valued", parent_id=self.customer.id)
        with self.assertRaises(AccessError):
            self._as(self.clerk, self.customer).export_data(
                ["name", "child_ids/classification_tier_id"]
            )
        with self.assertRaises(AccessError):
            self._as(self.clerk, contact).export_data(
                ["name", "parent_id/value_tier_id"]
            )

    def test_views_load_without_value_for_outsiders(self):
        for user in (self.employee, self.clerk):
            Partner = self._as(user, self.env["res.partner"])
            result = Partner.get_views(
                [(False, kind) for kind in ("form", "list", "kanban", "search")]
            )
            fields = result["models"]["res.partner"]["fields"]
            self.assertFalse(set(VALUE_FIELDS) & set(fields))
            for view in result["views"].values():
                for name in VALUE_FIELDS:
                    self.assertNotIn(f'"{name}"', view["arch"], user.login)
                    self.assertNotIn(f"'{name}'", view["arch"], user.login)
            # The form opens: what this module adds to it is read. (Without
            # Invoicing, Odoo's own fields of it, such as invoices, are not.)
            ours = {
                name: {}
                for name, field in Partner._fields.items()
                if name in fields
                and field._module == MODULE
                and (
                    not field.relational
                    or Partner.env[field.comodel_name].has_access("read")
                )
            }
            values = self._as(user, self.customer).web_read({"name": {}, **ours})[0]
            self.assertEqual(values["name"], "Valued Ltd")
            self.assertNotIn(PIN_REASON, str(values))

    def test_classification_users_still_see_value(self):
        partner = self._as(self.salesman, self.customer)
        values = partner.read(list(VALUE_FIELDS))[0]
        self.assertEqual(values["classification_pin_reason"], PIN_REASON)
        self.assertEqual(values["lifecycle_stage"], "at_risk")
        self.assertEqual(values["value_tier_id"][0], self.row.tier_id.id)
        self.assertEqual(values["classification_revenue"], 1200)
        Partner = self._as(self.salesman, self.env["res.partner"])
        self.assertIn(
            self.customer, Partner.search([("lifecycle_stage", "=", "at_risk")])
        )
        groups = Partner.read_group(
            [("id", "=", self.customer.id)], ["__count"], ["value_tier_id"]
        )
        self.assertEqual(groups[0]["value_tier_id"][0], self.row.tier_id.id)
        result = Partner.get_views([(False, "form"), (False, "list")])
        self.assertIn("classification_tier_id", result["views"]["form"]["arch"])
        self.assertIn("value_tier_id", result["views"]["list"]["arch"])

    def test_copies_carry_no_value(self):
        copy = self.customer.copy()
        self.assertFalse(copy.value_tier_id)
        self.assertFalse(copy.lifecycle_stage)
        self.assertFalse(copy.classification_id)

    def test_contact_managers_still_edit_partners(self):
        self._as(self.clerk, self.customer).write({"email": "valued@example.com"})
        self.assertEqual(self.customer.email, "valued@example.com")
        self.assertEqual(self.customer.classification_pin_reason, PIN_REASON)


@tagged("post_install", "-at_install")
class TestOnlyThePinIsWritable(ValueCase):
    def test_manager_changes_the_pin(self):
        row = self._as(self.manager, self.row)
        row.write({"manual_stage": "loyal", "pin_reason": "Friend of the house"})
        self.assertEqual(row.stage, "loyal")
        row.action_unpin()
        self.assertEqual(row.stage, row.computed_stage)

    def test_engine_owned_fields_are_refused(self):
        other = self.env["res.company"].create({"name": "CPC Other Company"})
        self.manager.company_ids |= other
        stranger = self._customer("Stranger")
        refused = {
            "company_id": other.id,
            "partner_id": stranger.id,
            "revenue": 1,
            "order_count": 99,
            "recency_score": 5,
            "rfm_code": "555",
            "computed_tier_id": self._tier("D").id,
            "tier_id": self._tier("D").id,
            "stage": "loyal",
            "computed_stage": "loyal",
            "segment_id": self._segment("lost").id,
            "classified_on": TODAY,
            "last_order_date": TODAY,
        }
        before = self.row.read(list(refused))[0]
        for name, value in refused.items():
            label = self.row._fields[name].string
            for user in (self.manager, self.env.ref("base.user_admin")):
                with (
                    self.subTest(field=name, user=user.login),
                    self.assertRaisesRegex(AccessError, f"{label}.*{name}"),
                ):
                    self._as(user, self.row).write({name: value})
            with self.subTest(field=name, user="sudo"), self.assertRaises(AccessError):
                self.row.sudo().write({name: value})
        self.env.invalidate_all()
        self.assertEqual(self.row.read(list(refused))[0], before)
        self.assertFalse(
            self._as(self.manager, self.Classification)
            .with_company(other)
            .search([("company_id", "=", other.id)])
        )

    def test_a_pin_with_an_engine_field_writes_nothing(self):
        with self.assertRaisesRegex(AccessError, "Valued Ltd.*Revenue"):
            self._as(self.manager, self.row).write(
                {"manual_stage": "loyal", "pin_reason": "x", "revenue": 0}
            )
        self.env.invalidate_all()
        self.assertEqual(self.row.manual_stage, "at_risk")
        self.assertEqual(self.row.pin_reason, PIN_REASON)

    def test_nobody_creates_or_deletes_classifications(self):
        for user in (self.manager, self.env.ref("base.user_admin")):
            with self.subTest(user=user.login):
                with self.assertRaises(AccessError):
                    self._as(user, self.Classification).create(
                        {"partner_id": self.customer.id, "company_id": self.company.id}
                    )
                with self.assertRaises(AccessError):
                    self._as(user, self.row).unlink()
        self.assertTrue(self.row.exists())

    def test_history_is_read_only_for_everyone(self):
        history = self.row.history_ids
        self.assertTrue(history)
        for user in (self.salesman, self.manager, self.env.ref("base.user_admin")):
            with self.subTest(user=user.login):
                rows = self._as(user, history)
                self.assertTrue(rows.read(["change_type"]))
                with self.assertRaises(AccessError):
                    rows.write({"reason": "rewritten"})
                with self.assertRaises(AccessError):
                    rows.unlink()
                with self.assertRaises(AccessError):
                    rows.create(
                        {
                            "classification_id": self.row.id,
                            "partner_id": self.customer.id,
                            "company_id": self.company.id,
                            "change_type": "tier",
                            "source": "manual",
                        }
                    )
        with self.assertRaisesRegex(AccessError, "Valued Ltd"):
            history.sudo().write({"reason": "rewritten"})
        for user in (self.employee, self.portal):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self._as(user, history).read(["change_type"])

    def test_engine_and_pin_lapse_still_write(self):
        row = self._as(self.manager, self.row)
        # Set while its last day was still to come (a past day is refused).
        with freeze_time(TODAY - timedelta(days=2)):
            row.write({"pin_until": TODAY - timedelta(days=1)})
        self._order(self.customer, 5000, TODAY - timedelta(days=2))
        self._classify()
        self.assertFalse(self.row.is_pinned)
        self.assertEqual(self.row.revenue, 6200)


@tagged("post_install", "-at_install")
class TestClassChangeNotes(ValueCase):
    def _notes(self, partner):
        return self.env["mail.message"].search(
            [
                ("model", "=", "res.partner"),
                ("res_id", "=", partner.id),
                (
                    "subtype_id",
                    "=",
                    self.env.ref(f"{MODULE}.mt_classification_change").id,
                ),
            ]
        )

    def _unpin_all(self):
        self.Classification.search([]).with_user(self.manager).action_unpin()

    def _churn(self):
        """A run a year later: every customer of the company changes stage."""
        return self._classify(day=TODAY + timedelta(days=400))

    def test_one_company_notes_every_customer(self):
        self.assertTrue(self._notes(self.customer), "the pin left a note")
        self.assertIn(PIN_REASON, self.row.history_ids.mapped("reason"))
        self._unpin_all()
        notes = self._notes(self.customer)
        self._churn()
        new = self._notes(self.customer) - notes
        self.assertEqual(len(new), 1)
        self.assertIn("Churned", new.body)

    def test_shared_partner_gets_no_note_once_another_company_exists(self):
        branchless = self.env["res.company"].create({"name": "CPC Company B"})
        own = self._customer("Own Customer", company_id=self.company.id)
        self._order(own, 100, TODAY - timedelta(days=5))
        self._classify()
        self._unpin_all()
        before_shared = self._notes(self.customer)
        before_own = self._notes(own)
        history = self.row.history_ids
        self._churn()
        self.assertEqual(self._notes(self.customer), before_shared)
        self.assertEqual(len(self._notes(own) - before_own), 1)
        self.assertIn(self.company.name, (self._notes(own) - before_own).body)
        # The history keeps the change, for the company's users only.
        self.assertTrue(self.row.history_ids - history)
        b_user = new_test_user(
            self.env,
            login="cpc_b_rep",
            groups="sales_team.group_sale_salesman",
            company_id=branchless.id,
            company_ids=[Command.set(branchless.ids)],
        )
        self.assertFalse(
            self._as(b_user, self.env["partner.classification.history"]).search(
                [("partner_id", "=", self.customer.id)]
            )
        )
        # Nor does a pin on the shared partner leave one.
        self._as(self.manager, self.row).write(
            {"manual_tier_id": self._tier("D").id, "pin_reason": "B must not know"}
        )
        self.assertEqual(self._notes(self.customer), before_shared)
        self.assertNotIn(
            "B must not know",
            str(self._as(b_user, self.customer).message_ids.mapped("body")),
        )

    def test_branch_users_read_the_company_partners_so_no_note(self):
        self.env["res.company"].create(
            {"name": "CPC Branch", "parent_id": self.company.id}
        )
        own = self._customer("Branch-visible Customer", company_id=self.company.id)
        self._order(own, 100, TODAY - timedelta(days=5))
        self._classify()
        before = self._notes(own)
        self._churn()
        self.assertEqual(self._notes(own), before)

    def test_notes_are_hidden_from_users_without_the_group(self):
        note = self._notes(self.customer)
        self.assertTrue(note)
        self.assertIn(note, self._as(self.salesman, self.customer).message_ids)
        self.assertIn(
            PIN_REASON.split(",")[0], str(self.row.history_ids.mapped("reason"))
        )
        for user in (self.employee, self.clerk):
            with self.subTest(user=user.login):
                self.assertNotIn(note, self._as(user, self.customer).message_ids)
                with self.assertRaises(AccessError):
                    self._as(user, note).read(["body"])
                # Other messages of the partner stay readable.
                self.customer.message_post(body="Call back on Monday")
                self.assertIn(
                    "Call back on Monday",
                    str(self._as(user, self.customer).message_ids.mapped("body")),
                )
        portal_note = self._notes(self.portal.partner_id)
        self.assertTrue(portal_note)
        partner = self._as(self.portal, self.portal.partner_id)
        self.assertNotIn(portal_note, partner.message_ids)
        with self.assertRaises(AccessError):
            self._as(self.portal, portal_note).read(["body"])
