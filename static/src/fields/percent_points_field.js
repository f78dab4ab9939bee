/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import { registry } from "@web/core/registry";
import { FloatField, floatField } from "@web/views/fields/float/float_field";
import { formatFloat } from "@web/views/fields/formatters";

/**
 * Shares stored as percentage points (12.5 for 12.5 %), read with their sign:
 * Odoo's "percentage" widget expects fractions (0.125) and would show 1250 %.
 * Two decimals, like the percentages of Odoo's own reports.
 */
export function formatPercentPoints(value) {
    return `${formatFloat(value || 0, { digits: [16, 2] })}%`;
}

export class PercentPointsField extends FloatField {
    get formattedValue() {
        if (this.props.readonly) {
            return formatPercentPoints(this.value);
        }
        return super.formattedValue;
    }
}

export const percentPointsField = {
    ...floatField,
    component: PercentPointsField,
};

registry.category("fields").add("cpc_percent", percentPointsField);
// Pivot measures go through the formatters named by their widget.
registry.category("formatters").add("cpc_percent", formatPercentPoints);
