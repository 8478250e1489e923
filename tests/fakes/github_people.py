"""What other people do on the fake GitHub, for tests: reviews, inline comments, replies, PR comments,
resolving threads and hiding comments, written straight into the fake's state (no HTTP call, so nothing
lands in ``calls``) exactly as GitHub would show them to the client under test.

``login`` is who acts: a ``…[bot]`` login is a Bot (another app), anything else a User. A comment that
forges batch-review's hidden markers is just ``add_issue_comment_as("mallory", n, "<!-- marker -->…")``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from tests.fakes import github_json as J
from tests.fakes.github_pulls import get_pr
from tests.fakes.github_reviews import STATES, CommentError, anchor, comment_json, reply_json
from tests.fakes.github_threads import MINIMIZED_REASONS, Thread, find_thread, threads_for

if TYPE_CHECKING:
    from tests.fakes.github_api import FakeGitHub


class PeopleMixin:
    """Mixed into :class:`~tests.fakes.github_api.FakeGitHub`."""

    def person(self: FakeGitHub, login: str) -> dict[str, Any]:
        """The REST ``user`` object of ``login``."""
        return J.user(self, login, bot=login.endswith("[bot]"))

    def _by(self: FakeGitHub, obj: dict[str, Any], login: str, association: str) -> dict[str, Any]:
        obj.update(user=self.person(login), author_association=association)
        return obj

    def add_review_as(
        self: FakeGitHub,
        login: str,
        number: int,
        body: str = "",
        *,
        event: str = "COMMENT",
        comments: Iterable[Mapping[str, Any]] = (),
        commit_id: str | None = None,
        association: str = "NONE",
    ) -> dict[str, Any]:
        """A review by ``login`` (``event`` COMMENT, REQUEST_CHANGES or APPROVE; ``None``: pending), with
        inline ``comments`` given as to the REST API (``path``, ``line``, ``side``, ``start_line``, ``body``).
        A comment off the diff raises ``ValueError`` with GitHub's message."""
        with self.lock:
            pr = get_pr(self, number)
            commit = commit_id or pr.head_sha
            try:
                anchors = [(anchor(pr, dict(c)), str(c.get("body") or "")) for c in comments]
            except CommentError as e:
                raise ValueError(str(e)) from None
            state = STATES[event] if event else "PENDING"
            review = J.review(self, pr.number, self.next_id("review"), body=body, state=state, commit_id=commit)
            self.reviews.append(self._by(review, login, association))
            for a, text in anchors:
                c = comment_json(self, pr, review["id"], commit, a, text)
                self.review_comments.append(self._by(c, login, association))
            return review

    def add_review_comment_as(
        self: FakeGitHub,
        login: str,
        number: int,
        path: str,
        line: int | None,
        body: str,
        *,
        side: str = "RIGHT",
        start_line: int | None = None,
        commit_id: str | None = None,
        association: str = "NONE",
    ) -> dict[str, Any]:
        """One inline comment by ``login`` (in its own COMMENTED review, as GitHub files it);
        ``line=None`` comments on the whole file. Returns the REST review comment."""
        spec: dict[str, Any] = {"path": path, "body": body, "line": line, "side": side, "start_line": start_line}
        if line is None:
            spec = {"path": path, "body": body, "subject_type": "file"}
        review = self.add_review_as(login, number, comments=[spec], commit_id=commit_id, association=association)
        return self.comments_for_review(review["id"])[0]

    def reply_as(self: FakeGitHub, login: str, comment_id: int, body: str, association: str = "NONE") -> dict[str, Any]:
        """``login`` replies on the thread of review comment ``comment_id`` (outdated threads too)."""
        with self.lock:
            parent = next((c for c in self.review_comments if c["id"] == comment_id), None)
            if parent is None:
                raise KeyError(f"no review comment {comment_id}")
            number = int(parent["pull_request_url"].rsplit("/", 1)[1])
            pr = get_pr(self, number)
            review = J.review(
                self, number, self.next_id("review"), body="", state="COMMENTED", commit_id=parent["commit_id"]
            )
            self.reviews.append(self._by(review, login, association))
            reply = reply_json(self, pr, review["id"], parent, body)
            self.review_comments.append(self._by(reply, login, association))
            return reply

    def add_issue_comment_as(self: FakeGitHub, login: str, number: int, body: str, association: str = "NONE") -> dict:
        """A comment by ``login`` on the conversation of PR or issue ``number``."""
        with self.lock:
            comment = J.issue_comment(self, number, self.next_id("issue_comment"), body)
            self.issue_comments.append(self._by(comment, login, association))
            return comment

    # -- threads ----------------------------------------------------------------------------------
    def threads(self: FakeGitHub, number: int | None = None) -> list[Thread]:
        """PR ``number``'s review threads as GraphQL shows them (the only PR when ``number`` is None)."""
        with self.lock:
            if number is None:
                (number,) = self.pulls
            return threads_for(self, number)

    def thread(self: FakeGitHub, ref: str | int) -> Thread:
        """The thread with id ``ref`` (``PRRT_…``) or holding the review comment ``ref`` (REST id or node id)."""
        with self.lock:
            found = find_thread(self, ref)
        if found is None:
            raise KeyError(f"no review thread {ref!r}")
        return found

    def resolve_thread_as(self: FakeGitHub, login: str, ref: str | int) -> Thread:
        """``login`` clicks "Resolve conversation" on the thread ``ref`` (see :meth:`thread`)."""
        with self.lock:
            t = self.thread(ref)
            self.resolved_threads[t.root["id"]] = login
            return self.thread(ref)

    def unresolve_thread(self: FakeGitHub, ref: str | int) -> Thread:
        with self.lock:
            t = self.thread(ref)
            self.resolved_threads.pop(t.root["id"], None)
            return self.thread(ref)

    def minimize(self: FakeGitHub, node_id: str, classifier: str = "OUTDATED") -> None:
        """Someone hides the comment or review with GraphQL id ``node_id`` (``classifier`` as in GraphQL)."""
        with self.lock:
            self.minimized[node_id] = MINIMIZED_REASONS[classifier]

    def minimized_reason(self: FakeGitHub, obj: Mapping[str, Any] | str) -> str | None:
        """Why the REST object (or node id) ``obj`` is hidden ("outdated", "resolved", …), None if shown."""
        key = obj if isinstance(obj, str) else str(obj["node_id"])
        return self.minimized.get(key)
