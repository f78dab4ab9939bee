# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import models

from .classification_mixin import FIELD_PREFIX
from .classification_scheme import SCHEME_TARGETS


class IrModelFields(models.Model):
    _inherit = "ir.model.fields"

    def _instanciate_attrs(self, field_data):
        attrs = super()._instanciate_attrs(field_data)
        # Odoo does not apply the groups of manual fields: the scheme fields get
        # theirs here, so that portal and public users, who read partners and
        # products, never read how the company classifies them.
        if (
            attrs is not None
            and field_data["name"].startswith(FIELD_PREFIX)
            and field_data["model"] in SCHEME_TARGETS.values()
        ):
            attrs["groups"] = "base.group_user"
        return attrs
