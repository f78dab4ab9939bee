# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import ast
import logging
from collections import defaultdict, namedtuple
from datetime import timedelta

from markupsafe import Markup, escape

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv.expression import AND
from odoo.tools import SQL, html2plaintext

from .partner_classification import LIFECYCLE_STAGES

_logger = logging.getLogger(__name__)

# One change of a customer's class: ``kind`` is "tier", "segment", "stage" or
# "category" (then ``scheme_id`` names the scheme); ``old``/``new`` are ids,
# selection keys, or tuples of category ids. ``moved_on`` is the day the class
# holds from (the run's reference date, or the day a pin was set).
Move = namedtuple("Move", "partner_id kind old new moved_on scheme_id is_new")

TRIGGERS = [
    ("tier", "Enters a tier"),
    ("tier_down", "Moves down the tier ladder"),
    ("tier_up", "Moves up the tier ladder"),
    ("segment", "Enters an RFM segment"),
    ("stage", "Enters a lifecycle stage"),
    ("category", "Enters a category of a scheme"),
]
TRIGGER_KINDS = {
    "tier": "tier",
    "tier_down": "tier",
    "tier_up": "tier",
    "segment": "segment",
    "stage": "stage",
    "category": "category",
}
# Triggers that may wait until the customer has stayed in the class a while.
DELAYED_TRIGGERS = ("tier", "segment", "stage")
# A customer filter is a literal domain saved by the domain widget: it is read
# at every run and every watched save, so it is kept short and never evaluated.
MAX_FILTER_LENGTH = 4000
DOMAIN_OPERATORS = ("&", "|", "!")
ASSIGNEES = [
    ("salesperson", "Salesperson"),
    ("team_leader", "Sales team leader"),
    ("user", "Named user"),
]
SALESPERSON_ACTIONS = [
    ("keep", "Keep"),
    ("set", "Set"),
    ("clear", "Clear (back to the pool)"),
]


