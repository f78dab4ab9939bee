# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import math

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools.misc import formatLang

# criterion: (applies to, fields of the record it reads)
CRITERIA = {
    "country": ("partner", ["country_id"]),
    "country_group": ("partner", ["country_id"]),
    "state": ("partner", ["state_id"]),
    "city": ("partner", ["city"]),
    "industry": ("partner", ["industry_id"]),
    "company_type": ("partner", ["is_company"]),
    "employees": ("partner", ["cpc_employee_count"]),
    "team": ("partner", ["user_id"]),
    "product_category": ("product", ["categ_id"]),
    "product_type": ("product", ["type"]),
    "list_price": ("product", ["list_price"]),
}
# criterion: the field of the rule saying what it matches (bands aside).
CRITERION_VALUES = {
    "country": "country_ids",
    "country_group": "country_group_ids",
    "state": "state_ids",
    "city": "city_names",
    "industry": "industry_ids",
    "company_type": "company_type",
    "team": "team_ids",
    "product_category": "product_categ_ids",
    "product_type": "product_type",
}
BANDS = ("employees", "list_price")
# Criteria a rule may also match the other way round ("country is not China"):
# those naming values a record's field holds one of. A record whose field is
# empty matches neither way.
NEGATABLE = {
    "country",
    "country_group",
    "state",
    "city",
    "industry",
    "team",
    "product_category",
}
# Values named in full in a rule's condition; the rest are counted.
CONDITION_VALUES_SHOWN = 3

# Their tests read data other models own and change on their own (a country
# group's countries, a sales team's members, the product category tree): they
# are built at each use, never cached.
DYNAMIC_CRITERIA = {"country_group", "team", "product_category"}


