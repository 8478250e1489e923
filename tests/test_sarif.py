"""SARIF 2.1.0: schema-valid (the official JSON schema, offline), one rule per category, levels from
severity, regions, primaryLocationLineHash as codeql-action computes it, and the direct upload."""

from __future__ import annotations

import base64
import gzip
import json
from pathlib import Path

import jsonschema
import pytest

from batch_review.findings import CATEGORIES, Finding, Severity
from batch_review.publishers.sarif import build_sarif, line_hashes, upload_sarif, write_sarif
from batch_review.report import FileOutcome, RunReport
from tests.fakes.github_api import FakeGitHub
from tests.support.github_client import pygithub

SCHEMA = json.loads((Path(__file__).parent / "data/sarif/sarif-2.1.0-rtm.5.json").read_text(encoding="utf-8"))
SHA = "b" * 40

# Expected values from github/codeql-action's src/fingerprints.test.ts (the algorithm GitHub uses).
HASH_VECTORS = [
    ("", ["c129715d7a2bc9a3:1"]),
    (" a\nb\n  \t\tc\n d", ["271789c17abda88f:1", "54703d4cd895b18:1", "180aee12dab6264:1", "a23a3dc5e078b07b:1"]),
    (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End",
     ["8b7cf3e952e7aeb2:1", "b1ae1287ec4718d9:1", "bff680108adb0fcc:1", "c6805c5e1288b612:1",
      "b86d3392aea1be30:1", "e6ceba753e1a442:1"]),
    *[(text, ["e9496ae3ebfced30:1", "fb7c023a8b9ccb3f:1", "ce8ba1a563dcdaca:1", "e20e36e16fcb0cc8:1",
              "b3edc88f2938467e:1", "c8e28b0b4002a3a0:1", "c129715d7a2bc9a3:1"])
      for text in (" hello; \t\nworld!!!\n\n\n  \t\tGreetings\n End\n",
                   " hello; \t\nworld!!!\r\r\r  \t\tGreetings\r End\r",
                   " hello; \t\r\nworld!!!\r\n\r\n\r\n  \t\tGreetings\r\n End\r\n",
                   " hello; \t\nworld!!!\r\n\n\r  \t\tGreetings\r End\r\n")],
    ("Lorem ipsum dolor sit amet.\n" * 10,
     [*(f"a7f2ff13bc495cf2:{n}" for n in range(1, 7)), "a7f2ff1481e87703:1", "a9cf91f7bbf1862b:1",
      "55ec222b86bcae53:1", "cc97dc7b1d7d8f7b:1", "c129715d7a2bc9a3:1"]),
]


@pytest.mark.parametrize(("text", "expected"), HASH_VECTORS)
def test_line_hashes_match_codeql_action(text: str, expected: list[str]) -> None:
    got = list(line_hashes(text.encode()))
    assert [h for _, h in got] == expected
    assert [n for n, _ in got] == list(range(1, len(expected) + 1))


def sample_report() -> tuple[RunReport, dict[str, bytes]]:
    content = {
        "src/app.py": b"import os\r\n\r\ndef run(cmd):\r\n    os.system(cmd)\r\n",
        "docs/Read Me ü.md": "# Titel\n\nÜbersicht 😀\n".encode(),
    }
    findings = [
        Finding("src/app.py", 4, None, Severity.critical, "security", "shell injection", "Use subprocess.",
                "    subprocess.run([cmd])", 0.9, fingerprint="1" * 16),
        Finding("src/app.py", 3, 4, Severity.medium, "reliability", "no error handling", "Check the code.",
                None, 0.6, fingerprint="2" * 16),
        Finding("docs/Read Me ü.md", 3, None, Severity.info, "documentation", "emoji", "Fine, really.",
                None, 0.3, fingerprint="3" * 16),
        Finding("gone.py", 1, None, Severity.low, "style", "not shown", "A file we cannot read.", None, 0.5),
    ]
    report = RunReport(mode="sweep", head_sha=SHA, model="claude-sonnet-5-5", engine="batch", findings=findings)
    report.files = [FileOutcome("src/app.py", "reviewed"), FileOutcome("docs/Read Me ü.md", "reviewed"),
                    FileOutcome("broken.py", "failed", "the answer was cut off")]
    return report, content


