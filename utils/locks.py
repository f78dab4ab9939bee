# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Locks that keep concurrent runs of the same work apart.

A run takes a PostgreSQL transaction-level advisory lock before it writes
anything; the lock goes with its transaction (commit, rollback, or rollback to
a savepoint taken before it), so a crashed worker never leaves one behind, and
taking it again in the same transaction always succeeds.

Key scheme: the two-int form ``pg_try_advisory_xact_lock(namespace, key)``.
``namespace`` is the CRC-32 of ``"customer_product_classification.<purpose>"``
read as a signed 32-bit int, so it cannot meet another addon's single-bigint
keys (PostgreSQL keeps the two forms apart) and purposes never share keys;
``key`` identifies what is worked on:

- ``classify``: the company id, one customer classification run per company;
- ``categories``: the ``ir.model`` id of the classified model (res.partner,
  product.template), for bulk writes of scheme categories (imports, queued
  rules, the "apply rules" server action). Records of one kind may be shared by
  companies, so the whole kind is locked.

People are told plainly (:class:`WorkInProgress`, a UserError); scheduled
actions skip the busy work and call themselves again later
(:func:`retry_cron_later`).
"""

import logging
import zlib
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

MODULE = "customer_product_classification"
# How long a scheduled action waits before trying busy work again.
RETRY_DELAY = timedelta(minutes=5)
# Errors a concurrent transaction causes: the work is busy, not broken.
CONCURRENCY_ERRORS = PG_CONCURRENCY_EXCEPTIONS_TO_RETRY


class WorkInProgress(UserError):
    """Another transaction holds the lock of this work."""


def namespace(purpose):
    """The first key of a purpose's locks (see the module's docstring)."""
    value = zlib.crc32(f"{MODULE}.{purpose}".encode())
    return value - (1 << 32) if value >= 1 << 31 else value


def try_lock(env, purpose, key):
    """Take the lock of ``purpose`` on ``key`` (an int) for the transaction.

    :return: whether it was free (or already ours).
    """
    env.cr.execute(
        SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", namespace(purpose), key)
    )
    return env.cr.fetchone()[0]


def lock_or_raise(env, purpose, key, message):
    """Take the lock, or raise :class:`WorkInProgress` with ``message``."""
    if not try_lock(env, purpose, key):
        raise WorkInProgress(message)


def lock_company_classification(env, company):
    """One customer classification run per company at a time."""
    lock_or_raise(
        env,
        "classify",
        company.id,
        env._(
            "The customers of %(company)s are being classified by another run "
            "(the scheduled action or another manager). Try again when it has "
            "finished, in a few minutes.",
            company=company.name,
        ),
    )


def lock_categories(env, model_name):
    """One bulk write of scheme categories per kind of record at a time."""
    Scheme = env["classification.scheme"]
    labels = dict(Scheme._fields["applies_to"]._description_selection(env))
    lock_or_raise(
        env,
        "categories",
        env["ir.model"]._get_id(model_name),
        env._(
            "Another import or application of rules is changing the categories "
            "of %(records)s. Try again when it has finished, in a few minutes.",
            records=labels[Scheme._kind_for(model_name)],
        ),
    )


def categories_free_for_cron(schemes, xmlid):
    """Of ``schemes``, those whose records' categories this transaction could
    lock; the scheduled action ``xmlid`` is called again for the others."""
    free_models = set()
    for model_name in {scheme._target_model() for scheme in schemes}:
        try:
            lock_categories(schemes.env, model_name)
        except WorkInProgress:
            retry_cron_later(schemes.env, xmlid, f"Rules of {model_name}")
        else:
            free_models.add(model_name)
    return schemes.filtered(lambda scheme: scheme._target_model() in free_models)


def retry_cron_later(env, xmlid, what):
    """Skip busy work: log it and call the scheduled action ``xmlid`` again
    after :data:`RETRY_DELAY` (its regular call may be a day away)."""
    _logger.info("%s is busy in another transaction: retried later", what)
    cron = env.ref(xmlid).sudo()
    now = fields.Datetime.now()
    # Several busy companies or kinds in one call need one retry, not several.
    if (
        not env["ir.cron.trigger"]
        .sudo()
        .search_count(
            [
                ("cron_id", "=", cron.id),
                ("call_at", ">", now),
                ("call_at", "<=", now + RETRY_DELAY),
            ],
            limit=1,
        )
    ):
        cron._trigger(now + RETRY_DELAY)
