"""Load the Odoo web client the way a browser does, many times at once, and fail on
any failed request or any server error in the log.

A browser opening Odoo asks in parallel for the page, its asset bundles and the
static files. On a server that just started, the first static requests each read
every addon's manifest (ast.literal_eval, in Odoo's Application.statics) at the
same time: that is where Python 3.11's AST race failed requests (see
cpc_python_race_free in scripts/_common.sh). This does the same: with --wait, it
waits for the port to open without sending a request, so that its first round,
parallel static files, meets the server cold; then it logs in, reads the asset
URLs the web client page names, and fetches /web, /web/login and those assets in
rounds of parallel requests.

    load_web_client.py --url http://127.0.0.1:8069 --db cpc_demo [--wait 120] \\
        [--login admin --password admin] [--rounds 5] [--parallel 20] [--log FILE]

Exit status 0 when every request answered 200 and the log (read from where it
was when the check started) has no traceback, SystemError or ERROR line.
"""

import argparse
import concurrent.futures
import http.cookiejar
import json
import re
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

# Static files of the web client that every Odoo 18 has, as a browser asks for them.
STATIC_FILES = (
    "/web/static/img/favicon.ico",
    "/web/static/img/logo.png",
    "/web/static/img/odoo_logo_tiny.png",
    "/web/static/img/placeholder.png",
    "/web/static/img/nologo.png",
    "/web/static/src/libs/fontawesome/fonts/fontawesome-webfont.woff2",
    "/web/static/src/libs/fontawesome/fonts/fontawesome-webfont.woff",
)
ASSET_URL = re.compile(r"""(?:src|href)="(/web/(?:assets|static)/[^"]+)\"""")
LOG_PROBLEM = re.compile(
    r"SystemError|Traceback|recursion depth mismatch|^\S+ \S+ \d+ (?:ERROR|CRITICAL) ",
    re.MULTILINE,
)


def opener():
    jar = http.cookiejar.CookieJar()
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def log_in(client, url, db, login, password):
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"db": db, "login": login, "password": password},
    }
    request = urllib.request.Request(
        f"{url}/web/session/authenticate",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with client.open(request, timeout=60) as response:
        answer = json.load(response)
    if "error" in answer or not answer.get("result", {}).get("uid"):
        raise SystemExit(f"cannot log in as {login} on {db}: {answer.get('error')}")


def fetch(client, url):
    """Status and size of one GET; network errors count as status 0."""
    try:
        with client.open(url, timeout=120) as response:
            return response.status, len(response.read())
    except urllib.error.HTTPError as error:
        return error.code, 0
    except OSError:
        return 0, 0


def web_client_urls(client, url):
    status, __ = fetch(client, f"{url}/web")
    if status != 200:
        raise SystemExit(f"{url}/web answered {status}")
    with client.open(f"{url}/web", timeout=120) as response:
        page = response.read().decode("utf-8", "replace")
    assets = sorted(set(ASSET_URL.findall(page)))
    if not assets:
        raise SystemExit(f"{url}/web names no asset bundle: is it the web client?")
    return [f"{url}/web", f"{url}/web/login", *(f"{url}{path}" for path in assets)]


def wait_for_port(url, seconds):
    """Wait until the server accepts connections, sending it no request."""
    parsed = urllib.parse.urlsplit(url)
    deadline = time.monotonic() + seconds
    while True:
        try:
            with socket.create_connection((parsed.hostname, parsed.port or 80), 2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"{url} did not open within {seconds} s") from None
            time.sleep(0.5)


def log_offset(path):
    if not path:
        return 0
    try:
        with open(path, "rb") as log:
            return log.seek(0, 2)
    except FileNotFoundError:
        return 0


def log_problems(path, offset):
    if not path:
        return []
    with open(path, "rb") as log:
        log.seek(offset)
        text = log.read().decode("utf-8", "replace")
    return [line for line in text.splitlines() if LOG_PROBLEM.search(line)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--parallel", type=int, default=20)
    parser.add_argument("--log", help="the server's log file, checked for errors")
    parser.add_argument(
        "--wait",
        type=float,
        default=0,
        help="seconds to wait for the port to open (a server just started)",
    )
    args = parser.parse_args(argv)
    url = args.url.rstrip("/")

    offset = log_offset(args.log)
    if args.wait:
        wait_for_port(url, args.wait)
    client = opener()
    started = time.monotonic()
    failed = []
    total = 0

    def fetch_all(pool, urls):
        """Every URL at once, cycling through them to fill the parallel slots."""
        nonlocal total
        batch = [urls[i % len(urls)] for i in range(max(args.parallel, len(urls)))]
        for target, (status, __size) in zip(
            batch, pool.map(lambda u: fetch(client, u), batch), strict=True
        ):
            total += 1
            if status != 200:
                failed.append(f"{status} {target}")

    with concurrent.futures.ThreadPoolExecutor(args.parallel) as pool:
        fetch_all(pool, [f"{url}{path}" for path in STATIC_FILES])
        log_in(client, url, args.db, args.login, args.password)
        urls = web_client_urls(client, url)
        for __ in range(args.rounds):
            fetch_all(pool, urls)
    time.sleep(1)  # let the server finish writing its log
    problems = log_problems(args.log, offset)
    print(
        f"{total} requests (static files, then {args.rounds} rounds of "
        f"{args.parallel} in parallel over {len(urls)} URLs) in "
        f"{time.monotonic() - started:.1f} s: "
        f"{total - len(failed)} answered 200, {len(failed)} failed; "
        f"{len(problems)} error lines in the log"
    )
    for line in (failed + problems)[:20]:
        print(f"  {line}")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
