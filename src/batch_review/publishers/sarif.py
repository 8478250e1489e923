"""SARIF 2.1.0 for code scanning: one rule per finding category, levels from severity, regions, and
`partialFingerprints.primaryLocationLineHash` computed here (the API upload does not compute it, and
without it every re-run would open new alerts).

The file goes to `<report-dir>/batch-review.sarif`, ready for `github/codeql-action/upload-sarif`, and is
uploaded directly (`POST /repos/{o}/{r}/code-scanning/sarifs`, gzip then base64) when `upload-sarif` is
set. It is written only for a run that has results: a pending, failed or plan-only run writes none, since
an empty SARIF upload would close every open alert.
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .. import __version__
from ..findings import CATEGORIES, Finding, Severity
from ..log import log
from ..words import plural

if TYPE_CHECKING:
    from github import Github

    from ..actions_env import ActionsContext
    from ..config import Config
    from ..pipeline import Sink
    from ..plan import Plan
    from ..report import RunReport

SARIF_FILE = "batch-review.sarif"
# The project's home, as every document names it until its real owner is known (see the README).
INFORMATION_URI = "https://github.com/org/batch-review"
RULES_URI = f"{INFORMATION_URI}/blob/main/docs/rules.md"
CONTEXT_LINES = 3  # lines shown around a result's region (`contextRegion`), as code scanning shows them
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL = "batch-review"
MAX_RESULTS = 25_000  # code scanning's limit per run
LEVEL = {
    Severity.critical: "error",
    Severity.high: "error",
    Severity.medium: "warning",
    Severity.low: "warning",
    Severity.info: "note",
}
RULE_TEXT = {
    "security": "Security weaknesses: injection, unsafe deserialization, secrets, broken access control",
    "bug": "Code that does not do what it evidently means to",
    "reliability": "Failure handling, resource leaks, races and other ways the code breaks under stress",
    "performance": "Needless work: quadratic loops, repeated I/O, wasteful allocation",
    "maintainability": "Code that is hard to change safely",
    "style": "Inconsistencies that hinder reading",
    "documentation": "Missing or misleading documentation",
    "testing": "Missing, wrong or fragile tests",
}

# -- primaryLocationLineHash -----------------------------------------------------------------------
# The rolling hash of github/codeql-action (src/fingerprints.ts): for every line, a hash of the first
# 100 characters (UTF-16 code units, spaces and tabs skipped, line ends normalized) from its start.
_BLOCK = 100
_MOD = 37
_MASK = (1 << 64) - 1
_FIRST_MOD = pow(_MOD, _BLOCK, 1 << 64)
_EOF = 65535


def line_hashes(data: bytes) -> Iterator[tuple[int, str]]:
    """(line number, `"<hex>:<n>"`) for every line of `data`, exactly as codeql-action computes them."""
    text = data.decode("utf-8", "replace")
    units = memoryview(text.encode("utf-16-le")).cast("H")
    window = [0] * _BLOCK
    numbers = [-1] * _BLOCK
    state = {"hash": 0, "index": 0}
    counts: dict[str, int] = {}

    def output() -> tuple[int, str]:
        value = f"{state['hash']:x}"
        counts[value] = counts.get(value, 0) + 1
        line = numbers[state["index"]]
        numbers[state["index"]] = -1
        return line, f"{value}:{counts[value]}"

    def update(current: int) -> None:
        index = state["index"]
        begin = window[index]
        window[index] = current
        state["hash"] = (_MOD * state["hash"] + current - _FIRST_MOD * begin) & _MASK
        state["index"] = (index + 1) % _BLOCK

    line_number, line_start, prev_cr = 0, True, False
    for current in [*units, _EOF]:
        if current in (0x20, 0x09) or (prev_cr and current == 0x0A):
            prev_cr = False
            continue
        if current == 0x0D:
            current, prev_cr = 0x0A, True
        else:
            prev_cr = False
        if numbers[state["index"]] != -1:
            yield output()
        if line_start:
            line_start = False
            line_number += 1
            numbers[state["index"]] = line_number
        if current == 0x0A:
            line_start = True
        update(current)
    for _ in range(_BLOCK):
        if numbers[state["index"]] != -1:
            yield output()
        update(0)


def hash_for_lines(data: bytes, lines: Iterable[int]) -> dict[int, str]:
    wanted = set(lines)
    return {n: h for n, h in line_hashes(data) if n in wanted}


# -- the document ------------------------------------------------------------------------------------
Content = Callable[[str], bytes | None]


def plan_content(plan: Plan, more: Callable[[str], Callable[[], bytes | None] | None] | None = None) -> Content:
    """A file's content at the reviewed commit, when the plan can read it (whole-file sweeps can); `more`
    finds the reader of a file outside the plan (an unchanged file whose findings are carried)."""

    def content(path: str) -> bytes | None:
        entry = plan.files.get(path)
        load = entry.load if entry is not None else (more(path) if more is not None else None)
        return load() if load is not None else None

    return content


def rule_id(category: str) -> str:
    """`batch-review.security`: no `/`, which code scanning and SARIF viewers read as a rule hierarchy."""
    return f"{TOOL}.{category}"


def build_sarif(
    report: RunReport,
    content: Content,
    *,
    automation_id: str,
    repository_uri: str | None = None,
) -> dict[str, Any]:
    """The SARIF log of a run's findings (at most 25,000 results, most severe first)."""
    findings = report.findings[:MAX_RESULTS]
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    hashes: dict[str, dict[int, str]] = {}
    texts: dict[str, list[str]] = {}
    for path, items in by_path.items():
        data = content(path)
        if data is not None:
            hashes[path] = hash_for_lines(data, (f.line for f in items))
            text = data.decode("utf-8", "replace")  # only LF ends a line, as in the prompt
            texts[path] = text.removesuffix("\n").split("\n") if text else []
    run: dict[str, Any] = {
        "tool": {"driver": {
            "name": TOOL,
            "informationUri": INFORMATION_URI,
            "version": __version__,
            "semanticVersion": __version__,
            "rules": [_rule(c) for c in CATEGORIES],
        }},
        "automationDetails": {"id": automation_id},
        "columnKind": "utf16CodeUnits",
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The root of the repository"}}},
        "results": [_result(f, hashes.get(f.path, {}).get(f.line), texts.get(f.path)) for f in findings],
        "invocations": [_invocation(report)],
        "properties": {"model": report.model, "engine": report.engine, "status": report.status},
    }
    if repository_uri and report.head_sha:
        run["versionControlProvenance"] = [{"repositoryUri": repository_uri, "revisionId": report.head_sha,
                                            "mappedTo": {"uriBaseId": "%SRCROOT%"}}]
    if len(report.findings) > MAX_RESULTS:
        run["properties"]["omittedResults"] = len(report.findings) - MAX_RESULTS
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def _rule(category: str) -> dict[str, Any]:
    tags = [TOOL, category]  # `security` among the tags makes code scanning file them as security alerts
    what = RULE_TEXT.get(category, category)
    return {
        "id": rule_id(category),
        "name": category.capitalize(),
        "shortDescription": {"text": f"{category.capitalize()}: {what[0].lower()}{what[1:]}"},
        "fullDescription": {"text": f"{what}, found by a model review (batch-review) and checked by a second "
                                    "request before it was reported."},
        "helpUri": f"{RULES_URI}#{category}",
        "help": {"text": f"Findings of category {category} reported by a model review (batch-review). "
                         "Each result's message says what is wrong and how to fix it.",
                 "markdown": f"**{category.capitalize()}** — {what}. Each result's message says what is wrong "
                             f"and how to fix it; some carry a suggested replacement. See [the rules]"
                             f"({RULES_URI}#{category})."},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": tags, "precision": "medium"},
    }


