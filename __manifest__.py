# Copyright 2026 Customer Product Classification contributors
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
{
    "name": "Customer and Product Classification",
    "summary": "Classify customers and products from your own sales history: "
    "RFM segments, value tiers, lifecycle stages, coded schemes and ABC/XYZ",
    "version": "18.0.1.0.0",
    "category": "Sales/Sales",
    "website": "https://github.com/customer-product-classification/customer_product_classification",
    "author": "Customer Product Classification contributors",
    "license": "LGPL-3",
    "depends": [
        "contacts",
        "sale_management",
    ],
    "data": [
        "security/customer_product_classification_security.xml",
        "security/ir.model.access.csv",
        "security/classification_note_security.xml",
        "security/classification_strategy_security.xml",
        "data/partner_rfm_segment_data.xml",
        "data/ir_cron_data.xml",
        "data/classification_scheme_data.xml",
        "views/partner_classification_views.xml",
        "views/partner_classification_history_views.xml",
        "views/partner_value_tier_views.xml",
        "views/partner_rfm_segment_views.xml",
        "views/classification_scheme_views.xml",
        "views/classification_category_views.xml",
        "views/classification_rule_views.xml",
        "views/res_partner_views.xml",
        "views/product_template_views.xml",
        "views/res_config_settings_views.xml",
        "wizards/partner_classification_wizard_views.xml",
        "wizards/classification_import_wizard_views.xml",
        "views/customer_product_classification_menus.xml",
        "views/classification_strategy_views.xml",
        "data/classification_strategy_data.xml",
    ],
    "external_dependencies": {"python": ["openpyxl", "xlrd"]},
    "assets": {
        "web.assets_tests": [
            "customer_product_classification/static/tests/tours/*.js",
        ],
    },
    "post_init_hook": "post_init_hook",
    "uninstall_hook": "uninstall_hook",
    "application": True,
}
