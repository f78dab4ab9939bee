# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Read the first sheet of a .xlsx, .xls or .csv file as typed cells.

Pure Python (no Odoo import) so that it can be tested offline. Every cell comes
back as ``(kind, value)``: the importer accepts only text, so it needs to know
when a spreadsheet turned a code into a number or a date, or holds a formula.
"""

import csv
import datetime
import io
import zipfile

TEXT, NUMBER, DATE, FORMULA, BOOLEAN, ERROR, EMPTY = (
    "text",
    "number",
    "date",
    "formula",
    "boolean",
    "error",
    "empty",
)
EXTENSIONS = (".xlsx", ".xls", ".csv")
# Why a file is "corrupt", when the reader knows; else the parser's own message.
NOT_A_WORKBOOK, UNKNOWN_ENCODING, BINARY_TEXT = (
    "not_a_workbook",
    "unknown_encoding",
    "binary_text",
)
CSV_ENCODINGS = ("utf-8-sig", "gb18030")


class SheetError(Exception):
    """The file cannot be read; ``code`` says why, for a translated message.

    ``detail`` is one of the reasons above, or the parser's own message.
    """

    def __init__(self, code, detail="", filename=""):
        super().__init__(code, detail)
        self.code = code
        self.detail = detail
        self.filename = filename


def read_sheet(content, filename):
    """Return the rows of the file's first sheet as lists of (kind, value).

    Trailing empty rows are dropped. Raises SheetError "extension", "corrupt"
    (with a reason) or "empty", carrying the file name.
    """
    filename = filename or ""
    name = filename.lower()
    if not name.endswith(EXTENSIONS):
        raise SheetError("extension", filename=filename)
    if not content:
        raise SheetError("empty", filename=filename)
    try:
        if name.endswith(".xlsx"):
            rows = _read_xlsx(content)
        elif name.endswith(".xls"):
            rows = _read_xls(content)
        else:
            rows = _read_csv(content)
    except SheetError as error:
        error.filename = filename
        raise
    except Exception as error:  # any parser failure means a damaged file
        detail = str(error) or type(error).__name__
        raise SheetError("corrupt", detail, filename) from error
    while rows and all(kind == EMPTY for kind, __ in rows[-1]):
        rows.pop()
    if not rows:
        raise SheetError("empty", filename=filename)
    return rows


def _text_or_empty(value):
    text = value.strip()
    return (TEXT, text) if text else (EMPTY, "")


def _read_xlsx(content):
    import openpyxl

    if not zipfile.is_zipfile(io.BytesIO(content)):
        raise SheetError("corrupt", NOT_A_WORKBOOK)
    workbook = openpyxl.load_workbook(
        io.BytesIO(content), read_only=True, data_only=False
    )
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for row in sheet.iter_rows():
            cells = []
            for cell in row:
                value = getattr(cell, "value", None)
                if value is None:
                    cells.append((EMPTY, ""))
                elif cell.data_type == "f" or (
                    isinstance(value, str) and value.startswith("=")
                ):
                    cells.append((FORMULA, str(value)))
                elif isinstance(value, bool):
                    cells.append((BOOLEAN, value))
                elif isinstance(
                    value, datetime.date | datetime.time | datetime.timedelta
                ):
                    cells.append((DATE, value))
                elif isinstance(value, int | float):
                    cells.append((NUMBER, value))
                elif cell.data_type == "e":
                    cells.append((ERROR, str(value)))
                else:
                    cells.append(_text_or_empty(str(value)))
            rows.append(cells)
        return rows
    finally:
        workbook.close()


def _read_xls(content):
    import xlrd

    book = xlrd.open_workbook(file_contents=content)
    sheet = book.sheet_by_index(0)
    kinds = {
        xlrd.XL_CELL_NUMBER: NUMBER,
        xlrd.XL_CELL_DATE: DATE,
        xlrd.XL_CELL_BOOLEAN: BOOLEAN,
        xlrd.XL_CELL_ERROR: ERROR,
    }
    rows = []
    for index in range(sheet.nrows):
        cells = []
        for cell in sheet.row(index):
            if cell.ctype == xlrd.XL_CELL_TEXT:
                cells.append(_text_or_empty(cell.value))
            elif cell.ctype in kinds:
                cells.append((kinds[cell.ctype], cell.value))
            else:
                cells.append((EMPTY, ""))
        rows.append(cells)
    return rows


def _read_csv(content):
    for encoding in CSV_ENCODINGS:
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SheetError("corrupt", UNKNOWN_ENCODING)
    if "\x00" in text:
        raise SheetError("corrupt", BINARY_TEXT)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = []
    for row in csv.reader(io.StringIO(text), dialect):
        cells = []
        for value in row:
            kind, text_value = _text_or_empty(value)
            # A spreadsheet opening this file would run it: refuse it as a formula.
            if text_value.startswith("="):
                kind = FORMULA
            cells.append((kind, text_value))
        rows.append(cells)
    return rows
