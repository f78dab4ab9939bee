# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Codes that never collide: the database's unique indexes and their exceptions.

A code is unique within its company, and a record shared between companies
(no company) has a code no other record has. PostgreSQL guarantees the first
two with partial unique indexes, without regard to case:

- ``<table>_cpc_code_company_uniq``: (company, lower(code)) where the company
  is set;
- ``<table>_cpc_code_shared_uniq``: (lower(code)) where the company is NULL.

A shared record against a company's record cannot be told by a unique index:
the ORM refuses it (see :func:`first_clash`), and two transactions never both
pass that check with one code: every code, numbered by a rule or typed by a
person, is first claimed in ``classification_code_claim`` (:func:`claim_codes`,
:func:`check_codes_free`), whose primary key makes two transactions giving the
same code wait for each other, and the second one retry (and then see the
first one's code).

Codes are compared without regard to case (``EAST-0001`` is ``east-0001``):
the checks use ``lower()`` over expression indexes.

Rows that collided before the indexes existed carry the collision flag: the
indexes leave them out, the collision screens list them, and the flag goes as
soon as the row no longer collides (:func:`refresh_collisions`), so from then
on the indexes hold it too.
"""

import unicodedata

from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .codes import INVISIBLE_CATEGORIES

# Columns the addon adds to the coded tables.
FLAG_COLUMN = "cpc_code_collision"
# The kind of code claims (classification_code_claim.kind) of each coded model:
# a product's code is its template's and its variants'.
CLAIM_KINDS = {
    "res.partner": "partner",
    "product.template": "product",
    "product.product": "product",
}


def _clash_condition(table, column, company_column, alias_a, alias_b):
    return SQL(
        "%(b)s.%(col)s <> '' AND lower(%(b)s.%(col)s) = lower(%(a)s.%(col)s) "
        "AND %(b)s.id <> %(a)s.id AND ("
        "%(a)s.%(co)s IS NULL OR %(b)s.%(co)s IS NULL OR %(a)s.%(co)s = %(b)s.%(co)s)",
        a=SQL.identifier(alias_a),
        b=SQL.identifier(alias_b),
        col=SQL.identifier(column),
        co=SQL.identifier(company_column),
    )


def refresh_collisions(cr, table, column, company_column, ids=None):
    """Flag the rows whose code another row of their scope has, unflag the
    others. With ``ids``, only these rows and the flagged ones are looked at
    (after a write of codes); without, the whole table (installation)."""
    clash = _clash_condition(table, column, company_column, "a", "b")
    scope = SQL("TRUE") if ids is None else SQL("a.id = ANY(%s)", list(ids))
    cr.execute(
        SQL(
            """
            UPDATE %(table)s t SET %(flag)s = TRUE
             WHERE t.%(flag)s IS NOT TRUE AND t.id IN (
                   SELECT a.id FROM %(table)s a
                    WHERE %(scope)s AND a.%(col)s <> '' AND EXISTS (
                          SELECT 1 FROM %(table)s b WHERE %(clash)s))
            """,
            table=SQL.identifier(table),
            flag=SQL.identifier(FLAG_COLUMN),
            col=SQL.identifier(column),
            scope=scope,
            clash=clash,
        )
    )
    flagged = cr.rowcount
    cr.execute(
        SQL(
            """
            UPDATE %(table)s a SET %(flag)s = NULL
             WHERE a.%(flag)s AND (a.%(col)s IS NULL OR a.%(col)s = '' OR NOT EXISTS (
                   SELECT 1 FROM %(table)s b WHERE %(clash)s))
            """,
            table=SQL.identifier(table),
            flag=SQL.identifier(FLAG_COLUMN),
            col=SQL.identifier(column),
            clash=clash,
        )
    )
    return flagged


def ensure_unique_indexes(cr, table, column, company_column):
    """Flag the existing collisions, then create the unique indexes (once).

    Run at each installation and update: the flags make the creation succeed
    over a database whose codes already collide.
    """
    refresh_collisions(cr, table, column, company_column)
    base = SQL(
        "%s IS NOT NULL AND %s <> '' AND %s IS NOT TRUE",
        SQL.identifier(column),
        SQL.identifier(column),
        SQL.identifier(FLAG_COLUMN),
    )
    indexes = {
        f"{table}_cpc_code_company_uniq": SQL(
            "(%s, lower(%s)) WHERE %s AND %s IS NOT NULL",
            SQL.identifier(company_column),
            SQL.identifier(column),
            base,
            SQL.identifier(company_column),
        ),
        f"{table}_cpc_code_shared_uniq": SQL(
            "(lower(%s)) WHERE %s AND %s IS NULL",
            SQL.identifier(column),
            base,
            SQL.identifier(company_column),
        ),
    }
    for name, definition in indexes.items():
        # Indexes of earlier versions compared codes with their case.
        cr.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = %s AND tablename = %s",
            [name, table],
        )
        found = cr.fetchone()
        if found and "lower(" not in found[0]:
            cr.execute(SQL("DROP INDEX %s", SQL.identifier(name)))
        cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s %s",
                SQL.identifier(name),
                SQL.identifier(table),
                definition,
            )
        )
    ensure_lower_index(cr, table, column)
    cr.execute(
        SQL(
            "CREATE INDEX IF NOT EXISTS %s ON %s (id) WHERE %s",
            SQL.identifier(f"{table}_cpc_code_collision_index"),
            SQL.identifier(table),
            SQL.identifier(FLAG_COLUMN),
        )
    )


def ensure_lower_index(cr, table, column):
    """The index the case-insensitive checks of codes use."""
    cr.execute(
        SQL(
            "CREATE INDEX IF NOT EXISTS %s ON %s (lower(%s)) WHERE %s <> ''",
            SQL.identifier(f"{table}_{column}_cpc_lower_index"),
            SQL.identifier(table),
            SQL.identifier(column),
            SQL.identifier(column),
        )
    )


def codes_in_use(cr, table, column, codes):
    """Of ``codes``, those a row of ``table`` or the code history holds,
    without regard to case."""
    if not codes:
        return set()
    cr.execute(
        SQL(
            "SELECT lower(%(col)s) FROM %(table)s "
            "WHERE lower(%(col)s) = ANY(%(codes)s) AND %(col)s <> '' "
            "UNION SELECT lower(old_code) FROM classification_code_history "
            "WHERE lower(old_code) = ANY(%(codes)s)",
            table=SQL.identifier(table),
            col=SQL.identifier(column),
            codes=list({code.lower() for code in codes}),
        )
    )
    used = {row[0] for row in cr.fetchall()}
    return {code for code in codes if code.lower() in used}


def claim_codes(cr, kind, codes):
    """Claim ``codes`` for records of ``kind``; returns those claimed.

    A code already claimed (by this or an earlier transaction) is not: the
    caller numbers on. A code another transaction claims at the same moment
    makes this one wait for it; if the other commits, PostgreSQL refuses this
    one with a serialization failure (its snapshot does not see the claim),
    which Odoo retries in a new transaction that numbers on.
    """
    if not codes:
        return set()
    claimed = set()
    codes = list(codes)
    for start in range(0, len(codes), 10000):
        cr.execute(
            SQL(
                "INSERT INTO classification_code_claim (kind, code) "
                "SELECT %s, unnest(%s::varchar[]) "
                "ON CONFLICT (kind, code) DO NOTHING RETURNING code",
                kind,
                [code.lower() for code in codes[start : start + 10000]],
            )
        )
        claimed.update(row[0] for row in cr.fetchall())
    return {code for code in codes if code.lower() in claimed}


def update_values(cr, table, column, mapping, uid):
    """Write codes by id, one UPDATE per batch; write date and author kept
    up to date as the ORM would."""
    items = list(mapping.items())
    for start in range(0, len(items), 10000):
        batch = items[start : start + 10000]
        cr.execute(
            SQL(
                """
                UPDATE %(table)s t SET %(col)s = v.code,
                       write_date = (now() at time zone 'UTC'), write_uid = %(uid)s
                  FROM (VALUES %(values)s) AS v(id, code)
                 WHERE t.id = v.id
                """,
                table=SQL.identifier(table),
                col=SQL.identifier(column),
                uid=uid,
                values=SQL(", ").join(
                    SQL("(%s, %s)", rid, code) for rid, code in batch
                ),
            )
        )


class CodeSource:
    """Where codes of a scope are held, for :func:`first_clash`: a column of a
    table, with the company column that scopes it. ``former`` sources are
    the code history of a model (``res_model``). A row being checked is not
    in clash with itself: ``mine`` says which of the row's ids (``"id"``, the
    record; ``"owner"``, the template of a variant) the source's ``key``
    column holds when the code is the row's own."""

    def __init__(self, table, column, company_column, model, key="id", mine="id"):
        self.table = table
        self.column = column
        self.company_column = company_column
        self.model = model
        self.key = key
        self.mine = mine
        self.former = table == "classification_code_history"

    @classmethod
    def history(cls, model, mine="id"):
        return cls(
            "classification_code_history",
            "old_code",
            "company_id",
            model,
            "res_id",
            mine,
        )

    def clash_query(self, values):
        condition = SQL("TRUE")
        if self.former:
            condition = SQL("b.res_model = %s", self.model)
        return SQL(
            """
            SELECT v.code, b.%(key)s
              FROM (VALUES %(values)s) AS v(id, owner, company_id, code)
              JOIN %(table)s b ON lower(b.%(col)s) = lower(v.code)
                   AND b.%(col)s <> '' AND %(condition)s
                   AND b.%(key)s IS DISTINCT FROM v.%(mine)s
                   AND (v.company_id IS NULL OR b.%(co)s IS NULL
                        OR v.company_id = b.%(co)s)
             LIMIT 1
            """,
            values=values,
            table=SQL.identifier(self.table),
            col=SQL.identifier(self.column),
            co=SQL.identifier(self.company_column),
            key=SQL.identifier(self.key),
            mine=SQL.identifier(self.mine),
            condition=condition,
        )


