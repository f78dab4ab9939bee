/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import { registry } from "@web/core/registry";
import { stepUtils } from "@web_tour/tour_service/tour_utils";

let previewedCount = null;

function noSecondDialog() {
    if (document.querySelectorAll(".modal").length > 1) {
        throw new Error("a preview line opened a dialog");
    }
}

// A sales manager (not an administrator) finds customers by category after
// switching views, reads a customer's classes, pins its tier, and previews and
// applies a recompute. Data comes from test_ui.py.
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
            content: "Customers only, by default",
            trigger: '.o_searchview_facet:contains("Customers")',
        },
        {
            content: "Switch to the kanban view",
            trigger: ".o_switch_view.o_kanban",
            run: "click",
        },
        {
            trigger: '.o_kanban_view .o_kanban_record:contains("Tour Customer")',
        },
        {
            content: "And back to the list",
            trigger: ".o_switch_view.o_list",
            run: "click",
        },
        {
            trigger: '.o_list_view .o_data_cell[name="complete_name"]:contains("Tour Other")',
        },
        {
            content: "Tick a customer type in its own section of the side panel",
            trigger:
                '.o_search_panel_section:has(.o_search_panel_section_header:contains("Customer Type")) .o_search_panel_filter_value:contains("Government") input',
            run: "click",
        },
        {
            content: "The ticked category filters the list, after the switch of views too",
            trigger:
                '.o_list_view:not(:has(.o_data_cell:contains("Tour Other"))) .o_data_cell[name="complete_name"]:contains("Tour Customer")',
        },
        {
            content: "Open the customer",
            trigger: '.o_data_cell[name="complete_name"]:contains("Tour Customer")',
            run: "click",
        },
        {
            content: "Its tier is a smart button",
            trigger: '.o-form-buttonbox button[name="action_open_classification"]:contains("A - Key")',
        },
        {
            content: "Open the classes tab",
            trigger: 'a[name="customer_classification"]',
            run: "click",
        },
        {
            content: "The tier badge is shown in the tier's colour",
            trigger:
                '.o_field_widget[name="classification_tier_id"] .o_cpc_color_badge.o_tag:contains("A - Key")',
        },
        {
            content: "Open the details",
            trigger: '.o_notebook button[name="action_open_classification"]',
            run: "click",
        },
        {
            // The only customer: nobody ranks above it, each score is the middle.
            content: "The classification shows the RFM code",
            trigger: '.o_form_view .o_field_widget[name="rfm_code"]:contains("333")',
        },
        {
            content: "Pin the tier",
            trigger: '.o_field_widget[name="manual_tier_id"] input',
            run: "edit B - Major",
        },
        {
            trigger: '.o-autocomplete--dropdown-item:contains("B - Major")',
            timeout: 30000,
            run: "click",
        },
        {
            content: "Say why",
            trigger: '.o_field_widget[name="pin_reason"] input',
            run: "edit Tour pin",
        },
        {
            trigger: ".o_form_button_save",
            run: "click",
        },
        {
            content: "The pin is spelt out beside the tier",
            trigger:
                '.o_field_widget[name="tier_pin_note"]:contains("pinned; computed A - Key")',
        },
        {
            content: "Recompute from the Configuration menu",
            trigger:
                '.o_menu_sections [data-menu-xmlid="customer_product_classification.menu_classification_configuration"]',
            run: "click",
        },
        {
            trigger:
                '.dropdown-item[data-menu-xmlid="customer_product_classification.menu_classification_recompute"]',
            run: "click",
        },
        {
            content: "Preview",
            trigger: '.modal button[name="action_preview"]',
            run: "click",
        },
        {
            content: "The dialog keeps its title and shows the change as from → to",
            trigger:
                '.modal:has(.modal-title:contains("Recompute Customer Classes")) .o_data_row:contains("Tour Newcomer") .o_data_cell[name="tier_change"]:contains("→")',
        },
        {
            content: "Note how many customers the preview says change class",
            trigger: '.modal .o_field_widget[name="changed_count"]',
            run() {
                previewedCount = this.anchor.textContent.trim();
            },
        },
        {
            content: "A preview line opens nothing",
            trigger: '.modal .o_data_row:contains("Tour Newcomer") .o_data_cell[name="tier_change"]',
            run: "click",
        },
        {
            trigger: '.modal button[name="action_apply"]',
            run: noSecondDialog,
        },
        {
            content: "Apply",
            trigger: '.modal button[name="action_apply"]',
            run: "click",
        },
        {
            content: "The toast counts the customers the preview counted",
            trigger: '.o_notification:contains("customers changed class")',
            run() {
                const text = this.anchor.textContent;
                if (!text.includes(`${previewedCount} customers changed class`)) {
                    throw new Error(`preview said ${previewedCount}, the toast: ${text}`);
                }
            },
        },
        {
            content: "Open the R × F grid",
            trigger:
                '.o_menu_sections [data-menu-xmlid="customer_product_classification.menu_classification_analysis"]',
            run: "click",
        },
        {
            trigger:
                '.dropdown-item[data-menu-xmlid="customer_product_classification.menu_classification_analysis_rf_grid"]',
            run: "click",
        },
        {
            content: "The grid's corner names its axes",
            trigger:
                '.o_pivot .o_cpc_pivot_axes:contains("Frequency Score (F)"):contains("Recency Score (R)")',
        },
    ],
});

// The same screens in Chinese, for a Chinese sales manager.
registry.category("web_tour.tours").add("customer_product_classification_zh_tour", {
    url: "/odoo",
    steps: () => [
        ...stepUtils.goToAppSteps(
            "customer_product_classification.menu_classification_root",
            "Open the Classification app"
        ),
        {
            trigger:
                '.o_menu_sections [data-menu-xmlid="customer_product_classification.menu_classification_customers"]',
            run: "click",
        },
        {
            content: "The list is in Chinese",
            trigger: '.o_list_view th[data-name="value_tier_id"]:contains("价值等级")',
        },
        {
            trigger:
                '.o_menu_sections [data-menu-xmlid="customer_product_classification.menu_classification_customer_classes"]',
            run: "click",
        },
        {
            content: "Stages read in Chinese in the side panel",
            trigger: '.o_search_panel_section:has(.o_search_panel_section_header:contains("生命周期阶段"))',
        },
    ],
});
