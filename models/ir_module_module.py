# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import models


class IrModuleModule(models.Model):
    _inherit = "ir.module.module"

    def _load_module_terms(
        self, modules, langs, overwrite=False, imported_module=False
    ):
        result = super()._load_module_terms(
            modules, langs, overwrite=overwrite, imported_module=imported_module
        )
        # Default tiers and ABC profiles are created in code, so a language
        # installed later does not reach them through the .po files: name them in
        # it here.
        if "customer_product_classification" in modules:
            tiers = (
                self.env["partner.value.tier"].sudo().with_context(active_test=False)
            )
            defaults = tiers.search([("code", "in", ["A", "B", "C", "D"])])
            defaults._cpc_translate_default_names()
            profiles = self.env["product.abc.profile"].sudo()
            profiles.with_context(active_test=False, lang="en_US").search(
                [("name", "=", profiles.with_context(lang="en_US")._default_name())]
            )._cpc_translate_default_names()
            # Scheme fields are created in code too: label them in the new language.
            schemes = self.env["classification.scheme"].sudo()
            schemes.with_context(active_test=False).search(
                [("field_id", "!=", False)]
            )._sync_field_label()
        return result
