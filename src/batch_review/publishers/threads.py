"""After the review: close what was fixed, lift blocks that no longer hold, and leave the pull request's
memory for the next run.

- Fixed findings' threads are resolved (GraphQL `resolveReviewThread`, several in one request;
  `pull-requests: write` suffices); a thread someone else replied to stays open and gets one short reply
  saying it looks fixed; a thread batch-review resolved whose finding came back is re-opened.
- A REQUEST_CHANGES review whose blocking findings are all fixed or resolved is dismissed (a protected
  branch may refuse `GITHUB_TOKEN` that: the refusal is noted, nothing fails).
- The status comment (one per pull request, edited in place) says where the pull request stands and holds
  the state marker: the file versions reviewed and the findings still open. A state too large for one comment
  spills into further comments of batch-review's own (memory/markers.py), edited in place like it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..graphql import graphql
from ..log import log
from ..memory.claim import STATUS_MARKER
from ..memory.markers import fixed_reply_marker
from ..words import plural
from .markdown import cap, code_span, inline_text

if TYPE_CHECKING:
    from github import Github
    from github.Issue import Issue
    from github.PullRequest import PullRequest

    from ..memory.pull import Actions, PullMemory
    from ..memory.seal import Seal
    from ..report import RunReport

MUTATIONS_PER_REQUEST = 25


def apply_actions(gh: Github, pull: PullRequest, actions: Actions, head_sha: str, seal: Seal) -> str:
    """Carry out `actions`; what was done, for the report. Failures are noted, never raised: the findings
    are already posted, and the next run tries again."""
    from github.GithubException import GithubException

    done: list[str] = []
    problems: list[str] = []
    for verb, threads in (("resolve", actions.resolve), ("unresolve", actions.unresolve)):
        ids = [t.id for t in threads if t.id]
        for start in range(0, len(ids), MUTATIONS_PER_REQUEST):
            group = ids[start : start + MUTATIONS_PER_REQUEST]
            fields = "\n".join(
                f"  t{i}: {verb}ReviewThread(input: {{threadId: $t{i}}}) {{ thread {{ id isResolved }} }}"
                for i in range(len(group))
            )
            params = ", ".join(f"$t{i}: ID!" for i in range(len(group)))
            try:
                graphql(gh, f"mutation({params}) {{\n{fields}\n}}", {f"t{i}": tid for i, tid in enumerate(group)},
                        what=f"{verb} {len(group)} review thread(s)")
            except Exception as exc:  # GitHubError, or a connection error: noted, not raised
                problems.append(getattr(exc, "message", str(exc)))
                continue
            done.append(f"{plural(len(group), 'thread')} {verb}d")
    for thread, finding in actions.reply_fixed:
        body = (f"This looks fixed at {head_sha[:12]}: batch-review no longer finds it. The thread stays open "
                f"because someone replied.\n{fixed_reply_marker(seal, finding.fingerprint)}")
        try:
            pull.create_review_comment_reply(thread.comment_id, body)
        except GithubException as exc:
            problems.append(f"reply on thread {thread.comment_id}: GitHub {exc.status}")
            continue
        done.append("1 reply")
    for review_id in actions.dismiss:
        message = f"batch-review: every blocking finding of this review is fixed or resolved at {head_sha[:12]}"
        try:
            gh.requester.requestJsonAndCheck("PUT", f"{pull.url}/reviews/{review_id}/dismissals",
                                             input={"message": message, "event": "DISMISS"})
        except GithubException as exc:
            problems.append(f"dismissing review {review_id}: GitHub {exc.status} (a protected branch may need "
                            "a token with more rights)")
            continue
        done.append(f"review {review_id} dismissed")
    for problem in problems:
        log.warning(f"batch-review could not close a finding on GitHub: {problem}")
    return "; ".join(done + [f"failed: {p}" for p in problems]) or ""


def status_comments(report: RunReport, memory: PullMemory, walkthrough: bool = True,
                    claim: str = "") -> tuple[str, list[str]]:
    """The status comment's body (with `claim`, the run's claim marker, first) and, when the state outgrows it,
    the bodies of the comments that continue it."""
    markers = memory.next_state(report).to_markers(memory.seal)
    body = status_body(report, memory, walkthrough, markers[0])
    return (cap(f"{claim}\n{body}") if claim else body), continuations(markers[1:])


STATE_MORE = "<!-- batch-review:state-more -->"


def continuations(rest: list[str]) -> list[str]:
    """The bodies of the comments holding the parts of a state after the first (the status comment's)."""
    return [f"{marker}\n{STATE_MORE}\n<sub>batch-review's memory of this pull request, continued (part {n} of "
            f"{len(rest) + 1}): the status comment's state did not fit in one comment.</sub>"
            for n, marker in enumerate(rest, 2)]


def status_body(report: RunReport, memory: PullMemory, walkthrough: bool = True, state: str | None = None) -> str:
    """The status comment: where the pull request stands, the walkthrough of the change (`walkthrough`), and
    the markers for the next run (the state, or its first part; the files' summaries)."""
    from .walkthrough import render

    counted = report.findings
    new = sum(1 for f in counted if f.placement in ("inline", "body", "annotation"))
    carried = sum(1 for f in counted if f.placement == "carried")
    head = report.head_sha[:12]
    lines = [
        state if state is not None else memory.next_state(report).to_marker(memory.seal),
        STATUS_MARKER,
        f"### batch-review · {report.status} at `{head}`",
        "",
        f"**{len(counted)} open finding{'s' if len(counted) != 1 else ''}** ({new} new, {carried} carried from "
        f"earlier reviews, {len(counted) - new - carried} already posted) · **{len(report.fixed)} fixed** · "
        f"{len(report.acknowledged)} resolved by people",
        "",
        f"Files: {report.count('reviewed')} reviewed at `{head}` · {report.count('unchanged')} unchanged since their "
        f"last review · {report.count('skipped')} skipped · {report.count('failed')} failed",
    ]
    walk = memory.walkthrough(report) if walkthrough else None
    if walk is not None:
        lines[1:1] = [walk.to_marker(memory.seal)] if walk.entries else []
        shown = render(walk, memory.current)
        lines += ["", *shown] if shown else []
    failed = report.failed_files()
    if failed:
        lines += ["", "**Not reviewed (failed):** " + ", ".join(
            f"{code_span(f.path)} ({inline_text(f.reason)})" for f in failed[:50])
            + (f" and {len(failed) - 50} more" if len(failed) > 50 else "")]
    if report.fixed:
        lines += ["", f"<details><summary>Fixed at `{head}` ({len(report.fixed)})</summary>", ""]
        lines += [f"- {code_span(c.finding.path)}:{c.finding.line} — {inline_text(c.finding.title)} ({c.why}; "
                  f"{c.action})" for c in report.fixed[:100]]
        lines += ["", "</details>"]
    lines += ["", "<sub>batch-review keeps its memory of this pull request in this comment (which file versions "
              "it reviewed, which findings are open), so a push is reviewed only where it changed something.</sub>"]
    return cap("\n".join(lines))


def publish_status(gh: Github, issue: Issue, comment_id: int | None, body: str, more: list[str] | None = None,
                   more_ids: list[int] | None = None, stale_ids: list[int] | None = None) -> str:
    """Create the status comment (on the pull request's issue), or edit it in place (one PATCH, no read first).
    `more`: the bodies of the comments continuing its state, written first (the comments in `more_ids` edited in
    place, new ones created), then the ones no longer needed deleted, with `stale_ids` (status comments two runs
    raced to create: the one written here is the status comment now)."""
    folder = issue.url.rsplit("/", 1)[0]
    spare, done = list(more_ids or []), []
    for text in more or []:
        if spare:
            gh.requester.requestJsonAndCheck("PATCH", f"{folder}/comments/{spare.pop(0)}", input={"body": text})
        else:
            _create(issue, text, "a continuation of the status comment")
    if more:
        done.append(f"{plural(len(more), 'continuation comment')} written")
    if comment_id is not None:
        gh.requester.requestJsonAndCheck("PATCH", f"{folder}/comments/{comment_id}", input={"body": body})
        done.insert(0, f"status comment {comment_id} updated")
    else:
        done.insert(0, f"status comment {_create(issue, body, 'the status comment').id} created")
    gone = [i for i in [*spare, *(stale_ids or [])] if i != comment_id]
    for old in gone:
        gh.requester.requestJsonAndCheck("DELETE", f"{folder}/comments/{old}")
    if gone:
        done.append(f"{plural(len(gone), 'stale comment')} deleted")
    return "; ".join(done)


def _create(issue: Issue, body: str, what: str) -> Any:
    from ..github_client import post_once

    return post_once(lambda: issue.create_comment(body), lambda: _find_status(issue, body), what)


def _find_status(issue: Issue, body: str) -> Any:
    """The comment a POST that seemed to fail did create: exactly this body (its sealed state included)."""
    for comment in issue.get_comments():
        if (comment.body or "") == body:
            return comment
    return None
