# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged

from .scheme_common import MODULE, SchemeCase


@tagged("post_install", "-at_install")
class TestSchemes(SchemeCase):
    def test_scheme_owns_a_field_of_its_kind(self):
        region = self.env["res.partner"]._fields[self.region_field]
        self.assertEqual(region.type, "many2one")
        self.assertEqual(region.comodel_name, "classification.category")
        channel = self.env["res.partner"]._fields[self.channel_field]
        self.assertEqual(channel.type, "many2many")
        self.assertIn(self.grade_field, self.env["product.template"]._fields)
        # Variants see their template's categories.
        self.assertIn(self.grade_field, self.env["product.product"]._fields)
        self.assertNotIn(self.grade_field, self.env["res.partner"]._fields)

    def test_field_label_names_the_scheme(self):
        self.assertEqual(
            self.region.field_id.field_description, "Test Region (Classification)"
        )
        self.region.name = "Sales Region"
        self.assertEqual(
            self.region.field_id.field_description, "Sales Region (Classification)"
        )

    def test_unused_scheme_deletion_drops_its_field(self):
        scheme = self.env["classification.scheme"].create(
            {"name": "Scratch", "code": "SCRATCH", "applies_to": "partner"}
        )
        name = scheme.field_id.name
        self.assertIn(name, self.env["res.partner"]._fields)
        scheme.unlink()
        self.assertNotIn(name, self.env["res.partner"]._fields)
        self.assertFalse(self.env["ir.model.fields"].search([("name", "=", name)]))

    def test_copy_gets_a_field_of_its_own(self):
        acme = self._company("Acme", **{self.region_field: self.east.id})
        copy = self.region.copy()
        self.assertEqual(copy.code, "TREGION_COPY")
        self.assertNotEqual(copy.field_name, self.region_field)
        self.assertIn(copy.field_name, self.env["res.partner"]._fields)
        self.assertIn(self.region_field, self.env["res.partner"]._fields)
        self.assertEqual(
            acme[self.region_field], self.east, "the original keeps its values"
        )

    def test_used_scheme_cannot_be_deleted(self):
        self._company("Acme", **{self.region_field: self.east.id})
        with self.assertRaisesRegex(UserError, "archive it"):
            self.region.unlink()
        self.region.active = False
        self.assertFalse(self.region.active)

    def test_scheme_codes_unique_per_kind(self):
        with self.assertRaisesRegex(ValidationError, "(?i)tregion"):
            self.env["classification.scheme"].create(
                {"name": "Again", "code": "tregion", "applies_to": "partner"}
            )

    def test_scheme_cannot_change_kind(self):
        with self.assertRaisesRegex(UserError, "Test Region"):
            self.region.applies_to = "product"

    def test_complete_name_and_code(self):
        pudong = self.env["classification.category"].create(
            {
                "scheme_id": self.region.id,
                "name": "Pudong",
                "code": "PD",
                "parent_id": self.shanghai.id,
            }
        )
        self.assertEqual(pudong.complete_name, "East / Shanghai / Pudong")
        self.assertEqual(pudong.complete_code, "EAST-SH-PD")
        self.east.code = "E"
        self.assertEqual(pudong.complete_code, "E-SH-PD")
        self.assertEqual(pudong.display_name, "East / Shanghai / Pudong")
        # In the test scheme: the seeded regions have an East China / Shanghai too.
        found = self.env["classification.category"].search(
            [
                ("scheme_id", "=", self.region.id),
                ("complete_name", "ilike", "East / Shang"),
            ]
        )
        self.assertEqual(found, self.shanghai)

    def test_category_tree_is_ordered_by_sequence_within_parent(self):
        self.west.sequence = 1
        ordered = self.env["classification.category"].search(
            [("scheme_id", "=", self.region.id)]
        )
        self.assertEqual(ordered.ids, [self.west.id, self.east.id, self.shanghai.id])

    def test_code_unique_within_scheme(self):
        Category = self.env["classification.category"]
        with self.assertRaisesRegex(ValidationError, "EAST"):
            Category.create({"scheme_id": self.region.id, "name": "E2", "code": "EAST"})
        # Another scheme may use the same code.
        other = Category.create(
            {"scheme_id": self.channel.id, "name": "East shop", "code": "EAST"}
        )
        self.assertEqual(other.complete_code, "EAST")
        with self.assertRaisesRegex(ValidationError, "may not contain"):
            Category.create({"scheme_id": self.region.id, "name": "X", "code": "A-B"})

    def test_category_copy(self):
        copy = self.shanghai.copy()
        self.assertEqual(copy.complete_code, "EAST-SH_COPY")
        self.assertEqual(copy.parent_id, self.east)

    def test_cycles_and_foreign_parents_refused(self):
        with self.assertRaisesRegex(UserError, "Recursion"):
            self.east.parent_id = self.shanghai
        with self.assertRaisesRegex(ValidationError, "different schemes"):
            self.online.parent_id = self.east

    def test_category_in_use_archived_not_deleted(self):
        acme = self._company("Acme", **{self.region_field: self.shanghai.id})
        with self.assertRaisesRegex(UserError, "archive the category"):
            self.shanghai.unlink()
        with self.assertRaisesRegex(UserError, "sub-categories"):
            self.east.unlink()
        self.shanghai.active = False
        self.assertEqual(acme[self.region_field], self.shanghai)
        self.west.unlink()
        self.assertFalse(self.west.exists())

    def test_category_counts_its_subtree(self):
        self._company("Acme", **{self.region_field: self.shanghai.id})
        self._company("Beta", **{self.region_field: self.east.id})
        self.assertEqual(self.east.record_count, 2)
        self.assertEqual(self.shanghai.record_count, 1)
        action = self.east.action_open_records()
        self.assertEqual(
            self.env["res.partner"].search_count(action["domain"]),
            2,
        )

    def test_search_takes_category_with_children(self):
        acme = self._company("Acme", **{self.region_field: self.shanghai.id})
        beta = self._company("Beta", **{self.region_field: self.west.id})
        gamma = self._company("Gamma", **{self.channel_field: [self.online.id]})
        Partner = self.env["res.partner"]
        for operator in ("child_of", "in", "="):
            value = [self.east.id] if operator == "in" else self.east.id
            found = Partner.search([("classification_category_ids", operator, value)])
            self.assertEqual(found, acme, operator)
        self.assertEqual(
            Partner.search([(self.region_field, "child_of", self.east.id)]), acme
        )
        self.assertEqual(
            Partner.search([("classification_category_ids", "ilike", "East")]), acme
        )
        others = Partner.search(
            [
                ("classification_category_ids", "not in", [self.east.id]),
                ("id", "in", (acme | beta | gamma).ids),
            ]
        )
        self.assertEqual(others, beta | gamma)
        self.assertEqual(
            acme.classification_category_ids, self.shanghai, "one field for all"
        )
        gamma[self.channel_field] = [Command.link(self.direct.id)]
        self.assertEqual(gamma.classification_category_ids, self.online | self.direct)

    def test_one_value_scheme_refuses_two_categories(self):
        acme = self._company("Acme")
        with self.assertRaisesRegex(ValidationError, "only one category"):
            acme.classification_category_ids = self.east | self.west
        acme.classification_category_ids = self.east | self.online | self.offline
        self.assertEqual(acme[self.region_field], self.east)
        self.assertEqual(acme[self.channel_field], self.online | self.offline)
        with self.assertRaisesRegex(ValidationError, "not a category of the scheme"):
            acme[self.region_field] = self.online

    def test_commercial_partner_carries_contacts_show(self):
        acme = self._company("Acme", **{self.region_field: self.east.id})
        contact = self.env["res.partner"].create({"name": "Ann", "parent_id": acme.id})
        self.assertEqual(contact[self.region_field], self.east)
        acme.write(
            {
                self.region_field: self.west.id,
                self.channel_field: [Command.set(self.online.ids)],
            }
        )
        self.assertEqual(contact[self.region_field], self.west)
        self.assertEqual(contact[self.channel_field], self.online)
        form = etree.fromstring(
            self.env["res.partner"].get_view(view_type="form")["arch"]
        )
        [node] = form.xpath(f"//field[@name='{self.region_field}']")
        self.assertEqual(node.get("readonly"), "parent_id and not is_company")

    def test_switching_to_several_values_keeps_categories(self):
        acme = self._company("Acme", **{self.region_field: self.east.id})
        self.region.multiple = True
        new_field = self.region.field_id.name
        self.assertNotEqual(new_field, self.region_field)
        self.assertNotIn(self.region_field, self.env["res.partner"]._fields)
        acme.invalidate_recordset()
        self.assertEqual(acme[new_field], self.east)
        acme[new_field] = [Command.link(self.west.id)]
        with self.assertRaisesRegex(UserError, "several categories"):
            self.region.multiple = False

    def test_back_to_one_value_keeps_single_categories(self):
        acme = self._company(
            "Acme", **{self.channel_field: [Command.set(self.online.ids)]}
        )
        beta = self._company("Beta")
        self.channel.multiple = False
        field = self.channel.field_name
        self.assertTrue(field.endswith("_id"))
        self.assertEqual(self.env["res.partner"]._fields[field].type, "many2one")
        acme.invalidate_recordset()
        self.assertEqual(acme[field], self.online)
        self.assertFalse(beta[field])

    def test_forms_show_one_field_per_active_scheme(self):
        def form_fields():
            arch = etree.fromstring(
                self.env["res.partner"].get_view(view_type="form")["arch"]
            )
            return [
                node.get("name")
                for node in arch.xpath("//group[@name='classification_schemes']/field")
            ]

        self.assertIn(self.region_field, form_fields())
        self.assertIn(self.channel_field, form_fields())
        self.assertNotIn(self.grade_field, form_fields())
        self.channel.active = False
        self.assertNotIn(self.channel_field, form_fields())
        self.region.required = True
        arch = etree.fromstring(
            self.env["res.partner"].get_view(view_type="form")["arch"]
        )
        [node] = arch.xpath(f"//field[@name='{self.region_field}']")
        self.assertEqual(node.get("required"), "not (parent_id and not is_company)")
        product_arch = self.env["product.template"].get_view(view_type="form")["arch"]
        self.assertIn(self.grade_field, product_arch)

    def test_group_by_and_search_any_scheme(self):
        search = etree.fromstring(
            self.env["res.partner"].get_view(view_type="search")["arch"]
        )
        group_by = search.xpath(f"//filter[@name='group_by_{self.region_field}']")
        self.assertEqual(len(group_by), 1)
        self.assertIn(self.region_field, group_by[0].get("context"))
        [field] = search.xpath(f"//field[@name='{self.region_field}']")
        self.assertEqual(field.get("operator"), "child_of")
        self._company("Acme", **{self.region_field: self.east.id})
        self._company("Beta", **{self.region_field: self.east.id})
        groups = dict(
            self.env["res.partner"]._read_group(
                [(self.region_field, "!=", False)], [self.region_field], ["__count"]
            )
        )
        self.assertEqual(groups[self.east], 2)
        listing = self.env["res.partner"].get_view(view_type="list")["arch"]
        self.assertIn(self.channel_field, listing)

    def test_search_panel_browses_categories(self):
        self._company("Acme", **{self.region_field: self.shanghai.id})
        values = self.env["res.partner"].search_panel_select_multi_range(
            "classification_category_ids",
            comodel_domain=[("applies_to", "=", "partner")],
            group_by="scheme_id",
            expand=True,
        )["values"]
        by_id = {value["id"]: value for value in values}
        # Indented under its parent, not its whole path, which the panel cuts
        # (issue 11).
        self.assertEqual(
            by_id[self.shanghai.id]["display_name"], "\u2003\u2003Shanghai"
        )
        self.assertEqual(by_id[self.shanghai.id]["group_id"], self.region.id)
        self.assertNotIn(self.grade_a.id, by_id)

    def test_seeded_schemes_in_english_and_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            [MODULE], ["zh_CN"], overwrite=True
        )
        region = self.env.ref(f"{MODULE}.scheme_region")
        east = self.env.ref(f"{MODULE}.category_region_east")
        self.assertEqual(east.complete_name, "Mainland China / East China")
        self.assertEqual(east.complete_code, "CN-EAST")
        self.assertEqual(region.with_context(lang="zh_CN").name, "区域")
        self.assertEqual(
            east.with_context(lang="zh_CN").complete_name, "中国大陆 / 华东"
        )
        # The scheme's field is labelled in the language installed after it.
        label = region.field_id.with_context(lang="zh_CN").field_description
        self.assertEqual(label, "区域（分类）")  # noqa: RUF001
        codes = set(
            self.seeded.filtered(lambda s: s.applies_to == "partner").mapped("code")
        )
        self.assertLessEqual(
            {"CTYPE", "SIZE", "INDUSTRY", "REGION", "CHANNEL", "NEEDS", "ACCOUNT"},
            codes,
        )
        industry = self.env.ref(f"{MODULE}.category_industry_c")
        self.assertEqual(
            industry.industry_id, self.env.ref("base.res_partner_industry_C")
        )
        region.active = True
        self.assertIn(region.field_name, self.env["res.partner"].get_view()["arch"])
        region.active = False
        self.assertNotIn(region, self.env["classification.scheme"].search([]))
        self.assertNotIn(region.field_name, self.env["res.partner"].get_view()["arch"])


