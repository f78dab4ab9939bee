# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""What the screens touched by issue 8 show, as their users read them."""

from datetime import timedelta

from lxml import etree

from odoo.tests import freeze_time, new_test_user, tagged

from .common import MODULE, TODAY, ClassificationCase


@tagged("post_install", "-at_install")
class TestScreens(ClassificationCase):
    def test_failed_run_told_in_each_managers_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            [MODULE], ["zh_CN"], overwrite=True
        )
        chinese_manager = new_test_user(
            self.env,
            login="cpc_screens_manager_zh",
            groups="sales_team.group_sale_manager",
            lang="zh_CN",
        )
        self._order(self._customer("Screens Buyer"), 500, TODAY - timedelta(days=5))
        self.env.cr.execute(
            "UPDATE partner_value_tier SET revenue_share = 10 WHERE company_id = %s",
            [self.company.id],
        )
        self.env.invalidate_all()
        with freeze_time(TODAY):
            self.Classification._cron_classify_customers()

        def notice(user):
            return self.env["mail.message"].search(
                [
                    ("partner_ids", "in", user.partner_id.ids),
                    ("model", "=", "res.partner"),
                    ("res_id", "=", self.company.partner_id.id),
                ]
            )

        chinese, english = notice(chinese_manager), notice(self.manager)
        self.assertEqual(len(chinese), 1)
        self.assertEqual(chinese.subject, f"{self.company.name} 的客户未能完成分类")
        self.assertEqual(
            english.subject, f"Customers of {self.company.name} could not be classified"
        )
        self.assertIn("40.0%", chinese.body, "the reason reaches every manager")

    def test_every_setting_shows_its_help_and_units(self):
        """A <setting> shows its help only under its own label (its string or a
        first field), and drops text lying directly in it ("days" vanished)."""
        arch = self.env["res.config.settings"].get_view(
            self.env.ref(f"{MODULE}.res_config_settings_view_form").id
        )["arch"]
        settings = etree.fromstring(arch).xpath(
            "//app[@name='customer_product_classification']//setting"
        )
        self.assertTrue(settings)
        for setting in settings:
            name = setting.get("id")
            first = setting[0] if len(setting) else None
            if setting.get("help"):
                self.assertTrue(
                    setting.get("string")
                    or (first is not None and first.tag == "field"),
                    f"the help of {name} is never shown",
                )
            loose = [
                child.tail.strip() for child in setting if (child.tail or "").strip()
            ]
            loose += [setting.text.strip()] if (setting.text or "").strip() else []
            self.assertFalse(loose, f"{name} drops the text {loose}")
