"""Review threads, derived from the REST review comments the fake keeps, as GitHub derives them.

A thread is a top-level review comment and every reply under it (``in_reply_to_id``, followed to the
top). Its GraphQL id is ``PRRT_…`` built from the top comment's id. What REST cannot carry is kept on
the fake: ``resolved_threads`` (top comment id -> login of who resolved it), ``minimized`` (node id ->
reason) and ``outdated_comments`` (ids of comments a later push made outdated).

:func:`follow_push` is what GitHub does to existing comments when a PR's head moves: a comment whose
lines the push left alone moves with them (``line``, ``position``, ``commit_id`` updated; ``original_*``
kept); one whose lines changed, or that no longer lands in the diff, becomes outdated (``line`` and
``position`` null in REST, ``isOutdated`` in GraphQL).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.fakes import github_json as J
from tests.fakes.github_diffmap import HUNK_RE
from tests.fakes.github_reviews import diffmap, visible_comments

if TYPE_CHECKING:
    from tests.fakes.github_api import FakeGitHub
    from tests.support.gitrepo import PullFixture

# GraphQL's minimizedReason for each ReportedContentClassifiers value
MINIMIZED_REASONS = {
    "ABUSE": "abuse",
    "DUPLICATE": "duplicate",
    "OFF_TOPIC": "off-topic",
    "OUTDATED": "outdated",
    "RESOLVED": "resolved",
    "SPAM": "spam",
}


@dataclass
class Thread:
    number: int  # the pull request
    comments: list[dict[str, Any]]  # REST review comments: the top one first, then replies by creation
    resolved_by: str | None  # login, None while unresolved
    outdated: bool

    @property
    def root(self) -> dict[str, Any]:
        return self.comments[0]

    @property
    def id(self) -> str:
        return J.node_id("PullRequestReviewThread", self.root["id"])

    @property
    def is_resolved(self) -> bool:
        return self.resolved_by is not None

    @property
    def path(self) -> str:
        return str(self.root["path"])


def top_of(by_id: dict[int, dict[str, Any]], c: dict[str, Any]) -> dict[str, Any]:
    seen = {c["id"]}
    while (parent := by_id.get(c.get("in_reply_to_id") or -1)) is not None and parent["id"] not in seen:
        seen.add(parent["id"])
        c = parent
    return c


def threads_for(fake: FakeGitHub, number: int) -> list[Thread]:
    """The PR's threads in creation order (comments of pending reviews are not shown, as in REST)."""
    comments = sorted(visible_comments(fake, number), key=lambda c: c["id"])
    by_id = {c["id"]: c for c in comments}
    groups: dict[int, list[dict[str, Any]]] = {}
    for c in comments:
        groups.setdefault(top_of(by_id, c)["id"], []).append(c)
    return [
        Thread(number, group, fake.resolved_threads.get(top), top in fake.outdated_comments)
        for top, group in sorted(groups.items())
    ]


def find_thread(fake: FakeGitHub, ref: str | int) -> Thread | None:
    """The thread with GraphQL id ``ref`` (``PRRT_…``), or holding the comment whose REST id or node id
    (``PRRC_…``) is ``ref``."""
    for number in sorted(fake.pulls):
        for t in threads_for(fake, number):
            if ref == t.id or any(ref in (c["id"], c["node_id"], str(c["id"])) for c in t.comments):
                return t
    return None


# -- following a push ---------------------------------------------------------------------------
def _changed_ranges(pr: PullFixture, old: str, new: str, path: str) -> list[tuple[int, int, int]]:
    """``(old_start, old_count, new_count - old_count)`` of each hunk of ``git diff old new -- path``."""
    if old == new:
        return []
    out = pr.repo.run("diff", "--no-color", "--no-ext-diff", "-U0", old, new, "--", path).decode("utf-8", "replace")
    hunks = []
    for m in map(HUNK_RE.match, out.splitlines()):
        if m:
            o_start, o_len = int(m.group(1)), int(m.group(2) or 1)
            n_len = int(m.group(4) or 1)
            hunks.append((o_start, o_len, n_len - o_len))
    return hunks


def _map_line(hunks: list[tuple[int, int, int]], first: int, last: int) -> int | None:
    """The shift of lines ``first..last`` through ``hunks``, or None if a hunk touches them."""
    shift = 0
    for o_start, o_len, delta in hunks:
        if o_len == 0:  # pure insertion after line o_start
            if first <= o_start < last:
                return None
            if o_start < first:
                shift += delta
        elif o_start <= last and o_start + o_len - 1 >= first:
            return None
        elif o_start + o_len - 1 < first:
            shift += delta
    return shift


def follow_push(fake: FakeGitHub, old: PullFixture, new: PullFixture) -> None:
    """Move or outdate every review comment of PR ``new.number`` after its head went from ``old`` to ``new``."""
    url = f"{fake.repo_api}/pulls/{new.number}"
    files = {f["filename"]: f for f in new.files}
    for c in fake.review_comments:
        if c["pull_request_url"] != url or c["id"] in fake.outdated_comments:
            continue
        rec = files.get(c["path"])
        if c["subject_type"] == "file":
            if rec is None:
                fake.outdated_comments.add(c["id"])
            else:
                c["commit_id"] = new.head_sha
            continue
        if c["line"] is None:
            continue
        patch = rec.get("patch") if rec else None
        right = c["side"] != "LEFT"
        start = c["start_line"] if c["start_line"] is not None else c["line"]
        frm, to = (c["commit_id"], new.head_sha) if right else (old.merge_base_sha, new.merge_base_sha)
        shift = _map_line(_changed_ranges(new, frm, to, c["path"]), start, c["line"])
        end = begin = None
        if isinstance(patch, str) and shift is not None:
            dm = diffmap(patch)
            end = dm.locate(c["side"], c["line"] + shift)
            begin = dm.locate(c["start_side"] or c["side"], start + shift)
        if end is None or begin is None or begin.hunk != end.hunk or shift is None:
            fake.outdated_comments.add(c["id"])
            c.update(line=None, start_line=None, position=None)
            continue
        c.update(
            line=c["line"] + shift,
            start_line=None if c["start_line"] is None else c["start_line"] + shift,
            position=end.position,
            commit_id=new.head_sha if right else c["commit_id"],
        )