def first_clash(cr, sources, rows):
    """The first (code, source, id of the other record) among ``rows``
    (record id or None, owner id or None, company id or None, code) that
    another record of the scope holds or held (former codes), without regard
    to case, before those rows are written; None when all are free."""
    rows = [row for row in rows if row[3]]
    if not rows:
        return None
    seen = {}
    for record_id, __, company_id, code in rows:
        for other_id, other_company in seen.get(code.lower(), ()):
            if not company_id or not other_company or company_id == other_company:
                return code, sources[0], other_id or record_id
        seen.setdefault(code.lower(), []).append((record_id, company_id))
    values = SQL(", ").join(
        SQL("(%s::int, %s::int, %s::int, %s::varchar)", rid, owner, cid or None, code)
        for rid, owner, cid, code in rows
    )
    for source in sources:
        cr.execute(source.clash_query(values))
        found = cr.fetchone()
        if found:
            return found[0], source, found[1]
    return None


def check_codes_free(env, sources, rows):
    """Refuse ``rows`` (see :func:`first_clash`) whose code another record
    has or had, naming that record (when the user may read it).

    The codes are claimed first: a transaction giving one of them at the same
    moment, typed or numbered, makes this one wait, then retry and see it."""
    codes = [row[3] for row in rows if row[3]]
    claim_codes(env.cr, CLAIM_KINDS[sources[0].model], codes)
    clash = first_clash(env.cr, sources, rows)
    if not clash:
        return
    code, source, other_id = clash
    target = sources[0]
    field = env[target.model]._fields[target.column]._description_string(env)
    if other_id and not _readable(env[source.model].browse(other_id)):
        # Another company's record: whether it has (or had) the code is its
        # company's business.
        raise ValidationError(
            env._(
                "The %(field)s %(code)s cannot be used: choose another code.",
                field=field,
                code=code,
            )
        )
    other = (
        record_label(env[source.model].browse(other_id))
        if other_id
        else env._("another record saved with it")
    )
    if source.former:
        raise ValidationError(
            env._(
                "The %(field)s %(code)s was the code of %(other)s before it was "
                "re-coded: documents printed with it still name that record. "
                "Choose another code.",
                field=field,
                code=code,
                other=other,
            )
        )
    raise ValidationError(
        env._(
            "The %(field)s %(code)s is already the code of %(other)s: codes are "
            "unique within a company (without regard to case), and a record shared "
            "between companies has a code no other record has.",
            field=field,
            code=code,
            other=other,
        )
    )


