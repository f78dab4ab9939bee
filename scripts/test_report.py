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


def junit_counts(path):
    """Count passed, failed (failures and errors) and skipped tests of a JUnit file."""
    counts = {"passed": 0, "failed": 0, "skipped": 0}
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    for suite in suites:
        tests = int(suite.get("tests", 0))
        failed = int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped = int(suite.get("skipped", 0))
        counts["failed"] += failed
        counts["skipped"] += skipped
        counts["passed"] += tests - failed - skipped
    return counts


def suite_result(xml_path, rc):
    """A suite fails when pytest says so, even if its report is missing or empty."""
    counts = junit_counts(xml_path) or {"passed": 0, "failed": 0, "skipped": 0}
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
    parser.add_argument("--seconds", type=int, required=True)
    parser.add_argument("--output", required=True)
    args = parser.parse_args()

    offline = suite_result(args.offline_xml, args.offline_rc)
    odoo = {"ran": args.odoo_state != "skipped", "passed": 0, "failed": 0, "skipped": 0}
    if args.odoo_state == "ran":
        odoo.update(suite_result(args.odoo_xml, args.odoo_rc))
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
