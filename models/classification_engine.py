# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import logging
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL, format_date
from odoo.tools.mail import generate_tracking_message_id

from ..utils import locks

_logger = logging.getLogger(__name__)

# Reference dates a run accepts: the window before them and the day after them
# stay within what dates can hold (a wizard sent 9999-12-31 or 0001-01-01).
FIRST_REFERENCE_DATE = date(1900, 1, 1)
LAST_REFERENCE_DATE = date(2999, 12, 31)
# The system parameter of the scheduled actions' batch size, and its bounds: a
# batch is read in memory, and a parameter set to garbage must not stop them.
BATCH_SIZE_PARAM = "customer_product_classification.batch_size"
DEFAULT_BATCH_SIZE = 20000
MAX_BATCH_SIZE = 100000
# The score of every member of a population whose values are all equal (one
# customer, or all bought once): nobody ranks above anybody, so the middle one.
EVEN_SCORE = 3
NOTE_SUBTYPE = "customer_product_classification.mt_classification_change"


class ClassificationEngine(models.AbstractModel):
    """The stages of a classification run, written once for every subject.

    A subject (customers, products) is a stored classification model that
    inherits ``classification.result.mixin`` (which inherits this engine),
    describes itself in :meth:`_cpc_subject` and builds its metrics, scores and
    computed classes in :meth:`_cpc_result_query`, usually from the shared
    line-level :meth:`_cpc_facts_query`. :meth:`_cpc_run` then:

    1. checks the reference date and takes the company's lock (not in preview);
    2. lapses the pins whose last day is past;
    3. builds the temporary table ``cpc_diff``: the result rows that differ from
       the stored ones (or have none yet) with the old and new effective classes;
    4. in preview, returns those moves; else writes at most ``limit`` of them:
       new and changed rows, one history row per changed class, the mirror on the
       classified records, and one chatter note per record classified before.

    Every stage is a small method built from overridable SQL parts.
    """

    _name = "classification.engine"
    _description = "Classification Engine"

    # ------------------------------------------------------------ subject
    @api.model
    def _cpc_subject(self):
        """The :class:`~..utils.subject.Subject` of this model."""
        raise NotImplementedError(f"{self._name} describes no classification subject")

    @api.model
    def _cpc_subject_label(self):
        """What the subject's records are called in messages ("Customers")."""
        return self._description

    @api.model
    def _cpc_prepare_run(self, company, reference_date):
        """Check what the run needs and return it for :meth:`_cpc_result_query`
        (e.g. a company's ladder); raise a UserError naming the company when the
        run cannot go on."""
        return {}

    @api.model
    def _cpc_result_query(self, company, reference_date, prepared):
        """SELECT of one row per classified record: the key column and every
        computed column of the subject (tracked computed columns included)."""
        raise NotImplementedError(f"{self._name} has no result query")

    @api.model
    def _cpc_lock(self, company):
        """One run per company and subject at a time."""
        locks.lock_or_raise(
            self.env,
            f"classify.{self._name}",
            company.id,
            self.env._(
                "%(subject)s of %(company)s are being classified by another run "
                "(the scheduled action or another manager). Try again when it has "
                "finished, in a few minutes.",
                subject=self._cpc_subject_label(),
                company=company.name,
            ),
        )

    # --------------------------------------------------------------- run
    @api.model
    def _cpc_run(
        self,
        company,
        reference_date=None,
        records=None,
        source="scheduled",
        limit=None,
        preview=False,
    ):
        """Classify the records of one subject for one company.

        Scores are ranked against all the company's records; ``records`` (of the
        subject's ``record_model``) only restricts what is written. With
        ``limit``, at most that many changed records are written (lowest keys
        first): a run is idempotent, so the next one carries on (``limit=0``
        only counts). With ``preview``, nothing is written and the moves are
        returned.

        :return: dict with ``changed`` (records whose row changes), ``done``
            (written now), ``remaining`` and, in preview, ``changes``: a list of
            dicts: the key, ``old_<column>`` and ``new_<column>`` of each tracked
            class, and ``is_new`` (no stored row yet).
        """
        company.ensure_one()
        reference_date = reference_date or fields.Date.context_today(self)
        self._cpc_check_reference_date(company, reference_date)
        # A preview writes nothing and has its own temporary tables: it needs
        # no lock, and a manager may look while the scheduled run works.
        if not preview:
            self._cpc_lock(company)
            self._cpc_lapse_pins(company, fields.Date.context_today(self))
        prepared = self._cpc_prepare_run(company, reference_date)
        self.env.flush_all()
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS cpc_diff")
        with self._cpc_without_jit():
            cr.execute(
                SQL(
                    "CREATE TEMP TABLE cpc_diff ON COMMIT DROP AS %s",
                    self._cpc_diff_query(company, reference_date, prepared, records),
                )
            )
        cr.execute("SELECT COUNT(*) FROM cpc_diff")
        changed = cr.fetchone()[0]
        result = {"changed": changed, "done": 0, "remaining": changed}
        if preview:
            result["changes"] = self._cpc_preview_changes()
        elif changed and limit != 0:
            if limit and changed > limit:
                self._cpc_keep_first(limit)
            result["done"] = self._cpc_apply_diff(company, reference_date, source)
            result["remaining"] = changed - result["done"]
        cr.execute("DROP TABLE cpc_diff")
        if not preview:
            self._cpc_clear_failure(company)
        return result

    @contextmanager
    def _cpc_without_jit(self):
        """Run the block with PostgreSQL's JIT compilation off, then put back
        the setting. The diff query's row estimates through its many CTEs are
        far too high, so PostgreSQL would spend seconds compiling it (2.4 s of
        3.4 s for 10,000 products) for a query that runs once."""
        cr = self.env.cr
        cr.execute("SELECT current_setting('jit')")
        previous = cr.fetchone()[0]
        cr.execute("SET LOCAL jit = off")
        try:
            yield
        finally:
            cr.execute("SELECT set_config('jit', %s, true)", [previous])

    @api.model
    def _cpc_check_reference_date(self, company, reference_date):
        if not FIRST_REFERENCE_DATE <= reference_date <= LAST_REFERENCE_DATE:
            raise UserError(
                self.env._(
                    "%(subject)s of %(company)s cannot be classified on %(day)s: "
                    "the reference date must be between %(first)s and %(last)s.",
                    subject=self._cpc_subject_label(),
                    company=company.name,
                    day=format_date(self.env, reference_date),
                    first=format_date(self.env, FIRST_REFERENCE_DATE),
                    last=format_date(self.env, LAST_REFERENCE_DATE),
                )
            )

    @api.model
    def _cpc_keep_first(self, limit):
        """Keep the ``limit`` rows of cpc_diff with the lowest keys."""
        key = SQL.identifier(self._cpc_subject().key)
        self.env.cr.execute(
            SQL(
                "DELETE FROM cpc_diff WHERE %(key)s > (SELECT %(key)s FROM cpc_diff"
                " ORDER BY %(key)s OFFSET %(skip)s LIMIT 1)",
                key=key,
                skip=limit - 1,
            )
        )

    @api.model
    def _cpc_preview_changes(self):
        subject = self._cpc_subject()
        names = [subject.key]
        for tracked in subject.tracked:
            names += [tracked.diff_old, tracked.diff_new]
        names.append("is_new")
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM cpc_diff ORDER BY %s",
                SQL(", ").join(SQL.identifier(name) for name in names),
                SQL.identifier(subject.key),
            )
        )
        return [dict(zip(names, row, strict=True)) for row in self.env.cr.fetchall()]

    # -------------------------------------------------------------- diff
    @api.model
    def _cpc_diff_query(self, company, reference_date, prepared, records=None):
        """The result rows whose computed values differ from the stored row (or
        that have none yet), with their old and new effective classes. Only
        those leave the database: a run that finds nothing changed writes
        nothing."""
        subject = self._cpc_subject()
        key = SQL.identifier(subject.key)
        computed = subject.computed_columns
        classes = []
        for tracked in subject.tracked:
            classes.append(
                SQL(
                    "c.%s AS %s",
                    SQL.identifier(tracked.column),
                    SQL.identifier(tracked.diff_old),
                )
            )
            new = SQL.identifier("r", tracked.computed)
            if tracked.manual:
                new = SQL("COALESCE(%s, %s)", SQL.identifier("c", tracked.manual), new)
            classes.append(SQL("%s AS %s", new, SQL.identifier(tracked.diff_new)))
        restrict = (
            SQL("AND r.%s IN %s", key, tuple(records.ids) or (0,))
            if records is not None
            else SQL()
        )
        return SQL(
            """
            WITH cpc_result AS (%(result)s)
            SELECT r.*, c.id AS classification_id, c.id IS NULL AS is_new,
                   %(classes)s
              FROM cpc_result r
              LEFT JOIN %(table)s c
                     ON c.%(key)s = r.%(key)s AND c.company_id = %(company)s
             WHERE (c.id IS NULL OR (%(columns)s) IS DISTINCT FROM (%(stored)s))
                   %(restrict)s
             -- Written in key order: the new rows' ids, their history and the
             -- lookups of every foreign key walk the indexes in order.
             ORDER BY r.%(key)s
            """,
            result=self._cpc_result_query(company, reference_date, prepared),
            classes=SQL(", ").join(classes),
            table=SQL.identifier(self._table),
            key=key,
            company=company.id,
            columns=SQL(", ").join(SQL.identifier("r", c) for c in computed),
            stored=SQL(", ").join(SQL.identifier("c", c) for c in computed),
            restrict=restrict,
        )

    @api.model
    def _cpc_classes_change(self):
        """A row of cpc_diff (alias d) whose effective classes change, not only
        its figures."""
        tracked = self._cpc_subject().tracked
        return SQL(
            "(%s) IS DISTINCT FROM (%s)",
            SQL(", ").join(SQL.identifier("d", t.diff_old) for t in tracked),
            SQL(", ").join(SQL.identifier("d", t.diff_new) for t in tracked),
        )

    # ------------------------------------------------------------- apply
    @api.model
    def _cpc_apply_diff(self, company, reference_date, source):
        """Write the rows of cpc_diff: new rows, changed rows, one history row per
        changed class, the mirror, and a chatter note for records that were
        classified before (a first classification posts none)."""
        self._cpc_write_rows(company, reference_date)
        self._cpc_write_history(company, reference_date, source)
        self._cpc_write_mirror(company)
        self._cpc_post_run_notes(company)
        self.env.cr.execute("SELECT COUNT(*) FROM cpc_diff")
        done = self.env.cr.fetchone()[0]
        self.env.invalidate_all()
        return done

    @api.model
    def _cpc_write_rows(self, company, reference_date):
        subject = self._cpc_subject()
        cr, uid = self.env.cr, self.env.uid
        key = SQL.identifier(subject.key)
        effective = [
            t for t in subject.tracked if t.column not in subject.computed_columns
        ]
        columns = [SQL.identifier(c) for c in subject.computed_columns] + [
            SQL.identifier(t.column) for t in effective
        ]
        values = [SQL.identifier("d", c) for c in subject.computed_columns] + [
            SQL.identifier("d", t.diff_new) for t in effective
        ]
        for column, value in self._cpc_derived_values().items():
            columns.append(SQL.identifier(column))
            values.append(value)
        cr.execute(
            SQL(
                """
                INSERT INTO %(table)s
                       (%(key)s, company_id, classified_on, %(columns)s,
                        create_uid, create_date, write_uid, write_date)
                SELECT d.%(key)s, %(company)s, %(day)s, %(values)s,
                       %(uid)s, now() AT TIME ZONE 'UTC',
                       %(uid)s, now() AT TIME ZONE 'UTC'
                  FROM cpc_diff d WHERE d.is_new
                -- A row that another run committed after this transaction's
                -- snapshot: a serialization failure, which Odoo retries, not a
                -- duplicate key error.
                    ON CONFLICT (%(key)s, company_id) DO NOTHING
                """,
                table=SQL.identifier(self._table),
                key=key,
                columns=SQL(", ").join(columns),
                values=SQL(", ").join(values),
                company=company.id,
                day=reference_date,
                uid=uid,
            )
        )
        # The history rows of new rows need their ids.
        cr.execute(
            SQL(
                """
                UPDATE cpc_diff d SET classification_id = c.id
                  FROM %(table)s c
                 WHERE d.is_new AND c.%(key)s = d.%(key)s
                   AND c.company_id = %(company)s
                """,
                table=SQL.identifier(self._table),
                key=key,
                company=company.id,
            )
        )
        cr.execute(
            SQL(
                """
                UPDATE %(table)s c
                   SET (%(columns)s) = ROW(%(values)s), classified_on = %(day)s,
                       write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
                  FROM cpc_diff d
                 WHERE c.id = d.classification_id AND NOT d.is_new
                """,
                table=SQL.identifier(self._table),
                columns=SQL(", ").join(columns),
                values=SQL(", ").join(values),
                day=reference_date,
                uid=uid,
            )
        )

    @api.model
    def _cpc_derived_values(self):
        """{column: SQL expression over the diff row (alias d)} of the stored
        columns that follow from the new effective classes (e.g. a class's code
        kept for grouping): written with the row, in the same statement."""
        return {}

    @api.model
    def _cpc_write_history(self, company, reference_date, source):
        """One history row per changed effective class, dated now and for the
        reference date the classes hold for: one INSERT for every class, each
        diff row unfolded into one candidate per class (its own old and new
        value, the other classes' columns empty)."""
        subject = self._cpc_subject()
        history = self.env[subject.history_model]
        tracked = subject.tracked
        columns = [c for t in tracked for c in (t.history_old, t.history_new)]
        candidates = []
        for kind in tracked:
            values = [SQL("%s", kind.kind)]
            for other in tracked:
                for column in (other.diff_old, other.diff_new):
                    values.append(
                        SQL.identifier("d", column) if other is kind else SQL("NULL")
                    )
            values.append(
                SQL(
                    "d.%s IS DISTINCT FROM d.%s",
                    SQL.identifier(kind.diff_old),
                    SQL.identifier(kind.diff_new),
                )
            )
            candidates.append(SQL("(%s)", SQL(", ").join(values)))
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO %(table)s
                       (classification_id, %(key)s, company_id, date,
                        reference_date, change_type, source, %(columns)s,
                        create_uid, create_date, write_uid, write_date)
                SELECT d.classification_id, d.%(key)s, %(company)s,
                       now() AT TIME ZONE 'UTC', %(day)s, h.kind, %(source)s,
                       %(values)s,
                       %(uid)s, now() AT TIME ZONE 'UTC',
                       %(uid)s, now() AT TIME ZONE 'UTC'
                  FROM cpc_diff d
                 CROSS JOIN LATERAL (VALUES %(candidates)s)
                       AS h(kind, %(columns)s, changed)
                 WHERE d.classification_id IS NOT NULL AND h.changed
                """,
                table=SQL.identifier(history._table),
                key=SQL.identifier(subject.key),
                columns=SQL(", ").join(SQL.identifier(c) for c in columns),
                values=SQL(", ").join(SQL.identifier("h", c) for c in columns),
                candidates=SQL(", ").join(candidates),
                company=company.id,
                day=reference_date,
                source=source,
                uid=self.env.uid,
            )
        )

    # ------------------------------------------------------------ mirror
    @api.model
    def _cpc_write_mirror(self, company):
        """Copy the new effective classes of the rows whose classes change onto
        the classified records, with their write date: integrations that sync
        by write date see the change."""
        subject = self._cpc_subject()
        mirrored = [t for t in subject.tracked if t.mirror]
        if not mirrored:
            return
        self.env.cr.execute(
            SQL(
                """
                UPDATE %(records)s p
                   SET %(assignments)s,
                       write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
                  FROM cpc_diff d
                 WHERE d.%(key)s = p.id AND %(classes_change)s
                """,
                records=SQL.identifier(self.env[subject.record_model]._table),
                key=SQL.identifier(subject.key),
                uid=self.env.uid,
                classes_change=self._cpc_classes_change(),
                assignments=self._cpc_mirror_assignments(
                    company, {t: SQL.identifier("d", t.diff_new) for t in mirrored}
                ),
            )
        )

    @api.model
    def _cpc_mirror_assignments(self, company, values):
        """SET clauses storing ``values`` ({Tracked: SQL expression}) in the
        record's company-dependent (jsonb) columns, for ``company``."""
        return SQL(", ").join(
            SQL(
                "%(column)s = COALESCE(p.%(column)s, '{}'::jsonb) "
                "|| jsonb_build_object(%(company)s, %(value)s)",
                column=SQL.identifier(tracked.mirror),
                company=str(company.id),
                value=value,
            )
            for tracked, value in values.items()
        )

    # ------------------------------------------------------------- notes
    @api.model
    def _cpc_post_run_notes(self, company):
        """One chatter note per record whose classes changed, if it was
        classified before and only ``company``'s users read its chatter."""
        subject = self._cpc_subject()
        columns = [subject.key]
        for tracked in subject.tracked:
            columns += [tracked.diff_old, tracked.diff_new]
        self.env.cr.execute(
            SQL(
                "SELECT %s FROM cpc_diff d WHERE NOT d.is_new AND %s",
                SQL(", ").join(SQL.identifier("d", c) for c in columns),
                self._cpc_classes_change(),
            )
        )
        rows = self.env.cr.fetchall()
        # Describe only the changes that will be posted.
        allowed = self._cpc_note_records(company, [row[0] for row in rows])
        rows = [row for row in rows if row[0] in allowed]
        if not rows:
            return
        # Prefetch every record named in the notes at once.
        values = {}
        for index, tracked in enumerate(subject.tracked):
            ids = {v for row in rows for v in row[1 + 2 * index : 3 + 2 * index]}
            values[tracked.kind] = self._cpc_class_values(tracked, ids)
        bodies = {}
        for row in rows:
            lines = []
            for index, tracked in enumerate(subject.tracked):
                old, new = row[1 + 2 * index], row[2 + 2 * index]
                if old != new:
                    known = values[tracked.kind]
                    lines.append(
                        self._cpc_describe_change(tracked, known[old], known[new])
                    )
            bodies[row[0]] = self._cpc_note_body(company, lines)
        self._cpc_post_notes(company, bodies)

    @api.model
    def _cpc_class_values(self, tracked, raw_values):
        """{stored value: value as the ORM reads it} for ``tracked``."""
        field = self._fields[tracked.column]
        if field.type == "many2one":
            comodel = self.env[field.comodel_name]
            # One prefetch set: their names are read in one query.
            found = comodel.browse({v for v in raw_values if v})
            return {
                v: comodel.browse(v).with_prefetch(found._prefetch_ids)
                if v
                else comodel
                for v in raw_values
            }
        return {v: v or False for v in raw_values}

    @api.model
    def _cpc_describe_change(self, tracked, old, new):
        """One line of a note: the class's name, its old and new value."""
        field = self._fields[tracked.column]
        if field.type == "selection":
            names = dict(field._description_selection(self.env))
            old, new = names.get(old, ""), names.get(new, "")
        else:
            old, new = old.display_name or "", new.display_name or ""
        history = self.env[self._cpc_subject().history_model]
        kinds = dict(history._fields["change_type"]._description_selection(self.env))
        return self.env._(
            "%(what)s: %(old)s → %(new)s",
            what=kinds.get(tracked.kind, tracked.kind),
            old=old or self.env._("none"),
            new=new or self.env._("none"),
        )

    @api.model
    def _cpc_note_body(self, company, lines):
        title = escape(
            self.env._("Classification changed for %(company)s", company=company.name)
        )
        items = Markup("").join(Markup("<li>%s</li>") % line for line in lines)
        return Markup("<p>%s</p><ul>%s</ul>") % (title, items)

    @api.model
    def _cpc_note_records(self, company, record_ids):
        """The records among ``record_ids`` whose chatter only ``company``'s users
        read: records of that company, when it has no branches (a branch reads
        its parent's records). In a database of one company, every record."""
        if not record_ids:
            return set()
        companies = self.env["res.company"].sudo().with_context(active_test=False)
        if companies.search_count([], limit=2) == 1:
            return set(record_ids)
        records = self.env[self._cpc_subject().record_model]
        records.flush_model(["company_id"])
        self.env["res.company"].flush_model(["parent_id"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT r.id FROM %(table)s r
                 WHERE r.id = ANY(%(ids)s) AND r.company_id = %(company)s
                   %(extra)s
                   AND NOT EXISTS (SELECT 1 FROM res_company branch
                                    WHERE branch.parent_id = %(company)s)
                """,
                table=SQL.identifier(records._table),
                ids=list(record_ids),
                company=company.id,
                extra=self._cpc_note_records_condition(),
            )
        )
        return {record_id for (record_id,) in rows}

    @api.model
    def _cpc_note_records_condition(self):
        """More conditions (SQL, ``AND ...``, alias r) on the records whose
        chatter gets notes."""
        return SQL()

    @api.model
    def _cpc_post_notes(self, company, bodies):
        """Log one internal note per record about ``company``'s classes,
        ``bodies`` {record id: Markup}, on the records whose readers may all
        see them (:meth:`_cpc_note_records`); the history keeps every change,
        under company rules.

        Like mail.thread._message_log_batch, but in one INSERT: a run can change
        the classes of tens of thousands of records, and creating their notes
        through the ORM costs milliseconds each (sanitizing HTML that is built
        here from escaped values only). An internal note (a comment, flagged
        internal, of an internal subtype) that portal and public users may not
        read even by its id; its subtype keeps it from internal users without
        *Classification / User* (security/classification_note_security.xml).
        """
        allowed = self._cpc_note_records(company, bodies)
        bodies = {
            record_id: body
            for record_id, body in bodies.items()
            if record_id in allowed
        }
        if not bodies:
            return
        records = self.env[self._cpc_subject().record_model]
        partners = self.env["res.partner"]
        author_id, email_from = partners._message_compute_author(
            self.env.user.partner_id.id, None, raise_on_email=False
        )
        reply_to = self.env["mail.thread"]._notify_get_reply_to(default=email_from)[
            False
        ]
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO mail_message
                       (model, res_id, body, message_type, is_internal, subtype_id,
                        author_id, email_from, reply_to, message_id,
                        email_add_signature, date, create_uid, create_date,
                        write_uid, write_date)
                SELECT %(model)s, note.res_id, note.body, 'comment', TRUE,
                       %(subtype)s, %(author)s, %(email_from)s, %(reply_to)s,
                       %(message_id)s, FALSE, now() AT TIME ZONE 'UTC', %(uid)s,
                       now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                  FROM unnest(%(res_ids)s::int[], %(bodies)s::text[])
                       AS note(res_id, body)
                """,
                model=records._name,
                subtype=self.env["ir.model.data"]._xmlid_to_res_id(NOTE_SUBTYPE),
                author=author_id,
                email_from=email_from,
                reply_to=reply_to,
                message_id=generate_tracking_message_id("message-notify"),
                uid=self.env.uid,
                res_ids=list(bodies),
                bodies=[str(body) for body in bodies.values()],
            )
        )
        self.env["mail.message"].invalidate_model()
        records.browse(list(bodies)).invalidate_recordset(["message_ids"])

    # ------------------------------------------------------------- facts
    @api.model
    def _cpc_company_timezone(self, company):
        """The time zone days are counted in: that of the company's partner
        (its address), else UTC."""
        name = company.sudo().partner_id.tz or "UTC"
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            _logger.warning(
                "Company %s has an unknown time zone %r: UTC is used",
                company.name,
                name,
            )
            return "UTC"
        return name

    @api.model
    def _cpc_day_start_utc(self, company, day):
        """The UTC time (naive, as Odoo stores datetimes) at which ``day`` starts
        in the company's time zone."""
        zone = ZoneInfo(self._cpc_company_timezone(company))
        start = datetime.combine(day, time.min, tzinfo=zone)
        return start.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)

    @api.model
    def _cpc_has_sale_cost(self):
        """Whether order lines carry a cost at the time of sale (sale_margin)."""
        return "purchase_price" in self.env["sale.order.line"]._fields

    @api.model
    def _cpc_facts_query(self, company, reference_date, date_from=None):
        """One row per sale line of the company up to ``reference_date`` (and
        from ``date_from``, when given), on the company's revenue basis:

        - ``company_id``, ``partner_id`` (the commercial partner),
          ``product_tmpl_id`` (None for a line without product), ``order_id``
          (the sale order, or the invoice or credit note), ``is_order`` (true for
          an order or an invoice, false for a credit note), ``day`` (the order's
          day in the company's time zone, or the invoice date);
        - ``quantity`` in the product's unit of measure (negative on a credit
          note), ``amount_untaxed``, ``amount_total`` and ``amount`` (the one the
          company counts) in company currency, negative on a credit note;
          ``margin`` in company currency where order lines carry a cost
          (sale_margin, order basis), else NULL.

        Order basis: lines of confirmed orders (state ``sale``), display lines
        (sections, notes) left out. Invoice basis: product lines of posted
        customer invoices and credit notes.
        """
        day_after = reference_date + timedelta(days=1)
        if company.cpc_revenue_basis == "invoice":
            return self._cpc_invoice_facts_query(company, day_after, date_from)
        return self._cpc_order_facts_query(company, day_after, date_from)

    @api.model
    def _cpc_order_facts_query(self, company, day_after, date_from):
        rate = SQL("COALESCE(NULLIF(o.currency_rate, 0), 1.0)")
        margin = (
            SQL(
                "(l.price_subtotal - l.purchase_price * l.product_uom_qty) / %s",
                rate,
            )
            if self._cpc_has_sale_cost()
            else SQL("NULL::numeric")
        )
        since = (
            SQL("AND o.date_order >= %s", self._cpc_day_start_utc(company, date_from))
            if date_from
            else SQL()
        )
        return SQL(
            """
            SELECT o.company_id, p.commercial_partner_id AS partner_id,
                   pp.product_tmpl_id, o.id AS order_id, TRUE AS is_order,
                   (o.date_order AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date AS day,
                   COALESCE(l.product_uom_qty / NULLIF(lu.factor, 0) * tu.factor,
                            l.product_uom_qty) AS quantity,
                   l.price_subtotal / %(rate)s AS amount_untaxed,
                   l.price_total / %(rate)s AS amount_total,
                   %(amount)s / %(rate)s AS amount,
                   %(margin)s AS margin
              FROM sale_order_line l
              JOIN sale_order o ON o.id = l.order_id
              JOIN res_partner p ON p.id = o.partner_id
              LEFT JOIN product_product pp ON pp.id = l.product_id
              LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
              LEFT JOIN uom_uom lu ON lu.id = l.product_uom
              LEFT JOIN uom_uom tu ON tu.id = pt.uom_id
             WHERE o.company_id = %(company)s
               AND o.state = 'sale'
               AND l.display_type IS NULL
               AND o.date_order < %(before)s
               %(since)s
            """,
            tz=self._cpc_company_timezone(company),
            rate=rate,
            amount=SQL.identifier(
                "l",
                "price_total"
                if company.cpc_amount_type == "total"
                else "price_subtotal",
            ),
            margin=margin,
            company=company.id,
            before=self._cpc_day_start_utc(company, day_after),
            since=since,
        )

    @api.model
    def _cpc_invoice_facts_query(self, company, day_after, date_from):
        # balance is in company currency, negative on an invoice's product line
        # (a credit) and positive on a credit note's; the tax-included amount
        # keeps the line's own ratio of total to subtotal.
        untaxed = SQL("-l.balance")
        total = SQL(
            "CASE WHEN l.price_subtotal = 0 THEN -l.balance "
            "ELSE -l.balance * l.price_total / l.price_subtotal END"
        )
        since = SQL("AND m.invoice_date >= %s", date_from) if date_from else SQL()
        return SQL(
            """
            SELECT m.company_id, p.commercial_partner_id AS partner_id,
                   pp.product_tmpl_id, m.id AS order_id,
                   m.move_type = 'out_invoice' AS is_order,
                   m.invoice_date AS day,
                   CASE WHEN m.move_type = 'out_refund' THEN -1 ELSE 1 END
                       * COALESCE(l.quantity / NULLIF(lu.factor, 0) * tu.factor,
                                  l.quantity) AS quantity,
                   %(untaxed)s AS amount_untaxed,
                   %(total)s AS amount_total,
                   %(amount)s AS amount,
                   NULL::numeric AS margin
              FROM account_move_line l
              JOIN account_move m ON m.id = l.move_id
              JOIN res_partner p ON p.id = m.partner_id
              LEFT JOIN product_product pp ON pp.id = l.product_id
              LEFT JOIN product_template pt ON pt.id = pp.product_tmpl_id
              LEFT JOIN uom_uom lu ON lu.id = l.product_uom_id
              LEFT JOIN uom_uom tu ON tu.id = pt.uom_id
             WHERE m.company_id = %(company)s
               AND m.state = 'posted'
               AND m.move_type IN ('out_invoice', 'out_refund')
               AND l.display_type = 'product'
               AND m.invoice_date < %(day_after)s
               %(since)s
            """,
            untaxed=untaxed,
            total=total,
            amount=total if company.cpc_amount_type == "total" else untaxed,
            company=company.id,
            day_after=day_after,
            since=since,
        )

    # ----------------------------------------------------------- scoring
    @api.model
    def _cpc_score_sql(self, value, scores=5, partition=None):
        """A window expression scoring ``value`` (SQL) 1 to ``scores`` by its rank
        among the rows of the query (or of ``partition``, SQL of a PARTITION BY
        list): with ``r`` the rank (1 + the number of lower values) and ``n`` the
        number of rows, ``ceil(scores * r / n)``. Higher values score higher
        (for recency, pass the last order date).

        Ties fall to the lowest score of the block of ranks they span: where
        half the customers bought once, they score 1, not the middle. Without
        ties the highest value scores ``scores``. When every value is equal (one
        row, or all bought once) nobody ranks above anybody, and all score
        EVEN_SCORE. utils/rfm.py holds the same rule in Python.
        """
        over = SQL("PARTITION BY %s", partition) if partition else SQL()
        return SQL(
            """CASE WHEN MIN(%(value)s) OVER (%(over)s) = MAX(%(value)s) OVER (%(over)s)
                    THEN %(even)s
                    ELSE (%(scores)s * RANK() OVER (%(over)s ORDER BY %(value)s)
                          + COUNT(*) OVER (%(over)s) - 1) / COUNT(*) OVER (%(over)s)
               END""",
            value=value,
            over=over,
            even=min(EVEN_SCORE, scores),
            scores=scores,
        )

    # -------------------------------------------------------------- cron
    @api.model
    def _cpc_batch_size(self):
        """The scheduled actions' batch size: the system parameter when it is a
        whole number from 1 to MAX_BATCH_SIZE, else the nearest bound or, for
        what is not a number, the default (logged, so that it gets corrected)."""
        value = self.env["ir.config_parameter"].sudo().get_param(BATCH_SIZE_PARAM) or ""
        if not value.strip():
            return DEFAULT_BATCH_SIZE
        try:
            size = int(value)
        except ValueError:
            _logger.warning(
                "System parameter %s is not a whole number (%r): %s is used",
                BATCH_SIZE_PARAM,
                value,
                DEFAULT_BATCH_SIZE,
            )
            return DEFAULT_BATCH_SIZE
        bounded = min(max(size, 1), MAX_BATCH_SIZE)
        if bounded != size:
            _logger.warning(
                "System parameter %s is %s, out of 1 to %s: %s is used",
                BATCH_SIZE_PARAM,
                size,
                MAX_BATCH_SIZE,
                bounded,
            )
        return bounded

    @api.model
    def _cpc_cron_run(self, cron_xmlid):
        """Scheduled classification of every company's records, in batches.

        Each call writes at most one batch (a system parameter, 20,000 changed
        records by default) in its own transaction, and tells the scheduler how
        many are left, so that it calls again; a crash loses only the batch being
        written, and the next call redoes it.

        Each company runs in a savepoint. A company whose run fails is logged and
        reported (:meth:`_cpc_report_failure`), and the others are classified all
        the same: the job itself does not fail, so the scheduler never
        deactivates it for one broken company. A company that another run is
        classifying is skipped, and the job called again a few minutes later.
        """
        budget, done, remaining = self._cpc_batch_size(), 0, 0
        # Companies are few; each is classified against all its records.
        for company in self.env["res.company"].search([]):  # pylint: disable=no-search-all
            try:
                with self.env.cr.savepoint():
                    result = self.with_company(company)._cpc_run(company, limit=budget)
            except (locks.WorkInProgress, *locks.CONCURRENCY_ERRORS):
                locks.retry_cron_later(
                    self.env,
                    cron_xmlid,
                    f"Classification ({self._name}) of {company.name}",
                )
                continue
            except Exception as error:
                message = self._cpc_failure_message(company, error)
                if isinstance(error, UserError):
                    _logger.warning("%s", message)
                else:
                    _logger.exception("%s", message)
                self._cpc_report_failure(company, message)
                continue
            budget -= result["done"]
            done += result["done"]
            remaining += result["remaining"]
        _logger.info("Classified %s: %s written, %s left", self._name, done, remaining)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done, remaining

    @api.model
    def _cpc_failure_message(self, company, error):
        """What managers are told of a failed run: the addon's own messages
        (user and validation errors) name the company already."""
        if isinstance(error, UserError):
            return error.args[0]
        return self.env._(
            "%(subject)s of %(company)s could not be classified: %(error)s",
            subject=self._cpc_subject_label(),
            company=company.name,
            error=str(error) or type(error).__name__,
        )

    @api.model
    def _cpc_report_failure(self, company, message):
        """Tell the company's managers that its run failed (logged already)."""

    @api.model
    def _cpc_clear_failure(self, company):
        """A run of the company succeeded: forget its last failure."""
