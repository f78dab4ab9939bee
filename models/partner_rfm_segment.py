# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models


class PartnerRfmSegment(models.Model):
    """A named RFM segment (Champions, Loyal, ... Lost).

    Which R-F-M cells fall in which segment is data too (partner.rfm.cell), so a
    company can redraw the map without code.
    """

    _name = "partner.rfm.segment"
    _description = "RFM Segment"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, index=True)
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
