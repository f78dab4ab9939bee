# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import base64
from datetime import timedelta

from psycopg2 import IntegrityError
from psycopg2.errors import SerializationFailure

from odoo import SUPERUSER_ID, Command, api, fields
from odoo.addons.account.tests.common import AccountTestInvoicingCommon
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from .test_coding import CodingCase

MANAGER_GROUP = "customer_product_classification.group_classification_manager"


def drop_committed_sequences(env, prefix):
    """Remove the committed numbering of a customer prefix (the sequences are
    the prefix's and outlive their rules) and its claim, for the next test."""
    sequences = env["ir.sequence"].search(
        [("code", "=like", "cpc.coding.partner.%"), ("name", "=like", f"%: {prefix}#")]
    )
    env.cr.execute(
        "DELETE FROM classification_code_claim WHERE code = ANY(%s)",
        [[f"\x1fsequence {code}" for code in sequences.mapped("code")]],
    )
    sequences.unlink()


@tagged("post_install", "-at_install")
class TestCodingRaceAcrossRules(TransactionCase):
    """Two rules with the same prefix text number from two sequences: two
    workers coding at the same moment must still get two codes."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            company = env.ref("base.main_company")
            parts = [
                Command.create({"sequence": 1, "kind": "text", "value": "RR"}),
                Command.create({"sequence": 2, "kind": "sequence"}),
            ]
            rules = env["classification.coding.rule"].create(
                [
                    {
                        "name": "Race: company A",
                        "sequence": 1,
                        "company_id": company.id,
                        "auto_assign": True,
                        "domain": "[('name', '=like', 'CPC race A%')]",
                        "part_ids": parts,
                    },
                    {
                        "name": "Race: company B",
                        "sequence": 2,
                        "company_id": company.id,
                        "auto_assign": True,
                        "domain": "[('name', '=like', 'CPC race B%')]",
                        "part_ids": parts,
                    },
                    {
                        "name": "Race: shared",
                        "sequence": 3,
                        "company_id": False,
                        "auto_assign": True,
                        "domain": "[('name', '=like', 'CPC race S%')]",
                        "part_ids": parts,
                    },
                ]
            )
            self.rule_ids = rules.ids
            self.company_id = company.id
        self.addCleanup(self._clean_committed)

    def _clean_committed(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["res.partner"].search([("name", "=like", "CPC race %")]).unlink()
            env["classification.coding.rule"].browse(self.rule_ids).unlink()
            cr.execute("DELETE FROM classification_code_claim WHERE code LIKE 'rr%'")
            drop_committed_sequences(env, "RR")

    def _worker(self):
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        cr.execute("SET LOCAL lock_timeout = '20s'")
        return api.Environment(cr, SUPERUSER_ID, {})

    def _race(self, first_values, second_values):
        first, second = self._worker(), self._worker()
        second.cr.execute("SELECT 1 FROM res_partner LIMIT 1")  # its snapshot
        one = first["res.partner"].create(first_values)
        self.assertEqual(one.ref, "RR0001")
        first.cr.commit()
        # The second worker's sequence gives 1 too; the first's code is
        # committed after its snapshot: it must not take it.
        with mute_logger("odoo.sql_db"), self.assertRaises(SerializationFailure):
            second["res.partner"].create(second_values)
        second.cr.rollback()
        # As Odoo does it: the request runs again, in a new transaction.
        again = second["res.partner"].create(second_values)
        self.assertEqual(again.ref, "RR0002")
        second.cr.commit()

    def test_same_company_rules_never_share_a_number(self):
        self._race(
            {"name": "CPC race A1", "company_id": self.company_id},
            {"name": "CPC race B1", "company_id": self.company_id},
        )

    def test_company_rule_and_shared_rule_never_share_a_number(self):
        # No unique index tells a company's record from a shared one: only
        # the claim keeps their codes apart.
        self._race(
            {"name": "CPC race A1", "company_id": self.company_id},
            {"name": "CPC race S1", "company_id": False},
        )


@tagged("post_install", "-at_install")
class TestCodingSafety(CodingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.accountant = new_test_user(
            cls.env,
            login="cpc_safety_accountant",
            groups="account.group_account_invoice,base.group_partner_manager",
        )
        cls.stock_user = new_test_user(
            cls.env,
            login="cpc_safety_products",
            groups="base.group_user,product.group_product_manager",
        )
        cls.rep = new_test_user(
            cls.env,
            login="cpc_safety_rep",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
        )
        cls.beverage = cls.env["product.category"].create(
            {"name": "Safety Beverages", "code": "SBEV"}
        )
        cls.size = cls.env["product.attribute"].create(
            {
                "name": "Safety Size",
                "value_ids": [Command.create({"name": n}) for n in ("S", "M", "L")],
            }
        )

    def _product_rule(self, **values):
        return self._rule(
            [
                {"kind": "product_category"},
                {"kind": "separator", "value": "-"},
                {"kind": "sequence"},
            ],
            applies_to="product",
            **values,
        )

    def _sized(self, template, values=None):
        template.attribute_line_ids = [
            Command.create(
                {
                    "attribute_id": self.size.id,
                    "value_ids": [Command.set((values or self.size.value_ids).ids)],
                }
            )
        ]

    # 2. RPC writes -----------------------------------------------------
    def test_collision_flag_is_not_writable(self):
        partner = self._company("Flag Setter", ref="FLAG-1")
        partner.with_user(self.rep).write({"cpc_code_collision": True})
        self.assertFalse(partner.cpc_code_collision)
        with self.assertRaisesRegex(ValidationError, "FLAG-1"):
            self.env["res.partner"].with_user(self.rep).create(
                {"name": "Twin", "ref": "FLAG-1", "cpc_code_collision": True}
            )
        variant = self.env["product.product"].create(
            {"name": "Flagged", "default_code": "FLAG-P"}
        )
        variant.with_user(self.stock_user).write({"cpc_code_collision": True})
        self.assertFalse(variant.cpc_code_collision)

    def test_product_code_written_by_the_rules_only(self):
        template = self.env["product.template"].create({"name": "Typed Code"})
        with self.assertRaisesRegex(AccessError, "Assign Codes"):
            template.with_user(self.stock_user).write({"cpc_code": "HACK-1"})
        with self.assertRaises(AccessError):
            self.env["product.template"].with_user(self.stock_user).create(
                {"name": "Created Coded", "cpc_code": "HACK-2"}
            )
        self.assertFalse(template.cpc_code)
        # The inventory user keeps typing Internal References.
        template.with_user(self.stock_user).default_code = "TYPED-1"
        self.assertEqual(template.default_code, "TYPED-1")

    # 3. Template company change ------------------------------------------
    def test_template_company_change_checks_the_codes(self):
        self.env["product.template"].create(
            {
                "name": "Main Tea",
                "default_code": "MOVE-1",
                "company_id": self.env.company.id,
            }
        )
        theirs = self.env["product.template"].create(
            {
                "name": "Branch Tea",
                "default_code": "MOVE-1",
                "company_id": self.other_company.id,
            }
        )
        with self.assertRaisesRegex(ValidationError, "MOVE-1.*Main Tea"):
            theirs.company_id = self.env.company
        with self.assertRaisesRegex(ValidationError, "MOVE-1"):
            theirs.company_id = False
        self.assertEqual(theirs.company_id, self.other_company)

    # 4. Merge Contacts -------------------------------------------------
    def _merge(self, partners, destination):
        self.env["base.partner.merge.automatic.wizard"]._merge(
            partners.ids, destination
        )

    def test_merge_keeps_the_destination_code_and_the_source_finds_it(self):
        source = self._company("Merge Source", ref="MRG-1")
        destination = self._company("Merge Destination", ref="MRG-2")
        self.env.cr.execute(
            "UPDATE res_partner SET cpc_code_collision = TRUE WHERE id = %s",
            [source.id],
        )
        source.invalidate_recordset()
        self._merge(source | destination, destination)
        self.assertFalse(source.exists())
        self.assertEqual(destination.ref, "MRG-2")
        self.assertFalse(destination.cpc_code_collision)
        Partner = self.env["res.partner"].with_user(self.salesman)
        self.assertEqual(
            Partner.search([("cpc_former_code", "=", "MRG-1")]), destination
        )
        self.assertIn(destination.id, [pid for pid, __ in Partner.name_search("MRG-1")])

    def test_merge_into_an_uncoded_contact_takes_the_source_code(self):
        source = self._company("Coded Source", ref="MRG-3")
        destination = self._company("Uncoded Destination")
        self._merge(source | destination, destination)
        self.assertEqual(destination.ref, "MRG-3")

    # 5. Hand edits -------------------------------------------------------
    def test_hand_edit_keeps_history_and_the_old_code_stays_taken(self):
        partner = self._company("Hand Coded", ref="HAND-1")
        partner.with_user(self.accountant).ref = "HAND-2"
        self.assertEqual(partner.ref, "HAND-2")
        history = self.env["classification.code.history"].search(
            [("res_model", "=", "res.partner"), ("res_id", "=", partner.id)]
        )
        self.assertEqual((history.old_code, history.new_code), ("HAND-1", "HAND-2"))
        self.assertEqual(history.user_id, self.accountant)
        other = self._company("Late Comer")
        with self.assertRaisesRegex(ValidationError, "HAND-1.*Hand Coded"):
            other.with_user(self.accountant).ref = "HAND-1"
        # Its own former code: the record may take it back.
        partner.with_user(self.accountant).ref = "HAND-1"
        self.assertEqual(partner.ref, "HAND-1")

    def test_hand_edit_of_an_internal_reference_keeps_history(self):
        tea = self.env["product.template"].create(
            {"name": "Hand Tea", "default_code": "HT-1"}
        )
        tea.with_user(self.stock_user).default_code = "HT-2"
        self.assertIn(
            tea, self.env["product.template"].search([("cpc_former_code", "=", "HT-1")])
        )
        self.assertEqual(tea.cpc_former_code, "HT-1")
        with self.assertRaisesRegex(ValidationError, "HT-1"):
            self.env["product.product"].with_user(self.stock_user).create(
                {"name": "Copy Tea", "default_code": "HT-1"}
            )

    # 6. Parts and code hygiene -------------------------------------------
    def test_the_last_sequence_part_cannot_be_deleted(self):
        rule = self._rule([{"kind": "text", "value": "DEL"}, {"kind": "sequence"}])
        number = rule.part_ids.filtered(lambda part: part.kind == "sequence")
        with self.assertRaisesRegex(ValidationError, "exactly one sequence part"):
            number.with_user(self.manager).unlink()
        self.assertTrue(number.exists())
        # The form may replace the number in one save.
        rule.with_user(self.manager).write(
            {
                "part_ids": [
                    Command.delete(number.id),
                    Command.create({"sequence": 5, "kind": "sequence"}),
                ]
            }
        )
        self.assertEqual(rule.part_ids.mapped("kind"), ["text", "sequence"])

    def test_codes_never_read_as_formulas_nor_carry_spaces(self):
        for parts in (
            [{"kind": "separator", "value": "="}, {"kind": "sequence"}],
            [{"kind": "separator", "value": "-"}, {"kind": "sequence"}],
            [{"kind": "text", "value": " AB"}, {"kind": "sequence"}],
            [{"kind": "sequence"}, {"kind": "separator", "value": "- "}],
            [
                {"kind": "text", "value": "AB"},
                {"kind": "separator", "value": "\t"},
                {"kind": "sequence"},
            ],
        ):
            with self.subTest(parts=parts), self.assertRaises(ValidationError):
                self._rule(parts)
        # In the middle, a dash is a separator like any other.
        rule = self._rule(
            [
                {"kind": "text", "value": "OK"},
                {"kind": "separator", "value": "-"},
                {"kind": "sequence"},
            ]
        )
        self.assertEqual(rule.example, "OK-0001")

    def test_typed_codes_are_trimmed_and_unique_without_regard_to_case(self):
        partner = self._company("Trimmed", ref="  EAST-0001 ")
        self.assertEqual(partner.ref, "EAST-0001")
        with self.assertRaisesRegex(ValidationError, "east-0001.*Trimmed"):
            self._company("Lower Case", ref="east-0001")
        with self.assertRaisesRegex(ValidationError, "another record saved with it"):
            self.env["res.partner"].create(
                [
                    {"name": "Twin A", "ref": "TWIN-1"},
                    {"name": "Twin B", "ref": "twin-1"},
                ]
            )
        self.env["product.product"].create({"name": "Upper", "default_code": "TEA-9"})
        with self.assertRaises(ValidationError):
            self.env["product.product"].create(
                {"name": "Lower", "default_code": "tea-9 "}
            )

    # 7. Variants ---------------------------------------------------------
    def test_variants_added_after_coding_take_the_next_suffixes(self):
        self._product_rule()
        tea = self.env["product.template"].create(
            {"name": "Growing Tea", "categ_id": self.beverage.id}
        )
        self._code(tea)
        self.assertEqual(tea.default_code, "SBEV-0001")
        self._sized(tea)
        self.assertEqual(
            tea.product_variant_ids.sorted("id").mapped("default_code"),
            ["SBEV-0001-01", "SBEV-0001-02", "SBEV-0001-03"],
        )

    def test_a_variant_added_later_takes_the_very_next_suffix(self):
        """Printed variant codes run on without gaps: no spare suffix is
        claimed (a claimed one is never given back)."""
        self._product_rule()
        tea = self.env["product.template"].create(
            {"name": "Gapless Tea", "categ_id": self.beverage.id}
        )
        self._code(tea)
        small, medium, large = self.size.value_ids.sorted("id")
        self._sized(tea, small | medium)
        line = tea.attribute_line_ids
        line.value_ids = [Command.link(large.id)]
        self.assertEqual(
            tea.product_variant_ids.sorted("id").mapped("default_code"),
            ["SBEV-0001-01", "SBEV-0001-02", "SBEV-0001-03"],
        )

    def test_template_code_and_internal_references_never_meet(self):
        self._product_rule()
        juice = self.env["product.template"].create(
            {"name": "Sized Juice", "categ_id": self.beverage.id}
        )
        self._sized(juice)
        self._code(juice)
        self.assertEqual(juice.cpc_code, "SBEV-0001")
        self.assertFalse(juice.default_code)
        with self.assertRaisesRegex(ValidationError, "SBEV-0001.*Sized Juice"):
            self.env["product.template"].create(
                {"name": "Squatter", "default_code": "SBEV-0001"}
            )
        plain = self.env["product.template"].create({"name": "Plain"})
        with self.assertRaisesRegex(ValidationError, "(?i)SBEV-0001"):
            plain.product_variant_ids.default_code = "sbev-0001"

    # 8. Auto coding and priority -----------------------------------------
    def test_auto_coding_on_create_respects_rule_priority(self):
        self._rule(
            [{"kind": "text", "value": "MAN"}, {"kind": "sequence"}],
            sequence=1,
            domain="[('name', '=like', 'Priority%')]",
        )
        self._rule(
            [{"kind": "text", "value": "AUT"}, {"kind": "sequence"}],
            sequence=2,
            auto_assign=True,
        )
        first = self.env["res.partner"].create({"name": "Priority Buyer"})
        self.assertFalse(first.ref, "the manual rule comes first: coded by hand")
        other = self.env["res.partner"].create({"name": "Other Buyer"})
        self.assertEqual(other.ref, "AUT0001")

    # 9. Former-code search -----------------------------------------------
    def test_former_code_search_finds_own_company_records_only(self):
        mine = self._company("Old Mine", ref="OLDA-0001")
        mine.ref = "NEWA-0001"
        theirs = self.env["res.partner"].create(
            {
                "name": "Old Theirs",
                "company_id": self.other_company.id,
                "ref": "OLDB-0001",
            }
        )
        theirs.ref = "NEWB-0001"
        Partner = self.env["res.partner"].with_user(self.salesman)
        self.assertEqual(Partner.search([("cpc_former_code", "ilike", "olda")]), mine)
        self.assertIn(mine.id, [pid for pid, __ in Partner.name_search("OLDA-0001")])
        self.assertFalse(Partner.search([("cpc_former_code", "ilike", "OLDB")]))
        self.assertFalse(Partner.name_search("OLDB-0001"))
        # A sub-select, not the list of every matching id.
        domain = Partner._search_cpc_former_code("ilike", "OLDA")
        self.assertNotIsInstance(domain[0][2], list)

    # 10. Import by code --------------------------------------------------
    def _import(self, kind, content):
        wizard = self.env["classification.import.wizard"].create(
            {"applies_to": kind, "file": base64.b64encode(content), "filename": "c.csv"}
        )
        wizard.action_check()
        self.assertEqual(wizard.state, "preview", wizard.error_report)
        wizard.action_import()

    def test_import_by_former_code_and_template_code(self):
        partner = self._company("Imported Old", ref="IMP-OLD")
        partner.ref = "IMP-NEW"
        self._import("partner", b"code,TREGION\nIMP-OLD,WEST\n")
        self.assertEqual(partner[self.region_field], self.west)
        product_scheme = self.env["classification.scheme"].create(
            {"name": "Safety Lines", "code": "TSLINE", "applies_to": "product"}
        )
        line = self.env["classification.category"].create(
            {"scheme_id": product_scheme.id, "name": "Juices", "code": "JUICE"}
        )
        self._product_rule()
        juice = self.env["product.template"].create(
            {"name": "Imported Juice", "categ_id": self.beverage.id}
        )
        self._sized(juice)
        self._code(juice)
        self._import("product", f"code,TSLINE\n{juice.cpc_code},JUICE\n".encode())
        self.assertEqual(juice[product_scheme.field_id.name], line)

    # 11. Coding job ------------------------------------------------------
    def _queue(self, count=3):
        self.env["ir.config_parameter"].sudo().set_param(
            "customer_product_classification.batch_size", "2"
        )
        partners = self.env["res.partner"].union(
            *(
                self._company(f"Job {n}", customer_rank=1, company_id=company.id)
                for n, company in zip(
                    range(count),
                    [self.env.company, self.other_company, self.env.company],
                    strict=False,
                )
            )
        )
        self._rule([{"kind": "text", "value": "JOB"}, {"kind": "sequence"}])
        self.manager.company_ids = [Command.link(self.other_company.id)]
        wizard = (
            self.Wizard.with_user(self.manager)
            .with_context(
                allowed_company_ids=[self.env.company.id, self.other_company.id]
            )
            .create({"applies_to": "partner", "mode": "missing"})
        )
        wizard.action_apply()
        job = self.env["classification.coding.job"].search([("state", "=", "queued")])
        self.assertEqual(len(job), 1)
        return partners, job

    def test_job_codes_the_companies_a_direct_apply_would(self):
        partners, job = self._queue()
        self.assertEqual(job.company_ids, self.env.company | self.other_company)
        Job = self.env["classification.coding.job"]
        for __ in range(10):
            if not Job._cron_assign_codes()[1]:
                break
        self.assertEqual(job.state, "done")
        self.assertTrue(all(partners.mapped("ref")), partners.mapped("ref"))

    def test_manager_cancels_a_queued_job(self):
        partners, job = self._queue()
        with self.assertRaises(AccessError):
            job.with_user(self.salesman).action_cancel()
        job.with_user(self.manager).action_cancel()
        self.assertEqual(job.state, "cancelled")
        self.env["classification.coding.job"]._cron_assign_codes()
        self.assertFalse(any(partners.mapped("ref")))
        with self.assertRaises(UserError):
            job.with_user(self.manager).action_cancel()

    def test_failed_batch_is_retried_soon(self):
        __, job = self._queue()
        # A rule broken behind the form's back (its domain no longer runs).
        self.env.cr.execute(
            "UPDATE classification_coding_rule SET domain = '[(1/0)]' "
            "WHERE applies_to = 'partner'"
        )
        self.env["classification.coding.rule"].invalidate_model(["domain"])
        cron = self.env.ref("customer_product_classification.ir_cron_assign_codes")
        Trigger = self.env["ir.cron.trigger"].sudo()
        Trigger.search([("cron_id", "=", cron.id)]).unlink()
        with mute_logger(
            "odoo.addons.customer_product_classification.models.classification_coding_job"
        ):
            self.env["classification.coding.job"]._cron_assign_codes()
        self.assertEqual(job.state, "queued")
        self.assertEqual(job.failure_count, 1)
        self.assertTrue(job.error)
        soon = Trigger.search([("cron_id", "=", cron.id)])
        self.assertTrue(soon)
        self.assertLess(
            max(soon.mapped("call_at")), fields.Datetime.now() + timedelta(hours=1)
        )

    def test_batch_that_always_conflicts_fails_with_an_error(self):
        __, job = self._queue()
        # Another transaction, not committed, holds the first code's claim.
        other = self.registry.cursor()
        self.addCleanup(other.close)
        other.execute(
            "INSERT INTO classification_code_claim (kind, code) "
            "VALUES ('partner', 'job0001')"
        )
        self.env.cr.execute("SET LOCAL lock_timeout = '200ms'")
        Job = self.env["classification.coding.job"]
        with mute_logger("odoo.sql_db"):
            Job._cron_assign_codes()
        self.assertEqual(job.state, "queued")
        self.assertEqual(job.concurrency_failure_count, 1)
        job.sudo().concurrency_failure_count = 19
        with mute_logger("odoo.sql_db"):
            Job._cron_assign_codes()
        self.assertEqual(job.state, "failed")
        self.assertIn("20", job.error)
        other.rollback()

    # 12. Wizard ----------------------------------------------------------
    def test_wizard_without_rules_says_so_once(self):
        self._company("Waiting Customer", customer_rank=1)
        self.Rule.search([("applies_to", "=", "partner")]).active = False
        wizard = self._wizard(applies_to="partner", mode="missing")
        self.assertFalse(wizard.has_rules)
        wizard.action_preview()
        self.assertFalse(wizard.line_ids)
        with self.assertRaisesRegex(UserError, "No coding rule"):
            wizard.action_apply()
        wizard.action_back()
        self.assertEqual(wizard.state, "draft")
        self.assertFalse(
            self.env.ref(
                "customer_product_classification.menu_classification_assign_codes",
                raise_if_not_found=False,
            )
        )

    def test_wizard_codes_customers_not_users_nor_companies(self):
        self._rule([{"kind": "text", "value": "CUS"}, {"kind": "sequence"}])
        customer = self._company("Real Customer", customer_rank=1)
        selected = self._rule(
            [{"kind": "text", "value": "SEL"}, {"kind": "sequence"}],
            sequence=1,
            domain="[('name', '=like', 'Selected%')]",
        )
        self.assertTrue(selected)
        prospect = self._company("Selected Prospect")
        bystander = self._company("Bystander")
        wizard = self._wizard(applies_to="partner", mode="missing")
        wizard.action_preview()
        listed = set(wizard.line_ids.mapped("res_id"))
        self.assertIn(customer.id, listed)
        self.assertIn(prospect.id, listed)
        self.assertNotIn(bystander.id, listed)
        self.assertNotIn(self.env.ref("base.partner_admin").id, listed)
        self.assertNotIn(self.manager.partner_id.id, listed)
        self.assertNotIn(self.env.company.partner_id.id, listed)

    # 13. Screens ---------------------------------------------------------
    def test_empty_coding_lists_say_what_they_are(self):
        for xmlid in (
            "classification_code_history_action",
            "classification_coding_job_action",
            "res_partner_action_code_collision",
            "product_product_action_code_collision",
        ):
            action = self.env.ref(f"customer_product_classification.{xmlid}")
            self.assertIn("o_view_nocontent_smiling_face", action.help or "", xmlid)


@tagged("post_install", "-at_install")
class TestInvoiceCustomerCode(AccountTestInvoicingCommon):
    def test_invoice_to_a_contact_prints_the_company_code(self):
        company = self.env["res.partner"].create(
            {"name": "Coded Buyer Ltd", "is_company": True, "ref": "INV-CODE-1"}
        )
        contact = self.env["res.partner"].create(
            {"name": "Buyer Accounts", "parent_id": company.id}
        )
        invoice = self.init_invoice(
            "out_invoice", contact, post=True, amounts=[100.0], taxes=[]
        )
        html = self.env["ir.actions.report"]._render_qweb_html(
            "account.report_invoice", invoice.ids
        )[0]
        self.assertIn(b"INV-CODE-1", html)


@tagged("post_install", "-at_install")
class TestTypedCodesAcrossTransactions(TransactionCase):
    """Two people typing one code at the same moment, each in a transaction
    that does not see the other's: the database keeps the code unique."""

    def setUp(self):
        super().setUp()
        self.company_id = self.env.ref("base.main_company").id
        self.addCleanup(self._clean_committed)

    def _clean_committed(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["res.partner"].search([("name", "=like", "CPC typed race %")]).unlink()
            cr.execute(
                "DELETE FROM classification_code_claim WHERE code LIKE 'typed-race-%'"
            )

    def _worker(self):
        cr = self.registry.cursor()
        self.addCleanup(cr.close)
        cr.execute("SET LOCAL lock_timeout = '20s'")
        return api.Environment(cr, SUPERUSER_ID, {})

    def _race(self, first_values, second_values):
        first, second = self._worker(), self._worker()
        second.cr.execute("SELECT 1 FROM res_partner LIMIT 1")  # its snapshot
        first["res.partner"].create(first_values)
        first.cr.commit()
        with mute_logger("odoo.sql_db"), self.assertRaises(SerializationFailure):
            second["res.partner"].create(second_values)
        second.cr.rollback()
        # Run again, as Odoo does: now the first one's code is seen.
        with self.assertRaises(ValidationError):
            second["res.partner"].create(second_values)
        second.cr.rollback()

    def test_same_code_in_another_case_same_company(self):
        self._race(
            {"name": "CPC typed race 1", "ref": "TYPED-RACE-1", "company_id": 1},
            {"name": "CPC typed race 2", "ref": "typed-race-1", "company_id": 1},
        )

    def test_same_code_shared_and_company(self):
        # No unique index relates a shared record to a company's.
        self._race(
            {
                "name": "CPC typed race 3",
                "ref": "TYPED-RACE-2",
                "company_id": self.company_id,
            },
            {"name": "CPC typed race 4", "ref": "TYPED-RACE-2", "company_id": False},
        )


@tagged("post_install", "-at_install")
class TestCodingReview5(CodingCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.beverage = cls.env["product.category"].create(
            {"name": "Review Beverages", "code": "RBEV"}
        )
        cls.size = cls.env["product.attribute"].create(
            {
                "name": "Review Size",
                "value_ids": [
                    Command.create({"name": n}) for n in ("S", "M", "L", "XL")
                ],
            }
        )

    def _customer_rule(self, **values):
        return self._rule(
            [
                {"kind": "text", "value": "RC"},
                {"kind": "separator", "value": "-"},
                {"kind": "sequence"},
            ],
            **values,
        )

    def _product_rule(self):
        return self._rule(
            [
                {"kind": "product_category"},
                {"kind": "separator", "value": "-"},
                {"kind": "sequence"},
            ],
            applies_to="product",
        )

    # 1. A prefix in use ------------------------------------------------
    def test_copied_rule_numbers_on_after_the_claimed_codes(self):
        rule = self._customer_rule()
        self.env.cr.execute(
            "INSERT INTO classification_code_claim (kind, code) "
            "SELECT 'partner', 'rc-' || lpad(g::text, 4, '0') "
            "FROM generate_series(1, 3000) g"
        )
        copy = rule.copy({"sequence": 1, "auto_assign": True})
        before = self.env.cr.sql_log_count
        partner = self._company("After The Claims")
        self.assertEqual(partner.ref, "RC-3001")
        self.assertLess(self.env.cr.sql_log_count - before, 150)
        # One sequence for the prefix, shared and kept when a rule goes.
        (rule | copy).invalidate_recordset(["sequence_ids"])
        self.assertEqual(len(rule.sequence_ids), 1)
        self.assertEqual(rule.sequence_ids, copy.sequence_ids)
        sequences = copy.sequence_ids
        copy.unlink()
        self.assertTrue(sequences.exists())
        partner.ref = False
        self._code(partner)
        self.assertEqual(partner.ref, "RC-3002")

    def test_a_typed_giant_number_cannot_break_a_prefix(self):
        # A Reference typed by hand before any rule numbers its prefix.
        self._company("Typo Buyer", ref="RC-99999999999")
        self._customer_rule()
        partner = self._company("Next Buyer")
        self._code(partner)
        self.assertEqual(partner.ref, "RC-0001")

    def test_codes_in_use_are_skipped_in_a_few_rounds(self):
        # Codes given outside the rules (before the addon, in SQL): unclaimed.
        legacy = self.env["res.partner"].create(
            [{"name": f"Legacy {n}"} for n in range(300)]
        )
        self._customer_rule(auto_assign=True)
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE res_partner p SET ref = 'RC-' || lpad(v.n::text, 4, '0') "
            "FROM unnest(%s::int[]) WITH ORDINALITY AS v(id, n) WHERE p.id = v.id",
            [legacy.ids],
        )
        self.env.invalidate_all()
        before = self.env.cr.sql_log_count
        partner = self._company("After The Legacy")
        self.assertNotIn(partner.ref, legacy.mapped("ref"))
        self.assertTrue(partner.ref.startswith("RC-"))
        # Doubling batches: about ten rounds, not one per code in use.
        self.assertLess(self.env.cr.sql_log_count - before, 150)

    # 2. Unique without regard to case in the database --------------------
    def test_unique_indexes_ignore_case(self):
        self._company("Upper", ref="CASE-1", company_id=self.env.company.id)
        other = self._company("Other", company_id=self.env.company.id)
        self.env.flush_all()
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(IntegrityError),
            self.cr.savepoint(),
        ):
            self.cr.execute(
                "UPDATE res_partner SET ref = 'case-1' WHERE id = %s", [other.id]
            )

    # 3. Who is coded on create --------------------------------------------
    def test_auto_coding_leaves_out_users_and_companies(self):
        self._customer_rule(auto_assign=True)
        user = new_test_user(
            self.env, login="cpc_review_user", groups="base.group_user"
        )
        portal = new_test_user(
            self.env, login="cpc_review_portal", groups="base.group_portal"
        )
        company = self.env["res.company"].create({"name": "CPC Review Company"})
        self.assertFalse(user.partner_id.ref)
        self.assertFalse(portal.partner_id.ref)
        self.assertFalse(company.partner_id.ref)
        customer = self._company("Real Review Customer")
        self.assertEqual(customer.ref, "RC-0001")

    # 4. A deleted variant's code ------------------------------------------
    def test_deleted_variant_code_is_never_given_again(self):
        self._product_rule()
        template = self.env["product.template"].create(
            {"name": "Review Tea", "categ_id": self.beverage.id}
        )
        small, medium, large, extra = self.size.value_ids
        template.attribute_line_ids = [
            Command.create(
                {
                    "attribute_id": self.size.id,
                    "value_ids": [Command.set((small | medium | large).ids)],
                }
            )
        ]
        self._code(template)
        self.assertEqual(
            template.product_variant_ids.sorted("id").mapped("default_code"),
            ["RBEV-0001-01", "RBEV-0001-02", "RBEV-0001-03"],
        )
        line = template.attribute_line_ids
        line.value_ids = [Command.unlink(large.id)]
        self.assertEqual(len(template.product_variant_ids), 2)
        line.value_ids = [Command.link(extra.id)]
        added = template.product_variant_ids.filtered(
            lambda variant: (
                extra
                in variant.product_template_attribute_value_ids.mapped(
                    "product_attribute_value_id"
                )
            )
        )
        self.assertEqual(added.default_code, "RBEV-0001-04")

    def test_variant_base_is_matched_without_regard_to_case(self):
        self._product_rule()
        template = self.env["product.template"].create(
            {"name": "Review Juice", "categ_id": self.beverage.id}
        )
        template.attribute_line_ids = [
            Command.create(
                {
                    "attribute_id": self.size.id,
                    "value_ids": [Command.set(self.size.value_ids[:2].ids)],
                }
            )
        ]
        self._code(template)
        coder = template._cpc_coder()
        self.env.cr.execute(
            "UPDATE product_template SET cpc_code = NULL WHERE id = %s", [template.id]
        )
        self.assertEqual(coder.codes_in_use(["rbev-0001"]), {"rbev-0001"})

    # 5. Variant created with a company -------------------------------------
    def test_variant_created_with_a_company_is_that_companys(self):
        self.env["product.product"].create(
            {
                "name": "Branch Product",
                "company_id": self.other_company.id,
                "default_code": "PX-1",
            }
        )
        mine = self.env["product.product"].create(
            {
                "name": "Main Product",
                "company_id": self.env.company.id,
                "default_code": "PX-1",
            }
        )
        self.assertEqual(mine.cpc_company_id, self.env.company)
        mine.write({"company_id": self.other_company.id, "default_code": "PX-2"})
        with self.assertRaisesRegex(ValidationError, "PX-1"):
            mine.write({"company_id": self.other_company.id, "default_code": "PX-1"})

    # 6. Assign Codes only on records the user may change -------------------
    def test_assign_codes_leaves_products_the_user_may_not_change(self):
        self._product_rule()
        template = self.env["product.template"].create(
            {"name": "Read Only Tea", "categ_id": self.beverage.id}
        )
        manager = new_test_user(
            self.env,
            login="cpc_review_reader",
            groups=f"base.group_user,{MANAGER_GROUP}",
        )
        self.assertFalse(template.with_user(manager).has_access("write"))
        wizard = self.Wizard.with_user(manager).create({"applies_to": "product"})
        wizard.action_apply()
        self.assertFalse(template.cpc_code)
        self.assertFalse(template.default_code)

    # 7. Merge Contacts ---------------------------------------------------
    def test_merge_files_former_codes_under_their_own_company(self):
        source = self._company(
            "Branch Source", ref="MS-1", company_id=self.other_company.id
        )
        destination = self._company("Shared Destination", ref="MS-2")
        self.env["base.partner.merge.automatic.wizard"]._merge(
            (source | destination).ids, destination
        )
        former = self.env["classification.code.history"].search(
            [("old_code", "=", "MS-1")]
        )
        self.assertEqual(former.company_id, self.other_company)
        # The code printed on the branch's documents stays taken there.
        with self.assertRaises(ValidationError):
            self._company(
                "Branch Newcomer", ref="MS-1", company_id=self.other_company.id
            )

    # 9. Smaller ------------------------------------------------------------
    def test_import_matches_the_current_code_without_regard_to_case(self):
        partner = self._company("Imported Case", ref="EAST-0077")
        wizard = self.env["classification.import.wizard"].create(
            {
                "applies_to": "partner",
                "file": base64.b64encode(b"code,TREGION\neast-0077,WEST\n"),
                "filename": "c.csv",
            }
        )
        wizard.action_check()
        self.assertEqual(wizard.state, "preview", wizard.error_report)
        wizard.action_import()
        self.assertEqual(partner[self.region_field], self.west)

    def test_another_companys_code_is_not_revealed(self):
        self._company("Secret Holder", ref="SECRET-1", company_id=self.env.company.id)
        branch_user = new_test_user(
            self.env,
            login="cpc_review_branch",
            groups="base.group_user,base.group_partner_manager",
            company_id=self.other_company.id,
            company_ids=[Command.set(self.other_company.ids)],
        )
        with self.assertRaises(ValidationError) as caught:
            self.env["res.partner"].with_user(branch_user).create(
                {"name": "Shared Guess", "ref": "SECRET-1", "company_id": False}
            )
        message = str(caught.exception)
        self.assertIn("cannot be used", message)
        self.assertNotIn("another company", message)
        self.assertNotIn("Secret Holder", message)

    def test_empty_product_code_sent_by_a_client_is_accepted(self):
        user = new_test_user(
            self.env,
            login="cpc_review_products",
            groups="base.group_user,product.group_product_manager",
        )
        Template = self.env["product.template"].with_user(user)
        template = Template.create({"name": "Every Column", "cpc_code": False})
        template.write({"cpc_code": False, "name": "Every Column 2"})
        self.assertEqual(template.name, "Every Column 2")
        with self.assertRaises(AccessError):
            template.write({"cpc_code": "REAL-1"})
