# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import logging
from datetime import date

from dateutil.relativedelta import relativedelta
from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL, format_date
from odoo.tools.mail import generate_tracking_message_id

from ..utils import locks

_logger = logging.getLogger(__name__)

# Who may see a customer's value: tiers, segments, stages, metrics, pins.
CLASSIFICATION_USER = "customer_product_classification.group_classification_user"
CLASSIFY_CRON = "customer_product_classification.ir_cron_classify_customers"

LIFECYCLE_STAGES = [
    ("prospect", "Prospect"),
    ("new", "New"),
    ("active", "Active"),
    ("loyal", "Loyal"),
    ("at_risk", "At Risk"),
    ("churned", "Churned"),
    ("reactivated", "Reactivated"),
]

# Columns the engine computes; a run rewrites a row only when one of them changed.
COMPUTED_COLUMNS = (
    "first_order_date",
    "last_order_date",
    "order_count",
    "revenue",
    "average_order_value",
    "average_interval_days",
    "return_date",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "rfm_code",
    "segment_id",
    "computed_tier_id",
    "computed_stage",
)
# What a manager may change on a classification; the engine owns the rest and
# writes it in SQL.
# Reference dates a run accepts: the window before them and the day after them
# stay within what dates can hold (a wizard sent 9999-12-31 or 0001-01-01).
FIRST_REFERENCE_DATE = date(1900, 1, 1)
LAST_REFERENCE_DATE = date(2999, 12, 31)
# The system parameter of the scheduled actions' batch size, and its bounds: a
# batch is read in memory, and a parameter set to garbage must not stop them.
BATCH_SIZE_PARAM = "customer_product_classification.batch_size"
DEFAULT_BATCH_SIZE = 20000
MAX_BATCH_SIZE = 100000
PIN_FIELDS = frozenset(("manual_tier_id", "manual_stage", "pin_reason", "pin_until"))
# Effective classes: each change writes a history row and is mirrored on the partner.
TRACKED = (
    # history change type, classification column, partner column
    ("tier", "tier_id", "value_tier_id"),
    ("segment", "segment_id", "rfm_segment_id"),
    ("stage", "stage", "lifecycle_stage"),
)


# Columns of cpc_diff holding the old and the new effective classes, as in TRACKED.
OLD_COLUMNS = ("old_tier_id", "old_segment_id", "old_stage")
NEW_COLUMNS = ("new_tier_id", "segment_id", "new_stage")
# A row of cpc_diff (alias d) whose effective classes change, not only its figures.
CLASSES_CHANGE = SQL(
    "(%s) IS DISTINCT FROM (%s)",
    SQL(", ").join(SQL.identifier("d", c) for c in OLD_COLUMNS),
    SQL(", ").join(SQL.identifier("d", c) for c in NEW_COLUMNS),
)


