"""The audit issue's words: headers for a completed, pending or failed sweep, the files not reviewed, the
findings by severity and file (each linking to its line at the swept commit), and what was fixed since the
last sweep. `publishers/issue.py` writes them to GitHub."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..findings import Finding, Severity, counts_by_severity
from ..sweep_state import SweepState
from ..words import plural
from .markdown import GITHUB_BODY_LIMIT, SEVERITY_LABEL, code_block, code_span, inline_text, sanitize

if TYPE_CHECKING:
    from ..report import RunReport

PAGE_BUDGET = GITHUB_BODY_LIMIT - 6000  # the header and markers fit in the rest
MAX_FILES_LISTED = 100
MAX_NOTES = 10
MAX_IDS_SHOWN = 10
MAX_FIXED_LISTED = 200


@dataclass(frozen=True)
class Links:
    server_url: str
    repository: str
    run_url: str = ""

    def commit(self, sha: str) -> str:
        return f"{self.server_url}/{self.repository}/commit/{sha}"

    def blob(self, sha: str, path: str, line: int, end: int | None = None) -> str:
        anchor = f"#L{line}" + (f"-L{end}" if end and end > line else "")
        return f"{self.server_url}/{self.repository}/blob/{sha}/{quote(path, safe='/')}{anchor}"


# -- rendering ---------------------------------------------------------------------------------------
def _notes(notes: list[str]) -> list[str]:
    shown = [f"> {inline_text(n)[:300]}" for n in notes[:MAX_NOTES]]
    if len(notes) > MAX_NOTES:
        shown.append(f"> …and {len(notes) - MAX_NOTES} more notes in the job summary")
    return ["", *shown] if shown else []


def _sha_link(sha: str, links: Links) -> str:
    return f"[`{sha[:12]}`]({links.commit(sha)})" if sha else "an unknown commit"


def _run_link(links: Links) -> str:
    return f" · [workflow run]({links.run_url})" if links.run_url else ""


def header_done(report: RunReport, links: Links) -> str:
    status = {"clean": "✅ clean", "partial": "⚠️ partial"}.get(report.status, "🔎 findings")
    found = len(report.findings)
    title = f"## batch-review audit · {status}" + (f" · {found} finding{'s' if found != 1 else ''}" if found else "")
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    counts = counts_by_severity(report.findings)
    u = report.usage
    priced = "batch prices" if report.engine == "batch" else "standard prices"
    lines = [
        title, "",
        f"Sweep of {_sha_link(report.head_sha, links)} · {when} · model `{report.model}` · engine "
        f"`{report.engine}`{_run_link(links)}", "",
        "| " + " | ".join(SEVERITY_LABEL[s] for s in Severity) + " |",
        "|" + "---:|" * len(Severity),
        "| " + " | ".join(str(counts[s.value]) for s in Severity) + " |", "",
        f"**Files:** {report.count('reviewed')} reviewed · {report.count('skipped')} skipped · "
        f"{report.count('failed')} failed · **Cost:** ${report.cost_usd:.4f} at {priced} "
        f"({u.input_tokens:,} input, {u.cache_write_tokens:,} cache-write, {u.cache_read_tokens:,} cache-read, "
        f"{u.output_tokens:,} output tokens)",
    ]
    if report.below_threshold:
        lines.append(f"{plural(report.below_threshold, 'finding')} below min-severity are not listed.")
    return "\n".join(lines + _notes(report.notes))


def header_pending(state: SweepState, links: Links, notes: list[str], has_results: bool) -> str:
    sha = _sha_link(state.commit, links)
    if state.batch_ids:
        ids = ", ".join(f"`{i}`" for i in state.batch_ids[:MAX_IDS_SHOWN])
        if len(state.batch_ids) > MAX_IDS_SHOWN:
            ids += f" and {len(state.batch_ids) - MAX_IDS_SHOWN} more"
        what = (f"The sweep of {sha} ({plural(state.requests, 'request')}, model `{state.model}`) was submitted "
                f"{state.submitted_at} as batch(es) {ids}. The next scheduled or dispatched run collects its "
                "results; nothing is submitted again until then.")
    else:
        what = f"A sweep of {sha} ({plural(state.requests, 'request')}) is being submitted ({state.submitted_at})."
    lines = ["## batch-review audit · ⏳ sweep pending", "", what + _run_link(links), *_notes(notes)]
    if has_results:
        lines += ["", "_The results of the last completed sweep follow._"]
    return "\n".join(lines)


def header_failed(report: RunReport, links: Links, state: SweepState | None, has_results: bool) -> str:
    lines = ["## batch-review audit · ❌ the last run failed", "",
             f"**{report.error_kind}:** {inline_text(report.error or '')[:1000]}{_run_link(links)}"]
    if state is not None and state.batch_ids:
        lines += ["", f"The sweep submitted {state.submitted_at} ({len(state.batch_ids)} batch(es)) is still "
                  "pending; the next run collects it."]
    if has_results:
        lines += ["", "_The results of the last completed sweep follow._"]
    return "\n".join(lines + _notes(report.notes))


def _files_section(report: RunReport) -> str:
    parts: list[str] = []
    failed = report.failed_files()
    if failed:
        parts += [f"### Not reviewed ({len(failed)})", "", "| File | Reason |", "|---|---|"]
        parts += [f"| {code_span(f.path, table=True)} | {inline_text(f.reason)} |" for f in failed[:MAX_FILES_LISTED]]
        if len(failed) > MAX_FILES_LISTED:
            parts.append(f"\n…and {len(failed) - MAX_FILES_LISTED} more (see the JSON report).")
        parts.append("")
    skipped = report.skipped_files()
    if skipped:
        summary = ", ".join(f"{n} {inline_text(r)}" for r, n in report.skip_reasons())
        parts += [f"<details><summary>Skipped files ({len(skipped)}): {summary}</summary>", ""]
        parts += [f"- {code_span(f.path)} — {inline_text(f.reason)}" for f in skipped[:MAX_FILES_LISTED]]
        if len(skipped) > MAX_FILES_LISTED:
            parts.append(f"- …and {len(skipped) - MAX_FILES_LISTED} more (see the JSON report)")
        parts += ["", "</details>", ""]
    return "\n".join(parts)


def finding_entry(finding: Finding, links: Links, sha: str) -> str:
    span = f"{finding.line}" + (f"-{finding.end_line}" if finding.end_line else "")
    url = links.blob(sha, finding.path, finding.line, finding.end_line)
    head = f"**[L{span}]({url})** · {finding.category} · {inline_text(finding.title)}"
    quoted = sanitize(finding.body).splitlines() or [""]
    if finding.suggestion is not None:
        quoted += ["", "Suggested replacement:", *code_block(finding.suggestion).splitlines()]
    why = "; ".join(n for n in [finding.note, *finding.extra_notes] if n)
    quoted += ["", f"<sub>confidence {finding.confidence:.2f}" + (f" · {inline_text(why)}" if why else "") + "</sub>"]
    return head + "\n" + "\n".join(f"> {line}".rstrip() for line in quoted)


def results_pages(report: RunReport, links: Links, first_budget: int = PAGE_BUDGET) -> list[str]:
    """The results part of the body (at most `first_budget` characters), then one page per overflow
    comment (at most PAGE_BUDGET each)."""
    findings = report.findings
    counts = counts_by_severity(findings)
    current = [_files_section(report), f"### Findings ({len(findings)})"]
    if not findings:
        current.append("No findings at or above min-severity.")
    size = sum(len(p) + 2 for p in current)
    budget = min(first_budget, PAGE_BUDGET) - 300  # room for the "continued" line
    pages: list[str] = []
    severity: Severity | None = None
    path: str | None = None
    for finding in findings:
        heads = []
        if finding.severity != severity:
            heads.append(f"#### {SEVERITY_LABEL[finding.severity]} ({counts[finding.severity.value]})")
            path = None
        if finding.path != path:
            heads.append(f"##### {code_span(finding.path)}")
        entry = finding_entry(finding, links, report.head_sha)
        block = "\n\n".join([*heads, entry])
        if size + len(block) + 2 > budget and severity is not None:
            pages.append("\n\n".join(current))
            budget = PAGE_BUDGET - 300
            heads = [f"#### {SEVERITY_LABEL[finding.severity]} (continued)", f"##### {code_span(finding.path)}"]
            block = "\n\n".join([*heads, entry])
            current = [f"### Findings (continued, part {len(pages) + 1})"]
            size = len(current[0]) + 2
        current.append(block)
        size += len(block) + 2
        severity, path = finding.severity, finding.path
    fixed = _fixed_section(report, links)
    if fixed and size + len(fixed) + 2 > budget:
        pages.append("\n\n".join(current))
        current = [f"### Findings (continued, part {len(pages) + 1})"]
    if fixed:
        current.append(fixed)
    pages.append("\n\n".join(current))
    if len(pages) > 1:
        pages[0] += (f"\n\n_The findings continue in {plural(len(pages) - 1, 'comment')} below: an issue body holds at "
                     "most 65,536 characters._")
    return pages


def _fixed_section(report: RunReport, links: Links) -> str:
    """Findings of the last sweep that this sweep no longer finds: listed once, here, then gone."""
    if not report.fixed:
        return ""
    lines = [f"### Fixed since the last sweep ({len(report.fixed)})", ""]
    for closed in report.fixed[:MAX_FIXED_LISTED]:
        f = closed.finding
        lines.append(f"- ~~{SEVERITY_LABEL[f.severity]} · {code_span(f.path)}:{f.line} · {inline_text(f.title)}~~ "
                     f"({closed.why})")
    if len(report.fixed) > MAX_FIXED_LISTED:
        lines.append(f"- …and {len(report.fixed) - MAX_FIXED_LISTED} more (see the JSON report)")
    return "\n".join(lines)
