# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from collections import Counter
from contextlib import closing

from odoo import api, fields, models
from odoo.tools import SQL, format_date

from ..models.classification_strategy import Move

# A dry run opened from a strategy starts with a few of its customers.
SAMPLE_SIZE = 20


class ClassificationStrategyTryWizard(models.TransientModel):
    """Dry run: what a strategy would do to the chosen customers, as if each
    made the strategy's move today. Nothing is written."""

    _name = "classification.strategy.try.wizard"
    _description = "Try a Classification Strategy"

    strategy_id = fields.Many2one(
        "classification.strategy", required=True, ondelete="cascade"
    )
    company_id = fields.Many2one(related="strategy_id.company_id")
    partner_ids = fields.Many2many(
        "res.partner",
        string="Customers",
        # Customers the strategy's company classifies (not the current
        # company's): not its users nor the companies.
        domain="[('parent_id', '=', False), "
        "('cpc_classifying_company_ids', '=', company_id)]",
    )
    hint = fields.Char(readonly=True)
    line_ids = fields.One2many(
        "classification.strategy.try.wizard.line", "wizard_id", readonly=True
    )
    tried = fields.Boolean(readonly=True)

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        active_ids = self.env.context.get("active_ids")
        if self.env.context.get("active_model") == "res.partner" and active_ids:
            partners = self.env["res.partner"].browse(active_ids).commercial_partner_id
            values["partner_ids"] = [fields.Command.set(partners.ids)]
        elif values.get("strategy_id") and "partner_ids" in fields_list:
            strategy = self.env["classification.strategy"].browse(values["strategy_id"])
            partners = self._cpc_sample(strategy)
            if partners:
                values["partner_ids"] = [fields.Command.set(partners.ids)]
                values["hint"] = self.env._(
                    "Some customers now in the strategy's class (and filter): "
                    "change the selection at will."
                )
            else:
                values["hint"] = self.env._(
                    "No customer of %(company)s is in the strategy's class now: "
                    "pick the customers to try it on.",
                    company=strategy.company_id.name,
                )
        return values

    @api.model
    def _cpc_sample(self, strategy):
        """A few customers now in the class the strategy fires on, matching its
        filter, as the user may read them."""
        strategy.check_access("read")
        company = strategy.company_id
        trigger = strategy.trigger
        if trigger == "category":
            field = strategy.scheme_id.field_id.name
            if not field:
                return self.env["res.partner"]
            domain = [
                ("parent_id", "=", False),
                (field, "child_of", strategy.category_id.id)
                if strategy.category_id
                else (field, "!=", False),
                *strategy._cpc_domain(),
            ]
            return (
                self.env["res.partner"]
                .with_company(company)
                .search(domain, limit=SAMPLE_SIZE)
            )
        column, target = {
            "tier": ("tier_id", strategy.tier_id.id or strategy.from_tier_id.id),
            "tier_down": ("tier_id", strategy.from_tier_id.id),
            "tier_up": ("tier_id", strategy.from_tier_id.id),
            "segment": ("segment_id", strategy.segment_id.id),
            "stage": ("stage", strategy.stage),
        }[trigger]
        domain = [
            ("company_id", "=", company.id),
            (column, "=", target) if target else (column, "!=", False),
        ]
        if strategy._cpc_domain():
            domain.append(("partner_id", "any", strategy._cpc_domain()))
        rows = self.env["partner.classification"].search(domain, limit=SAMPLE_SIZE)
        return rows.partner_id

    def action_try(self):
        self.ensure_one()
        # The strategy is read as superuser below: only one the user may read.
        self.strategy_id.check_access("read")
        strategy = self.strategy_id.sudo()
        company = strategy.company_id
        partners = self.partner_ids.commercial_partner_id
        today = fields.Date.context_today(self)
        # The customers of the strategy's company only, like a real run: its
        # own partners, and the shared ones it classifies.
        classified = self.env["res.partner"]._cpc_classified_companies(
            partners, company
        )
        own = partners.filtered(
            lambda p: (
                p.company_id == company
                or (not p.company_id and (p.id, company.id) in classified)
            )
        )
        moves = {p.id: Move(p.id, "try", None, None, today, None, False) for p in own}
        kept = strategy._cpc_filter(company, moves)
        plan = strategy._cpc_plan(
            company, strategy.env["res.partner"].browse(list(kept))
        )
        lines = []
        for partner in partners:
            if partner not in own:
                what = self.env._("Not a customer of %(company)s", company=company.name)
            elif partner.id not in kept:
                what = self.env._("Left alone: outside the strategy's customer filter")
            else:
                what = "\n".join(
                    plan["done"].get(partner.id) or [self.env._("Nothing to change")]
                )
            lines.append(
                fields.Command.create({"partner_id": partner.id, "description": what})
            )
        self.write({"tried": True, "line_ids": [fields.Command.clear(), *lines]})
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("Try Strategy"),
        }


