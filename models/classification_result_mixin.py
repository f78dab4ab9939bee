# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL, format_date

PIN_TEXT_FIELDS = ("pin_reason", "pin_until")
CLASSIFICATION_USER = "customer_product_classification.group_classification_user"
SOURCES = [("scheduled", "Scheduled"), ("wizard", "Wizard"), ("manual", "Manual")]


def mirror_field(field_class, *args, **kwargs):
    """A class of the classified record (a Tracked ``mirror``) as its model
    declares it: per company (the record's classification for the current
    company), kept by the engine in SQL, never copied (a duplicate has no sales
    of its own) and, like what a customer or product makes, internal: only the
    classification group reads, searches and groups by it (related and computed
    fields run as superuser, so the group is what keeps it from portal, public
    and other internal users)."""
    return field_class(
        *args,
        company_dependent=True,
        readonly=True,
        copy=False,
        groups=CLASSIFICATION_USER,
        **kwargs,
    )


# Dependencies read from the subject of the concrete model; the mixins
# themselves describe none.
def _pin_depends(model):
    if model._abstract:
        return []
    subject = model._cpc_subject()
    return [c for t in subject.pinnable for c in (t.computed, t.manual)]


def _manual_depends(model):
    return [] if model._abstract else list(model._cpc_subject().manual_columns)


