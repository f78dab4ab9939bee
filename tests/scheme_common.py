# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.tests import TransactionCase, new_test_user

MODULE = "customer_product_classification"


class SchemeCase(TransactionCase):
    """Two test schemes for customers and one for products, with categories.

    Schemes add fields to the registry. Those made in setUpClass go with the
    class (TransactionCase resets the registry then); a test that makes its own
    gets the registry put back after its savepoint is rolled back.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        # The seeded schemes and rules would classify test records too: keep them
        # out of the way, tests add the schemes and rules they check.
        cls.seeded = cls.env["classification.scheme"].search([])
        cls.seeded.active = False
        Scheme = cls.env["classification.scheme"]
        Category = cls.env["classification.category"]
        cls.region = Scheme.create(
            {"name": "Test Region", "code": "TREGION", "applies_to": "partner"}
        )
        cls.channel = Scheme.create(
            {
                "name": "Test Channel",
                "code": "TCHANNEL",
                "applies_to": "partner",
                "multiple": True,
            }
        )
        cls.grade = Scheme.create(
            {"name": "Test Grade", "code": "TGRADE", "applies_to": "product"}
        )
        cls.east = Category.create(
            {"scheme_id": cls.region.id, "name": "East", "code": "EAST"}
        )
        cls.shanghai = Category.create(
            {
                "scheme_id": cls.region.id,
                "name": "Shanghai",
                "code": "SH",
                "parent_id": cls.east.id,
            }
        )
        cls.west = Category.create(
            {"scheme_id": cls.region.id, "name": "West", "code": "WEST"}
        )
        cls.online, cls.offline, cls.direct = Category.create(
            [
                {"scheme_id": cls.channel.id, "name": name, "code": code}
                for name, code in (
                    ("Online", "ON"),
                    ("Offline", "OFF"),
                    ("Direct", "DIR"),
                )
            ]
        )
        cls.grade_a, cls.grade_b = Category.create(
            [
                {"scheme_id": cls.grade.id, "name": "Grade A", "code": "GA"},
                {"scheme_id": cls.grade.id, "name": "Grade B", "code": "GB"},
            ]
        )
        cls.region_field = cls.region.field_id.name
        cls.channel_field = cls.channel.field_id.name
        cls.grade_field = cls.grade.field_id.name
        cls.manager = new_test_user(
            cls.env, login="cpc_scheme_manager", groups="sales_team.group_sale_manager"
        )
        cls.salesman = new_test_user(
            cls.env,
            login="cpc_scheme_rep",
            groups="sales_team.group_sale_salesman,base.group_partner_manager",
        )

    def setUp(self):
        # Registered before the savepoint's rollback, so it runs after it.
        self.addCleanup(self._restore_registry, self._scheme_fields())
        super().setUp()

    def _scheme_fields(self):
        return {
            name
            for model in ("res.partner", "product.template")
            for name in self.env[model]._fields
            if name.startswith("x_cpc_scheme")
        }

    def _restore_registry(self, fields_before):
        if self._scheme_fields() != fields_before:
            self.registry.setup_models(self.cr)

    def _run_queue(self):
        """Let the scheduled action apply the queued rules until none is left."""
        Scheme = self.env["classification.scheme"]
        for __ in range(10):
            if not Scheme.search_count([("rules_queued", "=", True)]):
                return
            Scheme._cron_apply_rules()
        self.fail("the queued rules never finished")

    def _company(self, name, **values):
        return self.env["res.partner"].create(
            {"name": name, "is_company": True, **values}
        )
