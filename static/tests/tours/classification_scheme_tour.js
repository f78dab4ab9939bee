/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

// A sales manager browses customers by region in the side panel, opens one the
// rules placed in East China and chooses its sales channel by hand. Data comes
// from test_ui.py.
registry.category("web_tour.tours").add("customer_product_classification_scheme_tour", {
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
            content: "Tick East China in the category panel (indented under Mainland China)",
            trigger: '.o_search_panel_filter_value:contains("East China") input',
            run: "click",
        },
        {
            content: "Only customers in East China are listed",
            trigger: '.o_data_cell[name="complete_name"]:contains("Tour Shanghai Co")',
        },
        {
            trigger: '.o_list_view:not(:has(.o_data_cell:contains("Tour Paris Co")))',
        },
        {
            content: "Open the customer",
            trigger: '.o_data_cell[name="complete_name"]:contains("Tour Shanghai Co")',
            run: "click",
        },
        {
            content: "Open the Classification tab",
            trigger: 'a[name="customer_classification"]',
            run: "click",
        },
        {
            content: "The region set by the rules is shown",
            trigger:
                '.o_wrap_label:has(.o_form_label:contains("Region")) + .o_wrap_input input:value("Mainland China / East China")',
        },
        {
            content: "Choose a sales channel",
            trigger:
                '.o_wrap_label:has(.o_form_label:contains("Sales Channel")) + .o_wrap_input input',
            run: "edit Onl",
        },
        {
            trigger: '.o-autocomplete--dropdown-item:contains("Online")',
            // The suggestions wait for the server, which may be busy with the
            // form's other requests on a loaded machine.
            timeout: 30000,
            run: "click",
        },
        ...stepUtils.saveForm(),
    ],
});
