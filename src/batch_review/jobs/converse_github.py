"""What a conversation writes on GitHub: a reply in a thread or on the pull request, and a dismissal (the
thread resolved, the status comment's state remembering it, a REQUEST_CHANGES review lifted when nothing
else blocks)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ..converse.replies import answer_marker, answers
from ..errors import GitHubError
from ..log import log
from ..publishers.markdown import cap

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository

    from ..actions_env import ActionsContext
    from ..config import Config, Secrets
    from ..converse.events import CommentEvent
    from ..memory.markers import PostedFinding
    from ..memory.pull_github import PullSnapshot, Thread
    from ..memory.seal import Seal
    from ..report import RunReport


class Conversation(Protocol):
    """What these writes need of a conversation (jobs/converse.py's `Conversation`)."""

    context: ActionsContext
    config: Config
    secrets: Secrets
    event: CommentEvent
    report: RunReport

    def github(self) -> Github: ...
    def repo(self) -> Repository: ...
    def head_sha(self) -> str: ...
    def from_fork(self) -> bool: ...
    def note(self, note: str) -> None: ...
    def seal(self) -> Seal: ...


def reply(talk: Conversation, thread: Thread, text: str) -> None:
    """One reply in `thread` (POST …/comments/{first}/replies), marked as the answer to the event's comment."""
    from github.GithubException import GithubException

    from ..github_client import describe, post_once

    e, seal = talk.event, talk.seal()
    body = cap(f"{text}\n{answer_marker(seal, e.comment_id)}")
    pull = talk.repo().get_pull(e.number)

    def landed() -> object | None:
        return next((c for c in pull.get_review_comments() if answers(c.body, e.comment_id, seal)), None)

    try:
        post_once(lambda: pull.create_review_comment_reply(thread.comment_id, body), landed, "the reply")
    except GithubException as exc:
        raise GitHubError(f"could not reply in the thread of comment {thread.comment_id}: {describe(exc)}") from None
    talk.report.published["reply"] = f"thread {thread.comment_id}"


def post_here(talk: Conversation, text: str) -> None:
    """A reply where the event's comment is: its thread (a review comment), else the pull request's conversation."""
    from github.GithubException import GithubException

    from ..github_client import describe, post_once

    e, seal = talk.event, talk.seal()
    body = cap(f"{text}\n{answer_marker(seal, e.comment_id)}")
    pull = talk.repo().get_pull(e.number)
    try:
        if e.in_thread:
            root = e.in_reply_to or e.comment_id
            post_once(lambda: pull.create_review_comment_reply(root, body),
                      lambda: next((c for c in pull.get_review_comments()
                                    if answers(c.body, e.comment_id, seal)), None), "the reply")
        else:
            issue = talk.repo().get_issue(e.number)
            post_once(lambda: issue.create_comment(body),
                      lambda: next((c for c in issue.get_comments()
                                    if answers(c.body, e.comment_id, seal)), None), "the comment")
    except GithubException as exc:
        raise GitHubError(f"could not answer on pull request #{e.number}: {describe(exc)}") from None
    talk.report.published["reply"] = "posted"


def dismiss(talk: Conversation, snapshot: PullSnapshot, thread: Thread, finding: PostedFinding, why: str) -> None:
    """Withdraw `finding` on this pull request: resolve its thread, remember it in the status comment's state,
    dismiss a REQUEST_CHANGES review that nothing else blocks. Failures are noted (the reply already says it)."""
    from ..memory.markers import PullState, with_state_markers
    from ..memory.pull import Actions, lifted_reviews
    from ..memory.pull_github import read_rest
    from ..publishers.markdown import code_span, inline_text
    from ..publishers.threads import apply_actions, continuations, publish_status
    from ..report import Closed

    gh, repo, e = talk.github(), talk.repo(), talk.event
    read_rest(snapshot, repo, e.number)  # batch-review's reviews and its status comment, read as a review reads them
    state = snapshot.state
    actions = Actions(resolve=[] if thread.resolved else [thread])
    if state is not None and snapshot.status_comment_id is not None:
        after = PullState(state.settings, dict(state.reviewed),
                          {fp: key for fp, key in state.open.items() if fp != finding.fingerprint},
                          state.dismissed | {finding.fingerprint})
        actions.dismiss = lifted_reviews(snapshot, talk.config.request_changes_on, set(after.open))
    else:
        after = None
        talk.note("batch-review's status comment could not be read: the dismissal holds in this thread (resolved), "
                   "and a later review may raise the finding again")
    done = apply_actions(gh, repo.get_pull(e.number), actions, talk.head_sha(), snapshot.seal)
    if after is not None:
        line = (f"\n\nDismissed in its thread: {code_span(finding.path)}:{finding.line} — "
                f"{inline_text(finding.title)} ({inline_text(why)})")
        try:
            body, rest = with_state_markers(snapshot.status_text, after, snapshot.seal)
            done += "; " + publish_status(gh, repo.get_issue(e.number), snapshot.status_comment_id, cap(body + line),
                                          continuations(rest), snapshot.status_more_ids)
        except Exception as exc:  # noted: the thread is resolved, the next review may raise it again
            log.warning(f"batch-review could not remember the dismissal: {exc}")
    talk.report.acknowledged.append(Closed(finding.as_finding(), why, action="dismissed: thread resolved, "
                                                                                 "not posted or counted again"))
    talk.report.published["dismissal"] = done or "nothing to do"