class ClassificationRule(models.Model):
    """Places records in a category from one of their fields.

    Rules of a scheme are tried in sequence: a one-value scheme takes the
    category of the first rule that matches, a several-value scheme the
    categories of all the rules that match. Rules never replace a category a
    person chose, unless they are applied with that request.
    """

    _name = "classification.rule"
    _description = "Classification Rule"
    _order = "scheme_id, sequence, id"

    scheme_id = fields.Many2one(
        "classification.scheme", required=True, index=True, ondelete="cascade"
    )
    applies_to = fields.Selection(related="scheme_id.applies_to")
    company_id = fields.Many2one(related="scheme_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    category_id = fields.Many2one(
        "classification.category",
        required=True,
        ondelete="cascade",
        domain="[('scheme_id', '=', scheme_id)]",
        help="The category records matching this rule are placed in.",
    )
    criterion = fields.Selection(
        [
            ("country", "Country"),
            ("country_group", "Country Group"),
            ("state", "State"),
            ("city", "City"),
            ("industry", "Industry"),
            ("company_type", "Company or Individual"),
            ("employees", "Number of Employees"),
            ("team", "Sales Team"),
            ("product_category", "Product Category"),
            ("product_type", "Product Type"),
            ("list_price", "Sales Price"),
        ],
        required=True,
        help="The field of the customer or product the rule reads.",
    )
    operator = fields.Selection(
        [("in", "is"), ("not_in", "is not")],
        string="Match",
        default="in",
        required=True,
        help="Is not: records whose field holds none of the values; a record with "
        "the field empty matches neither way.",
    )
    condition_text = fields.Char(
        string="Condition",
        compute="_compute_condition_text",
        help="What the rule matches, as a sentence.",
    )
    country_ids = fields.Many2many("res.country", string="Countries")
    country_group_ids = fields.Many2many("res.country.group", string="Country Groups")
    state_ids = fields.Many2many("res.country.state", string="States")
    city_names = fields.Char(
        string="Cities", help="City names separated by commas; case is ignored."
    )
    industry_ids = fields.Many2many("res.partner.industry", string="Industries")
    company_type = fields.Selection(
        [("company", "Company"), ("person", "Individual")],
        string="Company Type",
    )
    team_ids = fields.Many2many(
        "crm.team",
        string="Sales Teams",
        help="Customers whose salesperson belongs to one of these sales teams.",
    )
    product_categ_ids = fields.Many2many(
        "product.category",
        string="Product Categories",
        help="Their sub-categories match too.",
    )
    product_type = fields.Selection(
        [("consu", "Goods"), ("service", "Service"), ("combo", "Combo")],
    )
    min_value = fields.Float(
        string="Lower Bound", help="Lowest value of the band, included."
    )
    max_value = fields.Float(
        string="Upper Bound",
        help="Value the band stops below, excluded; leave 0 for no upper bound.",
    )

    @api.constrains("criterion", "scheme_id", "category_id")
    def _check_criterion(self):
        for rule in self:
            if CRITERIA[rule.criterion][0] != rule.scheme_id.applies_to:
                raise ValidationError(
                    self.env._(
                        "The rule for %(category)s reads a field the records of the "
                        "scheme %(scheme)s do not have.",
                        category=rule.category_id.complete_name,
                        scheme=rule.scheme_id.name,
                    )
                )
            if rule.category_id.scheme_id != rule.scheme_id:
                raise ValidationError(
                    self.env._(
                        "The rule places records in %(category)s, which is not a "
                        "category of the scheme %(scheme)s.",
                        category=rule.category_id.complete_name,
                        scheme=rule.scheme_id.name,
                    )
                )

    @api.constrains("criterion", *CRITERION_VALUES.values(), "min_value", "max_value")
    def _check_values(self):
        # A rule without a value would match every record (an empty company type
        # put every individual in the category) or none.
        labels = dict(self._fields["criterion"]._description_selection(self.env))
        for rule in self:
            criterion = rule.criterion
            if criterion in BANDS:
                rule._check_band()
                continue
            # As superuser: record rules may hide some of the values from the
            # user editing a shared scheme's rule.
            value = rule.sudo()[CRITERION_VALUES[criterion]]
            if criterion == "city":
                value = [city for city in (value or "").split(",") if city.strip()]
            if not value:
                raise ValidationError(
                    self.env._(
                        "The rule for %(category)s of the scheme %(scheme)s matches "
                        "by %(criterion)s: say which %(field)s it matches.",
                        category=rule.category_id.complete_name,
                        scheme=rule.scheme_id.name,
                        criterion=labels[criterion],
                        field=rule._fields[
                            CRITERION_VALUES[criterion]
                        ]._description_string(self.env),
                    )
                )

    def _check_band(self):
        low, high = self.min_value, self.max_value
        names = {
            "category": self.category_id.complete_name,
            "scheme": self.scheme_id.name,
            "criterion": self._criterion_subject(),
        }
        # Written so that NaN fails too; 0 as upper bound means none.
        if not (0 <= low < math.inf and 0 <= high < math.inf):
            raise ValidationError(
                self.env._(
                    "The rule for %(category)s of the scheme %(scheme)s has a band "
                    "of %(criterion)s with a negative or infinite bound: give "
                    "numbers of 0 or more.",
                    **names,
                )
            )
        if not low and not high:
            raise ValidationError(
                self.env._(
                    "The rule for %(category)s of the scheme %(scheme)s has a band "
                    "of %(criterion)s without bounds, which would match every "
                    "record: fill in the lower bound, the upper bound (0: none) or "
                    "both.",
                    **names,
                )
            )
        if high and high <= low:
            raise ValidationError(
                self.env._(
                    "The rule for %(category)s of the scheme %(scheme)s has the band "
                    "of %(criterion)s from %(low)s up to %(high)s: the upper bound "
                    "must be above the lower one.",
                    low=self._format_bound(low),
                    high=self._format_bound(high),
                    **names,
                )
            )

    def _format_bound(self, value):
        return formatLang(self.env, value, digits=0 if value.is_integer() else 2)

    def _criterion_subject(self):
        """The criterion as the subject of the rule's condition."""
        return {
            "country": self.env._("country"),
            "country_group": self.env._("country group"),
            "state": self.env._("state"),
            "city": self.env._("city"),
            "industry": self.env._("industry"),
            "company_type": self.env._("customer"),
            "employees": self.env._("number of employees"),
            "team": self.env._("sales team"),
            "product_category": self.env._("product category"),
            "product_type": self.env._("product type"),
            "list_price": self.env._("sales price"),
        }.get(self.criterion, "")

    def _condition_values(self):
        """The names of what the rule compares with, as one text."""
        criterion = self.criterion
        if criterion == "city":
            names = [c.strip() for c in (self.city_names or "").split(",") if c.strip()]
        elif criterion in ("company_type", "product_type"):
            field = self._fields[criterion]
            labels = dict(field._description_selection(self.env))
            names = [labels[self[criterion]]] if self[criterion] else []
        else:
            # As the user: names of values their record rules hide stay hidden.
            # Product categories by their path, the rest by name ("上海市", not
            # "上海市 (CN)").
            values = self[CRITERION_VALUES[criterion]]
            names = values.mapped(
                "display_name" if criterion == "product_category" else "name"
            )
        if not names:
            return "…"
        if len(names) > CONDITION_VALUES_SHOWN + 1:
            return self.env._(
                "%(names)s and %(count)s more",
                names=", ".join(names[:CONDITION_VALUES_SHOWN]),
                count=len(names) - CONDITION_VALUES_SHOWN,
            )
        return ", ".join(names)

    def _condition(self):
        self.ensure_one()
        if not self.criterion:
            return ""
        subject = self._criterion_subject()
        if self.criterion in BANDS:
            low, high = self.min_value, self.max_value
            if low and high:
                return self.env._(
                    "%(criterion)s from %(low)s up to %(high)s",
                    criterion=subject,
                    low=self._format_bound(low),
                    high=self._format_bound(high),
                )
            if not low and not high:
                return f"{subject} …"
            if high:
                return self.env._(
                    "%(criterion)s under %(high)s",
                    criterion=subject,
                    high=self._format_bound(high),
                )
            return self.env._(
                "%(criterion)s of %(low)s or more",
                criterion=subject,
                low=self._format_bound(low),
            )
        if self.criterion == "company_type":
            if self.company_type == "person":
                return self.env._("customer is an individual")
            if self.company_type == "company":
                return self.env._("customer is a company")
            return self.env._("customer is …")
        values = self._condition_values()
        if self.criterion == "product_category":
            values = self.env._("%(categories)s (or below)", categories=values)
        if self.operator == "not_in" and self.criterion in NEGATABLE:
            return self.env._(
                "%(criterion)s is not %(values)s", criterion=subject, values=values
            )
        return self.env._(
            "%(criterion)s is %(values)s", criterion=subject, values=values
        )

    @api.depends(
        "criterion",
        "operator",
        "min_value",
        "max_value",
        *CRITERION_VALUES.values(),
    )
    @api.depends_context("lang")
    def _compute_condition_text(self):
        for rule in self:
            text = rule._condition()
            rule.condition_text = text[:1].upper() + text[1:]

    @api.depends("condition_text", "category_id")
    @api.depends_context("lang")
    def _compute_display_name(self):
        for rule in self:
            if not rule.criterion:
                rule.display_name = self.env._("New Rule")
                continue
            rule.display_name = self.env._(
                "%(condition)s → %(category)s",
                condition=rule.condition_text,
                category=rule.category_id.display_name or "…",
            )

    def _matcher(self):
        """A test of one record's values (as read with ``load=None``).

        What the rule compares with is read once here, so that testing a
        record is a set lookup: rules run over whole tables.
        """
        self.ensure_one()
        test = self._positive_matcher()
        if self.operator == "not_in" and self.criterion in NEGATABLE:
            fname = CRITERIA[self.criterion][1][0]
            # An empty field says nothing: no country is not "not China".
            return lambda row: bool(row[fname]) and not test(row)
        return test

    def _positive_matcher(self):
        criterion = self.criterion
        if criterion in ("employees", "list_price"):
            fname = CRITERIA[criterion][1][0]
            low, high = self.min_value, self.max_value
            return lambda row: row[fname] >= low and (not high or row[fname] < high)
        if criterion == "company_type":
            wanted = self.company_type == "company"
            return lambda row: bool(row["is_company"]) == wanted
        if criterion == "product_type":
            wanted = self.product_type
            return lambda row: row["type"] == wanted
        if criterion == "city":
            cities = {
                city.strip().casefold()
                for city in (self.city_names or "").split(",")
                if city.strip()
            }
            return lambda row: (row["city"] or "").strip().casefold() in cities
        ids = {
            "country": lambda: self.country_ids,
            "country_group": lambda: self.country_group_ids.country_ids,
            "state": lambda: self.state_ids,
            "industry": lambda: self.industry_ids,
            # Partners have no team of their own without CRM: their
            # salesperson's team stands for it.
            "team": lambda: (
                self.env["res.users"]
                .with_context(active_test=False)
                .search([("sale_team_id", "in", self.team_ids.ids)])
            ),
            "product_category": lambda: self.env["product.category"].search(
                [("id", "child_of", self.product_categ_ids.ids)]
            ),
        }[criterion]().ids
        wanted_ids = set(ids)
        fname = CRITERIA[criterion][1][0]
        return lambda row: row[fname] in wanted_ids

    @api.model
    def _cpc_matchers(self, scheme_infos):
        """Tests of the rules of the schemes, by rule id (see _matcher)."""
        rules = [rule for info in scheme_infos for rule in info.rules]
        # Built ones read their data in one query for all, when first needed.
        dynamic = {
            record.id: record
            for record in self.sudo().browse(r.id for r in rules if r.matcher is None)
        }
        return {
            rule.id: rule.matcher or self._cpc_lazy_matcher(dynamic[rule.id])
            for rule in rules
        }

    @api.model
    def _cpc_lazy_matcher(self, rule):
        """A test built when first needed: most records never reach it (an
        earlier rule matched, or the field it reads is empty)."""
        built = []

        def matches(row):
            if not built:
                built.append(rule._matcher())
                fname = CRITERIA[rule.criterion][1][0]
                built.append(fname)
            return bool(row[built[1]]) and built[0](row)

        return matches

    @api.model_create_multi
    def create(self, vals_list):
        rules = super().create(vals_list)
        self.env["classification.scheme"]._cpc_clear_index()
        return rules

    def write(self, vals):
        res = super().write(vals)
        self.env["classification.scheme"]._cpc_clear_index()
        return res

    def unlink(self):
        res = super().unlink()
        self.env["classification.scheme"]._cpc_clear_index()
        return res
