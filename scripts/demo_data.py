"""Fill a demo database with a realistic, seeded multi-year sales history, run every
classification the addon has, and print a short summary.

Run by scripts/demo.sh with Odoo on the Python path:
    demo_data.py --config ODOO_CONF --database DB [--customers N] [--products N]
                 [--orders N] [--years N] [--seed N]

The history is shaped like a real one: a few customers buy much more than the rest,
some are new, some went silent, some came back; orders are placed by contacts and
addresses as well as by the companies themselves; a share of them is in foreign
currencies at the rate of their day; some quotations stay drafts and some orders are
cancelled.
"""

import argparse
import math
import random
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timedelta

import odoo
from odoo import SUPERUSER_ID, Command
from odoo.tools import SQL

COMPANY_WORDS = [
    "Acme",
    "Apex",
    "Atlas",
    "Aurora",
    "Beacon",
    "Bluewave",
    "Cedar",
    "Crest",
    "Delta",
    "Eastwind",
    "Evergreen",
    "Falcon",
    "Golden",
    "Granite",
    "Harbor",
    "Horizon",
    "Huaxin",
    "Jinlong",
    "Keystone",
    "Lotus",
    "Maple",
    "Meridian",
    "Nova",
    "Oakridge",
    "Orion",
    "Pacific",
    "Pinnacle",
    "Redwood",
    "Riverside",
    "Sanhe",
    "Silver",
    "Summit",
    "Sunrise",
    "Taihe",
    "Tianyu",
    "Unity",
    "Vertex",
    "Westgate",
    "Yongsheng",
    "Zenith",
]
COMPANY_KINDS = (
    "Trading Co.",
    "Industries",
    "Electronics",
    "Manufacturing Ltd.",
    "Logistics",
    "Retail Group",
    "Engineering",
    "Foods",
    "Hospital",
    "University",
    "Supplies",
    "Technology",
)
FIRST_NAMES = [
    "Wei",
    "Fang",
    "Lei",
    "Jing",
    "Min",
    "Tao",
    "Yan",
    "Hui",
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Felix",
    "Grace",
    "Henry",
    "Iris",
    "Jack",
    "Lena",
    "Marco",
    "Nina",
    "Oscar",
    "Paula",
    "Quentin",
    "Rosa",
    "Sam",
    "Tina",
    "Victor",
]
LAST_NAMES = [
    "Wang",
    "Li",
    "Zhang",
    "Liu",
    "Chen",
    "Yang",
    "Zhao",
    "Huang",
    "Zhou",
    "Wu",
    "Smith",
    "Muller",
    "Martin",
    "Rossi",
    "Garcia",
    "Tanaka",
    "Kim",
    "Novak",
    "Dubois",
    "Jensen",
]
PRODUCT_FAMILIES = {
    "Fasteners": (
        "Hex Bolt M{n}",
        "Lock Nut M{n}",
        "Flat Washer {n} mm",
        "Wood Screw {n}",
    ),
    "Electrical": ("Copper Cable {n} m", "Circuit Breaker {n} A", "LED Panel {n} W"),
    "Packaging": ("Carton Box {n} L", "Stretch Film {n} um", "Pallet Label Roll {n}"),
    "Safety": ("Safety Gloves Size {n}", "Hard Hat Model {n}", "Safety Boots {n}"),
    "Office": ("Printer Paper {n} Sheets", "Ink Cartridge {n}", "Office Chair {n}"),
}
SERVICES = ("Installation Service", "Maintenance Contract", "On-site Training")
COUNTRIES = ("cn", "cn", "cn", "us", "de", "fr", "jp", "uk", "sg", "au")
# Each city with the state it lies in (the xmlid of base's res.country.state),
# None where Odoo has no states for the country. Chinese cities are written in
# English or in Chinese, as customers type them: the city-tier rules read both.
CITIES = {
    "cn": (
        ("上海", "state_cn_SH"),
        ("Beijing", "state_cn_BJ"),
        ("天津", "state_cn_TJ"),
        ("深圳", "state_cn_GD"),
        ("Guangzhou", "state_cn_GD"),
        ("佛山", "state_cn_GD"),
        ("Hangzhou", "state_cn_ZJ"),
        ("宁波", "state_cn_ZJ"),
        ("Wuxi", "state_cn_JS"),
        ("苏州", "state_cn_JS"),
        ("成都", "state_cn_SC"),
        ("Chongqing", "state_cn_CQ"),
        ("武汉", "state_cn_HB"),
        ("Yichang", "state_cn_HB"),
        ("Changsha", "state_cn_HN"),
        ("郑州", "state_cn_HA"),
        ("Qingdao", "state_cn_SD"),
        ("厦门", "state_cn_FJ"),
        ("西安", "state_cn_SN"),
        ("Dalian", "state_cn_LN"),
    ),
    "us": (
        ("San Francisco", "state_us_5"),
        ("Los Angeles", "state_us_5"),
        ("Houston", "state_us_44"),
        ("Chicago", "state_us_14"),
        ("Seattle", "state_us_48"),
        ("Miami", "state_us_10"),
        ("Baltimore", "state_us_33"),
    ),
    "de": (
        ("München", "state_de_by"),
        ("Berlin", "state_de_be"),
        ("Hamburg", "state_de_hh"),
        ("Köln", "state_de_nw"),
        ("Stuttgart", "state_de_bw"),
        ("Frankfurt am Main", "state_de_he"),
    ),
    "fr": (("Paris", None), ("Lyon", None), ("Marseille", None), ("Toulouse", None)),
    "jp": (
        ("Tokyo", "state_jp_jp-13"),
        ("Osaka", "state_jp_jp-27"),
        ("Nagoya", "state_jp_jp-23"),
        ("Yokohama", "state_jp_jp-14"),
        ("Fukuoka", "state_jp_jp-40"),
        ("Sapporo", "state_jp_jp-01"),
    ),
    "uk": (
        ("London", "state_uk117"),
        ("Liverpool", "state_uk76"),
        ("Birmingham", "state_uk108"),
    ),
    "sg": (("Singapore", None),),
    "au": (
        ("Sydney", "state_au_2"),
        ("Melbourne", "state_au_7"),
        ("Brisbane", "state_au_4"),
    ),
}
HEADCOUNTS = (4, 25, 60, 180, 450, 1200, 5000)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--products", type=int, default=200)
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    for name in ("customers", "products", "orders", "years"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


class DemoHistory:
    """Builds the companies, customers, products and orders of the demo."""

    def __init__(self, env, args):
        self.env = env
        self.args = args
        self.rng = random.Random(args.seed)
        self.today = date.today()
        self.start = self.today - timedelta(days=365 * args.years)

    # -- companies, currencies, pricelists --------------------------------------
    def setup_companies(self):
        env = self.env
        main = env.ref("base.main_company")
        main.write({"name": "Demo Trading Co.", "country_id": env.ref("base.us").id})
        cny = env.ref("base.CNY")
        eur = env.ref("base.EUR")
        (cny | eur).active = True
        shanghai = env["res.company"].search([("name", "=", "Demo Trading (Shanghai)")])
        if not shanghai:
            shanghai = env["res.company"].create(
                {
                    "name": "Demo Trading (Shanghai)",
                    "currency_id": cny.id,
                    # No country and no e-mail: a country would install its
                    # localization, an e-mail domain an online enrichment.
                    "iap_enrich_auto_done": True,
                }
            )
        env.user.company_ids |= shanghai
        self.companies = main | shanghai
        self._create_rates(main, {eur: 0.92, cny: 7.10})
        self._create_rates(shanghai, {env.ref("base.USD"): 1 / 7.10, eur: 0.92 / 7.10})
        pricelists = env["product.pricelist"]
        for company, currency in (
            (main, eur),
            (main, cny),
            (shanghai, env.ref("base.USD")),
        ):
            pricelists |= pricelists.create(
                {
                    "name": f"{company.name} {currency.name}",
                    "currency_id": currency.id,
                    "company_id": company.id,
                }
            )
        self.foreign_pricelists = {
            company: pricelists.filtered(lambda p, c=company: p.company_id == c)
            for company in self.companies
        }

    def _create_rates(self, company, base_rates):
        """Monthly rates over the whole history, drifting a little, as real ones do."""
        values = []
        for currency, base in base_rates.items():
            rate, day = base, self.start.replace(day=1)
            while day <= self.today:
                rate *= math.exp(self.rng.gauss(0, 0.015))
                values.append(
                    {
                        "currency_id": currency.id,
                        "company_id": company.id,
                        "name": day,
                        "rate": rate,
                    }
                )
                day = (day + timedelta(days=32)).replace(day=1)
        self.env["res.currency.rate"].create(values)

    # -- products ----------------------------------------------------------------
    def create_products(self):
        env, rng = self.env, self.rng
        categories = {
            family: env["product.category"].create({"name": family})
            for family in PRODUCT_FAMILIES
        }
        values = []
        for index in range(self.args.products):
            if index % 25 == 24:
                name, family = f"{rng.choice(SERVICES)} {index // 25 + 1}", "Office"
                kind = "service"
            else:
                family = rng.choice(list(PRODUCT_FAMILIES))
                template = rng.choice(PRODUCT_FAMILIES[family])
                name, kind = (
                    template.format(n=rng.randint(2, 64)) + f" #{index}",
                    "consu",
                )
            values.append(
                {
                    "name": name,
                    "type": kind,
                    "categ_id": categories[family].id,
                    "list_price": round(math.exp(rng.gauss(3.2, 1.0)), 2),
                    "default_code": f"DEMO-{index + 1:05d}",
                    "sale_ok": True,
                }
            )
        self.products = env["product.product"].create(values)
        # Popularity follows a Zipf law, so that ABC classes are meaningful.
        self.product_weights = [
            1 / (rank + 1) ** 0.9 for rank in range(len(self.products))
        ]

    # -- customers -----------------------------------------------------------------
    def create_customers(self):
        env, rng = self.env, self.rng
        countries = {code: env.ref(f"base.{code}") for code in set(COUNTRIES)}
        industries = env["res.partner.industry"].search([])
        values = []
        for index in range(self.args.customers):
            code = rng.choice(COUNTRIES)
            country = countries[code]
            city, state = rng.choice(CITIES[code])
            address = {
                "country_id": country.id,
                "city": city,
                "state_id": state and env.ref(f"base.{state}").id,
            }
            if rng.random() < 0.65:
                name = (
                    f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_WORDS)} "
                    f"{rng.choice(COMPANY_KINDS)}"
                )
                children = [
                    Command.create(
                        {
                            "name": self._person_name(),
                            "type": rng.choice(
                                ("contact", "contact", "invoice", "delivery")
                            ),
                            "email": f"contact{index}.{child}@example.com",
                        }
                    )
                    for child in range(rng.randint(1, 3))
                ]
                values.append(
                    {
                        "name": f"{name} ({index + 1})",
                        "is_company": True,
                        "cpc_employee_count": rng.choice(HEADCOUNTS),
                        "industry_id": industries and rng.choice(industries).id,
                        "child_ids": children,
                        "email": f"info{index}@example.com",
                        **address,
                    }
                )
            else:
                values.append(
                    {
                        "name": self._person_name(),
                        "email": f"person{index}@example.com",
                        **address,
                    }
                )
        # The seeded rules place them by type, size, industry, region and city.
        self.customers = env["res.partner"].create(values)
        # Each customer belongs to the company that sells to it (see
        # create_orders): only that company reads its chatter, so the
        # classification may note its changes there, in its readers' language.
        main, shanghai = self.companies
        for company, customers in (
            (shanghai, self.customers.filtered(lambda c: self._seller_is_branch(c))),
            (main, self.customers.filtered(lambda c: not self._seller_is_branch(c))),
        ):
            customers.company_id = company

    @staticmethod
    def _seller_is_branch(customer):
        return customer.id % 7 == 0

    def _person_name(self):
        return f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"

    def _customer_profiles(self):
        """Give each customer a spending weight and the span of days it buys in.

        One in ten never buys (prospects); the others start and stop at random
        points of the history, and some stopped for a while and came back.
        """
        rng, days = self.rng, (self.today - self.start).days
        profiles = []
        for customer in self.customers:
            if rng.random() < 0.10:
                continue
            weight = math.exp(rng.gauss(0, 1.3))
            first = rng.randint(0, days - 1)
            last = days if rng.random() < 0.6 else rng.randint(first, days)
            gap = None
            if rng.random() < 0.12 and last - first > 300:
                gap_start = rng.randint(first, last - 250)
                gap = (gap_start, gap_start + rng.randint(200, 240))
            profiles.append((customer, weight, first, last, gap))
        return profiles

    # -- orders ------------------------------------------------------------------
    def create_orders(self, batch_size=250):
        env, rng = self.env, self.rng
        profiles = self._customer_profiles()
        weights = [profile[1] for profile in profiles]
        main, shanghai = self.companies
        values, dates = [], []
        for _ in range(self.args.orders):
            customer, _weight, first, last, gap = rng.choices(profiles, weights)[0]
            day = rng.randint(first, last)
            if gap and gap[0] <= day <= gap[1]:
                day = gap[1] + 1 if gap[1] + 1 <= last else gap[0] - 1
            order_date = datetime.combine(
                self.start + timedelta(days=day), datetime.min.time()
            ) + timedelta(hours=rng.randint(8, 18), minutes=rng.randint(0, 59))
            company = shanghai if self._seller_is_branch(customer) else main
            partner = customer
            if customer.child_ids and rng.random() < 0.45:
                partner = rng.choice(customer.child_ids)
            lines = [
                Command.create(
                    {
                        "product_id": product.id,
                        "product_uom_qty": max(1, round(math.exp(rng.gauss(1.5, 0.9)))),
                    }
                )
                # Sorted: set order changes between runs, the seed must not.
                for product in self.products.browse(
                    sorted(
                        {
                            self.products[i].id
                            for i in rng.choices(
                                range(len(self.products)),
                                self.product_weights,
                                k=rng.randint(1, 5),
                            )
                        }
                    )
                )
            ]
            order = {
                "partner_id": partner.id,
                "company_id": company.id,
                "date_order": order_date,
                "order_line": lines,
            }
            if rng.random() < 0.2:
                order["pricelist_id"] = rng.choice(self.foreign_pricelists[company]).id
            values.append(order)
            dates.append(order_date)
        orders = env["sale.order"]
        for start in range(0, len(values), batch_size):
            orders |= orders.create(values[start : start + batch_size])
        self.orders, self.order_dates = orders, dates

    def settle_orders(self):
        """Confirm most orders, cancel some, leave some quotations; lock a share."""
        rng = self.rng
        fate = {"sale": [], "cancel": [], "draft": []}
        for order in self.orders:
            roll = rng.random()
            state = "draft" if roll < 0.04 else "cancel" if roll < 0.08 else "sale"
            fate[state].append(order.id)
        orders = self.env["sale.order"]
        to_confirm = orders.browse(fate["sale"])
        for company in self.companies:
            to_confirm.filtered(lambda o, c=company: o.company_id == c).with_company(
                company
            ).action_confirm()
        orders.browse(fate["cancel"])._action_cancel()
        to_confirm.filtered(lambda o: rng.random() < 0.3).action_lock()
        # Confirming stamps today's date on an order: put back the date it was placed.
        self.env.flush_all()
        rows = SQL(", ").join(
            SQL("(%s, %s::timestamp)", order.id, order_date)
            for order, order_date in zip(self.orders, self.order_dates, strict=True)
        )
        self.env.cr.execute(
            SQL(
                "UPDATE sale_order SET date_order = v.date_order "
                "FROM (VALUES %s) AS v(id, date_order) WHERE sale_order.id = v.id",
                rows,
            )
        )
        self.orders.invalidate_recordset(["date_order"], flush=False)

    # -- the people who read it ------------------------------------------------
    def create_readers(self):
        """A sales manager per company, each reading Odoo in their own language:
        the Shanghai branch works in Chinese."""
        env = self.env
        env["res.lang"]._activate_lang("zh_CN")
        env["ir.module.module"].search(
            [("state", "=", "installed")]
        )._update_translations("zh_CN")
        main, shanghai = self.companies
        groups = [Command.link(env.ref("sales_team.group_sale_manager").id)]
        for login, name, lang, company in (
            ("manager", "Emma Miller", "en_US", main),
            ("wang", "王芳", "zh_CN", shanghai),
        ):
            env["res.users"].with_context(no_reset_password=True).create(
                {
                    "login": login,
                    "password": login,
                    "name": name,
                    "lang": lang,
                    "tz": "Asia/Shanghai" if lang == "zh_CN" else "America/New_York",
                    "company_id": company.id,
                    "company_ids": [Command.set([company.id])],
                    "groups_id": groups,
                    "email": f"{login}@example.com",
                }
            )

    def build(self):
        for step in (
            self.setup_companies,
            self.create_readers,
            self.create_products,
            self.create_customers,
            self.create_orders,
            self.settle_orders,
        ):
            started = time.time()
            step()
            log(f"{step.__name__.replace('_', ' ')}: {time.time() - started:.1f} s")


