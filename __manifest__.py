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
        "views/res_config_settings_views.xml",
        "views/customer_product_classification_menus.xml",
    ],
    "application": True,
}
