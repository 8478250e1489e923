"""The job's step summary: status, counts by severity, every finding and where it went, every file
that was skipped or failed and why, tokens and cost."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..findings import Severity, counts_by_severity
from ..words import plural
from .markdown import SEVERITY_LABEL, code_span, inline_text, location, table_cell

if TYPE_CHECKING:
    from ..report import Closed, RunReport

STATUS_LINE = {
    "clean": "✅ clean — every planned file was reviewed and nothing was found",
    "findings": "🔎 findings",
    "partial": "⚠️ partial — some files could not be reviewed",
    "pending": "⏳ pending",
    "failed": "❌ failed",
    "superseded": "⏭️ superseded — a later run on this pull request publishes the review; this run published nothing",
}
PLACEMENT = {
    "inline": "inline comment",
    "body": "review body",
    "annotation": "annotation",
    "issue": "audit issue",
    "already-posted": "already posted",
    "carried": "carried",
    "report": "report",
}


def render_summary(report: RunReport) -> str:
    status = STATUS_LINE[report.status]
    if report.status == "clean" and not report.count("reviewed"):
        status = "✅ clean — nothing to review"
    lines = [f"## batch-review · {status}", ""]
    target = f"**{report.mode}** of {inline_text(report.target)}" + (
        f" at {code_span(report.head_sha[:12])}" if report.head_sha else "")
    lines.append(f"{target} · model {code_span(report.model)} · engine {code_span(report.engine)}")
    if report.superseded:
        lines += ["", f"> **Superseded:** {inline_text(report.superseded)}"]
    if report.error:
        lines += ["", f"> **Error ({report.error_kind}):** {inline_text(report.error)}"]
    for note in report.notes:
        lines += ["", f"> {inline_text(note)}"]
    counts = counts_by_severity(report.findings)
    lines += ["", "| " + " | ".join(SEVERITY_LABEL[s] for s in Severity) + " |",
              "|" + "---:|" * len(Severity),
              "| " + " | ".join(str(counts[s.value]) for s in Severity) + " |"]
    if report.below_threshold:
        verb = "is" if report.below_threshold == 1 else "are"
        lines.append(f"\n{plural(report.below_threshold, 'finding')} below min-severity {verb} not listed.")
    if report.findings:
        lines += ["", "### Findings", "", "| Severity | Location | Finding | Posted as |", "|---|---|---|---|"]
        for f in report.findings:
            posted = PLACEMENT.get(f.placement, f.placement)
            if f.carried_from:
                posted = f"carried from {code_span(f.carried_from[:12], table=True)} (file unchanged)"
            if f.check is not None and f.check.status == "unverified":
                posted += f" · unverified: {table_cell(f.check.reason)}"
            lines.append(
                f"| {SEVERITY_LABEL[f.severity]} | {location(f, table=True)} | "
                f"**{f.category}** — {table_cell(f.title)} | {posted} |"
            )
    lines += _filtered(report)
    lines += _closed("Fixed", report.fixed) + _closed("Resolved by people (not counted)", report.acknowledged)
    lines += ["", "### Files", "",
              f"{report.count('reviewed')} reviewed · {report.count('unchanged')} unchanged since their last review · "
              f"{report.count('skipped')} skipped · "
              f"{report.count('failed')} failed · {report.count('pending')} pending"]
    failed = report.failed_files()
    if failed:
        lines += ["", "**Failed** (not reviewed):", "", "| File | Reason |", "|---|---|"]
        lines += [f"| {code_span(f.path, table=True)} | {table_cell(f.reason)} |" for f in failed]
    skipped = report.skipped_files()
    if skipped:
        lines += ["", f"<details><summary>Skipped files ({len(skipped)})</summary>", "",
                  "| File | Reason |", "|---|---|"]
        lines += [f"| {code_span(f.path, table=True)} | {table_cell(f.reason)} |" for f in skipped]
        lines += ["", "</details>"]
    u = report.usage
    estimate = "" if report.estimated_cost_usd is None else f" (estimated ${report.estimated_cost_usd:.4f})"
    lines += ["", "### Usage", "",
              "| Requests | Input | Cache write | Cache read | Output | Cost |", "|---:|---:|---:|---:|---:|---:|",
              f"| {u.requests} | {u.input_tokens:,} | {u.cache_write_tokens:,} | {u.cache_read_tokens:,} | "
              f"{u.output_tokens:,} | ${report.cost_usd:.4f}{estimate} |"]
    lines += cache_lines(report)
    check = report.verification
    if check is not None and check.checked:
        lines.append(f"\nVerification ({code_span(check.model)}): {plural(check.checked, 'finding')} checked in "
                     f"{plural(check.requests, 'request')} — {check.kept} kept, {check.dropped} filtered, "
                     f"{check.unverified} unverified"
                     + (f", corrected {check.corrected} (line or severity)" if check.corrected else "")
                     + f" · ${check.cost_usd:.4f} (included above)")
    if report.published:
        lines += ["", "### Published", ""]
        lines += [f"- **{sink}**: {inline_text(what)}" for sink, what in report.published.items()]
    return "\n".join(lines) + "\n"


def cache_lines(report: RunReport) -> list[str]:
    """Cache reads and writes per pass, as the API's usage reported them, and the shared prefix against the
    model's minimum cacheable prefix."""
    if not report.usage.requests:
        return []
    passes = [("review", report.review_usage)]
    if report.verification is not None and report.verification.usage.requests:
        passes.append(("verification", report.verification.usage))
    shown = "; ".join(f"{name}: {u.cache_read_tokens:,} read, {u.cache_write_tokens:,} written" for name, u in passes)
    prefix = report.cache
    floor = ""
    if prefix is not None:
        floor = (f" · shared prefix ~{prefix.tokens:,} tokens, model minimum {prefix.floor:,}"
                 + ("" if prefix.cached else " (below it: not cached)"))
    return ["", f"Cache tokens — {shown}{floor}"]


def _filtered(report: RunReport) -> list[str]:
    """Findings the verification pass dropped: not posted, not counted, each with the verifier's reason."""
    if not report.filtered:
        return []
    lines = ["", f"### Filtered by verification ({len(report.filtered)})", "",
             "Not posted and not counted: the verifier found them not to be real problems.", "",
             "| Severity | Location | Finding | Reason | Confidence |", "|---|---|---|---|---:|"]
    for item in report.filtered[:500]:
        f = item.finding
        confidence = "—" if item.confidence is None else f"{item.confidence:.2f}"
        lines.append(f"| {SEVERITY_LABEL[f.severity]} | {location(f, table=True)} | **{f.category}** — "
                     f"{table_cell(f.title)} | {table_cell(item.reason)} | {confidence} |")
    if len(report.filtered) > 500:
        lines.append(f"\n…and {len(report.filtered) - 500} more in the JSON report.")
    return lines


def _closed(title: str, closed: list[Closed]) -> list[str]:
    """Findings an earlier run posted that this run closed (fixed), or that people resolved."""
    if not closed:
        return []
    lines = ["", f"### {title} ({len(closed)})", "",
             "| Severity | Location | Finding | Why | Done |", "|---|---|---|---|---|"]
    for c in closed[:500]:
        f = c.finding
        at = f" at {code_span(c.at[:12], table=True)}" if c.at else ""
        lines.append(f"| {SEVERITY_LABEL[f.severity]} | {location(f, table=True)} | **{f.category}** — "
                     f"{table_cell(f.title)} | {table_cell(c.why)}{at} | {table_cell(c.action)} |")
    if len(closed) > 500:
        lines.append(f"\n…and {len(closed) - 500} more in the JSON report.")
    return lines
