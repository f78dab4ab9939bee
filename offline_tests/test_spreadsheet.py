"""Reading import files: every cell comes back with the kind the spreadsheet gave
it, so that the importer can refuse numbers, dates and formulas where it expects
codes."""

import datetime
import io

import openpyxl
import pytest
from conftest import load_pure_module

sheet = load_pure_module("utils/spreadsheet.py")


def _xlsx(rows):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_xlsx_cells_keep_their_kind():
    rows = sheet.read_sheet(
        _xlsx(
            [
                ["reference", "REGION"],
                ["C1", "=A1"],
                [12, datetime.datetime(2026, 1, 1)],
                [True, "  EAST  "],
                [None, None],
            ]
        ),
        "x.XLSX",
    )
    assert len(rows) == 4, "trailing empty rows are dropped"
    assert rows[1] == [(sheet.TEXT, "C1"), (sheet.FORMULA, "=A1")]
    assert [kind for kind, __ in rows[2]] == [sheet.NUMBER, sheet.DATE]
    assert rows[3] == [(sheet.BOOLEAN, True), (sheet.TEXT, "EAST")]


def test_csv_delimiters_encodings_and_formulas():
    rows = sheet.read_sheet(
        "name;REGION\nBeta;华东\nGamma;=1+1\n".encode("gb18030"), "f.csv"
    )
    assert rows[1] == [(sheet.TEXT, "Beta"), (sheet.TEXT, "华东")]
    assert rows[2][1][0] == sheet.FORMULA
    rows = sheet.read_sheet("\ufeffname,REGION\nBeta,EAST\n".encode(), "f.csv")
    assert rows[0][0] == (sheet.TEXT, "name"), "the BOM is not part of the header"


@pytest.mark.parametrize(
    ("content", "filename", "code"),
    [
        (b"anything", "notes.txt", "extension"),
        (b"", "empty.csv", "empty"),
        (b"\n\n", "blank.csv", "empty"),
        (b"PK\x03\x04 not a workbook", "broken.xlsx", "corrupt"),
        (b"plain text", "broken.xlsx", "corrupt"),
        (b"\xd0\xcf\x11\xe0 not a workbook", "broken.xls", "corrupt"),
        (b"a,b\x00c", "binary.csv", "corrupt"),
    ],
)
def test_unreadable_files(content, filename, code):
    with pytest.raises(sheet.SheetError) as error:
        sheet.read_sheet(content, filename)
    assert error.value.code == code
    assert error.value.filename == filename, "messages name the file"


def test_known_reasons_are_codes_for_translation():
    for content, filename, reason in (
        (b"plain text", "x.xlsx", sheet.NOT_A_WORKBOOK),
        ("\u00e9".encode("utf-16"), "x.csv", sheet.UNKNOWN_ENCODING),
        (b"a,b\x00c", "x.csv", sheet.BINARY_TEXT),
    ):
        with pytest.raises(sheet.SheetError) as error:
            sheet.read_sheet(content, filename)
        assert error.value.detail == reason, filename
