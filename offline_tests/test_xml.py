"""Every XML file parses and follows Odoo 18 conventions, so that a typo is caught
without starting Odoo."""

import re
from collections import Counter

import pytest
from conftest import ADDON, MODULE, addon_files
from lxml import etree

XML_FILES = addon_files(".xml")


def _ids():
    return [str(path.relative_to(ADDON)) for path in XML_FILES]


@pytest.mark.parametrize("path", XML_FILES, ids=_ids())
def test_well_formed(path):
    etree.parse(str(path))


@pytest.mark.parametrize("path", XML_FILES, ids=_ids())
def test_no_pre_18_view_syntax(path):
    tree = etree.parse(str(path))
    for arch in tree.iter("field"):
        if arch.get("name") != "arch":
            continue
        assert not list(arch.iter("tree")), f"{path.name}: use <list>, not <tree>"
        for node in arch.iter():
            gone = {"attrs", "states"}.intersection(node.attrib)
            assert not gone, (
                f"{path.name}:{node.sourceline}: {gone} are gone in Odoo 18"
            )


def test_xml_ids_unique_and_local():
    seen = Counter()
    for path in XML_FILES:
        for node in etree.parse(str(path)).iter("record", "menuitem", "template"):
            xmlid = node.get("id")
            if xmlid and "." not in xmlid:
                seen[xmlid] += 1
            elif xmlid and xmlid.startswith(f"{MODULE}."):
                local = xmlid.split(".", 1)[1]
                pytest.fail(f"{path.name}: write '{local}' without the module prefix")
    assert not [xmlid for xmlid, count in seen.items() if count > 1]


@pytest.mark.parametrize("path", XML_FILES, ids=_ids())
def test_view_ids_follow_oca_naming(path):
    """Views are named <model>_view_<type>, as in OCA modules, to be easy to find."""
    for record in etree.parse(str(path)).iter("record"):
        if record.get("model") != "ir.ui.view" or "." in record.get("id"):
            continue
        assert re.fullmatch(r"[a-z0-9_]+_view_[a-z_]+", record.get("id")), record.get(
            "id"
        )
