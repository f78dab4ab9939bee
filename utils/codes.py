# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Rules every code a person types must follow (schemes, categories, tiers).

Codes head import columns, fill spreadsheet cells of the template and are
compared without regard to case by the import: a code a spreadsheet would read
as a formula, or one that differs from another only by case or invisible
characters, breaks files for everyone.
"""

import unicodedata

# A cell starting with one of these is a formula for spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@")
# Control and format characters (tabs, line breaks, zero-width and bidi marks)
# and line or paragraph separators: invisible, or they break a cell or a line.
INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zl", "Zp"}


def trim_code(vals):
    """Trim the code in create or write values; returns the values to use."""
    code = vals.get("code")
    if isinstance(code, str) and code != code.strip():
        return dict(vals, code=code.strip())
    return vals


def code_error(env, code, record):
    """Why ``code`` cannot be the code of ``record`` (a name), or None."""
    if not code:
        return env._("%(record)s needs a code.", record=record)
    if any(unicodedata.category(char) in INVISIBLE_CATEGORIES for char in code):
        return env._(
            "The code %(code)s of %(record)s contains a control or invisible "
            "character.",
            code=repr(code),
            record=record,
        )
    if code.startswith(FORMULA_PREFIXES):
        return env._(
            "The code %(code)s of %(record)s may not start with %(prefixes)s: "
            "spreadsheets would read it as a formula.",
            code=code,
            record=record,
            prefixes=" ".join(FORMULA_PREFIXES),
        )
    return None


def duplicate_codes(groups):
    """The codes used more than once without regard to case.

    ``groups`` are (key, code, count) rows of a read_group by key and code;
    the result maps (key, folded code) to the codes clashing there.
    """
    seen = {}
    for key, code, count in groups:
        seen.setdefault((key, code.casefold()), []).extend([code] * count)
    return {folded: codes for folded, codes in seen.items() if len(codes) > 1}