class ClassificationStrategyTryWizardLine(models.TransientModel):
    _name = "classification.strategy.try.wizard.line"
    _description = "Strategy Dry Run Line"

    wizard_id = fields.Many2one(
        "classification.strategy.try.wizard", required=True, ondelete="cascade"
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    description = fields.Text(string="Would Do", readonly=True)


class PartnerClassificationWizard(models.TransientModel):
    """The recompute preview also says which strategies would fire."""

    _inherit = "partner.classification.wizard"

    strategy_preview = fields.Text(string="Strategies That Would Fire", readonly=True)
    is_past_date = fields.Boolean(compute="_compute_is_past_date")
    strategies_for_past_date = fields.Boolean(
        string="Fire Strategies for This Past Day",
        help="Strategies act on today's classes: a run for a past day changes "
        "no price list, salesperson or activity unless this is ticked. Ticked, "
        "they act for real on the classes of that day, which the next run may "
        "replace.",
    )

    @api.depends("reference_date")
    def _compute_is_past_date(self):
        for wizard in self:
            wizard.is_past_date = bool(
                wizard.reference_date
                and wizard.reference_date < fields.Date.context_today(wizard)
            )

    def _run(self, preview):
        wizard = self.with_context(
            cpc_strategies_for_past_date=self.strategies_for_past_date
        )
        result = super(PartnerClassificationWizard, wizard)._run(preview)
        if preview:
            self.strategy_preview = self._cpc_strategy_preview(result["changes"])
        return result

    def _cpc_strategy_preview(self, changes):
        """ "Strategy: n customers" lines for the moves of the preview."""
        classifications = self.env["partner.classification"]
        if not classifications._cpc_company_has_strategies(self.company_id):
            return False
        if self.is_past_date and not self.strategies_for_past_date:
            return self.env._(
                "No strategy fires: they act on today's classes only, and this run "
                "is for %(day)s.",
                day=format_date(self.env, self.reference_date),
            )
        tracked = self.env["partner.classification"]._cpc_subject().tracked
        moves = [
            Move(
                change["partner_id"],
                t.kind,
                change[t.diff_old],
                change[t.diff_new],
                self.reference_date,
                None,
                change["is_new"],
            )
            for change in changes
            for t in tracked
            if change[t.diff_old] != change[t.diff_new]
        ]
        failed = {}
        # The filters read the customers' classes (value_tier_id...): they see
        # the previewed ones, as in the run, which writes them first; nothing
        # of it stays.
        with closing(self.env.cr.savepoint()):
            self._cpc_mirror_previewed(changes)
            fired = self.env["classification.strategy"]._cpc_match(
                self.company_id,
                moves,
                self.reference_date,
                previewed=True,
                records=self._cpc_records(),
                failed=failed,
            )
        self._cpc_forget_mirror()
        counts = Counter({strategy: len(c) for strategy, c in fired.items()})
        lines = [
            self.env._(
                "%(strategy)s → %(count)s customers",
                strategy=strategy.name,
                count=count,
            )
            for strategy, count in counts.items()
        ]
        lines += [
            self.env._(
                "%(strategy)s: cannot be checked, it will fail: %(error)s",
                strategy=strategy.name,
                error=str(error) or type(error).__name__,
            )
            for strategy, (error, __) in failed.items()
        ]
        return "\n".join(lines) or False

    def _cpc_mirror_previewed(self, changes):
        """Write the previewed classes on the customers, as the run does
        (rolled back by the caller)."""
        classification = self.env["partner.classification"]
        company = self.company_id
        for tracked in classification._cpc_subject().tracked:
            if not tracked.mirror:
                continue
            moved = [c for c in changes if c[tracked.diff_old] != c[tracked.diff_new]]
            if not moved:
                continue
            values = [c[tracked.diff_new] for c in moved]
            array = "text[]" if tracked.kind == "stage" else "int[]"
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE res_partner p SET %(assignments)s
                      FROM unnest(%(ids)s::int[], %(values)s::%(array)s)
                           AS v(partner_id, value)
                     WHERE p.id = v.partner_id
                    """,
                    assignments=classification._cpc_mirror_assignments(
                        company, {tracked: SQL("v.value")}
                    ),
                    ids=[c["partner_id"] for c in moved],
                    values=values,
                    array=SQL(array),
                )
            )
        self._cpc_forget_mirror()

    def _cpc_forget_mirror(self):
        tracked = self.env["partner.classification"]._cpc_subject().tracked
        self.env["res.partner"].invalidate_model(
            [t.mirror for t in tracked if t.mirror]
        )
