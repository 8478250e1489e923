"""The audit issue: one issue per repository, labelled, created once and edited in place every sweep —
and, while a sweep is pending, the place its state waits for the next run.

Layout of the body (the first lines are ours alone; nothing model- or repository-written comes before
the results marker, so nothing in the code under review can forge a state):

    <!-- batch-review:audit -->
    <!-- batch-review:state {json} -->        (one per ref with a pending sweep)
    ## batch-review audit · status …          (header: status, commit, counts, cost, notes)
    <!-- batch-review:results -->
    files not reviewed / skipped, findings by severity and file, findings fixed since the last sweep

The issue is read only when the token's own identity wrote it (anyone can open an issue with a marker in
it). Each pending sweep's state names its ref: a run collects only its own ref's sweep and leaves the
others' states in place. A pending or failed run rewrites only the header and keeps the last completed
sweep's results. Findings that do not fit GitHub's 65,536 characters continue in comments
(`<!-- batch-review:audit-overflow part=N -->`), edited in place on the next sweep and deleted when no
longer needed: no finding is lost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..errors import GitHubError
from ..github_client import describe, post_once
from ..log import log
from ..memory.seal import Seal
from ..sweep_state import SweepState, parse_marker, state_marker
from ..words import plural
from .issue_text import Links, header_done, header_failed, header_pending, results_pages
from .markdown import GITHUB_BODY_LIMIT, cap

if TYPE_CHECKING:
    from github.Issue import Issue
    from github.IssueComment import IssueComment
    from github.Repository import Repository

    from ..memory.identity import Identity
    from ..report import RunReport

AUDIT_MARKER = "<!-- batch-review:audit -->"
RESULTS_MARKER = "<!-- batch-review:results -->"
OVERFLOW_PREFIX = "<!-- batch-review:audit-overflow part="
NO_RESULTS = "_No sweep has completed yet._"
LABEL_COLOR = "5319e7"
MAX_STATES = 20  # pending sweeps of different refs kept at once


def compose(header: str, states: list[SweepState], results: str, seal: Seal | None = None) -> str:
    lines = [AUDIT_MARKER, *(state_marker(s, seal) for s in states[-MAX_STATES:])]
    return cap("\n".join([*lines, header, "", RESULTS_MARKER, results.strip("\n")]))


def split_body(body: str | None, seal: Seal | None = None) -> tuple[bool, list[SweepState], str | None]:
    """(is an audit issue body, the pending states in it (sealed by this action when `seal` is keyed), its
    results part)."""
    text = body or ""
    lines = text.split("\n")
    if not lines or lines[0].strip() != AUDIT_MARKER:
        return False, [], None
    states = []
    for line in lines[1 : 1 + MAX_STATES]:
        state = parse_marker(line, seal)
        if state is None:
            break
        states.append(state)
    _, found, results = text.partition(RESULTS_MARKER)
    results = results.strip("\n")
    return True, states, (results if found and results.strip() and results != NO_RESULTS else None)


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

    def __init__(self, repo: Repository, *, label: str, title: str, links: Links, ref: str = "",
                 identify: Callable[[], Identity] | None = None, seal: Seal | None = None) -> None:
        self.repo = repo
        self.label = label
        self.title = title
        self.links = links
        self.ref = ref  # the ref this run sweeps: only its own pending sweep is loaded
        self.identify = identify  # only an issue the token's identity opened is read (None: any, for tests)
        self.seal = seal  # pending states are sealed with it, and only those that verify are read
        self._issue: Issue | None = None
        self._looked = False
        self.ignored = 0  # issues with the audit marker opened by someone else

    def find(self, *, refresh: bool = False) -> Issue | None:
        if self._looked and not refresh:
            return self._issue
        best = None
        identity = self.identify() if self.identify is not None else None
        with _github("list the audit issues"):
            for issue in self.repo.get_issues(state="all", labels=[self.label], sort="created", direction="desc"):
                if issue.pull_request is not None or not split_body(issue.body)[0]:
                    continue
                author = issue.user.login if issue.user is not None else None
                kind = issue.user.type if issue.user is not None else None
                if identity is not None and not identity.wrote(author, kind):
                    self.ignored += 1
                    continue
                if issue.state == "open":
                    best = issue
                    break
                best = best or issue
        self._issue, self._looked = best, True
        if self.ignored:
            log.info(f"ignored: {plural(self.ignored, 'issue')} with the audit marker not opened by "
                     f"{identity.login if identity else 'batch-review'}")
        return best

    def _states(self) -> list[SweepState]:
        issue = self.find()
        return split_body(issue.body, self.seal)[1] if issue is not None else []

    def _others(self) -> list[SweepState]:
        """Pending sweeps of other refs: kept as they are."""
        return [s for s in self._states() if not self._mine(s)]

    def _mine(self, state: SweepState) -> bool:
        return state.ref == self.ref or not state.ref  # a state from before refs were recorded: any ref's

    def load(self) -> SweepState | None:
        mine = [s for s in self._states() if self._mine(s)]
        return mine[-1] if mine else None

    def save(self, state: SweepState) -> None:
        results = self._previous_results()
        header = header_pending(state, self.links, [], results is not None)
        self._write(compose(header, [*self._others(), state], results or NO_RESULTS, self.seal), reopen=False)

    def clear(self) -> None:
        """Nothing to do: the body `publish` writes for a completed sweep carries no state of this ref."""

    def publish(self, report: RunReport, state: SweepState | None) -> str:
        """Update (or create) the issue for this run. `state`: this ref's sweep still pending, if any."""
        if report.dry_run:
            return ""
        results = self._previous_results()
        states = [*self._others(), *([state] if state is not None else [])]
        pages = None
        if report.pending and state is not None:
            body = compose(header_pending(state, self.links, report.notes, results is not None), states,
                           results or NO_RESULTS, self.seal)
        elif report.error or report.pending:
            if self.find() is None and state is None:
                return ""  # nothing to update, and nothing worth an issue of its own
            header = header_failed(report, self.links, state, results is not None)
            body = compose(header, states, results or NO_RESULTS, self.seal)
        else:
            header = header_done(report, self.links)
            room = GITHUB_BODY_LIMIT - len(compose(header, states, "", self.seal)) - 200
            pages = results_pages(report, self.links, room)
            body = compose(header, states, pages[0], self.seal)
        issue, verb = self._write(body, reopen=bool(report.findings) and pages is not None)
        if pages is None:
            return f"issue #{issue.number} {verb} ({'pending' if report.pending else 'failed'} run)"
        comments = self._sync_overflow(issue, pages[1:])
        for finding in report.findings:
            finding.placement = "issue"
        extra = f", {plural(comments, 'overflow comment')}" if comments else ""
        fixed = f", {len(report.fixed)} fixed since the last sweep" if report.fixed else ""
        return f"issue #{issue.number} {verb}: {plural(len(report.findings), 'finding')}{fixed}{extra}"

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


__all__ = ["AuditIssue", "Links", "compose", "split_body"]
