# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""What the screens walk of issue 11 found, as the users concerned read it."""

import base64
import io
from datetime import timedelta

import openpyxl
from lxml import etree

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import MODULE, TODAY
from .product_common import ProductCase
from .scheme_common import SchemeCase
from .test_classification_import import xlsx


def _arch(env, model, view_type, xmlid=None, user=None):
    Model = env[model].with_user(user) if user else env[model]
    view_id = env.ref(xmlid).id if xmlid else None
    return etree.fromstring(Model.get_view(view_id, view_type)["arch"])


@tagged("post_install", "-at_install")
class TestScreenWalk(ProductCase):
    # ------------------------------------------------------------ item 1
    def test_default_profile_named_in_a_language_installed_later(self):
        profile = self.profile
        renamed = self.env["product.abc.profile"].create(
            {
                "name": "Spare parts",
                "sequence": 20,
                "level_ids": [(0, 0, {"code": "A", "share": 100.0})],
            }
        )
        # Several companies, several default profiles to name at once.
        early = self.env["res.company"].create({"name": "CPC Early Company"})
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            [MODULE], ["zh_CN"], overwrite=True
        )
        self.assertEqual(profile.with_context(lang="zh_CN").name, "按销售额划分产品")
        self.assertEqual(
            self._default_profile(early).with_context(lang="zh_CN").name,
            "按销售额划分产品",
        )
        self.assertEqual(profile.with_context(lang="en_US").name, "Products by revenue")
        self.assertEqual(renamed.with_context(lang="zh_CN").name, "Spare parts")
        # A company created once Chinese is there gets it at once.
        company = self.env["res.company"].create({"name": "CPC Later Company"})
        new_profile = self._default_profile(company)
        self.assertEqual(
            new_profile.with_context(lang="zh_CN").name, "按销售额划分产品"
        )

    # ------------------------------------------------------------ item 2
    def test_history_lists_show_days_in_fixed_columns(self):
        """Dates as days, wide enough for a Chinese date (2026年12月02日), under
        short headers."""
        for model in (
            "partner.classification.history",
            "partner.classification.movement",
            "product.classification.history",
        ):
            arch = _arch(self.env, model, "list")
            columns = {node.get("name"): node for node in arch.iter("field")}
            self.assertEqual(columns["date"].get("widget"), "date", model)
            self.assertEqual(columns["date"].get("string"), "Written", model)
            self.assertEqual(columns["reference_date"].get("string"), "As Of", model)
            for fname in ("date", "reference_date"):
                self.assertEqual(columns[fname].get("width"), "130px", model)

    # ------------------------------------------------------------ item 3
    def test_shares_read_as_percentages(self):
        """Shares are stored in percentage points: the widget adds the sign
        without multiplying by 100, in lists, forms, the kanban and the pivot."""
        for model, view_type, xmlid, fname in (
            ("product.classification", "list", None, "share"),
            ("product.classification", "list", None, "cumulative_share"),
            ("product.classification", "form", None, "share"),
            ("product.classification", "kanban", None, "share"),
            ("product.classification", "pivot", None, "share"),
            ("product.abc.profile", "form", None, "share"),
            ("partner.value.tier", "list", None, "revenue_share"),
            (
                "partner.value.tier",
                "list",
                f"{MODULE}.partner_value_tier_view_settings_list",
                "revenue_share",
            ),
        ):
            arch = _arch(self.env, model, view_type, xmlid)
            widgets = {
                node.get("widget")
                for node in arch.iter("field")
                if node.get("name") == fname
            }
            self.assertEqual(widgets, {"cpc_percent"}, f"{model} {view_type} {fname}")

    def test_revenue_share_pie_in_tier_colours_and_ladder_order(self):
        graph = _arch(
            self.env,
            "partner.classification",
            "graph",
            f"{MODULE}.partner_classification_view_graph_revenue_share",
        )
        self.assertEqual(graph.get("js_class"), "cpc_record_color_graph")
        for code, amount in (("A", 900), ("B", 60), ("C", 30), ("D", 10)):
            customer = self._customer(f"Walk Pie {code}")
            self._order(customer, amount, TODAY - timedelta(days=3))
        self._classify()
        groups = (
            self.env["partner.classification"]
            .with_user(self.manager)
            .read_group(
                [("company_id", "=", self.company.id)], ["revenue:sum"], ["tier_id"]
            )
        )
        self.assertEqual(
            [group["tier_id"][1][:1] for group in groups], ["A", "B", "C", "D"]
        )

    # ------------------------------------------------------------ item 4
    def test_customers_menu_lists_customers(self):
        action = self.env.ref(f"{MODULE}.res_partner_action_customer")
        context = safe_eval(action.context)
        self.assertEqual(context.get("search_default_filter_cpc_customers"), 1)
        arch = _arch(
            self.env,
            "res.partner",
            "search",
            f"{MODULE}.res_partner_view_search_by_category",
            self.manager,
        )
        [node] = arch.xpath("//filter[@name='filter_cpc_customers']")
        domain = safe_eval(action.domain) + safe_eval(node.get("domain"))

        quoted = self._customer("Walk Quoted", is_company=True)
        self._order(quoted, 100, TODAY, state="draft")
        company = self._customer("Walk Company", is_company=True)
        self._order(self._customer("Walk Buyer", parent_id=company.id), 100, TODAY)
        invoiced = self._customer("Walk Invoiced", customer_rank=2)
        classified = self._customer("Walk Classified")
        self._order(classified, 100, TODAY - timedelta(days=10))
        self._classify()
        # Classified, with no order left.
        classified.sale_order_ids._action_cancel()
        classified.sale_order_ids.unlink()
        plain = self._customer("Walk Supplier", is_company=True, supplier_rank=1)
        user = new_test_user(self.env, login="cpc_walk_user", groups="base.group_user")

        listed = self.env["res.partner"].with_user(self.manager).search(domain)
        for customer in (quoted, company, invoiced, classified):
            self.assertIn(customer, listed, customer.name)
        for other in (plain, user.partner_id, self.env.company.partner_id):
            self.assertNotIn(other, listed, other.name)
        self.assertTrue(
            quoted.with_user(self.manager).cpc_is_customer
            and not plain.with_user(self.manager).cpc_is_customer
        )
        # Without the filter, every partner is there.
        everyone = (
            self.env["res.partner"]
            .with_user(self.manager)
            .search(safe_eval(action.domain))
        )
        self.assertIn(plain, everyone)
        # Customer value stays internal: the field is the group's.
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(user).search(
                [("cpc_is_customer", "=", True)]
            )

    # ------------------------------------------------------------ item 5
    def test_product_lists_have_class_panels_and_no_quick_create(self):
        arch = _arch(
            self.env,
            "product.template",
            "search",
            f"{MODULE}.product_template_view_search_by_category",
            self.manager,
        )
        panel = [node.get("name") for node in arch.xpath("//searchpanel/field")]
        self.assertEqual(panel[:2], ["abc_level_id", "xyz_class"])
        product = self._product("Walk Panel Widget")
        self._sell([(product, 5, 100)], TODAY - timedelta(days=20))
        self._classify_products()
        Template = self.env["product.template"].with_user(self.manager)
        levels = Template.search_panel_select_multi_range(
            "abc_level_id", enable_counters=True
        )["values"]
        self.assertIn(
            self._prow(product).abc_level_id.id, [value["id"] for value in levels]
        )
        other = self.env["res.company"].create({"name": "CPC Walk Other"})
        self.assertNotIn(
            self._default_profile(other).level_ids[0].id,
            [value["id"] for value in levels],
            "another company's levels stay out of the panel",
        )
        kanban = _arch(self.env, "product.classification", "kanban")
        self.assertEqual(kanban.get("quick_create"), "false")
        self.assertEqual(kanban.get("group_create"), "false")
        # Coloured as the customer tiers of the same letter.
        colours = {level.code: level.color for level in self.profile.level_ids}
        tiers = {tier.code: tier.color for tier in self.company.cpc_value_tier_ids}
        self.assertEqual(colours, {code: tiers[code] for code in ("A", "B", "C")})

    # ------------------------------------------------------------ item 6
    def test_every_screen_says_what_it_shows_when_empty(self):
        for xmlid in (
            "partner_classification_action",
            "partner_classification_action_analysis",
            "partner_classification_action_revenue_share",
            "partner_classification_action_rf_grid",
            "partner_classification_history_action",
            "partner_classification_history_action_migration",
            "partner_classification_movement_action",
            "partner_rfm_segment_action",
            "partner_rfm_cell_action",
            "product_abc_profile_action",
            "product_classification_action",
            "product_classification_action_analysis",
            "product_classification_action_pareto",
            "product_classification_history_action",
            "res_partner_action_customer",
            "product_template_action_classification",
        ):
            action = self.env.ref(f"{MODULE}.{xmlid}")
            self.assertTrue(action.help, f"{xmlid} has no help")

    # ------------------------------------------------------------ item 9
    def test_rf_grid_axes_and_segment_map_by_segment(self):
        pivot = _arch(
            self.env,
            "partner.classification",
            "pivot",
            f"{MODULE}.partner_classification_view_pivot_rf_grid",
        )
        self.assertEqual(pivot.get("js_class"), "cpc_axis_pivot")
        labels = {node.get("name"): node.get("string") for node in pivot.iter("field")}
        self.assertEqual(labels["recency_score"], "Recency Score (R)")
        self.assertEqual(labels["frequency_score"], "Frequency Score (F)")
        context = safe_eval(self.env.ref(f"{MODULE}.partner_rfm_cell_action").context)
        self.assertEqual(context.get("search_default_group_segment"), 1)
        [group] = self.env["partner.rfm.cell"].read_group(
            [
                ("rfm_map", "=", "eleven"),
                ("segment_id", "=", self._segment("champions").id),
            ],
            ["recency_score", "frequency_score"],
            ["segment_id"],
        )
        self.assertNotIn("recency_score", group, "no sum of scores per segment")

    def test_no_demand_pin_refused_on_a_product_that_sells(self):
        product = self._product("Walk Seller")
        for months_ago in (1, 2, 3):
            self._sell([(product, 4, 10)], TODAY - timedelta(days=30 * months_ago))
        self._classify_products()
        row = self._prow(product)
        self.assertTrue(row.sale_months)
        with self.assertRaisesRegex(ValidationError, "Walk Seller.*No demand"):
            row.with_user(self.manager).write(
                {"manual_xyz_class": "none", "pin_reason": "Walk"}
            )
        row.with_user(self.manager).write(
            {"manual_xyz_class": "z", "pin_reason": "Walk"}
        )
        self.assertEqual(row.xyz_class, "z")

    # ------------------------------------------------------------ item 10
    def test_customer_form_classes_first_and_history_button(self):
        customer = self._customer("Walk History", is_company=True)
        self._order(customer, 300, TODAY - timedelta(days=5))
        self._classify()
        arch = _arch(self.env, "res.partner", "form", user=self.manager)
        pages = arch.xpath("//notebook/page")
        self.assertEqual(pages[0].get("name"), "customer_classification")
        self.assertFalse(any(page.get("autofocus") for page in pages))
        self.assertTrue(
            arch.xpath("//button[@name='action_open_classification_history']")
        )
        partner = customer.with_user(self.manager)
        action = partner.action_open_classification_history()
        rows = (
            self.env[action["res_model"]]
            .with_user(self.manager)
            .search(action["domain"])
        )
        self.assertTrue(rows, "the first classification is history too")
        self.assertEqual(partner.classification_history_count, len(rows))
        self.assertEqual(rows.partner_id, customer)
        self.assertIn("Walk History", action["name"])
        # For whoever may not read classes, no way in over RPC either.
        # Whoever may not read classes (an accountant, say) sees no tab and has
        # no way in over RPC either.
        clerk = new_test_user(
            self.env, login="cpc_walk_clerk", groups="base.group_user"
        )
        self.assertFalse(
            _arch(self.env, "res.partner", "form", user=clerk).xpath(
                "//page[@name='customer_classification']"
            )
        )
        with self.assertRaises(AccessError):
            customer.with_user(clerk).action_open_classification_history()

    def test_product_form_history_button(self):
        product = self._product("Walk Product History")
        self._sell([(product, 2, 50)], TODAY - timedelta(days=15))
        self._classify_products()
        template = product.product_tmpl_id.with_user(self.manager)
        self.assertGreaterEqual(template.product_classification_history_count, 1)
        action = template.action_open_product_classification_history()
        rows = (
            self.env[action["res_model"]]
            .with_user(self.manager)
            .search(action["domain"])
        )
        self.assertEqual(rows.product_tmpl_id, product.product_tmpl_id)
        self.assertEqual(len(rows), template.product_classification_history_count)
        clerk = new_test_user(
            self.env, login="cpc_walk_clerk", groups="base.group_user"
        )
        with self.assertRaises(AccessError):
            product.product_tmpl_id.with_user(
                clerk
            ).action_open_product_classification_history()

    # ------------------------------------------------------------ item 11
    def test_active_stage_has_a_label_of_its_own(self):
        stages = dict(
            self.env["partner.classification"]
            ._fields["stage"]
            ._description_selection(self.env)
        )
        self.assertEqual(stages["active"], "Active Customer")
        search = _arch(self.env, "partner.classification", "search")
        [active] = search.xpath("//filter[@name='filter_active']")
        self.assertEqual(active.get("string"), "Active Customer")

    # ------------------------------------------------------------ item 7
    def test_xyz_settings_one_notion_each(self):
        arch = _arch(
            self.env,
            "res.config.settings",
            "form",
            f"{MODULE}.res_config_settings_view_form",
        )
        settings = {
            node.get("id"): node
            for node in arch.xpath("//block[@name='cpc_product_classes_block']/setting")
        }
        for setting_id, fnames in (
            ("cpc_xyz_window", ["cpc_xyz_months"]),
            ("cpc_xyz_limits", ["cpc_xyz_x_max", "cpc_xyz_y_max"]),
            ("cpc_xyz_history", ["cpc_xyz_min_months"]),
        ):
            setting = settings[setting_id]
            self.assertTrue(setting.get("string") and setting.get("help"), setting_id)
            self.assertEqual(
                [node.get("name") for node in setting.iter("field")], fnames
            )


