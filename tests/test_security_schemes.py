# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import base64
import contextlib

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .scheme_common import MODULE, SchemeCase


@tagged("post_install", "-at_install")
class TestNormalAbilitiesKept(SchemeCase):
    """Users without any classification group keep what Odoo lets them do."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The seeded schemes and rules react, as in a fresh database.
        cls.seeded.active = True
        cls.seeded_region = cls.env.ref(f"{MODULE}.scheme_region")
        cls.seeded_size = cls.env.ref(f"{MODULE}.scheme_company_size")
        cls.seeded_offering = cls.env.ref(f"{MODULE}.scheme_offering")
        cls.contact_creator = new_test_user(
            cls.env,
            login="cpc_contacts_only",
            groups="base.group_user,base.group_partner_manager",
        )
        cls.invoicing = new_test_user(
            cls.env,
            login="cpc_invoicing_only",
            groups="account.group_account_invoice,base.group_partner_manager",
        )
        cls.product_creator = new_test_user(
            cls.env,
            login="cpc_products_only",
            groups="base.group_user,product.group_product_manager",
        )
        cls.accountant = new_test_user(
            cls.env, login="cpc_accountant", groups="account.group_account_manager"
        )
        cls.hk = cls.env.ref("base.hk")

    def test_contact_and_invoicing_users_create_and_edit_partners(self):
        hmt = self.env.ref(f"{MODULE}.category_region_hmt")
        large = self.env.ref(f"{MODULE}.category_company_size_large")
        small = self.env.ref(f"{MODULE}.category_company_size_small")
        for user in self.contact_creator | self.invoicing:
            Partner = self.env["res.partner"].with_user(user)
            self.assertFalse(
                user.has_group(f"{MODULE}.group_classification_user"), user.login
            )
            partner = Partner.create(
                {"name": f"Kowloon Trading {user.login}", "is_company": True}
            )
            partner.write({"country_id": self.hk.id, "cpc_employee_count": 20})
            self.assertEqual(partner.sudo()[self.seeded_region.field_name], hmt)
            self.assertEqual(partner.sudo()[self.seeded_size.field_name], small)
            partner.cpc_employee_count = 5000
            self.assertEqual(partner.sudo()[self.seeded_size.field_name], large)
            # Rules were applied for them: the categories count as set by rules.
            self.assertIn(
                self.seeded_size, partner.sudo().classification_auto_scheme_ids
            )
            pid, __ = Partner.name_create(f"Quick Contact {user.login}")
            self.assertTrue(Partner.browse(pid).exists())
            created = Partner.create(
                {
                    "name": f"Created in HK {user.login}",
                    "is_company": True,
                    "country_id": self.hk.id,
                }
            )
            self.assertEqual(created.sudo()[self.seeded_region.field_name], hmt)

    def test_product_creators_without_classification_groups(self):
        service = self.env.ref(f"{MODULE}.category_offering_service")
        product = self.env.ref(f"{MODULE}.category_offering_product")
        field = self.seeded_offering.field_name
        for user in self.product_creator | self.accountant:
            self.assertFalse(
                user.has_group(f"{MODULE}.group_classification_user"), user.login
            )
            template = (
                self.env["product.template"]
                .with_user(user)
                .create({"name": f"Setup {user.login}", "type": "service"})
            )
            self.assertEqual(template.sudo()[field], service)
            template.type = "consu"
            self.assertEqual(template.sudo()[field], product)
            name_id, __ = (
                self.env["product.template"]
                .with_user(user)
                .name_create(f"Quick {user.login}")
            )
            self.assertEqual(
                self.env["product.template"].browse(name_id)[field], product
            )

    def test_internal_users_read_schemes_managers_configure(self):
        employee = new_test_user(self.env, login="cpc_plain_employee")
        Scheme = self.env["classification.scheme"].with_user(employee)
        self.assertIn(self.region, Scheme.search([]))
        self.assertIn(
            self.east,
            self.env["classification.category"].with_user(employee).search([]),
        )
        self.assertEqual(self.east.with_user(employee).complete_name, "East")
        with self.assertRaises(AccessError):
            Scheme.create({"name": "Nope", "code": "NOPE", "applies_to": "partner"})
        with self.assertRaises(AccessError):
            self.east.with_user(employee).name = "Renamed"
        with self.assertRaises(AccessError):
            self.env["classification.rule"].with_user(employee).search([])
        self.assertTrue(
            self.env["classification.rule"].with_user(self.salesman).search([])
        )
        portal = new_test_user(self.env, login="cpc_portal", groups="base.group_portal")
        with self.assertRaises(AccessError):
            self.env["classification.category"].with_user(portal).search([])

    def test_portal_users_never_read_categories(self):
        partner = self._company("Portal Customer")
        partner[self.region_field] = self.east
        portal = new_test_user(
            self.env,
            login="cpc_portal_reader",
            groups="base.group_portal",
            partner_id=partner.id,
        )
        mine = partner.with_user(portal)
        self.assertTrue(mine.read(["name"])[0]["name"])
        for field in (self.region_field, "classification_category_ids"):
            with self.assertRaises(AccessError, msg=field):
                mine.read([field])
        self.assertNotIn(self.region_field, mine.fields_get())


@tagged("post_install", "-at_install")
class TestViewsSameForEveryone(SchemeCase):
    """Views are cached per language and companies: not per user."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.employee = new_test_user(
            cls.env,
            login="cpc_view_employee",
            groups="base.group_user,base.group_partner_manager",
        )
        cls.portal = new_test_user(
            cls.env, login="cpc_view_portal", groups="base.group_portal"
        )

    def _arch(self, user, view_type, model="res.partner"):
        return self.env[model].with_user(user).get_view(view_type=view_type)["arch"]

    def _seen(self, user):
        return {
            view_type: self.region_field in self._arch(user, view_type)
            for view_type in ("form", "list", "search")
        } | {
            "product form": self.grade_field
            in self._arch(user, "form", "product.template")
        }

    def test_every_user_gets_what_their_groups_allow_whoever_came_first(self):
        expected = {
            # The form shows the scheme fields on the classification page.
            self.manager: {
                "form": True,
                "list": True,
                "search": True,
                "product form": True,
            },
            # Internal users see and search the categories (master data), but not
            # the classification page of the form.
            self.employee: {
                "form": False,
                "list": True,
                "search": True,
                "product form": False,
            },
        }
        for order in (
            (self.employee, self.manager, self.portal),
            (self.portal, self.manager, self.employee),
            (self.manager, self.employee, self.portal),
        ):
            self.env.registry.clear_cache("templates")
            for user in order:
                if user == self.portal:
                    arch = self._arch(user, "form")
                    self.assertNotIn(self.region_field, arch, "portal form")
                    self.assertNotIn(self.region_field, self._arch(user, "list"))
                    continue
                self.assertEqual(
                    self._seen(user), expected[user], f"{user.login} after {order}"
                )


