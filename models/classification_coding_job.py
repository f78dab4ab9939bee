# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import logging

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ..utils import locks
from .classification_coding_rule import CODING_TARGETS

_logger = logging.getLogger(__name__)

CODING_CRON = "customer_product_classification.ir_cron_assign_codes"
# A batch that failed is tried again a few minutes later (locks.RETRY_DELAY),
# this many times before the job is marked failed.
MAX_FAILURES = 3
# Concurrency failures are retried longer: they usually pass.
MAX_CONCURRENCY_FAILURES = 20


class ClassificationCodingJob(models.Model):
    """Codes given in the background, one committed batch per call of the
    scheduled action, for sets too large for one request."""

    _name = "classification.coding.job"
    _description = "Coding Job"
    _order = "id desc"

    applies_to = fields.Selection(
        [("partner", "Customers"), ("product", "Products")],
        required=True,
        readonly=True,
    )
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    company_ids = fields.Many2many(
        "res.company",
        string="Companies",
        readonly=True,
        help="The records of these companies (and the shared ones) are coded: "
        "the companies selected when the job was started, as Assign Codes "
        "would code them at once.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Started By",
        required=True,
        readonly=True,
        help="The records are coded as this user: only those they may change.",
    )
    state = fields.Selection(
        [
            ("queued", "Queued"),
            ("done", "Done"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        default="queued",
        required=True,
        readonly=True,
    )
    cursor = fields.Integer(readonly=True, help="The last record reached.")
    coded_count = fields.Integer(string="Records Coded", readonly=True)
    skipped_count = fields.Integer(string="Records Skipped", readonly=True)
    failure_count = fields.Integer(string="Failures", readonly=True)
    concurrency_failure_count = fields.Integer(
        string="Conflicts",
        readonly=True,
        help="Batches in a row that conflicted with other changes of the same "
        "records; the job fails after too many.",
    )
    error = fields.Text(string="Last Error", readonly=True)

    @api.depends("applies_to", "company_id", "create_date")
    def _compute_display_name(self):
        labels = dict(self._fields["applies_to"]._description_selection(self.env))
        for job in self:
            job.display_name = self.env._(
                "Codes of %(records)s of %(company)s (%(date)s)",
                records=labels.get(job.applies_to, ""),
                company=job.company_id.name,
                date=fields.Datetime.to_string(job.create_date)
                if job.create_date
                else "",
            )

    @api.model
    def _cpc_queue(self, applies_to, companies):
        """A job coding the records of ``companies`` (the first is the
        current one, whose date and time zone the codes use)."""
        job = self.sudo().create(
            {
                "applies_to": applies_to,
                "company_id": companies[:1].id,
                "company_ids": [fields.Command.set(companies.ids)],
                "user_id": self.env.uid,
            }
        )
        self.env.ref(CODING_CRON).sudo()._trigger()
        return job

    def action_cancel(self):
        """Stop queued jobs; the codes already given stay."""
        if not self.env.user.has_group(
            "customer_product_classification.group_classification_manager"
        ):
            raise AccessError(
                self.env._("Only classification managers may cancel a coding job.")
            )
        self.check_access("read")
        finished = self.filtered(lambda job: job.state != "queued")
        if finished:
            raise UserError(
                self.env._(
                    "The coding job %(job)s is no longer queued: it cannot be "
                    "cancelled.",
                    job=finished[0].display_name,
                )
            )
        self.sudo().write({"state": "cancelled"})

    @api.model
    def _cron_assign_codes(self):
        """One batch of each queued job, then tell the scheduler what is left:
        it commits and calls again while some are (see ir.cron._run_job). A
        batch that fails is rolled back alone and tried again a few minutes
        later, then the job is marked failed with the error."""
        batch = self.env["partner.classification"]._cpc_batch_size()
        done = remaining = 0
        retry = False
        for job in self.sudo().search([("state", "=", "queued")], order="id"):
            try:
                with self.env.cr.savepoint():
                    coded, left = job._cpc_run_batch(batch)
            except locks.CONCURRENCY_ERRORS as error:
                # Another transaction held the records or the codes: normal
                # now and then, a sign of trouble when it always happens.
                self.env.invalidate_all()
                failures = job.concurrency_failure_count + 1
                failed = failures >= MAX_CONCURRENCY_FAILURES
                job.write(
                    {
                        "concurrency_failure_count": failures,
                        "error": self.env._(
                            "The batch conflicted %(count)s times in a row with "
                            "other changes of the same records: %(error)s",
                            count=failures,
                            error=str(error),
                        )
                        if failed
                        else job.error,
                        "state": "failed" if failed else "queued",
                    }
                )
                retry = retry or not failed
                continue
            except Exception as error:
                _logger.exception("Coding job %s failed", job.id)
                self.env.invalidate_all()
                failures = job.failure_count + 1
                job.write(
                    {
                        "failure_count": failures,
                        "error": str(error),
                        "state": "failed" if failures >= MAX_FAILURES else "queued",
                    }
                )
                retry = retry or failures < MAX_FAILURES
                continue
            done += coded
            remaining += left
        if retry:
            locks.retry_cron_later(self.env, CODING_CRON, "Coding jobs")
        _logger.info("Coded records: %s written, %s left", done, remaining)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done, remaining

    def _cpc_run_batch(self, batch):
        self.ensure_one()
        companies = self.company_ids or self.company_id
        env = self.with_user(self.user_id).with_company(self.company_id).env
        Target = env[CODING_TARGETS[self.applies_to]].with_context(
            allowed_company_ids=[self.company_id.id, *(companies - self.company_id).ids]
        )
        domain = [*Target._cpc_uncoded_domain(), ("id", ">", self.cursor)]
        found = Target.search(domain, order="id", limit=batch)
        records = found._filtered_access("write")
        lines = env["classification.coding.rule"]._cpc_code(records) if records else []
        coded = sum(1 for line in lines if line["new"])
        left = (
            Target.search_count(
                [
                    *Target._cpc_uncoded_domain(),
                    ("id", ">", found[-1:].id or self.cursor),
                ]
            )
            if found
            else 0
        )
        self.write(
            {
                "cursor": max(found.ids, default=self.cursor),
                "coded_count": self.coded_count + coded,
                "skipped_count": self.skipped_count + len(lines) - coded,
                "failure_count": 0,
                "concurrency_failure_count": 0,
                "error": False,
                "state": "queued" if left else "done",
            }
        )
        return coded, left
