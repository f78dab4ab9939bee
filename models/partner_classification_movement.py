# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models
from odoo.tools import SQL


class PartnerClassificationMovement(models.Model):
    """The tier changes of the history, each an upgrade, a downgrade or a first
    tier, for the Reporting charts.

    A view over partner_classification_history: the direction follows the tiers'
    places on the ladder (sequence, then id, as the ladder is ordered), read
    when the report is, so that the history stays as the engine writes it.
    """

    _name = "partner.classification.movement"
    _description = "Customer Tier Movement"
    _auto = False
    _order = "reference_date desc, id desc"
    _rec_name = "partner_id"

    date = fields.Datetime(string="Written On", readonly=True)
    # Months of movements are those the classes hold for: a back-dated run counts
    # for its own month, not the day it was written.
    reference_date = fields.Date(string="Classes As Of", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    old_tier_id = fields.Many2one(
        "partner.value.tier", string="From Tier", readonly=True
    )
    new_tier_id = fields.Many2one("partner.value.tier", string="To Tier", readonly=True)
    # The pivot shows group values, never the field: these carry "from" / "to"
    # in their values, so that the migration's axes read as such.
    from_label = fields.Char(string="From", readonly=True)
    to_label = fields.Char(string="To", readonly=True)
    direction = fields.Selection(
        [
            ("up", "Upgrade"),
            ("down", "Downgrade"),
            ("first", "First tier"),
            ("out", "Tier removed"),
        ],
        readonly=True,
        help="Upgrade: to a better tier of the ladder; downgrade: to a lower one. "
        "A first classification gives a first tier.",
    )
    source = fields.Selection(
        [("scheduled", "Scheduled"), ("wizard", "Wizard"), ("manual", "Manual")],
        readonly=True,
    )
    step = fields.Integer(
        string="Steps",
        readonly=True,
        aggregator="sum",
        help="Places moved on the ladder: positive up, negative down.",
    )

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT h.id, h.date, h.reference_date, h.partner_id, h.company_id,
                   h.old_tier_id, h.new_tier_id, h.source,
                   CASE
                       WHEN h.old_tier_id IS NULL THEN 'first'
                       WHEN h.new_tier_id IS NULL THEN 'out'
                       WHEN (new.sequence, new.id) < (old.sequence, old.id) THEN 'up'
                       ELSE 'down'
                   END AS direction,
                   replace(%(from_template)s, '__TIER__', %(old_name)s) AS from_label,
                   replace(%(to_template)s, '__TIER__', %(new_name)s) AS to_label,
                   CASE WHEN old.id IS NOT NULL AND new.id IS NOT NULL
                        THEN old_place.place - new_place.place END AS step
              FROM partner_classification_history h
              LEFT JOIN partner_value_tier old ON old.id = h.old_tier_id
              LEFT JOIN partner_value_tier new ON new.id = h.new_tier_id
              LEFT JOIN %(places)s old_place ON old_place.id = old.id
              LEFT JOIN %(places)s new_place ON new_place.id = new.id
             WHERE h.change_type = 'tier'
            """,
            from_template=self.env._("From %(tier)s", tier="__TIER__"),
            to_template=self.env._("To %(tier)s", tier="__TIER__"),
            old_name=self._tier_name_sql("old"),
            new_name=self._tier_name_sql("new"),
            places=SQL(
                "(SELECT id, ROW_NUMBER() OVER (PARTITION BY company_id "
                "ORDER BY sequence, id) AS place FROM partner_value_tier)"
            ),
        )

    def _tier_name_sql(self, alias):
        """A tier's name ("A - Key") in the user's language, or "none"."""
        return SQL(
            "COALESCE(%(t)s.name->>%(lang)s, %(t)s.name->>'en_US', %(none)s)",
            t=SQL.identifier(alias),
            lang=self.env.lang or "en_US",
            none=self.env._("none"),
        )
