"""ruff and pylint-odoo's mandatory checks pass on the whole addon."""

import subprocess
import sys

from conftest import ADDON


def test_ruff_check():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", str(ADDON)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "--no-cache", str(ADDON)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_pylint_odoo_mandatory():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pylint",
            f"--rcfile={ADDON / '.pylintrc-mandatory'}",
            str(ADDON),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
