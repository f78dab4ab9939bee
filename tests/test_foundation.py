# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from pathlib import Path

import polib

from odoo.exceptions import ValidationError
from odoo.tests import Form, TransactionCase, new_test_user, tagged
from odoo.tools.translate import TranslationModuleReader

MODULE = "customer_product_classification"
I18N = Path(__file__).resolve().parent.parent / "i18n"


@tagged("post_install", "-at_install")
class TestFoundation(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.employee = new_test_user(
            cls.env, login="cpc_employee", groups="base.group_user"
        )
        cls.salesman = new_test_user(
            cls.env, login="cpc_salesman", groups="sales_team.group_sale_salesman"
        )
        cls.sales_manager = new_test_user(
            cls.env,
            login="cpc_sales_manager",
            groups="sales_team.group_sale_manager,base.group_system",
        )
        cls.group_user = cls.env.ref(f"{MODULE}.group_classification_user")
        cls.group_manager = cls.env.ref(f"{MODULE}.group_classification_manager")

    def test_sales_groups_imply_classification_groups(self):
        self.assertIn(self.group_user, self.salesman.groups_id)
        self.assertNotIn(self.group_manager, self.salesman.groups_id)
        self.assertIn(self.group_manager, self.sales_manager.groups_id)
        self.assertIn(self.group_user, self.sales_manager.groups_id)
        self.assertNotIn(self.group_user, self.employee.groups_id)

    def test_menus_follow_groups(self):
        root = self.env.ref(f"{MODULE}.menu_classification_root")
        customers = self.env.ref(f"{MODULE}.menu_classification_customers")
        configuration = self.env.ref(f"{MODULE}.menu_classification_configuration")
        settings = self.env.ref(f"{MODULE}.menu_classification_settings")

        def visible(user):
            return self.env["ir.ui.menu"].with_user(user)._visible_menu_ids()

        self.assertNotIn(root.id, visible(self.employee))
        self.assertTrue({root.id, customers.id} <= visible(self.salesman))
        self.assertNotIn(configuration.id, visible(self.salesman))
        self.assertTrue({configuration.id, settings.id} <= visible(self.sales_manager))

    def test_settings_are_per_company(self):
        other_company = self.env["res.company"].create({"name": "CPC Other Company"})
        settings = Form(self.env["res.config.settings"].with_user(self.sales_manager))
        settings.cpc_analysis_months = 36
        settings.save().execute()
        self.assertEqual(self.env.company.cpc_analysis_months, 36)
        self.assertEqual(other_company.cpc_analysis_months, 24)

    def test_settings_refuse_an_empty_window(self):
        with self.assertRaisesRegex(ValidationError, self.env.company.name):
            self.env.company.cpc_analysis_months = 0

    def test_every_model_has_access_rules(self):
        models = self.env["ir.model"].browse(
            self.env["ir.model.data"]
            .search([("module", "=", MODULE), ("model", "=", "ir.model")])
            .mapped("res_id")
        )
        for model in models:
            if self.env[model.model]._abstract:
                continue  # no table, nothing to grant
            self.assertTrue(
                self.env["ir.model.access"].search_count([("model_id", "=", model.id)]),
                f"{model.model} has no access rule",
            )

    def test_dependencies_are_lgpl(self):
        todo = self.env["ir.module.module"].search([("name", "=", MODULE)])
        seen = self.env["ir.module.module"]
        while todo:
            seen |= todo
            todo = todo.dependencies_id.depend_id - seen
        self.assertGreater(len(seen), 5)
        self.assertEqual(set(seen.mapped("license")), {"LGPL-3"})

    def test_every_term_is_in_the_pot_and_translated(self):
        """A string added to the code, a view or data without regenerating the .pot
        (scripts/update_i18n.sh) and translating it to Chinese fails here."""
        pot = {
            (entry.msgctxt, entry.msgid)
            for entry in polib.pofile(str(I18N / f"{MODULE}.pot"))
        }
        chinese = {
            entry.msgid: entry.msgstr
            for entry in polib.pofile(str(I18N / "zh_CN.po"))
            if entry.msgstr and not entry.fuzzy
        }
        reader = TranslationModuleReader(self.env.cr, modules=[MODULE])
        terms = {term[4] for term in reader if term[0] == MODULE and term[4]}
        self.assertTrue(terms)
        self.assertFalse(
            terms - {msgid for _ctxt, msgid in pot}, "terms missing from the .pot"
        )
        self.assertFalse(terms - set(chinese), "terms without a zh_CN translation")

    def test_chinese_user_reads_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            [MODULE], ["zh_CN"], overwrite=True
        )
        root = self.env.ref(f"{MODULE}.menu_classification_root")
        self.assertEqual(root.with_context(lang="zh_CN").name, "客户与产品分类")
        manager = self.env.ref(f"{MODULE}.group_classification_manager")
        self.assertEqual(
            manager.with_context(lang="zh_CN").full_name, "客户与产品分类 / 经理"
        )
        # Default tiers were created in code, before Chinese was installed.
        tier = self.env.company.cpc_value_tier_ids.filtered(lambda t: t.code == "A")
        self.assertEqual(tier.with_context(lang="zh_CN").name, "A - 核心")
        self.assertEqual(tier.with_context(lang="en_US").name, "A - Key")
