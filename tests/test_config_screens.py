# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Configuration screens as a sales manager meets them: rules that read as
sentences, categories as a tree, an import template to fill in, and the seeded
regions placing every customer."""

import base64
import io

import openpyxl

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .scheme_common import MODULE, SchemeCase
from .test_classification_import import xlsx


@tagged("post_install", "-at_install")
class TestRuleScreens(SchemeCase):
    def setUp(self):
        super().setUp()
        self.Rule = self.env["classification.rule"].with_user(self.manager)

    def _rule(self, scheme, category, criterion, **values):
        return self.Rule.create(
            {
                "scheme_id": scheme.id,
                "category_id": category.id,
                "criterion": criterion,
                **values,
            }
        )

    def test_rules_read_as_conditions(self):
        europe = self.env.ref("base.europe")
        rule = self._rule(
            self.region,
            self.shanghai,
            "country_group",
            country_group_ids=[(6, 0, europe.ids)],
        )
        self.assertEqual(rule.condition_text, f"Country group is {europe.name}")
        self.assertEqual(
            rule.display_name, f"Country group is {europe.name} → East / Shanghai"
        )
        china = self.env.ref("base.cn")
        rule = self._rule(
            self.region,
            self.west,
            "country",
            operator="not_in",
            country_ids=[(6, 0, china.ids)],
        )
        self.assertEqual(rule.display_name, "Country is not China → West")
        rule = self._rule(
            self.region, self.east, "state", state_ids=[(6, 0, self._sh().ids)]
        )
        # A state by its name, without its country's code.
        self.assertEqual(rule.condition_text, f"State is {self._sh().name}")
        bands = {
            (10, 100): "Number of employees from 10 up to 100",
            (0, 10): "Number of employees under 10",
            (500, 0): "Number of employees of 500 or more",
        }
        for (low, high), text in bands.items():
            rule = self._rule(
                self.channel,
                self.direct,
                "employees",
                min_value=low,
                max_value=high,
            )
            self.assertEqual(rule.condition_text, text)
        rule = self._rule(
            self.channel, self.online, "company_type", company_type="person"
        )
        self.assertEqual(rule.condition_text, "Customer is an individual")
        many = self.env["res.country"].search([], limit=6)
        rule = self._rule(self.region, self.west, "country", country_ids=many.ids)
        self.assertIn("and 3 more", rule.condition_text)

    def test_new_rule_has_a_form_following_the_criterion(self):
        action = self.env.ref(f"{MODULE}.classification_rule_action")
        self.assertIn("form", action.view_mode)
        self.assertEqual(self.Rule.new({}).display_name, "New Rule")
        arch = self.Rule.get_view(view_type="form")["arch"]
        self.assertIn("criterion != 'country_group'", arch)
        # A customer scheme's rule offers customer criteria only, and so on.
        self.assertIn("'product_category', 'product_type', 'list_price'", arch)
        self.assertIn(
            'name="condition_text"',
            self.env["classification.scheme"]
            .with_user(self.manager)
            .get_view(view_type="form")["arch"],
        )

    def test_is_not_rule_places_every_other_country(self):
        china = self.env.ref("base.cn")
        self._rule(
            self.region,
            self.west,
            "country",
            operator="not_in",
            country_ids=[(6, 0, china.ids)],
        )
        abroad = [
            self._company(f"Abroad {code}", country_id=self.env.ref(f"base.{code}").id)
            for code in ("sg", "jp", "us", "uk")
        ]
        for partner in abroad:
            self.assertEqual(partner[self.region_field], self.west, partner.name)
        home = self._company("Home", country_id=china.id)
        nowhere = self._company("Nowhere")
        self.assertFalse(home[self.region_field])
        self.assertFalse(nowhere[self.region_field], "no country is not abroad")

    def test_open_band_says_what_is_missing(self):
        with self.assertRaises(ValidationError) as caught:
            self._rule(self.channel, self.direct, "employees")
        message = str(caught.exception)
        self.assertNotIn("0.0", message)
        self.assertIn("without bounds", message)
        self.assertIn("number of employees", message)
        with self.assertRaises(ValidationError) as caught:
            self._rule(
                self.channel, self.direct, "employees", min_value=50, max_value=10
            )
        self.assertIn("from 50 up to 10", str(caught.exception))

    def _sh(self):
        return self.env.ref("base.state_cn_SH")


@tagged("post_install", "-at_install")
class TestCategoryScreens(SchemeCase):
    def test_tree_names_and_counts_of_companies(self):
        self.assertEqual(self.east.tree_name, "East")
        self.assertEqual(self.shanghai.tree_name, "\u2003\u2003Shanghai")
        company = self._company("Tree Co")
        company[self.region_field] = self.shanghai
        self.env["res.partner"].create(
            [{"name": f"Contact {n}", "parent_id": company.id} for n in range(3)]
        )
        self.assertEqual(company.child_ids[0][self.region_field], self.shanghai)
        east = self.east.with_user(self.manager)
        # The company, not its contacts, as the side panel counts.
        self.assertEqual(east.record_count, 1)
        action = east.action_open_records()
        self.assertEqual(self.env["res.partner"].search_count(action["domain"]), 1)

    def test_industry_only_in_a_scheme_of_industries(self):
        self.assertFalse(self.east.show_industry)
        industry = self.env.ref(f"{MODULE}.category_industry_c")
        self.assertTrue(industry.show_industry)
        arch = self.env["classification.category"].get_view(view_type="form")["arch"]
        self.assertIn('invisible="not show_industry"', arch)


@tagged("post_install", "-at_install")
class TestImportScreens(SchemeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.acme = cls.env["res.partner"].create(
            # A customer: the template lists customers (issue 11).
            {"name": "Acme", "is_company": True, "ref": "C001", "customer_rank": 1}
        )
        cls.acme.write(
            {
                cls.region_field: cls.shanghai.id,
                cls.channel_field: [(6, 0, (cls.online | cls.offline).ids)],
            }
        )

    def _wizard(self, content, filename="file.xlsx"):
        return (
            self.env["classification.import.wizard"]
            .with_user(self.manager)
            .create({"file": base64.b64encode(content), "filename": filename})
        )

    def test_template_holds_records_and_lists_of_codes(self):
        # Two customers the name alone does not tell apart.
        twins = self._company("Twin", customer_rank=1) | self._company(
            "Twin", customer_rank=1
        )
        wizard = self.env["classification.import.wizard"].with_user(self.manager)
        wizard = wizard.create({})
        wizard.action_download_template()
        content = base64.b64decode(wizard.template_file)
        workbook = openpyxl.load_workbook(io.BytesIO(content))
        sheet = workbook.worksheets[0]
        header = [cell.value for cell in sheet[1]]
        rows = {row[2]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
        twin_ids = {
            row[0]
            for row in sheet.iter_rows(min_row=2, values_only=True)
            if row[2] == "Twin"
        }
        self.assertEqual(len(twin_ids), 2, "each twin gets an external ID")
        self.assertEqual({self.env.ref(xid).id for xid in twin_ids}, set(twins.ids))
        acme = dict(zip(header, rows["Acme"], strict=True))
        self.assertEqual(acme["reference"], "C001")
        self.assertEqual(acme["TREGION"], "EAST-SH")
        self.assertEqual(set(acme["TCHANNEL"].split("; ")), {"ON", "OFF"})
        lists = workbook["Lists"]
        self.assertEqual(lists.sheet_state, "hidden")
        validations = {
            str(validation.sqref).split(":")[0][0]: validation
            for validation in sheet.data_validations.dataValidation
        }
        region_column = "ABCDEFGHIJ"[header.index("TREGION")]
        region = validations[region_column]
        self.assertEqual(region.type, "list")
        self.assertEqual(region.errorStyle, "stop")
        listed = [
            cell.value
            for cell in lists[region.formula1.split("!")[1].replace("$", "")]
            for cell in cell
        ]
        self.assertEqual(set(listed), {"EAST", "EAST-SH", "WEST"})
        channel = validations["ABCDEFGHIJ"[header.index("TCHANNEL")]]
        self.assertEqual(channel.errorStyle, "warning", "several codes go in a cell")
        # The template imports back as it is: every row checked, nothing changes.
        wizard = self._wizard(content)
        wizard.action_check()
        self.assertEqual(wizard.state, "preview", wizard.error_report)
        line = wizard.line_ids.filtered(lambda line: line.record == "Acme")
        self.assertFalse(line.changed)
        self.assertEqual(line.changes, "No change")

    def test_preview_shows_old_and_new(self):
        wizard = self._wizard(
            xlsx([["reference", "TREGION", "TCHANNEL"], ["C001", "WEST", "ON"]])
        )
        wizard.action_check()
        self.assertEqual(wizard.state, "preview", wizard.error_report)
        [line] = wizard.line_ids
        self.assertTrue(line.changed)
        self.assertIn("Test Region: East / Shanghai → West", line.changes)
        self.assertIn("Test Channel: Offline, Online → Online", line.changes)
        self.assertEqual(wizard.change_count, 1)

    def test_names_match_by_synonym_in_every_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.west.synonyms = "Far West"
        self.west.with_context(lang="zh_CN").write(
            {"name": "西部", "synonyms": "西边; 大西部"}
        )
        wizard = self._wizard(
            xlsx(
                [
                    ["reference", "TREGION"],
                    ["C001", "大西部"],
                ]
            )
        )
        wizard.action_check()
        self.assertEqual(wizard.state, "preview", wizard.error_report)
        wizard.action_import()
        self.assertEqual(self.acme[self.region_field], self.west)
        for name in ("far west", "西部"):
            wizard = self._wizard(xlsx([["reference", "TREGION"], ["C001", name]]))
            wizard.action_check()
            self.assertEqual(wizard.state, "preview", wizard.error_report)
        # An unknown name is told which names the scheme takes.
        wizard = self._wizard(xlsx([["reference", "TREGION"], ["C001", "Mars"]]))
        wizard.action_check()
        self.assertIn("unknown category Mars", wizard.error_report)
        self.assertIn("WEST (West)", wizard.error_report)


@tagged("post_install", "-at_install")
class TestSeededRegions(SchemeCase):
    def test_every_country_and_province_is_placed(self):
        region = self.env.ref(f"{MODULE}.scheme_region")
        region.active = True
        overseas = self.env.ref(f"{MODULE}.category_region_overseas")
        europe = self.env.ref(f"{MODULE}.category_region_europe")
        for code in ("sg", "jp", "us", "uk", "au"):
            partner = self._company(
                f"Abroad {code}", country_id=self.env.ref(f"base.{code}").id
            )
            self.assertIn(
                partner[region.field_name], overseas | overseas.child_ids, code
            )
        germany = self._company("Berlin", country_id=self.env.ref("base.de").id)
        self.assertEqual(germany[region.field_name], europe)
        china = self.env.ref("base.cn")
        provinces = china.state_ids - (
            self.env.ref("base.state_cn_HK")
            | self.env.ref("base.state_cn_MO")
            | self.env.ref("base.state_cn_TW")
        )
        self.assertGreaterEqual(len(provinces), 31)
        partners = self.env["res.partner"].create(
            [
                {
                    "name": f"Province {state.code}",
                    "is_company": True,
                    "country_id": china.id,
                    "state_id": state.id,
                }
                for state in provinces
            ]
        )
        for partner in partners:
            category = partner[region.field_name]
            # A province, under its region, under mainland China.
            self.assertEqual(len(category.parent_path.split("/")), 4, partner.name)
            self.assertTrue(category.complete_code.startswith("CN-"), partner.name)
        sichuan = partners.filtered(
            lambda p: p.state_id == self.env.ref("base.state_cn_SC")
        )
        self.assertEqual(sichuan[region.field_name].complete_code, "CN-SW-SC")
        hk = self._company("Kowloon", country_id=self.env.ref("base.hk").id)
        self.assertEqual(
            hk[region.field_name], self.env.ref(f"{MODULE}.category_region_hmt")
        )
