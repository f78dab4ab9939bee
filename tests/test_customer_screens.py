# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""What the customer screens of issue 11 show, as sales managers read them."""

from datetime import date, timedelta

from lxml import etree

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, new_test_user, tagged

from ..models.partner_classification import LIFECYCLE_STAGES
from .common import MODULE, TODAY, ClassificationCase


@tagged("post_install", "-at_install")
class TestCustomerScreens(ClassificationCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.classification_manager = new_test_user(
            cls.env,
            login="cpc_screens_cust_manager",
            groups="sales_team.group_sale_manager,"
            f"{MODULE}.group_classification_manager",
        )
        cls.classification_user = new_test_user(
            cls.env,
            login="cpc_screens_cust_user",
            groups=f"sales_team.group_sale_salesman,{MODULE}.group_classification_user",
        )
        # Five customers, from the best to the weakest on every score.
        cls.customers = cls.env["res.partner"]
        for index in range(5):
            customer = cls._customer(f"Screens Customer {index}", is_company=True)
            for order in range(5 - index):
                cls._order(
                    customer,
                    1000 * (5 - index),
                    TODAY - timedelta(days=10 + 100 * index + order),
                )
            cls.customers |= customer

    def _arch(self, model, xmlid, view_type):
        view = self.env.ref(f"{MODULE}.{xmlid}")
        return etree.fromstring(self.env[model].get_view(view.id, view_type)["arch"])

    # ------------------------------------------------------------ segments
    def test_segments_and_stages_have_distinct_names(self):
        stages = {label for _value, label in LIFECYCLE_STAGES}
        segments = self.env["partner.rfm.segment"].search([])
        self.assertEqual(
            set(segments.mapped("rfm_map")), {"eleven", "eight"}, "both maps seeded"
        )
        clashes = stages & set(segments.mapped("name"))
        self.assertFalse(clashes, "a badge reading the same for stage and segment")

    def test_upgrade_renames_the_seeded_segments_left_as_seeded(self):
        loyal, lost = self._segment("loyal"), self._segment("lost")
        self.env.cr.execute(
            """UPDATE partner_rfm_segment SET name = '{"en_US": "Loyal"}'::jsonb
                WHERE id = %s""",
            [loyal.id],
        )
        lost.name = "Gone for Good"
        self.env.invalidate_all()
        self.env["partner.rfm.segment"]._cpc_rename_seeded_segments()
        self.assertEqual(loyal.name, "Loyal Customers")
        self.assertEqual(lost.name, "Gone for Good", "a company's own name stays")

    def test_each_map_covers_every_cell_once(self):
        Cell = self.env["partner.rfm.cell"]
        for rfm_map, segment_count in (("eleven", 11), ("eight", 8)):
            cells = Cell.search([("rfm_map", "=", rfm_map)])
            self.assertEqual(len(cells), 125, rfm_map)
            self.assertEqual(len(set(cells.mapped("rfm_code"))), 125, rfm_map)
            self.assertEqual(len(cells.segment_id), segment_count, rfm_map)
            self.assertEqual(set(cells.segment_id.mapped("rfm_map")), {rfm_map})

    def test_chinese_eight_classes_chosen_per_company(self):
        self.company.cpc_rfm_map = "eight"
        self._classify()
        best, *_middle, weakest = self.customers
        self.assertEqual(self._row(best).rfm_code, "555")
        self.assertEqual(
            self._row(best).segment_id,
            self.env.ref(f"{MODULE}.rfm_class8_important_value"),
        )
        self.assertEqual(
            self._row(weakest).segment_id,
            self.env.ref(f"{MODULE}.rfm_class8_general_win_back"),
        )
        self.assertEqual(
            best.with_company(self.company).rfm_segment_id.code, "important_value"
        )
        # Back to the eleven segments: the next run moves every customer.
        self.company.cpc_rfm_map = "eleven"
        self._classify()
        self.assertEqual(self._row(best).segment_id, self._segment("champions"))
        self.assertEqual(
            set(self.Classification.search([]).segment_id.mapped("rfm_map")), {"eleven"}
        )

    def test_a_score_is_high_from_four_in_the_eight_classes(self):
        Cell = self.env["partner.rfm.cell"]

        def class_of(code):
            return Cell.search(
                [("rfm_map", "=", "eight"), ("rfm_code", "=", code)]
            ).segment_id.code

        self.assertEqual(class_of("444"), "important_value")
        self.assertEqual(class_of("344"), "important_retention")
        self.assertEqual(class_of("343"), "general_retention")
        self.assertEqual(class_of("414"), "important_development")
        self.assertEqual(class_of("334"), "important_win_back")
        self.assertEqual(class_of("553"), "general_value")
        self.assertEqual(class_of("333"), "general_win_back")

    def test_a_cell_keeps_to_the_segments_of_its_map(self):
        cell = self.env.ref(f"{MODULE}.rfm_class8_cell_555")
        with self.assertRaisesRegex(ValidationError, "555"):
            cell.with_user(self.classification_manager).segment_id = self._segment(
                "lost"
            )

    def test_map_chosen_in_settings(self):
        settings = self.env["res.config.settings"].create({"cpc_rfm_map": "eight"})
        settings.execute()
        self.assertEqual(self.company.cpc_rfm_map, "eight")

    # ------------------------------------------------------- groups, badges
    def test_stages_and_tiers_grouped_in_their_order_with_empty_ones(self):
        self._classify()
        groups = self.Classification.with_user(self.classification_user).web_read_group(
            [("company_id", "=", self.company.id)], ["stage"], ["stage"]
        )["groups"]
        self.assertEqual(
            [group["stage"] for group in groups],
            [value for value, _ in LIFECYCLE_STAGES],
        )
        groups = self.Classification.with_user(self.classification_user).web_read_group(
            [("company_id", "=", self.company.id)], ["tier_id"], ["tier_id"]
        )["groups"]
        ladder = self.company.cpc_value_tier_ids.sorted("sequence")
        self.assertEqual([group["tier_id"][0] for group in groups], ladder.ids)

    def test_badges_coloured_by_tier_and_stage_and_labelled(self):
        self.assertTrue(self.env["partner.value.tier"]._fields["color"])
        for model, xmlid, view_type, tier, color in (
            (
                "partner.classification",
                "partner_classification_view_list",
                "list",
                "tier_id",
                "tier_color",
            ),
            (
                "partner.classification",
                "partner_classification_view_kanban",
                "kanban",
                "tier_id",
                "tier_color",
            ),
            (
                "res.partner",
                "res_partner_view_list",
                "list",
                "value_tier_id",
                "value_tier_color",
            ),
            (
                "res.partner",
                "res_partner_view_kanban",
                "kanban",
                "value_tier_id",
                "value_tier_color",
            ),
        ):
            arch = self._arch(model, xmlid, view_type)
            [node] = arch.xpath(f"//field[@name='{tier}']")
            self.assertEqual(node.get("widget"), "cpc_color_badge", xmlid)
            self.assertIn(color, node.get("options"), xmlid)
        kanban = self._arch(
            "partner.classification", "partner_classification_view_kanban", "kanban"
        )
        [stage] = kanban.xpath("//field[@name='stage']")
        self.assertEqual(
            stage.getprevious().text, "Stage", "the stage badge is labelled"
        )
        self.assertTrue(stage.get("decoration-danger"), "stages are coloured")
        [segment] = kanban.xpath("//field[@name='segment_id']")
        self.assertEqual(segment.getprevious().text, "Segment")

    def test_pivot_averages_averages(self):
        self._classify()
        rows = self.Classification.search([("company_id", "=", self.company.id)])
        [group] = self.Classification.read_group(
            [("id", "in", rows.ids)],
            ["average_order_value", "average_interval_days", "recency_score"],
            [],
        )
        values = rows.mapped("average_order_value")
        self.assertAlmostEqual(
            group["average_order_value"], sum(values) / len(values), 2
        )
        self.assertAlmostEqual(group["recency_score"], 3.0, 1)
        pivot = self._arch(
            "partner.classification", "partner_classification_view_pivot", "pivot"
        )
        for score in ("recency_score", "frequency_score", "monetary_score"):
            [node] = pivot.xpath(f"//field[@name='{score}']")
            self.assertEqual(
                node.get("widget"), "float", "averages shown with decimals"
            )

    # --------------------------------------------------------- customer form
    def test_pin_spelt_out_on_the_customer(self):
        self._classify()
        best = self.customers[0]
        row = self._row(best)
        computed = row.tier_id
        lower = self._tier("C")
        row.with_user(self.classification_manager).write(
            {
                "manual_tier_id": lower.id,
                "pin_reason": "Dispute in progress",
                "pin_until": date.today() + timedelta(days=30),
            }
        )
        partner = best.with_user(self.classification_user)
        self.assertEqual(partner.classification_tier_id, lower)
        note = partner.classification_tier_pin_note
        self.assertIn("pinned until", note)
        self.assertIn(f"computed {computed.display_name}", note)
        self.assertFalse(
            partner.classification_stage_pin_note, "the stage is not pinned"
        )
        pinned = (
            self.env["res.partner"]
            .with_user(self.classification_user)
            .search([("classification_pinned", "=", True)])
        )
        self.assertEqual(pinned, best)
        self.assertEqual(
            self.env["res.partner"]
            .with_user(self.classification_user)
            .search_count(
                [
                    ("classification_pinned", "=", False),
                    ("id", "in", self.customers.ids),
                ]
            ),
            4,
        )

    def test_customer_form_tells_what_to_expect(self):
        arch = self._arch("res.partner", "res_partner_view_form", "form")
        [page] = arch.xpath("//page[@name='customer_classification']")
        self.assertNotEqual(page.get("string"), "Classification", "not the app's name")
        classes = page.xpath(".//group[@name='classification_classes']")[0]
        categories = page.xpath(".//group[@name='classification_schemes']")[0]
        order = list(page.iter())
        self.assertLess(order.index(classes), order.index(categories), "classes first")
        self.assertTrue(
            arch.xpath(
                "//div[@name='button_box']//field[@name='classification_tier_id']"
            )
        )
        contact_note = page.xpath(".//div[contains(@invisible, 'parent_id')]")
        self.assertTrue(
            contact_note, "contacts are told the figures are their company's"
        )

        self._classify()
        newcomer = self._customer("Screens Newcomer", is_company=True)
        waiting = self._customer("Screens Waiting", is_company=True)
        self._order(waiting, 100, TODAY, state="draft")
        newcomer, waiting = (newcomer | waiting).with_user(self.classification_user)
        self.assertFalse(newcomer.classification_id)
        self.assertFalse(newcomer.classification_has_sales, "no run is promised to it")
        self.assertTrue(waiting.classification_has_sales, "its next run classifies it")

    def test_contact_shows_its_company_classes(self):
        self._classify()
        contact = self._customer("Screens Contact", parent_id=self.customers[0].id)
        contact = contact.with_user(self.classification_user)
        self.assertEqual(contact.classification_id, self._row(self.customers[0]))

    # --------------------------------------------------------------- search
    def test_filters_for_every_stage_and_tier(self):
        for model, xmlid, field in (
            ("partner.classification", "partner_classification_view_search", "stage"),
            ("res.partner", "res_partner_view_search", "lifecycle_stage"),
        ):
            arch = self._arch(model, xmlid, "search")
            domains = " ".join(f.get("domain") or "" for f in arch.xpath("//filter"))
            for value, _label in LIFECYCLE_STAGES:
                self.assertIn(f"('{field}', '=', '{value}')", domains, (xmlid, value))
        arch = self._arch(
            "partner.classification", "partner_classification_view_search", "search"
        )
        self.assertTrue(arch.xpath("//filter[@name='filter_pinned']"))
        [tiers] = arch.xpath("//searchpanel/field[@name='tier_id']")
        self.assertEqual(tiers.get("enable_counters"), "1")

    def test_side_panel_one_section_per_scheme_in_sequence(self):
        schemes = self.env["classification.scheme"]._active_for("res.partner")
        self.assertGreater(len(schemes), 1)
        arch = self._arch(
            "res.partner", "res_partner_view_search_by_category", "search"
        )
        sections = arch.xpath(
            "//searchpanel/field[@name='classification_category_ids']"
        )
        self.assertEqual([s.get("string") for s in sections], schemes.mapped("name"))
        for section in sections:
            self.assertEqual(section.get("select"), "multi")
            self.assertEqual(section.get("enable_counters"), "1")
            self.assertFalse(section.get("groupby"), "grouped sections drop ticks")

    # --------------------------------------------------------------- wizard
    def test_wizard_refuses_a_reference_date_to_come(self):
        Wizard = self.env["partner.classification.wizard"].with_user(
            self.classification_manager
        )
        with self.assertRaisesRegex(ValidationError, "still to come"):
            Wizard.create({"reference_date": date.today() + timedelta(days=1)})

    def test_wizard_preview_and_apply_count_the_same_customers(self):
        self._classify(day=TODAY - timedelta(days=200))
        Wizard = self.env["partner.classification.wizard"].with_user(
            self.classification_manager
        )
        wizard = Wizard.create({"reference_date": TODAY})
        action = wizard.action_preview()
        self.assertEqual(action["name"], "Recompute Customer Classes", "title kept")
        self.assertTrue(wizard.changed_count)
        moved, refreshed = wizard.changed_count, wizard.refreshed_count
        line = wizard.line_ids[0]
        if line.old_tier_id != line.new_tier_id:
            self.assertIn(" → ", line.tier_change)
        changing = wizard.line_ids.filtered(
            lambda ln: ln.old_stage and ln.new_stage and ln.old_stage != ln.new_stage
        )[:1]
        self.assertTrue(changing, "200 days later, some stage moves")
        stages = dict(LIFECYCLE_STAGES)
        self.assertEqual(
            changing.stage_change,
            f"{stages[changing.old_stage]} → {stages[changing.new_stage]}",
        )
        result = wizard.action_apply()
        message = result["params"]["message"]
        self.assertIn(f"{moved} customers changed class", message)
        self.assertIn(f"the figures of {refreshed} more", message)

    def test_wizard_preview_lines_open_nothing(self):
        arch = self._arch(
            "partner.classification.wizard",
            "partner_classification_wizard_view_form",
            "form",
        )
        [lines] = arch.xpath("//field[@name='line_ids']/list")
        self.assertEqual(lines.get("no_open"), "1")
        [customers] = arch.xpath("//field[@name='partner_ids']")
        self.assertIn("'no_create': True", customers.get("options"))
        self.assertTrue(customers.get("string"), "the field is labelled")
        self.assertEqual(customers.getparent().tag, "group", "its label is shown")

    def test_wizard_from_the_action_menu_of_classes(self):
        self._classify()
        rows = self.Classification.search(
            [("partner_id", "in", self.customers[:2].ids)]
        )
        wizard_form = Form(
            self.env["partner.classification.wizard"]
            .with_user(self.classification_manager)
            .with_context(active_model="partner.classification", active_ids=rows.ids)
        )
        self.assertEqual(wizard_form.scope, "selected")
        self.assertEqual(set(wizard_form.partner_ids.ids), set(self.customers[:2].ids))

    def test_wizards_in_the_action_menu_and_configuration_not_the_top_bar(self):
        root = self.env.ref(f"{MODULE}.menu_classification_root")
        top = self.env["ir.ui.menu"].search([("parent_id", "=", root.id)])
        actions = {
            menu.action._name + "," + str(menu.action.id) for menu in top if menu.action
        }
        for xmlid in (
            "partner_classification_wizard_action",
            "classification_import_wizard_action",
        ):
            action = self.env.ref(f"{MODULE}.{xmlid}")
            self.assertNotIn(f"{action._name},{action.id}", actions, xmlid)
        bound = self.env.ref(f"{MODULE}.partner_classification_wizard_action_classes")
        self.assertEqual(bound.binding_model_id.model, "partner.classification")
        self.assertEqual(
            self.env.ref(
                f"{MODULE}.partner_classification_wizard_action"
            ).binding_model_id.model,
            "res.partner",
        )
        self.assertEqual(
            self.env.ref(f"{MODULE}.menu_classification_analysis").name, "Reporting"
        )

    # -------------------------------------------------------------- reports
    def test_movements_tell_upgrades_from_downgrades(self):
        self._classify()
        row = self._row(self.customers[3])
        computed = row.tier_id
        ladder = self.company.cpc_value_tier_ids.sorted("sequence")
        best, worst = ladder[0], ladder[-1]
        self.assertNotIn(computed, best | worst)
        manager_row = row.with_user(self.classification_manager)
        manager_row.write({"manual_tier_id": best.id, "pin_reason": "Key account"})
        manager_row.write({"manual_tier_id": worst.id})
        Movement = self.env["partner.classification.movement"].with_user(
            self.classification_user
        )
        moves = Movement.search([("partner_id", "=", row.partner_id.id)], order="id")
        self.assertEqual(moves.mapped("direction"), ["first", "up", "down"])
        self.assertEqual(moves[1].step, ladder.ids.index(computed.id))
        # Tier migration leaves the first classifications out by default.
        action = self.env.ref(
            f"{MODULE}.partner_classification_history_action_migration"
        )
        self.assertEqual(action.res_model, "partner.classification.movement")
        self.assertIn("search_default_filter_moves", action.context)
        pivot = self._arch(
            "partner.classification.movement",
            "partner_classification_movement_view_pivot",
            "pivot",
        )
        self.assertEqual(
            [f.get("name") for f in pivot.xpath("//field")], ["from_label", "to_label"]
        )
        # The pivot shows group values only: they say "from" and "to" themselves.
        self.assertEqual(moves[1].from_label, f"From {computed.display_name}")
        self.assertEqual(moves[1].to_label, f"To {best.display_name}")
        self.assertEqual(moves[0].from_label, "From none")
        self.assertEqual(Movement._fields["old_tier_id"].string, "From Tier")
        self.assertEqual(Movement._fields["new_tier_id"].string, "To Tier")

    def test_movements_kept_to_their_company_and_group(self):
        self._classify()
        other = self.env["res.company"].create({"name": "Screens Other Co"})
        buyer = self._customer("Screens Other Buyer", company_id=other.id)
        self._order(buyer, 300, TODAY - timedelta(days=3), company=other)
        self._classify(company=other)
        Movement = self.env["partner.classification.movement"]
        self.assertTrue(Movement.search([("company_id", "=", other.id)]))
        seen = Movement.with_user(self.classification_user).search([])
        self.assertEqual(seen.company_id, self.company, "no other company's moves")
        employee = new_test_user(
            self.env, login="cpc_screens_employee", groups="base.group_user"
        )
        with self.assertRaises(AccessError):
            Movement.with_user(employee).search([])

    def test_reporting_pictures(self):
        grid = self._arch(
            "partner.classification",
            "partner_classification_view_pivot_rf_grid",
            "pivot",
        )
        self.assertEqual(
            [(f.get("name"), f.get("type")) for f in grid.xpath("//field[@type]")],
            [("recency_score", "row"), ("frequency_score", "col")],
        )
        share = self._arch(
            "partner.classification",
            "partner_classification_view_graph_revenue_share",
            "graph",
        )
        self.assertEqual(share.get("type"), "pie")
        self.assertTrue(share.xpath("//field[@name='revenue'][@type='measure']"))
        self._classify()
        groups = self.Classification.with_user(self.classification_user).read_group(
            [("company_id", "=", self.company.id)],
            ["__count"],
            ["recency_score", "frequency_score"],
            lazy=False,
        )
        self.assertEqual(sum(g["__count"] for g in groups), len(self.customers))