def readers_language(env, company):
    """The language of the company's classification users when they share one
    (the chatter notes of its customers are theirs alone), else English."""
    users = env.ref("customer_product_classification.group_classification_user").users
    langs = set(users.filtered(lambda user: user.company_ids == company).mapped("lang"))
    return langs.pop() if len(langs) == 1 else "en_US"


def classify_customers(env):
    """Customer value: RFM segments, value tiers and lifecycle stages, per company.

    Classified first as of a quarter ago, then today: the history and the
    customers' chatter then show how their classes moved since.
    """
    lines = ["Customer classes:"]
    today = date.today()
    for company in env["res.company"].search([]):
        classification = env["partner.classification"].with_company(company)
        classification._cpc_classify(company, reference_date=today - timedelta(days=91))
        # The notes this run leaves on the customers' chatter speak its language.
        result = classification.with_context(
            lang=readers_language(env, company)
        )._cpc_classify(company)
        classified = classification.search_count([("company_id", "=", company.id)])
        lines.append(
            f"  {company.name}: {classified} customers classified, "
            f"{result['done']} changed in the last quarter"
        )
        for field, label in (
            ("tier_id", "tier"),
            ("segment_id", "segment"),
            ("stage", "stage"),
        ):
            groups = classification.with_company(company)._read_group(
                [("company_id", "=", company.id)], [field], ["__count"]
            )
            if field == "stage":
                names = dict(classification._fields["stage"].selection)
                counts = [(names.get(value, "-"), count) for value, count in groups]
            else:
                counts = [(value.display_name or "-", count) for value, count in groups]
            listed = ", ".join(f"{name} {count}" for name, count in counts)
            lines.append(f"    by {label}: {listed}")
    return lines


