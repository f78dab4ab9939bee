# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.exceptions import UserError

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
    color = fields.Integer()
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    suggested_action = fields.Text(translate=True)
    cell_ids = fields.One2many("partner.rfm.cell", "segment_id", string="Cells")
    cell_count = fields.Integer(compute="_compute_cell_count")

    _sql_constraints = [
        ("code_uniq", "unique (code)", "The code of an RFM segment must be unique."),
    ]

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