@tagged("post_install", "-at_install")
class TestScreenWalkSchemes(SchemeCase):
    # ------------------------------------------------------------ item 10
    def test_side_panel_names_categories_without_their_path(self):
        self.env["res.partner"].create(
            {
                "name": "Walk Panel Co",
                "is_company": True,
                self.region_field: self.shanghai.id,
            }
        )
        # The panel has one section per scheme (classification.mixin _get_view).
        values = (
            self.env["res.partner"]
            .with_user(self.manager)
            .search_panel_select_multi_range(
                self.region_field, enable_counters=True, expand=True
            )["values"]
        )
        names = {value["id"]: value["display_name"] for value in values}
        self.assertEqual(names[self.east.id], "East")
        self.assertEqual(names[self.shanghai.id], "\u2003\u2003Shanghai")
        # Everywhere else, the path.
        self.assertEqual(self.shanghai.display_name, "East / Shanghai")

    # ------------------------------------------------------------ item 8
    def test_template_names_its_columns_for_people(self):
        self.env["res.partner"].create(
            {"name": "Walk Template Co", "is_company": True, "customer_rank": 1}
        )
        never = self.env["res.partner"].create({"name": "Walk Not A Customer"})
        wizard = self.env["classification.import.wizard"].with_user(self.manager)
        wizard = wizard.create({})
        wizard.action_download_template()
        content = base64.b64decode(wizard.template_file)
        sheet = openpyxl.load_workbook(io.BytesIO(content)).worksheets[0]
        keys = [cell.value for cell in sheet[1]]
        labels = dict(zip(keys, [cell.value for cell in sheet[2]], strict=True))
        self.assertEqual(labels["external_id"], "External ID")
        self.assertEqual(labels["name"], "Name")
        self.assertEqual(labels["TREGION"], "Test Region")
        names = [row[2] for row in sheet.iter_rows(min_row=3, values_only=True)]
        self.assertIn("Walk Template Co", names)
        self.assertNotIn(never.name, names, "the template lists customers")
        validation = sheet.data_validations.dataValidation[0]
        self.assertTrue(str(validation.sqref).split(":")[0].endswith("3"))
        self.assertIn("Categories", validation.prompt)
        # The label row is no data: the template imports back as it is, and so
        # does a file labelled in another installed language.
        imported = self.env["classification.import.wizard"].with_user(self.manager)
        imported = imported.create(
            {"file": base64.b64encode(content), "filename": "template.xlsx"}
        )
        imported.action_check()
        self.assertEqual(imported.state, "preview", imported.error_report)
        self.env["res.lang"]._activate_lang("zh_CN")
        self.region.with_context(lang="zh_CN").name = "测试区域"
        chinese = xlsx(
            [
                ["name", "TREGION"],
                ["Name", "测试区域"],
                ["Walk Template Co", "WEST"],
            ]
        )
        imported = self.env["classification.import.wizard"].with_user(self.manager)
        imported = imported.create(
            {"file": base64.b64encode(chinese), "filename": "zh.xlsx"}
        )
        imported.action_check()
        self.assertEqual(imported.state, "preview", imported.error_report)
        self.assertEqual(len(imported.line_ids), 1)
