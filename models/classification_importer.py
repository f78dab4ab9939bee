# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import io
from collections import Counter, defaultdict

from odoo import Command, api, models
from odoo.exceptions import UserError
from odoo.tools import SQL, split_every

from ..utils import locks, spreadsheet
from .classification_scheme import SCHEME_TARGETS

# Columns naming the record, strongest first.
RECORD_COLUMNS = ("external_id", "reference", "name")
VALUE_SEPARATOR = ";"
# Empty rows below the records that still offer the lists of codes.
TEMPLATE_SPARE_ROWS = 500
# Records read at once for the template.
TEMPLATE_BATCH = 1000
# Categories named in full when a file names an unknown one.
CATEGORY_HINT_SIZE = 12
# The records the template lists, as the app's menus list them: customers (not
# every company and user), products to sell. Any record imports.
TEMPLATE_RECORDS = {
    "partner": [("cpc_is_customer", "=", True)],
    "product": [("sale_ok", "=", True)],
}
# What "reference" means for each kind of record.
REFERENCE_FIELDS = {"partner": "ref", "product": "default_code"}


class ClassificationImporter(models.AbstractModel):
    """Checks and applies a spreadsheet placing records in categories.

    The file has one row per record: a column naming the record (external_id,
    reference or name) and one column per scheme, headed by the scheme's code,
    holding category codes (several separated by ";" in a several-value
    scheme). Every row is checked before anything is written: one wrong row
    means nothing is written.
    """

    _name = "classification.importer"
    _description = "Classification Import"

    # ------------------------------------------------------------------
    # Checking
    # ------------------------------------------------------------------
    @api.model
    def _check_file(
        self, kind, content, filename, sheet=None, encoding=None, delimiter=None
    ):
        """Read and check a file; return the plan to apply and the errors.

        The result is a dict: ``errors`` (messages naming the row), ``rows`` (the
        number of data rows), ``preview`` (per row: number, record, changes),
        ``source`` (which sheet, or which encoding and delimiter, was read),
        ``sheets`` (the workbook's visible sheets) and ``plan`` ({field name:
        {value: record ids}}) when there is no error.
        """
        try:
            table = spreadsheet.read_table(
                content,
                filename,
                sheet=sheet,
                encoding=encoding,
                delimiter=delimiter,
                limits=self._import_limits(),
            )
        except spreadsheet.SheetError as error:
            return self._result([self._sheet_error_message(error)], sheets=error.sheets)
        source = self._source_description(table)
        if table.merged:
            return self._result(
                [
                    (
                        first_row,
                        self.env._(
                            "Row %(row)s: the cells %(range)s are merged; unmerge "
                            "them and fill in every cell.",
                            row=first_row,
                            range=cell_range,
                        ),
                    )
                    for cell_range, first_row in table.merged
                ],
                source=source,
                sheets=table.visible_sheets,
            )
        rows = table.rows
        header, data = rows[0], rows[1:]
        columns, errors = self._check_header(kind, header)
        if errors:
            return self._result(errors, source=source, sheets=table.visible_sheets)
        data = [
            (number, cells)
            for number, cells in enumerate(data, start=2)
            if any(cell_kind != spreadsheet.EMPTY for cell_kind, __ in cells)
        ]
        # The template's second row names the columns for people: no data.
        if data and data[0][0] == 2 and self._is_label_row(kind, columns, data[0][1]):
            data = data[1:]
        if not data:
            return self._result(
                [self.env._("The file has a header but no rows.")],
                source=source,
                sheets=table.visible_sheets,
            )
        result = self._check_rows(kind, columns, data)
        result.update(source=source, sheets=table.visible_sheets)
        return result

    @api.model
    def _import_limits(self):
        """What one import may read; override to change the safe defaults."""
        return spreadsheet.Limits()

    @api.model
    def _error_limit(self):
        """Errors listed in full; the rest are counted."""
        return 300

    def _source_description(self, table):
        if table.sheet:
            if len(table.visible_sheets) > 1:
                return self.env._(
                    "Sheet read: %(sheet)s (the workbook's visible sheets: "
                    "%(sheets)s; choose another in Sheet to read it).",
                    sheet=table.sheet,
                    sheets=", ".join(table.visible_sheets),
                )
            return self.env._("Sheet read: %(sheet)s.", sheet=table.sheet)
        delimiters = {
            ",": self.env._("comma"),
            ";": self.env._("semicolon"),
            "\t": self.env._("tab"),
        }
        # The codec's name as the Encoding field offers it.
        encodings = dict(
            self.env["classification.import.wizard"]
            ._fields["encoding"]
            ._description_selection(self.env)
        )
        codec = "utf-8" if table.encoding == "utf-8-sig" else table.encoding
        return self.env._(
            "Text read as %(encoding)s, columns separated by %(delimiter)s.",
            encoding=encodings.get(codec, codec),
            delimiter=delimiters.get(table.delimiter, table.delimiter),
        )

    def _row_error(self, errors, row, message):
        errors.append((row, message))

    def _result(self, errors, rows=0, preview=None, plan=None, source="", sheets=()):
        # Messages in row order, whichever check found them.
        errors = [
            error if isinstance(error, str) else error[1]
            for error in sorted(errors, key=lambda e: 1 if isinstance(e, str) else e[0])
        ]
        error_count = len(errors)
        limit = self._error_limit()
        if error_count > limit:
            errors = [
                *errors[:limit],
                self.env._(
                    "... and %(count)s more errors, not listed.",
                    count=error_count - limit,
                ),
            ]
        return {
            "errors": errors,
            "error_count": error_count,
            "rows": rows,
            "preview": preview or [],
            "plan": plan if not errors else None,
            "source": source,
            "sheets": tuple(sheets),
        }

    def _sheet_error_message(self, error):
        if error.code == "extension":
            return self.env._(
                "%(file)s is not a .xlsx, .xls, .csv or .txt file.", file=error.filename
            )
        if error.code == "empty":
            return self.env._("The file is empty.")
        if error.code == "too_large":
            return self._limit_message(error)
        reasons = {
            spreadsheet.NOT_A_WORKBOOK: self.env._("it is not an Excel workbook"),
            spreadsheet.DAMAGED: self.env._(
                "its content does not follow its format; open it in the "
                "spreadsheet program and save it again"
            ),
            spreadsheet.ENCRYPTED: self.env._(
                "it is protected by a password; save a copy without one"
            ),
            spreadsheet.UNKNOWN_ENCODING: self.env._(
                "its text is not in the encoding chosen; choose another Encoding"
            ),
            spreadsheet.ENCODING_UNSURE: self.env._(
                "its text is not UTF-8 and could be Chinese (GB18030) or Western "
                "(Windows-1252); choose its Encoding"
            ),
            spreadsheet.DELIMITER_UNSURE: self.env._(
                "its header uses several separators as often; choose its Delimiter"
            ),
            spreadsheet.BINARY_TEXT: self.env._("it holds binary data, not text"),
            spreadsheet.NO_VISIBLE_SHEET: self.env._("it has no visible sheet"),
            spreadsheet.UNKNOWN_SHEET: self.env._(
                "it has no visible sheet of that name; its visible sheets are "
                "%(sheets)s",
                sheets=", ".join(error.sheets),
            ),
        }
        # Most reasons ask for a choice (encoding, delimiter, sheet) or another
        # copy of the file: only these say that the file itself may be damaged.
        if error.detail not in reasons or error.detail in (
            spreadsheet.NOT_A_WORKBOOK,
            spreadsheet.DAMAGED,
            spreadsheet.BINARY_TEXT,
        ):
            return self.env._(
                "%(file)s cannot be read, it may be damaged: %(reason)s.",
                file=error.filename,
                reason=reasons.get(error.detail, reasons[spreadsheet.DAMAGED]),
            )
        return self.env._(
            "%(file)s cannot be read: %(reason)s.",
            file=error.filename,
            reason=reasons[error.detail],
        )

    def _limit_message(self, error):
        where = ""
        if error.row and error.column:
            where = self.env._(
                "Row %(row)s, column %(column)s: ",
                row=error.row,
                column=spreadsheet.column_letter(error.column),
            )
        elif error.row:
            where = self.env._("Row %(row)s: ", row=error.row)
        limits = {
            "file": self.env._(
                "%(file)s is larger than %(limit)s MB; split it into several files.",
                file=error.filename,
                limit=round((error.limit or 0) / 1024 / 1024),
            ),
            "member": self.env._(
                "%(file)s unpacks to more than %(limit)s MB; save it again from "
                "the spreadsheet program, or split it.",
                file=error.filename,
                limit=round((error.limit or 0) / 1024 / 1024),
            ),
            "rows": self.env._(
                "the file has more than %(limit)s rows; split it into several files.",
                limit=error.limit,
            ),
            "columns": self.env._(
                "a value lies beyond the %(limit)s columns a file may have.",
                limit=error.limit,
            ),
            "cells": self.env._(
                "the file has more than %(limit)s filled cells; split it into "
                "several files.",
                limit=error.limit,
            ),
            "shape": self.env._(
                "%(file)s holds far more structure than a workbook of its data "
                "needs; save it again from the spreadsheet program.",
                file=error.filename,
            ),
            "cell": self.env._(
                "a cell holds more than %(limit)s characters; codes and names are "
                "shorter.",
                limit=error.limit,
            ),
        }
        return where + limits[error.detail]

    def _check_header(self, kind, header):
        """Map the header's columns to record columns and schemes."""
        schemes = self.env["classification.scheme"]._active_for(SCHEME_TARGETS[kind])
        by_code = {scheme.code.casefold(): scheme for scheme in schemes}
        columns, errors, seen = {}, [], set()
        for index, (cell_kind, value) in enumerate(header):
            if cell_kind == spreadsheet.EMPTY:
                continue
            label = str(value).strip()
            key = label.casefold()
            if key == "code":
                # The codes coding rules give are References: "code" is the
                # same column under the name people know it by.
                key = "reference"
            if cell_kind != spreadsheet.TEXT:
                errors.append(
                    self.env._(
                        "Row 1, column %(column)s: the header %(value)s is not text.",
                        column=index + 1,
                        value=label,
                    )
                )
            elif key in seen:
                errors.append(
                    self.env._(
                        "Row 1: the column %(column)s appears twice.", column=label
                    )
                )
            elif key in RECORD_COLUMNS:
                columns[index] = key
            elif key in by_code:
                columns[index] = by_code[key]
            else:
                errors.append(
                    self.env._(
                        "Row 1: unknown column %(column)s. Columns are external_id, "
                        "reference or name, and the codes of the active schemes: "
                        "%(codes)s.",
                        column=label,
                        codes=", ".join(schemes.mapped("code")),
                    )
                )
            seen.add(key)
        if not errors:
            if not any(isinstance(col, str) for col in columns.values()):
                errors.append(
                    self.env._(
                        "Row 1: a column naming the records is missing: "
                        "external_id, reference or name."
                    )
                )
            if not any(not isinstance(col, str) for col in columns.values()):
                errors.append(
                    self.env._(
                        "Row 1: no scheme column: head a column with the code of a "
                        "scheme (%(codes)s).",
                        codes=", ".join(schemes.mapped("code")),
                    )
                )
        return columns, errors

    def _column_labels(self, schemes):
        """What the template's second row calls the record columns and the
        schemes' columns, in the user's language."""
        return [
            self.env._("External ID"),
            self.env._("Reference"),
            self.env._("Name"),
            *schemes.mapped("name"),
        ]

    @api.model
    def _is_label_row(self, kind, columns, cells):
        """Whether a row is the template's row of column labels, in any installed
        language: a file filled in by a colleague in another language imports."""
        schemes = self.env["classification.scheme"]._active_for(SCHEME_TARGETS[kind])
        keys = [*RECORD_COLUMNS, *schemes]
        labels = defaultdict(set)
        languages = [code for code, __ in self.env["res.lang"].get_installed()]
        for lang in dict.fromkeys([self.env.lang or "en_US", "en_US", *languages]):
            translated = self.with_context(lang=lang)
            in_lang = translated._column_labels(schemes.with_context(lang=lang))
            for key, label in zip(keys, in_lang, strict=True):
                labels[key].add(label.casefold())
        texts = [
            (index, str(value).strip())
            for index, (cell_kind, value) in enumerate(cells)
            if cell_kind != spreadsheet.EMPTY
        ]
        return bool(texts) and all(
            index in columns and text.casefold() in labels[columns[index]]
            for index, text in texts
        )

    @api.model
    def _check_rows(self, kind, columns, data):
        errors = []
        kind_labels = {
            spreadsheet.NUMBER: self.env._("a number"),
            spreadsheet.DATE: self.env._("a date"),
            spreadsheet.FORMULA: self.env._("a formula"),
            spreadsheet.BOOLEAN: self.env._("a true/false value"),
            spreadsheet.ERROR: self.env._("a spreadsheet error"),
        }
        parsed = []
        for number, cells in data:
            row_errors = []
            texts = {}
            for index, (cell_kind, value) in enumerate(cells):
                if cell_kind != spreadsheet.EMPTY and index not in columns:
                    # Under an empty header, or right of the last one: the
                    # value would be dropped without a word.
                    self._row_error(
                        row_errors,
                        number,
                        self.env._(
                            "Row %(row)s, column %(column)s: %(value)s lies in a "
                            "column without a header; head the column or clear "
                            "the cell.",
                            row=number,
                            column=spreadsheet.column_letter(index + 1),
                            value=value,
                        ),
                    )
            for index, column in columns.items():
                cell_kind, value = cells[index] if index < len(cells) else ("empty", "")
                if cell_kind == spreadsheet.EMPTY:
                    continue
                if cell_kind != spreadsheet.TEXT:
                    self._row_error(
                        row_errors,
                        number,
                        self.env._(
                            "Row %(row)s, column %(column)s: %(what)s where text is "
                            "expected (%(value)s).",
                            row=number,
                            column=column if isinstance(column, str) else column.code,
                            what=kind_labels[cell_kind],
                            value=value,
                        ),
                    )
                    continue
                texts[column] = value
            errors.extend(row_errors)
            parsed.append((number, texts, bool(row_errors)))

        records = self._match_records(kind, parsed, errors)
        lookup = self._category_lookup(kind)
        plan = defaultdict(lambda: defaultdict(list))
        preview = []
        preview_limit = self._preview_limit()
        first_row = {}
        for number, texts, has_errors in parsed:
            # Categories are checked whatever the record, so that one pass over
            # the file reports every wrong cell.
            placed = {}
            for scheme, text in texts.items():
                if not isinstance(scheme, str):
                    categories = self._match_categories(
                        scheme, text, lookup, number, errors
                    )
                    if categories is not None:
                        placed[scheme] = categories
            record = records.get(number)
            if record is None:
                continue
            if record.id in first_row:
                self._row_error(
                    errors,
                    number,
                    self.env._(
                        "Row %(row)s: %(record)s already appears in row %(first)s.",
                        row=number,
                        record=record.display_name,
                        first=first_row[record.id],
                    ),
                )
                continue
            first_row[record.id] = number
            for scheme, categories in placed.items():
                value = (
                    tuple(sorted(categories.ids)) if scheme.multiple else categories.id
                )
                plan[scheme.field_name][value].append(record.id)
            if not has_errors and len(preview) < preview_limit:
                preview.append(
                    (number, record.display_name, *self._changes(record, placed))
                )
        return self._result(
            errors,
            rows=len(parsed),
            preview=preview,
            plan={name: dict(values) for name, values in plan.items()},
        )

    def _changes(self, record, placed):
        """What the row changes, scheme by scheme, as "old → new"; and whether
        it changes anything. Schemes the row leaves as they are go unsaid."""
        parts = []
        for scheme, categories in placed.items():
            # As superuser: the record's own categories, whoever reads them.
            current = record.sudo()[scheme.field_name].with_env(self.env)
            if current == categories:
                continue
            parts.append(
                self.env._(
                    "%(scheme)s: %(old)s → %(new)s",
                    scheme=scheme.name,
                    old=", ".join(current.mapped("complete_name")) or "—",
                    new=", ".join(categories.mapped("complete_name")),
                )
            )
        if not parts:
            return self.env._("No change"), False
        return "; ".join(parts), True

    @api.model
    def _preview_limit(self):
        return 1000

    def _match_records(self, kind, parsed, errors):
        """Find each row's record; one query per way of naming records.

        Every naming cell a row gives must name the same record: a row naming
        one partner by reference and another by name is an error, not a guess.
        """
        Target = self.env[SCHEME_TARGETS[kind]]
        wanted = defaultdict(set)
        for __, texts, __ in parsed:
            for column in RECORD_COLUMNS:
                if texts.get(column):
                    wanted[column].add(texts[column])
        found = {
            "external_id": self._records_by_xid(Target, wanted["external_id"]),
            "reference": self._records_by_code(Target, kind, wanted["reference"]),
            "name": self._records_by_field(
                Target, "name", wanted["name"], Target._cpc_carrier_domain()
            ),
        }
        matched_ids = [
            rid
            for by_value in found.values()
            for ids in by_value.values()
            for rid in ids
        ]
        records = {}
        for number, texts, has_errors in parsed:
            given = [c for c in RECORD_COLUMNS if texts.get(c)]
            if has_errors and not given:
                # Already reported: the cell naming the record is not text (or
                # the row has no record cell; its other errors are reported).
                continue
            if not given:
                self._row_error(
                    errors,
                    number,
                    self.env._(
                        "Row %(row)s: no external_id, reference or name names the "
                        "record.",
                        row=number,
                    ),
                )
                continue
            message = None
            candidates = None
            for column in given:
                ids = found[column].get(texts[column], [])
                if not ids:
                    message = self.env._(
                        "Row %(row)s: no record found whose %(column)s is %(value)s.",
                        row=number,
                        column=column,
                        value=texts[column],
                    )
                    break
                if candidates is not None and not candidates.intersection(ids):
                    message = self.env._(
                        "Row %(row)s: the %(first)s %(first_value)s and the "
                        "%(column)s %(value)s name different records; give one "
                        "that names the record, or make them agree.",
                        row=number,
                        first=given[0],
                        first_value=texts[given[0]],
                        column=column,
                        value=texts[column],
                    )
                    break
                candidates = set(ids) if candidates is None else candidates & set(ids)
            if message is None and len(candidates) > 1:
                message = self.env._(
                    "Row %(row)s: %(count)s records have the %(column)s "
                    "%(value)s; name the record by its external_id or reference.",
                    row=number,
                    count=len(candidates),
                    column=given[-1],
                    value=texts[given[-1]],
                )
            if message:
                self._row_error(errors, number, message)
                continue
            record = Target.browse(candidates).with_prefetch(matched_ids)
            if not record._cpc_carriers():  # a contact: its company carries them
                self._row_error(
                    errors,
                    number,
                    self.env._(
                        "Row %(row)s: %(record)s is a contact; classify its "
                        "company %(company)s instead.",
                        row=number,
                        record=record.display_name,
                        company=record.commercial_partner_id.display_name,
                    ),
                )
            else:
                records[number] = record
        return records

    def _records_by_field(self, Target, fname, values, domain=()):
        if not values:
            return {}
        groups = Target._read_group(
            [*domain, (fname, "in", list(values))], [fname], ["id:array_agg"]
        )
        return dict(groups)

    def _records_by_code_column(self, Target, fname, values):
        """{value: ids} of the records whose code in ``fname`` is one of
        ``values``, without regard to case (codes are unique so), under the
        user's record rules."""
        if not values:
            return {}
        by_lower = defaultdict(list)
        for value in values:
            by_lower[value.lower()].append(value)
        groups = Target._read_group(
            [
                (
                    "id",
                    "in",
                    SQL(
                        "(SELECT id FROM %s WHERE lower(%s) = ANY(%s))",
                        SQL.identifier(Target._table),
                        SQL.identifier(fname),
                        list(by_lower),
                    ),
                )
            ],
            [fname],
            ["id:array_agg"],
        )
        found = defaultdict(list)
        for code, ids in groups:
            for value in by_lower.get((code or "").lower(), ()):
                found[value].extend(ids)
        return dict(found)

    def _records_by_code(self, Target, kind, values):
        """Records by code: the Reference (Internal Reference), a
        multi-variant template's Product Code, then a former code (a code
        printed before a re-coding still names its record)."""
        found = self._records_by_code_column(Target, REFERENCE_FIELDS[kind], values)
        if kind == "product":
            for code, ids in self._records_by_code_column(
                Target, "cpc_code", values
            ).items():
                found[code] = sorted(set(found.get(code, [])) | set(ids))
        left = {value.lower(): value for value in values if value not in found}
        if left:
            self.env.cr.execute(
                SQL(
                    """
                    SELECT lower(h.old_code), CASE WHEN h.res_model = %(model)s
                           THEN h.res_id ELSE p.product_tmpl_id END
                      FROM classification_code_history h
                      LEFT JOIN product_product p
                           ON h.res_model = 'product.product' AND p.id = h.res_id
                     WHERE lower(h.old_code) = ANY(%(codes)s)
                       AND (h.res_model = %(model)s OR (%(model)s = 'product.template'
                            AND h.res_model = 'product.product'))
                    """,
                    model=Target._name,
                    codes=list(left),
                )
            )
            by_code = defaultdict(set)
            for code, rid in self.env.cr.fetchall():
                by_code[code].add(rid)
            # Record rules apply: another company's record is as unknown as
            # a missing one.
            visible = set(
                Target.search([("id", "in", list(set().union(*by_code.values())))]).ids
            )
            for code, ids in by_code.items():
                if ids & visible:
                    found[left[code]] = sorted(ids & visible)
        return found

    def _records_by_xid(self, Target, values):
        """Records by external ID, among those the user may read and active.

        The same search as by name or reference (record rules, archived records
        left out): another company's record is as unknown as a missing one.
        """
        if not values:
            return {}
        self.env.cr.execute(
            SQL(
                "SELECT module || '.' || name, res_id FROM ir_model_data "
                "WHERE model = %s AND module || '.' || name = ANY(%s)",
                Target._name,
                [xid if "." in xid else f"__import__.{xid}" for xid in values],
            )
        )
        by_xid = dict(self.env.cr.fetchall())
        visible = set(Target.search([("id", "in", list(by_xid.values()))]).ids)
        result = {}
        for xid in values:
            res_id = by_xid.get(xid if "." in xid else f"__import__.{xid}")
            if res_id in visible:
                result[xid] = [res_id]
        return result

    def _category_lookup(self, kind):
        """Categories by scheme and by the ways a file may name them.

        Codes, complete codes, names and synonyms in every installed language:
        a file written by a colleague in another language, or with the word
        the sales team uses (大客户 for 重点客户), still imports.
        """
        categories = self.env["classification.category"].search(
            [("applies_to", "=", kind), ("scheme_id.active", "=", True)]
        )
        lookup = defaultdict(lambda: defaultdict(set))
        for category in categories:
            for key in (category.code, category.complete_code):
                lookup[key.casefold()][category.scheme_id].add(category.id)
        languages = [code for code, __ in self.env["res.lang"].get_installed()]
        for lang in dict.fromkeys([self.env.lang or "en_US", "en_US", *languages]):
            # One read per language for all the categories (prefetched).
            for category in categories.with_context(lang=lang):
                keys = {category.name, category.complete_name}
                keys.update(
                    synonym.strip()
                    for synonym in (category.synonyms or "").split(VALUE_SEPARATOR)
                    if synonym.strip()
                )
                for key in keys:
                    lookup[key.casefold()][category.scheme_id].add(category.id)
        return lookup

    def _category_names_hint(self, scheme):
        """The names a file may give the categories of a scheme, for an error."""
        names = scheme.category_ids.mapped(
            lambda category: f"{category.complete_code} ({category.name})"
        )
        shown = ", ".join(names[:CATEGORY_HINT_SIZE])
        if len(names) > CATEGORY_HINT_SIZE:
            shown = self.env._(
                "%(names)s and %(count)s more, listed on the template's Categories "
                "sheet",
                names=shown,
                count=len(names) - CATEGORY_HINT_SIZE,
            )
        return shown

    def _match_categories(self, scheme, text, lookup, number, errors):
        Category = self.env["classification.category"]
        tokens = list(
            dict.fromkeys(
                token.strip() for token in text.split(VALUE_SEPARATOR) if token.strip()
            )
        )
        matched = Category
        for token in tokens:
            by_scheme = lookup.get(token.casefold(), {})
            ids = by_scheme.get(scheme)
            if not ids:
                others = [other.name for other in by_scheme]
                if others:
                    self._row_error(
                        errors,
                        number,
                        self.env._(
                            "Row %(row)s, column %(column)s: %(value)s is a category "
                            "of the scheme %(other)s, not of %(scheme)s.",
                            row=number,
                            column=scheme.code,
                            value=token,
                            other=", ".join(others),
                            scheme=scheme.name,
                        ),
                    )
                else:
                    self._row_error(
                        errors,
                        number,
                        self.env._(
                            "Row %(row)s, column %(column)s: unknown category "
                            "%(value)s. Give the code, name or a synonym of a "
                            "category of %(scheme)s: %(categories)s.",
                            row=number,
                            column=scheme.code,
                            scheme=scheme.name,
                            value=token,
                            categories=self._category_names_hint(scheme),
                        ),
                    )
                return None
            if len(ids) > 1:
                self._row_error(
                    errors,
                    number,
                    self.env._(
                        "Row %(row)s, column %(column)s: several categories are "
                        "named %(value)s; give the category's code.",
                        row=number,
                        column=scheme.code,
                        value=token,
                    ),
                )
                return None
            matched |= Category.browse(ids)
        if len(matched) > 1 and not scheme.multiple:
            self._row_error(
                errors,
                number,
                self.env._(
                    "Row %(row)s, column %(column)s: the scheme %(scheme)s takes one "
                    "category, the row gives %(count)s.",
                    row=number,
                    column=scheme.code,
                    scheme=scheme.name,
                    count=len(matched),
                ),
            )
            return None
        return matched

    # ------------------------------------------------------------------
    # Applying
    # ------------------------------------------------------------------
    @api.model
    def _apply_plan(self, kind, plan):
        """Write the plan: grouped by value, only the records that change.

        Returns the number of records written.
        """
        locks.lock_categories(self.env, SCHEME_TARGETS[kind])
        if not plan:
            raise UserError(self.env._("Nothing to import: check the file first."))
        # Scheme fields are not tracked: spare the chatter's look at the others.
        Target = self.env[SCHEME_TARGETS[kind]].with_context(
            active_test=False, tracking_disable=True
        )
        written = set()
        for name, values in plan.items():
            field = Target._fields[name]
            all_ids = [rid for ids in values.values() for rid in ids]
            current = self._current_values(Target, field, all_ids)
            for value, ids in values.items():
                targets = [rid for rid in ids if current.get(rid) != value]
                if not targets:
                    continue
                new_value = (
                    [Command.set(list(value))] if field.type == "many2many" else value
                )
                Target.browse(targets).write({name: new_value})
                written.update(targets)
        return len(written)

    def _current_values(self, Target, field, ids):
        self.env.flush_all()
        if field.type == "many2many":
            self.env.cr.execute(
                SQL(
                    "SELECT %s, array_agg(%s ORDER BY %s) FROM %s WHERE %s = ANY(%s) "
                    "GROUP BY %s",
                    SQL.identifier(field.column1),
                    SQL.identifier(field.column2),
                    SQL.identifier(field.column2),
                    SQL.identifier(field.relation),
                    SQL.identifier(field.column1),
                    ids,
                    SQL.identifier(field.column1),
                )
            )
            return {rid: tuple(cids) for rid, cids in self.env.cr.fetchall()}
        self.env.cr.execute(
            SQL(
                "SELECT id, %s FROM %s WHERE id = ANY(%s)",
                SQL.identifier(field.name),
                SQL.identifier(Target._table),
                ids,
            )
        )
        return dict(self.env.cr.fetchall())

    # ------------------------------------------------------------------
    # Template
    # ------------------------------------------------------------------
    @api.model
    def _template(self, kind):
        """An .xlsx to fill: the user's records with their current categories,
        a drop-down list of valid codes in each scheme's column, and on a
        second sheet every category's code and name.

        Everything is written as text and no cell holds a formula: the only
        formulas are the lists' ranges, which name cells and run nothing.
        """
        import openpyxl
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter
        from openpyxl.worksheet.datavalidation import DataValidation

        schemes = self.env["classification.scheme"]._active_for(SCHEME_TARGETS[kind])
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = self.env._("Import")
        # Row 1 holds what the import reads (the record columns and the schemes'
        # codes), row 2 what people read: the import skips it.
        _append_text(sheet, [*RECORD_COLUMNS, *schemes.mapped("code")])
        _append_text(sheet, self._column_labels(schemes))
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for cell in sheet[2]:
            cell.font = Font(italic=True, color="FF6C757D")
        sheet.freeze_panes = "A3"
        record_rows = self._template_rows(kind, schemes)
        for row in record_rows:
            _append_text(sheet, row)
        widths = [
            24,
            16,
            36,
            *[max(18, len(name) + 4) for name in schemes.mapped("name")],
        ]
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width

        codes = workbook.create_sheet(self.env._("Categories"))
        _append_text(
            codes,
            [
                self.env._("Scheme code"),
                self.env._("Scheme"),
                self.env._("Several values"),
                self.env._("Category code"),
                self.env._("Category"),
                self.env._("Synonyms"),
            ],
        )
        for scheme in schemes:
            for category in scheme.category_ids:
                _append_text(
                    codes,
                    [
                        scheme.code,
                        scheme.name,
                        self.env._("Yes") if scheme.multiple else self.env._("No"),
                        category.complete_code,
                        category.complete_name,
                        category.synonyms or "",
                    ],
                )

        # The drop-down lists read their codes from a hidden sheet, one column
        # per scheme (the import never reads a hidden sheet).
        lists = workbook.create_sheet("Lists")
        lists.sheet_state = "hidden"
        last_row = len(record_rows) + TEMPLATE_SPARE_ROWS + 2
        for index, scheme in enumerate(schemes, start=1):
            letter = get_column_letter(index)
            values = [scheme.code, *scheme.category_ids.mapped("complete_code")]
            for row, value in enumerate(values, start=1):
                lists.cell(row=row, column=index, value=value).data_type = "s"
            if len(values) < 2:
                continue
            validation = DataValidation(
                type="list",
                formula1=f"Lists!${letter}$2:${letter}${len(values)}",
                allow_blank=True,
                showErrorMessage=True,
                # Several codes go in one cell of a several-value scheme: the
                # list then only warns.
                errorStyle="warning" if scheme.multiple else "stop",
                # Shown on the cell: the list gives codes, the names are on the
                # Categories sheet.
                showInputMessage=True,
                promptTitle=scheme.name[:32],
                prompt=self.env._(
                    "Category codes of %(scheme)s: names beside the codes on the "
                    "Categories sheet.",
                    scheme=scheme.name,
                )[:255],
                error=self.env._(
                    "Choose category codes of %(scheme)s from the list; separate "
                    "several with ;.",
                    scheme=scheme.name,
                )
                if scheme.multiple
                else self.env._(
                    "Choose a category code of %(scheme)s from the list.",
                    scheme=scheme.name,
                ),
            )
            column = get_column_letter(len(RECORD_COLUMNS) + index)
            validation.add(f"{column}3:{column}{last_row}")
            sheet.add_data_validation(validation)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def _template_rows(self, kind, schemes):
        """The records the user may read, with their categories' codes.

        Capped at the rows one import reads: a template that could not be
        imported back would help no one.
        """
        Target = self.env[SCHEME_TARGETS[kind]]
        records = Target.search(
            [*Target._cpc_carrier_domain(), *TEMPLATE_RECORDS[kind]],
            order="name, id",
            limit=self._import_limits().rows,
        )
        if not records:
            return []
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT ON (res_id) res_id, module || '.' || name "
                "FROM ir_model_data WHERE model = %s AND res_id = ANY(%s) "
                "ORDER BY res_id, id",
                Target._name,
                records.ids,
            )
        )
        xids = {
            res_id: xid.removeprefix("__import__.")
            for res_id, xid in self.env.cr.fetchall()
        }
        codes = {
            category.id: category.complete_code
            for category in schemes.category_ids.with_context(active_test=False)
        }
        reference = REFERENCE_FIELDS[kind]
        fnames = [reference, "name", *schemes.mapped("field_name")]
        rows = []
        for batch in split_every(TEMPLATE_BATCH, records.ids, Target.browse):
            for values in batch.read(fnames, load=None):
                row = [
                    xids.get(values["id"], ""),
                    values[reference] or "",
                    values["name"],
                ]
                for scheme in schemes:
                    value = values[scheme.field_name] or []
                    ids = value if isinstance(value, list) else [value]
                    row.append(
                        f"{VALUE_SEPARATOR} ".join(
                            codes[cid] for cid in ids if cid in codes
                        )
                    )
                rows.append(row)
            batch.invalidate_recordset()
        return self._template_unambiguous(Target, records, rows)

    def _template_unambiguous(self, Target, records, rows):
        """Give an external ID to the rows their reference and name do not
        tell apart (two customers called Anna Kim, neither with a reference),
        as Odoo's export does: the filled-in template must import back."""
        names = Counter(row[2] for row in rows if not row[0])
        references = Counter(row[1] for row in rows if row[1])
        ambiguous = [
            index
            for index, row in enumerate(rows)
            if not row[0]
            and names[row[2]] > 1
            and (not row[1] or references[row[1]] > 1)
        ]
        if ambiguous:
            exported = Target.browse(
                [records.ids[index] for index in ambiguous]
            )._export_rows([["id"]])
            for index, (xid,) in zip(ambiguous, exported, strict=True):
                rows[index][0] = xid
        return rows


def _append_text(sheet, values):
    """Append a row of text cells. openpyxl makes a formula of any string
    starting with "=": whatever a scheme or category is called, the template
    must never run anything in the spreadsheet program that opens it."""
    sheet.append(values)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"
