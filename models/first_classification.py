# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The first classification after the addon arrives in a live database.

Installed (or upgraded to the version that brought this) into a database with
years of orders and thousands of partners, the addon does not wait for the
nightly run: the customer classification and the seeded rules start at once in
the background, through the scheduled actions, batch after batch with their
progress. While a company's first run is pending, the empty classification
screens say so instead of asking for orders.
"""

from markupsafe import Markup

from odoo import api, fields, models

CLASSIFY_CRON = "customer_product_classification.ir_cron_classify_customers"
RULES_CRON = "customer_product_classification.ir_cron_apply_classification_rules"


class ResCompany(models.Model):
    _inherit = "res.company"

    cpc_first_run_pending = fields.Boolean(
        string="First Classification Running",
        readonly=True,
        copy=False,
        help="The customers of this company are being classified for the first "
        "time, in the background, since the addon was installed.",
    )

    @api.model
    def _cpc_start_background_runs(self):
        """Start, in the background, the first classification of the customers
        of every company that has confirmed sales and no classes yet, and the
        rules of every scheme over the existing customers and products."""
        sold = {
            company
            for (company,) in self.env["sale.order"]
            .sudo()
            ._read_group([("state", "=", "sale")], ["company_id"])
        }
        classified = {
            company
            for (company,) in self.env["partner.classification"]
            .sudo()
            ._read_group([], ["company_id"])
        }
        waiting = self.browse(company.id for company in sold - classified)
        if waiting:
            waiting.sudo().cpc_first_run_pending = True
            self.env.ref(CLASSIFY_CRON).sudo()._trigger()
        schemes = (
            self.env["classification.scheme"].sudo().search([("rule_ids", "!=", False)])
        )
        if schemes:
            # As the superuser (no "queued by"): installing the addon places
            # every company's records, each in the categories its company may use.
            schemes.write(
                {
                    "rules_queued": True,
                    "rules_overwrite": False,
                    "rules_cursor": 0,
                    "rules_queued_uid": False,
                }
            )
            self.env.ref(RULES_CRON).sudo()._trigger()
        return waiting, schemes


class PartnerClassification(models.Model):
    _inherit = "partner.classification"

    @api.model
    def _cpc_run(self, company, *args, **kwargs):
        # The scheduled action calls the engine's run directly, the wizard through
        # _cpc_classify: both end here.
        result = super()._cpc_run(company, *args, **kwargs)
        whole_run = not (
            args
            or kwargs.get("reference_date")
            or kwargs.get("preview")
            or kwargs.get("records") is not None
        )
        if whole_run and not result["remaining"] and company.cpc_first_run_pending:
            company.sudo().cpc_first_run_pending = False
        return result

    @api.model
    def get_empty_list_help(self, help_message):
        return super().get_empty_list_help(self._cpc_first_run_help() or help_message)

    @api.model
    def _cpc_first_run_help(self):
        """What an empty classification screen says while the first run of one
        of the user's current companies is under way (else nothing)."""
        # A company whose run failed waits for its managers, not for the
        # scheduler: Settings shows them why.
        running = self.env.companies.sudo().filtered(
            lambda company: (
                company.cpc_first_run_pending and not company.cpc_classification_error
            )
        )
        if not running:
            return ""
        return Markup('<p class="o_view_nocontent_smiling_face">%s</p><p>%s</p>') % (
            self.env._("Classification is running in the background"),
            self.env._(
                "The customers of %(companies)s are being classified for the first "
                "time from their confirmed sales orders, in batches. Reload this "
                "page in a few minutes to see their value tiers, segments and "
                "lifecycle stages.",
                companies=", ".join(running.mapped("name")),
            ),
        )


class PartnerClassificationHistory(models.Model):
    _inherit = "partner.classification.history"

    @api.model
    def get_empty_list_help(self, help_message):
        return super().get_empty_list_help(
            self.env["partner.classification"]._cpc_first_run_help() or help_message
        )
