"""The claim on GitHub (memory/claim.py): two runs racing on one pull request publish once, the later one.

1. Before anything is paid for, a run reads the status comment's claim — from the listing of the issue comments
   that batch-review's memory reads too (memory/pull_github.py `read_snapshot`: the comments first, then the
   review threads with the token's identity, then this claim, then the reviews; no call of its own but the
   write). A later run's claim there: this run is superseded at once (nothing sent to the model, nothing
   posted). Else it writes its own claim into the status comment (creating the comment when there is none).
   The memory is read after the comments were listed, so a run that finished before is in that memory, and
   one still at work left its claim not `done` (the claim is contended).
2. Just before posting, it reads the claim again: a later run's claim means it publishes nothing and ends
   `superseded` (exit 0, a note in the job summary). When the claim was contended, or another run wrote over
   this one's claim, what batch-review posted is read again first, so nothing an earlier run posted meanwhile
   is posted twice. This read is one GET of the status comment by id when this run edited the comment it
   found and no other run was at work: a later run lists the same comments and writes its claim into that
   same comment (the one carrying the latest claim). Otherwise — this run created the comment (another run may
   have created one at the same moment), the claim was contended, or the GET shows anything but this run's
   claim (written over, or the comment deleted) — the comments are listed again, as the first read did.
3. Its status comment carries its claim marked `done` (or a later run's claim written meanwhile, kept); a run
   that posts nothing (it failed) marks its claim done all the same.

GitHub offers no compare-and-swap on a comment, so a claim is a read and then a write: two runs whose writes
cross within that round trip (here the listing, one GraphQL query for the threads and identity, then the write)
both see themselves as the latest; the later run notices its claim overwritten at step 2, and reads what was
posted again before it posts (docs/reliability.md says what remains).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ..errors import GitHubError, Superseded
from ..log import log
from .claim import Claim, placeholder, read_claim, with_claim
from .identity import Identity
from .markers import STATE_PREFIX, own_state_parts
from .pull_github import StatusFound, find_status
from .seal import Seal

if TYPE_CHECKING:
    from github import Github
    from github.Issue import Issue


class PullLock:
    def __init__(self, gh: Github, issue: Callable[[], Issue], seal: Seal, mine: Claim, run_url: str) -> None:
        self.gh, self.issue, self.seal, self.mine, self.run_url = gh, issue, seal, mine, run_url
        self.identity: Identity | None = None
        self.claimed = False  # this run's claim was written
        self.contended = False  # another run may be publishing on this pull request meanwhile
        self.found: StatusFound | None = None  # the status comment as read at the last check
        self.listed: StatusFound | None = None  # the status comment this run found and wrote its claim into
        self.comment_id: int | None = None

    def claim(self, comments: list[Any], identity: Identity) -> str:
        """Step 1, from the issue comments as the memory read listed them. Raises Superseded when a later run holds
        the pull request; a note when the claim could not be written (the run goes on as before the lock
        existed: a race is then not detected)."""
        if not self.seal.keyed:
            return ""  # nothing sealed, nothing trusted: every run is a full review, and a claim proves nothing
        self.identity = identity
        try:
            found = find_status(comments, identity, self.seal)
            if found.claim is not None and found.claim.outranks(self.mine):
                raise Superseded(self._why(found.claim))
            self.contended = found.claim is not None and not found.claim.done and found.claim.order != self.mine.order
            if found.comment is not None:
                self._patch(found.comment.id, with_claim(found.comment.body or "", self.mine, self.seal))
                self.comment_id, self.listed = found.comment.id, found
            else:
                from ..github_client import post_once

                issue = self.issue()
                body = placeholder(self.mine, self.seal, self.run_url)
                created = post_once(lambda: issue.create_comment(body), lambda: _landed(issue, body),
                                    "the status comment")
                self.comment_id = created.id
        except Superseded:
            raise
        except Exception as exc:  # GitHubError, GithubException, a lost connection: the run goes on unlocked
            why = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            return (f"this run's claim on the pull request could not be written ({why}): a run racing on it is not "
                    "detected, and both may post")
        self.claimed = True
        if self.contended:
            log.info(f"another run ({found.claim.describe() if found.claim else '?'}) has not finished on this pull "
                     "request: what it posts is read again before this run posts")
        return ""

    def check(self) -> str:
        """Step 2: "" when this run may publish, else why not (a later run claimed the pull request)."""
        if not self.claimed or self.identity is None:
            return ""
        try:
            found = self._by_id() or find_status(list(self.issue().get_comments()), self.identity, self.seal)
        except Exception as exc:  # cannot tell: publish, as a run without the lock would
            log.warning(f"the claim on the pull request could not be read again ({exc}): publishing")
            return ""
        current = found.claim
        if current is not None and current.outranks(self.mine):
            return self._why(current)
        if current is None or current.order != self.mine.order:
            self.contended = True  # written over by a run that read the comment before this run's claim landed
        self.found = found
        if found.comment is not None:
            self.comment_id = found.comment.id
        return ""

    def _by_id(self) -> StatusFound | None:
        """The comments as first listed with the claim one GET of the status comment shows now — when that is
        this run's claim or a later one, and nothing says another run may have written elsewhere (None: list
        the comments again)."""
        if self.listed is None or self.contended or self.comment_id is None:
            return None
        try:
            body = self.issue().get_comment(self.comment_id).body or ""
        except Exception as exc:  # the comment deleted (404) or unreadable: the listing says where things stand
            log.info(f"the status comment could not be read again ({getattr(exc, 'status', None) or exc}): listing "
                     "the comments")
            return None
        claim = read_claim(body, self.seal)
        if claim is None or self.mine.outranks(claim):
            return None  # written over by an earlier run, or gone
        return replace(self.listed, claim=claim)

    def closing(self) -> str:
        """Step 3: the claim the status comment carries: this run's, marked done (a claim written after the check
        is written over by it, and that claim's run notices at its own check)."""
        return self.mine.finished().to_marker(self.seal) if self.claimed else ""

    def release(self, status: str) -> str:
        """A run that posted nothing (it failed, or had nothing to post) marks its claim done, so the next run
        does not wait on it; the comment it created to claim the pull request says how the run ended."""
        if not self.claimed or self.comment_id is None:
            return ""
        try:
            body = self.issue().get_comment(self.comment_id).body or ""
            now = read_claim(body, self.seal)
            if now is not None and now.outranks(self.mine):
                return ""
            if STATE_PREFIX not in body and not own_state_parts(body, None):  # the comment this run created
                body = placeholder(self.mine, self.seal, self.run_url, ended=status)
            self._patch(self.comment_id, with_claim(body, self.mine.finished(), self.seal))
        except Exception as exc:  # noted: the next run reads the claim as still at work, and reads twice
            return f"claim not released ({getattr(exc, 'message', None) or type(exc).__name__})"
        return "claim released"

    def _why(self, later: Claim) -> str:
        return (f"{later.describe()} started after this run ({self.mine.describe()}) and reviews this pull request: "
                "this run publishes nothing (its review would be out of date or posted twice)")

    def _patch(self, comment_id: int, body: str) -> None:
        folder = self.issue().url.rsplit("/", 1)[0]
        try:
            self.gh.requester.requestJsonAndCheck("PATCH", f"{folder}/comments/{comment_id}", input={"body": body})
        except Exception as exc:
            raise GitHubError(f"could not edit the status comment: {exc}") from None


def _landed(issue: Any, body: str) -> Any:
    for comment in issue.get_comments():
        if (comment.body or "") == body:
            return comment
    return None
