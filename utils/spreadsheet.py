# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Read one sheet of a .xlsx, .xls or text (.csv, .txt, .tsv) file as typed cells.

Pure Python (no Odoo import) so that it can be tested offline. Every cell comes
back as ``(kind, value)``: the importer accepts only text, so it needs to know
when a spreadsheet turned a code into a number or a date, or holds a formula.

Files come from anyone, so the work is bounded before it is done: the file size,
the declared uncompressed size of a workbook's parts (a zip bomb declares its
size, and Python's zipfile stops there and fails the CRC if it lies), the rows,
columns, non-empty cells and the length of a cell are all checked while the file
is streamed, and reading stops at the first limit crossed. The format is told by
the content, not by the name: an .xlsx renamed .xls is still read as a workbook
with its formulas, not as the cached results an old-format reader would show.
"""

import codecs
import csv
import datetime
import io
import logging
import zipfile
from dataclasses import dataclass, field

_logger = logging.getLogger(__name__)

TEXT, NUMBER, DATE, FORMULA, BOOLEAN, ERROR, EMPTY = (
    "text",
    "number",
    "date",
    "formula",
    "boolean",
    "error",
    "empty",
)
EMPTY_CELL = (EMPTY, "")
XLSX_EXTENSIONS = (".xlsx",)
XLS_EXTENSIONS = (".xls",)
TEXT_EXTENSIONS = (".csv", ".txt", ".tsv")
EXTENSIONS = XLSX_EXTENSIONS + XLS_EXTENSIONS + TEXT_EXTENSIONS
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Why a file cannot be read ("corrupt" errors), as codes the Odoo side translates.
# The parser's own words only go to the log.
NOT_A_WORKBOOK = "not_a_workbook"  # the content is no workbook nor text
DAMAGED = "damaged"  # the right format, but its parser failed
ENCRYPTED = "encrypted"  # a password-protected workbook (an OLE2 container)
UNKNOWN_ENCODING = "unknown_encoding"  # the chosen encoding does not fit
ENCODING_UNSURE = "encoding_unsure"  # automatic detection cannot tell: ask
DELIMITER_UNSURE = "delimiter_unsure"
BINARY_TEXT = "binary_text"
NO_VISIBLE_SHEET = "no_visible_sheet"
UNKNOWN_SHEET = "unknown_sheet"  # the sheet asked for is not a visible one
STRICT_XML = "strict_xml"

# Encodings offered for text files: Python codec name first.
ENCODINGS = ("utf-8", "utf-16", "gb18030", "cp1252", "big5", "shift_jis")
DELIMITERS = {"comma": ",", "semicolon": ";", "tab": "\t"}


@dataclass(frozen=True)
class Limits:
    """What one import may cost. The defaults keep any import well under 500 MB
    (see the hostile figures in README.md)."""

    file_bytes: int = 10 * 1024 * 1024
    rows: int = 50_000  # data rows, the header not counted
    columns: int = 50
    cells: int = 500_000  # non-empty cells, the header's too
    cell_length: int = 300  # characters
    # Declared uncompressed size of a .xlsx's parts: a worksheet is streamed,
    # every other part (shared strings, styles) is read whole by openpyxl.
    sheet_bytes: int = 64 * 1024 * 1024
    part_bytes: int = 8 * 1024 * 1024
    total_bytes: int = 128 * 1024 * 1024


class SheetError(Exception):
    """The file cannot be read; ``code`` says why, for a translated message.

    Codes: "extension", "empty", "corrupt" (``detail`` is one of the reasons
    above), "too_large" (``detail`` names the limit: file, member, rows, columns,
    cells, cell; ``limit`` its value; ``row`` and ``column`` where it was crossed,
    when known); "shape" when an XML part holds far more elements than any
    workbook needs).
    """

    def __init__(self, code, detail="", filename="", **where):
        super().__init__(code, detail)
        self.code = code
        self.detail = detail
        self.filename = filename
        self.limit = where.get("limit")
        self.row = where.get("row")
        self.column = where.get("column")
        self.sheets = where.get("sheets", ())


@dataclass
class Table:
    """The cells read, and what was read: the sheet (or encoding and delimiter)."""

    rows: list
    sheet: str = ""
    visible_sheets: tuple = ()
    # Merged ranges of the sheet read, as (range, first row): merged cells hide
    # every value but the first, which the importer cannot know.
    merged: list = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""


def read_sheet(content, filename, **options):
    """The rows of the file (see read_table)."""
    return read_table(content, filename, **options).rows


def read_table(
    content,
    filename,
    *,
    sheet=None,
    encoding=None,
    delimiter=None,
    limits=None,
):
    """Read the file into a Table of rows of (kind, value).

    ``sheet``: the name of the visible sheet to read, else the first visible
    one (hidden sheets are never read). ``encoding`` (a Python codec name) and
    ``delimiter`` (a character) for text files, else detected. Trailing empty
    rows are dropped. Raises SheetError, carrying the file name.
    """
    limits = limits or Limits()
    filename = filename or ""
    name = filename.lower()
    try:
        if not name.endswith(EXTENSIONS):
            raise SheetError("extension")
        if not content:
            raise SheetError("empty")
        if len(content) > limits.file_bytes:
            raise SheetError("too_large", "file", limit=limits.file_bytes)
        try:
            if content.startswith(ZIP_MAGIC):
                table = _read_xlsx(content, sheet, limits)
            elif content.startswith(OLE2_MAGIC):
                table = _read_xls(content, sheet, limits)
            elif name.endswith(TEXT_EXTENSIONS):
                table = _read_text(content, encoding, delimiter, limits)
            else:
                raise SheetError("corrupt", NOT_A_WORKBOOK)
        except SheetError:
            raise
        except Exception as error:  # any parser failure means a damaged file
            _logger.info(
                "Import file %s cannot be parsed: %s: %s",
                filename,
                type(error).__name__,
                error,
            )
            raise SheetError("corrupt", DAMAGED) from error
    except SheetError as error:
        error.filename = filename
        raise
    rows = table.rows
    while rows and all(kind == EMPTY for kind, __ in rows[-1]):
        rows.pop()
    if not rows:
        raise SheetError("empty", filename=filename, sheets=table.visible_sheets)
    return table


class _Counter:
    """Counts cells as they are read and stops at the first limit crossed."""

    def __init__(self, limits):
        self.limits = limits
        self.cells = 0

    def row(self, number):
        # ``number`` is 1-based and counts the header.
        if number > self.limits.rows + 1:
            raise SheetError("too_large", "rows", limit=self.limits.rows, row=number)

    def cell(self, number, column, kind, value):
        if column > self.limits.columns:
            raise SheetError(
                "too_large",
                "columns",
                limit=self.limits.columns,
                row=number,
                column=column,
            )
        self.cells += 1
        if self.cells > self.limits.cells:
            raise SheetError("too_large", "cells", limit=self.limits.cells, row=number)
        if kind in (TEXT, FORMULA) and len(value) > self.limits.cell_length:
            raise SheetError(
                "too_large",
                "cell",
                limit=self.limits.cell_length,
                row=number,
                column=column,
            )


def _text_or_empty(value):
    text = value.strip()
    return (TEXT, text) if text else EMPTY_CELL


EMPTY_ROW = ()


def _place(rows, number, column, cell):
    """Put a cell at its 1-based row and column, padding only up to it (empty
    rows share one empty tuple)."""
    while len(rows) < number:
        rows.append(EMPTY_ROW)
    cells = rows[number - 1]
    if cells is EMPTY_ROW:
        cells = rows[number - 1] = []
    if len(cells) < column:
        cells.extend([EMPTY_CELL] * (column - len(cells)))
    cells[column - 1] = cell


# ----------------------------------------------------------------------
# .xlsx
# ----------------------------------------------------------------------
def _check_archive(content, limits):
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as error:
        raise SheetError("corrupt", NOT_A_WORKBOOK) from error
    total = 0
    for info in archive.infolist():
        total += info.file_size
        streamed = info.filename.startswith("xl/worksheets/sheet")
        limit = limits.sheet_bytes if streamed else limits.part_bytes
        if info.file_size > limit:
            raise SheetError("too_large", "member", limit=limit)
        if total > limits.total_bytes:
            raise SheetError("too_large", "member", limit=limits.total_bytes)
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names:
        # A zip that is no workbook (an .ods, a .docx, a plain archive), or a
        # "Strict Open XML" workbook, which openpyxl cannot read.
        raise SheetError("corrupt", NOT_A_WORKBOOK)
    return archive


# What openpyxl builds in memory from an XML part: a worksheet row is built
# whole before its cells are read, and styles, the workbook and anything outside
# a sheet's rows whole; a small part may still hold millions of empty elements.
MAX_ELEMENTS_PER_RECORD = 65_536  # a row's cells and their values; 16384 columns
MAX_ELEMENTS = 250_000  # a part read whole, or a sheet outside its rows


def _check_xml_shape(source, limits, record=None, max_records=None):
    """Count a part's elements with expat (no tree) and refuse a shape that
    would cost openpyxl far more memory than the part's size suggests.

    ``record`` (a local tag: "row", "si") is a unit openpyxl builds and frees
    one at a time: each may hold MAX_ELEMENTS_PER_RECORD elements, and there
    may be ``max_records`` of them; every other element counts against
    MAX_ELEMENTS.
    """
    from xml.parsers import expat

    state = {"records": 0, "inside": 0, "depth": 0, "outside": 0}

    def start(name, attributes):
        local = name.rpartition(" ")[2]
        if state["depth"]:
            state["depth"] += 1
            state["inside"] += 1
            if state["inside"] > MAX_ELEMENTS_PER_RECORD:
                if record != "row":
                    raise SheetError("too_large", "shape")
                raise SheetError(
                    "too_large",
                    "columns",
                    limit=limits.columns,
                    row=state["records"],
                )
        elif local == record:
            state["depth"] = 1
            state["inside"] = 0
            state["records"] += 1
            if max_records and state["records"] > max_records:
                raise SheetError(
                    "too_large",
                    "rows",
                    limit=limits.rows,
                    row=state["records"],
                )
        else:
            state["outside"] += 1
            if state["outside"] > MAX_ELEMENTS:
                raise SheetError("too_large", "shape")

    def end(name):
        if state["depth"]:
            state["depth"] -= 1

    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.ParseFile(source)
    except expat.ExpatError as error:
        raise SheetError("corrupt", DAMAGED) from error


def _check_parts(archive, limits):
    names = set(archive.namelist())
    for name, record, max_records in (
        ("xl/workbook.xml", None, None),
        ("xl/styles.xml", None, None),
        ("xl/sharedStrings.xml", "si", None),
    ):
        if name in names:
            with archive.open(name) as source:
                _check_xml_shape(source, limits, record, max_records)


def _xlsx_cell(parsed):
    value = parsed["value"]
    data_type = parsed["data_type"]
    if value is None:
        return None
    if data_type == "f" or (isinstance(value, str) and value.startswith("=")):
        return (FORMULA, str(value))
    if data_type == "e":
        return (ERROR, str(value))
    if isinstance(value, bool):
        return (BOOLEAN, value)
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta):
        return (DATE, value)
    if isinstance(value, int | float):
        return (NUMBER, value)
    return _text_or_empty(str(value))


def _choose_sheet(names_and_states, wanted):
    visible = tuple(name for name, state in names_and_states if state == "visible")
    if not visible:
        raise SheetError("corrupt", NO_VISIBLE_SHEET)
    if wanted:
        by_key = {name.strip().casefold(): name for name in visible}
        chosen = by_key.get(wanted.strip().casefold())
        if chosen is None:
            raise SheetError("corrupt", UNKNOWN_SHEET, sheets=visible)
        return chosen, visible
    return visible[0], visible


def _read_xlsx(content, wanted_sheet, limits):
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.styles.stylesheet import apply_stylesheet
    from openpyxl.worksheet._reader import WorkSheetParser
    from openpyxl.worksheet.cell_range import CellRange

    _check_archive(content, limits)
    # load_workbook's steps but the worksheets': openpyxl's ReadOnlyWorksheet
    # looks for each sheet's dimension as it is created, parsing a sheet that
    # declares none to its end, hidden sheets included (36 s for a 136 kB file
    # of a million formula rows). Only the sheet read is parsed, once.
    reader = ExcelReader(io.BytesIO(content), read_only=True, data_only=False)
    try:
        _check_parts(reader.archive, limits)
        reader.read_manifest()
        reader.read_strings()
        reader.read_workbook()
        reader.read_theme()
        apply_stylesheet(reader.archive, reader.wb)
        sheets = [
            (sheet.name, sheet.state or "visible", rel.target)
            for sheet, rel in reader.parser.find_sheets()
            if rel.target in reader.valid_files and "chartsheet" not in rel.Type
        ]
        chosen, visible = _choose_sheet(
            [(name, state) for name, state, __ in sheets], wanted_sheet
        )
        target = next(target for name, __, target in sheets if name == chosen)
        with reader.archive.open(target) as source:
            _check_xml_shape(source, limits, "row", limits.rows + 1)
        counter = _Counter(limits)
        rows = []
        # The low-level parser yields the cells the file holds, where they are:
        # ReadOnlyWorksheet.iter_rows would pad every row up to the sheet's
        # declared dimension (16384 x 1048576 cells for one cell at XFD1048576).
        source = reader.archive.open(target)
        try:
            parser = WorkSheetParser(
                source,
                reader.shared_strings,
                data_only=False,
                epoch=reader.wb.epoch,
                date_formats=reader.wb._date_formats,
                timedelta_formats=reader.wb._timedelta_formats,
            )
            for number, cells in parser.parse():
                for parsed in cells:
                    cell = _xlsx_cell(parsed)
                    if cell is None or cell is EMPTY_CELL:
                        continue
                    counter.row(number)
                    counter.cell(number, parsed["column"], *cell)
                    _place(rows, number, parsed["column"], cell)
            merges = parser.merged_cells.mergeCell if parser.merged_cells else ()
            merged = [(str(m.ref), CellRange(str(m.ref)).min_row) for m in merges]
        finally:
            source.close()
        return Table(rows, sheet=chosen, visible_sheets=visible, merged=merged)
    finally:
        reader.archive.close()


# ----------------------------------------------------------------------
# .xls
# ----------------------------------------------------------------------
def _read_xls(content, wanted_sheet, limits):
    import xlrd

    try:
        book = xlrd.open_workbook(
            file_contents=content,
            on_demand=True,
            ragged_rows=True,
            formatting_info=True,
            logfile=io.StringIO(),
        )
    except xlrd.XLRDError as error:
        if "encrypted" in str(error).lower():
            raise SheetError("corrupt", ENCRYPTED) from error
        if "Expected BOF record" in str(error) or "CompDoc" in str(error):
            # An OLE2 file that is no workbook (an old .doc), or a broken one.
            raise SheetError("corrupt", NOT_A_WORKBOOK) from error
        raise
    try:
        states = [
            (name, "visible" if visibility == 0 else "hidden")
            for name, visibility in zip(
                book.sheet_names(), book._sheet_visibility, strict=False
            )
        ]
        chosen, visible = _choose_sheet(states, wanted_sheet)
        sheet = book.sheet_by_name(chosen)
        kinds = {
            xlrd.XL_CELL_NUMBER: NUMBER,
            xlrd.XL_CELL_DATE: DATE,
            xlrd.XL_CELL_BOOLEAN: BOOLEAN,
            xlrd.XL_CELL_ERROR: ERROR,
        }
        counter = _Counter(limits)
        rows = []
        for index in range(sheet.nrows):
            number = index + 1
            cells = []
            for column, cell in enumerate(sheet.row(index), start=1):
                if cell.ctype == xlrd.XL_CELL_TEXT:
                    value = _text_or_empty(cell.value)
                elif cell.ctype in kinds:
                    value = (kinds[cell.ctype], cell.value)
                else:
                    value = EMPTY_CELL
                if value is not EMPTY_CELL:
                    counter.row(number)
                    counter.cell(number, column, *value)
                cells.append(value)
            rows.append(cells)
        merged = [
            (_range_name(rlo, rhi, clo, chi), rlo + 1)
            for rlo, rhi, clo, chi in sheet.merged_cells
            if rhi - rlo > 1 or chi - clo > 1
        ]
        return Table(rows, sheet=chosen, visible_sheets=visible, merged=merged)
    finally:
        book.release_resources()


def column_letter(column):
    """The spreadsheet's name of a 1-based column: 1 is A, 28 is AB."""
    letters = ""
    while column:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def _range_name(rlo, rhi, clo, chi):
    return f"{column_letter(clo + 1)}{rlo + 1}:{column_letter(chi)}{rhi}"


