"""ir.model.access.csv is well formed and every model the addon defines has a line."""

import ast
import csv

from conftest import ADDON, addon_files
from lxml import etree

HEADER = [
    "id",
    "name",
    "model_id:id",
    "group_id:id",
    "perm_read",
    "perm_write",
    "perm_create",
    "perm_unlink",
]


def _rows():
    with open(
        ADDON / "security/ir.model.access.csv", newline="", encoding="utf-8"
    ) as handle:
        reader = csv.reader(handle)
        header = next(reader)
        return header, [row for row in reader if row]


def _defined_models():
    """Models with a table created by the addon: not abstract, not just inherited."""
    models = set()
    for path in addon_files(".py"):
        if path.relative_to(ADDON).parts[0] not in ("models", "wizards", "report"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ClassDef) or any(
                isinstance(base, ast.Attribute) and base.attr == "AbstractModel"
                for base in node.bases
            ):
                # Abstract models have no table and take no access line.
                continue
            attributes = {
                target.id: statement.value
                for statement in node.body
                if isinstance(statement, ast.Assign)
                for target in statement.targets
                if isinstance(target, ast.Name)
            }
            name = attributes.get("_name")
            if isinstance(name, ast.Constant):
                inherit = attributes.get("_inherit")
                inherited = (
                    [inherit.value]
                    if isinstance(inherit, ast.Constant)
                    else [e.value for e in getattr(inherit, "elts", [])]
                )
                if name.value not in inherited:
                    models.add(name.value)
    return models


def _local_groups():
    groups = set()
    for path in addon_files(".xml"):
        for record in etree.parse(str(path)).iter("record"):
            if record.get("model") == "res.groups" and "." not in record.get("id"):
                groups.add(record.get("id"))
    return groups


def test_header():
    header, _ = _rows()
    assert header == HEADER


def test_rows_are_sane():
    _header, rows = _rows()
    ids = [row[0] for row in rows]
    assert len(ids) == len(set(ids)), "duplicate access ids"
    local_groups = _local_groups()
    for row in rows:
        assert len(row) == len(HEADER), row
        assert row[2].startswith("model_"), row
        assert all(flag in ("0", "1") for flag in row[4:]), row
        group = row[3]
        assert group, (
            f"{row[0]}: an access line without a group opens the model to everyone"
        )
        assert "." in group or group in local_groups, f"{row[0]}: unknown group {group}"


def test_every_model_has_access():
    _header, rows = _rows()
    covered = {row[2] for row in rows}
    for model in _defined_models():
        assert "model_" + model.replace(".", "_") in covered, (
            f"no access line for {model}"
        )
