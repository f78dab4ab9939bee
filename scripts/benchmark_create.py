"""Benchmark of what the addon adds to creating and editing customers and products.

In a fresh database with the addon and its seeded schemes and rules active, times
in one Odoo process, each operation twice: with the addon's hooks, and with them
bypassed (the baseline: classification.mixin's create and write replaced, for the
time of the operation, by a plain call to the next class, so that everything else
Odoo and the other modules do is the same; the mixin sits near the bottom of the
models' class hierarchy, so calling "the class below it" from outside would skip
every other module's create):

- partners: 500 created one at a time, 5,000 in one batch, 500 one at a time
  changing their country and head count (what seeded rules read);
- products: 500 created one at a time, 5,000 in one batch.

Values vary so that the seeded rules match (countries, Chinese provinces, cities,
industries, head counts, goods and services). Every operation is flushed, timed, then
rolled back, so that each starts from the same database; a warm-up round runs
first. Prints every figure, its ratio to the baseline and the extra cost per record.
Run by scripts/benchmark.sh create, which prepares the database:
    benchmark_create.py --config ODOO_CONF --database DB [--single N] [--batch N]
"""

import argparse
import contextlib
import sys
import time

import odoo
from odoo import SUPERUSER_ID, api


def _mixin_class():
    # Importable once the registry has set the addons path up.
    from odoo.addons.customer_product_classification.models import (
        classification_mixin,
    )

    return classification_mixin.ClassificationMixin


class Bench:
    def __init__(self, env):
        self.env, self.cr = env, env.cr
        ref = env.ref
        self.countries = [ref("base.cn"), ref("base.hk"), ref("base.us")]
        self.states = env["res.country.state"].search(
            [("country_id", "=", ref("base.cn").id)], limit=10
        )
        self.industries = env["res.partner.industry"].search([], limit=10)
        self.cities = ["Shanghai", "Chengdu", "Foshan", "Paris", False]

    def partner_values(self, i):
        country = self.countries[i % len(self.countries)]
        return {
            "name": f"Bench Partner {i}",
            "is_company": bool(i % 2),
            "country_id": country.id,
            "state_id": self.states[i % len(self.states)].id
            if country.code == "CN" and self.states
            else False,
            "city": self.cities[i % len(self.cities)],
            "industry_id": self.industries[i % len(self.industries)].id
            if self.industries
            else False,
            "cpc_employee_count": (i * 37) % 3000,
        }

    def product_values(self, i):
        return {
            "name": f"Bench Product {i}",
            "type": ("consu", "service")[i % 2],
            "list_price": (i * 13) % 2000,
        }

    @staticmethod
    @contextlib.contextmanager
    def _hooks(active):
        if active:
            yield
            return
        ClassificationMixin = _mixin_class()
        create, write = ClassificationMixin.create, ClassificationMixin.write

        @api.model_create_multi
        def plain_create(self, vals_list):
            return super(ClassificationMixin, self).create(vals_list)

        def plain_write(self, vals):
            return super(ClassificationMixin, self).write(vals)

        ClassificationMixin.create, ClassificationMixin.write = (
            plain_create,
            plain_write,
        )
        try:
            yield
        finally:
            ClassificationMixin.create, ClassificationMixin.write = create, write

    def _create(self, model, vals_list, hooks):
        with self._hooks(hooks):
            return model.create(vals_list)

    def _write(self, records, vals, hooks):
        with self._hooks(hooks):
            return records.write(vals)

    def timed(self, function):
        started = time.perf_counter()
        function()
        self.env.flush_all()
        seconds = time.perf_counter() - started
        self.cr.rollback()
        self.env.invalidate_all()
        return seconds

    def operations(self, single, batch):
        Partner = self.env["res.partner"].with_context(tracking_disable=True)
        Product = self.env["product.template"].with_context(tracking_disable=True)

        def create_one_by_one(model, values, hooks):
            def run():
                for i in range(single):
                    self._create(model, [values(i)], hooks)

            return run

        def create_batch(model, values, hooks):
            return lambda: self._create(model, [values(i) for i in range(batch)], hooks)

        def write_one_by_one(hooks):
            def run():
                partners = Partner.search(
                    [("name", "=like", "Bench Existing %")], limit=single
                )
                for i, partner in enumerate(partners):
                    self._write(
                        partner,
                        {
                            "country_id": self.countries[(i + 1) % 3].id,
                            "cpc_employee_count": (i * 53) % 3000,
                        },
                        hooks,
                    )

            return run

        return [
            (
                f"partners: {single} created one at a time",
                single,
                lambda hooks: create_one_by_one(Partner, self.partner_values, hooks),
            ),
            (
                f"partners: {batch} created in one batch",
                batch,
                lambda hooks: create_batch(Partner, self.partner_values, hooks),
            ),
            (f"partners: {single} country/head-count writes", single, write_one_by_one),
            (
                f"products: {single} created one at a time",
                single,
                lambda hooks: create_one_by_one(Product, self.product_values, hooks),
            ),
            (
                f"products: {batch} created in one batch",
                batch,
                lambda hooks: create_batch(Product, self.product_values, hooks),
            ),
        ]

    def prepare(self, single):
        Partner = self.env["res.partner"].with_context(tracking_disable=True)
        Partner.create(
            [
                dict(self.partner_values(i), name=f"Bench Existing {i}")
                for i in range(single)
            ]
        )
        self.cr.commit()

    def check_bypass(self):
        """The baseline really skips the addon: no rule places the records."""
        partner = self._create(
            self.env["res.partner"], [self.partner_values(1)], hooks=False
        )
        assert not partner.classification_auto_scheme_ids, "bypass ran the rules"
        partner = self._create(
            self.env["res.partner"], [self.partner_values(1)], hooks=True
        )
        assert partner.classification_auto_scheme_ids, "no seeded rule reacted"
        self.cr.rollback()
        self.env.invalidate_all()


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--single", type=int, default=500)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    odoo.tools.config.parse_config(
        ["-c", args.config, "-d", args.database, "--log-level=warn"]
    )
    registry = odoo.modules.registry.Registry(args.database)
    out = sys.stdout
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, SUPERUSER_ID, {})
        bench = Bench(env)
        bench.prepare(args.single)
        bench.check_bypass()
        schemes = env["classification.scheme"].search([])
        rules = env["classification.rule"].search_count([])
        out.write(
            f"active seeded schemes: {len(schemes)}, active rules: {rules}; "
            f"{args.rounds} rounds after a warm-up, best round kept\n"
        )
        operations = bench.operations(args.single, args.batch)
        for __, __, build in operations:  # warm-up: caches, prepared statements
            bench.timed(build(True))
            bench.timed(build(False))
        for label, count, build in operations:
            best = {True: float("inf"), False: float("inf")}
            for __ in range(args.rounds):
                # Alternate which goes first, so neither gains from the other.
                for hooks in (False, True) if __ % 2 else (True, False):
                    best[hooks] = min(best[hooks], bench.timed(build(hooks)))
            with_hooks, bypassed = best[True], best[False]
            out.write(
                f"{label}: {with_hooks:.2f} s with the addon, {bypassed:.2f} s "
                f"bypassed ({with_hooks / bypassed:.2f} x), "
                f"{(with_hooks - bypassed) * 1000 / count:+.2f} ms per record\n"
            )


if __name__ == "__main__":
    main(sys.argv[1:])
