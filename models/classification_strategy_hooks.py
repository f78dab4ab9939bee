# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import Command, api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from .classification_mixin import FIELD_PREFIX
from .classification_strategy import Move
from .partner_classification import CLASSIFICATION_USER


class PartnerClassification(models.Model):
    """Strategies fire where the classes change: after a run writes its diff,
    and when a pin is set or lapses."""

    _inherit = "partner.classification"

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
        result = super()._cpc_run(
            company,
            reference_date=reference_date,
            records=records,
            source=source,
            limit=limit,
            preview=preview,
        )
        reference_date = reference_date or fields.Date.context_today(self)
        if (
            not preview
            and limit != 0
            and not result["remaining"]
            and self._cpc_strategies_act_on(reference_date)
        ):
            # Customers who have stayed long enough in a class, whether or
            # not this run moved anybody, and the moves that failed before:
            # once the run's last batch is written, and only for the run's
            # customers when it has some.
            self.env["classification.strategy"]._cpc_fire(
                company, [], reference_date, source, records=records
            )
        return result

    @api.model
    def _cpc_apply_diff(self, company, reference_date, source):
        done = super()._cpc_apply_diff(company, reference_date, source)
        acts = self._cpc_strategies_act_on(reference_date)
        if not acts or not self._cpc_company_has_strategies(company):
            return done
        moves = self._cpc_moves_from_diff(reference_date)
        if moves:
            self.env["classification.strategy"]._cpc_fire(company, moves, None, source)
        return done

    @api.model
    def _cpc_company_has_strategies(self, company):
        """Most companies use no strategy: their runs need not turn every
        class change into a move (seconds at 100,000 customers)."""
        return bool(
            self.env["classification.strategy"]
            .sudo()
            .search_count([("company_id", "=", company.id)], limit=1)
        )

    @api.model
    def _cpc_strategies_act_on(self, reference_date):
        """Whether strategies act on a run of ``reference_date``: on today's
        classes only, unless the recompute wizard was told to. A run for a past
        day would act for real on classes the next run replaces, and the next
        run would act again on its own move."""
        return bool(
            not reference_date
            or reference_date >= fields.Date.context_today(self)
            or self.env.context.get("cpc_strategies_for_past_date")
        )

    @api.model
    def _cpc_moves_from_diff(self, reference_date):
        """The class changes of the run's diff table (written already)."""
        tracked = self._cpc_subject().tracked
        columns = [SQL.identifier("d", self._cpc_subject().key), SQL("d.is_new")]
        for t in tracked:
            columns += [
                SQL.identifier("d", t.diff_old),
                SQL.identifier("d", t.diff_new),
            ]
        rows = self.env.execute_query(
            SQL(
                "SELECT %s FROM cpc_diff d WHERE %s",
                SQL(", ").join(columns),
                self._cpc_classes_change(),
            )
        )
        moves = []
        for partner_id, is_new, *values in rows:
            for index, t in enumerate(tracked):
                old, new = values[2 * index], values[2 * index + 1]
                if old != new:
                    moves.append(
                        Move(partner_id, t.kind, old, new, reference_date, None, is_new)
                    )
        return moves

    def _cpc_log_effective_changes(self, before, source):
        result = super()._cpc_log_effective_changes(before, source)
        # The strategies' filters read the customers' mirrored classes
        # (value_tier_id...): the mirror first (written again by the caller,
        # unchanged), then the strategies.
        self._cpc_sync_mirror()
        today = fields.Date.context_today(self)
        by_company = {}
        for record in self:
            for t in self._cpc_subject().tracked:
                old, new = before[record.id][t.column], record[t.column]
                if old == new:
                    continue
                if isinstance(old, models.BaseModel):
                    old, new = old.id, new.id
                by_company.setdefault(record.company_id, []).append(
                    Move(
                        record.partner_id.id,
                        t.kind,
                        old or None,
                        new or None,
                        today,
                        None,
                        False,
                    )
                )
        for company, moves in by_company.items():
            self.env["classification.strategy"]._cpc_fire(company, moves, None, source)
        return result


