# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Codes that never collide: the database's unique indexes and their exceptions.

A code is unique within its company, and a record shared between companies
(no company) has a code no other record has. PostgreSQL guarantees the first
two with partial unique indexes:

- ``<table>_cpc_code_company_uniq``: (company, code) where the company is set;
- ``<table>_cpc_code_shared_uniq``: (code) where the company is NULL.

A shared record against a company's record cannot be told by a unique index:
the ORM refuses it (see :func:`clashing_ids`), and codes this addon numbers
never meet each other (one sequence per rule and prefix, and every code in use
is skipped).

Rows that collided before the indexes existed carry the collision flag: the
indexes leave them out, the collision screens list them, and the flag goes as
soon as the row no longer collides (:func:`refresh_collisions`), so from then
on the indexes hold it too.
"""

from odoo.tools import SQL

# Columns the addon adds to the coded tables.
FLAG_COLUMN = "cpc_code_collision"


def _clash_condition(table, column, company_column, alias_a, alias_b):
    return SQL(
        "%(b)s.%(col)s = %(a)s.%(col)s AND %(b)s.id <> %(a)s.id AND ("
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
    cr.execute(
        SQL(
            "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (%s, %s) "
            "WHERE %s AND %s IS NOT NULL",
            SQL.identifier(f"{table}_cpc_code_company_uniq"),
            SQL.identifier(table),
            SQL.identifier(company_column),
            SQL.identifier(column),
            base,
            SQL.identifier(company_column),
        )
    )
    cr.execute(
        SQL(
            "CREATE UNIQUE INDEX IF NOT EXISTS %s ON %s (%s) WHERE %s AND %s IS NULL",
            SQL.identifier(f"{table}_cpc_code_shared_uniq"),
            SQL.identifier(table),
            SQL.identifier(column),
            base,
            SQL.identifier(company_column),
        )
    )
    cr.execute(
        SQL(
            "CREATE INDEX IF NOT EXISTS %s ON %s (id) WHERE %s",
            SQL.identifier(f"{table}_cpc_code_collision_index"),
            SQL.identifier(table),
            SQL.identifier(FLAG_COLUMN),
        )
    )


def clashing_ids(cr, table, column, company_column, ids):
    """(id, other id, code) of the rows ``ids`` whose code another row of
    their scope has, flagged rows included."""
    cr.execute(
        SQL(
            """
            SELECT a.id, b.id, a.%(col)s FROM %(table)s a
              JOIN %(table)s b ON %(clash)s
             WHERE a.id = ANY(%(ids)s) AND a.%(col)s <> ''
             ORDER BY a.id, b.id
            """,
            table=SQL.identifier(table),
            col=SQL.identifier(column),
            clash=_clash_condition(table, column, company_column, "a", "b"),
            ids=list(ids),
        )
    )
    return cr.fetchall()


def codes_in_use(cr, table, column, codes):
    """Of ``codes``, those a row of ``table`` or the code history holds."""
    if not codes:
        return set()
    cr.execute(
        SQL(
            "SELECT %(col)s FROM %(table)s WHERE %(col)s = ANY(%(codes)s) "
            "UNION SELECT old_code FROM classification_code_history "
            "WHERE old_code = ANY(%(codes)s)",
            table=SQL.identifier(table),
            col=SQL.identifier(column),
            codes=list(codes),
        )
    )
    return {row[0] for row in cr.fetchall()}


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


def first_clash(cr, table, column, company_column, rows):
    """The first (code, id of the other row) among ``rows`` (record id or
    None, company id or None, code) that another row of the scope holds,
    before those rows are written; None when all are free."""
    rows = [row for row in rows if row[2]]
    if not rows:
        return None
    seen = {}
    for record_id, company_id, code in rows:
        for other_id, other_company in seen.get(code, ()):
            if not company_id or not other_company or company_id == other_company:
                return code, other_id or record_id
        seen.setdefault(code, []).append((record_id, company_id))
    cr.execute(
        SQL(
            """
            SELECT v.code, b.id
              FROM (VALUES %(values)s) AS v(id, company_id, code)
              JOIN %(table)s b ON b.%(col)s = v.code
                   AND b.id IS DISTINCT FROM v.id
                   AND (v.company_id IS NULL OR b.%(co)s IS NULL
                        OR v.company_id = b.%(co)s)
             LIMIT 1
            """,
            values=SQL(", ").join(
                SQL("(%s::int, %s::int, %s::varchar)", rid, cid or None, code)
                for rid, cid, code in rows
            ),
            table=SQL.identifier(table),
            col=SQL.identifier(column),
            co=SQL.identifier(company_column),
        )
    )
    return cr.fetchone()


def record_label(record):
    """The name of ``record`` for an error, or a neutral word when the user
    may not read it (another company's record stays unnamed)."""
    record = record.with_context(active_test=False)
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
