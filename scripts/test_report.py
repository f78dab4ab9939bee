"""Turn the JUnit reports of both suites into .test-results/last.json and a summary.

Called by scripts/test.sh. Exits 1 when any suite failed, so that the exit code of
the test command says the same as its summary.
"""

import argparse
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path


def junit_cases(path):
    """{(class, name): "passed" | "failed" | "skipped"} of a JUnit file, or None
    when it is missing or unreadable."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    cases = {}
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        elif case.find("skipped") is not None:
            outcome = "skipped"
        else:
            outcome = "passed"
        cases[(case.get("classname"), case.get("name"))] = outcome
    return cases


def merge_cases(*runs):
    """One outcome per test over the runs it took part in: failed if it failed
    in one, passed if it passed in one (a test skipped in the database that
    lacks what it needs, and run in the other), skipped only if skipped in all."""
    merged = {}
    for cases in runs:
        for key, outcome in (cases or {}).items():
            before = merged.get(key)
            if before is None or RANK[outcome] > RANK[before]:
                merged[key] = outcome
    return merged


RANK = {"skipped": 0, "passed": 1, "failed": 2}


def count(cases):
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    for outcome in cases.values():
        counts[outcome] += 1
    return counts


def suite_result(xml_path, rc, *more_xml):
    """A suite fails when pytest says so, even if its report is missing or empty.
    ``more_xml``: reports of the same suite run in other databases."""
    cases = junit_cases(xml_path)
    counts = (
        count(merge_cases(cases, *(junit_cases(path) for path in more_xml)))
        if cases is not None
        else {"passed": 0, "failed": 0, "skipped": 0}
    )
    if rc != 0 and counts["failed"] == 0:
        # Crashed before reporting, or collected nothing (pytest exit code 5).
        counts["failed"] = 1
    return counts


def git(*args):
    return subprocess.run(
        ["git", *args], capture_output=True, text=True, check=False
    ).stdout.strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--offline-xml", required=True)
    parser.add_argument("--offline-rc", type=int, required=True)
    parser.add_argument("--odoo-xml", required=True)
    parser.add_argument("--odoo-rc", type=int, required=True)
    parser.add_argument(
        "--odoo-state", choices=["ran", "skipped", "install-failed"], required=True
    )
    parser.add_argument(
        "--margin-xml",
        default="",
        help="report of the margin tests run in a database with sale_margin",
    )
    parser.add_argument("--seconds", type=int, required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    offline = suite_result(args.offline_xml, args.offline_rc)
    odoo = {"ran": args.odoo_state != "skipped", "passed": 0, "failed": 0, "skipped": 0}
    if args.odoo_state == "ran":
        margin = [args.margin_xml] if args.margin_xml else []
        odoo.update(suite_result(args.odoo_xml, args.odoo_rc, *margin))
    elif args.odoo_state == "install-failed":
        odoo["failed"] = 1

    report = {
        "commit": git("rev-parse", "HEAD") or None,
        "dirty": bool(git("status", "--porcelain", "--untracked-files=normal")),
        "offline": {"passed": offline["passed"], "failed": offline["failed"]},
        "odoo": odoo,
        "seconds": args.seconds,
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")

    lines = [
        f"offline suite: {offline['passed']} passed, {offline['failed']} failed, "
        f"{offline['skipped']} skipped",
    ]
    if args.odoo_state == "skipped":
        lines.append("odoo suite: SKIPPED (no Odoo 18.0 tree found)")
    elif args.odoo_state == "install-failed":
        lines.append("odoo suite: the addon did not install, no test ran")
    else:
        lines.append(
            f"odoo suite: {odoo['passed']} passed, {odoo['failed']} failed, "
            f"{odoo['skipped']} skipped"
        )
    total_passed = offline["passed"] + odoo["passed"]
    total_failed = offline["failed"] + odoo["failed"]
    total_skipped = offline["skipped"] + odoo["skipped"]
    lines.append(f"({args.seconds} s; report in {output})")
    lines.append(
        f"total: {total_passed} passed, {total_failed} failed, {total_skipped} skipped"
    )
    print("\n".join(lines))
    return 1 if total_failed else 0


if __name__ == "__main__":
    sys.exit(main())
