"""Reading import files: every cell comes back with the kind the spreadsheet gave
it, so that the importer can refuse numbers, dates and formulas where it expects
codes."""

import datetime
import io
import zipfile

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
        (b"anything", "notes.pdf", "extension"),
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
        (b"name\nM\xfcller\n", "x.csv", sheet.UNKNOWN_ENCODING),
        (b"a,b\x00c", "x.csv", sheet.BINARY_TEXT),
    ):
        with pytest.raises(sheet.SheetError) as error:
            sheet.read_sheet(content, filename, encoding="utf-8")
        assert error.value.detail == reason, filename


# ----------------------------------------------------------------------
# Hostile files: bounded work, nothing silently wrong
# ----------------------------------------------------------------------
def _zip(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _with_member(content, name, data):
    """The workbook with one of its parts replaced."""
    source = zipfile.ZipFile(io.BytesIO(content))
    members = {info.filename: source.read(info) for info in source.infolist()}
    members[name] = data
    return _zip(members)


def _sheet_xml(cells, dimension="A1"):
    body = "".join(
        f'<row r="{row}"><c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c></row>'
        for row, ref, text in cells
    )
    return (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'<dimension ref="{dimension}"/><sheetData>{body}</sheetData></worksheet>'
    ).encode()


def _too_large(content, filename="x.xlsx", **options):
    with pytest.raises(sheet.SheetError) as error:
        sheet.read_sheet(content, filename, **options)
    assert error.value.code == "too_large", error.value.detail
    return error.value


def test_far_cell_is_refused_without_padding():
    """One cell at XFD1048576 declared as the sheet's dimension: refused at once,
    never expanded to 16384 x 1048576 cells."""
    content = _with_member(
        _xlsx([["name"]]),
        "xl/worksheets/sheet1.xml",
        _sheet_xml([(1048576, "XFD1048576", "x")], dimension="A1:XFD1048576"),
    )
    assert len(content) < 10_000
    error = _too_large(content)
    assert (error.detail, error.row) == ("rows", 1048576)
    content = _with_member(
        _xlsx([["name"]]),
        "xl/worksheets/sheet1.xml",
        _sheet_xml([(1, "A1", "name"), (2, "XFD2", "x")], dimension="A1:XFD2"),
    )
    error = _too_large(content)
    assert (error.detail, error.row, error.column) == ("columns", 2, 16384)
    # The declared dimension alone pads nothing.
    content = _with_member(
        _xlsx([["name"]]),
        "xl/worksheets/sheet1.xml",
        _sheet_xml([(1, "A1", "name"), (2, "B2", "x")], dimension="A1:XFD1048576"),
    )
    assert sheet.read_sheet(content, "x.xlsx") == [
        [(sheet.TEXT, "name")],
        [sheet.EMPTY_CELL, (sheet.TEXT, "x")],
    ]


def test_zip_bomb_refused_by_declared_size():
    bomb = b"<sst>" + b" " * (200 * 1024 * 1024) + b"</sst>"
    content = _with_member(_xlsx([["name"]]), "xl/sharedStrings.xml", bomb)
    assert len(content) < 1_000_000
    error = _too_large(content)
    assert error.detail == "member"


def test_limits_on_rows_columns_cells_and_length():
    limits = sheet.Limits(rows=3, columns=3, cells=8, cell_length=5)
    assert len(sheet.read_sheet(_xlsx([["a"]] * 4), "x.xlsx", limits=limits)) == 4
    assert _too_large(_xlsx([["a"]] * 5), limits=limits).row == 5
    assert _too_large(_xlsx([["a", "b", "c", "d"]]), limits=limits).column == 4
    assert _too_large(_xlsx([["a", "b", "c"]] * 3), limits=limits).detail == "cells"
    error = _too_large(_xlsx([["a"], ["toolong"]]), limits=limits)
    assert (error.detail, error.row, error.column) == ("cell", 2, 1)
    error = _too_large(b"name\n" * 5, "x.csv", limits=limits)
    assert (error.detail, error.row) == ("rows", 5)
    assert _too_large(b"abcdef", "x.csv", limits=limits).detail == "cell"
    big = sheet.Limits(file_bytes=9)
    assert _too_large(b"name,code\n", "x.csv", limits=big).detail == "file"
    # Blank lines and empty cells cost nothing.
    rows = sheet.read_sheet(b"name" + b"\n" * 100 + b",,,,,,,x\n", "x.csv")
    assert len(rows) == 101 and rows[-1][-1] == (sheet.TEXT, "x")


def test_csv_field_beyond_the_parser_limit():
    error = _too_large(b'name\n"' + b"x" * 200_000 + b'"\n', "x.csv")
    assert error.detail == "cell"


def test_hidden_sheets_are_never_read():
    workbook = openpyxl.Workbook()
    hidden = workbook.active
    hidden.title = "Old"
    hidden.append(["name", "OLD"])
    hidden.sheet_state = "hidden"
    secret = workbook.create_sheet("Secret")
    secret.sheet_state = "veryHidden"
    secret.append(["name", "SECRET"])
    workbook.create_sheet("Import").append(["name", "NEW"])
    workbook.create_sheet("Other").append(["name", "OTHER"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = sheet.read_table(buffer.getvalue(), "x.xlsx")
    assert table.sheet == "Import"
    assert table.visible_sheets == ("Import", "Other")
    assert table.rows[0][1] == (sheet.TEXT, "NEW")
    table = sheet.read_table(buffer.getvalue(), "x.xlsx", sheet="other")
    assert table.rows[0][1] == (sheet.TEXT, "OTHER")
    for hidden_name in ("Old", "Secret"):
        with pytest.raises(sheet.SheetError) as error:
            sheet.read_table(buffer.getvalue(), "x.xlsx", sheet=hidden_name)
        assert error.value.detail == sheet.UNKNOWN_SHEET
        assert error.value.sheets == ("Import", "Other")


def test_merged_cells_are_reported():
    workbook = openpyxl.Workbook()
    workbook.active.append(["name", "REGION"])
    workbook.active.append(["Acme", "EAST"])
    workbook.active.append(["Beta", None])
    workbook.active.merge_cells("B2:B3")
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert sheet.read_table(buffer.getvalue(), "x.xlsx").merged == [("B2:B3", 2)]


def test_format_by_content_not_by_name():
    workbook = openpyxl.Workbook()
    workbook.active.append(["name", "=A1"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    renamed = sheet.read_sheet(buffer.getvalue(), "renamed.xls")
    assert renamed[0][1] == (sheet.FORMULA, "=A1"), "not its cached result"
    for content, filename in (
        (b"name,REGION\n", "x.xls"),
        (b"name,REGION\n", "x.xlsx"),
        (_zip({"content.xml": b"<x/>"}), "x.xlsx"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "x.xls"),
    ):
        with pytest.raises(sheet.SheetError) as error:
            sheet.read_sheet(content, filename)
        assert error.value.code == "corrupt", filename
        assert error.value.detail in (sheet.NOT_A_WORKBOOK, sheet.DAMAGED)
    with pytest.raises(sheet.SheetError) as error:
        sheet.read_sheet(_zip({"xl/workbook.xml": b"<garbage"}), "x.xlsx")
    assert error.value.detail == sheet.DAMAGED, "no parser text reaches the user"


def test_excel_unicode_text_and_encodings():
    unicode_text = "name\tREGION\r\nMüller\t华东\r\n".encode("utf-16")
    table = sheet.read_table(unicode_text, "export.txt")
    assert (table.encoding, table.delimiter) == ("utf-16", "\t")
    assert table.rows[1] == [(sheet.TEXT, "Müller"), (sheet.TEXT, "华东")]
    # Latin-1 bytes are not taken for Chinese: the user is asked.
    western = "name;REGION\nMüller;Zürich\nFrançois;Genève\n".encode("cp1252")
    with pytest.raises(sheet.SheetError) as error:
        sheet.read_sheet(western, "x.csv")
    assert error.value.detail == sheet.ENCODING_UNSURE
    rows = sheet.read_sheet(western, "x.csv", encoding="cp1252")
    assert rows[1] == [(sheet.TEXT, "Müller"), (sheet.TEXT, "Zürich")]
    # Common Chinese text in GB18030 is recognised without asking.
    rows = sheet.read_sheet("名称,地区\n上海贸易公司,华东\n".encode("gb18030"), "x.csv")
    assert rows[1] == [(sheet.TEXT, "上海贸易公司"), (sheet.TEXT, "华东")]


def test_delimiter_from_the_header_outside_quotes():
    content = b'name;CHANNEL\n"Acme, Inc";"ON;OFF"\n"Beta";"ON;OFF"\n'
    table = sheet.read_table(content, "x.csv")
    assert table.delimiter == ";"
    assert table.rows[1] == [(sheet.TEXT, "Acme, Inc"), (sheet.TEXT, "ON;OFF")]
    rows = sheet.read_sheet(b"name,CHANNEL\nAcme,ON\n", "x.csv", delimiter=";")
    assert rows[0] == [(sheet.TEXT, "name,CHANNEL")], "the user's choice wins"
    with pytest.raises(sheet.SheetError) as error:
        sheet.read_sheet(b"name;code,x\n", "x.csv")
    assert error.value.detail == sheet.DELIMITER_UNSURE


def test_xls_hidden_sheets_and_merged_cells():
    import xlwt

    workbook = xlwt.Workbook()
    hidden = workbook.add_sheet("Old")
    hidden.write(0, 0, "name")
    hidden.visibility = 1
    current = workbook.add_sheet("Current")
    current.write(0, 0, "name")
    current.write(0, 1, "REGION")
    current.write(1, 0, "Acme")
    current.write_merge(1, 2, 1, 1, "EAST")
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = sheet.read_table(buffer.getvalue(), "x.xls")
    assert (table.sheet, table.visible_sheets) == ("Current", ("Current",))
    assert table.merged == [("B2:B3", 2)]


def test_parts_shaped_to_blow_up_memory():
    """Small parts holding millions of empty elements, which openpyxl would
    build in memory: refused by counting them first."""
    ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    base = _xlsx([["name"]])

    def sheet_xml(body, after=""):
        return (
            f'<worksheet xmlns="{ns}"><sheetData>{body}</sheetData>{after}</worksheet>'
        ).encode()

    error = _too_large(
        _with_member(base, "xl/worksheets/sheet1.xml", sheet_xml("<row/>" * 1_000_000))
    )
    assert (error.detail, error.row) == ("rows", 50_002)
    error = _too_large(
        _with_member(
            base,
            "xl/worksheets/sheet1.xml",
            sheet_xml("<row>" + "<c/>" * 100_000 + "</row>"),
        )
    )
    assert (error.detail, error.row) == ("columns", 1)
    merges = "<mergeCells>" + '<mergeCell ref="A1:B2"/>' * 300_000 + "</mergeCells>"
    error = _too_large(
        _with_member(base, "xl/worksheets/sheet1.xml", sheet_xml("", merges))
    )
    assert error.detail == "shape"
    styles = (
        f'<styleSheet xmlns="{ns}"><cellXfs>'
        + "<xf/>" * 300_000
        + "</cellXfs></styleSheet>"
    )
    assert (
        _too_large(_with_member(base, "xl/styles.xml", styles.encode())).detail
        == "shape"
    )
    runs = f'<sst xmlns="{ns}"><si>' + "<r><t>a</t></r>" * 40_000 + "</si></sst>"
    assert (
        _too_large(_with_member(base, "xl/sharedStrings.xml", runs.encode())).detail
        == "shape"
    )
