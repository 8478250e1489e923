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

The state is read from the status comment and from every review batch-review posted (each carries what its
run reviewed, `run_state`), merged: a status comment that one run could not write costs the next run nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..config import Config
from ..errors import RunError, Superseded
from ..findings import Finding, Severity, at_or_above, sort_key
from ..log import log
from ..plan import Plan
from ..report import Closed, FileOutcome, RunReport
from ..scrub import by_scanner
from ..sources.base import Collected, SourceFile
from ..words import plural
from .identity import Identity
from .markers import PostedFinding, PullState, file_key
from .matching import Matcher
from .pull_github import Listed, PullSnapshot, Thread
from .seal import Seal
from .settings import settings_key
from .walkthrough import Walkthrough, carried


@dataclass
class Actions:
    """What the publishers do on GitHub once the review is posted."""

    resolve: list[Thread] = field(default_factory=list)
    unresolve: list[Thread] = field(default_factory=list)
    reply_fixed: list[tuple[Thread, PostedFinding]] = field(default_factory=list)
    dismiss: list[int] = field(default_factory=list)  # REQUEST_CHANGES reviews whose blocking findings are all closed


class PullMemory:
    def __init__(self, config: Config, read: Callable[[Seal, Listed | None], PullSnapshot], seal: Seal) -> None:
        self.key = settings_key(config)
        self.seal = seal
        self.full_review = bool(getattr(config, "full_review", False))
        self.request_changes_on = config.request_changes_on
        self.read = read
        self.snapshot: PullSnapshot | None = None
        self.current: dict[str, str] = {}  # path -> file_key of the version in this pull request now
        self.unchanged: dict[str, str] = {}  # path -> commit of the review that covers its version
        self.sources: dict[str, SourceFile] = {}  # the unchanged files (their content, for SARIF line hashes)
        self.skipped: dict[str, str] = {}  # path -> reason
        self.usable: MergedState | None = None  # the earlier states, when their settings match this run's
        self.incomplete = False
        self.actions = Actions()
        # claims the pull request before anything is paid, from the comments the memory read lists (memory/lock.py)
        self.claim: Callable[[list[Any], Identity], str] | None = None
        self.listed: tuple[list[Any], Identity] | None = None  # the issue comments as first listed, and the identity

    # -- recall ----------------------------------------------------------------------------------
    def recall(self, collected: Collected, report: RunReport) -> list[FileOutcome]:
        bases = collected.base_blobs
        for path, blob, old in [*((f.path, f.blob, f.old_path or f.path) for f in collected.files),
                                *((s.path, s.blob, s.path) for s in collected.skipped)]:
            if blob:
                self.current[path] = file_key(path, blob, "?" if bases is None else bases.get(old, ""))
        self.skipped = {s.path: s.reason for s in collected.skipped}
        self.incomplete = collected.incomplete  # GitHub did not list every changed file
        problems: list[str] = []

        def listed(comments: list[Any], identity: Identity) -> None:  # raises Superseded: a later run holds it
            self.listed = (comments, identity)
            if self.claim is not None:
                problems.append(self.claim(comments, identity))

        try:
            self.snapshot = self.read(self.seal, listed)
        except Superseded:
            raise
        except RunError as exc:
            self._claimed(report, problems)
            self._note(report, f"batch-review's earlier reviews could not be read ({exc.message}): every file is "
                               "reviewed, and no thread is resolved this run")
            return []
        self._claimed(report, problems)
        snapshot = self.snapshot
        if not self.seal.keyed:
            self._note(report, "no memory key (the memory-key input, or an Anthropic API key to derive it from): "
                               "batch-review cannot tell its own memory from a forgery, so every file is reviewed "
                               "and findings posted earlier may be posted again")
            return []
        if snapshot.state_problem:
            self._note(report, snapshot.state_problem + ": every file is reviewed again (a full review)")
            return []
        states = [s for s in [snapshot.state, *(r.memory for r in snapshot.reviews)] if s is not None]
        if not states:
            if snapshot.reviews or snapshot.threads:
                self._note(report, "batch-review's status comment was not found: every file is reviewed again "
                                   "(a full review)")
            return []
        state = merged([s for s in states if s.settings == self.key])
        if state is None:
            self._note(report, "the review settings changed since the last review (model, prompt, instructions, "
                               "min-severity, context or verification): every file is reviewed again")
            return []
        if snapshot.state is None or snapshot.state.settings != self.key:
            self._note(report, "batch-review's status comment holds no state for these settings (it could not be "
                               "written, or was deleted): what earlier runs reviewed is read from their reviews")
        status = snapshot.state
        if status is not None and status.settings == self.key:
            # what is open is the status comment's word (an older review's state still lists findings closed
            # since, and a thread a person re-opened must not be resolved again), plus what the reviews of runs
            # after it say (their status comment could not be written: none of their commits is in it)
            seen = set(status.reviewed.values())
            later = [r.memory for r in snapshot.reviews if r.memory is not None and r.memory.settings == self.key
                     and not seen & set(r.memory.reviewed.values())]
            state.open = {fp: {key} for fp, key in status.open.items()}
            for newer in later:
                for fp, key in newer.open.items():
                    state.open.setdefault(fp, set()).add(key)
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
        threads = {f.fingerprint: t for t in self.snapshot.threads for f in t.findings}
        posted: dict[str, PostedFinding] = {}
        for t in self.snapshot.threads:
            posted.update({f.fingerprint: f for f in t.findings if f.fingerprint not in posted})
        for r in self.snapshot.reviews:
            posted.update({f.fingerprint: f for f in r.findings if f.fingerprint not in posted})
        matcher = Matcher(plan)  # which finding of this run is which earlier one (each keeps its first id)
        matcher.match([*report.findings, *(f.finding for f in report.filtered or [])], posted.values())
        found = {f.fingerprint: f for f in report.findings}
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
            by_person = (thread is not None and thread.resolved
                         and not self.snapshot.identity.is_login(thread.resolved_by))
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
                if open_before is not None and self.current.get(path) in open_before.get(fp, ()):
                    finding = self._carried(earlier, self.unchanged[path])
                    if by_person:
                        self._acknowledge(report, finding, thread)
                    else:
                        report.findings.append(finding)
                        if thread is not None and thread.resolved:
                            self.actions.unresolve.append(thread)
            elif outcome is not None and outcome.status == "failed":
                if was_open and not by_person:
                    self._keep(report, earlier, "its file changed, and its review failed this run: still counted")
            elif path in plan.scanned and by_scanner(earlier.title):  # a key file, scanned whole: not there now
                self._close(report, earlier, thread, was_open, "fixed", head)
            elif outcome is not None and outcome.status == "skipped" and outcome.reason != "deleted":
                if was_open and not by_person:  # skipped now (a marker, a pattern): not fixed, still counted
                    self._keep(report, earlier, f"its file is skipped now ({outcome.reason}): still counted until "
                                                "a person resolves it")
            elif outcome is not None and outcome.status == "reviewed" and matcher.unchanged(earlier):
                if was_open and not by_person:  # not repeated (or dropped), but its code is as it was: not fixed
                    self._keep(report, earlier, "not repeated this run, but the code it points at did not change: "
                                                "still open")
            elif outcome is not None and outcome.status == "reviewed":
                why = f"dropped by verification: {dropped[fp]}" if fp in dropped else "fixed"
                self._close(report, earlier, thread, was_open, why, head)
            elif path not in self.current and self.incomplete:
                if was_open and not by_person:  # GitHub did not list its file this run: unknown is not fixed
                    self._keep(report, earlier, "its file was not listed by GitHub this run (the pull request is "
                                                "too large): still counted")
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

    def _keep(self, report: RunReport, earlier: PostedFinding, why: str) -> None:
        finding = self._carried(earlier, earlier.commit)
        finding.extra_notes.append(why)
        report.findings.append(finding)

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
        if not was_open:
            return  # closed by an earlier run; a thread of it open now was re-opened by a person: left to them
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

    def walkthrough(self, report: RunReport) -> Walkthrough:
        """Each file's summary: this run's for the files it reviewed, the earlier one for the others."""
        return carried(self.snapshot.walkthrough if self.snapshot else None, self.current, report.summaries)

    def run_state(self, report: RunReport) -> PullState:
        """What this run itself reviewed and found on those files (carried in its review: the part of
        `next_state` that no earlier state holds)."""
        reviewed = {self.current[f.path]: report.head_sha for f in report.files
                    if f.status == "reviewed" and f.path in self.current}
        keys = set(reviewed)
        open_ = {f.fingerprint: self.current.get(f.origin or f.path, "") for f in report.findings}
        return PullState(self.key, reviewed, {fp: key for fp, key in open_.items() if key in keys})

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

    def _claimed(self, report: RunReport, problems: list[str]) -> None:
        for problem in problems:
            if problem:
                self._note(report, problem)

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


@dataclass
class MergedState:
    """Every earlier state under this run's settings (the status comment's and those the reviews carry) as one:
    a file version reviewed by any of them is reviewed; a finding is open on each version a state says it is.
    Both are keyed by content (file versions), so a union is never stale."""

    reviewed: dict[str, str]  # file_key -> commit sha
    open: dict[str, set[str]]  # fingerprint -> the file versions it is open on


def merged(states: list[PullState]) -> MergedState | None:
    if not states:
        return None
    reviewed: dict[str, str] = {}
    open_: dict[str, set[str]] = {}
    for state in states:
        for key, commit in state.reviewed.items():
            reviewed.setdefault(key, commit)
        for fp, key in state.open.items():
            open_.setdefault(fp, set()).add(key)
    return MergedState(reviewed, open_)
