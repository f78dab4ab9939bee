# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import base64

from psycopg2 import IntegrityError
from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, Command, api
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import TransactionCase, freeze_time, new_test_user, tagged
from odoo.tools import mute_logger
from odoo.tools.safe_eval import safe_eval

from .scheme_common import SchemeCase


class CodingCase(SchemeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Rule = cls.env["classification.coding.rule"]
        cls.Wizard = cls.env["classification.coding.wizard"]
        cls.other_company = cls.env["res.company"].create({"name": "CPC Coding Branch"})

    @classmethod
    def _rule(cls, parts, **values):
        return cls.Rule.create(
            {
                "name": values.pop("name", "Test coding rule"),
                "applies_to": values.pop("applies_to", "partner"),
                "company_id": values.pop("company_id", False),
                "part_ids": [
                    Command.create({"sequence": index, **part})
                    for index, part in enumerate(parts)
                ],
                **values,
            }
        )

    @staticmethod
    def _region(level=0, full_path=False, scheme=None):
        return {
            "kind": "scheme",
            "scheme_id": scheme.id if scheme else None,
            "level": level,
            "full_path": full_path,
        }

    def _code(self, records, **kwargs):
        return self.Rule._cpc_code(records, **kwargs)

    def _wizard(self, **values):
        return self.Wizard.with_user(self.manager).create(values)


@tagged("post_install", "-at_install")
class TestCodingPatterns(CodingCase):
    def _region_rule(self, **part):
        return self._rule(
            [
                dict(self._region(scheme=self.region), **part),
                {"kind": "separator", "value": "-"},
                {"kind": "text", "value": "KA"},
                {"kind": "separator", "value": "-"},
                {"kind": "sequence"},
            ],
            padding=5,
        )

    def test_a_part_alone_cannot_break_its_rule(self):
        rule = self._region_rule()
        number = rule.part_ids.filtered(lambda part: part.kind == "sequence")
        with self.assertRaisesRegex(ValidationError, "exactly one sequence part"):
            number.with_user(self.manager).write({"kind": "text", "value": "X"})
        # Deleted, the number would leave codes that repeat: refused at once
        # (session 5: on the deletion itself, no longer when coding).
        with self.assertRaisesRegex(ValidationError, "exactly one sequence part"):
            number.with_user(self.manager).unlink()

    def test_scheme_category_own_code_and_levels(self):
        partner = self._company(
            "Pudong Trading", **{self.region_field: self.shanghai.id}
        )
        rule = self._region_rule()
        self._code(partner)
        self.assertEqual(partner.ref, "SH-KA-00001")
        rule.part_ids[0].write({"full_path": True})
        partner.ref = False
        self._code(partner)
        self.assertEqual(partner.ref, "EAST-SH-KA-00001")
        rule.part_ids[0].write({"level": 1, "full_path": False})
        partner.ref = False
        self._code(partner)
        self.assertEqual(partner.ref, "EAST-KA-00001")

    def test_missing_part_gives_no_code_and_a_reason(self):
        self._rule(
            [
                self._region(level=2, full_path=True, scheme=self.region),
                {"kind": "sequence"},
            ]
        )
        deep = self._company("Deep", **{self.region_field: self.shanghai.id})
        shallow = self._company("Shallow", **{self.region_field: self.east.id})
        nowhere = self._company("Nowhere")
        lines = {line["record"]: line for line in self._code(deep | shallow | nowhere)}
        self.assertEqual(deep.ref, "EAST-SH0001")
        self.assertFalse(shallow.ref)
        self.assertFalse(nowhere.ref)
        self.assertIn("no level 2", lines[shallow]["reason"])
        self.assertIn("Test Region", lines[nowhere]["reason"])

    def test_one_sequence_per_prefix(self):
        self._region_rule()
        east = [
            self._company(f"East {n}", **{self.region_field: self.east.id})
            for n in range(3)
        ]
        west = self._company("West 1", **{self.region_field: self.west.id})
        self._code(self.env["res.partner"].union(*east, west))
        self.assertEqual(
            [p.ref for p in east], ["EAST-KA-00001", "EAST-KA-00002", "EAST-KA-00003"]
        )
        self.assertEqual(west.ref, "WEST-KA-00001")

    def test_fixed_text_year_and_month(self):
        self._rule(
            [
                {"kind": "text", "value": "C"},
                {"kind": "year_month"},
                {"kind": "separator", "value": "/"},
                {"kind": "sequence"},
            ],
            padding=3,
        )
        partner = self._company("Monthly")
        with freeze_time("2026-03-15 10:00:00"):
            self._code(partner)
        self.assertEqual(partner.ref, "C202603/001")

    def test_yearly_restart_and_continuous_numbering(self):
        parts = [
            {"kind": "year"},
            {"kind": "separator", "value": "-"},
            {"kind": "sequence"},
        ]
        rule = self._rule(parts, restart="yearly", padding=3)
        first, second, third = (self._company(f"Yearly {n}") for n in range(3))
        with freeze_time("2026-12-31 12:00:00"):
            self._code(first | second)
        with freeze_time("2027-01-02 12:00:00"):
            self._code(third)
        self.assertEqual(
            (first.ref, second.ref, third.ref), ("2026-001", "2026-002", "2027-001")
        )
        # A rule that never restarts numbers on across years (session 5: its
        # new numbering starts after the highest number given with the
        # prefix, 2026-002, rather than at 1).
        rule.restart = "never"
        fourth = self._company("Yearly 4")
        with freeze_time("2028-01-02 12:00:00"):
            self._code(fourth)
        self.assertEqual(fourth.ref, "2028-003")
        fifth = self._company("Yearly 5")
        with freeze_time("2029-01-02 12:00:00"):
            self._code(fifth)
        self.assertEqual(fifth.ref, "2029-004")

    def test_monthly_restart(self):
        self._rule(
            [{"kind": "year_month"}, {"kind": "sequence"}], restart="monthly", padding=2
        )
        march, march2, april = (self._company(f"Monthly {n}") for n in range(3))
        with freeze_time("2026-03-31 12:00:00"):
            self._code(march | march2)
        with freeze_time("2026-04-01 12:00:00"):
            self._code(april)
        self.assertEqual(
            (march.ref, march2.ref, april.ref), ("20260301", "20260302", "20260401")
        )

    def test_restart_needs_the_date_in_the_code(self):
        with self.assertRaises(ValidationError):
            self._rule([{"kind": "sequence"}], restart="yearly")
        with self.assertRaises(ValidationError):
            self._rule([{"kind": "year"}, {"kind": "sequence"}], restart="monthly")
        with self.assertRaises(ValidationError):
            self._rule([{"kind": "text", "value": "X"}])

    def test_value_tier_code(self):
        self._rule(
            [
                {"kind": "value_tier"},
                {"kind": "separator", "value": "-"},
                {"kind": "sequence"},
            ]
        )
        tier = self.env.company.cpc_value_tier_ids[:1]
        partner = self._company("Tiered")
        partner.sudo().value_tier_id = tier
        untiered = self._company("Untiered")
        lines = {line["record"]: line for line in self._code(partner | untiered)}
        self.assertEqual(partner.ref, f"{tier.code}-0001")
        self.assertFalse(untiered.ref)
        self.assertIn("No value tier", lines[untiered]["reason"])

    def test_first_rule_whose_domain_takes_the_record(self):
        self._rule(
            [{"kind": "text", "value": "BIG"}, {"kind": "sequence"}],
            sequence=1,
            domain="[('cpc_employee_count', '>=', 100)]",
        )
        self._rule([{"kind": "text", "value": "SME"}, {"kind": "sequence"}], sequence=2)
        big = self._company("Big", cpc_employee_count=500)
        small = self._company("Small", cpc_employee_count=5)
        self._code(big | small)
        self.assertEqual((big.ref, small.ref), ("BIG0001", "SME0001"))

    def test_codes_already_in_use_are_skipped(self):
        self._rule([{"kind": "text", "value": "T"}, {"kind": "sequence"}])
        self._company("Legacy", ref="T0001")
        partner = self._company("New")
        self._code(partner)
        self.assertEqual(partner.ref, "T0002")

    def test_contacts_show_their_company_code(self):
        self._rule([{"kind": "text", "value": "K"}, {"kind": "sequence"}])
        company = self._company("Head Office")
        contact = self.env["res.partner"].create(
            {"name": "Buyer", "parent_id": company.id}
        )
        self._code(contact.commercial_partner_id)
        self.assertEqual(company.ref, "K0001")
        self.assertFalse(contact.ref, "a contact's own Reference stays its own")
        self.assertEqual(contact.cpc_company_code, "K0001")


@tagged("post_install", "-at_install")
class TestProductCodes(CodingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.beverage = cls.env["product.category"].create(
            {"name": "Beverages", "code": "BEV"}
        )
        cls._rule(
            [
                {"kind": "text", "value": "FMCG"},
                {"kind": "separator", "value": "-"},
                {"kind": "product_category"},
                {"kind": "separator", "value": "-"},
                {"kind": "sequence"},
            ],
            applies_to="product",
        )
        cls.size = cls.env["product.attribute"].create(
            {
                "name": "Bottle Size",
                "value_ids": [Command.create({"name": n}) for n in ("S", "M", "L")],
            }
        )

    def _product(self, name, with_variants=False):
        values = {"name": name, "categ_id": self.beverage.id}
        if with_variants:
            values["attribute_line_ids"] = [
                Command.create(
                    {
                        "attribute_id": self.size.id,
                        "value_ids": [Command.set(self.size.value_ids.ids)],
                    }
                )
            ]
        return self.env["product.template"].create(values)

    def test_product_category_code_and_single_variant(self):
        tea = self._product("Green Tea")
        self._code(tea)
        self.assertEqual(tea.cpc_code, "FMCG-BEV-0001")
        self.assertEqual(tea.default_code, "FMCG-BEV-0001")
        self.assertEqual(tea.product_variant_ids.default_code, "FMCG-BEV-0001")

    def test_variants_take_the_code_and_a_suffix(self):
        juice = self._product("Juice", with_variants=True)
        self._code(juice)
        self.assertEqual(juice.cpc_code, "FMCG-BEV-0001")
        self.assertEqual(
            juice.product_variant_ids.sorted("id").mapped("default_code"),
            ["FMCG-BEV-0001-01", "FMCG-BEV-0001-02", "FMCG-BEV-0001-03"],
        )
        # A value added later: the new variant gets the next suffix, the
        # others keep theirs.
        xl = self.env["product.attribute.value"].create(
            {"name": "XL", "attribute_id": self.size.id}
        )
        juice.attribute_line_ids.value_ids = [Command.link(xl.id)]
        self.assertEqual(
            juice.product_variant_ids.sorted("id").mapped("default_code"),
            [
                "FMCG-BEV-0001-01",
                "FMCG-BEV-0001-02",
                "FMCG-BEV-0001-03",
                "FMCG-BEV-0001-04",
            ],
        )

    def test_product_without_category_code_is_skipped(self):
        bare = self.env["product.category"].create({"name": "No code"})
        thing = self.env["product.template"].create(
            {"name": "Thing", "categ_id": bare.id}
        )
        [line] = self._code(thing)
        self.assertFalse(thing.default_code)
        self.assertIn("has no code", line["reason"])

    def test_product_category_codes_are_validated(self):
        with self.assertRaises(ValidationError):
            self.env["product.category"].create({"name": "Formula", "code": "=SUM"})
        with self.assertRaises(ValidationError):
            self.env["product.category"].create({"name": "Again", "code": "bev"})

    def test_variant_codes_unique_per_company(self):
        tea = self._product("Tea")
        tea.default_code = "TEA-1"
        with self.assertRaises(ValidationError):
            self._product("Other Tea").default_code = "TEA-1"
        # Another company's product may carry it, the shared one excepted.
        other = self.env["product.template"].create(
            {"name": "Branch Tea", "company_id": self.other_company.id}
        )
        with self.assertRaises(ValidationError):
            other.default_code = "TEA-1"
        tea.company_id = self.env.company
        other.default_code = "TEA-1"
        self.assertEqual(other.default_code, "TEA-1")

    def test_old_variant_code_finds_the_product(self):
        tea = self._product("Oolong")
        tea.default_code = "OLD-TEA"
        self._code(tea, recode=True)
        self.assertEqual(tea.default_code, "FMCG-BEV-0001")
        Product = self.env["product.product"]
        self.assertEqual(
            Product.name_search("OLD-TEA")[0][0], tea.product_variant_id.id
        )
        self.assertIn(
            tea,
            self.env["product.template"].search([("display_name", "ilike", "OLD-TEA")]),
        )
        self.assertIn(
            tea,
            self.env["product.template"].search([("cpc_former_code", "=", "OLD-TEA")]),
        )


@tagged("post_install", "-at_install")
class TestCodeUniqueness(CodingCase):
    def test_unique_per_company_and_across_shared(self):
        Partner = self.env["res.partner"]
        a = Partner.create(
            {"name": "A", "company_id": self.env.company.id, "ref": "U1"}
        )
        b = Partner.create(
            {"name": "B", "company_id": self.other_company.id, "ref": "U1"}
        )
        self.assertEqual((a.ref, b.ref), ("U1", "U1"))
        with self.assertRaisesRegex(ValidationError, "U1"):
            Partner.create(
                {"name": "C", "company_id": self.env.company.id, "ref": "U1"}
            )
        with self.assertRaises(ValidationError):
            Partner.create({"name": "Shared", "ref": "U1"})
        shared = Partner.create({"name": "Shared", "ref": "U2"})
        with self.assertRaises(ValidationError):
            b.ref = "U2"
        with self.assertRaises(ValidationError):
            shared.copy({"ref": "U2"})
        self.assertFalse(shared.copy().ref, "a duplicate does not copy the code")

    def test_database_refuses_duplicates(self):
        Partner = self.env["res.partner"]
        Partner.create({"name": "A", "company_id": self.env.company.id, "ref": "DB1"})
        b = Partner.create({"name": "B", "company_id": self.env.company.id})
        Partner.create({"name": "S", "ref": "DB2"})
        s2 = Partner.create({"name": "S2"})
        self.env.flush_all()
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.cr.savepoint(),
        ):
            self.cr.execute("UPDATE res_partner SET ref = 'DB1' WHERE id = %s", [b.id])
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.cr.savepoint(),
        ):
            self.cr.execute("UPDATE res_partner SET ref = 'DB2' WHERE id = %s", [s2.id])

    def test_install_over_colliding_codes(self):
        Partner = self.env["res.partner"]
        first = Partner.create({"name": "Legacy One", "ref": "DUP"})
        second = Partner.create({"name": "Legacy Two"})
        third = Partner.create({"name": "Legacy Three"})
        self.env.flush_all()
        # A database from before the addon: no index, colliding codes.
        self.cr.execute(
            "DROP INDEX res_partner_cpc_code_company_uniq, "
            "res_partner_cpc_code_shared_uniq"
        )
        self.cr.execute(
            "UPDATE res_partner SET ref = 'DUP' WHERE id IN %s", [(second.id, third.id)]
        )
        self.env.invalidate_all()
        Partner.init()  # as the installation does
        action = self.env.ref(
            "customer_product_classification.res_partner_action_code_collision"
        )
        collisions = Partner.with_user(self.manager).search(safe_eval(action.domain))
        self.assertEqual(collisions, first | second | third)
        # A manager resolves them: the records leave the list and the index
        # holds them again.
        second.with_user(self.manager).ref = "DUP-2"
        self.assertTrue(first.cpc_code_collision)
        third.with_user(self.manager).ref = "DUP-3"
        self.assertFalse((first | second | third).filtered("cpc_code_collision"))
        self.env.flush_all()
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.cr.savepoint(),
        ):
            self.cr.execute(
                "UPDATE res_partner SET ref = 'DUP' WHERE id = %s", [second.id]
            )

    def test_install_over_colliding_product_codes(self):
        Product = self.env["product.product"]
        one = Product.create({"name": "P1", "default_code": "PDUP"})
        two = Product.create({"name": "P2"})
        self.env.flush_all()
        self.cr.execute(
            "DROP INDEX product_product_cpc_code_company_uniq, "
            "product_product_cpc_code_shared_uniq"
        )
        self.cr.execute(
            "UPDATE product_product SET default_code = 'PDUP' WHERE id = %s", [two.id]
        )
        self.env.invalidate_all()
        Product.init()
        self.assertEqual(Product.search([("cpc_code_collision", "=", True)]), one | two)


