"""What the classification engine needs to know of a subject (customers, products).

Nothing here imports Odoo. A stored classification model (one row per record and
company) describes itself with a :class:`Subject`; the engine
(models/classification_engine.py) runs the same stages for every subject from
it. See /readme/CONFIGURE.md and the engine's docstring.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Tracked:
    """One effective class of a subject: each change of it is written to the
    history, mirrored on the classified record and told in its chatter.

    ``column`` is the effective value stored on the classification row (what
    users filter and group by), ``computed`` the result column the run computes
    for it (the same column when the class cannot be pinned) and ``manual`` the
    pinned value that wins over the computed one while the pin holds.
    ``mirror`` is the company-dependent field of the classified record that
    holds a copy (None: no copy). ``history_old``/``history_new`` are the
    columns of the history model, ``old_<column>``/``new_<column>`` unless given.
    """

    kind: str
    column: str
    computed: str = ""
    manual: str | None = None
    mirror: str | None = None
    history_old: str = ""
    history_new: str = ""

    def __post_init__(self):
        # Frozen: defaults that depend on the column are set once, here.
        if not self.computed:
            object.__setattr__(self, "computed", self.column)
        if not self.history_old:
            object.__setattr__(self, "history_old", f"old_{self.column}")
        if not self.history_new:
            object.__setattr__(self, "history_new", f"new_{self.column}")

    @property
    def diff_old(self):
        """Column of the run's diff table holding the stored effective value."""
        return f"old_{self.column}"

    @property
    def diff_new(self):
        """Column of the run's diff table holding the new effective value."""
        return f"new_{self.column}"


@dataclass(frozen=True)
class Subject:
    """A subject of the engine.

    ``key`` is the column of the classification (and of its history) naming the
    classified record of ``record_model``; there is one classification row per
    key and company (a unique constraint on both). ``computed_columns`` are the
    result columns the run writes; a row is rewritten only when one of them
    changed. ``tracked`` are the effective classes, ``history_model`` where their
    changes are kept.
    """

    key: str
    record_model: str
    history_model: str
    computed_columns: tuple
    tracked: tuple

    @property
    def manual_columns(self):
        return tuple(t.manual for t in self.tracked if t.manual)

    @property
    def pinnable(self):
        return tuple(t for t in self.tracked if t.manual)
