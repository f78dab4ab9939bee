/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import { registry } from "@web/core/registry";
import { BadgeField, badgeField } from "@web/views/fields/badge/badge_field";

/**
 * A badge in the colour of its record, like the tags of many2many_tags:
 * options="{'color_field': 'tier_color'}" names an integer field of the same
 * record holding the colour index (0-11). Without a colour, decorations apply.
 */
export class ColorBadgeField extends BadgeField {
    static template = "customer_product_classification.ColorBadgeField";
    static props = {
        ...BadgeField.props,
        colorField: { type: String, optional: true },
    };

    get colorIndex() {
        return this.props.colorField ? this.props.record.data[this.props.colorField] : 0;
    }
}

export const colorBadgeField = {
    ...badgeField,
    component: ColorBadgeField,
    extractProps: (fieldInfo, dynamicInfo) => ({
        ...badgeField.extractProps(fieldInfo, dynamicInfo),
        colorField: fieldInfo.options.color_field,
    }),
    fieldDependencies: ({ options }) =>
        options.color_field ? [{ name: options.color_field, type: "integer" }] : [],
};

registry.category("fields").add("cpc_color_badge", colorBadgeField);
