# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import base64

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..utils import spreadsheet
from ..utils.actions import reopen_dialog, success_notification


class ClassificationImportWizard(models.TransientModel):
    """Upload a spreadsheet, check it whole, then place the records it lists."""

    _name = "classification.import.wizard"
    _description = "Import Categories"

    applies_to = fields.Selection(
        [("partner", "Customers"), ("product", "Products")],
        required=True,
        default="partner",
    )
    # Not required: the template can be downloaded before any file is chosen.
    file = fields.Binary(string="File")
    filename = fields.Char()
    sheet_name = fields.Char(
        string="Sheet",
        help="The visible sheet of the workbook to read; empty reads the first "
        "visible sheet. Hidden sheets are never read.",
    )
    encoding = fields.Selection(
        [
            ("auto", "Automatic"),
            ("utf-8", "UTF-8"),
            ("utf-16", "UTF-16 (Excel's Unicode text)"),
            ("gb18030", "Simplified Chinese (GB18030, GBK, GB2312)"),
            ("big5", "Traditional Chinese (Big5)"),
            ("cp1252", "Western (Windows-1252, Latin-1)"),
            ("shift_jis", "Japanese (Shift JIS)"),
        ],
        default="auto",
        required=True,
        help="Text files only. Automatic trusts a byte-order mark and UTF-8, and "
        "recognises common Chinese text; when it cannot tell, it asks you to "
        "choose.",
    )
    delimiter = fields.Selection(
        [
            ("auto", "Automatic"),
            ("comma", "Comma"),
            ("semicolon", "Semicolon"),
            ("tab", "Tab"),
        ],
        default="auto",
        required=True,
        help="Text files only. Automatic takes the separator of the header line.",
    )
    source = fields.Char(string="Read", readonly=True)
    state = fields.Selection(
        [("upload", "Upload"), ("error", "Errors"), ("preview", "Preview")],
        default="upload",
    )
    row_count = fields.Integer(string="Rows", readonly=True)
    error_count = fields.Integer(string="Errors", readonly=True)
    error_report = fields.Text(readonly=True)
    line_ids = fields.One2many(
        "classification.import.wizard.line", "wizard_id", readonly=True
    )
    change_count = fields.Integer(
        string="Records Changing",
        compute="_compute_change_count",
        help="Of the rows listed, those changing at least one category.",
    )
    template_file = fields.Binary(readonly=True, attachment=False)
    template_filename = fields.Char(readonly=True)

    @api.depends("line_ids.changed")
    def _compute_change_count(self):
        for wizard in self:
            wizard.change_count = len(wizard.line_ids.filtered("changed"))

    @api.onchange("file", "applies_to", "sheet_name", "encoding", "delimiter")
    def _onchange_file(self):
        self.state = "upload"

    def _check(self):
        self.ensure_one()
        if not self.file and not self.filename:
            raise UserError(self.env._("Choose a file to import first."))
        return self.env["classification.importer"]._check_file(
            self.applies_to,
            base64.b64decode(self.file or b""),
            self.filename,
            sheet=self.sheet_name,
            encoding=None if self.encoding == "auto" else self.encoding,
            delimiter=spreadsheet.DELIMITERS.get(self.delimiter),
        )

    def action_check(self):
        self.ensure_one()
        result = self._check()
        self.line_ids = [(5, 0, 0)] + [
            (
                0,
                0,
                {"row": row, "record": record, "changes": changes, "changed": changed},
            )
            for row, record, changes, changed in result["preview"]
        ]
        self.write(
            {
                "state": "error" if result["errors"] else "preview",
                "row_count": result["rows"],
                "error_count": result["error_count"],
                # Shown above the errors or the preview: a file's right sheet
                # is not always its first one.
                "source": result["source"],
                "error_report": "\n".join(result["errors"]),
            }
        )
        return self._reopen()

    def action_import(self):
        self.ensure_one()
        result = self._check()
        if result["errors"]:
            raise UserError(
                self.env._(
                    "The file has %(count)s errors and nothing was imported:\n"
                    "%(errors)s",
                    count=result["error_count"],
                    errors="\n".join(
                        [result["source"], *result["errors"][:20]]
                        if result["source"]
                        else result["errors"][:20]
                    ),
                )
            )
        written = self.env["classification.importer"]._apply_plan(
            self.applies_to, result["plan"]
        )
        return success_notification(
            self.env._(
                "%(rows)s rows imported, %(count)s records changed.",
                rows=result["rows"],
                count=written,
            )
        )

    def action_download_template(self):
        self.ensure_one()
        self.write(
            {
                "template_file": base64.b64encode(
                    self.env["classification.importer"]._template(self.applies_to)
                ),
                "template_filename": self.env._(
                    "classification_import_%(kind)s.xlsx", kind=self.applies_to
                ),
            }
        )
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{self._name}/{self.id}/template_file/"
            f"{self.template_filename}?download=true",
            "target": "download",
        }

    def action_back(self):
        self.state = "upload"
        return self._reopen()

    def _reopen(self):
        return reopen_dialog(self, self.env._("Import Categories"))


class ClassificationImportWizardLine(models.TransientModel):
    _name = "classification.import.wizard.line"
    _description = "Import Categories Preview Line"
    _order = "row"

    wizard_id = fields.Many2one(
        "classification.import.wizard", required=True, ondelete="cascade"
    )
    row = fields.Integer()
    record = fields.Char()
    changes = fields.Char(help="Per scheme, the current categories → the new ones.")
    changed = fields.Boolean(help="The row changes at least one category.")
