/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import { registry } from "@web/core/registry";
import { pivotView } from "@web/views/pivot/pivot_view";
import { PivotRenderer } from "@web/views/pivot/pivot_renderer";

/**
 * A pivot whose top left corner names its axes ("Recency score ↓ ·
 * Frequency score →"): Odoo's pivot shows only the values of the groups, and
 * a grid of 1 to 5 by 1 to 5 does not say which score is which.
 */
export class AxisPivotRenderer extends PivotRenderer {
    static template = "customer_product_classification.AxisPivotRenderer";

    axisLabel(groupBys) {
        const { fields, fieldAttrs } = this.model.metaData;
        return groupBys
            .map((groupBy) => {
                const name = groupBy.split(":")[0];
                return (fieldAttrs[name] && fieldAttrs[name].string) || fields[name].string;
            })
            .join(" / ");
    }

    get rowAxisLabel() {
        return this.axisLabel(this.model.metaData.fullRowGroupBys);
    }

    get colAxisLabel() {
        return this.axisLabel(this.model.metaData.fullColGroupBys);
    }
}

registry.category("views").add("cpc_axis_pivot", {
    ...pivotView,
    Renderer: AxisPivotRenderer,
});
