"""The manifest describes the addon truthfully: every file it lists exists, every
data file is listed, and it depends only on LGPL community modules."""

import re

from conftest import ADDON, addon_files

# Odoo 18.0 Community modules (all LGPL-3) the addon may build on. The Odoo suite
# checks the licence of the whole dependency closure on a real database.
COMMUNITY_DEPENDS = {
    "account",
    "base",
    "contacts",
    "mail",
    "product",
    "sale",
    "sale_management",
    "sales_team",
    "web",
}
DATA_FOLDERS = ("data", "views", "security", "wizards", "report", "demo")


def test_version_and_license(manifest):
    assert re.fullmatch(r"18\.0\.\d+\.\d+\.\d+", manifest["version"])
    assert manifest["license"] == "LGPL-3"
    assert manifest["summary"].strip()
    assert manifest["category"].strip()


def test_depends_only_on_community_modules(manifest):
    assert set(manifest["depends"]) <= COMMUNITY_DEPENDS


def test_every_listed_file_exists(manifest):
    listed = manifest.get("data", []) + manifest.get("demo", [])
    missing = [name for name in listed if not (ADDON / name).is_file()]
    assert not missing, f"listed in the manifest but absent: {missing}"
    assert len(listed) == len(set(listed)), "a file is listed twice"


def test_every_data_file_is_listed(manifest):
    listed = set(manifest.get("data", []) + manifest.get("demo", []))
    on_disk = {
        str(path.relative_to(ADDON))
        for path in addon_files(".xml", ".csv")
        if path.relative_to(ADDON).parts[0] in DATA_FOLDERS
    }
    assert not on_disk - listed, (
        f"data files the manifest does not load: {on_disk - listed}"
    )


def test_security_loads_before_views(manifest):
    data = manifest["data"]
    security = [i for i, name in enumerate(data) if name.startswith("security/")]
    views = [
        i for i, name in enumerate(data) if name.startswith(("views/", "wizards/"))
    ]
    assert security and views
    assert max(security) < min(views)


def test_python_dependencies_match_requirements(manifest):
    declared = set(manifest.get("external_dependencies", {}).get("python", []))
    lines = (ADDON / "requirements.txt").read_text(encoding="utf-8").splitlines()
    required = {
        re.split(r"[<>=~;\[ ]", line.strip(), maxsplit=1)[0]
        for line in lines
        if line.strip() and not line.lstrip().startswith("#")
    }
    assert declared == required


def test_application_icon_exists(manifest):
    assert (ADDON / "static/description/icon.png").is_file()
    for fragment in ("DESCRIPTION.md", "USAGE.md", "CONFIGURE.md"):
        assert (ADDON / "readme" / fragment).read_text(encoding="utf-8").strip()