class ClassificationStrategy(models.Model):
    """What the company does when a customer's class changes.

    A strategy fires for a customer once per move (a change of class on a
    day, see classification.strategy.log): after a classification run (the
    scheduled action or the recompute wizard), when a manager pins a class,
    and when a customer's category of a scheme changes. Its actions are
    written set-based: one write per value, activities and log rows created
    in batches, one chatter note per customer.
    """

    _name = "classification.strategy"
    _description = "Classification Strategy"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    sequence = fields.Integer(
        default=10,
        help="Strategies fire in this order; when two set the same thing, the "
        "later one wins.",
    )
    company_id = fields.Many2one(
        "res.company",
        required=True,
        default=lambda self: self.env.company,
        index=True,
        help="The strategy acts on this company's customers only.",
    )
    trigger = fields.Selection(TRIGGERS, required=True, default="tier")
    tier_id = fields.Many2one(
        "partner.value.tier",
        string="Tier",
        # An empty class means "any change": deleting the chosen one must not
        # widen the strategy to every customer.
        ondelete="restrict",
        domain="[('company_id', '=', company_id)]",
        help="Leave empty to fire on any change of tier, the tier lost included.",
    )
    from_tier_id = fields.Many2one(
        "partner.value.tier",
        string="From Tier",
        # An empty class means "any change": deleting the chosen one must not
        # widen the strategy to every customer.
        ondelete="restrict",
        domain="[('company_id', '=', company_id)]",
        help="Only customers leaving this tier. Leave empty for any tier.",
    )
    company_rfm_map = fields.Selection(related="company_id.cpc_rfm_map")
    segment_id = fields.Many2one(
        "partner.rfm.segment",
        string="RFM Segment",
        # An empty class means "any change": deleting the chosen one must not
        # widen the strategy to every customer.
        ondelete="restrict",
        domain="[('rfm_map', '=', company_rfm_map)]",
        help="Leave empty to fire on any change of segment, the segment lost included.",
    )
    stage = fields.Selection(
        LIFECYCLE_STAGES,
        string="Lifecycle Stage",
        help="Leave empty to fire on any change of stage, the stage lost included.",
    )
    scheme_id = fields.Many2one(
        "classification.scheme",
        string="Scheme",
        # An empty class means "any change": deleting the chosen one must not
        # widen the strategy to every customer.
        ondelete="restrict",
        domain="[('applies_to', '=', 'partner'), "
        "('company_id', 'in', [company_id, False])]",
    )
    category_id = fields.Many2one(
        "classification.category",
        string="Category",
        # An empty class means "any change": deleting the chosen one must not
        # widen the strategy to every customer.
        ondelete="restrict",
        domain="[('scheme_id', '=', scheme_id)]",
        help="Fires when the customer enters this category or one of its "
        "sub-categories (from outside it). Leave empty to fire on any change of "
        "category in the scheme, the category lost included.",
    )
    delay_days = fields.Integer(
        string="After Days in the Class",
        help="Fire only once the customer has stayed this many days in the tier, "
        "segment or stage (checked at every classification run). 0 fires at once.",
    )
    partner_domain = fields.Char(
        string="Only Customers Matching",
        default="[]",
        help="Customers outside this filter are left alone. A plain filter on "
        "the customers' fields: it reads the same for whoever or whatever fires "
        'the strategy (no "current user", no computed dates).',
    )

    pricelist_id = fields.Many2one(
        "product.pricelist",
        string="Set Price List",
        domain="[('company_id', 'in', [company_id, False])]",
        help="The customer's price list for this company.",
    )
    tag_add_ids = fields.Many2many(
        "res.partner.category",
        "classification_strategy_tag_add_rel",
        string="Add Tags",
    )
    tag_remove_ids = fields.Many2many(
        "res.partner.category",
        "classification_strategy_tag_remove_rel",
        string="Remove Tags",
    )
    salesperson_action = fields.Selection(
        SALESPERSON_ACTIONS,
        string="Salesperson",
        required=True,
        default="keep",
        help="Clearing the salesperson returns the customer to the pool, for "
        "anyone to win back.",
    )
    salesperson_id = fields.Many2one(
        "res.users",
        string="New Salesperson",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Schedule Activity",
        domain="[('res_model', 'in', [False, 'res.partner'])]",
    )
    activity_summary = fields.Char(string="Activity Summary", translate=True)
    activity_note = fields.Html(string="Activity Note", translate=True)
    activity_days = fields.Integer(string="Due In (Days)", default=7)
    activity_assignee = fields.Selection(
        ASSIGNEES, string="Assign To", default="salesperson"
    )
    activity_user_id = fields.Many2one(
        "res.users",
        string="User",
        domain="[('share', '=', False), ('company_ids', 'in', company_id)]",
        help="Named user; for the salesperson or the team leader, who gets the "
        "activity when the customer has none.",
    )
    note = fields.Html(
        string="Note",
        translate=True,
        help="Added to the note the strategy logs in the customer's chatter.",
    )
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Send Email",
        domain="[('model', '=', 'res.partner')]",
        help="Leave empty never to send anything: strategies send mail only "
        "with a template chosen here.",
    )
    server_action_id = fields.Many2one(
        "ir.actions.server",
        string="Run Server Action",
        # Run with superuser rights, like an automation rule: administrators
        # choose it.
        groups="base.group_system",
        domain="[('model_id.model', '=', 'res.partner')]",
        help="Run on the customers the strategy fired for (records of the "
        "action): how automation reacts to class changes without code.",
    )
    act_on_shared_customers = fields.Boolean(
        string="Also Shared Customers",
        help="Shared customers (of no company) are seen by every company. By "
        "default the strategy only sets this company's price list on them; tick "
        "to also change their tags and salesperson, schedule activities, send the "
        "email and run the server action, which every company sees.",
    )
    # The error may quote a server action's data: for the managers.
    last_failure = fields.Text(
        string="Last Failure",
        readonly=True,
        copy=False,
        groups="customer_product_classification.group_classification_manager",
        help="Why the strategy failed the last time it fired; the moves it failed "
        "for are logged as failed and tried again at the next classification run "
        "of the company, while the customers are still in the class they "
        "entered. Cleared when it succeeds.",
    )
    last_failure_date = fields.Date(
        string="Failed On",
        readonly=True,
        copy=False,
        groups="customer_product_classification.group_classification_manager",
    )
    cpc_locked_reason = fields.Char(
        string="Locked Because",
        compute="_compute_cpc_locked_reason",
        help="Why the current user may not change the strategy.",
    )
    log_ids = fields.One2many("classification.strategy.log", "strategy_id")
    log_count = fields.Integer(compute="_compute_log_count", string="Fired")

    _sql_constraints = [
        (
            "delay_days_positive",
            "CHECK (delay_days >= 0 AND delay_days <= 3650)",
            "The days in the class must be from 0 to 3650.",
        ),
        (
            "activity_days_bounded",
            "CHECK (activity_days >= 0 AND activity_days <= 3650)",
            "An activity is due in 0 to 3650 days.",
        ),
    ]

    @api.depends_context("uid")
    def _compute_cpc_locked_reason(self):
        is_admin = self.env.is_system()
        editor = is_admin or self.env.user.has_group("mail.group_mail_template_editor")
        for strategy, sudo in zip(self, self.sudo(), strict=True):
            reason = False
            if not is_admin and sudo.server_action_id:
                reason = self.env._(
                    "This strategy runs a server action: only administrators may "
                    "change or delete it."
                )
            elif not editor and sudo.mail_template_id:
                reason = self.env._(
                    "This strategy sends an email: only email template editors may "
                    "change it; you may archive it or remove its email."
                )
            strategy.cpc_locked_reason = reason

    def _compute_log_count(self):
        counts = dict(
            self.env["classification.strategy.log"]._read_group(
                [("strategy_id", "in", self.ids)], ["strategy_id"], ["__count"]
            )
        )
        for strategy in self:
            strategy.log_count = counts.get(strategy, 0)

    # --------------------------------------------------------- checks
    @api.constrains(
        "company_id",
        "tier_id",
        "from_tier_id",
        "pricelist_id",
        "scheme_id",
        "category_id",
        "salesperson_id",
        "activity_user_id",
    )
    def _check_company(self):
        for strategy in self:
            company = strategy.company_id
            wrong = [
                record.display_name
                for record in (
                    strategy.tier_id,
                    strategy.from_tier_id,
                    strategy.pricelist_id,
                    strategy.scheme_id,
                    strategy.category_id,
                )
                if record and record.company_id and record.company_id != company
            ]
            wrong += [
                user.display_name
                for user in (strategy.salesperson_id, strategy.activity_user_id)
                if user and company not in user.company_ids
            ]
            if wrong:
                raise ValidationError(
                    self.env._(
                        "Strategy %(strategy)s of %(company)s uses what belongs to "
                        "another company: %(records)s.",
                        strategy=strategy.display_name,
                        company=company.name,
                        records=", ".join(wrong),
                    )
                )

    @api.constrains("salesperson_id", "activity_user_id")
    def _check_users_internal(self):
        # A salesperson or an assignee must be able to work on the customer:
        # an archived or portal user would hold customers nobody follows up.
        for strategy in self:
            wrong = [
                user.display_name
                for user in (strategy.salesperson_id, strategy.activity_user_id)
                if user and (user.share or not user.active)
            ]
            if wrong:
                raise ValidationError(
                    self.env._(
                        "Strategy %(strategy)s: %(users)s cannot be given customers "
                        "or activities: choose an active internal user.",
                        strategy=strategy.display_name,
                        users=", ".join(wrong),
                    )
                )

    @api.constrains(
        "tag_add_ids",
        "tag_remove_ids",
        "salesperson_action",
        "salesperson_id",
        "activity_type_id",
        "activity_assignee",
        "activity_user_id",
        "segment_id",
        "company_id",
    )
    def _check_actions(self):
        for strategy in self:
            both = strategy.tag_add_ids & strategy.tag_remove_ids
            problem = None
            if both:
                problem = self.env._(
                    "tags %(tags)s cannot be both added and removed",
                    tags=", ".join(both.mapped("name")),
                )
            elif strategy.salesperson_action == "set" and not strategy.salesperson_id:
                problem = self.env._("choose the salesperson it sets")
            elif (
                strategy.activity_type_id
                and strategy.activity_assignee == "user"
                and not strategy.activity_user_id
            ):
                problem = self.env._("choose the user who gets the activity")
            elif (
                strategy.segment_id
                and strategy.segment_id.rfm_map != strategy.company_id.cpc_rfm_map
            ):
                problem = self.env._(
                    "segment %(segment)s is not on the segment map %(company)s uses",
                    segment=strategy.segment_id.display_name,
                    company=strategy.company_id.name,
                )
            if problem:
                raise ValidationError(
                    self.env._(
                        "Strategy %(strategy)s: %(problem)s.",
                        strategy=strategy.display_name,
                        problem=problem,
                    )
                )

    # ------------------------------------------------- who may choose
    @api.model_create_multi
    def create(self, vals_list):
        self._cpc_check_steering(vals_list)
        return super().create(vals_list)

    def write(self, vals):
        self._cpc_check_steering([vals])
        return super().write(vals)

    def unlink(self):
        # Deleting stops the action and deletes its log: the administrator's.
        self._cpc_check_steering([])
        return super().unlink()

    def _cpc_check_steering(self, vals_list):
        """Server actions and email templates run as superuser for every
        customer a strategy fires for: only administrators create, change or
        delete a strategy that runs a server action (changing its trigger,
        filter or company re-aims it), and only template editors choose a
        template or change a strategy that sends one (other than taking the
        template away or archiving it)."""
        if self.env.is_system():
            return
        if self.sudo().filtered("server_action_id") or any(
            vals.get("server_action_id") for vals in vals_list
        ):
            raise AccessError(
                self.env._(
                    "Only administrators may create or change a strategy that runs "
                    "a server action (%(strategies)s).",
                    strategies=", ".join(
                        self.sudo().filtered("server_action_id").mapped("name")
                        or [vals.get("name") or "" for vals in vals_list]
                    ),
                )
            )
        if self.env.user.has_group("mail.group_mail_template_editor"):
            return
        sending = self.sudo().filtered("mail_template_id")
        disarming = all(
            set(vals) <= {"active", "mail_template_id"}
            and not vals.get("mail_template_id")
            for vals in vals_list
        )
        if any(vals.get("mail_template_id") for vals in vals_list) or (
            sending and vals_list and not disarming
        ):
            raise AccessError(
                self.env._(
                    "Only email template editors may choose the email a strategy "
                    "sends, or change a strategy that sends one (%(strategies)s).",
                    strategies=", ".join(
                        self.mapped("name")
                        or [vals.get("name") or "" for vals in vals_list]
                    ),
                )
            )

    @api.constrains("active", "pricelist_id")
    def _check_pricelist_active(self):
        for strategy in self:
            if (
                strategy.active
                and strategy.pricelist_id
                and not strategy.pricelist_id.active
            ):
                raise ValidationError(
                    self.env._(
                        "Strategy %(strategy)s sets price list %(pricelist)s, which "
                        "is archived: choose the company's price list first.",
                        strategy=strategy.display_name,
                        pricelist=strategy.pricelist_id.display_name,
                    )
                )

    @api.constrains("trigger", "scheme_id", "category_id", "delay_days")
    def _check_trigger(self):
        for strategy in self:
            if strategy.trigger == "category" and not strategy.scheme_id:
                raise ValidationError(
                    self.env._(
                        "Strategy %(strategy)s fires on a category: choose its scheme.",
                        strategy=strategy.display_name,
                    )
                )
            category = strategy.category_id
            if category and category.scheme_id != strategy.scheme_id:
                raise ValidationError(
                    self.env._(
                        "Category %(category)s is not of scheme %(scheme)s "
                        "(strategy %(strategy)s).",
                        category=category.display_name,
                        scheme=strategy.scheme_id.display_name,
                        strategy=strategy.display_name,
                    )
                )
            if strategy.delay_days and strategy.trigger not in DELAYED_TRIGGERS:
                raise ValidationError(
                    self.env._(
                        "Strategy %(strategy)s: only a tier, segment or stage can "
                        "be waited for.",
                        strategy=strategy.display_name,
                    )
                )

    @api.constrains("mail_template_id", "server_action_id", "activity_type_id")
    def _check_acts_on_customers(self):
        """A template, action or activity type of another model would be given
        partner ids as its records (an RPC call need not follow the domains)."""
        for strategy in self.sudo():
            wrong = [
                label
                for label, model in (
                    (self.env._("email template"), strategy.mail_template_id.model),
                    (
                        self.env._("server action"),
                        strategy.server_action_id.model_id.model,
                    ),
                    (
                        self.env._("activity type"),
                        strategy.activity_type_id.res_model,
                    ),
                )
                if model and model != "res.partner"
            ]
            if wrong:
                raise ValidationError(
                    self.env._(
                        "Strategy %(strategy)s acts on customers: its %(what)s must "
                        "be one for contacts.",
                        strategy=strategy.name,
                        what=", ".join(wrong),
                    )
                )

    @api.constrains("partner_domain")
    def _check_partner_domain(self):
        for strategy in self:
            # Whatever the text evaluates to or raises (1/0 included), the
            # manager is told which strategy's filter is wrong.
            try:
                with self.env.cr.savepoint():
                    self.env["res.partner"].search_count(
                        strategy._cpc_domain(), limit=1
                    )
            except Exception as error:
                raise ValidationError(
                    self.env._(
                        "The customer filter of strategy %(strategy)s is not valid: "
                        "%(error)s",
                        strategy=strategy.display_name,
                        error=error,
                    )
                ) from error

    def _cpc_domain(self):
        """The customer filter as a domain. Only a literal domain is read, never
        evaluated: a filter must mean the same whoever fires the strategy (the
        scheduled run, the manager who pins, whoever saves a category), and an
        expression could exhaust the server at every run."""
        text = (self.partner_domain or "").strip() or "[]"
        if len(text) > MAX_FILTER_LENGTH:
            raise ValueError(
                self.env._(
                    "it is longer than %(max)s characters",
                    max=MAX_FILTER_LENGTH,
                )
            )
        try:
            domain = ast.literal_eval(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            domain = None
        if not isinstance(domain, list) or not all(
            term in DOMAIN_OPERATORS
            or (
                isinstance(term, (list, tuple))
                and len(term) == 3
                and isinstance(term[0], str)
                and isinstance(term[1], str)
            )
            for term in domain
        ):
            raise ValueError(
                self.env._(
                    "only a plain filter is accepted: fields, operators and written "
                    "values, without the current user, computed dates or "
                    "expressions"
                )
            )
        return [term if isinstance(term, str) else tuple(term) for term in domain]

    @api.model
    def _cpc_refuse_targeted(self, records, field_names):
        """Refuse deleting ``records`` while an active strategy fires on them:
        without its class, a strategy would fire on any change. Archived
        strategies (the seeds, say) go with the class they fire on, for the
        same reason: reactivated, they would fire on any change."""
        if not records:
            return
        domain = ["|"] * (len(field_names) - 1) + [
            (name, "in", records.ids) for name in field_names
        ]
        strategies = self.sudo().with_context(active_test=False).search(domain)
        active = strategies.filtered("active")
        if active:
            raise UserError(
                self.env._(
                    "%(records)s cannot be deleted: strategies %(strategies)s fire "
                    "on it. Change, archive or delete those strategies first.",
                    records=", ".join(records.sudo().mapped("display_name")),
                    strategies=", ".join(active.mapped("display_name")),
                )
            )
        if strategies:
            _logger.info(
                "Archived strategies %s deleted with the classes they fire on (%s)",
                strategies.ids,
                records,
            )
            strategies.unlink()

    # ------------------------------------------------------- matching
    @api.model
    def _cpc_strategies(self, company, kinds=None):
        domain = [("company_id", "=", company.id)]
        if kinds is not None:
            triggers = [t for t, kind in TRIGGER_KINDS.items() if kind in kinds]
            domain.append(("trigger", "in", triggers))
        return self.sudo().search(domain)

    def _cpc_matches(self, move, ranks):
        """Whether ``move`` is the move this strategy fires on (trigger only)."""
        trigger = self.trigger
        if TRIGGER_KINDS[trigger] != move.kind or self.delay_days:
            return False
        if trigger == "category":
            if move.scheme_id != self.scheme_id.id:
                return False
            if not self.category_id:
                return True
            return self._cpc_within_category(move.new) and not (
                self._cpc_within_category(move.old)
            )
        if trigger in ("tier_down", "tier_up"):
            # A first classification is no move on the ladder.
            if move.is_new or (self.from_tier_id and move.old != self.from_tier_id.id):
                return False
            # No tier (no order in the window) is below the last one.
            old, new = ranks.get(move.old, len(ranks)), ranks.get(move.new, len(ranks))
            return new > old if trigger == "tier_down" else new < old
        target = {
            "tier": self.tier_id.id,
            "segment": self.segment_id.id,
            "stage": self.stage,
        }[trigger]
        if trigger == "tier" and self.from_tier_id and move.old != self.from_tier_id.id:
            return False
        # No class chosen: any change, the class lost included (what a server
        # action reacting to "the tier changed" expects).
        return move.new == target if target else move.old != move.new

    def _cpc_within_category(self, category_ids):
        """Whether one of ``category_ids`` is the strategy's category or one of
        its sub-categories (schemes are hierarchies: "Asia" holds "Asia /
        China")."""
        path = self.category_id.sudo().parent_path
        categories = self.env["classification.category"].sudo().browse(category_ids)
        return any(c.parent_path.startswith(path) for c in categories.exists())

    @api.model
    def _cpc_match(
        self,
        company,
        moves,
        reference_date=None,
        previewed=False,
        records=None,
        failed=None,
    ):
        """{strategy: {partner id: move}} of the company's active strategies
        that fire for ``moves``, for customers matching their filter and not
        already handled for that move. With ``reference_date`` (the check after
        a run), also the stays in a class that have lasted long enough by then
        and the moves a strategy failed for before: of ``records`` only when
        given (a run on selected customers).

        ``previewed``: the moves are a preview's, not written yet; a customer
        they move has not stayed in its stored class, and nothing is written.

        Each strategy is matched on its own: one whose filter no longer reads
        (a field it names was removed) is put in ``failed`` ({strategy:
        (error, {partner id: move} of the moves its trigger matches)}) and the
        others fire; without ``failed``, the error is raised."""
        strategies = self._cpc_strategies(company)
        if not strategies:
            return {}
        ranks = {
            tier.id: index for index, tier in enumerate(company._cpc_value_tiers())
        }
        fired = {}
        for strategy in strategies:
            try:
                with self.env.cr.savepoint():
                    candidates = strategy._cpc_candidates(
                        company, moves, ranks, reference_date, previewed, records
                    )
            except Exception as error:
                if failed is None:
                    raise
                _logger.exception(
                    "Strategy %s (id %s) of %s could not be matched",
                    strategy.name,
                    strategy.id,
                    company.name,
                )
                failed[strategy] = (
                    error,
                    {m.partner_id: m for m in moves if strategy._cpc_matches(m, ranks)},
                )
                continue
            if candidates:
                fired[strategy] = candidates
        return fired

    def _cpc_candidates(
        self, company, moves, ranks, reference_date, previewed, records
    ):
        candidates = {}
        for move in moves:
            if self._cpc_matches(move, ranks):
                candidates[move.partner_id] = move
        if reference_date:
            waiting = (
                self._cpc_stays(company, reference_date) if self.delay_days else {}
            )
            waiting.update(self._cpc_pending(company, previewed))
            if records is not None:
                wanted = set(records.ids)
                waiting = {p: m for p, m in waiting.items() if p in wanted}
            if previewed:
                kind = TRIGGER_KINDS[self.trigger]
                moving = {m.partner_id for m in moves if m.kind == kind}
                waiting = {p: m for p, m in waiting.items() if p not in moving}
            for partner_id, move in waiting.items():
                candidates.setdefault(partner_id, move)
        return self._cpc_filter(company, candidates)

    def _cpc_pending(self, company, previewed=False):
        """{partner id: move} of the moves this strategy failed for, whose
        customer is still in the class the move entered: tried again at the
        next run. A failed move whose customer has left that class since is
        marked dropped (unless ``previewed``): acting on it would act on a class
        the customer no longer has."""
        log = self.env["classification.strategy.log"]
        log.flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT id, partner_id, moved_on, old_key, new_key
                  FROM classification_strategy_log
                 WHERE strategy_id = %s AND company_id = %s AND state = 'failed'
                 ORDER BY moved_on, id
                """,
                self.id,
                company.id,
            )
        )
        if not rows:
            return {}
        current = self._cpc_current_keys(company, {row[1] for row in rows})
        pending, dropped = {}, []
        for log_id, partner_id, moved_on, old_key, new_key in rows:
            if current.get(partner_id) != new_key:
                dropped.append(log_id)
                continue
            pending[partner_id] = log._cpc_move_from_keys(
                partner_id, moved_on, old_key, new_key
            )
        if dropped and not previewed:
            log.browse(dropped).sudo().write(
                {
                    "state": "dropped",
                    "actions": self.env._(
                        "Not tried again: the customer has left the class since"
                    ),
                }
            )
        return pending

    def _cpc_current_keys(self, company, partner_ids):
        """{partner id: key of the class the strategy fires on, now} (as in the
        log's new_key)."""
        kind = TRIGGER_KINDS[self.trigger]
        log = self.env["classification.strategy.log"]
        if kind == "category":
            field = self.scheme_id.field_id.name
            partners = (
                self.env["res.partner"]
                .sudo()
                .with_context(active_test=False)
                .browse(partner_ids)
            )
            return {
                partner.id: log._cpc_keys(
                    Move(
                        partner.id,
                        kind,
                        None,
                        tuple(partner[field].ids) if field else (),
                        None,
                        self.scheme_id.id,
                        False,
                    )
                )[1]
                for partner in partners
            }
        column = {"tier": "tier_id", "segment": "segment_id", "stage": "stage"}[kind]
        self.env["partner.classification"].flush_model()
        rows = self.env.execute_query(
            SQL(
                "SELECT partner_id, %s FROM partner_classification"
                " WHERE company_id = %s AND partner_id = ANY(%s)",
                SQL.identifier(column),
                company.id,
                list(partner_ids),
            )
        )
        return {
            partner_id: log._cpc_keys(
                Move(partner_id, kind, None, value, None, None, False)
            )[1]
            for partner_id, value in rows
        }

    def _cpc_stays(self, company, reference_date):
        """Moves of customers who have been in the strategy's class for at least
        its delay by ``reference_date``, dated the day they entered it."""
        kind = self.trigger
        column = {"tier": "tier_id", "segment": "segment_id", "stage": "stage"}[kind]
        target = {
            "tier": self.tier_id.id,
            "segment": self.segment_id.id,
            "stage": self.stage,
        }[kind]
        self.env["partner.classification"].flush_model()
        self.env["partner.classification.history"].flush_model()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT c.partner_id, c.%(column)s, h.old_value,
                       COALESCE(h.reference_date, c.create_date::date)
                  FROM partner_classification c
                  LEFT JOIN LATERAL (
                       SELECT h.reference_date, h.%(old)s AS old_value
                         FROM partner_classification_history h
                        WHERE h.classification_id = c.id AND h.change_type = %(kind)s
                          AND h.%(new)s = c.%(column)s
                        ORDER BY h.date DESC, h.id DESC LIMIT 1) h ON TRUE
                 WHERE c.company_id = %(company)s AND c.%(column)s IS NOT NULL
                   %(target)s
                   AND COALESCE(h.reference_date, c.create_date::date) <= %(until)s
                """,
                column=SQL.identifier(column),
                old=SQL.identifier(f"old_{column}"),
                new=SQL.identifier(f"new_{column}"),
                kind=kind,
                company=company.id,
                target=SQL("AND c.%s = %s", SQL.identifier(column), target)
                if target
                else SQL(),
                until=reference_date - timedelta(days=self.delay_days),
            )
        )
        return {
            partner_id: Move(partner_id, kind, old, new, entered, None, False)
            for partner_id, new, old, entered in rows
        }

    def _cpc_filter(self, company, candidates):
        """The candidates that match the strategy's filter and whose move it has
        not handled yet."""
        if not candidates:
            return candidates
        partners = self.env["res.partner"].sudo().with_company(company)
        kept = set(
            partners.with_context(active_test=False)
            .search(AND([[("id", "in", list(candidates))], self._cpc_domain()]))
            .ids
        )
        candidates = {pid: move for pid, move in candidates.items() if pid in kept}
        if not candidates:
            return candidates
        log = self.env["classification.strategy.log"]
        log.flush_model()
        done = self.env.execute_query(
            SQL(
                """
                SELECT l.partner_id, l.moved_on, l.old_key, l.new_key
                  FROM classification_strategy_log l
                 WHERE l.strategy_id = %s AND l.partner_id = ANY(%s)
                   AND l.state != 'failed'
                """,
                self.id,
                list(candidates),
            )
        )
        done = set(done)
        return {
            pid: move
            for pid, move in candidates.items()
            if (pid, move.moved_on, *log._cpc_keys(move)) not in done
        }

    # -------------------------------------------------------- actions
    def _cpc_plan(self, company, partners):
        """What the strategy would do to ``partners`` (sudo, of ``company``):
        {"writes": [(partners, vals)], "activities": [vals], "done":
        {partner id: [what is done]}, "acting": partners}. Only what changes
        is planned.

        Shared customers (of no company) are read by every company: unless the
        strategy says so, only company-dependent values (the price list) are
        set on them; ``acting`` are the customers the rest is done for."""
        self.ensure_one()
        partners = partners.with_company(company)
        done = defaultdict(list)
        writes = []
        pricelist = self.pricelist_id
        if pricelist:
            writes.append(self._cpc_plan_pricelist(company, partners, done))
        acting = partners
        if not self.act_on_shared_customers:
            acting = partners.filtered("company_id")
            if (partners - acting) and self._cpc_has_shared_actions():
                line = self.env._(
                    "Shared customer: only what is %(company)s's own is changed",
                    company=company.name,
                )
                for partner in partners - acting:
                    done[partner.id].append(line)
        add, remove = self.tag_add_ids, self.tag_remove_ids
        if add or remove:
            todo = acting.filtered(
                lambda p: (add - p.category_id) or (remove & p.category_id)
            )
            commands = [Command.link(t.id) for t in add] + [
                Command.unlink(t.id) for t in remove
            ]
            writes.append((todo, {"category_id": commands}))
            for partner in todo:
                parts = []
                if add - partner.category_id:
                    parts.append(
                        self.env._(
                            "tags added: %(tags)s",
                            tags=", ".join((add - partner.category_id).mapped("name")),
                        )
                    )
                if remove & partner.category_id:
                    parts.append(
                        self.env._(
                            "tags removed: %(tags)s",
                            tags=", ".join(
                                (remove & partner.category_id).mapped("name")
                            ),
                        )
                    )
                done[partner.id].append("; ".join(parts))
        if self.salesperson_action == "set" and self.salesperson_id:
            user = self.salesperson_id
            if not self._cpc_workable(company, user):
                line = self.env._(
                    "Salesperson kept: %(user)s is archived, a portal user or not "
                    "of %(company)s",
                    user=user.display_name,
                    company=company.name,
                )
                for partner in acting:
                    done[partner.id].append(line)
            else:
                todo = acting.filtered(lambda p: p.user_id != user)
                writes.append((todo, {"user_id": user.id}))
                line = self.env._("Salesperson: %(user)s", user=user.display_name)
                for partner in todo:
                    done[partner.id].append(line)
        elif self.salesperson_action == "clear":
            todo = acting.filtered("user_id")
            writes.append((todo, {"user_id": False}))
            for partner in todo:
                done[partner.id].append(
                    self.env._(
                        "Salesperson %(user)s cleared: back to the pool",
                        user=partner.user_id.display_name,
                    )
                )
        activities = []
        if self.activity_type_id:
            activities = self._cpc_plan_activities(company, acting, done)
        if self.mail_template_id:
            line = self.env._(
                "Email: %(template)s", template=self.mail_template_id.display_name
            )
            for partner in acting:
                done[partner.id].append(line)
        if self.server_action_id:
            line = self.env._(
                "Server action: %(action)s", action=self.server_action_id.display_name
            )
            for partner in acting:
                done[partner.id].append(line)
        return {
            "writes": writes,
            "activities": activities,
            "done": done,
            "acting": acting,
        }

    def _cpc_has_shared_actions(self):
        """Whether the strategy changes what every company sees."""
        return bool(
            self.tag_add_ids
            or self.tag_remove_ids
            or self.salesperson_action != "keep"
            or self.activity_type_id
            or self.mail_template_id
            or self.server_action_id
        )

    def _cpc_plan_pricelist(self, company, partners, done):
        """The grouped write of the company's price list on ``partners`` and
        their contacts: a contact takes its company's price list (a commercial
        field), and quotations addressed to it must get the new one too."""
        pricelist = self.pricelist_id
        family = partners | partners.search(
            [
                ("commercial_partner_id", "in", partners.ids),
                ("is_company", "=", False),
            ]
        )
        # Compared in SQL: reading a company-dependent field record by record
        # costs more than the write.
        family.flush_recordset(["specific_property_product_pricelist"])
        todo = family.browse(
            pid
            for (pid,) in self.env.execute_query(
                SQL(
                    """
                    SELECT id FROM res_partner
                     WHERE id = ANY(%s)
                       AND (specific_property_product_pricelist ->> %s)::int
                           IS DISTINCT FROM %s
                    """,
                    family.ids,
                    str(company.id),
                    pricelist.id,
                )
            )
        )
        line = self.env._("Price list: %(pricelist)s", pricelist=pricelist.display_name)
        for partner in partners & todo.commercial_partner_id:
            done[partner.id].append(line)
        # The specific (company-dependent) price list, in one write: the
        # computed field's inverse searches a country list per customer.
        return todo, {"specific_property_product_pricelist": pricelist.id}

    @api.model
    def _cpc_workable(self, company, user):
        """Whether ``user`` may be given customers or activities of ``company``:
        an active internal user allowed in the company."""
        return bool(
            user and user.active and not user.share and company in user.company_ids
        )

    def _cpc_plan_activities(self, company, partners, done):
        today = fields.Date.context_today(self)
        deadline = today + timedelta(days=self.activity_days)
        model_id = self.env["ir.model"]._get_id("res.partner")
        summary = self.activity_summary or self.activity_type_id.summary or ""
        users = self.env["res.users"]
        # The salesperson the strategy gives (or takes away), not the one it
        # replaces; the one kept when the one it gives is refused.
        giving = self.salesperson_action == "clear" or (
            self.salesperson_action == "set"
            and self._cpc_workable(company, self.salesperson_id)
        )
        given = self.salesperson_id if self.salesperson_action == "set" else users
        wanted = {}
        for partner in partners:
            if self.activity_assignee == "salesperson":
                user = given if giving else partner.user_id
            elif self.activity_assignee == "team_leader":
                user = self._cpc_sales_team(partner).user_id
            else:
                user = users
            wanted[partner] = [u for u in (user, self.activity_user_id) if u]
        readable = self._cpc_readable_by(
            company,
            {user for candidates in wanted.values() for user in candidates},
            partners,
        )
        activities = []
        lines = {}
        for partner, candidates in wanted.items():
            user = next(
                (u for u in candidates if partner.id in readable.get(u, ())), users
            )
            if not user:
                done[partner.id].append(
                    self.env._(
                        "No activity: the customer has nobody to assign it to",
                    )
                    if not candidates
                    else self.env._(
                        "No activity: %(users)s cannot work on this customer in "
                        "%(company)s (archived, portal user, other company or no "
                        "access)",
                        users=", ".join(u.display_name for u in candidates),
                        company=company.name,
                    )
                )
                continue
            activities.append(
                {
                    "res_model_id": model_id,
                    "res_id": partner.id,
                    "activity_type_id": self.activity_type_id.id,
                    "summary": summary,
                    "note": self.activity_note or False,
                    "date_deadline": deadline,
                    "user_id": user.id,
                }
            )
            if user not in lines:
                lines[user] = self.env._(
                    "Activity %(activity)s for %(user)s, due %(day)s",
                    activity=summary or self.activity_type_id.name,
                    user=user.display_name,
                    day=fields.Date.to_string(deadline),
                )
            done[partner.id].append(lines[user])
        return activities

    @api.model
    def _cpc_readable_by(self, company, users, partners):
        """{user: partner ids the user may read in ``company``} for the users
        who may work there: one access check per user, not per customer."""
        readable = {}
        for user in users:
            if self._cpc_workable(company, user):
                allowed = (
                    partners.with_user(user)
                    .with_context(allowed_company_ids=company.ids)
                    ._filtered_access("read")
                )
                readable[user] = set(allowed.ids)
        return readable

    @api.model
    def _cpc_sales_team(self, partner):
        """The customer's sales team: its own where CRM gives customers one,
        else its salesperson's (as the classification rules read it)."""
        if "team_id" in partner._fields and partner.team_id:
            return partner.team_id
        return partner.user_id.sale_team_id

    def _cpc_execute(self, company, plan):
        """Write what :meth:`_cpc_plan` planned."""
        for records, vals in plan["writes"]:
            if records:
                # The strategy's note tells the change: no tracking message per
                # customer besides it.
                records.with_company(company).with_context(tracking_disable=True).write(
                    vals
                )
        if plan["activities"]:
            self._cpc_create_activities(plan["activities"])
        acting = plan["acting"]
        if self.mail_template_id and acting:
            # Only template editors choose a template (_cpc_check_steering).
            self.mail_template_id.sudo().with_company(company).send_mail_batch(
                acting.ids
            )
        if self.server_action_id and acting:
            self.server_action_id.sudo().with_company(company).with_context(
                active_model="res.partner",
                active_ids=acting.ids,
                active_id=acting[:1].id,
                cpc_strategy_id=self.id,
            ).run()

    @api.model
    def _cpc_create_activities(self, values):
        """Schedule the planned activities (``values`` as for mail.activity's
        create), and make their assignees follow the customers with the default
        subtypes, as mail.activity.create and message_subscribe do, in three
        INSERTs: a run can schedule tens of thousands, and the ORM costs
        milliseconds each (defaults, display names, followers one by one). They
        are automated activities; no notification mail goes to the assignees
        (strategies send mail only through a chosen template), but their
        activity menus are refreshed, as mail.activity.create does."""
        columns = ("res_id", "user_id", "activity_type_id", "summary", "note", "day")
        rows = {column: [] for column in columns}
        for vals in values:
            for column in columns:
                key = "date_deadline" if column == "day" else column
                rows[column].append(vals.get(key) or None)
        rows["note"] = [str(note) if note else None for note in rows["note"]]
        self.env["res.partner"].flush_model(["complete_name"])
        self.env["res.users"].flush_model(["partner_id"])
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO mail_activity
                       (res_model_id, res_model, res_id, res_name, activity_type_id,
                        summary, note, date_deadline, user_id, user_tz, automated,
                        active, create_uid, create_date, write_uid, write_date)
                SELECT %(model_id)s, 'res.partner', a.res_id, p.complete_name,
                       a.activity_type_id, a.summary, a.note, a.day, a.user_id,
                       up.tz, TRUE, TRUE, %(uid)s, now() AT TIME ZONE 'UTC',
                       %(uid)s, now() AT TIME ZONE 'UTC'
                  FROM unnest(%(res_id)s::int[], %(user_id)s::int[],
                              %(activity_type_id)s::int[], %(summary)s::varchar[],
                              %(note)s::text[], %(day)s::date[])
                       AS a(res_id, user_id, activity_type_id, summary, note, day)
                  JOIN res_partner p ON p.id = a.res_id
                  JOIN res_users u ON u.id = a.user_id
                  JOIN res_partner up ON up.id = u.partner_id
                """,
                model_id=self.env["ir.model"]._get_id("res.partner"),
                uid=self.env.uid,
                **rows,
            )
        )
        # The assignees are internal users: they get every default subtype,
        # internal ones included (mail.followers._add_default_followers).
        subtypes, __, __ = self.env["mail.message.subtype"].default_subtypes(
            "res.partner"
        )
        self.env["mail.followers"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                WITH new AS (
                    INSERT INTO mail_followers (res_model, res_id, partner_id)
                    SELECT DISTINCT 'res.partner', a.res_id, u.partner_id
                      FROM unnest(%(res_id)s::int[], %(user_id)s::int[])
                           AS a(res_id, user_id)
                      JOIN res_users u ON u.id = a.user_id
                        ON CONFLICT DO NOTHING
                 RETURNING id)
                INSERT INTO mail_followers_mail_message_subtype_rel
                       (mail_followers_id, mail_message_subtype_id)
                SELECT new.id, s.id FROM new, unnest(%(subtypes)s::int[]) AS s(id)
                """,
                res_id=rows["res_id"],
                user_id=rows["user_id"],
                subtypes=subtypes.ids,
            )
        )
        # One refresh per assignee whose menu counts the new ones (due today or
        # before), as mail.activity.create notifies.
        today = fields.Date.context_today(self)
        self.env["res.users"].browse(
            {vals["user_id"] for vals in values if vals["date_deadline"] <= today}
        )._bus_send("mail.activity/updated", {"activity_created": True})
        self.env["mail.activity"].invalidate_model()
        self.env["mail.followers"].invalidate_model()
        self.env["res.partner"].browse(rows["res_id"]).invalidate_recordset(
            ["activity_ids", "message_follower_ids", "message_partner_ids"]
        )

    @api.model
    def _cpc_fire(self, company, moves, reference_date, source, records=None):
        """Fire the company's strategies for ``moves`` (and, with
        ``reference_date``, the stays that last long enough by then and the
        moves that failed before, of ``records`` when given): act, log each
        move handled, and tell each customer's chatter which strategy did what.
        A strategy that fails logs its moves as failed, tried again at the
        next run.

        The log and the notes are worded in the company's language, whoever
        fires (the scheduled run speaks English): the company's people read
        them, and a stored text cannot follow each reader's language."""
        lang = self._cpc_company_lang(company)
        if self.env.lang != lang:
            return self.with_context(lang=lang)._cpc_fire(
                company, moves, reference_date, source, records=records
            )
        failed = {}
        fired = self._cpc_match(
            company, moves, reference_date, records=records, failed=failed
        )
        logs, notes = [], defaultdict(list)
        partners_model = self.env["res.partner"].sudo().with_context(active_test=False)
        failed_line = self.env._("Failed: tried again at the next run")
        for strategy, candidates in fired.items():
            partners = partners_model.browse(list(candidates))
            # A strategy that fails (a server action raising, a template that
            # cannot render) must not undo the classes nor block the other
            # strategies: its moves are logged as failed, and the next run
            # tries them again (_cpc_pending).
            try:
                with self.env.cr.savepoint():
                    plan = strategy._cpc_plan(company, partners)
                    strategy._cpc_execute(company, plan)
            except Exception as error:
                _logger.exception(
                    "Strategy %s (id %s) of %s failed for %s customers",
                    strategy.name,
                    strategy.id,
                    company.name,
                    len(partners),
                )
                failed[strategy] = (error, candidates)
                continue
            for partner_id, move in candidates.items():
                actions = plan["done"].get(partner_id) or [
                    self.env._("Nothing to change")
                ]
                logs.append((strategy, move, actions))
                notes[partner_id].append((strategy, move, actions))
        failures = [
            (strategy, move, [failed_line])
            for strategy, (__, candidates) in failed.items()
            for move in candidates.values()
        ]
        log = self.env["classification.strategy.log"]
        log._cpc_insert(company, logs, source)
        log._cpc_insert(company, failures, source, state="failed")
        self._cpc_post_strategy_notes(company, notes)
        if failed:
            self._cpc_report_failures(
                company, {strategy: error for strategy, (error, __) in failed.items()}
            )
        succeeded = self.browse(s.id for s in fired if s not in failed).sudo()
        succeeded.filtered("last_failure").write(
            {"last_failure": False, "last_failure_date": False}
        )
        return {
            strategy: len(candidates)
            for strategy, candidates in fired.items()
            if strategy not in failed
        }

    @api.model
    def _cpc_company_lang(self, company):
        lang = company.partner_id.lang
        if lang and lang in dict(self.env["res.lang"].get_installed()):
            return lang
        return self.env.lang

    @api.model
    def _cpc_report_failures(self, company, failed):
        """Keep why each strategy failed on it, and tell the company's
        classification managers once per strategy and day, not per customer
        nor per run (the scheduled run retries)."""
        today = fields.Date.context_today(self)
        news = {}
        for strategy, error in failed.items():
            strategy = strategy.sudo()
            message = str(error) or type(error).__name__
            if strategy.last_failure_date != today:
                news[strategy] = message
            strategy.write({"last_failure": message, "last_failure_date": today})
        if not news:
            return
        managers = (
            self.env.ref("customer_product_classification.group_classification_manager")
            .sudo()
            .users.filtered(lambda user: company in user.company_ids)
        )
        for lang, readers in managers.grouped("lang").items():
            env = self.with_context(lang=lang).env
            items = Markup("").join(
                Markup("<li>%s</li>")
                % env._(
                    "%(strategy)s: %(error)s",
                    strategy=strategy.with_context(lang=lang).name,
                    error=message,
                )
                for strategy, message in news.items()
            )
            body = Markup("<p>%s</p><ul>%s</ul>") % (
                env._(
                    "These strategies of %(company)s failed and changed nothing; "
                    "the moves they failed for are tried again at the next run, for "
                    "the customers still in the class they entered. Correct them "
                    "in Classification, Configuration, Strategies.",
                    company=company.name,
                ),
                items,
            )
            company.partner_id.sudo().message_notify(
                partner_ids=readers.partner_id.ids,
                subject=env._("Strategies of %(company)s failed", company=company.name),
                body=body,
            )

    @api.model
    def _cpc_post_strategy_notes(self, company, notes):
        log = self.env["classification.strategy.log"]
        title = escape(
            self.env._("Strategies applied for %(company)s", company=company.name)
        )
        # Most customers of a run share their note: each is built once.
        items_by_key, bodies_by_content, bodies = {}, {}, {}
        for partner_id, fired in notes.items():
            keys = [
                (strategy.id, log._cpc_keys(move), tuple(actions))
                for strategy, move, actions in fired
            ]
            content = tuple(keys)
            if content not in bodies_by_content:
                items = Markup("")
                for key, (strategy, move, actions) in zip(keys, fired, strict=True):
                    if key not in items_by_key:
                        items_by_key[key] = self._cpc_note_item(strategy, move, actions)
                    items += items_by_key[key]
                bodies_by_content[content] = Markup("<p>%s</p><ul>%s</ul>") % (
                    title,
                    items,
                )
            bodies[partner_id] = bodies_by_content[content]
        self.env["partner.classification"]._cpc_post_notes(company, bodies)

    @api.model
    def _cpc_note_item(self, strategy, move, actions):
        return Markup("<li>%s<ul>%s</ul>%s</li>") % (
            self.env._(
                "%(strategy)s (%(move)s)",
                strategy=strategy.name,
                move=self.env["classification.strategy.log"]._cpc_describe(move),
            ),
            Markup("").join(Markup("<li>%s</li>") % a for a in actions),
            Markup("<p>%s</p>") % html2plaintext(strategy.note)
            if strategy.note
            else "",
        )

    # ---------------------------------------------------------- views
    def action_open_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_product_classification.classification_strategy_log_action"
        )
        action["domain"] = [("strategy_id", "=", self.id)]
        return action

    def action_try(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Try Strategy"),
            "res_model": "classification.strategy.try.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_strategy_id": self.id},
        }