class ResPartner(models.Model):
    """Category strategies fire when a customer's category of a scheme
    changes, whoever changes it: a person, an import or a rule."""

    _inherit = "res.partner"

    cpc_strategy_log_count = fields.Integer(
        string="Strategies Applied",
        compute="_compute_cpc_strategy_log_count",
        groups=CLASSIFICATION_USER,
    )

    cpc_classifying_company_ids = fields.Many2many(
        "res.company",
        string="Classified By",
        compute="_compute_cpc_classifying_company_ids",
        search="_search_cpc_classifying_company_ids",
        groups=CLASSIFICATION_USER,
        help="The companies that classify the customer (whose strategies act on "
        "it), as the user may see them.",
    )

    def _compute_cpc_classifying_company_ids(self):
        rows = self.env["partner.classification"]._read_group(
            [("partner_id", "in", self.ids)], ["partner_id"], ["company_id:array_agg"]
        )
        companies = {partner.id: ids for partner, ids in rows}
        for partner in self:
            partner.cpc_classifying_company_ids = [
                Command.set(companies.get(partner.id, []))
            ]

    def _search_cpc_classifying_company_ids(self, operator, value):
        # Through the user's rules on the classification rows: a company the
        # user may not see classifies nobody for them.
        rows = self.env["partner.classification"]._search(
            [("company_id", operator, value)]
        )
        return [("id", "in", rows.subselect("partner_id"))]

    def _compute_cpc_strategy_log_count(self):
        counts = dict(
            self.env["classification.strategy.log"]._read_group(
                [("partner_id", "in", self.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.cpc_strategy_log_count = counts.get(partner, 0)

    def action_open_strategy_logs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "customer_product_classification.classification_strategy_log_action"
        )
        action["domain"] = [("partner_id", "=", self.id)]
        return action

    @api.model
    def _cpc_watched_schemes(self, names):
        """{field name: scheme} of the schemes among the field ``names`` that
        an active strategy fires on."""
        names = [n for n in names if n.startswith(FIELD_PREFIX)]
        if not names:
            return {}
        strategies = (
            self.env["classification.strategy"]
            .sudo()
            .search(
                [("trigger", "=", "category"), ("scheme_id.field_name", "in", names)]
            )
        )
        return {s.scheme_id.field_name: s.scheme_id for s in strategies}

    @api.model_create_multi
    def create(self, vals_list):
        partners = super().create(vals_list)
        # Every watched scheme, not only those in the values: classification
        # rules add their categories further down the create.
        watched = self._cpc_watched_schemes(
            [name for name in self._fields if name.startswith(FIELD_PREFIX)]
        )
        if watched:
            empty = {partner.id: dict.fromkeys(watched, ()) for partner in partners}
            partners._cpc_fire_category_moves(watched, empty)
        return partners

    def write(self, vals):
        watched = self._cpc_watched_schemes(vals)
        if not watched:
            return super().write(vals)
        before = self._cpc_category_values(watched)
        result = super().write(vals)
        self._cpc_fire_category_moves(watched, before)
        return result

    def _cpc_category_values(self, watched):
        rows = self.sudo().with_context(active_test=False)
        return {
            partner.id: {name: tuple(sorted(partner[name].ids)) for name in watched}
            for partner in rows
        }

    def _cpc_fire_category_moves(self, watched, before):
        after = self._cpc_category_values(watched)
        today = fields.Date.context_today(self)
        moves = [
            Move(
                pid,
                "category",
                before[pid][name],
                values[name],
                today,
                scheme.id,
                False,
            )
            for pid, values in after.items()
            for name, scheme in watched.items()
            if before[pid][name] != values[name]
        ]
        if not moves:
            return
        # Scheme fields are commercial fields: a contact has its company's
        # categories, and the move is the company's, once (its contacts get
        # the price list with it).
        partners = (
            self.sudo()
            .with_context(active_test=False)
            .browse({m.partner_id for m in moves})
            ._cpc_carriers()
        )
        companies = (
            self.env["classification.strategy"]
            .sudo()
            .search([("trigger", "=", "category")])
            .company_id
        )
        classified = self._cpc_classified_companies(partners, companies)
        for company in companies:
            # A company's strategies act on its own customers: partners of the
            # company, or shared partners it classifies.
            ids = {
                p.id
                for p in partners
                if p.company_id == company
                or (not p.company_id and (p.id, company.id) in classified)
            }
            company_moves = [m for m in moves if m.partner_id in ids]
            if company_moves:
                self.env["classification.strategy"]._cpc_fire(
                    company, company_moves, None, "manual"
                )

    @api.model
    def _cpc_classified_companies(self, partners, companies):
        self.env["partner.classification"].flush_model(["partner_id", "company_id"])
        rows = self.env.execute_query(
            SQL(
                "SELECT partner_id, company_id FROM partner_classification"
                " WHERE partner_id = ANY(%s) AND company_id = ANY(%s)",
                partners.ids,
                companies.ids,
            )
        )
        return set(rows)


class PartnerValueTier(models.Model):
    _inherit = "partner.value.tier"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_strategy_target(self):
        self.env["classification.strategy"]._cpc_refuse_targeted(
            self, ["tier_id", "from_tier_id"]
        )


class PartnerRfmSegment(models.Model):
    _inherit = "partner.rfm.segment"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_strategy_target(self):
        self.env["classification.strategy"]._cpc_refuse_targeted(self, ["segment_id"])


class ClassificationCategory(models.Model):
    _inherit = "classification.category"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_strategy_target(self):
        self.env["classification.strategy"]._cpc_refuse_targeted(self, ["category_id"])


class ClassificationScheme(models.Model):
    _inherit = "classification.scheme"

    @api.ondelete(at_uninstall=False)
    def _unlink_except_strategy_target(self):
        """Refused too while an active strategy's customer filter names the
        scheme's field: the field goes with the scheme, and the filter would
        fail (an archived one fails as that strategy's failure if reactivated)."""
        strategies = self.env["classification.strategy"]
        strategies._cpc_refuse_targeted(self, ["scheme_id"])
        strategies._cpc_refuse_targeted(
            self.with_context(active_test=False).category_ids, ["category_id"]
        )
        for scheme in self.sudo():
            name = scheme.field_id.name
            if not name:
                continue
            filtering = strategies.sudo().search([("partner_domain", "like", name)])
            if filtering:
                raise UserError(
                    self.env._(
                        "Scheme %(scheme)s cannot be deleted: the customer filter of "
                        "strategies %(strategies)s uses its field. Change those "
                        "filters first.",
                        scheme=scheme.display_name,
                        strategies=", ".join(filtering.mapped("display_name")),
                    )
                )
