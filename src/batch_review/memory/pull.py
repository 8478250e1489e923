"""A pull request over its whole life: review each file version once, carry the findings of files that did
not change, close the findings that are gone.

`PullMemory` is the pipeline's `Memory` for a PR review. It reads batch-review's own work on the pull
request (memory/pull_github.py) when the run collects, and decides:
- recall: a file whose version (path + blob) was reviewed under the same settings key is not sent again;
- reconcile: the open findings on such files are carried into this run's report (counted, not posted
  again); a finding posted earlier on a file reviewed again now and not found is fixed; a finding whose
  thread a person resolved is acknowledged (never re-opened, re-posted or counted); one whose thread
  batch-review resolved earlier and that is found again has its thread re-opened.
What to do on GitHub (resolve, reply, dismiss, the new state) is computed here and carried out by
publishers/threads.py after the review is posted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..config import Config
from ..errors import RunError
from ..findings import Finding, Severity, at_or_above, sort_key
from ..log import log
from ..plan import Plan
from ..report import Closed, FileOutcome, RunReport
from ..sources.base import Collected, SourceFile
from ..words import plural
from .markers import PostedFinding, PullState, file_key
from .pull_github import PullSnapshot, Thread
from .settings import settings_key


@dataclass
class Actions:
    """What the publishers do on GitHub once the review is posted."""

    resolve: list[Thread] = field(default_factory=list)
    unresolve: list[Thread] = field(default_factory=list)
    reply_fixed: list[tuple[Thread, PostedFinding]] = field(default_factory=list)
    dismiss: list[int] = field(default_factory=list)  # REQUEST_CHANGES reviews whose blocking findings are all closed


class PullMemory:
    def __init__(self, config: Config, read: Callable[[], PullSnapshot]) -> None:
        self.key = settings_key(config)
        self.full_review = bool(getattr(config, "full_review", False))
        self.request_changes_on = config.request_changes_on
        self.read = read
        self.snapshot: PullSnapshot | None = None
        self.current: dict[str, str] = {}  # path -> file_key of the version in this pull request now
        self.unchanged: dict[str, str] = {}  # path -> commit of the review that covers its version
        self.sources: dict[str, SourceFile] = {}  # the unchanged files (their content, for SARIF line hashes)
        self.skipped: dict[str, str] = {}  # path -> reason
        self.usable: PullState | None = None  # the earlier state, when its settings match this run's
        self.actions = Actions()

    # -- recall ----------------------------------------------------------------------------------
    def recall(self, collected: Collected, report: RunReport) -> list[FileOutcome]:
        for item in [*((f.path, f.blob) for f in collected.files), *((s.path, s.blob) for s in collected.skipped)]:
            if item[1]:
                self.current[item[0]] = file_key(item[0], item[1])
        self.skipped = {s.path: s.reason for s in collected.skipped}
        try:
            self.snapshot = self.read()
        except RunError as exc:
            self._note(report, f"batch-review's earlier reviews could not be read ({exc.message}): every file is "
                               "reviewed, and no thread is resolved this run")
            return []
        snapshot = self.snapshot
        if snapshot.state_problem:
            self._note(report, snapshot.state_problem + ": every file is reviewed again (a full review)")
            return []
        state = snapshot.state
        if state is None:
            if snapshot.reviews or snapshot.threads:
                self._note(report, "batch-review's status comment was not found: every file is reviewed again "
                                   "(a full review)")
            return []
        if state.settings != self.key:
            self._note(report, "the review settings changed since the last review (model, prompt, instructions, "
                               "min-severity, context or verification): every file is reviewed again")
            return []
        self.usable = state
        if self.full_review:
            self._note(report, "full-review is set: every file is reviewed again")
            return []
        keep, outcomes = [], []
        for source in collected.files:
            commit = state.reviewed.get(self.current.get(source.path, ""))
            if commit is None:
                keep.append(source)
                continue
            self.unchanged[source.path] = commit
            self.sources[source.path] = source
            outcomes.append(FileOutcome(source.path, "unchanged", f"reviewed at {commit[:12]}"))
        collected.files = keep
        if outcomes:
            note = (f"unchanged since their last review, not sent again: {plural(len(outcomes), 'file')}; "
                    f"{len(keep)} to review")
            log.info(note)
            report.notes.append(note)
        return outcomes

    # -- reconcile -------------------------------------------------------------------------------
    def reconcile(self, report: RunReport, plan: Plan) -> None:
        if self.snapshot is None:
            return
        head = report.head_sha
        status = {f.path: f for f in report.files}
        found = {f.fingerprint: f for f in report.findings}
        threads = {f.fingerprint: t for t in self.snapshot.threads for f in t.findings}
        posted: dict[str, PostedFinding] = {}
        for t in self.snapshot.threads:
            posted.update({f.fingerprint: f for f in t.findings if f.fingerprint not in posted})
        for r in self.snapshot.reviews:
            posted.update({f.fingerprint: f for f in r.findings if f.fingerprint not in posted})
        open_before = self.usable.open if self.usable is not None else None
        dropped = {f.finding.fingerprint: f.reason for f in report.filtered or []}  # found again, then dropped
        dismissed = self.dismissed
        for fp, earlier in posted.items():
            thread = threads.get(fp)
            if fp in dismissed:  # withdrawn in a conversation: never posted again, never counted
                again = found.pop(fp, None)
                if again is not None or earlier.source in self.unchanged:
                    self._acknowledge(report, again or earlier.as_finding(), None, "dismissed in its thread")
                continue
            by_person = thread is not None and thread.resolved and not self.snapshot.identity.wrote(thread.resolved_by)
            if fp in found:
                if by_person:
                    self._acknowledge(report, found.pop(fp), thread)
                elif thread is not None and thread.resolved:
                    self.actions.unresolve.append(thread)  # batch-review closed it; it came back
                continue
            if earlier.severity is None:
                continue  # an old marker records no place or severity: nothing to carry or close
            path = earlier.source  # the file whose review stands behind the finding
            was_open = open_before is None or fp in open_before
            outcome = status.get(path)
            if path in self.unchanged:
                if open_before is not None and open_before.get(fp) == self.current.get(path):
                    finding = self._carried(earlier, self.unchanged[path])
                    if by_person:
                        self._acknowledge(report, finding, thread)
                    else:
                        report.findings.append(finding)
                        if thread is not None and thread.resolved:
                            self.actions.unresolve.append(thread)
            elif outcome is not None and outcome.status == "failed":
                if was_open and not by_person:
                    finding = self._carried(earlier, earlier.commit)
                    finding.extra_notes.append("its file changed, and its review failed this run: still counted")
                    report.findings.append(finding)
            elif outcome is not None and outcome.status == "reviewed":
                why = f"dropped by verification: {dropped[fp]}" if fp in dropped else "fixed"
                self._close(report, earlier, thread, was_open, why, head)
            elif path not in self.current or self.skipped.get(path) == "deleted":
                why = "file deleted" if path in self.current else "no longer changed by this pull request"
                self._close(report, earlier, thread, was_open, why, head)
        report.findings.sort(key=sort_key)
        self._dismissals(report)
        self._prefetch({f.path for f in report.findings if f.placement == "carried"})

    def _prefetch(self, paths: set[str]) -> None:
        """Read the unchanged files that carry findings in one go (their lines give the SARIF its line hashes),
        not one request each when a sink asks."""
        from ..sources.head_content import fetch_head_contents

        fetch_head_contents([self.sources[p] for p in sorted(paths) if p in self.sources])

    @staticmethod
    def _carried(earlier: PostedFinding, commit: str) -> Finding:
        finding = earlier.as_finding()
        finding.placement = "carried"
        finding.carried_from = commit or earlier.commit
        finding.note = f"carried from the review at {finding.carried_from[:12]}: its file did not change since"
        return finding

    def _acknowledge(self, report: RunReport, finding: Finding, thread: Thread | None, why: str = "") -> None:
        who = thread.resolved_by if thread is not None and thread.resolved_by else "a person"
        if finding in report.findings:
            report.findings.remove(finding)
        report.acknowledged.append(Closed(finding, why or f"resolved by {who}", action="not counted, not posted again"))

    @property
    def dismissed(self) -> set[str]:
        """Findings withdrawn in a conversation on this pull request (jobs/converse.py), whatever the settings."""
        state = self.snapshot.state if self.snapshot is not None else None
        return set(state.dismissed) if state is not None else set()

    def _close(self, report: RunReport, earlier: PostedFinding, thread: Thread | None, was_open: bool,
               why: str, head: str) -> None:
        if thread is not None and thread.resolved:
            return  # closed before (by batch-review or a person)
        if thread is None and not was_open:
            return  # listed as fixed by an earlier run
        if thread is None:
            action = "listed as fixed (it was in a review body: no thread to resolve)"
        elif thread.others_replied:
            if earlier.fingerprint in thread.said_fixed:
                return
            action = "thread left open (a person replied); a reply says it looks fixed"
            self.actions.reply_fixed.append((thread, earlier))
        else:
            action = "thread resolved"
            self.actions.resolve.append(thread)
        report.fixed.append(Closed(earlier.as_finding(), why, at=head, action=action))

    def _dismissals(self, report: RunReport) -> None:
        """A REQUEST_CHANGES review whose blocking findings are all fixed or resolved is dismissed."""
        assert self.snapshot is not None
        counted = {f.fingerprint for f in report.findings}
        self.actions.dismiss += lifted_reviews(self.snapshot, self.request_changes_on, counted)

    def reader(self, path: str) -> Callable[[], bytes | None] | None:
        source = self.sources.get(path)
        return source.load if source is not None else None

    def covers(self, report: RunReport) -> bool:
        """Whether the report holds every open finding: not when a file failed and the earlier findings
        could not be read (a SARIF upload would then close their alerts)."""
        return report.status != "partial" or self.snapshot is not None

    # -- the state to save ---------------------------------------------------------------------------
    def next_state(self, report: RunReport) -> PullState:
        """What this run leaves for the next: every file version reviewed now or covered before, and the
        findings still open with the version they are on."""
        reviewed = {}
        for outcome in report.files:
            key = self.current.get(outcome.path)
            if key is None:
                continue
            if outcome.status == "reviewed":
                reviewed[key] = report.head_sha
            elif outcome.status == "unchanged":
                reviewed[key] = self.unchanged[outcome.path]
        open_ = {f.fingerprint: self.current.get(f.origin or f.path, "") for f in report.findings}
        return PullState(self.key, reviewed, open_, self.dismissed)

    @staticmethod
    def _note(report: RunReport, note: str) -> None:
        log.notice(note)
        report.notes.append(note)


def lifted_reviews(snapshot: PullSnapshot, request_changes_on: Severity | str, counted: set[str]) -> list[int]:
    """batch-review's REQUEST_CHANGES reviews none of whose blocking findings is still `counted`."""
    threshold = request_changes_on if isinstance(request_changes_on, Severity) else Severity.info
    out = []
    for review in snapshot.reviews:
        if review.state != "CHANGES_REQUESTED":
            continue
        mine = list(review.findings)
        mine += [f for t in snapshot.threads if t.review_id == review.id for f in t.findings]
        blocking = [f for f in mine if f.severity is None or at_or_above(f.severity, threshold)]
        if not any(f.fingerprint in counted for f in blocking):
            out.append(review.id)
    return out
