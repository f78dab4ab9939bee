"""Helpers of the offline suite: it reads the addon's files, never imports Odoo."""

import ast
import importlib.util
from pathlib import Path

import pytest

ADDON = Path(__file__).resolve().parent.parent
MODULE = "customer_product_classification"


def load_manifest():
    return ast.literal_eval((ADDON / "__manifest__.py").read_text(encoding="utf-8"))


def load_pure_module(relative_path):
    """Import one of the addon's Odoo-free modules (utils/) by path.

    The addon's package imports Odoo, so its pure helpers are loaded as stand-alone
    modules: they must not import anything from the addon or from Odoo.
    """
    path = ADDON / relative_path
    name = f"cpc_offline_{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def addon_files(*suffixes):
    skip = {"offline_tests", "scripts", ".git", ".ci", "__pycache__", ".test-results"}
    return sorted(
        path
        for path in ADDON.rglob("*")
        if path.is_file()
        and path.suffix in suffixes
        and not skip.intersection(path.relative_to(ADDON).parts)
    )


@pytest.fixture(scope="session")
def manifest():
    return load_manifest()