class ClassificationResultMixin(models.AbstractModel):
    """A stored classification: one row per classified record and company.

    The engine computes the figures and the computed classes; a manager may pin
    a class (with a reason, until a day or for good) and the effective class is
    the pinned one while the pin holds, else the computed one. Every change of
    an effective class writes a history row, is copied onto the classified
    record (the mirror) and told in its chatter: for runs by the engine in SQL,
    for pins here.

    The concrete model declares the key field (e.g. ``partner_id``), its
    figures and classes, a unique constraint on (key, company_id), and its
    :meth:`_cpc_subject`; effective fields of pinnable classes use
    ``compute="_compute_effective_classes", store=True``.
    """

    _name = "classification.result.mixin"
    _inherit = "classification.engine"
    _description = "Classification Result"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, ondelete="cascade", index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    classified_on = fields.Date(
        readonly=True,
        help="Reference date of the last run that changed this row: its figures "
        "and classes hold for that day, and for later runs that found no change.",
    )
    pin_reason = fields.Char(string="Reason for the Pin")
    pin_until = fields.Date(
        string="Pinned Until",
        help="Last day the pin holds; it lapses by itself afterwards. Leave empty "
        "to pin until a manager removes it.",
    )
    is_pinned = fields.Boolean(compute="_compute_is_pinned")

    # ------------------------------------------------------------ values
    def _cpc_record(self):
        """The classified record (partner, product...) of this row."""
        return self[self._cpc_subject().key]

    @api.depends(_pin_depends)
    def _compute_effective_classes(self):
        pinnable = self._cpc_subject().pinnable
        for record in self:
            for tracked in pinnable:
                record[tracked.column] = (
                    record[tracked.manual] or record[tracked.computed]
                )

    @api.depends(_manual_depends)
    def _compute_is_pinned(self):
        manual = self._cpc_subject().manual_columns
        for record in self:
            record.is_pinned = any(record[column] for column in manual)

    @api.constrains(lambda self: [*_manual_depends(self), "pin_reason"])
    def _check_pin_reason(self):
        for record in self:
            if record.is_pinned and not (record.pin_reason or "").strip():
                raise ValidationError(
                    self.env._(
                        "Say why the class of %(record)s is pinned.",
                        record=record._cpc_record().display_name,
                    )
                )

    @api.constrains("pin_until")
    def _check_pin_until(self):
        # Only when the date is set: a pin whose day has passed lapses by itself
        # (see _cpc_lapse_pins), and until then the rest of it can be edited.
        for record in self:
            today = fields.Date.context_today(record)
            if record.pin_until and record.pin_until < today:
                raise ValidationError(
                    self.env._(
                        "The pin of %(record)s cannot end on %(day)s, a day already "
                        "past.",
                        record=record._cpc_record().display_name,
                        day=format_date(self.env, record.pin_until),
                    )
                )

    # -------------------------------------------------------------- pins
    def _cpc_pin_fields(self):
        return frozenset((*self._cpc_subject().manual_columns, *PIN_TEXT_FIELDS))

    def write(self, vals):
        self._check_only_pins_written(vals)
        tracked = [t.column for t in self._cpc_subject().tracked]
        before = {record.id: {c: record[c] for c in tracked} for record in self}
        result = super().write(vals)
        changed = self.filtered(lambda r: any(r[c] != before[r.id][c] for c in tracked))
        if changed:
            source = self.env.context.get("cpc_source", "manual")
            changed._cpc_log_effective_changes(before, source)
            changed._cpc_sync_mirror()
        return result

    def _check_only_pins_written(self, vals):
        """Refuse, for everyone, an ORM write of what the engine computes: a row
        moved to another company or record would show that record's classes to
        that company, and figures written by hand would be silently overwritten
        by the next run."""
        pins = self._cpc_pin_fields()
        refused = sorted(set(vals) - pins)
        if not refused:
            return

        def describe(name):
            if name not in self._fields:
                return name
            return f'"{self._fields[name]._description_string(self.env)}" ({name})'

        raise AccessError(
            self.env._(
                "Only the pin of a classification can be changed (%(pins)s); the "
                "classification run computes the rest. Refused for %(records)s: "
                "%(fields)s.",
                pins=", ".join(
                    self._fields[name]._description_string(self.env)
                    for name in sorted(pins)
                ),
                records=", ".join(self[:5]._cpc_record().mapped("display_name")),
                fields=", ".join(describe(name) for name in refused),
            )
        )

    def action_unpin(self):
        self.write(dict.fromkeys(self._cpc_pin_fields(), False))

    @api.model
    def _cpc_lapse_pins(self, companies, today):
        """Release the pins whose last day is past."""
        manual = self._cpc_subject().manual_columns
        pinned = ["|"] * (len(manual) - 1) + [
            (column, "!=", False) for column in manual
        ]
        expired = self.search(
            [("company_id", "in", companies.ids), ("pin_until", "<", today), *pinned]
        )
        expired.with_context(cpc_source="scheduled").action_unpin()
        return expired

    # ----------------------------------------------- history, mirror, notes
    def _cpc_log_effective_changes(self, before, source):
        """History rows and chatter notes for ORM-side changes (pins)."""
        subject = self._cpc_subject()
        today = fields.Date.context_today(self)
        history = []
        bodies = {}
        for record in self:
            lines = []
            for tracked in subject.tracked:
                old, new = before[record.id][tracked.column], record[tracked.column]
                if old == new:
                    continue
                history.append(
                    record._cpc_history_values(tracked, old, new, source, today)
                )
                lines.append(record._cpc_describe_change(tracked, old, new))
            bodies.setdefault(record.company_id, {})[record._cpc_record().id] = (
                self._cpc_note_body(record.company_id, lines)
            )
        self.env[subject.history_model].sudo().create(history)
        for company, company_bodies in bodies.items():
            self._cpc_post_notes(company, company_bodies)

    def _cpc_history_values(self, tracked, old, new, source, reference_date):
        subject = self._cpc_subject()
        field = self._fields[tracked.column]
        if field.type == "many2one":
            old, new = old.id, new.id
        return {
            "classification_id": self.id,
            subject.key: self._cpc_record().id,
            "company_id": self.company_id.id,
            "reference_date": reference_date,
            "change_type": tracked.kind,
            "source": source,
            "reason": self.pin_reason if source == "manual" else False,
            tracked.history_old: old or False,
            tracked.history_new: new or False,
        }

    def _cpc_sync_mirror(self):
        """Copy the effective classes onto the classified records, for the
        company they are for, with the records' write date."""
        subject = self._cpc_subject()
        mirrored = [t for t in subject.tracked if t.mirror]
        if not mirrored:
            return
        self.flush_recordset()
        records = self.env[subject.record_model]
        for company in self.company_id:
            rows = self.filtered(lambda r, c=company: r.company_id == c)
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE %(records)s p
                       SET %(assignments)s,
                           write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
                      FROM %(table)s c
                     WHERE c.%(key)s = p.id AND c.id IN %(ids)s
                    """,
                    records=SQL.identifier(records._table),
                    table=SQL.identifier(self._table),
                    key=SQL.identifier(subject.key),
                    uid=self.env.uid,
                    assignments=self._cpc_mirror_assignments(
                        company, {t: SQL.identifier("c", t.column) for t in mirrored}
                    ),
                    ids=tuple(rows.ids),
                )
            )
        records.invalidate_model(
            [t.mirror for t in mirrored] + ["write_date", "write_uid"]
        )


class ClassificationHistoryMixin(models.AbstractModel):
    """One change of an effective class of a classified record.

    The concrete model declares ``classification_id``, the key field of its
    subject, ``change_type`` (a selection of the tracked kinds, whose labels
    name the classes in notes) and the old/new columns of each tracked class.
    """

    _name = "classification.history.mixin"
    _description = "Classification History"
    _order = "date desc, id desc"

    company_id = fields.Many2one(
        "res.company", required=True, ondelete="cascade", index=True
    )
    date = fields.Datetime(
        string="Written On",
        required=True,
        default=fields.Datetime.now,
        index=True,
        help="When the change was written.",
    )
    reference_date = fields.Date(
        string="Classes As Of",
        index=True,
        help="The day the new classes hold for: the reference date of the run "
        "that computed them (a back-dated run holds for a past day), or the day "
        "a pin was set or lapsed.",
    )
    source = fields.Selection(SOURCES, required=True)
    reason = fields.Char()

    @api.model
    def _cpc_fill_reference_dates(self):
        """Give the history rows written before they carried a reference date
        the day they were written on, in their company's time zone (that of the
        company's partner, else UTC, as runs count days): runs were not
        back-dated then. Called by the 18.0.1.2.0 migration.

        Their write date stays: the rows are not changed, a column they lacked
        is filled."""
        for name in self.env.registry.descendants([self._name], "_inherit"):
            history = self.env[name]
            if history._abstract:
                continue
            history.flush_model(["reference_date", "date", "company_id"])
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE %(table)s h
                       SET reference_date = (
                           h.date AT TIME ZONE 'UTC'
                           AT TIME ZONE COALESCE(zone.name, 'UTC'))::date
                      FROM res_company c
                      JOIN res_partner p ON p.id = c.partner_id
                      LEFT JOIN pg_timezone_names zone ON zone.name = p.tz
                     WHERE h.reference_date IS NULL AND c.id = h.company_id
                    """,
                    table=SQL.identifier(history._table),
                )
            )
            history.invalidate_model(["reference_date"])

    def write(self, vals):
        # A record of what happened: nobody rewrites it, not even with sudo (the
        # access rules give no one write, create or delete).
        if self and vals:
            key = self.env[self.classification_id._name]._cpc_subject().key
            raise AccessError(
                self.env._(
                    "The classification history of %(records)s cannot be changed.",
                    records=", ".join(self[:5][key].mapped("display_name")),
                )
            )
        return super().write(vals)