@tagged("post_install", "-at_install")
class TestRecoding(CodingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.rule = cls._rule(
            [
                cls._region(scheme=cls.region),
                {"kind": "separator", "value": "-"},
                {"kind": "sequence"},
            ]
        )

    def test_reclassifying_keeps_the_code(self):
        partner = self._company("Stable", **{self.region_field: self.east.id})
        self._code(partner)
        self.assertEqual(partner.ref, "EAST-0001")
        partner.write({self.region_field: self.west.id})
        self._code(partner)  # codes only records without one
        self.assertEqual(partner.ref, "EAST-0001")

    def test_recode_keeps_history_and_old_code_finds_record(self):
        partner = self._company("Moved", **{self.region_field: self.east.id})
        self._code(partner)
        partner.write({self.region_field: self.west.id})
        wizard = (
            self.Wizard.with_user(self.manager)
            .with_context(active_model="res.partner", active_ids=partner.ids)
            .create({})
        )
        self.assertEqual(wizard.mode, "recode")
        wizard.action_preview()
        wizard.action_apply()
        self.assertEqual(partner.ref, "WEST-0001")
        history = self.env["classification.code.history"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", partner.id)]
        )
        self.assertEqual(
            (history.old_code, history.new_code), ("EAST-0001", "WEST-0001")
        )
        self.assertEqual(history.user_id, self.manager)
        # A replaced code is kept: nobody deletes it, managers included.
        with self.assertRaises(AccessError):
            history.with_user(self.manager).unlink()
        Partner = self.env["res.partner"].with_user(self.salesman)
        self.assertIn(partner.id, [pid for pid, __ in Partner.name_search("EAST-0001")])
        self.assertIn(
            partner, Partner.search([("cpc_former_code", "ilike", "EAST-0001")])
        )
        # The old code is not given to another record.
        newcomer = self._company("Newcomer", **{self.region_field: self.east.id})
        self._code(newcomer)
        self.assertEqual(newcomer.ref, "EAST-0002")

    def test_preview_writes_nothing(self):
        # Customers (session 5: the wizard codes customers, not every partner).
        partners = self._company(
            "P1", customer_rank=1, **{self.region_field: self.east.id}
        ) | self._company("P2", customer_rank=1)
        Sequence = self.env["ir.sequence"].sudo()
        before = Sequence.search_count([("code", "=like", "cpc.coding.%")])
        wizard = self._wizard(applies_to="partner", mode="missing")
        wizard.action_preview()
        lines = {line.record_name: line for line in wizard.line_ids}
        self.assertEqual(lines["P1"].new_code, "EAST-0001")
        self.assertFalse(lines["P2"].new_code)
        self.assertTrue(lines["P2"].reason)
        self.assertEqual(
            wizard.skipped_count,
            len(wizard.line_ids.filtered(lambda line: not line.new_code)),
        )
        self.assertFalse(any(partners.mapped("ref")))
        self.assertEqual(
            Sequence.search_count([("code", "=like", "cpc.coding.%")]), before
        )
        self.assertFalse(self.env["classification.code.history"].search_count([]))
        wizard.action_apply()
        self.assertEqual(partners[0].ref, "EAST-0001")

    def test_large_sets_go_to_the_scheduled_action(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "customer_product_classification.batch_size", "2"
        )
        partners = self.env["res.partner"].union(
            *(
                self._company(
                    f"Queued {n}", customer_rank=1, **{self.region_field: self.west.id}
                )
                for n in range(5)
            )
        )
        wizard = self._wizard(applies_to="partner", mode="missing")
        wizard.action_apply()
        self.assertFalse(partners.filtered("ref"), "nothing coded in the request")
        Job = self.env["classification.coding.job"]
        job = Job.search([("state", "=", "queued")])
        self.assertEqual(len(job), 1)
        for __ in range(10):
            __, remaining = Job._cron_assign_codes()
            if not remaining:
                break
        self.assertEqual(job.state, "done")
        self.assertEqual(
            sorted(partners.mapped("ref")), [f"WEST-{n:04d}" for n in range(1, 6)]
        )


@tagged("post_install", "-at_install")
class TestCodingAccess(CodingCase):
    def test_users_read_managers_configure_and_recode(self):
        rule = self._rule([{"kind": "text", "value": "R"}, {"kind": "sequence"}])
        self.assertEqual(rule.with_user(self.salesman).example, "R0001")
        with self.assertRaises(AccessError):
            rule.with_user(self.salesman).name = "Mine"
        with self.assertRaises(AccessError):
            self.Wizard.with_user(self.salesman).create({})
        rule.with_user(self.manager).name = "Renamed"
        self.assertEqual(rule.name, "Renamed")

    def test_other_company_rules_hidden(self):
        rule = self._rule(
            [{"kind": "text", "value": "BR"}, {"kind": "sequence"}],
            company_id=self.other_company.id,
        )
        self.assertFalse(
            self.Rule.with_user(self.manager).search([("id", "=", rule.id)])
        )

    def test_accountant_and_stock_user_create_with_auto_coding(self):
        accountant = new_test_user(
            self.env,
            login="cpc_code_accountant",
            groups="account.group_account_invoice,base.group_partner_manager",
        )
        # Inventory and product people create products without any right of
        # this addon's groups.
        product_manager = new_test_user(
            self.env,
            login="cpc_code_products",
            groups="base.group_user,product.group_product_manager",
        )
        self._rule(
            [{"kind": "text", "value": "AUTO"}, {"kind": "sequence"}],
            auto_assign=True,
            company_id=self.env.company.id,
        )
        self._rule(
            [{"kind": "text", "value": "PRD"}, {"kind": "sequence"}],
            auto_assign=True,
            applies_to="product",
        )
        partner = (
            self.env["res.partner"].with_user(accountant).create({"name": "Billed"})
        )
        self.assertEqual(partner.ref, "AUTO0001")
        contact = (
            self.env["res.partner"]
            .with_user(accountant)
            .create({"name": "Billing Contact", "parent_id": partner.id})
        )
        self.assertFalse(contact.ref)
        product = (
            self.env["product.template"]
            .with_user(product_manager)
            .create({"name": "Stocked"})
        )
        self.assertEqual(product.default_code, "PRD0001")

    def test_new_customer_coded_after_the_rules_place_it(self):
        self.env["classification.rule"].create(
            {
                "scheme_id": self.region.id,
                "category_id": self.east.id,
                "criterion": "country",
                "country_ids": [Command.set(self.env.ref("base.cn").ids)],
            }
        )
        self._rule(
            [
                self._region(scheme=self.region),
                {"kind": "separator", "value": "-"},
                {"kind": "sequence"},
            ],
            auto_assign=True,
        )
        placed = self.env["res.partner"].create(
            {"name": "Hangzhou Buyer", "country_id": self.env.ref("base.cn").id}
        )
        self.assertEqual(placed[self.region_field], self.east)
        self.assertEqual(placed.ref, "EAST-0001")
        unplaced = self.env["res.partner"].create({"name": "Somewhere Buyer"})
        self.assertFalse(unplaced.ref, "no region yet: no code with a hole")

    def test_other_company_code_not_named_in_error(self):
        secret = self.env["res.partner"].create(
            {
                "name": "Secret Branch Client",
                "company_id": self.other_company.id,
                "ref": "SEC1",
            }
        )
        self.assertTrue(secret)
        rep = new_test_user(
            self.env,
            login="cpc_code_rep",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
        )
        with self.assertRaises(ValidationError) as caught:
            self.env["res.partner"].with_user(rep).create(
                {"name": "Mine", "ref": "SEC1"}
            )
        self.assertNotIn("Secret Branch Client", str(caught.exception))


@tagged("post_install", "-at_install")
class TestCodingConcurrency(TransactionCase):
    """Two workers creating customers at the same moment, each in its own
    transaction, with a rule that codes new customers."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            rule = env["classification.coding.rule"].create(
                {
                    "name": "Concurrent coding",
                    "company_id": False,
                    "auto_assign": True,
                    "domain": "[('name', '=like', 'CPC concurrent %')]",
                    "part_ids": [
                        Command.create({"sequence": 1, "kind": "text", "value": "CC"}),
                        Command.create({"sequence": 2, "kind": "sequence"}),
                    ],
                }
            )
            self.rule_id = rule.id
        self.addCleanup(self._clean_committed)

    def _clean_committed(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["res.partner"].search([("name", "=like", "CPC concurrent %")]).unlink()
            env["classification.coding.rule"].browse(self.rule_id).unlink()
            cr.execute("DELETE FROM classification_code_claim WHERE code LIKE 'cc%'")
            # The sequences are the prefix's and outlive their rules.
            sequences = env["ir.sequence"].search(
                [
                    ("code", "=like", "cpc.coding.partner.%"),
                    ("name", "=", "Customers: CC#"),
                ]
            )
            cr.execute(
                "DELETE FROM classification_code_claim WHERE code = ANY(%s)",
                [[f"\x1fsequence {code}" for code in sequences.mapped("code")]],
            )
            sequences.unlink()

    def _worker(self):
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        cr.execute("SET LOCAL lock_timeout = '20s'")
        return api.Environment(cr, SUPERUSER_ID, {})

    def test_two_transactions_get_distinct_codes(self):
        # The first code of the prefix makes its sequence; then two workers
        # create customers at once, neither committed while the other codes.
        with self.registry.cursor() as cr:
            api.Environment(cr, SUPERUSER_ID, {})["res.partner"].create(
                {"name": "CPC concurrent 0"}
            )
        first, second = self._worker(), self._worker()
        one = first["res.partner"].create({"name": "CPC concurrent 1"})
        two = second["res.partner"].create({"name": "CPC concurrent 2"})
        codes = {one.ref, two.ref}
        self.assertEqual(len(codes), 2)
        self.assertTrue(all(code and code.startswith("CC") for code in codes))
        first.cr.commit()
        second.cr.commit()

    def test_new_prefix_at_the_same_moment_is_retried(self):
        # The second worker's transaction started before the first committed
        # the new prefix's sequence: it must not make a second one.
        first, second = self._worker(), self._worker()
        second.cr.execute("SELECT 1 FROM res_partner LIMIT 1")  # its snapshot
        first["res.partner"].create({"name": "CPC concurrent 1"})
        first.cr.commit()
        with mute_logger("odoo.sql_db"), self.assertRaises(SerializationFailure):
            second["res.partner"].create({"name": "CPC concurrent 2"})
        second.cr.rollback()
        # As Odoo does it: the request runs again, in a new transaction.
        again = second["res.partner"].create({"name": "CPC concurrent 2"})
        self.assertEqual(again.ref, "CC0002")
        second.cr.commit()


@tagged("post_install", "-at_install")
class TestImportByCode(CodingCase):
    def test_import_names_records_by_code(self):
        partner = self._company("Coded Buyer", ref="EAST-KA-0042")
        content = b"code,TREGION\nEAST-KA-0042,WEST\n"
        wizard = self.env["classification.import.wizard"].create(
            {
                "applies_to": "partner",
                "file": base64.b64encode(content),
                "filename": "codes.csv",
            }
        )
        wizard.action_check()
        self.assertEqual(wizard.state, "preview", wizard.error_report)
        wizard.action_import()
        self.assertEqual(partner[self.region_field], self.west)
