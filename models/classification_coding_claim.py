# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models


class ClassificationCodeClaim(models.Model):
    """Every code a coding rule numbered, once, lower-cased: two rules whose
    sequences give the same code at the same moment (same prefix, two
    companies or two rules) cannot both claim it (see utils.coding.claim_codes).
    Written in SQL only; never given back, as printed codes are not."""

    _name = "classification.code.claim"
    _description = "Code Claimed by a Coding Rule"
    _log_access = False

    kind = fields.Char(required=True, readonly=True)
    code = fields.Char(required=True, readonly=True)

    _sql_constraints = [
        (
            "kind_code_uniq",
            "UNIQUE (kind, code)",
            "A code is claimed once per kind of record.",
        ),
    ]
