/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// A sales manager finds a customer's classes from the Classification app, then
// opens the classification to see its details. Data comes from test_ui.py.
registry.category("web_tour.tours").add("customer_product_classification_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps(
            "customer_product_classification.menu_classification_root",
            "Open the Classification app"
        ),
        {
            content: "Open the customers",
            trigger:
                '.o_menu_sections [data-menu-xmlid="customer_product_classification.menu_classification_customers"]',
            run: "click",
        },
        {
            content: "The list shows the value tier",
            trigger: '.o_list_view th[data-name="value_tier_id"]',
        },
        {
            content: "Search the customer",
            trigger: ".o_searchview_input",
            run: "edit Tour Customer",
        },
        {
            trigger: ".o_searchview_input",
            run: "press Enter",
        },
        {
            content: "Open the customer",
            trigger: '.o_data_cell[name="complete_name"]:contains("Tour Customer")',
            run: "click",
        },
        {
            content: "Open the Classification tab",
            trigger: 'a[name="customer_classification"]',
            run: "click",
        },
        {
            content: "The tier badge is shown",
            trigger: '.o_field_widget[name="classification_tier_id"]:contains("A - Key")',
        },
        {
            content: "Open the details",
            trigger: 'button[name="action_open_classification"]',
            run: "click",
        },
        {
            // The only customer: nobody ranks above it, each score is the middle.
            content: "The classification shows the RFM code",
            trigger: '.o_form_view .o_field_widget[name="rfm_code"]:contains("333")',
        },
    ],
});