def _region(first: int, last: int, lines: list[str] | None) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": first}
    if last > first:
        region["endLine"] = last
    if lines is not None and first <= len(lines):
        # the file's own lines, which may hold a committed key: the redactor covers them like every output
        region["snippet"] = {"text": log.redact("\n".join(lines[first - 1:min(last, len(lines))]) + "\n")}
    return region


def _location(finding: Finding, lines: list[str] | None = None) -> dict[str, Any]:
    last = finding.end_line if finding.end_line and finding.end_line > finding.line else finding.line
    physical: dict[str, Any] = {
        "artifactLocation": {"uri": quote(finding.path, safe="/"), "uriBaseId": "%SRCROOT%"},
        "region": _region(finding.line, last, lines),
    }
    if lines is not None and finding.line <= len(lines):
        physical["contextRegion"] = _region(max(1, finding.line - CONTEXT_LINES),
                                            min(len(lines), last + CONTEXT_LINES), lines)
    return {"physicalLocation": physical}


def _result(finding: Finding, line_hash: str | None, lines: list[str] | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": rule_id(finding.category),
        "ruleIndex": CATEGORIES.index(finding.category) if finding.category in CATEGORIES else 0,
        "level": LEVEL[finding.severity],
        "message": {"text": f"{finding.title}\n\n{finding.body}".strip()},
        "locations": [_location(finding, lines)],
        "properties": {
            "severity": finding.severity.value,
            "confidence": finding.confidence,
            "batch-review/fingerprint": finding.fingerprint,
        },
    }
    if finding.fingerprint:
        result["fingerprints"] = {"batch-review/v1": finding.fingerprint}
    if line_hash:
        result["partialFingerprints"] = {"primaryLocationLineHash": line_hash}
    if finding.suggestion is not None:
        location = _location(finding)["physicalLocation"]
        result["fixes"] = [{
            "description": {"text": "Suggested replacement"},
            "artifactChanges": [{
                "artifactLocation": location["artifactLocation"],
                "replacements": [{"deletedRegion": location["region"],
                                  "insertedContent": {"text": finding.suggestion}}],
            }],
        }]
    return result


