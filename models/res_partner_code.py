# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.osv import expression
from odoo.tools import SQL

from ..utils import coding


class PartnerCoder:
    """Where the code of a customer lives: the Reference of the commercial
    partner (contacts show their company's, see cpc_company_code)."""

    kind = "partner"
    model_name = "res.partner"
    table = "res_partner"
    column = "ref"
    company_column = "company_id"

    def __init__(self, env):
        self.env = env

    def facts(self, ids):
        """{id: {"code", "company_id"}} of the records, from the database."""
        self.env["res.partner"].flush_model(["ref", "company_id"])
        self.env.cr.execute(
            "SELECT id, ref, company_id FROM res_partner WHERE id = ANY(%s)",
            [list(ids)],
        )
        return {
            rid: {"code": code, "company_id": company_id}
            for rid, code, company_id in self.env.cr.fetchall()
        }

    def column_values(self, ids, column):
        self.env["res.partner"].flush_model([column])
        return coding.column_values(self.env.cr, self.table, column, ids)

    def codes_in_use(self, codes):
        return coding.codes_in_use(self.env.cr, self.table, self.column, codes)

    def write_codes(self, mapping, facts):
        """Write the codes; returns the history rows of the codes replaced."""
        if not mapping:
            return []
        Partner = self.env["res.partner"]
        Partner.flush_model(["ref"])
        coding.update_values(
            self.env.cr, self.table, self.column, mapping, self.env.uid
        )
        records = Partner.browse(list(mapping))
        records.invalidate_recordset(["ref", "write_date", "write_uid"])
        return [
            {
                "res_model": self.model_name,
                "res_id": rid,
                "old_code": facts[rid]["code"],
                "new_code": code,
                "company_id": facts[rid]["company_id"],
            }
            for rid, code in mapping.items()
            if facts[rid]["code"]
        ]


# Where a customer's code may already be: another partner's Reference, or a
# Reference a partner had before it was re-coded.
PARTNER_CODE_SOURCES = [
    coding.CodeSource("res_partner", "ref", "company_id", "res.partner"),
    coding.CodeSource.history("res.partner"),
]


# Partners that are never customers to code: the companies' own and the
# internal users' (portal users are customers).
NOT_CUSTOMERS = """
    (SELECT partner_id FROM res_users WHERE share IS NOT TRUE AND partner_id IS NOT NULL
     UNION SELECT partner_id FROM res_company WHERE partner_id IS NOT NULL)
"""


# Context key set while Odoo creates the partner of a user or a company: that
# partner is not a customer, so auto-coding leaves it out.
NOT_A_CUSTOMER_CONTEXT = "cpc_partner_of_user_or_company"


class ResUsers(models.Model):
    _inherit = "res.users"

    @api.model_create_multi
    def create(self, vals_list):
        return super(
            ResUsers, self.with_context(**{NOT_A_CUSTOMER_CONTEXT: True})
        ).create(vals_list)


class ResCompany(models.Model):
    _inherit = "res.company"

    @api.model_create_multi
    def create(self, vals_list):
        return super(
            ResCompany, self.with_context(**{NOT_A_CUSTOMER_CONTEXT: True})
        ).create(vals_list)