class ClassificationStrategyLog(models.Model):
    """A move a strategy handled: what it did, for whom, from which class to
    which. A move is handled once (unique per strategy, customer, move and
    day): running the same classification again does nothing."""

    _name = "classification.strategy.log"
    _description = "Classification Strategy Log"
    _order = "date desc, id desc"
    _rec_name = "strategy_id"

    strategy_id = fields.Many2one(
        "classification.strategy",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        required=True,
        readonly=True,
        ondelete="cascade",
        index=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    date = fields.Datetime(string="Run On", required=True, readonly=True)
    moved_on = fields.Date(
        string="Moved On", readonly=True, help="The day the new class holds from."
    )
    move = fields.Char(readonly=True, help="The class the customer left and entered.")
    old_key = fields.Char(readonly=True)
    new_key = fields.Char(readonly=True)
    source = fields.Selection(
        [("scheduled", "Scheduled"), ("wizard", "Wizard"), ("manual", "Manual")],
        readonly=True,
    )
    actions = fields.Text(string="Done", readonly=True)
    state = fields.Selection(
        [
            ("done", "Done"),
            ("failed", "Failed, to retry"),
            ("dropped", "Not retried"),
        ],
        string="Status",
        required=True,
        default="done",
        readonly=True,
        index=True,
        help="A move the strategy failed for is tried again at the next "
        "classification run, while the customer is still in the class it "
        "entered; once the customer has left it, it is not retried.",
    )

    _sql_constraints = [
        (
            "move_uniq",
            "unique (strategy_id, partner_id, moved_on, old_key, new_key)",
            "A strategy handles a customer's move once.",
        ),
    ]

    @api.model
    def _cpc_keys(self, move):
        def key(value):
            if isinstance(value, tuple):
                return ",".join(str(v) for v in sorted(value)) or ""
            return "" if value in (None, False) else str(value)

        prefix = f"{move.kind}:{move.scheme_id or ''}:"
        return prefix + key(move.old), prefix + key(move.new)

    @api.model
    def _cpc_move_from_keys(self, partner_id, moved_on, old_key, new_key):
        """The move a log row was written for (the inverse of _cpc_keys)."""
        kind, scheme, old = old_key.split(":", 2)
        new = new_key.split(":", 2)[2]

        def value(text):
            if kind == "category":
                return tuple(int(v) for v in text.split(",") if v)
            if not text:
                return None
            return text if kind == "stage" else int(text)

        return Move(
            partner_id,
            kind,
            value(old),
            value(new),
            moved_on,
            int(scheme) if scheme else None,
            False,
        )

    @api.model
    def _cpc_describe(self, move):
        """ "Tier: A → B" in the user's language."""
        classification = self.env["partner.classification"]
        if move.kind == "category":
            categories = self.env["classification.category"].sudo()
            scheme = self.env["classification.scheme"].sudo().browse(move.scheme_id)
            return self.env._(
                "%(what)s: %(old)s → %(new)s",
                what=scheme.name,
                old=", ".join(categories.browse(move.old).mapped("name"))
                or self.env._("none"),
                new=", ".join(categories.browse(move.new).mapped("name"))
                or self.env._("none"),
            )
        tracked = next(
            t for t in classification._cpc_subject().tracked if t.kind == move.kind
        )
        values = classification._cpc_class_values(tracked, {move.old, move.new})
        return classification._cpc_describe_change(
            tracked, values[move.old], values[move.new]
        )

    @api.model
    def _cpc_insert(self, company, logs, source, state="done"):
        """One INSERT of the handled moves ([(strategy, move, [actions])]): a
        run may fire for tens of thousands of customers. A move logged as
        failed before takes the new state; a handled one stays as it is."""
        if not logs:
            return
        descriptions = {}
        rows = defaultdict(list)
        for strategy, move, actions in logs:
            key = (move.kind, move.scheme_id, move.old, move.new)
            if key not in descriptions:
                descriptions[key] = self._cpc_describe(move)
            old_key, new_key = self._cpc_keys(move)
            for name, value in (
                ("strategy", strategy.id),
                ("partner", move.partner_id),
                ("moved_on", move.moved_on),
                ("move", descriptions[key]),
                ("old_key", old_key),
                ("new_key", new_key),
                ("actions", "\n".join(actions)),
            ):
                rows[name].append(value)
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO classification_strategy_log
                       (strategy_id, partner_id, company_id, date, moved_on, move,
                        old_key, new_key, source, actions, state,
                        create_uid, create_date, write_uid, write_date)
                SELECT l.strategy_id, l.partner_id, %(company)s,
                       now() AT TIME ZONE 'UTC', l.moved_on, l.move, l.old_key,
                       l.new_key, %(source)s, l.actions, %(state)s,
                       %(uid)s, now() AT TIME ZONE 'UTC', %(uid)s,
                       now() AT TIME ZONE 'UTC'
                  FROM unnest(%(strategy)s::int[], %(partner)s::int[],
                              %(moved_on)s::date[], %(move)s::varchar[],
                              %(old_key)s::varchar[], %(new_key)s::varchar[],
                              %(actions)s::text[])
                       AS l(strategy_id, partner_id, moved_on, move, old_key,
                            new_key, actions)
                ON CONFLICT ON CONSTRAINT classification_strategy_log_move_uniq
                DO UPDATE SET state = EXCLUDED.state, actions = EXCLUDED.actions,
                              date = EXCLUDED.date, source = EXCLUDED.source,
                              write_uid = EXCLUDED.write_uid,
                              write_date = EXCLUDED.write_date
                 WHERE classification_strategy_log.state = 'failed'
                """,
                company=company.id,
                source=source,
                state=state,
                uid=self.env.uid,
                **rows,
            )
        )
        self.invalidate_model()
