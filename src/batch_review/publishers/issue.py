"""The audit issue: one issue per repository, labelled, created once and edited in place every sweep —
and, while a sweep is pending, the place its state waits for the next run.

Layout of the body (the first two lines are ours alone; nothing model- or repository-written comes
before the results marker, so nothing in the code under review can forge a state):

    <!-- batch-review:audit -->
    <!-- batch-review:state {json} -->        (only while a sweep is pending)
    ## batch-review audit · status …          (header: status, commit, counts, cost, notes)
    <!-- batch-review:results -->
    files not reviewed / skipped, then findings by severity and file, each linking to its line

A pending or failed run rewrites only the header and keeps the last completed sweep's results. Findings
that do not fit GitHub's 65,536 characters continue in comments (`<!-- batch-review:audit-overflow
part=N -->`), edited in place on the next sweep and deleted when no longer needed: no finding is lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from ..errors import GitHubError
from ..findings import Finding, Severity, counts_by_severity
from ..github_client import describe, post_once
from ..sweep_state import SweepState, parse_marker, state_marker
from .markdown import GITHUB_BODY_LIMIT, SEVERITY_LABEL, cap, code_block, code_span, inline_text, sanitize

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.IssueComment import IssueComment
    from github.Repository import Repository

    from ..report import RunReport

AUDIT_MARKER = "<!-- batch-review:audit -->"
RESULTS_MARKER = "<!-- batch-review:results -->"
OVERFLOW_PREFIX = "<!-- batch-review:audit-overflow part="
PAGE_BUDGET = GITHUB_BODY_LIMIT - 6000  # the header and markers fit in the rest
NO_RESULTS = "_No sweep has completed yet._"
MAX_FILES_LISTED = 100
MAX_NOTES = 10
MAX_IDS_SHOWN = 10
LABEL_COLOR = "5319e7"


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
        lines.append(f"{report.below_threshold} finding(s) below min-severity are not listed.")
    return "\n".join(lines + _notes(report.notes))


def header_pending(state: SweepState, links: Links, notes: list[str], has_results: bool) -> str:
    sha = _sha_link(state.commit, links)
    if state.batch_ids:
        ids = ", ".join(f"`{i}`" for i in state.batch_ids[:MAX_IDS_SHOWN])
        if len(state.batch_ids) > MAX_IDS_SHOWN:
            ids += f" and {len(state.batch_ids) - MAX_IDS_SHOWN} more"
        what = (f"The sweep of {sha} ({state.requests} request(s), model `{state.model}`) was submitted "
                f"{state.submitted_at} as batch(es) {ids}. The next scheduled or dispatched run collects its "
                "results; nothing is submitted again until then.")
    else:
        what = f"A sweep of {sha} ({state.requests} request(s)) is being submitted ({state.submitted_at})."
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
    pages.append("\n\n".join(current))
    if len(pages) > 1:
        pages[0] += (f"\n\n_The findings continue in {len(pages) - 1} comment(s) below: an issue body holds at "
                     "most 65,536 characters._")
    return pages


def compose(header: str, state: SweepState | None, results: str) -> str:
    lines = [AUDIT_MARKER] + ([state_marker(state)] if state is not None else [])
    return cap("\n".join([*lines, header, "", RESULTS_MARKER, results.strip("\n")]))


def split_body(body: str | None) -> tuple[bool, SweepState | None, str | None]:
    """(is an audit issue body, the pending state in it, its results part)."""
    text = body or ""
    lines = text.split("\n", 2)
    if not lines or lines[0].strip() != AUDIT_MARKER:
        return False, None, None
    state = parse_marker(lines[1]) if len(lines) > 1 else None
    _, found, results = text.partition(RESULTS_MARKER)
    results = results.strip("\n")
    return True, state, (results if found and results.strip() and results != NO_RESULTS else None)


def overflow_part(body: str | None) -> int | None:
    first = (body or "").split("\n", 1)[0].strip()
    if first.startswith(OVERFLOW_PREFIX) and first.endswith(" -->"):
        digits = first[len(OVERFLOW_PREFIX) : -4]
        return int(digits) if digits.isdigit() else None
    return None


# -- GitHub ------------------------------------------------------------------------------------------
@contextmanager
def _github(what: str) -> Iterator[None]:
    from github.GithubException import GithubException

    try:
        yield
    except GithubException as exc:
        hint = " (grant the workflow `issues: write`)" if exc.status in (403, 404) else ""
        raise GitHubError(f"could not {what}{hint}: {describe(exc)}") from None


class AuditIssue:
    """The audit issue, found by label and marker; also the Action's sweep-state store."""

    where = "the audit issue"

    def __init__(self, repo: Repository, *, label: str, title: str, links: Links) -> None:
        self.repo = repo
        self.label = label
        self.title = title
        self.links = links
        self._issue: Issue | None = None
        self._looked = False

    def find(self, *, refresh: bool = False) -> Issue | None:
        if self._looked and not refresh:
            return self._issue
        best = None
        with _github("list the audit issues"):
            for issue in self.repo.get_issues(state="all", labels=[self.label], sort="created", direction="desc"):
                if issue.pull_request is not None or not split_body(issue.body)[0]:
                    continue
                if issue.state == "open":
                    best = issue
                    break
                best = best or issue
        self._issue, self._looked = best, True
        return best

    def load(self) -> SweepState | None:
        issue = self.find()
        return split_body(issue.body)[1] if issue is not None else None

    def save(self, state: SweepState) -> None:
        results = self._previous_results()
        header = header_pending(state, self.links, [], results is not None)
        self._write(compose(header, state, results or NO_RESULTS), reopen=False)

    def clear(self) -> None:
        """Nothing to do: the body `publish` writes for a completed sweep carries no state."""

    def publish(self, report: RunReport, state: SweepState | None) -> str:
        """Update (or create) the issue for this run. `state`: the sweep still pending, if any."""
        if report.dry_run:
            return ""
        results = self._previous_results()
        pages = None
        if report.pending and state is not None:
            body = compose(header_pending(state, self.links, report.notes, results is not None), state,
                           results or NO_RESULTS)
        elif report.error or report.pending:
            if self.find() is None and state is None:
                return ""  # nothing to update, and nothing worth an issue of its own
            header = header_failed(report, self.links, state, results is not None)
            body = compose(header, state, results or NO_RESULTS)
        else:
            header = header_done(report, self.links)
            pages = results_pages(report, self.links, GITHUB_BODY_LIMIT - len(compose(header, None, "")) - 200)
            body = compose(header, None, pages[0])
        issue, verb = self._write(body, reopen=bool(report.findings) and pages is not None)
        if pages is None:
            return f"issue #{issue.number} {verb} ({'pending' if report.pending else 'failed'} run)"
        comments = self._sync_overflow(issue, pages[1:])
        for finding in report.findings:
            finding.placement = "issue"
        extra = f", {comments} overflow comment(s)" if comments else ""
        return f"issue #{issue.number} {verb}: {len(report.findings)} finding(s){extra}"

    def _previous_results(self) -> str | None:
        issue = self.find()
        return split_body(issue.body)[2] if issue is not None else None

    def _write(self, body: str, *, reopen: bool) -> tuple[Issue, str]:
        issue = self.find()
        if issue is None:
            self._ensure_label()
            with _github("create the audit issue"):
                created = post_once(
                    lambda: self.repo.create_issue(title=self.title, body=body, labels=[self.label]),
                    lambda: self.find(refresh=True),
                    "the audit issue",
                )
            self._issue, self._looked = created, True
            return created, "created"
        changes: dict[str, Any] = {}
        if issue.body != body:
            changes["body"] = body
        if issue.title != self.title:
            changes["title"] = self.title
        if reopen and issue.state == "closed":
            changes["state"] = "open"
        if changes:
            with _github(f"update the audit issue #{issue.number}"):
                issue.edit(**changes)
        return issue, "updated"

    def _ensure_label(self) -> None:
        from github.GithubException import GithubException

        with _github(f"create the label {self.label!r}"):
            try:
                self.repo.create_label(self.label, LABEL_COLOR, "Findings of batch-review's repository sweeps")
            except GithubException as exc:
                if exc.status != 422:  # 422: it exists already
                    raise

    def _overflow_comments(self, issue: Issue) -> dict[int, IssueComment]:
        author = issue.user.login if issue.user is not None else None
        found: dict[int, IssueComment] = {}
        for comment in issue.get_comments():
            part = overflow_part(comment.body)
            if part is not None and part not in found and (author is None or comment.user.login == author):
                found[part] = comment
        return found

    def _sync_overflow(self, issue: Issue, pages: list[str]) -> int:
        with _github(f"update the overflow comments of the audit issue #{issue.number}"):
            existing = self._overflow_comments(issue)
            for part, page in enumerate(pages, start=1):
                body = cap(f"{OVERFLOW_PREFIX}{part} -->\n{page}")
                comment = existing.pop(part, None)
                if comment is None:
                    post_once(
                        lambda body=body: issue.create_comment(body),  # type: ignore[misc]
                        lambda part=part: self._overflow_comments(issue).get(part),  # type: ignore[misc]
                        f"part {part} of the audit issue's findings",
                    )
                elif comment.body != body:
                    comment.edit(body)
            for comment in existing.values():
                comment.delete()
        return len(pages)


__all__ = ["AuditIssue", "Links", "compose", "finding_entry", "results_pages", "split_body"]