# ----------------------------------------------------------------------
# Text
# ----------------------------------------------------------------------
def decode(content, encoding=None):
    """Return (text, codec): the chosen codec, or one detected for sure.

    Automatic detection trusts a byte-order mark (UTF-8, UTF-16) and strict
    UTF-8. Other bytes could be GB18030 (Chinese offices) or Windows-1252
    (Western ones): they are taken as GB18030 only when every non-ASCII
    character they decode to is in GB2312, the simplified Chinese set that
    Chinese text almost always stays within, while Latin-1 letters read as
    GB18030 give rare characters outside it. Else the user is asked to choose.
    """
    if encoding:
        codec = codecs.lookup(encoding).name
        if codec == "utf-8" and content.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        try:
            return content.decode(codec), codec
        except UnicodeDecodeError as error:
            raise SheetError("corrupt", UNKNOWN_ENCODING) from error
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8-sig"),
        (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"),
    ):
        if content.startswith(bom):
            try:
                return content.decode(codec), codec
            except UnicodeDecodeError as error:
                raise SheetError("corrupt", UNKNOWN_ENCODING) from error
    for codec, sure in (("utf-8", None), ("gb18030", _within_gb2312)):
        try:
            text = content.decode(codec)
        except UnicodeDecodeError:
            continue
        if sure is None or sure(text):
            return text, codec
    raise SheetError("corrupt", ENCODING_UNSURE)


