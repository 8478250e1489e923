"""Conversation jobs: a comment on a pull request (`issue_comment`, `pull_request_review_comment`) that asks
something of batch-review — a reply in one of its threads, or a `/batch-review` command.

Who may spend: only a person (never a bot, never batch-review itself) whose `author_association` is in
`allowed-associations` makes anything happen; anyone else gets nothing, or one polite line (`outsider-reply`).
A reply in a thread batch-review did not start gets nothing. A thread gets at most `max-thread-answers`
answers, so two bots cannot keep each other talking. The settings are the base commit's (jobs/settings.py),
as for a review; the comment's text never reaches them.

An answer is ONE model request (converse/prompt.py) through the run's engine (retried, repaired, held to
`budget-usd` like a review). When it finds the finding was wrong, or a person asks `/batch-review ignore`,
the finding is dismissed: the thread is resolved with the reason, the status comment's state remembers it
(memory/pull.py never posts or counts it again on this pull request) and a REQUEST_CHANGES review that
nothing else blocks is dismissed.

GitHub calls for an answer that keeps the finding: batch-review's threads (one GraphQL query), the file list,
the head content when the checkout's git objects lack it (one GraphQL query), the reply — and the settings at
the base commit without a checkout (one GraphQL query). A dismissal also reads batch-review's reviews and its
status comment (memory/pull_github.py), resolves the thread, edits the state and may dismiss a review.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ..config import DEFAULT_CONFIG_FILE, Config, Secrets
from ..converse.events import Command, CommentEvent, read_event
from ..converse.replies import (
    CAP,
    NOT_HERE,
    OUTSIDER,
    answers,
    dismissed_line,
    everywhere,
    help_text,
    is_answer,
)
from ..errors import ConfigError, GitHubError, RunError
from ..log import log
from ..memory.seal import Seal
from ..report import RunReport

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository

    from ..actions_env import ActionsContext
    from ..memory.markers import PostedFinding
    from ..memory.pull_github import PullSnapshot, Thread
    from ..pipeline import Job


def with_pull(context: ActionsContext, secrets: Secrets) -> ActionsContext:
    """A comment event's context with its pull request in `event["pull_request"]`, so that the settings are
    read from its base commit. A review comment's payload carries it; an `issue_comment` run (the default
    branch's checkout and GITHUB_SHA) asks the API — only for a person's `/batch-review` command on a pull
    request: nothing else there needs it."""
    if context.event_name != "issue_comment" or context.pull_request is not None:
        return context
    event = read_event(context.event_name, context.event)
    if (event.action != "created" or not event.is_pull or event.command is None or event.user_type == "Bot"
            or not secrets.github_token):
        return context
    from github.GithubException import GithubException
    from requests import RequestException

    from ..github_client import describe, make_github

    try:
        pr = make_github(secrets.github_token, context.api_url).get_repo(context.repository).get_pull(event.number)
        raw = dict(pr.raw_data)
    except GithubException as exc:
        raise GitHubError(f"could not read pull request #{event.number}: {describe(exc)}") from None
    except RequestException as exc:
        raise GitHubError(f"could not reach GitHub to read pull request #{event.number}: {exc}") from None
    return replace(context, event={**context.event, "pull_request": raw})


def converse_job(context: ActionsContext, config: Config, secrets: Secrets) -> Job | Conversation:
    """The job for a comment event: a review (`/batch-review review`), or a conversation."""
    event = read_event(context.event_name, context.event)
    talk = Conversation(context, config, secrets, event)
    why = talk.nothing_to_do()
    if why:
        return talk.quiet(why)
    command = event.command
    if command is not None and command.verb == "review" and talk.allowed:
        if context.pull_request is None:
            raise GitHubError(f"pull request #{event.number} could not be read for /batch-review review")
        from .review import pull_request_job

        log.notice(f"/batch-review review{' full' if command.argument else ''} by @{event.login}")
        full = config.model_copy(update={"full_review": config.full_review or command.argument == "full"})
        return pull_request_job(replace(context, event_name="pull_request"), full, secrets)
    return talk


@dataclass
class Conversation:
    context: ActionsContext
    config: Config
    secrets: Secrets
    event: CommentEvent
    report: RunReport = field(init=False)
    skip: str = ""  # why nothing is done (decided before any call)
    _gh: Any = None

    def __post_init__(self) -> None:
        self.report = RunReport(mode="converse", model=self.config.model, target=f"#{self.event.number}")

    @property
    def allowed(self) -> bool:
        return self.event.association in self.config.allowed_associations

    def nothing_to_do(self) -> str:
        """Why this comment gets nothing, decided from the payload alone (no call, no cost); "" to go on."""
        e = self.event
        if e.action != "created":
            return f"the comment was {e.action or 'changed'}, not created: nothing to answer"
        if not e.is_pull:
            return f"#{e.number} is an issue, not a pull request: nothing to answer"
        if e.user_type == "Bot":
            return f"the comment is by a bot (@{e.login}): batch-review does not answer bots"
        if e.command is None and not e.in_thread:
            return "a pull request comment without a /batch-review command: nothing to answer"
        if e.command is None and e.in_reply_to is None:
            return "a new review comment, not a reply in a thread: nothing to answer"
        return ""

    def quiet(self, why: str) -> Conversation:
        self.skip = why
        return self

    # -- the run ---------------------------------------------------------------------------------
    def run(self) -> RunReport:
        report = self.report
        try:
            if self.skip:
                self.note(self.skip)
            elif not self.allowed:
                self._outsider()
            else:
                self._act()
        except RunError as exc:
            report.error, report.error_kind = log.redact(exc.message), exc.kind
            log.error(report.error, title=f"batch-review failed ({exc.kind})")
        self._files()
        return report

    def _act(self) -> None:
        e, command = self.event, self.event.command
        if command is not None and command.verb == "help":
            self._post_here(help_text(command.unknown))
            return
        if not e.in_thread:  # explain / ignore on the pull request's conversation
            assert command is not None
            self._post_here(NOT_HERE.format(command=f"/batch-review {command.verb}") + "\n\n" + help_text())
            return
        if not self.seal().keyed:  # its threads' markers cannot be told from a forgery without the key
            self.note("no API key: a fork's pull request gets no secrets on this event, so nothing was answered"
                      if self.from_fork() else "no memory key (memory-key, or an Anthropic API key to derive it "
                      "from): batch-review cannot recognise its own threads, so nothing was answered")
            return
        snapshot = self._snapshot()
        thread = _thread_of(snapshot, e)
        if thread is None:
            self.note("a reply in a thread batch-review did not start: nothing to answer")
            return
        if snapshot.identity.wrote(e.login, e.user_type):
            self.note("batch-review's own comment: nothing to answer")
            return
        if any(c.mine and answers(c.body, e.comment_id, self.seal()) for c in thread.comments):
            self.note(f"comment {e.comment_id} was answered already (a re-run): nothing sent, nothing posted")
            return
        finding = thread.findings[0]
        if command is not None and command.verb == "ignore":
            self._ignore(snapshot, thread, finding, command)
            return
        given = sum(1 for c in thread.comments[1:] if c.mine and is_answer(c.body, self.seal()))
        if given >= self.config.max_thread_answers:
            self.note(CAP.format(n=given) + " Nothing was sent to the model.")
            return
        from .converse_answer import answer

        answer(self, snapshot, thread, finding, asked=command is not None)

    def _outsider(self) -> None:
        e = self.event
        why = (f"@{e.login} is {e.association}, not one of allowed-associations "
               f"({', '.join(self.config.allowed_associations) or 'none'}): nothing is sent to the model")
        self.note(why)
        if not self.config.outsider_reply:
            return
        if e.in_thread:  # only in batch-review's own threads
            snapshot = self._snapshot()
            thread = _thread_of(snapshot, e)
            if thread is None or any(c.mine and answers(c.body, e.comment_id, self.seal()) for c in thread.comments):
                return
        self._post_here(OUTSIDER)

    def _ignore(self, snapshot: PullSnapshot, thread: Thread, finding: PostedFinding, command: Command) -> None:
        from .converse_github import dismiss, reply

        lines = [dismissed_line(self.event.login)]
        if command.argument == "everywhere":
            config_file = (self.context.environ.get("INPUT_CONFIG-FILE") or "").strip() or DEFAULT_CONFIG_FILE
            lines.append(everywhere(finding.as_finding(), config_file))
        reply(self, thread, "\n\n".join(lines))
        dismiss(self, snapshot, thread, finding, f"dismissed by @{self.event.login}")

    # -- helpers ---------------------------------------------------------------------------------
    def github(self) -> Github:
        if self._gh is None:
            from ..github_client import make_github

            if not self.secrets.github_token:
                raise ConfigError("github-token: empty; pass `github-token: ${{ github.token }}` (the default)")
            self._gh = make_github(self.secrets.github_token, self.context.api_url, max_wait=self.config.max_retry_wait)
        return self._gh  # type: ignore[no-any-return]

    def head_sha(self) -> str:
        """The pull request's head commit, from the payload (a review comment's) or the API (`with_pull`)."""
        head = (self.context.pull_request or {}).get("head")
        sha = head.get("sha") if isinstance(head, dict) else None
        if not isinstance(sha, str) or len(sha) != 40:
            raise GitHubError(f"the head commit of pull request #{self.event.number} is unknown")
        return sha

    def from_fork(self) -> bool:
        from ..errors import EventError
        from ..sources.pull_request import pull_info

        try:
            return pull_info(self.context.event).from_fork
        except EventError:
            return False

    def repo(self) -> Repository:
        return self.github().get_repo(self.context.repository)

    def _snapshot(self) -> PullSnapshot:
        """batch-review's threads on the pull request (its reviews and status comment are read when needed)."""
        from ..memory.pull_github import read_threads

        return read_threads(self.github(), self.repo(), self.event.number, self.seal())

    def seal(self) -> Seal:
        """The key that proves a marker is batch-review's own on this pull request (memory/seal.py)."""
        return Seal.make(f"{self.context.repository}#{self.event.number}", memory_key=self.secrets.memory_key,
                         api_key=self.secrets.anthropic_api_key)

    def _post_here(self, text: str) -> None:
        """A reply where the comment is: in its thread, or on the pull request's conversation."""
        from .converse_github import post_here

        post_here(self, text)

    def note(self, note: str) -> None:
        log.notice(note)
        self.report.notes.append(note)

    def _files(self) -> None:
        from ..plan import Plan
        from .sinks import runner_sinks

        for name, sink in runner_sinks(self.context, self.config):
            try:
                what = sink(self.report, Plan())
            except Exception as exc:  # the report files must never hide the outcome
                log.warning(f"{name}: {type(exc).__name__}: {exc}")
                continue
            if what:
                self.report.published[name] = log.redact(what)


def _thread_of(snapshot: PullSnapshot, event: CommentEvent) -> Thread | None:
    """The thread batch-review started that `event`'s comment replies in (None: another thread)."""
    for thread in snapshot.threads:
        if thread.comment_id == event.in_reply_to or any(c.id == event.comment_id for c in thread.comments):
            return thread
    return None
