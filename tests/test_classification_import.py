# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import base64
import datetime
import io

import openpyxl
import xlwt

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .scheme_common import SchemeCase


def xlsx(rows):
    workbook = openpyxl.Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xls(rows):
    workbook = xlwt.Workbook()
    sheet = workbook.add_sheet("Import")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows):
    return "\n".join(",".join(row) for row in rows).encode()


@tagged("post_install", "-at_install")
class TestImport(SchemeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.acme = cls._company_cls("Acme", ref="C001")
        cls.beta = cls._company_cls("Beta", ref="C002")
        cls.env["ir.model.data"].create(
            {
                "module": "legacy",
                "name": "gamma",
                "model": "res.partner",
                "res_id": cls._company_cls("Gamma").id,
            }
        )
        cls.gamma = cls.env.ref("legacy.gamma")

    @classmethod
    def _company_cls(cls, name, **values):
        return cls.env["res.partner"].create(
            {"name": name, "is_company": True, **values}
        )

    def _wizard(self, content, filename="file.xlsx", kind="partner", user=None):
        env = self.env(user=user) if user else self.env
        return env["classification.import.wizard"].create(
            {
                "applies_to": kind,
                "file": base64.b64encode(content),
                "filename": filename,
            }
        )

    def _errors(self, content, filename="file.xlsx", kind="partner"):
        wizard = self._wizard(content, filename, kind)
        wizard.action_check()
        self.assertEqual(wizard.state, "error")
        # Nothing is written, whatever the other rows hold.
        with self.assertRaises(UserError):
            wizard.action_import()
        for partner in self.acme | self.beta | self.gamma:
            self.assertFalse(partner[self.region_field], partner.name)
            self.assertFalse(partner[self.channel_field], partner.name)
        return wizard.error_report.splitlines()

    def test_valid_file_applied_in_full(self):
        content = xlsx(
            [
                ["reference", "name", "external_id", "TREGION", "tchannel"],
                ["C001", None, None, "EAST-SH", "ON; DIR"],
                [None, "Beta", None, "West", None],
                [None, None, "legacy.gamma", "EAST", "Offline"],
                [None, None, None, None, None],
            ]
        )
        wizard = self._wizard(content)
        wizard.action_check()
        self.assertEqual(wizard.state, "preview", wizard.error_report)
        self.assertEqual(wizard.row_count, 3)
        self.assertEqual(wizard.line_ids.mapped("row"), [2, 3, 4])
        self.assertIn("East / Shanghai", wizard.line_ids[0].changes)
        self.assertFalse(self.acme[self.region_field], "checking writes nothing")
        wizard.action_import()
        self.assertEqual(self.acme[self.region_field], self.shanghai)
        self.assertEqual(self.acme[self.channel_field], self.online | self.direct)
        self.assertEqual(self.beta[self.region_field], self.west)
        self.assertFalse(self.beta[self.channel_field], "an empty cell changes nothing")
        self.assertEqual(self.gamma[self.region_field], self.east)
        self.assertEqual(self.gamma[self.channel_field], self.offline)

    def test_xls_and_csv_files(self):
        wizard = self._wizard(
            xls([["reference", "TREGION"], ["C001", "WEST"]]), "file.xls"
        )
        wizard.action_check()
        wizard.action_import()
        self.assertEqual(self.acme[self.region_field], self.west)
        wizard = self._wizard(
            csv_bytes([["name", "TREGION"], ["Beta", "EAST"]]), "file.csv"
        )
        wizard.action_check()
        wizard.action_import()
        self.assertEqual(self.beta[self.region_field], self.east)
        chinese = "name;TREGION\nBeta;WEST\n".encode("gb18030")
        wizard = self._wizard(chinese, "文件.csv")
        wizard.action_check()
        wizard.action_import()
        self.assertEqual(self.beta[self.region_field], self.west)

    def test_names_in_the_users_language_or_english(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.east.with_context(lang="zh_CN").name = "东部"
        content = xlsx([["name", "TREGION"], ["Acme", "东部"], ["Beta", "West"]])
        wizard = self._wizard(content).with_context(lang="zh_CN")
        wizard.action_check()
        self.assertEqual(wizard.state, "preview", wizard.error_report)
        wizard.action_import()
        self.assertEqual(self.acme[self.region_field], self.east)
        self.assertEqual(self.beta[self.region_field], self.west)

    def test_import_is_a_manual_choice(self):
        self.env["classification.rule"].create(
            {
                "scheme_id": self.region.id,
                "category_id": self.east.id,
                "criterion": "country",
                "country_ids": self.env.ref("base.cn").ids,
            }
        )
        wizard = self._wizard(xlsx([["reference", "TREGION"], ["C001", "WEST"]]))
        wizard.action_check()
        wizard.action_import()
        self.acme.country_id = self.env.ref("base.cn")
        self.assertEqual(self.acme[self.region_field], self.west)

    def test_products_by_internal_reference(self):
        template = self.env["product.template"].create(
            {"name": "Widget", "default_code": "W-1"}
        )
        wizard = self._wizard(
            xlsx([["reference", "TGRADE"], ["W-1", "GA"]]), kind="product"
        )
        wizard.action_check()
        wizard.action_import()
        self.assertEqual(template[self.grade_field], self.grade_a)

    def test_template_before_any_file(self):
        wizard = self.env["classification.import.wizard"].create({})
        with self.assertRaisesRegex(UserError, "Choose a file"):
            wizard.action_check()
        action = wizard.action_download_template()
        self.assertIn("template_file", action["url"])
        workbook = openpyxl.load_workbook(
            io.BytesIO(base64.b64decode(wizard.template_file))
        )
        header = [cell.value for cell in workbook.worksheets[0][1]]
        self.assertEqual(header[:3], ["external_id", "reference", "name"])
        self.assertIn("TREGION", header)
        self.assertNotIn("TGRADE", header)
        codes = {row[3] for row in workbook.worksheets[1].iter_rows(values_only=True)}
        self.assertIn("EAST-SH", codes)

    # ------------------------------------------------------------------
    # Every error class: nothing is written and the row is named
    # ------------------------------------------------------------------
    def test_wrong_file_type(self):
        [error] = self._errors(b"hello", "notes.pdf")
        self.assertIn("notes.pdf", error)

    def test_corrupt_files(self):
        [error] = self._errors(b"PK\x03\x04 broken", "file.xlsx")
        self.assertIn("damaged", error)
        [error] = self._errors(b"plain text", "orders.xlsx")
        self.assertEqual(
            error,
            "orders.xlsx cannot be read, it may be damaged: it is not an Excel "
            "workbook.",
        )
        [error] = self._errors(b"\xd0\xcf\x11\xe0 broken", "file.xls")
        self.assertIn("damaged", error)

    def test_empty_files(self):
        [error] = self._errors(b"", "file.csv")
        self.assertIn("empty", error)
        [error] = self._errors(xlsx([]), "file.xlsx")
        self.assertIn("empty", error)
        [error] = self._errors(xlsx([["reference", "TREGION"]]))
        self.assertIn("no rows", error)

    def test_headers_must_be_text(self):
        [error] = self._errors(xlsx([["reference", 2026], ["C001", "EAST"]]))
        self.assertIn("Row 1, column 2", error)

    def test_missing_and_unknown_columns(self):
        [error] = self._errors(xlsx([["TREGION"], ["EAST"]]))
        self.assertIn("external_id, reference or name", error)
        [error] = self._errors(xlsx([["reference"], ["C001"]]))
        self.assertIn("no scheme column", error)
        [error] = self._errors(xlsx([["reference", "TREGION", "Colour"], ["C001"]]))
        self.assertIn("Colour", error)
        self.assertIn("TREGION", error)
        [error] = self._errors(xlsx([["reference", "TREGION", "tregion"], ["C001"]]))
        self.assertIn("twice", error)

    def test_unknown_and_ambiguous_records(self):
        self._company("Acme")
        errors = self._errors(
            xlsx(
                [
                    ["reference", "name", "TREGION"],
                    ["C999", None, "EAST"],
                    [None, "Acme", "EAST"],
                    [None, None, "EAST"],
                    ["C002", None, "WEST"],
                ]
            )
        )
        self.assertEqual(len(errors), 3, errors)
        self.assertIn("Row 2: no record found whose reference is C999", errors[0])
        self.assertIn("Row 3: 2 records have the name Acme", errors[1])
        self.assertTrue(errors[2].startswith("Row 4:"), errors)

    def test_contacts_are_refused(self):
        self.env["res.partner"].create(
            {"name": "Ann", "ref": "P1", "parent_id": self.acme.id}
        )
        [error] = self._errors(xlsx([["reference", "TREGION"], ["P1", "EAST"]]))
        self.assertIn("Row 2", error)
        self.assertIn("Acme", error)

    def test_unknown_and_foreign_categories(self):
        errors = self._errors(
            xlsx(
                [
                    ["reference", "TREGION", "TCHANNEL"],
                    ["C001", "NORTH", "ON"],
                    ["C002", "ON", "ON"],
                ]
            )
        )
        self.assertEqual(len(errors), 2, errors)
        # The error says which names the scheme takes.
        self.assertTrue(
            errors[0].startswith("Row 2, column TREGION: unknown category NORTH."),
            errors[0],
        )
        self.assertIn("EAST (East)", errors[0])
        self.assertEqual(
            errors[1],
            "Row 3, column TREGION: ON is a category of the scheme Test "
            "Channel, not of Test Region.",
        )

    def test_every_wrong_cell_is_reported(self):
        errors = self._errors(
            xlsx(
                [
                    ["reference", "TREGION", "TCHANNEL"],
                    ["C999", "NORTH", 12],
                ]
            )
        )
        self.assertEqual(len(errors), 3, errors)
        self.assertTrue(all(error.startswith("Row 2") for error in errors))

    def test_two_values_in_a_one_value_scheme(self):
        [error] = self._errors(xlsx([["reference", "TREGION"], ["C001", "EAST;WEST"]]))
        self.assertIn("Row 2", error)
        self.assertIn("takes one category", error)

    def test_duplicate_rows(self):
        [error] = self._errors(
            xlsx(
                [
                    ["reference", "name", "TREGION"],
                    ["C001", None, "EAST"],
                    [None, "Acme", "WEST"],
                ]
            )
        )
        self.assertEqual(error, "Row 3: Acme already appears in row 2.")

    def test_formulas_dates_numbers_refused(self):
        errors = self._errors(
            xlsx(
                [
                    ["reference", "TREGION"],
                    ["C001", "=A1"],
                    [1002, "EAST"],
                    ["C002", datetime.date(2026, 1, 1)],
                ]
            )
        )
        self.assertEqual(len(errors), 3, errors)  # no "unknown record" for row 3
        self.assertIn("Row 2, column TREGION: a formula", errors[0])
        self.assertIn("Row 3, column reference: a number", errors[1])
        self.assertIn("Row 4, column TREGION: a date", errors[2])
        [error] = self._errors(
            xls([["reference", "TREGION"], [1001.0, "EAST"]]), "file.xls"
        )
        self.assertIn("a number", error)
        [error] = self._errors(
            csv_bytes([["reference", "TREGION"], ["C001", "=HYPERLINK()"]]), "f.csv"
        )
        self.assertIn("a formula", error)

    def test_only_managers_import(self):
        with self.assertRaises(AccessError):
            self._wizard(
                xlsx([["reference", "TREGION"], ["C001", "EAST"]]), user=self.salesman
            )
        wizard = self._wizard(
            xlsx([["reference", "TREGION"], ["C001", "EAST"]]), user=self.manager
        )
        wizard.action_check()
        wizard.action_import()
        self.assertEqual(self.acme[self.region_field], self.east)