def _within_gb2312(text):
    for char in set(text):
        if char >= "\x80":
            try:
                char.encode("gb2312")
            except UnicodeEncodeError:
                return False
    return True


def _delimiter(text):
    """The delimiter counted outside quotes on the header line (the first one
    that is not blank): a quoted "ON;OFF" in a data row fools no count."""
    header = ""
    in_quotes = False
    for char in text:
        if char == '"':
            in_quotes = not in_quotes
        elif char in "\r\n" and not in_quotes:
            if header.strip():
                break
            header = ""
            continue
        if not in_quotes:
            header += char
        if len(header) > 100_000:
            break
    counts = {sep: header.count(sep) for sep in DELIMITERS.values()}
    best = max(counts.values())
    if not best:
        return ","  # one column: the header check names what is missing
    winners = [sep for sep, count in counts.items() if count == best]
    if len(winners) > 1:
        raise SheetError("corrupt", DELIMITER_UNSURE)
    return winners[0]


def _read_text(content, encoding, delimiter, limits):
    text, codec = decode(content, encoding)
    if "\x00" in text:
        raise SheetError("corrupt", BINARY_TEXT)
    delimiter = delimiter or _delimiter(text)
    counter = _Counter(limits)
    rows = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, quotechar='"')
    number = 0
    try:
        for number, row in enumerate(reader, start=1):
            for column, value in enumerate(row, start=1):
                cell = _text_or_empty(value)
                if cell is EMPTY_CELL:
                    continue
                # A spreadsheet opening this file would run it: a formula.
                if cell[1].startswith("="):
                    cell = (FORMULA, cell[1])
                counter.row(number)
                counter.cell(number, column, *cell)
                _place(rows, number, column, cell)
    except csv.Error as error:
        if "field larger than field limit" in str(error):
            # Far longer than any cell may be (csv's own limit is 131072).
            raise SheetError(
                "too_large", "cell", limit=limits.cell_length, row=number + 1
            ) from error
        raise
    return Table(rows, encoding=codec, delimiter=delimiter)
