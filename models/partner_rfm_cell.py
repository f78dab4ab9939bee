# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .partner_rfm_segment import RFM_MAPS


class PartnerRfmCell(models.Model):
    """One of the 125 R-F-M score combinations and the segment it belongs to.

    An explicit map instead of range rules: published range tables overlap, and
    first-match rules leave some segments unreachable. Every cell exists exactly
    once in each map; only its segment is edited.
    """

    _name = "partner.rfm.cell"
    _description = "RFM Segment Map Cell"
    _order = "rfm_map, recency_score desc, frequency_score desc, monetary_score desc"
    _rec_name = "rfm_code"

    rfm_map = fields.Selection(
        RFM_MAPS, string="Segment Map", required=True, readonly=True, default="eleven"
    )
    recency_score = fields.Integer(required=True, readonly=True)
    frequency_score = fields.Integer(required=True, readonly=True)
    monetary_score = fields.Integer(required=True, readonly=True)
    rfm_code = fields.Char(
        string="RFM Code", compute="_compute_rfm_code", store=True, index=True
    )
    segment_id = fields.Many2one(
        "partner.rfm.segment",
        required=True,
        ondelete="restrict",
        index=True,
        domain="[('rfm_map', '=', rfm_map)]",
    )

    _sql_constraints = [
        (
            "cell_uniq",
            "unique (rfm_map, recency_score, frequency_score, monetary_score)",
            "Each R-F-M cell appears once in each segment map.",
        ),
        (
            "scores_range",
            "CHECK (recency_score BETWEEN 1 AND 5 AND frequency_score BETWEEN 1 AND 5 "
            "AND monetary_score BETWEEN 1 AND 5)",
            "R, F and M scores go from 1 to 5.",
        ),
    ]

    @api.depends("recency_score", "frequency_score", "monetary_score")
    def _compute_rfm_code(self):
        for cell in self:
            cell.rfm_code = (
                f"{cell.recency_score}{cell.frequency_score}{cell.monetary_score}"
            )

    @api.constrains("segment_id", "rfm_map")
    def _check_segment_map(self):
        for cell in self:
            if cell.segment_id.rfm_map != cell.rfm_map:
                maps = dict(self._fields["rfm_map"]._description_selection(self.env))
                raise ValidationError(
                    self.env._(
                        "Cell %(cell)s of the map %(map)s cannot go to the segment "
                        "%(segment)s, which belongs to the map %(other)s.",
                        cell=cell.rfm_code,
                        map=maps.get(cell.rfm_map),
                        segment=cell.segment_id.name,
                        other=maps.get(cell.segment_id.rfm_map),
                    )
                )
