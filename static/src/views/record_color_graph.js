/** @odoo-module **/
// License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { graphView } from "@web/views/graph/graph_view";
import { GraphRenderer } from "@web/views/graph/graph_renderer";
import { onWillStart } from "@odoo/owl";

/**
 * A pie whose slices take the colours of the records they group, when these
 * have a colour (value tiers, segments): the badges of the same tiers elsewhere
 * use them, where Odoo's graph would colour by position.
 */
export class RecordColorGraphRenderer extends GraphRenderer {
    setup() {
        super.setup();
        this.orm = useService("orm");
        this.colorsByLabel = {};
        onWillStart(async () => {
            const groupBy = this.model.metaData.groupBy[0];
            const field = groupBy && this.model.metaData.fields[groupBy.fieldName];
            if (!field || field.type !== "many2one") {
                return;
            }
            const fields = await this.orm.call(field.relation, "fields_get", [["color"]]);
            if (!fields.color) {
                return;
            }
            const records = await this.orm.searchRead(field.relation, [], ["display_name", "color"]);
            for (const record of records) {
                if (record.color) {
                    this.colorsByLabel[record.display_name] = this.tagColor(record.color);
                }
            }
        });
    }

    /** The background colour of Odoo's tags of this colour index. */
    tagColor(index) {
        const probe = document.createElement("span");
        probe.className = `o_tag o_tag_color_${index}`;
        document.body.appendChild(probe);
        const color = getComputedStyle(probe).backgroundColor;
        probe.remove();
        return color;
    }

    getLegendOptions() {
        const options = super.getLegendOptions();
        const generateLabels = options.labels && options.labels.generateLabels;
        if (generateLabels) {
            // Odoo colours the legend by position too.
            options.labels.generateLabels = (chart) =>
                generateLabels(chart).map((item) => ({
                    ...item,
                    fillStyle: this.colorsByLabel[item.fullText] || item.fillStyle,
                }));
        }
        return options;
    }

    getPieChartData() {
        const data = super.getPieChartData();
        const labels = data.labels.map((label) => this.colorsByLabel[label]);
        if (!labels.some(Boolean)) {
            return data;
        }
        for (const dataset of data.datasets) {
            const colors = dataset.backgroundColor.map((color, index) => labels[index] || color);
            dataset.backgroundColor = colors;
            dataset.hoverBackgroundColor = colors;
        }
        return data;
    }
}

registry.category("views").add("cpc_record_color_graph", {
    ...graphView,
    Renderer: RecordColorGraphRenderer,
});
