"""The scripts fetch Odoo themselves when no tree is there (scripts/_common.sh).

A local repository stands for the Odoo one: the fetch is a plain shallow clone,
so a mirror or a local clone works as well as the real address.
"""

import re
import shutil
import subprocess
import sys
from pathlib import Path

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


# --- the interpreter (CPython 3.11's AST race, gh-106905) -----------------------

PYENV = Path("/root/.pyenv/versions")


def pyenv_python(version):
    """A pyenv interpreter of this machine, or the test is skipped."""
    minor = ".".join(version.split(".")[:2])
    path = PYENV / version / "bin" / f"python{minor}"
    if not path.is_file():
        pytest.skip(f"needs Python {version} at {path}")
    return path


def common_sh(tmp_path, script, path_dir=None, **env):
    """Run bash code after sourcing scripts/_common.sh, with a PATH of the given
    folder (plus the system's tools) and no pyenv; return the process."""
    base = {
        "PATH": f"{path_dir}:/usr/bin:/bin" if path_dir else "/usr/bin:/bin",
        "HOME": str(tmp_path / "home"),
        "PYENV_ROOT": str(tmp_path / "no-pyenv"),
        "CPC_CACHE": str(tmp_path / "cache"),
    }
    return subprocess.run(
        ["bash", "-c", f'source "{ADDON}/scripts/_common.sh"; {script}'],
        env={**base, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def bin_dir(tmp_path, **links):
    """A folder of interpreters under the names the scripts look for."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    for name, target in links.items():
        (folder / name.replace("_", ".")).symlink_to(target)
    return folder


@pytest.mark.parametrize(
    ("version", "race_free"),
    [("3.10.13", True), ("3.11.7", False), ("3.12.1", True), ("3.13.0", False)],
)
def test_which_interpreters_are_race_free(tmp_path, version, race_free):
    """3.11 before 3.11.8 has the race; 3.13 is beyond what Odoo 18 supports."""
    python = pyenv_python(version)
    done = common_sh(tmp_path, f'cpc_python_race_free "{python}"')
    assert (done.returncode == 0) is race_free


def test_the_race_is_real_on_3_11_7_and_absent_on_3_12(tmp_path):
    """Threads parsing at once while garbage collections run Python code: what
    Odoo's threaded server does under parallel requests."""
    script = tmp_path / "race.py"
    script.write_text(
        "import ast, gc, sys, threading\n"
        "sys.setswitchinterval(1e-6)\n"
        "gc.callbacks.append(lambda phase, info: sum(range(50)))\n"
        "gc.set_threshold(20, 1, 1)\n"
        "src = '\\n'.join(f'def f{i}(a, b):\\n    return [(a + b * {i}) - (a or b)"
        " for _ in range(3) if a and (b or a)]' for i in range(40))\n"
        "errors = []\n"
        "def work():\n"
        "    for _ in range(30):\n"
        "        try:\n"
        "            ast.parse(src)\n"
        "        except SystemError as error:\n"
        "            errors.append(error)\n"
        "threads = [threading.Thread(target=work) for _ in range(4)]\n"
        "[t.start() for t in threads]\n"
        "[t.join() for t in threads]\n"
        "print(len(errors))\n"
    )
    affected, fixed = pyenv_python("3.11.7"), pyenv_python("3.12.1")

    def errors(python, runs):
        return sum(
            int(
                subprocess.run(
                    [python, script], capture_output=True, text=True, check=True
                ).stdout
            )
            for __ in range(runs)
        )

    assert errors(affected, 2) > 0
    assert errors(fixed, 2) == 0


def test_a_race_free_interpreter_is_preferred(tmp_path):
    folder = bin_dir(
        tmp_path,
        python3_11=pyenv_python("3.11.7"),
        python3_12=pyenv_python("3.12.1"),
    )
    done = common_sh(tmp_path, 'cpc_pick_python; echo "picked=$CPC_PYTHON"', folder)
    assert done.returncode == 0, done.stderr
    assert f"picked={folder / 'python3.12'}" in done.stdout
    assert "gh-106905" not in done.stderr


def test_an_affected_interpreter_alone_is_used_loudly(tmp_path):
    folder = bin_dir(tmp_path, python3_11=pyenv_python("3.11.7"))
    done = common_sh(tmp_path, 'cpc_pick_python; echo "picked=$CPC_PYTHON"', folder)
    assert done.returncode == 0, done.stderr
    picked = done.stdout.split("picked=")[1].strip()
    assert (
        "3.11"
        in subprocess.run(
            [picked, "--version"], capture_output=True, text=True, check=True
        ).stdout
    )
    assert "gh-106905" in done.stderr
    assert "CPC_PYTHON" in done.stderr


def test_pyenv_versions_are_found_behind_its_shims(tmp_path):
    pyenv_python("3.12.1")
    done = common_sh(
        tmp_path,
        'cpc_pick_python; echo "picked=$CPC_PYTHON"',
        PYENV_ROOT=str(PYENV.parent),
    )
    assert done.returncode == 0, done.stderr
    assert "picked=/root/.pyenv/versions/3.12" in done.stdout


def test_an_unsupported_chosen_interpreter_is_refused(tmp_path):
    python = pyenv_python("3.13.0")
    done = common_sh(tmp_path, "cpc_pick_python", CPC_PYTHON=str(python))
    assert done.returncode != 0
    assert "Odoo 18 needs Python 3.10 to 3.12" in done.stderr


def test_a_virtual_environment_of_another_interpreter_is_replaced(tmp_path):
    old, new = pyenv_python("3.11.7"), pyenv_python("3.12.1")
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(old)
    (venv / ".cpc-stamp").write_text("built before")
    kept = common_sh(
        tmp_path, "cpc_drop_foreign_venv", CPC_VENV=str(venv), CPC_PYTHON=str(old)
    )
    assert kept.returncode == 0 and venv.exists()
    replaced = common_sh(
        tmp_path, "cpc_drop_foreign_venv", CPC_VENV=str(venv), CPC_PYTHON=str(new)
    )
    assert replaced.returncode == 0, replaced.stderr
    assert not venv.exists()
    assert "replacing virtual environment" in replaced.stderr


# --- scripts/load_web_client.py, against a stand-in for Odoo on loopback -------


class StandInOdoo:
    """Answers like Odoo's web client: a login, a page naming its assets, the
    assets; ``broken`` paths answer 500, and ``log_on_assets`` (path, line) is
    written to a log each time an asset is served."""

    def __init__(self, broken=(), log_on_assets=None):
        import http.server
        import threading

        broken = set(broken)

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def reply(self, status, body, kind="text/html"):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                self.reply(200, b'{"result": {"uid": 2}}', "application/json")

            def do_GET(self):
                if self.path in broken:
                    self.reply(500, b"oops")
                elif self.path == "/web":
                    self.reply(
                        200,
                        b'<script src="/web/assets/1/web.assets_web.min.js"></script>'
                        b'<link href="/web/assets/1/web.assets_web.min.css"/>',
                    )
                else:
                    if log_on_assets and self.path.startswith("/web/assets/"):
                        path, line = log_on_assets
                        with open(path, "a") as log:
                            log.write(line)
                    self.reply(200, b"ok")

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def load_web_client(url, log, *extra):
    return subprocess.run(
        [
            sys.executable,
            ADDON / "scripts" / "load_web_client.py",
            "--url",
            url,
            "--db",
            "demo",
            "--log",
            str(log),
            "--rounds",
            "2",
            "--parallel",
            "6",
            *extra,
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_load_check_passes_when_every_request_answers(tmp_path):
    log = tmp_path / "odoo.log"
    log.write_text("2026-12-01 10:00:00,000 1 ERROR demo odoo: before the check\n")
    with StandInOdoo() as odoo:
        done = load_web_client(odoo.url, log)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "19 answered 200, 0 failed; 0 error lines" in done.stdout


def test_load_check_fails_on_a_failed_asset(tmp_path):
    log = tmp_path / "odoo.log"
    log.write_text("")
    with StandInOdoo(broken={"/web/assets/1/web.assets_web.min.css"}) as odoo:
        done = load_web_client(odoo.url, log)
    assert done.returncode == 1
    assert "500 " in done.stdout and "web.assets_web.min.css" in done.stdout


def test_load_check_fails_on_the_race_in_the_log(tmp_path):
    log = tmp_path / "odoo.log"
    log.write_text("")
    race = (
        "SystemError: AST constructor recursion depth mismatch (before=18, after=11)\n"
    )
    with StandInOdoo(log_on_assets=(log, race)) as odoo:
        done = load_web_client(odoo.url, log)
    assert done.returncode == 1
    assert "recursion depth mismatch" in done.stdout


# --- scripts/demo_data.py: every city lies in its state -----------------------

ODOO_STATES = Path("/opt/odoo/odoo/addons/base/data/res.country.state.csv")


def demo_cities():
    """The CITIES table of demo_data.py, read without importing Odoo."""
    import ast

    tree = ast.parse((ADDON / "scripts" / "demo_data.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            getattr(target, "id", None) == "CITIES" for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError("demo_data.py has no CITIES table")


def test_demo_cities_lie_in_their_states_and_regions():
    import csv

    if not ODOO_STATES.is_file():
        pytest.skip(f"needs Odoo's states at {ODOO_STATES}")
    with ODOO_STATES.open(encoding="utf-8") as table:
        states = {
            row["id"]: (row["country_id:id"].removeprefix("base."), row["name"])
            for row in csv.DictReader(table)
        }
    # The seeded region rules: which Chinese provinces each region takes.
    data = (ADDON / "data" / "classification_scheme_data.xml").read_text(
        encoding="utf-8"
    )
    regions = {}
    for rule, body in re.findall(
        r'<record id="(rule_region_\w+)"(.*?)</record>', data, re.S
    ):
        for state in re.findall(r"ref\('base\.(state_cn_\w+)'\)", body):
            regions.setdefault(state, set()).add(rule)
    # The cities a Chinese customer would give, with their province.
    province = {
        "上海": "上海市",
        "Beijing": "北京市",
        "天津": "天津市",
        "深圳": "广东省",
        "Guangzhou": "广东省",
        "佛山": "广东省",
        "Hangzhou": "浙江省",
        "宁波": "浙江省",
        "Wuxi": "江苏省",
        "苏州": "江苏省",
        "成都": "四川省",
        "Chongqing": "重庆市",
        "武汉": "湖北省",
        "Yichang": "湖北省",
        "Changsha": "湖南省",
        "郑州": "河南省",
        "Qingdao": "山东省",
        "厦门": "福建省",
        "西安": "陕西省",
        "Dalian": "辽宁省",
    }
    cities = demo_cities()
    for country, places in cities.items():
        for city, state in places:
            if state is None:
                assert not any(c == country for c, __ in states.values()), city
                continue
            assert states[state][0] == country, f"{city}: {state} is not in {country}"
            if country == "cn":
                assert states[state][1] == province[city], city
                assert regions.get(state), f"{city}: no region rule takes {state}"
    assert {city for city, __ in cities["cn"]} == set(province)