def _invocation(report: RunReport) -> dict[str, Any]:
    notes = [
        {"level": "error", "message": {"text": f"{f.path}: not reviewed — {f.reason}"},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": quote(f.path, safe="/"),
                                                                  "uriBaseId": "%SRCROOT%"}}}]}
        for f in report.failed_files()[:1000]
    ]
    invocation: dict[str, Any] = {"executionSuccessful": report.status in ("clean", "findings")}
    if notes:
        invocation["toolExecutionNotifications"] = notes
    return invocation


def write_sarif(sarif: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(sarif, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


# -- upload ----------------------------------------------------------------------------------------
def upload_sarif(gh: Github, repository: str, sarif: dict[str, Any], *, commit_sha: str, ref: str) -> str:
    """POST the SARIF (gzip, then base64) to code scanning. Returns what happened, for the report."""
    from github.GithubException import GithubException

    from ..github_client import describe

    if not ref.startswith("refs/"):
        return f"not uploaded: the ref {ref!r} is not a full ref (refs/heads/…); is GITHUB_REF set?"
    blob = base64.b64encode(gzip.compress(json.dumps(sarif, separators=(",", ":")).encode())).decode("ascii")
    body = {"commit_sha": commit_sha, "ref": ref, "sarif": blob, "tool_name": TOOL}
    try:
        _, data = gh.requester.requestJsonAndCheck("POST", f"/repos/{repository}/code-scanning/sarifs", input=body)
    except GithubException as exc:
        if exc.status in (403, 404):
            return ("not uploaded: the token cannot upload to code scanning (grant `security-events: write`; "
                    f"private repositories need code scanning enabled) — {describe(exc)}")
        return f"not uploaded: {describe(exc)}"
    ident = data.get("id", "?") if isinstance(data, dict) else "?"
    return f"uploaded to code scanning (analysis {ident})"


# -- the sink ----------------------------------------------------------------------------------------
def sarif_sink(
    context: ActionsContext,
    config: Config,
    *,
    gh: Github | None = None,
    upload: bool = False,
    category: str = "sweep",
    ref: str | None = None,
    covers: Callable[[RunReport], bool] = lambda report: report.status != "partial",
    more: Callable[[str], Callable[[], bytes | None] | None] | None = None,
) -> tuple[str, Sink]:
    """("sarif", sink) for `Job.sinks`: writes `<report-dir>/batch-review.sarif` (and `report.sarif_path`)
    for a run with results; uploads it to code scanning when `upload` (needs `gh`), for the reviewed
    commit (`report.head_sha`) on `ref` (default GITHUB_REF; a pull request's `refs/pull/N/head`).
    `covers`: whether the run's findings are every current finding (a partial run without the earlier
    results of its failed files is not: nothing is written, since the upload would close their alerts)."""
    from ..actions_env import report_dir, workspace_relative

    def sink(report: RunReport, plan: Plan) -> str:
        if report.error or report.dry_run or report.pending or report.superseded:
            return ""
        if not covers(report):
            why = (f"not written: {plural(report.count('failed'), 'file')} could not be reviewed and their earlier "
                   "results are not known, so an upload would close their code-scanning alerts")
            log.warning(f"SARIF {why}")
            return why
        sarif = build_sarif(
            report, plan_content(plan, more),
            automation_id=f"{TOOL}/{category}/{context.run_id}",
            repository_uri=f"{context.server_url}/{context.repository}",
        )
        path = report_dir(context.workspace, config.report_dir) / SARIF_FILE
        write_sarif(sarif, path)
        report.sarif_path = workspace_relative(path, context.workspace)
        count = len(sarif["runs"][0]["results"])
        what = f"{report.sarif_path} ({count} result{'s' if count != 1 else ''})"
        if upload and gh is not None:
            uploaded = upload_sarif(gh, context.repository, sarif, commit_sha=report.head_sha,
                                    ref=ref or context.ref)
            (log.info if uploaded.startswith("uploaded") else log.warning)(f"SARIF: {uploaded}")
            what += f"; {uploaded}"
        return what

    return "sarif", sink