def test_the_sarif_is_schema_valid_and_maps_what_code_scanning_reads(tmp_path: Path) -> None:
    report, content = sample_report()
    sarif = build_sarif(report, content.get, automation_id="batch-review/sweep/42",
                        repository_uri="https://github.com/acme/widgets")
    jsonschema.validate(sarif, SCHEMA)
    path = tmp_path / "out" / "batch-review.sarif"
    write_sarif(sarif, path)
    jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), SCHEMA)

    (run,) = sarif["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [f"batch-review.{c}" for c in CATEGORIES]
    assert run["tool"]["driver"]["version"] and run["automationDetails"]["id"] == "batch-review/sweep/42"
    assert run["versionControlProvenance"][0]["revisionId"] == SHA
    results = run["results"]
    assert [r["level"] for r in results] == ["error", "warning", "note", "warning"]
    for result in results:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]
    shell, handling, emoji, gone = results
    assert shell["locations"][0]["physicalLocation"]["region"]["startLine"] == 4  # snippets: test_sarif_validator
    assert "endLine" not in shell["locations"][0]["physicalLocation"]["region"]
    assert {k: v for k, v in handling["locations"][0]["physicalLocation"]["region"].items() if k != "snippet"} == {
        "startLine": 3, "endLine": 4}
    assert emoji["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "docs/Read%20Me%20%C3%BC.md"
    hashes = dict(line_hashes(content["src/app.py"]))
    assert shell["partialFingerprints"]["primaryLocationLineHash"] == hashes[4]
    assert handling["partialFingerprints"]["primaryLocationLineHash"] == hashes[3]
    assert "partialFingerprints" not in gone  # content unknown: left to upload-sarif to compute
    assert shell["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"].strip() == \
        "subprocess.run([cmd])"
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert run["invocations"][0]["executionSuccessful"] is False and "broken.py" in notes[0]["message"]["text"]


def test_results_are_capped_at_code_scannings_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("batch_review.publishers.sarif.MAX_RESULTS", 2)
    report, content = sample_report()
    sarif = build_sarif(report, content.get, automation_id="x/")
    assert len(sarif["runs"][0]["results"]) == 2 and sarif["runs"][0]["properties"]["omittedResults"] == 2
    jsonschema.validate(sarif, SCHEMA)


def test_upload_sends_gzip_base64_to_code_scanning() -> None:
    report, content = sample_report()
    sarif = build_sarif(report, content.get, automation_id="batch-review/sweep/1")
    with FakeGitHub() as gh:
        client = pygithub(gh)
        what = upload_sarif(client, "acme/widgets", sarif, commit_sha=SHA, ref="refs/heads/main")
        assert what.startswith("uploaded to code scanning")
        (upload,) = gh.sarif_uploads
        assert upload["commit_sha"] == SHA and upload["ref"] == "refs/heads/main" and upload["sarif"] == sarif
        assert upload["processing_status"] == "complete" and upload["tool_name"] == "batch-review"
        (call,) = [c for c in gh.calls if c.path.endswith("/code-scanning/sarifs")]
        assert json.loads(gzip.decompress(base64.b64decode(call.json["sarif"]))) == sarif

        assert "not a full ref" in upload_sarif(client, "acme/widgets", sarif, commit_sha=SHA, ref="")
        gh.read_only = True
        denied = upload_sarif(client, "acme/widgets", sarif, commit_sha=SHA, ref="refs/heads/main")
        assert denied.startswith("not uploaded") and "security-events: write" in denied
        assert len(gh.sarif_uploads) == 1 and not gh.server_errors

