# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import format_date

from ..utils.actions import reopen_dialog

# The preview counts every move but lists only the first ones: a list of 100,000
# lines helps nobody and costs a lot to build.
PREVIEW_LINES = 1000


class ClassificationPreviewWizard(models.AbstractModel):
    """Recompute one subject's classes now, after a preview of what would move.

    The concrete wizard names its classification model (:meth:`_cpc_model`),
    the records chosen (:meth:`_cpc_records`, None for all), its title, a
    ``line_ids`` one2many whose lines hold the subject's key and the
    ``old_<column>``/``new_<column>`` of each tracked class, and an integer
    field ``<kind>_moves`` per tracked class. The engine's preview gives the
    moves; nothing is written before *Apply*.
    """

    _name = "classification.preview.wizard"
    _description = "Classification Preview"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    reference_date = fields.Date(required=True, default=fields.Date.context_today)
    state = fields.Selection(
        [("draft", "Draft"), ("preview", "Preview")], default="draft", required=True
    )
    listed_count = fields.Integer(string="Changes Listed", readonly=True)

    # ---------------------------------------------------------- the subject
    @api.model
    def _cpc_model(self):
        """The classification model (``partner.classification``...)."""
        raise NotImplementedError(f"{self._name} names no classification model")

    def _cpc_records(self):
        """The records to write (of the subject's record model), or None: all."""
        return None

    def _cpc_title(self):
        return self._description

    @api.constrains("reference_date")
    def _check_reference_date(self):
        # Classes on a day to come would count sales that have not happened and
        # age every record by days that have not passed.
        for wizard in self:
            today = fields.Date.context_today(wizard)
            if wizard.reference_date > today:
                raise ValidationError(
                    self.env._(
                        "%(subject)s of %(company)s cannot be classified on "
                        "%(day)s, a day still to come: choose today (%(today)s) or "
                        "an earlier day.",
                        subject=self.env[self._cpc_model()]._cpc_subject_label(),
                        company=wizard.company_id.name,
                        day=format_date(self.env, wizard.reference_date),
                        today=format_date(self.env, today),
                    )
                )

    # ----------------------------------------------------------------- run
    def _run(self, preview):
        self.ensure_one()
        return (
            self.env[self._cpc_model()]
            .with_company(self.company_id)
            ._cpc_run(
                self.company_id,
                reference_date=self.reference_date,
                records=self._cpc_records(),
                source="wizard",
                preview=preview,
            )
        )

    def _cpc_preview_values(self, result, moves):
        """More values to write on the wizard after a preview (``result`` of the
        engine, ``moves`` the changes of class among its changes)."""
        return {}

    def action_preview(self):
        result = self._run(preview=True)
        subject = self.env[self._cpc_model()]._cpc_subject()
        columns = [subject.key]
        for tracked in subject.tracked:
            columns += [tracked.diff_old, tracked.diff_new]
        # The engine rewrites every record whose figures change; the preview
        # lists, and counts, those whose classes change.
        moves = [
            {column: change[column] for column in columns}
            for change in result["changes"]
            if any(change[t.diff_old] != change[t.diff_new] for t in subject.tracked)
        ]
        self.line_ids.unlink()
        values = {
            "state": "preview",
            "changed_count": len(moves),
            "listed_count": min(len(moves), PREVIEW_LINES),
            "line_ids": [fields.Command.create(move) for move in moves[:PREVIEW_LINES]],
        }
        for tracked in subject.tracked:
            values[f"{tracked.kind}_moves"] = sum(
                move[tracked.diff_old] != move[tracked.diff_new] for move in moves
            )
        values.update(self._cpc_preview_values(result, moves))
        self.write(values)
        return self._reopen()

    def action_back(self):
        self.write({"state": "draft", "line_ids": [fields.Command.clear()]})
        return self._reopen()

    def _reopen(self):
        # The dialog shows the action's name: without one it loses its title.
        return reopen_dialog(self, self._cpc_title())