def clean_code(env, code, record_name):
    """A code typed by a person, trimmed; refused when it holds an
    invisible or control character."""
    if not isinstance(code, str):
        return code
    code = code.strip()
    if any(unicodedata.category(char) in INVISIBLE_CATEGORIES for char in code):
        raise ValidationError(
            env._(
                "The code %(code)s of %(record)s contains a control or invisible "
                "character.",
                code=repr(code),
                record=record_name,
            )
        )
    return code or False


def clean_vals(records, vals, column, name=None):
    """Create or write values as the ORM may write them: the collision flag
    is the database's to set (:func:`refresh_collisions`), whoever sends it;
    a code typed in ``column`` is trimmed (:func:`clean_code`)."""
    if FLAG_COLUMN in vals:
        vals = {key: value for key, value in vals.items() if key != FLAG_COLUMN}
    if column in vals:
        if name is None:
            name = ", ".join(records[:3].mapped("display_name"))
        vals = dict(vals, **{column: clean_code(records.env, vals[column], name)})
    return vals


def history_rows(records, column, new_code, company_ids):
    """Code history rows of the ``records`` whose non-empty code in
    ``column`` is replaced by ``new_code``; ``company_ids`` maps each record
    to the company of its code."""
    return [
        {
            "res_model": record._name,
            "res_id": record.id,
            "old_code": record[column],
            "new_code": new_code or False,
            "company_id": company_ids[record.id] or False,
            "user_id": record.env.uid,
        }
        for record in records
        if record[column] and record[column] != new_code
    ]


def _readable(record):
    """Whether the user may see ``record`` (a deleted one names nobody)."""
    record = record.with_context(active_test=False)
    return not record.sudo().exists() or bool(record._filtered_access("read"))


def record_label(record):
    """The name of ``record`` for an error, or a neutral word when the user
    may not read it (another company's record stays unnamed)."""
    record = record.with_context(active_test=False)
    if not record.sudo().exists():
        # A former code of a deleted record: still printed somewhere.
        return record.env._("a deleted record")
    if record._filtered_access("read"):
        return record.sudo().display_name
    return record.env._("a record of another company")


def column_values(cr, table, column, ids):
    """{id: value} of one column of ``table`` for ``ids``, in one query."""
    cr.execute(
        SQL(
            "SELECT id, %s FROM %s WHERE id = ANY(%s)",
            SQL.identifier(column),
            SQL.identifier(table),
            list(ids),
        )
    )
    return dict(cr.fetchall())
