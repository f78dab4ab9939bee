# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import logging

from odoo import api, fields, models

from .classification_coding_rule import CODING_TARGETS

_logger = logging.getLogger(__name__)

CODING_CRON = "customer_product_classification.ir_cron_assign_codes"


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
    user_id = fields.Many2one(
        "res.users",
        string="Started By",
        required=True,
        readonly=True,
        help="The records are coded as this user: only those they may change.",
    )
    state = fields.Selection(
        [("queued", "Queued"), ("done", "Done")],
        default="queued",
        required=True,
        readonly=True,
    )
    cursor = fields.Integer(readonly=True, help="The last record reached.")
    coded_count = fields.Integer(string="Records Coded", readonly=True)
    skipped_count = fields.Integer(string="Records Skipped", readonly=True)

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
    def _cpc_queue(self, applies_to, company):
        job = self.sudo().create(
            {
                "applies_to": applies_to,
                "company_id": company.id,
                "user_id": self.env.uid,
            }
        )
        self.env.ref(CODING_CRON).sudo()._trigger()
        return job

    @api.model
    def _cron_assign_codes(self):
        """One batch of each queued job, then tell the scheduler what is left:
        it commits and calls again while some are (see ir.cron._run_job)."""
        batch = self.env["partner.classification"]._cpc_batch_size()
        done = remaining = 0
        for job in self.sudo().search([("state", "=", "queued")], order="id"):
            coded, left = job._cpc_run_batch(batch)
            done += coded
            remaining += left
        _logger.info("Coded records: %s written, %s left", done, remaining)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done, remaining

    def _cpc_run_batch(self, batch):
        self.ensure_one()
        env = self.with_user(self.user_id).with_company(self.company_id).env
        Target = env[CODING_TARGETS[self.applies_to]].with_context(
            allowed_company_ids=self.company_id.ids
        )
        domain = [*Target._cpc_uncoded_domain(), ("id", ">", self.cursor)]
        records = Target.search(domain, order="id", limit=batch)._filtered_access(
            "write"
        )
        lines = env["classification.coding.rule"]._cpc_code(records) if records else []
        coded = sum(1 for line in lines if line["new"])
        left = (
            Target.search_count(
                [
                    *Target._cpc_uncoded_domain(),
                    ("id", ">", records[-1:].id or self.cursor),
                ]
            )
            if records
            else 0
        )
        self.write(
            {
                "cursor": max(records.ids, default=self.cursor),
                "coded_count": self.coded_count + coded,
                "skipped_count": self.skipped_count + len(lines) - coded,
                "state": "queued" if left else "done",
            }
        )
        return coded, left
