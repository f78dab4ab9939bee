# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Hostile and tricky files through the import wizard, as a classification
manager: bounded work, nothing silently wrong, encodings, a template free of
formulas, plain messages, and no record of another company revealed."""

import base64
import io
import zipfile

import openpyxl

from odoo import Command
from odoo.tests import new_test_user, tagged

from .scheme_common import SchemeCase


def workbook_bytes(workbook):
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx(rows):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    return workbook_bytes(workbook)


def with_member(content, name, data):
    """The workbook with one of its parts replaced by ``data`` (bytes, or an
    iterable of chunks, so that a huge part is never held whole)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            if info.filename != name:
                archive.writestr(info.filename, source.read(info))
        with archive.open(name, "w", force_zip64=True) as member:
            for chunk in [data] if isinstance(data, bytes) else data:
                member.write(chunk)
    return buffer.getvalue()


def far_cell_xlsx():
    """4.9 kB: one cell at XFD1048576, declared as the sheet's dimension."""
    sheet = (
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        'main"><dimension ref="A1:XFD1048576"/><sheetData>'
        '<row r="1"><c r="A1" t="inlineStr"><is><t>reference</t></is></c>'
        '<c r="B1" t="inlineStr"><is><t>TREGION</t></is></c></row>'
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>'
        "</row></sheetData></worksheet>"
    )
    return with_member(
        xlsx([["reference"]]), "xl/worksheets/sheet1.xml", sheet.encode()
    )


def zip_bomb_xlsx(megabytes=1024):
    """About 1 MB declaring a 1 GB shared string (by default)."""
    chunk = b"A" * (1024 * 1024)
    bomb = [b"<sst><si><t>", *([chunk] * megabytes), b"</t></si></sst>"]
    return with_member(
        xlsx([["reference", "TREGION"], ["C001", "EAST"]]),
        "xl/sharedStrings.xml",
        bomb,
    )


