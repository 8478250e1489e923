"""The SARIF file as code scanning reads it (#20.4): Microsoft's SARIF validator (`@microsoft/sarif-multitool
validate --rule-kind "Gh;Sarif"`: the SARIF rules and GitHub's ingestion rules; installed offline by
`npm ci --prefix .ci`) reports nothing, and what GitHub shows in an alert is there: the tool's
informationUri, each rule's helpUri and shortDescription, rule ids without `/`, the flagged lines as the
region's snippet and the lines around them as its context region."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from batch_review.findings import CATEGORIES
from batch_review.publishers.sarif import build_sarif, write_sarif
from tests.test_sarif import sample_report

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / ".ci" / "node_modules" / "@microsoft" / "sarif-multitool"
INSTALL_HINT = "install it with `npm ci --prefix .ci` (the README's test command does)"


def validate(path: Path, tmp: Path) -> list[dict[str, Any]]:
    """The validator's findings on `path` (its own SARIF output, read back)."""
    node = shutil.which("node")
    assert node and PACKAGE.is_dir(), f"Microsoft's SARIF validator is needed: {INSTALL_HINT}"
    # the platform's binary, as the package resolves it (its bin.js goes through a shell, which would split
    # "Gh;Sarif" at the semicolon)
    binary = subprocess.run([node, "-p", "require('@microsoft/sarif-multitool')"], cwd=ROOT / ".ci",
                            capture_output=True, text=True, check=True).stdout.strip()
    out = tmp / "validation.sarif"
    proc = subprocess.run([binary, "validate", str(path), "--rule-kind", "Gh;Sarif", "--output", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and out.exists(), proc.stdout + proc.stderr
    results: list[dict[str, Any]] = json.loads(out.read_text(encoding="utf-8-sig"))["runs"][0].get("results", [])
    return results


def sample_sarif(tmp: Path) -> tuple[Path, dict[str, Any]]:
    report, content = sample_report()
    sarif = build_sarif(report, content.get, automation_id="batch-review/sweep/refs/heads/main",
                        repository_uri="https://github.com/acme/widgets")
    path = tmp / "batch-review.sarif"
    write_sarif(sarif, path)
    return path, sarif


def test_the_validator_really_validates(tmp_path: Path) -> None:
    """It finds GitHub's and SARIF's problems in a log that has them, so an empty answer means something."""
    _, sarif = sample_sarif(tmp_path)
    run = sarif["runs"][0]
    del run["tool"]["driver"]["informationUri"]
    del run["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"]
    bad = tmp_path / "bad.sarif"
    bad.write_text(json.dumps(sarif), encoding="utf-8")
    rules = {r["ruleId"] for r in validate(bad, tmp_path)}
    assert "SARIF2005" in rules  # no informationUri
    assert {"GH1001", "GH1005"} & rules or any(r.startswith("SARIF10") for r in rules), rules


def test_microsoft_s_validator_with_github_s_rules_reports_nothing(tmp_path: Path) -> None:
    path, _ = sample_sarif(tmp_path)
    problems = validate(path, tmp_path)
    assert problems == [], "\n".join(f"{p['ruleId']}: {p['message'].get('text', p['message'])}" for p in problems)


def test_what_an_alert_shows_is_in_the_file(tmp_path: Path) -> None:
    _, sarif = sample_sarif(tmp_path)
    (run,) = sarif["runs"]
    driver = run["tool"]["driver"]
    assert driver["informationUri"].startswith("https://")
    for rule, category in zip(driver["rules"], CATEGORIES, strict=True):
        assert "/" not in rule["id"] and rule["id"] == f"batch-review.{category}"
        assert rule["helpUri"].endswith(f"docs/rules.md#{category}")
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
    rules_doc = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert all(f"\n## {category}\n" in rules_doc for category in CATEGORIES)  # every helpUri's anchor exists

    shell, handling, emoji, gone = run["results"]
    location = shell["locations"][0]["physicalLocation"]
    assert location["region"] == {"startLine": 4, "snippet": {"text": "    os.system(cmd)\r\n"}}
    assert location["contextRegion"] == {"startLine": 1, "endLine": 4, "snippet": {
        "text": "import os\r\n\r\ndef run(cmd):\r\n    os.system(cmd)\r\n"}}  # the file's own bytes
    ranged = handling["locations"][0]["physicalLocation"]["region"]
    assert ranged == {"startLine": 3, "endLine": 4, "snippet": {"text": "def run(cmd):\r\n    os.system(cmd)\r\n"}}
    assert emoji["locations"][0]["physicalLocation"]["region"]["snippet"]["text"] == "Übersicht 😀\n"
    unreadable = gone["locations"][0]["physicalLocation"]
    assert unreadable["region"] == {"startLine": 1} and "contextRegion" not in unreadable
    deleted = shell["fixes"][0]["artifactChanges"][0]["replacements"][0]["deletedRegion"]
    assert deleted == {"startLine": 4}  # a fix replaces whole lines, with no snippet of its own


@pytest.mark.parametrize("line", [1, 40])
def test_the_context_region_stays_inside_the_file(line: int) -> None:
    from batch_review.findings import Finding, Severity
    from batch_review.report import RunReport

    text = "".join(f"line {n}\n" for n in range(1, 41)).encode()
    finding = Finding("a.py", line, None, Severity.low, "style", "t", "b", None, 0.5, fingerprint="f" * 16)
    sarif = build_sarif(RunReport(mode="sweep", findings=[finding]), {"a.py": text}.get, automation_id="x")
    context = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["contextRegion"]
    assert (context["startLine"], context["endLine"]) == ((1, 4) if line == 1 else (37, 40))