def classify_by_schemes(env):
    """Schemes: by hand for what no rule knows (channels, needs), then counts."""
    rng = random.Random(7)
    ref = env.ref
    module = "customer_product_classification"
    customers = env["res.partner"].search(
        [("parent_id", "=", False), ("email", "=like", "%@example.com")], order="id"
    )
    channels = [
        ref(f"{module}.category_channel_{key}")
        for key in ("online", "offline", "direct", "distribution")
    ]
    needs = [
        ref(f"{module}.category_needs_{key}")
        for key in ("price", "brand", "quality", "functional", "emotional")
    ]
    account_values = [
        ref(f"{module}.category_account_value_{key}")
        for key in ("key", "strategic", "profit", "non_profit")
    ]
    channel_field = ref(f"{module}.scheme_channel").field_name
    needs_field = ref(f"{module}.scheme_needs").field_name
    account_field = ref(f"{module}.scheme_account_value").field_name
    # One write per combination, as an import would do it. A sales manager
    # judges the account value of only some customers.
    groups = defaultdict(list)
    for customer in customers:
        pair = tuple(sorted(c.id for c in rng.sample(channels, 2)))
        account = (
            rng.choices(account_values, (1, 2, 5, 2))[0].id
            if rng.random() < 0.4
            else False
        )
        groups[pair, rng.choice(needs).id, account].append(customer.id)
    for (pair, need, account), ids in groups.items():
        customers.browse(ids).write(
            {
                channel_field: [Command.set(list(pair))],
                needs_field: [Command.set([need])],
                account_field: account,
            }
        )
    products = env["product.template"].search([("default_code", "=like", "DEMO-%")])
    place_products_by_hand(env, products, rng)
    lines = ["Classification schemes:"]
    for scheme in env["classification.scheme"].search([]):
        Target = env[scheme._target_model()]
        domain = [
            (
                "id",
                "in",
                (customers if scheme.applies_to == "partner" else products).ids,
            )
        ]
        groups = Target._read_group(domain, [scheme.field_name], ["__count"])
        placed = [(value.display_name, count) for value, count in groups if value]
        if not placed:
            continue
        placed.sort(key=lambda item: -item[1])
        listed = ", ".join(f"{name} {count}" for name, count in placed[:6])
        lines.append(f"  {scheme.name}: {listed}")
    return lines