class ResPartner(models.Model):
    _inherit = "res.partner"

    # A duplicate would carry the same code: it gets its own, or none.
    ref = fields.Char(copy=False)
    cpc_code_collision = fields.Boolean(
        string="Code Collision",
        readonly=True,
        copy=False,
        help="This Reference was already another record's when the addon was "
        "installed: change one of them. Until then the database does not hold "
        "it unique.",
    )
    cpc_company_code = fields.Char(
        related="commercial_partner_id.ref",
        string="Company Code",
        help="The code of the company this contact works for.",
    )
    cpc_former_code = fields.Char(
        string="Former Code",
        compute="_compute_cpc_former_code",
        search="_search_cpc_former_code",
        help="A code this record had before it was re-coded. A search finds the "
        "former codes that start with the text typed (EAST-00 finds EAST-0042).",
    )

    def init(self):
        res = super().init()
        coding.ensure_unique_indexes(self.env.cr, "res_partner", "ref", "company_id")
        return res

    def _compute_cpc_former_code(self):
        History = self.env["classification.code.history"].sudo()
        lines = History.search_fetch(
            [("res_model", "=", self._name), ("res_id", "in", self.ids)],
            ["res_id", "old_code"],
        )
        by_record = {}
        for line in lines:
            by_record.setdefault(line.res_id, line.old_code)
        for partner in self:
            partner.cpc_former_code = by_record.get(partner.id, False)

    def _search_cpc_former_code(self, operator, value):
        return self.env["classification.code.history"]._cpc_former_code_domain(
            self._name, operator, value
        )

    @api.model
    def _search_display_name(self, operator, value):
        domain = super()._search_display_name(operator, value)
        if operator in ("=", "ilike", "=ilike") and isinstance(value, str) and value:
            domain = expression.OR(
                [domain, self._search_cpc_former_code(operator, value)]
            )
        return domain

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [
            coding.clean_vals(self, vals, "ref", vals.get("name") or "")
            for vals in vals_list
        ]
        if any(vals.get("ref") for vals in vals_list):
            self._cpc_check_codes_free(
                [(None, vals.get("company_id"), vals.get("ref")) for vals in vals_list]
            )
        partners = super().create(vals_list)
        if self.env["classification.coding.rule"]._auto_rule_companies(self._name):
            partners._cpc_auto_code()
        return partners

    def write(self, vals):
        vals = coding.clean_vals(self, vals, "ref")
        if "ref" not in vals and "company_id" not in vals:
            return super().write(vals)
        code = vals.get("ref") or False
        changed = self.filtered(
            lambda partner: (
                ("ref" in vals and partner.ref != code)
                or (
                    "company_id" in vals and partner.company_id.id != vals["company_id"]
                )
            )
        )
        if changed:
            self._cpc_check_codes_free(
                [
                    (
                        partner.id,
                        vals.get("company_id", partner.company_id.id),
                        code if "ref" in vals else partner.ref,
                    )
                    for partner in changed
                ]
            )
        history = (
            coding.history_rows(
                changed,
                "ref",
                code,
                {p.id: vals.get("company_id", p.company_id.id) for p in changed},
            )
            if "ref" in vals
            else []
        )
        res = super().write(vals)
        if changed:
            changed.flush_recordset(["ref", "company_id"])
            coding.refresh_collisions(
                self.env.cr, "res_partner", "ref", "company_id", ids=changed.ids
            )
            self.env["res.partner"].invalidate_model(["cpc_code_collision"])
        if history:
            # A code typed over another was printed too: it keeps finding the
            # record, and no other record may take it.
            self.env["classification.code.history"].sudo().create(history)
        return res

    @api.model
    def _cpc_check_codes_free(self, rows):
        """A person typing another record's code, or a code another record
        had, is told whose it is (the database refuses the first too, but
        without naming anyone). ``rows``: (record id, company id, code)."""
        self.env["res.partner"].flush_model(["ref", "company_id"])
        self.env["classification.code.history"].flush_model()
        coding.check_codes_free(
            self.env,
            PARTNER_CODE_SOURCES,
            [(rid, None, company_id, code) for rid, company_id, code in rows],
        )

    def _cpc_coder(self):
        return PartnerCoder(self.env)

    def _cpc_auto_code(self):
        """Code new customers by the rules that code new records.

        Who may be coded is one definition for this, the wizard and the job
        (_cpc_codable_domain): never a company's own partner nor an internal
        user's, nor a partner made with a user or a company (which Odoo
        creates before the user or company row exists)."""
        if self.env.context.get(NOT_A_CUSTOMER_CONTEXT):
            return
        carriers = self._cpc_carriers().filtered(lambda partner: not partner.ref)
        if carriers:
            codable = (
                carriers.sudo()
                .with_context(active_test=False)
                .search(
                    expression.AND(
                        [[("id", "in", carriers.ids)], self._cpc_codable_domain()]
                    )
                )
            )
            carriers = carriers.browse(codable.ids)
        if carriers:
            self.env["classification.coding.rule"]._cpc_code(carriers, auto_only=True)

    def _cpc_code_carriers(self):
        """The records that carry the codes of these: their companies."""
        return self.commercial_partner_id

    @api.model
    def _cpc_uncoded_domain(self):
        """Customers without a code: commercial partners that are customers
        (as the Customers menu counts them), or that a coding rule's domain
        selects; never the companies' own
        partners nor internal users' (the administrator, colleagues)."""
        rules = (
            self.env["classification.coding.rule"]
            .sudo()
            .search([("applies_to", "=", "partner")])
        )
        selected = [rule._domain_list() for rule in rules if rule._domain_list()]
        return expression.AND(
            [
                self._cpc_codable_domain(),
                [("ref", "in", (False, ""))],
                expression.OR([self._cpc_customer_domain(), *selected]),
            ]
        )

    @api.model
    def _cpc_codable_domain(self):
        """The partners a customer code may be given to: commercial partners,
        never the companies' own nor internal users' partners."""
        return expression.AND(
            [self._cpc_carrier_domain(), [("id", "not in", SQL(NOT_CUSTOMERS))]]
        )

    def action_cpc_code(self):
        return self.env["classification.coding.wizard"]._cpc_open_for(self)


class BasePartnerMergeAutomaticWizard(models.TransientModel):
    _inherit = "base.partner.merge.automatic.wizard"

    def _update_values(self, src_partners, dst_partner):
        """Merging keeps every code finding the merged contact: the
        destination keeps its code, or takes the first source's when it has
        none; the other codes of the sources, and their code history, become
        the destination's history (Odoo would copy a source's code onto the
        destination while the source still holds it, which the uniqueness
        check refuses)."""
        codes = [
            (partner.ref, partner.company_id.id)
            for partner in src_partners
            if partner.ref
        ]
        History = self.env["classification.code.history"].sudo()
        History.flush_model()
        self.env.cr.execute(
            SQL(
                "UPDATE classification_code_history SET res_id = %s "
                "WHERE res_model = 'res.partner' AND res_id = ANY(%s)",
                dst_partner.id,
                src_partners.ids,
            )
        )
        History.invalidate_model(["res_id"])
        if codes:
            # The sources are deleted after this: their codes leave them now.
            src_partners.flush_recordset(["ref"])
            self.env.cr.execute(
                SQL(
                    "UPDATE res_partner SET ref = NULL WHERE id = ANY(%s)",
                    src_partners.ids,
                )
            )
            src_partners.invalidate_recordset(["ref"])
            if not dst_partner.ref:
                dst_partner.write({"ref": codes.pop(0)[0]})
            History.create(
                [
                    {
                        "res_model": "res.partner",
                        "res_id": dst_partner.id,
                        "old_code": code,
                        "new_code": dst_partner.ref,
                        # The code was printed for its own company's
                        # documents: it stays taken there.
                        "company_id": company_id or False,
                    }
                    for code, company_id in codes
                ]
            )
        return super()._update_values(src_partners, dst_partner)
