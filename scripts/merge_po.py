"""Copy a freshly exported .pot into i18n/ and merge it into every .po there.

Translations of terms that are still used are kept, new terms arrive with an empty
translation, and terms no longer in the .pot are dropped.

Usage: merge_po.py EXPORTED_POT I18N_FOLDER
"""

import shutil
import sys
from pathlib import Path

import polib


def merge(pot_path, po_path):
    pot = polib.pofile(str(pot_path))
    old = polib.pofile(str(po_path)) if po_path.exists() else polib.POFile()
    known = {(entry.msgctxt, entry.msgid): entry for entry in old if entry.msgstr}
    merged = polib.POFile(wrapwidth=78)
    merged.header = pot.header
    merged.metadata = dict(pot.metadata)
    merged.metadata.update(
        {
            "Language": po_path.stem,
            "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "",
            "Plural-Forms": "nplurals=1; plural=0;",
        }
    )
    missing = 0
    for entry in pot:
        translated = known.get((entry.msgctxt, entry.msgid))
        entry.msgstr = translated.msgstr if translated else ""
        missing += not translated
        merged.append(entry)
    merged.save(str(po_path))
    return len(merged), missing


def main(exported_pot, i18n):
    i18n = Path(i18n)
    module = Path(exported_pot).stem
    shutil.copyfile(exported_pot, i18n / f"{module}.pot")
    for po_path in sorted(i18n.glob("*.po")):
        total, missing = merge(i18n / f"{module}.pot", po_path)
        sys.stdout.write(f"{po_path.name}: {total} terms, {missing} to translate\n")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(*sys.argv[1:])
