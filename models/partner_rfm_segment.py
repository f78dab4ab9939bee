# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

# Seeded segments renamed apart from the lifecycle stages (issue 11), by xmlid:
# (name until then, name now).
RENAMED_SEGMENTS = {
    "rfm_segment_loyal": ("Loyal", "Loyal Customers"),
    "rfm_segment_potential_loyalist": ("Potential Loyalist", "Potential Loyalists"),
    "rfm_segment_at_risk": ("At Risk", "At-Risk Regulars"),
    "rfm_segment_lost": ("Lost", "Lost Customers"),
}
# The segment maps a company chooses from (Settings): each has its segments and
# its own 125 cells.
RFM_MAPS = [
    ("eleven", "Eleven segments (Champions to Lost Customers)"),
    ("eight", "Eight classes (R, F and M high or low)"),
]


class PartnerRfmSegment(models.Model):
    """A named RFM segment (Champions, Loyal Customers, ... Lost Customers) of one
    of the segment maps.

    Which R-F-M cells fall in which segment is data too (partner.rfm.cell), so a
    company can redraw the map without code.
    """

    _name = "partner.rfm.segment"
    _description = "RFM Segment"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, index=True)
    rfm_map = fields.Selection(
        RFM_MAPS,
        string="Segment Map",
        required=True,
        default="eleven",
        help="The map this segment belongs to; each company classifies its "
        "customers with the map chosen in Settings.",
    )
    sequence = fields.Integer(default=10)
    color = fields.Integer(aggregator=False)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    suggested_action = fields.Text(translate=True)
    cell_ids = fields.One2many("partner.rfm.cell", "segment_id", string="Cells")
    cell_count = fields.Integer(compute="_compute_cell_count")

    _sql_constraints = [
        ("code_uniq", "unique (code)", "The code of an RFM segment must be unique."),
    ]

    @api.model
    def _cpc_rename_seeded_segments(self):
        """On upgrade, give the seeded segments their new names, which the
        noupdate data would not: only those still named as seeded, a name a
        company chose stays."""
        module = "customer_product_classification"
        for xmlid, (old, new) in RENAMED_SEGMENTS.items():
            segment = self.env.ref(f"{module}.{xmlid}", raise_if_not_found=False)
            if segment and segment.with_context(lang="en_US").name == old:
                # The old translations go too: the upgrade then loads those of
                # the new name.
                self.env.cr.execute(
                    SQL(
                        "UPDATE partner_rfm_segment SET name = %s::jsonb WHERE id = %s",
                        json.dumps({"en_US": new}),
                        segment.id,
                    )
                )
                segment.invalidate_recordset(["name"])

    def _compute_cell_count(self):
        counts = dict(
            self.env["partner.rfm.cell"]._read_group(
                [("segment_id", "in", self.ids)], ["segment_id"], ["__count"]
            )
        )
        for segment in self:
            segment.cell_count = counts.get(segment, 0)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        # Segments are shared by every company: a segment the map, a
        # classification or a history row names would otherwise end in a raw
        # database error (the map) or silently cleared classes (the others).
        Sudo = self.env["partner.rfm.segment"].sudo()
        references = (
            ("partner.rfm.cell", "segment_id"),
            ("partner.classification", "segment_id"),
            ("partner.classification.history", "old_segment_id"),
            ("partner.classification.history", "new_segment_id"),
        )
        for segment in self:
            if any(
                Sudo.env[model].search_count([(fname, "=", segment.id)], limit=1)
                for model, fname in references
            ):
                raise UserError(
                    self.env._(
                        "The RFM segment %(segment)s is used by the segment map, "
                        "customer classifications or their history: archive it "
                        "instead of deleting it.",
                        segment=segment.name,
                    )
                )
