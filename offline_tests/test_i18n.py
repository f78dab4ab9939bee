"""The zh_CN translation is complete: every term of the .pot is translated, with the
same placeholders, and the .po holds nothing the .pot no longer has."""

import re

import polib
import pytest
from conftest import ADDON, MODULE

POT = ADDON / "i18n" / f"{MODULE}.pot"
PO = ADDON / "i18n" / "zh_CN.po"
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sd]|%[sd]|\{[a-z_]*\}")


@pytest.fixture(scope="module")
def pot():
    return polib.pofile(str(POT))


@pytest.fixture(scope="module")
def po():
    return polib.pofile(str(PO))


def test_pot_is_not_empty(pot):
    assert len(pot) > 0


def test_every_term_is_translated(pot, po):
    translations = {(entry.msgctxt, entry.msgid): entry for entry in po}
    untranslated = []
    for entry in pot:
        translated = translations.get((entry.msgctxt, entry.msgid))
        if translated is None or not translated.msgstr.strip() or translated.fuzzy:
            untranslated.append(entry.msgid)
    assert not untranslated, (
        f"{len(untranslated)} terms lack a zh_CN translation: {untranslated[:20]}"
    )


def test_no_stale_translation(pot, po):
    terms = {(entry.msgctxt, entry.msgid) for entry in pot}
    stale = [entry.msgid for entry in po if (entry.msgctxt, entry.msgid) not in terms]
    assert not stale, f"zh_CN.po holds terms the .pot no longer has: {stale[:20]}"


def test_placeholders_are_kept(po):
    for entry in po:
        if entry.msgstr:
            assert sorted(PLACEHOLDER.findall(entry.msgid)) == sorted(
                PLACEHOLDER.findall(entry.msgstr)
            ), entry.msgid


def test_po_declares_language(po):
    assert po.metadata.get("Language") == "zh_CN"
    assert "charset=UTF-8" in po.metadata.get("Content-Type", "")