class PartnerClassification(models.Model):
    """How valuable a customer is for one company, and how it behaves.

    One row per commercial partner and company. The engine
    (:meth:`_cpc_classify`) computes the metrics and the computed tier, segment
    and stage from sales in one grouped query; a manager may pin a tier or a stage,
    and the effective value is the pinned one while the pin holds, else the
    computed one.
    """

    _name = "partner.classification"
    _description = "Customer Classification"
    _order = "company_id, revenue desc, id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, ondelete="cascade", index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    classified_on = fields.Date(readonly=True, help="Reference date of the last run.")

    first_order_date = fields.Date(readonly=True)
    last_order_date = fields.Date(readonly=True)
    recency_days = fields.Integer(
        string="Days Since Last Order", compute="_compute_recency_days"
    )
    order_count = fields.Integer(
        string="Orders", readonly=True, help="Orders in the analysis window."
    )
    revenue = fields.Monetary(
        readonly=True, help="Revenue in the analysis window, in company currency."
    )
    average_order_value = fields.Monetary(readonly=True)
    average_interval_days = fields.Float(
        string="Average Days Between Orders", digits=(16, 1), readonly=True
    )
    return_date = fields.Date(
        string="Reactivated On",
        readonly=True,
        help="Last time the customer ordered again after being silent long enough "
        "to count as churned.",
    )

    recency_score = fields.Integer(string="R", readonly=True, aggregator="avg")
    frequency_score = fields.Integer(string="F", readonly=True, aggregator="avg")
    monetary_score = fields.Integer(string="M", readonly=True, aggregator="avg")
    rfm_code = fields.Char(string="RFM Code", readonly=True, index=True)
    segment_id = fields.Many2one(
        "partner.rfm.segment", string="RFM Segment", readonly=True, index=True
    )

    computed_tier_id = fields.Many2one(
        "partner.value.tier", string="Computed Tier", readonly=True
    )
    manual_tier_id = fields.Many2one(
        "partner.value.tier",
        string="Pinned Tier",
        domain="[('company_id', '=', company_id)]",
    )
    tier_id = fields.Many2one(
        "partner.value.tier",
        string="Value Tier",
        compute="_compute_tier_id",
        store=True,
        index=True,
    )
    computed_stage = fields.Selection(
        LIFECYCLE_STAGES, string="Computed Stage", readonly=True
    )
    manual_stage = fields.Selection(LIFECYCLE_STAGES, string="Pinned Stage")
    stage = fields.Selection(
        LIFECYCLE_STAGES,
        string="Lifecycle Stage",
        compute="_compute_stage",
        store=True,
        index=True,
    )
    pin_reason = fields.Char(string="Reason for the Pin")
    pin_until = fields.Date(
        string="Pinned Until",
        help="Last day the pin holds; it lapses by itself afterwards. Leave empty "
        "to pin until a manager removes it.",
    )
    is_pinned = fields.Boolean(compute="_compute_is_pinned")
    history_ids = fields.One2many(
        "partner.classification.history", "classification_id", string="History"
    )

    _sql_constraints = [
        (
            "partner_company_uniq",
            "unique (partner_id, company_id)",
            "A customer has one classification per company.",
        ),
    ]

    @api.depends("last_order_date")
    def _compute_recency_days(self):
        today = fields.Date.context_today(self)
        for record in self:
            last = record.last_order_date
            record.recency_days = (today - last).days if last else 0

    @api.depends("computed_tier_id", "manual_tier_id")
    def _compute_tier_id(self):
        for record in self:
            record.tier_id = record.manual_tier_id or record.computed_tier_id

    @api.depends("computed_stage", "manual_stage")
    def _compute_stage(self):
        for record in self:
            record.stage = record.manual_stage or record.computed_stage

    @api.depends("manual_tier_id", "manual_stage")
    def _compute_is_pinned(self):
        for record in self:
            record.is_pinned = bool(record.manual_tier_id or record.manual_stage)

    @api.constrains("manual_tier_id", "manual_stage", "pin_reason", "company_id")
    def _check_pin(self):
        for record in self:
            if record.is_pinned and not (record.pin_reason or "").strip():
                raise ValidationError(
                    self.env._(
                        "Say why the class of %(customer)s is pinned.",
                        customer=record.partner_id.display_name,
                    )
                )
            tier = record.manual_tier_id
            if tier and tier.company_id != record.company_id:
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s belongs to another company than the "
                        "classification of %(customer)s.",
                        tier=tier.display_name,
                        customer=record.partner_id.display_name,
                    )
                )

    @api.constrains("manual_tier_id")
    def _check_pin_tier_active(self):
        # Only when the pin is set: a tier archived later keeps its pins until
        # they lapse or a manager moves them.
        for record in self:
            if record.manual_tier_id and not record.manual_tier_id.active:
                raise ValidationError(
                    self.env._(
                        "Tier %(tier)s is archived: the class of %(customer)s cannot "
                        "be pinned to it.",
                        tier=record.manual_tier_id.display_name,
                        customer=record.partner_id.display_name,
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
                        "The pin of %(customer)s cannot end on %(day)s, a day already "
                        "past.",
                        customer=record.partner_id.display_name,
                        day=format_date(self.env, record.pin_until),
                    )
                )

    # ------------------------------------------------------------------ pins
    def write(self, vals):
        self._check_only_pins_written(vals)
        tracked = [column for _kind, column, _partner in TRACKED]
        before = {record.id: {c: record[c] for c in tracked} for record in self}
        result = super().write(vals)
        changed = self.filtered(lambda r: any(r[c] != before[r.id][c] for c in tracked))
        if changed:
            source = self.env.context.get("cpc_source", "manual")
            changed._log_effective_changes(before, source)
            changed._sync_partner_mirror()
        return result

    def _check_only_pins_written(self, vals):
        """Refuse, for everyone, an ORM write of what the engine computes: a row
        moved to another company or customer would show that customer's value to
        that company, and figures written by hand would be silently overwritten
        by the next run."""
        refused = sorted(set(vals) - PIN_FIELDS)
        if not refused:
            return
        names = ", ".join(
            f'"{self._fields[name]._description_string(self.env)}" ({name})'
            if name in self._fields
            else name
            for name in refused
        )
        raise AccessError(
            self.env._(
                "Only the pin of a customer classification can be changed "
                "(pinned tier and stage, reason, last day); the classification run "
                "computes the rest. Refused for %(customers)s: %(fields)s.",
                customers=", ".join(self[:5].partner_id.mapped("display_name")),
                fields=names,
            )
        )

    def action_unpin(self):
        self.write(
            {
                "manual_tier_id": False,
                "manual_stage": False,
                "pin_reason": False,
                "pin_until": False,
            }
        )

    @api.model
    def _cpc_lapse_pins(self, companies, today):
        """Release the pins whose last day is past."""
        expired = self.search(
            [
                ("company_id", "in", companies.ids),
                ("pin_until", "<", today),
                "|",
                ("manual_tier_id", "!=", False),
                ("manual_stage", "!=", False),
            ]
        )
        expired.with_context(cpc_source="scheduled").action_unpin()
        return expired

    def _log_effective_changes(self, before, source):
        """History rows and chatter notes for ORM-side changes (pins)."""
        history = []
        bodies = {}
        for record in self:
            lines = []
            for kind, column, _partner in TRACKED:
                old, new = before[record.id][column], record[column]
                if old == new:
                    continue
                history.append(record._history_values(kind, old, new, source))
                lines.append(record._describe_change(kind, old, new))
            bodies.setdefault(record.company_id, {})[record.partner_id.id] = (
                self._note_body(record.company_id, lines)
            )
        self.env["partner.classification.history"].sudo().create(history)
        for company, company_bodies in bodies.items():
            self._post_notes(company, company_bodies)

    def _history_values(self, kind, old, new, source):
        values = {
            "classification_id": self.id,
            "partner_id": self.partner_id.id,
            "company_id": self.company_id.id,
            "change_type": kind,
            "source": source,
            "reason": self.pin_reason if source == "manual" else False,
        }
        if kind == "stage":
            values.update(old_stage=old or False, new_stage=new or False)
        else:
            values.update({f"old_{kind}_id": old.id, f"new_{kind}_id": new.id})
        return values

    def _describe_change(self, kind, old, new):
        labels = {
            "tier": self.env._("Value tier"),
            "segment": self.env._("RFM segment"),
            "stage": self.env._("Lifecycle stage"),
        }
        if kind == "stage":
            names = dict(self._fields["stage"]._description_selection(self.env))
            old, new = names.get(old, ""), names.get(new, "")
        else:
            old, new = old.display_name or "", new.display_name or ""
        return self.env._(
            "%(what)s: %(old)s → %(new)s",
            what=labels[kind],
            old=old or self.env._("none"),
            new=new or self.env._("none"),
        )

    @api.model
    def _note_body(self, company, lines):
        title = escape(
            self.env._("Classification changed for %(company)s", company=company.name)
        )
        items = Markup("").join(Markup("<li>%s</li>") % line for line in lines)
        return Markup("<p>%s</p><ul>%s</ul>") % (title, items)

    @api.model
    def _cpc_note_partners(self, company, partner_ids):
        """The partners among ``partner_ids`` whose chatter only ``company``'s
        users read, under Odoo's partner rule (a partner of no company, or of an
        internal user, is read by every company; one of a company, by that
        company and its branches): a note there tells ``company``'s classes to
        no other company. In a database of one company, every partner."""
        if not partner_ids:
            return set()
        companies = self.env["res.company"].sudo().with_context(active_test=False)
        if companies.search_count([], limit=2) == 1:
            return set(partner_ids)
        self.env["res.partner"].flush_model(["company_id", "partner_share"])
        self.env["res.company"].flush_model(["parent_id"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.id FROM res_partner p
                 WHERE p.id = ANY(%(ids)s) AND p.company_id = %(company)s
                   AND p.partner_share
                   AND NOT EXISTS (SELECT 1 FROM res_company branch
                                    WHERE branch.parent_id = %(company)s)
                """,
                ids=list(partner_ids),
                company=company.id,
            )
        )
        return {partner_id for (partner_id,) in rows}

    @api.model
    def _post_notes(self, company, bodies):
        """Log one internal note per partner about ``company``'s classes,
        ``bodies`` {partner id: Markup}, on the partners whose readers may all
        see them (:meth:`_cpc_note_partners`); the history keeps every change,
        under company rules.

        Like mail.thread._message_log_batch, but in one INSERT: a run can change
        the classes of tens of thousands of customers, and creating their notes
        through the ORM costs milliseconds each (sanitizing HTML that is built
        here from escaped values only). An internal note (a comment, flagged
        internal, of an internal subtype) that portal and public users may not
        read even by its id; its subtype keeps it from internal users without
        *Classification / User* (security/classification_note_security.xml).
        """
        allowed = self._cpc_note_partners(company, bodies)
        bodies = {
            partner_id: body
            for partner_id, body in bodies.items()
            if partner_id in allowed
        }
        if not bodies:
            return
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
                SELECT 'res.partner', note.res_id, note.body, 'comment', TRUE,
                       %(subtype)s, %(author)s, %(email_from)s, %(reply_to)s,
                       %(message_id)s, FALSE, now() AT TIME ZONE 'UTC', %(uid)s,
                       now() AT TIME ZONE 'UTC', %(uid)s, now() AT TIME ZONE 'UTC'
                  FROM unnest(%(res_ids)s::int[], %(bodies)s::text[])
                       AS note(res_id, body)
                """,
                subtype=self.env["ir.model.data"]._xmlid_to_res_id(
                    "customer_product_classification.mt_classification_change"
                ),
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
        partners.browse(list(bodies)).invalidate_recordset(["message_ids"])

    def _sync_partner_mirror(self):
        """Copy the effective classes onto the partners, for the company they are
        for: the customer list, kanban, filters and group-by read them there."""
        self.flush_recordset()
        for company in self.company_id:
            rows = self.filtered(lambda r, c=company: r.company_id == c)
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE res_partner p SET %(assignments)s
                      FROM partner_classification c
                     WHERE c.partner_id = p.id AND c.id IN %(ids)s
                    """,
                    assignments=self._mirror_assignments(
                        company, [SQL.identifier("c", c) for _k, c, _p in TRACKED]
                    ),
                    ids=tuple(rows.ids),
                )
            )
        self.env["res.partner"].invalidate_model([p for _k, _c, p in TRACKED])

    @api.model
    def _mirror_assignments(self, company, values):
        """SET clauses storing tier, segment and stage ``values`` (SQL expressions)
        in the partner's company-dependent columns, for ``company``."""
        return SQL(", ").join(
            SQL(
                "%(partner)s = COALESCE(p.%(partner)s, '{}'::jsonb) "
                "|| jsonb_build_object(%(company)s, %(value)s)",
                partner=SQL.identifier(partner),
                company=str(company.id),
                value=value,
            )
            for (_kind, _column, partner), value in zip(TRACKED, values, strict=True)
        )

    # ---------------------------------------------------------------- engine
    @api.model
    def _cpc_classify(
        self,
        company,
        reference_date=None,
        partners=None,
        source="scheduled",
        limit=None,
        preview=False,
    ):
        """Classify the customers of one company from its sales.

        Scores are always ranked against all the company's customers; ``partners``
        (commercial partners) only restricts what is written. With ``limit``, at
        most that many changed customers are written (lowest ids first): a run is
        idempotent, so the next one carries on (``limit=0`` only counts). With
        ``preview``, nothing is written and the changes are returned.

        :return: dict with ``changed`` (customers whose row changes), ``done``
            (written now), ``remaining`` and, in preview, ``changes``: a list of
            dicts (partner id, old and new tier, segment, stage).
        """
        company.ensure_one()
        reference_date = reference_date or fields.Date.context_today(self)
        if not FIRST_REFERENCE_DATE <= reference_date <= LAST_REFERENCE_DATE:
            raise UserError(
                self.env._(
                    "Customers of %(company)s cannot be classified on %(day)s: the "
                    "reference date must be between %(first)s and %(last)s.",
                    company=company.name,
                    day=format_date(self.env, reference_date),
                    first=format_date(self.env, FIRST_REFERENCE_DATE),
                    last=format_date(self.env, LAST_REFERENCE_DATE),
                )
            )
        # A preview writes nothing and has its own temporary tables: it needs
        # no lock, and a manager may look while the scheduled run works.
        if not preview:
            locks.lock_company_classification(self.env, company)
            self._cpc_lapse_pins(company, fields.Date.context_today(self))
        tiers = company._cpc_value_tiers()
        try:
            tiers._check_ladder(company.cpc_tier_method)
        except ValidationError as error:
            raise UserError(
                self.env._(
                    "Customers of %(company)s cannot be classified: %(error)s",
                    company=company.name,
                    error=error.args[0],
                )
            ) from error
        self.env.flush_all()
        cr = self.env.cr
        cr.execute("DROP TABLE IF EXISTS cpc_result, cpc_diff")
        cr.execute(
            SQL(
                "CREATE TEMP TABLE cpc_result ON COMMIT DROP AS %s",
                self._cpc_result_query(company, reference_date, tiers),
            )
        )
        cr.execute(
            SQL(
                "CREATE TEMP TABLE cpc_diff ON COMMIT DROP AS %s",
                self._cpc_diff_query(company, partners),
            )
        )
        cr.execute("SELECT COUNT(*) FROM cpc_diff")
        changed = cr.fetchone()[0]
        result = {"changed": changed, "done": 0, "remaining": changed}
        if preview:
            cr.execute(
                """
                SELECT partner_id, old_tier_id, new_tier_id, old_segment_id,
                       segment_id, old_stage, new_stage, classification_id IS NULL
                  FROM cpc_diff
                 ORDER BY partner_id
                """
            )
            keys = (
                "partner_id",
                "old_tier_id",
                "new_tier_id",
                "old_segment_id",
                "new_segment_id",
                "old_stage",
                "new_stage",
                "is_new",
            )
            result["changes"] = [
                dict(zip(keys, row, strict=True)) for row in cr.fetchall()
            ]
        elif changed and limit != 0:
            if limit and changed > limit:
                cr.execute(
                    SQL(
                        "DELETE FROM cpc_diff WHERE partner_id > ("
                        "SELECT partner_id FROM cpc_diff ORDER BY partner_id "
                        "OFFSET %s LIMIT 1)",
                        limit - 1,
                    )
                )
            result["done"] = self._cpc_apply_diff(company, reference_date, source)
            result["remaining"] = changed - result["done"]
        cr.execute("DROP TABLE cpc_result, cpc_diff")
        if not preview:
            company._cpc_clear_classification_error()
        return result

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
    def _cron_classify_customers(self):
        """Scheduled classification of every company's customers, in batches.

        Each call writes at most one batch (a system parameter, 20,000 changed
        customers by default) in its own transaction, and tells the scheduler how
        many are left, so that it calls again; a crash loses only the batch being
        written, and the next call redoes it.

        Each company runs in a savepoint. A company whose run fails is logged,
        its managers are told (see res.company._cpc_report_classification_error)
        and the others are classified all the same: the job itself does not
        fail, so the scheduler never deactivates it for one broken company. A
        company that another run is classifying is skipped, and the job called
        again a few minutes later.
        """
        budget, done, remaining = self._cpc_batch_size(), 0, 0
        # Companies are few; each is classified against all its customers.
        for company in self.env["res.company"].search([]):  # pylint: disable=no-search-all
            try:
                with self.env.cr.savepoint():
                    result = self.with_company(company)._cpc_classify(
                        company, limit=budget
                    )
            except (locks.WorkInProgress, *locks.CONCURRENCY_ERRORS):
                locks.retry_cron_later(
                    self.env,
                    CLASSIFY_CRON,
                    f"Classification of the customers of {company.name}",
                )
                continue
            except Exception as error:
                message = self._cpc_failure_message(company, error)
                if isinstance(error, UserError):
                    _logger.warning("%s", message)
                else:
                    _logger.exception("%s", message)
                company._cpc_report_classification_error(message)
                continue
            budget -= result["done"]
            done += result["done"]
            remaining += result["remaining"]
        _logger.info("Classified customers: %s written, %s left", done, remaining)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done, remaining

    @api.model
    def _cpc_failure_message(self, company, error):
        """What managers are told of a failed run: the addon's own messages
        (user and validation errors) name the company already."""
        if isinstance(error, UserError):
            return error.args[0]
        return self.env._(
            "Customers of %(company)s could not be classified: %(error)s",
            company=company.name,
            error=str(error) or type(error).__name__,
        )

    @api.model
    def _cpc_facts_query(self, company, reference_date):
        """One row per sale (or invoice, or credit note) of the company's
        customers, rolled up to the commercial partner: day, amount in company
        currency, and whether it counts as an order."""
        day_after = reference_date + relativedelta(days=1)
        if company.cpc_revenue_basis == "invoice":
            amount = (
                "amount_total_signed"
                if company.cpc_amount_type == "total"
                else "amount_untaxed_signed"
            )
            return SQL(
                """
                SELECT p.commercial_partner_id AS partner_id,
                       m.invoice_date AS day,
                       m.%(amount)s AS amount,
                       m.move_type = 'out_invoice' AS is_order
                  FROM account_move m
                  JOIN res_partner p ON p.id = m.partner_id
                 WHERE m.company_id = %(company)s
                   AND m.state = 'posted'
                   AND m.move_type IN ('out_invoice', 'out_refund')
                   AND m.invoice_date < %(day_after)s
                """,
                amount=SQL.identifier(amount),
                company=company.id,
                day_after=day_after,
            )
        amount = (
            "amount_total" if company.cpc_amount_type == "total" else "amount_untaxed"
        )
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id,
                   o.date_order::date AS day,
                   o.%(amount)s / COALESCE(NULLIF(o.currency_rate, 0), 1.0) AS amount,
                   TRUE AS is_order
              FROM sale_order o
              JOIN res_partner p ON p.id = o.partner_id
             WHERE o.company_id = %(company)s
               AND o.state = 'sale'
               AND o.date_order < %(day_after)s
            """,
            amount=SQL.identifier(amount),
            company=company.id,
            day_after=day_after,
        )

    @api.model
    def _cpc_scope_query(self, company):
        """Commercial partners to classify besides those who bought: those with
        quotations of the company (prospects) and those classified before (so that
        they move when their orders are cancelled)."""
        return SQL(
            """
            SELECT p.commercial_partner_id AS partner_id
              FROM sale_order o
              JOIN res_partner p ON p.id = o.partner_id
             WHERE o.company_id = %(company)s
             UNION
            SELECT c.partner_id FROM partner_classification c
             WHERE c.company_id = %(company)s
            """,
            company=company.id,
        )

    @api.model
    def _cpc_tier_clause(self, company, tiers):
        """The tier of a customer: the first of the ladder whose rule it meets."""
        weights = company._cpc_rfm_weights()
        rows = []
        upper = 0.0
        for index, tier in enumerate(tiers):
            upper += tier.revenue_share / 100.0
            last = index == len(tiers) - 1
            rows.append(
                SQL(
                    "(%s, %s, %s::numeric, %s::numeric, %s, %s::numeric)",
                    tier.id,
                    index,
                    None if last else upper,
                    tier.min_revenue,
                    tier.min_orders,
                    tier.min_rfm_score,
                )
            )
        conditions = {
            # Customers who make the first N% of revenue, best first; ties by id.
            "pareto": SQL(
                "t.upper_share IS NULL "
                "OR s.revenue_before < t.upper_share * s.revenue_total"
            ),
            "threshold": SQL(
                "s.revenue >= t.min_revenue AND s.order_count >= t.min_orders"
            ),
            "rfm_score": SQL(
                "ROUND((%s * s.r + %s * s.f + %s * s.m)::numeric / %s, 4) "
                ">= t.min_score",
                *weights,
                sum(weights),
            ),
        }
        return SQL(
            """
            SELECT t.id FROM (VALUES %(rows)s)
                AS t(id, seq, upper_share, min_revenue, min_orders, min_score)
             WHERE %(condition)s
             ORDER BY t.seq LIMIT 1
            """,
            rows=SQL(", ").join(rows),
            condition=conditions[company.cpc_tier_method],
        )

    @api.model
    def _cpc_result_query(self, company, reference_date, tiers):
        """Every customer's metrics, scores and computed classes, in one query."""
        window_start = reference_date - relativedelta(
            months=company.cpc_analysis_months
        )
        return SQL(
            """
            WITH facts AS (%(facts)s),
            orders AS (
                SELECT partner_id, day,
                       day - LAG(day) OVER (PARTITION BY partner_id ORDER BY day) AS gap
                  FROM facts WHERE is_order
            ),
            dates AS (
                SELECT partner_id,
                       MIN(day) AS first_order_date,
                       MAX(day) AS last_order_date,
                       COUNT(*) FILTER (WHERE day >= %(window_start)s) AS order_count,
                       MIN(day) FILTER (WHERE day >= %(window_start)s)
                           AS first_window_date,
                       MAX(day) FILTER (WHERE gap >= %(churn_days)s) AS return_date
                  FROM orders GROUP BY partner_id
            ),
            money AS (
                SELECT partner_id,
                       ROUND(COALESCE(SUM(amount) FILTER (
                           WHERE day >= %(window_start)s), 0)::numeric, 2) AS revenue
                  FROM facts GROUP BY partner_id
            ),
            base AS (
                SELECT scope.partner_id, d.first_order_date, d.last_order_date,
                       COALESCE(d.order_count, 0) AS order_count, d.first_window_date,
                       d.return_date, COALESCE(m.revenue, 0) AS revenue
                  FROM (SELECT partner_id FROM dates UNION %(scope)s) scope
                  JOIN res_partner partner ON partner.id = scope.partner_id
                  LEFT JOIN dates d ON d.partner_id = scope.partner_id
                  LEFT JOIN money m ON m.partner_id = scope.partner_id
                 WHERE partner.active OR d.partner_id IS NOT NULL
            ),
            scored AS (
                SELECT partner_id, revenue, order_count,
                       (5 * COUNT(*) OVER (ORDER BY last_order_date)
                        + COUNT(*) OVER () - 1) / COUNT(*) OVER () AS r,
                       (5 * COUNT(*) OVER (ORDER BY order_count)
                        + COUNT(*) OVER () - 1) / COUNT(*) OVER () AS f,
                       (5 * COUNT(*) OVER (ORDER BY revenue)
                        + COUNT(*) OVER () - 1) / COUNT(*) OVER () AS m,
                       SUM(revenue) OVER (ORDER BY revenue DESC, partner_id
                                          ROWS UNBOUNDED PRECEDING) - revenue
                           AS revenue_before,
                       SUM(revenue) OVER () AS revenue_total
                  FROM base WHERE order_count > 0
            )
            SELECT b.partner_id, b.first_order_date, b.last_order_date, b.order_count,
                   b.revenue, b.return_date,
                   CASE WHEN b.order_count > 0
                        THEN ROUND(b.revenue / b.order_count, 2) END
                       AS average_order_value,
                   CASE WHEN b.order_count > 1
                        THEN ROUND((b.last_order_date - b.first_window_date)::numeric
                                   / (b.order_count - 1), 2) END
                       AS average_interval_days,
                   s.r AS recency_score, s.f AS frequency_score,
                   s.m AS monetary_score,
                   s.r::text || s.f::text || s.m::text AS rfm_code,
                   cell.segment_id,
                   tier.id AS computed_tier_id,
                   CASE
                       WHEN b.last_order_date IS NULL THEN 'prospect'
                       WHEN %(today)s - b.last_order_date >= %(churn_days)s
                           THEN 'churned'
                       WHEN %(today)s - b.last_order_date > GREATEST(
                           %(at_risk_days)s,
                           %(at_risk_factor)s
                               * (b.last_order_date - b.first_window_date)
                               / NULLIF(b.order_count - 1, 0)
                       ) THEN 'at_risk'
                       WHEN %(today)s - b.return_date <= %(new_days)s THEN 'reactivated'
                       WHEN %(today)s - b.first_order_date <= %(new_days)s THEN 'new'
                       WHEN b.order_count >= %(loyal_orders)s THEN 'loyal'
                       ELSE 'active'
                   END::varchar AS computed_stage
              FROM base b
              LEFT JOIN scored s ON s.partner_id = b.partner_id
              LEFT JOIN partner_rfm_cell cell
                     ON cell.rfm_map = %(rfm_map)s
                    AND cell.recency_score = s.r AND cell.frequency_score = s.f
                    AND cell.monetary_score = s.m
              LEFT JOIN LATERAL (%(tier)s) tier ON s.partner_id IS NOT NULL
            """,
            facts=self._cpc_facts_query(company, reference_date),
            scope=self._cpc_scope_query(company),
            tier=self._cpc_tier_clause(company, tiers),
            window_start=window_start,
            today=reference_date,
            churn_days=company.cpc_churn_days,
            at_risk_days=company.cpc_at_risk_days,
            at_risk_factor=company.cpc_at_risk_factor,
            new_days=company.cpc_new_days,
            loyal_orders=company.cpc_loyal_min_orders,
            rfm_map=company.cpc_rfm_map,
        )

    @api.model
    def _cpc_diff_query(self, company, partners):
        """The customers whose computed values differ from their stored row (or who
        have none yet), with their old and new effective classes."""
        columns = SQL(", ").join(SQL.identifier("r", c) for c in COMPUTED_COLUMNS)
        stored = SQL(", ").join(SQL.identifier("c", c) for c in COMPUTED_COLUMNS)
        restrict = (
            SQL("AND r.partner_id IN %s", tuple(partners.ids) or (0,))
            if partners is not None
            else SQL()
        )
        return SQL(
            """
            SELECT r.*, c.id AS classification_id,
                   c.tier_id AS old_tier_id, c.segment_id AS old_segment_id,
                   c.stage AS old_stage,
                   COALESCE(c.manual_tier_id, r.computed_tier_id) AS new_tier_id,
                   COALESCE(c.manual_stage, r.computed_stage) AS new_stage
              FROM cpc_result r
              LEFT JOIN partner_classification c
                     ON c.partner_id = r.partner_id AND c.company_id = %(company)s
             WHERE (c.id IS NULL OR (%(columns)s) IS DISTINCT FROM (%(stored)s))
                   %(restrict)s
            """,
            company=company.id,
            columns=columns,
            stored=stored,
            restrict=restrict,
        )

    @api.model
    def _cpc_apply_diff(self, company, reference_date, source):
        """Write the rows of cpc_diff: new rows, changed rows, one history row per
        changed class, the partner mirror, and a chatter note for customers that
        were classified before (a first classification posts none)."""
        cr = self.env.cr
        columns = SQL(", ").join(SQL.identifier(c) for c in COMPUTED_COLUMNS)
        values = SQL(", ").join(SQL.identifier("d", c) for c in COMPUTED_COLUMNS)
        uid = self.env.uid
        cr.execute(
            SQL(
                """
                INSERT INTO partner_classification
                       (partner_id, company_id, classified_on, tier_id, stage,
                        %(columns)s,
                        create_uid, create_date, write_uid, write_date)
                SELECT d.partner_id, %(company)s, %(today)s, d.new_tier_id, d.new_stage,
                       %(values)s, %(uid)s, now() AT TIME ZONE 'UTC',
                       %(uid)s, now() AT TIME ZONE 'UTC'
                  FROM cpc_diff d WHERE d.classification_id IS NULL
                -- A row that another run committed after this transaction's
                -- snapshot: a serialization failure, which Odoo retries, not a
                -- duplicate key error.
                    ON CONFLICT (partner_id, company_id) DO NOTHING
                """,
                columns=columns,
                values=values,
                company=company.id,
                today=reference_date,
                uid=uid,
            )
        )
        cr.execute(
            SQL(
                """
                UPDATE partner_classification c
                   SET (%(columns)s) = (%(values)s),
                       tier_id = d.new_tier_id, stage = d.new_stage,
                       classified_on = %(today)s,
                       write_uid = %(uid)s, write_date = now() AT TIME ZONE 'UTC'
                  FROM cpc_diff d WHERE c.id = d.classification_id
                """,
                columns=columns,
                values=SQL("ROW(%s)", values),
                today=reference_date,
                uid=uid,
            )
        )
        changes = SQL(" UNION ALL ").join(
            SQL(
                """
                SELECT c.id, c.partner_id, %(kind)s, d.%(old)s::text, d.%(new)s::text
                  FROM cpc_diff d
                  JOIN partner_classification c
                    ON c.partner_id = d.partner_id AND c.company_id = %(company)s
                 WHERE d.%(old)s IS DISTINCT FROM d.%(new)s
                """,
                kind=kind,
                old=SQL.identifier(old),
                new=SQL.identifier(new),
                company=company.id,
            )
            for (kind, _column, _partner), old, new in zip(
                TRACKED, OLD_COLUMNS, NEW_COLUMNS, strict=True
            )
        )
        cr.execute(
            SQL(
                """
                WITH changes (classification_id, partner_id, kind, old, new) AS (
                    %(changes)s
                )
                INSERT INTO partner_classification_history
                       (classification_id, partner_id, company_id, date, change_type,
                        source, old_tier_id, new_tier_id, old_segment_id,
                        new_segment_id, old_stage, new_stage,
                        create_uid, create_date, write_uid, write_date)
                SELECT classification_id, partner_id, %(company)s,
                       now() AT TIME ZONE 'UTC', kind, %(source)s,
                       CASE WHEN kind = 'tier' THEN old::int END,
                       CASE WHEN kind = 'tier' THEN new::int END,
                       CASE WHEN kind = 'segment' THEN old::int END,
                       CASE WHEN kind = 'segment' THEN new::int END,
                       CASE WHEN kind = 'stage' THEN old END,
                       CASE WHEN kind = 'stage' THEN new END,
                       %(uid)s, now() AT TIME ZONE 'UTC',
                       %(uid)s, now() AT TIME ZONE 'UTC'
                  FROM changes
                """,
                changes=changes,
                company=company.id,
                source=source,
                uid=uid,
            )
        )
        cr.execute(
            SQL(
                """
                UPDATE res_partner p SET %(assignments)s
                  FROM cpc_diff d
                 WHERE d.partner_id = p.id AND %(classes_change)s
                """,
                classes_change=CLASSES_CHANGE,
                assignments=self._mirror_assignments(
                    company,
                    [SQL.identifier("d", c) for c in NEW_COLUMNS],
                ),
            )
        )
        self._cpc_post_run_notes(company)
        cr.execute("SELECT COUNT(*) FROM cpc_diff")
        done = cr.fetchone()[0]
        self.env.invalidate_all()
        return done

    @api.model
    def _cpc_post_run_notes(self, company):
        """One chatter note per customer whose classes changed, if it was
        classified before and only ``company``'s users read its chatter."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                SELECT d.partner_id, d.old_tier_id, d.new_tier_id, d.old_segment_id,
                       d.segment_id, d.old_stage, d.new_stage
                  FROM cpc_diff d
                 WHERE d.classification_id IS NOT NULL AND %s
                """,
                CLASSES_CHANGE,
            )
        )
        rows = cr.fetchall()
        # Describe only the changes that will be posted.
        allowed = self._cpc_note_partners(company, [row[0] for row in rows])
        rows = [row for row in rows if row[0] in allowed]
        if not rows:
            return
        tiers = self.env["partner.value.tier"].browse(
            {tier for row in rows for tier in row[1:3] if tier}
        )
        segments = self.env["partner.rfm.segment"].browse(
            {segment for row in rows for segment in row[3:5] if segment}
        )
        record = self.browse()
        bodies = {}
        for partner_id, old_t, new_t, old_s, new_s, old_st, new_st in rows:
            lines = [
                record._describe_change(kind, old, new)
                for kind, old, new in (
                    ("tier", tiers.browse(old_t), tiers.browse(new_t)),
                    ("segment", segments.browse(old_s), segments.browse(new_s)),
                    ("stage", old_st, new_st),
                )
                if old != new
            ]
            bodies[partner_id] = self._note_body(company, lines)
        self._post_notes(company, bodies)
