"""One pull-request review on the head commit: inline comments where GitHub takes them, everything
else in the body, nothing twice.

- Placement is checked against the diff before posting (`FileDiff.inline_range`), so a 422 is rare;
  if GitHub still refuses, the refused comments are found by bisection with pending reviews (which
  nobody sees and which are deleted at once) and moved to the body.
- Every comment and body entry carries a hidden finding marker (memory/markers.py: fingerprint, place,
  severity, the commit and file version); findings batch-review already posted on this pull request (on
  any commit; read only from its own comments) are not posted again, carried findings never, and a run
  with nothing new to say posts no review at all.
- The review is never APPROVE; REQUEST_CHANGES only when `request-changes-on` is met.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from ..findings import Finding, Severity, at_or_above, counts_by_severity
from ..github_client import describe, is_read_only, post_once
from ..log import log
from ..memory.markers import finding_marker, review_marker
from ..memory.seal import Seal
from ..plan import Plan
from ..words import plural
from .markdown import (
    GITHUB_BODY_LIMIT,
    SEVERITY_LABEL,
    cap,
    code_block,
    code_span,
    finding_heading,
    location,
    sanitize,
    suggestion_block,
)

if TYPE_CHECKING:
    from github.PullRequest import PullRequest
    from github.Repository import Repository

    from ..report import RunReport

BODY_BUDGET = GITHUB_BODY_LIMIT - 4000
STATE_IN_REVIEW = 24000  # characters of state marker a review body carries (~2,000 files); larger: the comment only
MAX_PROBES = 40


class ReadOnlyToken(Exception):
    """The token cannot write to this pull request (a fork PR's read-only token)."""


@dataclass
class ReviewPlan:
    mark: Callable[[Finding], str]  # the hidden finding marker every comment and body entry carries
    inline: list[tuple[Finding, dict[str, Any]]] = field(default_factory=list)
    body: list[Finding] = field(default_factory=list)


def place(findings: Sequence[Finding], plan: Plan, max_inline: int, mark: Callable[[Finding], str]) -> ReviewPlan:
    out = ReviewPlan(mark)
    for finding in findings:
        entry = plan.files.get(finding.path)
        scanned = plan.scanned.get(finding.path) if entry is None else None  # key material: scanned, never sent
        why = None
        spot = None
        if entry is None and scanned is None:
            why = "the file is not part of this pull request's diff"
        elif entry is not None and (not entry.inline or entry.diff is None):
            why = "GitHub does not show this file's diff (too large), so it takes no line comments"
        else:
            diff = scanned if scanned is not None else entry.diff if entry is not None else None
            assert diff is not None
            spot = diff.inline_range(finding.line, finding.end_line)
            if spot is None:
                why = f"line {finding.line} is not part of the diff"
            elif finding.unseen:
                why = "it points at code its request did not show the model, so it is not posted on a line"
            elif len(out.inline) >= max_inline:
                why = "over the max-inline-comments limit"
        if why or spot is None:
            finding.placement = "body"
            finding.extra_notes.append(why or "not commentable")
            out.body.append(finding)
            continue
        finding.placement = "inline"
        out.inline.append((finding, _comment(finding, spot, out.mark(finding))))
    return out


def _comment(finding: Finding, spot: tuple[int | None, int], marker: str) -> dict[str, Any]:
    start, line = spot
    comment: dict[str, Any] = {"path": finding.path, "line": line, "side": "RIGHT"}
    if start is not None:
        comment["start_line"] = start
        comment["start_side"] = "RIGHT"
    exact = (start or line) == finding.line and line == finding.last_line
    comment["body"] = comment_body(finding, marker, exact_range=exact)
    return comment


def comment_body(finding: Finding, marker: str, *, exact_range: bool = True) -> str:
    parts = [finding_heading(finding), "", sanitize(finding.body)]
    if finding.suggestion is not None:
        if exact_range:
            parts += ["", suggestion_block(finding.suggestion)]
        else:
            span = f"{finding.line}-{finding.last_line}" if finding.end_line else str(finding.line)
            parts += ["", f"Suggested replacement for lines {span}:", code_block(finding.suggestion)]
    checked = verification_note(finding)
    parts += ["", f"<sub>batch-review · confidence {finding.confidence:.2f}"
                  + (f" · {sanitize(checked)}" if checked else "") + "</sub>", marker]
    return cap("\n".join(parts))


def verification_note(finding: Finding) -> str:
    """What the verification pass said, for the comment's footer: "verified", or "unverified: why"."""
    check = finding.check
    if check is None or check.status == "dropped":
        return ""
    if check.status == "unverified":
        reason = " ".join(check.reason.split())
        return f"unverified: {reason[:200]}{'…' if len(reason) > 200 else ''}"
    return "verified" + (f" ({check.confidence:.2f})" if check.confidence is not None else "")


def body_entry(finding: Finding, marker: str) -> str:
    unverified = verification_note(finding) if finding.check is not None and finding.check.status == "unverified" \
        else ""
    why = "; ".join(n for n in [finding.note, *finding.extra_notes, unverified] if n)
    parts = [f"#### {finding_heading(finding)}", f"{location(finding)}" + (f" — _{sanitize(why)}_" if why else ""), ""]
    parts.append(sanitize(finding.body))
    if finding.suggestion is not None:
        parts += ["", "Suggested replacement:", code_block(finding.suggestion)]
    parts.append(marker)
    return "\n".join(parts)


def review_bodies(report: RunReport, layout: ReviewPlan, head_sha: str, nonce: str, seal: Seal,
                  state: str = "") -> list[str]:
    """The review body (and continuation bodies if the findings outgrow one). `state`: the run's state marker
    (what it reviewed), kept in the first body so that memory survives a status comment that cannot be written."""
    new = [f for f, _ in layout.inline] + layout.body
    counts = counts_by_severity(new)
    tally = " · ".join(f"{counts[s.value]} {SEVERITY_LABEL[s]}" for s in Severity if counts[s.value])
    unchanged = report.count("unchanged")
    earlier = f" · {unchanged} unchanged since their last review" if unchanged else ""
    head = [
        f"### batch-review: {len(new)} new finding{'s' if len(new) != 1 else ''}" + (f" · {tally}" if tally else ""),
        f"<sub>{report.count('reviewed')} of {len(report.files)} changed files reviewed at {head_sha[:12]} "
        f"with {report.model}{earlier} · {report.count('skipped')} skipped · {report.count('failed')} failed</sub>",
    ]
    if report.failed_files():
        head += ["", "**Not reviewed (failed):** " + ", ".join(
            f"{code_span(f.path)} ({sanitize(f.reason)})" for f in report.failed_files()[:50])]
    head += [f"{n}" for n in (f"> {sanitize(note)}" for note in report.notes)]
    if layout.body:
        head += ["", f"**{plural(len(layout.body), 'finding')} could not be placed on a line of the diff:**"]
    if state and len(state) <= STATE_IN_REVIEW:
        head.append(state)
    bodies: list[str] = []
    current = "\n".join(head)
    for entry in (body_entry(f, layout.mark(f)) for f in layout.body):
        if len(current) + len(entry) + 10 > BODY_BUDGET:
            bodies.append(current)
            current = f"### batch-review (continued)\n<sub>more findings for {head_sha[:12]}</sub>"
        current += "\n\n" + entry
    bodies.append(current)
    return [cap(body + "\n\n" + review_marker(seal, head_sha, i, nonce)) for i, body in enumerate(bodies)]


def publish_review(repo: Repository, pull: PullRequest, commit_sha: str, report: RunReport, plan: Plan, *,
                   max_inline: int, request_changes_on: Severity | str, posted: Collection[str],
                   file_keys: Mapping[str, str], seal: Seal, state: str = "") -> str:
    """Post the review of the findings not yet on the pull request (`posted`: fingerprints batch-review
    itself posted earlier), with the run's state marker `state`. Returns what happened, for the report.
    Raises ReadOnlyToken on a 403 write."""
    from github.GithubException import GithubException

    fresh = []
    for finding in report.findings:
        if finding.placement == "carried":
            continue
        if finding.fingerprint in posted:
            finding.placement = "already-posted"
        else:
            fresh.append(finding)
    if not fresh:
        if report.failed_files():
            return "nothing new to post (failed files are named in the check run and the summary)"
        return "nothing new to post" if report.findings else "no findings; no review posted"
    layout = place(fresh, plan, max_inline,
                   lambda f: finding_marker(f, commit_sha, file_keys.get(f.origin or f.path, ""), seal,
                                            plan.new_lines(f.path)))
    event = "COMMENT"
    if isinstance(request_changes_on, Severity) and any(at_or_above(f.severity, request_changes_on) for f in fresh):
        event = "REQUEST_CHANGES"
    commit = repo.get_commit(commit_sha)  # lazy: no request
    nonce = uuid.uuid4().hex[:16]
    try:
        refused = _post(pull, commit, report, layout, commit_sha, nonce, event, seal, state)
    except GithubException as exc:
        if is_read_only(exc):
            raise ReadOnlyToken(describe(exc)) from None
        raise
    moved = f", {refused} moved to the body after GitHub refused them" if refused else ""
    return f"review posted: {len(layout.inline)} inline, {len(layout.body)} in the body{moved}"


def _post(pull: PullRequest, commit: Any, report: RunReport, layout: ReviewPlan,
          head_sha: str, nonce: str, event: str, seal: Seal, state: str) -> int:
    """Post the review; on a 422 for its comments, move the refused ones to the body and post again.

    Attempt 1 posts as planned; if GitHub refuses it, `find_refused` names the refused comments. If it
    cannot (or the next attempt is refused too), every comment goes to the body: the findings are
    posted either way. Returns how many comments were moved."""
    from github.GithubException import GithubException

    refused = 0
    for attempt in range(3):
        bodies = review_bodies(report, layout, head_sha, nonce, seal, state)
        comments = [c for _, c in layout.inline]
        posted = 0
        try:
            for index, body in enumerate(bodies):
                _post_part(pull, commit, body, event if index == 0 else "COMMENT",
                           comments if index == 0 else [], f"part={index} run={nonce}", index)
                posted += 1
            return refused
        except GithubException as exc:
            if exc.status != 422 or not layout.inline or posted > 0:
                raise
            log.warning(f"GitHub refused the review ({describe(exc)}); finding the comments it refuses")
            bad = find_refused(pull, commit, comments) if attempt == 0 else set()
            if not bad:
                log.warning("could not tell which comments GitHub refuses; posting every finding in the body")
                bad = set(range(len(layout.inline)))
            refused += len(bad)
            for index in sorted(bad, reverse=True):
                finding, _ = layout.inline.pop(index)
                finding.placement = "body"
                finding.extra_notes.append("GitHub refused it as an inline comment")
                layout.body.insert(0, finding)
    raise RuntimeError("unreachable")  # pragma: no cover - the third attempt has no inline comments


def publish_memory_review(repo: Repository, pull: PullRequest, commit_sha: str, why: str, state: str,
                          seal: Seal) -> str:
    """A short COMMENT review holding the run's state marker, for a run that posted no review and could not
    write its status comment: the next run then knows what this one reviewed and does not pay for it again."""
    if len(state) > STATE_IN_REVIEW:
        return "not kept: the state is too large for a review body"
    nonce = uuid.uuid4().hex[:16]
    body = cap("\n".join([
        f"<sub>batch-review could not update its status comment ({sanitize(why)}); this note records which file "
        f"versions it reviewed at {commit_sha[:12]}, so the next run does not review them again.</sub>",
        state, review_marker(seal, commit_sha, 0, nonce)]))
    _post_part(pull, repo.get_commit(commit_sha), body, "COMMENT", [], f"part=0 run={nonce}", 0)
    return "kept in a review note"


def _post_part(pull: PullRequest, commit: Any, body: str, event: str,
               comments: list[dict[str, Any]], tag: str, index: int) -> None:
    def write() -> Any:
        return pull.create_review(commit=commit, body=body, event=event, comments=cast(Any, comments))

    post_once(write, lambda: _find_review(pull, tag), "the review" if index == 0 else f"review part {index + 1}")


def _find_review(pull: PullRequest, tag: str) -> Any:
    for review in pull.get_reviews():
        if tag in (review.body or ""):
            return review
    return None


def find_refused(pull: PullRequest, commit: Any, comments: list[dict[str, Any]]) -> set[int]:
    """Bisect with pending reviews (invisible, deleted at once) to find the comments GitHub refuses."""
    from github.GithubException import GithubException

    probes = 0

    def accepted(group: list[int]) -> bool:
        nonlocal probes
        probes += 1
        for attempt in (1, 2):
            try:
                review = pull.create_review(commit=commit, comments=cast(Any, [comments[i] for i in group]))
            except GithubException as exc:
                if exc.status == 422 and "pending review" in describe(exc) and attempt == 1:
                    _delete_pending(pull)
                    continue
                if exc.status == 422:
                    return False
                raise
            review.delete()
            return True
        return False

    _delete_pending(pull)
    bad: set[int] = set()
    stack = [list(range(len(comments)))]
    first = True
    try:
        while stack:
            group = stack.pop()
            if probes >= MAX_PROBES:
                bad.update(group)
                continue
            if not first and accepted(group):
                continue
            first = False
            if len(group) == 1:
                bad.add(group[0])
            else:
                middle = len(group) // 2
                stack += [group[middle:], group[:middle]]
    finally:
        _delete_pending(pull)  # a probe whose delete failed must not linger
    log.info(f"{len(bad)} of {len(comments)} comment(s) refused by GitHub ({probes} probe(s))")
    return bad


def _delete_pending(pull: PullRequest) -> None:
    for review in pull.get_reviews():
        if review.state == "PENDING":
            review.delete()