@tagged("post_install", "-at_install")
class TestCompanyIsolation(SchemeCase):
    """Company B never sees, counts or changes company A's records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.env.company
        cls.company_b = cls.env["res.company"].create({"name": "CPC Company B"})
        cls.cn = cls.env.ref("base.cn")
        Scheme = cls.env["classification.scheme"]
        Category = cls.env["classification.category"]
        Rule = cls.env["classification.rule"]
        cls.b_scheme = Scheme.create(
            {
                "name": "B Territories",
                "code": "BTERR",
                "applies_to": "partner",
                "company_id": cls.company_b.id,
            }
        )
        cls.b_china = Category.create(
            {"scheme_id": cls.b_scheme.id, "name": "B China Desk", "code": "BCN"}
        )
        cls.b_field = cls.b_scheme.field_name
        Rule.create(
            [
                {
                    "scheme_id": cls.b_scheme.id,
                    "category_id": cls.b_china.id,
                    "criterion": "country",
                    "country_ids": [Command.set(cls.cn.ids)],
                },
                {
                    "scheme_id": cls.region.id,
                    "category_id": cls.east.id,
                    "criterion": "country",
                    "country_ids": [Command.set(cls.cn.ids)],
                },
            ]
        )

        def user(login, company, groups):
            return new_test_user(
                cls.env,
                login=login,
                groups=groups,
                company_id=company.id,
                company_ids=[Command.set(company.ids)],
            )

        cls.a_manager = user(
            "cpc_a_manager", cls.company_a, "sales_team.group_sale_manager"
        )
        cls.b_manager = user(
            "cpc_b_manager", cls.company_b, "sales_team.group_sale_manager"
        )
        cls.a_rep = user(
            "cpc_a_rep",
            cls.company_a,
            "sales_team.group_sale_salesman,base.group_partner_manager",
        )
        cls.both_manager = new_test_user(
            cls.env,
            login="cpc_ab_manager",
            groups="sales_team.group_sale_manager",
            company_id=cls.company_a.id,
            company_ids=[Command.set((cls.company_a | cls.company_b).ids)],
        )
        cls.a_private = cls._company_cls("A Private", cls.company_a)
        cls.b_private = cls._company_cls("B Private", cls.company_b)
        cls.shared = cls._company_cls("Shared Customer", None)

    @classmethod
    def _company_cls(cls, name, company):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "company_id": company.id if company else False,
            }
        )

    @contextlib.contextmanager
    def _refused(self, pattern):
        # assertRaisesRegex has no savepoint of its own: the refused write must
        # not stay behind for the next steps (a request would roll it back).
        with self.assertRaisesRegex(ValidationError, pattern), self.env.cr.savepoint():
            yield

    def test_rules_of_a_private_scheme_stay_in_its_company(self):
        (self.a_private | self.b_private | self.shared).country_id = self.cn
        self.assertFalse(self.a_private[self.b_field])
        self.assertFalse(self.shared[self.b_field])
        self.assertEqual(self.b_private[self.b_field], self.b_china)
        # The shared scheme's rules apply everywhere.
        for partner in self.a_private | self.b_private | self.shared:
            self.assertEqual(partner[self.region_field], self.east, partner.name)
        # A's users read nothing of B's scheme on their partner.
        a_view = self.a_private.with_user(self.a_manager)
        self.assertFalse(a_view.classification_category_ids - self.east)
        created = (
            self.env["res.partner"]
            .with_user(self.a_rep)
            .create({"name": "A New", "is_company": True, "country_id": self.cn.id})
        )
        self.assertEqual(created.company_id, self.env["res.company"])
        self.assertFalse(created.sudo()[self.b_field])

    def test_bulk_rules_touch_only_what_the_user_may_write(self):
        partners = self.a_private | self.b_private | self.shared
        partners[self.region_field] = self.west  # chosen by a person
        self.env.cr.execute(
            "UPDATE res_partner SET country_id = %s WHERE id = ANY(%s)",
            [self.cn.id, partners.ids],
        )
        partners.invalidate_recordset()
        # B's manager applies the shared scheme's rules to all, overwriting.
        self.region.with_user(self.b_manager).with_context(
            cpc_overwrite_manual=True
        ).action_apply_rules()
        self.assertEqual(self.region.rules_queued_uid, self.b_manager)
        self._run_queue()
        self.assertEqual(self.a_private[self.region_field], self.west)
        self.assertEqual(self.b_private[self.region_field], self.east)
        self.assertEqual(self.shared[self.region_field], self.east)
        # The server action, from a list holding another company's record.
        self.b_private[self.region_field] = self.west
        self.shared[self.region_field] = self.west
        action = self.env.ref(f"{MODULE}.res_partner_action_apply_rules")
        action.with_user(self.a_manager).with_context(
            active_model="res.partner", active_ids=partners.ids
        ).run()
        self.assertEqual(self.b_private[self.region_field], self.west)
        # Manual choices are kept by the server action; a's empty field is set.
        self.a_private[self.region_field] = False
        action.with_user(self.a_manager).with_context(
            active_model="res.partner", active_ids=partners.ids
        ).run()
        self.assertEqual(self.a_private[self.region_field], self.east)
        self.assertEqual(self.b_private[self.region_field], self.west)

    def test_no_category_of_another_company(self):
        # Directly, by a user of A who cannot even read B's category.
        with self._refused("A Private.*B China Desk"):
            self.a_private.with_user(self.a_manager).write(
                {self.b_field: self.b_china.id}
            )
        # By a user of both companies, through the field of all schemes.
        with self._refused("A Private.*CPC Company B"):
            self.a_private.with_user(self.both_manager).with_context(
                allowed_company_ids=(self.company_a | self.company_b).ids
            ).classification_category_ids = self.b_china
        # A shared partner takes shared schemes only.
        with self._refused("Shared Customer.*shared"):
            self.env["res.partner"].create(
                {"name": "Shared Customer 2", self.b_field: self.b_china.id}
            ).flush_recordset()
        # A partner moving to A cannot keep B's category.
        self.b_private[self.b_field] = self.b_china
        with self._refused("B Private"):
            self.b_private.company_id = self.company_a
        # Contacts of B's partner carry it; B's own partner keeps it.
        contact = self.env["res.partner"].create(
            {"name": "B Contact", "parent_id": self.b_private.id}
        )
        self.assertEqual(contact[self.b_field], self.b_china)
        # And a category of another scheme is refused, naming the record.
        with self._refused("A Private.*not a category"):
            self.a_private.write({self.region_field: self.online.id})

    def test_import_does_not_find_another_company_category(self):
        from .test_classification_import import csv_bytes

        content = csv_bytes([["name", "BTERR"], ["A Private", "BCN"]])
        wizard = (
            self.env["classification.import.wizard"]
            .with_user(self.both_manager)
            .with_context(allowed_company_ids=self.company_a.ids)
            .create(
                {
                    "applies_to": "partner",
                    "file": base64.b64encode(content),
                    "filename": "file.csv",
                }
            )
        )
        wizard.action_check()
        self.assertEqual(wizard.state, "error")
        self.assertFalse(self.a_private[self.b_field])
        # With both companies active, the check finds it, the write refuses it.
        wizard = (
            self.env["classification.import.wizard"]
            .with_user(self.both_manager)
            .with_context(allowed_company_ids=(self.company_a | self.company_b).ids)
            .create(
                {
                    "applies_to": "partner",
                    "file": base64.b64encode(content),
                    "filename": "file.csv",
                }
            )
        )
        wizard.action_check()
        if wizard.state == "preview":
            with self._refused("A Private"):
                wizard.action_import()
        self.assertFalse(self.a_private[self.b_field])

    def test_counts_searches_and_lookups_stay_in_the_company(self):
        self.b_private[self.b_field] = self.b_china
        for partner in self.a_private | self.b_private | self.shared:
            partner[self.region_field] = self.shanghai
        Category = self.env["classification.category"]
        self.assertEqual(self.east.with_user(self.a_manager).record_count, 2)
        self.assertEqual(self.east.with_user(self.b_manager).record_count, 2)
        self.assertEqual(self.east.record_count, 3)
        self.assertEqual(self.b_china.with_user(self.b_manager).record_count, 1)
        # A's users neither find B's categories nor records by them.
        Partner = self.env["res.partner"].with_user(self.a_manager)
        self.assertFalse(
            Partner.search([("classification_category_ids", "in", self.b_china.ids)])
        )
        self.assertFalse(
            Partner.search([("classification_category_ids", "ilike", "B China")])
        )
        self.assertNotIn(self.b_china, Category.with_user(self.a_manager).search([]))
        self.assertNotIn(
            self.b_scheme,
            self.env["classification.scheme"]
            .with_user(self.a_manager)
            ._active_for("res.partner"),
        )
        self.assertIn(
            self.b_scheme,
            self.env["classification.scheme"]
            .with_user(self.b_manager)
            ._active_for("res.partner"),
        )
        panel = Partner.search_panel_select_multi_range(
            "classification_category_ids",
            expand=True,
            comodel_domain=[("applies_to", "=", "partner")],
        )
        shown = {value["id"] for value in panel["values"]}
        self.assertIn(self.east.id, shown)
        self.assertNotIn(self.b_china.id, shown)
        arch = Partner.get_view(view_type="list")["arch"]
        self.assertNotIn(self.b_field, arch)
        self.assertIn(
            self.b_field,
            self.env["res.partner"]
            .with_user(self.b_manager)
            .get_view(view_type="list")["arch"],
        )
