"""The scripts fetch Odoo themselves when no tree is there (scripts/_common.sh).

A local repository stands for the Odoo one: the fetch is a plain shallow clone,
so a mirror or a local clone works as well as the real address.
"""

import shutil
import subprocess

import pytest
from conftest import ADDON

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(*args, cwd):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def fake_odoo_repository(path, branch="18.0", version="18, 0"):
    """A repository whose branch holds the files the scripts look for."""
    (path / "odoo" / "addons" / "base").mkdir(parents=True)
    (path / "odoo" / "addons" / "base" / "__init__.py").write_text("")
    (path / "odoo-bin").write_text("#!/usr/bin/env python3\n")
    (path / "odoo" / "release.py").write_text(
        f"version_info = ({version}, 0, 'final', 0, '')\n"
    )
    git("init", "-q", "-b", branch, cwd=path)
    git("add", "-A", cwd=path)
    git("commit", "-q", "-m", "odoo", cwd=path)
    return path


def ensure_odoo(tmp_path, url, odoo_src):
    """Run cpc_ensure_odoo as the scripts do; return the process."""
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "CPC_CACHE": str(tmp_path / "cache"),
        "CPC_ODOO_URL": str(url),
        "ODOO_SRC": str(odoo_src),
    }
    script = (
        f'source "{ADDON}/scripts/_common.sh"; cpc_ensure_odoo; echo "src=$ODOO_SRC"'
    )
    return subprocess.run(
        ["bash", "-c", script], env=env, capture_output=True, text=True, check=False
    )


def test_fetches_odoo_into_a_missing_folder(tmp_path):
    origin = fake_odoo_repository(tmp_path / "origin")
    target = tmp_path / "deep" / "odoo"
    done = ensure_odoo(tmp_path, origin, target)
    assert done.returncode == 0, done.stderr
    assert (target / "odoo-bin").is_file()
    assert f"src={target}" in done.stdout
    assert not (tmp_path / "deep" / "odoo.partial").exists()
    # Once there, the tree is used as it is: the origin is not needed any more.
    shutil.rmtree(origin)
    again = ensure_odoo(tmp_path, origin, target)
    assert again.returncode == 0, again.stderr
    assert "fetching" not in again.stderr


def test_unreachable_source_fails_loudly_and_leaves_nothing(tmp_path):
    target = tmp_path / "odoo"
    done = ensure_odoo(tmp_path, tmp_path / "no-such-repository", target)
    assert done.returncode != 0
    assert "could not be fetched from" in done.stderr
    assert "CPC_ODOO_URL" in done.stderr and "ODOO_SRC" in done.stderr
    assert not target.exists() and not (tmp_path / "odoo.partial").exists()


def test_a_branch_without_odoo_18_is_refused(tmp_path):
    origin = fake_odoo_repository(tmp_path / "origin", version="17, 0")
    done = ensure_odoo(tmp_path, origin, tmp_path / "odoo")
    assert done.returncode != 0
    assert "needs Odoo 18.0" in done.stderr


def test_a_folder_holding_something_else_is_not_overwritten(tmp_path):
    origin = fake_odoo_repository(tmp_path / "origin")
    target = tmp_path / "odoo"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    done = ensure_odoo(tmp_path, origin, target)
    assert done.returncode != 0
    assert "holds no Odoo source tree" in done.stderr
    assert (target / "notes.txt").read_text() == "mine"