# Product families that wear out slowly; the others are bought again and again.
DURABLE_FAMILIES = {"Electrical", "Safety"}


def place_products_by_hand(env, products, rng):
    """Every product scheme the rules leave to people, filled for some products:
    positioning by price, durability by family, made to order for a few, markets
    and sales channels as a product manager would tick them."""
    module = "customer_product_classification"

    def category(key):
        return env.ref(f"{module}.category_{key}").id

    def field(scheme):
        return env.ref(f"{module}.scheme_{scheme}").field_name

    goods = products.filtered(lambda p: p.type != "service")
    median = sorted(goods.mapped("list_price"))[len(goods) // 2] if goods else 0
    channels = [
        category(f"product_channel_{key}")
        for key in ("online", "offline", "direct", "distribution")
    ]
    groups = defaultdict(list)
    for product in goods:
        values = (
            (
                field("positioning"),
                category(
                    "positioning_high_end"
                    if product.list_price > median
                    else "positioning_mass"
                ),
            ),
            (
                field("nature"),
                category(
                    "nature_durable"
                    if product.categ_id.name in DURABLE_FAMILIES
                    else "nature_fmcg"
                ),
            ),
            (
                field("make"),
                category("make_custom" if rng.random() < 0.15 else "make_standard"),
            ),
            (
                field("market"),
                tuple(
                    sorted(
                        [category("market_domestic")]
                        + (
                            [category("market_international")]
                            if rng.random() < 0.35
                            else []
                        )
                    )
                ),
            ),
            (
                field("product_channel"),
                tuple(sorted(rng.sample(channels, rng.randint(1, 2)))),
            ),
        )
        # A share of the catalogue is still waiting for its product manager.
        if rng.random() < 0.15:
            values = values[:2]
        groups[values].append(product.id)
    multiple = {field("market"), field("product_channel")}
    for values, ids in groups.items():
        products.browse(ids).write(
            {
                name: [Command.set(list(value))] if name in multiple else value
                for name, value in values
            }
        )


# Each entry runs one classification of the addon and returns its summary lines.
def classify_products(env):
    """Product ABC/XYZ classes per company, and how many products each has."""
    classification = env["product.classification"]
    lines = ["Product classes:"]
    for company in env["res.company"].search([]):
        result = classification.with_company(company)._cpc_classify_products(company)
        lines.append(f"  {company.name}: {result['done']} products classified")
        groups = classification._read_group(
            [("company_id", "=", company.id)],
            ["abc_xyz_class", "xyz_class"],
            ["__count"],
        )
        names = dict(classification._fields["xyz_class"].selection)
        counts = sorted(
            (
                code
                if xyz in ("x", "y", "z")
                else f"{code or '-'} ({names.get(xyz, '-')})",
                count,
            )
            for code, xyz, count in groups
        )
        lines.append("    by class: " + ", ".join(f"{c} {n}" for c, n in counts))
    return lines


CLASSIFICATIONS = [classify_customers, classify_products, classify_by_schemes]


def summarise_history(env):
    orders = env["sale.order"].search([])
    lines = ["Sales history:"]
    for company in env["res.company"].search([]):
        mine = orders.filtered(lambda o, c=company: o.company_id == c)
        confirmed = mine.filtered(lambda o: o.state == "sale")
        if not mine:
            continue
        cancelled = mine.filtered(lambda o: o.state == "cancel")
        quotations = mine.filtered(lambda o: o.state in ("draft", "sent"))
        revenue = sum(o.amount_untaxed / (o.currency_rate or 1.0) for o in confirmed)
        lines.append(
            f"  {company.name}: {len(confirmed)} confirmed orders "
            f"({len(cancelled)} cancelled, {len(quotations)} quotations), "
            f"{len(confirmed.partner_id.commercial_partner_id)} buying customers, "
            f"revenue {revenue:,.0f} {company.currency_id.name}"
        )
    confirmed = orders.filtered(lambda o: o.state == "sale")
    if confirmed:
        first = min(confirmed.mapped("date_order")).date()
        last = max(confirmed.mapped("date_order")).date()
        lines.append(f"  orders from {first} to {last}")
    currencies = sorted(set(confirmed.currency_id.mapped("name")))
    lines.append(f"  order currencies: {', '.join(currencies)}")
    customers = env["res.partner"].search_count(
        [("parent_id", "=", False), ("email", "!=", False)]
    )
    contacts = env["res.partner"].search_count([("parent_id", "!=", False)])
    products = env["product.product"].search_count(
        [("default_code", "=like", "DEMO-%")]
    )
    lines.append(f"  {customers} customers, {contacts} contacts, {products} products")
    return lines


def log(message):
    sys.stderr.write(f"[demo] {message}\n")
    sys.stderr.flush()


def main(argv):
    args = parse_args(argv)
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(
            cr,
            SUPERUSER_ID,
            {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True},
        )
        log(
            f"building {args.customers} customers, {args.products} products, "
            f"{args.orders} orders over {args.years} years (seed {args.seed})"
        )
        DemoHistory(env, args).build()
        env.flush_all()
        lines = summarise_history(env)
        for classify in CLASSIFICATIONS:
            started = time.time()
            lines += classify(env)
            log(f"{classify.__name__}: {time.time() - started:.1f} s")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