@tagged("post_install", "-at_install")
class TestRules(SchemeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cn = cls.env.ref("base.cn")
        Rule = cls.env["classification.rule"]
        cls.shanghai_rule = Rule.create(
            {
                "scheme_id": cls.region.id,
                "category_id": cls.shanghai.id,
                "criterion": "state",
                "state_ids": [Command.set(cls.env.ref("base.state_cn_SH").ids)],
                "sequence": 1,
            }
        )
        cls.east_rule = Rule.create(
            {
                "scheme_id": cls.region.id,
                "category_id": cls.east.id,
                "criterion": "country",
                "country_ids": [Command.set(cls.env.ref("base.cn").ids)],
                "sequence": 2,
            }
        )
        Rule.create(
            [
                {
                    "scheme_id": cls.channel.id,
                    "category_id": cls.online.id,
                    "criterion": "company_type",
                    "company_type": "company",
                },
                {
                    "scheme_id": cls.channel.id,
                    "category_id": cls.direct.id,
                    "criterion": "employees",
                    "min_value": 100,
                },
                {
                    "scheme_id": cls.grade.id,
                    "category_id": cls.grade_a.id,
                    "criterion": "list_price",
                    "min_value": 1000,
                },
                {
                    "scheme_id": cls.grade.id,
                    "category_id": cls.grade_b.id,
                    "criterion": "product_category",
                    "product_categ_ids": [
                        Command.set(cls.env.ref("product.product_category_all").ids)
                    ],
                    "sequence": 20,
                },
            ]
        )

    def test_rules_place_on_create(self):
        acme = self._company(
            "Acme",
            country_id=self.env.ref("base.cn").id,
            state_id=self.env.ref("base.state_cn_SH").id,
            cpc_employee_count=250,
        )
        self.assertEqual(acme[self.region_field], self.shanghai, "first rule wins")
        self.assertEqual(acme[self.channel_field], self.online | self.direct)
        self.assertEqual(
            acme.classification_auto_scheme_ids, self.region | self.channel
        )

    def test_rules_follow_writes(self):
        acme = self._company("Acme", country_id=self.env.ref("base.cn").id)
        self.assertEqual(acme[self.region_field], self.east)
        acme.state_id = self.env.ref("base.state_cn_SH")
        self.assertEqual(acme[self.region_field], self.shanghai)
        acme.write({"country_id": self.env.ref("base.fr").id, "state_id": False})
        self.assertFalse(acme[self.region_field], "a rule's value goes with its cause")
        acme.cpc_employee_count = 5
        self.assertEqual(acme[self.channel_field], self.online)

    def test_rules_never_replace_a_manual_choice(self):
        acme = self._company("Acme")
        acme[self.region_field] = self.west
        acme.country_id = self.env.ref("base.cn")
        self.assertEqual(acme[self.region_field], self.west)
        self.assertNotIn(self.region, acme.classification_auto_scheme_ids)
        # Applying the rules again keeps it too, unless asked to overwrite.
        self._apply_rules(self.region)
        self.assertEqual(acme[self.region_field], self.west)
        self._apply_rules(self.region.with_context(cpc_overwrite_manual=True))
        self.assertEqual(acme[self.region_field], self.east)
        self.assertIn(self.region, acme.classification_auto_scheme_ids)

    def test_reapplying_rules_reaches_existing_records(self):
        acme = self._company("Acme", country_id=self.env.ref("base.cn").id)
        # One write: a rule is checked to say what it matches after each write.
        self.shanghai_rule.write(
            {
                "state_ids": False,
                "criterion": "country",
                "country_ids": self.env.ref("base.cn").ids,
            }
        )
        self.assertEqual(acme[self.region_field], self.east, "rules run on demand")
        self._apply_rules(self.region)
        self.assertEqual(acme[self.region_field], self.shanghai)

    def test_queued_rules_run_in_batches(self):
        partners = self.env["res.partner"].create(
            [
                {"name": f"Batch {n}", "is_company": True, "country_id": self.cn.id}
                for n in range(5)
            ]
        )
        # Placed by hand first, then the rules are asked to replace that.
        partners.write({self.region_field: self.west.id})
        self.env["ir.config_parameter"].set_param(
            "customer_product_classification.batch_size", 2
        )
        self.region.with_context(cpc_overwrite_manual=True).action_apply_rules()
        self.assertTrue(self.region.rules_queued)
        Scheme = self.env["classification.scheme"]
        calls = 0
        while self.region.rules_queued:
            done, __ = Scheme._cron_apply_rules()
            self.assertLessEqual(done, 2)
            calls += 1
        self.assertGreaterEqual(calls, 3)
        self.assertEqual(set(partners.mapped(self.region_field)), {self.east})

    def _apply_rules(self, scheme):
        action = scheme.action_apply_rules()
        self.assertEqual(action["params"]["type"], "success")
        self.assertTrue(scheme.rules_queued)
        self.env["classification.scheme"]._cron_apply_rules()
        self.assertFalse(scheme.rules_queued)

    def test_rules_skip_contacts(self):
        acme = self._company("Acme", country_id=self.env.ref("base.cn").id)
        contact = self.env["res.partner"].create(
            {
                "name": "Ann",
                "parent_id": acme.id,
                "country_id": self.env.ref("base.fr").id,
            }
        )
        self.assertEqual(contact[self.region_field], self.east, "from its company")

    def test_every_partner_criterion(self):
        Rule = self.env["classification.rule"]
        team = self.env["crm.team"].create({"name": "Key Accounts Team"})
        rep = new_test_user(self.env, login="cpc_key_rep", groups="base.group_user")
        rep.sale_team_id = team
        industry = self.env.ref("base.res_partner_industry_C")
        scheme = self.env["classification.scheme"].create(
            {
                "name": "Probe",
                "code": "PROBE",
                "applies_to": "partner",
                "multiple": True,
            }
        )
        criteria = {
            "city": {"city_names": "Shanghai, 北京"},
            "country_group": {
                "country_group_ids": [Command.set(self.env.ref("base.europe").ids)]
            },
            "industry": {"industry_ids": [Command.set(industry.ids)]},
            "team": {"team_ids": [Command.set(team.ids)]},
            "company_type": {"company_type": "person"},
        }
        categories = {}
        for criterion, values in criteria.items():
            categories[criterion] = self.env["classification.category"].create(
                {"scheme_id": scheme.id, "name": criterion, "code": criterion.upper()}
            )
            Rule.create(
                {
                    "scheme_id": scheme.id,
                    "category_id": categories[criterion].id,
                    "criterion": criterion,
                    **values,
                }
            )
        partner = self._company(
            "Probe Co",
            city="  SHANGHAI ",
            country_id=self.env.ref("base.fr").id,
            industry_id=industry.id,
            user_id=rep.id,
        )
        expected = {"city", "country_group", "industry", "team"}
        self.assertEqual(set(partner[scheme.field_name].mapped("name")), expected)
        partner.write({"city": "北京", "is_company": False, "user_id": False})
        expected = {"city", "country_group", "industry", "company_type"}
        self.assertEqual(set(partner[scheme.field_name].mapped("name")), expected)

    def test_apply_rules_on_selected_records(self):
        acme = self._company("Acme")
        self.env.cr.execute(
            "UPDATE res_partner SET country_id = %s WHERE id = %s",
            [self.cn.id, acme.id],
        )
        acme.invalidate_recordset()
        self.assertFalse(acme[self.region_field], "no write, no rule yet")
        action = self.env.ref(f"{MODULE}.res_partner_action_apply_rules")
        action.with_context(
            active_model="res.partner", active_ids=acme.ids, active_id=acme.id
        ).run()
        self.assertEqual(acme[self.region_field], self.east)

    def test_product_rules(self):
        template = self.env["product.template"].create(
            {"name": "Premium", "list_price": 1500}
        )
        self.assertEqual(template[self.grade_field], self.grade_a)
        template.list_price = 10
        self.assertEqual(template[self.grade_field], self.grade_b)

    def test_rule_criterion_must_fit_the_scheme(self):
        with self.assertRaisesRegex(ValidationError, "do not have"):
            self.env["classification.rule"].create(
                {
                    "scheme_id": self.grade.id,
                    "category_id": self.grade_a.id,
                    "criterion": "country",
                }
            )
        with self.assertRaisesRegex(ValidationError, "not a category"):
            self.env["classification.rule"].create(
                {
                    "scheme_id": self.region.id,
                    "category_id": self.online.id,
                    "criterion": "city",
                }
            )


@tagged("post_install", "-at_install")
class TestSchemeAccess(SchemeCase):
    def test_users_read_managers_configure(self):
        Scheme = self.env["classification.scheme"]
        self.assertIn(self.region, Scheme.with_user(self.salesman).search([]))
        with self.assertRaises(AccessError):
            Scheme.with_user(self.salesman).create(
                {"name": "Nope", "code": "NOPE", "applies_to": "partner"}
            )
        with self.assertRaises(AccessError):
            self.east.with_user(self.salesman).name = "Renamed"
        self.east.with_user(self.manager).name = "East Region"
        self.assertEqual(self.east.name, "East Region")
        # Sales reps who may edit contacts place them by hand.
        acme = self._company("Acme")
        acme.with_user(self.salesman)[self.region_field] = self.east
        self.assertEqual(acme[self.region_field], self.east)

    def test_managers_create_and_reshape_schemes(self):
        Scheme = self.env["classification.scheme"].with_user(self.manager)
        scheme = Scheme.create(
            {"name": "Managed", "code": "MANAGED", "applies_to": "product"}
        )
        self.assertIn(scheme.field_name, self.env["product.template"]._fields)
        scheme.multiple = True
        self.assertIn(scheme.field_name, self.env["product.template"]._fields)
        self.assertTrue(scheme.field_name.endswith("_ids"))
        name = scheme.field_name
        scheme.unlink()
        self.assertNotIn(name, self.env["product.template"]._fields)

    def test_company_schemes_stay_in_their_company(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        private = self.env["classification.scheme"].create(
            {
                "name": "Other Co Segments",
                "code": "OTHERSEG",
                "applies_to": "partner",
                "company_id": other.id,
            }
        )
        rep = new_test_user(
            self.env,
            login="cpc_scheme_rep_main",
            groups="sales_team.group_sale_salesman",
            company_id=self.env.company.id,
            company_ids=[Command.set(self.env.company.ids)],
        )
        Scheme = self.env["classification.scheme"].with_user(rep)
        self.assertNotIn(private, Scheme.search([]))
        self.assertIn(self.region, Scheme.search([]))
        arch = self.env["res.partner"].with_user(rep).get_view(view_type="form")["arch"]
        self.assertNotIn(private.field_id.name, arch)
        self.assertIn(self.region_field, arch)