@tagged("post_install", "-at_install")
class TestImportHostile(SchemeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.acme = Partner.create({"name": "Acme", "is_company": True, "ref": "C001"})
        cls.beta = Partner.create({"name": "Beta", "is_company": True, "ref": "C002"})
        cls.muller = Partner.create(
            {"name": "Müller GmbH", "is_company": True, "ref": "C003"}
        )

    def _wizard(self, content, filename="file.xlsx", user=None, **values):
        env = self.env(user=user or self.manager)
        return env["classification.import.wizard"].create(
            {
                "applies_to": "partner",
                "file": base64.b64encode(content),
                "filename": filename,
                **values,
            }
        )

    def _checked(self, content, filename="file.xlsx", user=None, **values):
        wizard = self._wizard(content, filename, user, **values)
        wizard.action_check()
        return wizard

    def _errors(self, content, filename="file.xlsx", user=None, **values):
        wizard = self._checked(content, filename, user, **values)
        self.assertEqual(wizard.state, "error", wizard.line_ids.mapped("record"))
        for partner in self.acme | self.beta | self.muller:
            self.assertFalse(partner[self.region_field], partner.name)
        return wizard.error_report.splitlines()

    # ------------------------------------------------------------------
    # Bounded work
    # ------------------------------------------------------------------
    def test_far_cell_refused_at_once(self):
        content = far_cell_xlsx()
        self.assertLess(len(content), 6000)
        [error] = self._errors(content)
        self.assertEqual(
            error,
            "Row 1048576: the file has more than 50000 rows; split it into "
            "several files.",
        )

    def test_zip_bomb_refused_by_declared_size(self):
        content = zip_bomb_xlsx(64)  # the benchmark builds the 1 GB one
        self.assertLess(len(content), 200_000)
        [error] = self._errors(content)
        self.assertIn("file.xlsx unpacks to more than 8 MB", error)

    def test_rows_cells_and_length_limits(self):
        rows = b"reference,TREGION\n" + b"C001,EAST\n" * 50_001
        [error] = self._errors(rows, "big.csv")
        self.assertTrue(error.startswith("Row 50002: the file has more than 50000"))
        [error] = self._errors(xlsx([["reference", "TREGION"], ["C001", "E" * 301]]))
        self.assertEqual(
            error,
            "Row 2, column B: a cell holds more than 300 characters; codes and "
            "names are shorter.",
        )
        header = ["reference", "TREGION"] + [None] * 48 + ["x"]
        [error] = self._errors(xlsx([header]))
        self.assertIn("Row 1, column AY: a value lies beyond the 50 columns", error)

    def test_error_report_keeps_the_first_errors_and_counts_the_rest(self):
        rows = [["reference", "TREGION"]] + [[f"X{i}", "EAST"] for i in range(400)]
        wizard = self._checked(xlsx(rows))
        errors = wizard.error_report.splitlines()
        self.assertEqual(wizard.error_count, 400)
        self.assertEqual(len(errors), 301)
        self.assertEqual(errors[0], "Row 2: no record found whose reference is X0.")
        self.assertEqual(errors[-1], "... and 100 more errors, not listed.")

    # ------------------------------------------------------------------
    # Nothing silently wrong
    # ------------------------------------------------------------------
    def test_hidden_sheets_are_never_read_and_the_sheet_is_stated(self):
        workbook = openpyxl.Workbook()
        old = workbook.active
        old.title = "Old"
        old.append(["reference", "TREGION"])
        old.append(["C001", "WEST"])
        old.sheet_state = "hidden"
        secret = workbook.create_sheet("Secret")
        secret.sheet_state = "veryHidden"
        secret.append(["reference", "TREGION"])
        secret.append(["C002", "WEST"])
        current = workbook.create_sheet("Current")
        current.append(["reference", "TREGION"])
        current.append(["C001", "EAST"])
        content = workbook_bytes(workbook)
        wizard = self._checked(content)
        self.assertEqual(wizard.state, "preview", wizard.error_report)
        self.assertEqual(wizard.source, "Sheet read: Current.")
        wizard.action_import()
        self.assertEqual(self.acme[self.region_field], self.east)
        self.assertFalse(self.beta[self.region_field], "a very hidden sheet")
        # Several visible sheets: the first is read and the others are named;
        # the user picks one by name, never a hidden one.
        other = workbook.create_sheet("Next")
        other.append(["reference", "TREGION"])
        other.append(["C002", "WEST"])
        content = workbook_bytes(workbook)
        wizard = self._checked(content)
        self.assertIn("Sheet read: Current", wizard.source)
        self.assertIn("Current, Next", wizard.source)
        wizard = self._checked(content, sheet_name="next")
        self.assertEqual(wizard.state, "preview", wizard.error_report)
        wizard.action_import()
        self.assertEqual(self.beta[self.region_field], self.west)
        wizard = self._checked(content, sheet_name="Secret")
        self.assertEqual(
            wizard.error_report,
            "file.xlsx cannot be read: it has no visible sheet of that name; its "
            "visible sheets are Current, Next.",
        )

    def test_merged_cells_refused(self):
        workbook = openpyxl.Workbook()
        workbook.active.append(["reference", "TREGION"])
        workbook.active.append(["C001", "EAST"])
        workbook.active.append(["C002", None])
        workbook.active.merge_cells("B2:B3")
        [error] = self._errors(workbook_bytes(workbook))
        self.assertEqual(
            error,
            "Row 2: the cells B2:B3 are merged; unmerge them and fill in every cell.",
        )

    def test_values_without_a_header_refused(self):
        errors = self._errors(
            xlsx(
                [
                    ["reference", None, "TREGION"],
                    ["C001", "lost", "EAST"],
                    ["C002", None, "WEST", "extra"],
                ]
            )
        )
        self.assertEqual(
            errors,
            [
                "Row 2, column B: lost lies in a column without a header; head "
                "the column or clear the cell.",
                "Row 3, column D: extra lies in a column without a header; head "
                "the column or clear the cell.",
            ],
        )

    def test_naming_cells_must_agree(self):
        [error] = self._errors(
            xlsx([["reference", "name", "TREGION"], ["C001", "Beta", "EAST"]])
        )
        self.assertEqual(
            error,
            "Row 2: the reference C001 and the name Beta name different records; "
            "give one that names the record, or make them agree.",
        )
        self.env["ir.model.data"].create(
            {
                "module": "legacy",
                "name": "beta",
                "model": "res.partner",
                "res_id": self.beta.id,
            }
        )
        [error] = self._errors(
            xlsx(
                [
                    ["external_id", "reference", "TREGION"],
                    ["legacy.beta", "C001", "EAST"],
                ]
            )
        )
        self.assertIn("name different records", error)
        # Agreeing cells are fine, even a name two records share.
        self.env["res.partner"].create({"name": "Acme", "is_company": True})
        wizard = self._checked(
            xlsx([["reference", "name", "TREGION"], ["C001", "Acme", "EAST"]])
        )
        self.assertEqual(wizard.state, "preview", wizard.error_report)

    def test_format_told_by_content(self):
        renamed = xlsx([["reference", "TREGION"], ["C001", '=IF(1,"EAST")']])
        [error] = self._errors(renamed, "renamed.xls")
        self.assertIn("Row 2, column TREGION: a formula", error)
        [error] = self._errors(b"reference,TREGION\nC001,EAST\n", "text.xls")
        self.assertEqual(
            error,
            "text.xls cannot be read, it may be damaged: it is not an Excel workbook.",
        )
        [error] = self._errors(b"reference,TREGION\n", "file.pdf")
        self.assertIn("file.pdf is not a .xlsx, .xls, .csv or .txt file", error)

    def test_parser_messages_in_plain_words(self):
        for content, filename in (
            (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 1024, "old.xls"),
            (with_member(xlsx([["a"]]), "xl/workbook.xml", b"<broken"), "x.xlsx"),
            (with_member(xlsx([["a"]]), "xl/worksheets/sheet1.xml", b"<x"), "y.xlsx"),
        ):
            [error] = self._errors(content, filename)
            self.assertTrue(error.startswith(f"{filename} cannot be read"), error)
            for raw in ("BOF", "CompDoc", "xml", "Error", "line 1"):
                self.assertNotIn(raw, error)

    # ------------------------------------------------------------------
    # Encodings and delimiters
    # ------------------------------------------------------------------
    def test_excel_unicode_text(self):
        content = "reference\tTREGION\r\nC003\tEAST\r\n".encode("utf-16")
        wizard = self._checked(content, "export.txt")
        self.assertEqual(wizard.state, "preview", wizard.error_report)
        self.assertEqual(
            wizard.source,
            "Text read as UTF-16 (Excel's Unicode text), columns separated by tab.",
        )
        wizard.action_import()
        self.assertEqual(self.muller[self.region_field], self.east)

    def test_western_text_is_not_guessed(self):
        content = "name;TREGION\nMüller GmbH;EAST\n".encode("cp1252")
        [error] = self._errors(content, "west.csv")
        self.assertEqual(
            error,
            "west.csv cannot be read: its text is not UTF-8 and could be Chinese "
            "(GB18030) or Western (Windows-1252); choose its Encoding.",
        )
        [error] = self._errors(content, "west.csv", encoding="utf-8")
        self.assertIn("choose another Encoding", error)
        wizard = self._checked(content, "west.csv", encoding="cp1252")
        self.assertEqual(wizard.state, "preview", wizard.error_report)
        wizard.action_import()
        self.assertEqual(self.muller[self.region_field], self.east)

    def test_quoted_delimiter_in_a_value(self):
        content = b'reference;TCHANNEL\n"C001";"ON;OFF"\nC002;DIR\n'
        wizard = self._checked(content, "semi.csv")
        self.assertEqual(wizard.state, "preview", wizard.error_report)
        wizard.action_import()
        self.assertEqual(self.acme[self.channel_field], self.online | self.offline)
        self.assertEqual(self.beta[self.channel_field], self.direct)
        # The user's delimiter wins over detection.
        wizard = self._checked(b"reference;x,TREGION\n", "odd.csv", delimiter="comma")
        self.assertIn("unknown column reference;x", wizard.error_report)

    # ------------------------------------------------------------------
    # The template
    # ------------------------------------------------------------------
    def test_template_never_holds_a_formula(self):
        hostile = [
            '=HYPERLINK("http://x","y")',
            "+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(1,1)",
        ]
        self.env["classification.category"].create(
            [
                {"scheme_id": self.region.id, "name": name, "code": f"H{index}"}
                for index, name in enumerate(hostile)
            ]
        )
        self.region.name = "=1+1"
        wizard = self.env(user=self.manager)["classification.import.wizard"].create({})
        wizard.action_download_template()
        content = base64.b64decode(wizard.template_file)
        archive = zipfile.ZipFile(io.BytesIO(content))
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                self.assertNotIn(b"<f>", archive.read(name), name)
                self.assertNotIn(b"<f ", archive.read(name), name)
        workbook = openpyxl.load_workbook(io.BytesIO(content))
        names = [
            cell.value
            for row in workbook.worksheets[1].iter_rows()
            for cell in row
            if cell.data_type == "s"
        ]
        for name in [*hostile, "=1+1"]:
            self.assertIn(name, names)

    # ------------------------------------------------------------------
    # Company isolation
    # ------------------------------------------------------------------
    def test_other_companys_and_archived_records_are_unknown(self):
        company_a = self.env.company
        company_b = self.env["res.company"].create({"name": "CPC Import B"})
        private = self.env["res.partner"].create(
            {
                "name": "Private A",
                "is_company": True,
                "ref": "PA1",
                "company_id": company_a.id,
            }
        )
        archived = self.env["res.partner"].create(
            {"name": "Gone", "is_company": True, "ref": "GONE", "active": False}
        )
        Data = self.env["ir.model.data"]
        for name, record in (("private_a", private), ("gone", archived)):
            Data.create(
                {
                    "module": "legacy",
                    "name": name,
                    "model": "res.partner",
                    "res_id": record.id,
                }
            )
        manager_b = new_test_user(
            self.env,
            login="cpc_import_manager_b",
            groups="sales_team.group_sale_manager",
            company_id=company_b.id,
            company_ids=[Command.set(company_b.ids)],
        )
        rows = [
            ["external_id", "reference", "name", "TREGION"],
            ["legacy.private_a", None, None, "EAST"],
            ["legacy.unknown", None, None, "EAST"],
            [None, "PA1", None, "EAST"],
            [None, None, "Private A", "EAST"],
            ["legacy.gone", None, None, "EAST"],
        ]
        errors = self._errors(xlsx(rows), user=manager_b)
        self.assertEqual(
            errors,
            [
                "Row 2: no record found whose external_id is legacy.private_a.",
                "Row 3: no record found whose external_id is legacy.unknown.",
                "Row 4: no record found whose reference is PA1.",
                "Row 5: no record found whose name is Private A.",
                "Row 6: no record found whose external_id is legacy.gone.",
            ],
        )
        self.assertFalse(private[self.region_field])
        # Company A's manager still reaches its own partner by every name.
        wizard = self._checked(xlsx(rows[:2]))
        self.assertEqual(wizard.state, "preview", wizard.error_report)
