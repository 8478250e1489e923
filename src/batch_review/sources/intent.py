"""What a change is for, in its authors' words: a pull request's title, description and commit messages, or
a local range's commit messages. A sweep has none.

The text is untrusted (anyone who opens a pull request writes it); `shared.py` fences it for the model.
Each part is capped here, so a 50 kB description or a 300-commit branch costs a bounded number of tokens.
For a pull request, the title and description come from the event payload (no call) and the newest
commits' messages from one GraphQL query; a query GitHub refuses leaves the messages out, with a note,
never a failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..log import log

if TYPE_CHECKING:
    from github.Repository import Repository

MAX_TITLE = 300  # characters
MAX_BODY = 4000
MAX_MESSAGE = 800  # each commit message
MAX_COMMITS = 20  # the newest ones
_QUERY = ("query($owner: String!, $name: String!, $number: Int!) { repository(owner: $owner, name: $name) { "
          f"pullRequest(number: $number) {{ commits(last: {MAX_COMMITS}) {{ totalCount "
          "nodes { commit { oid message } } } } } }")


@dataclass(frozen=True)
class Intent:
    """A change's stated purpose. `commits`: (abbreviated id, message) oldest first; `total`: how many
    commits the change has (more than shown when capped)."""

    origin: str  # "pull request #5", "commits abc1234..def5678"
    title: str = ""
    body: str = ""
    commits: tuple[tuple[str, str], ...] = ()
    total: int = 0
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.title.strip() or self.body.strip() or self.commits)


def cap(text: str, limit: int) -> str:
    text = text.replace("\r\n", "\n").strip()
    return text if len(text) <= limit else text[:limit].rstrip() + f" […cut at {limit:,} characters]"


def pull_intent(repo: Repository, number: int, title: str, body: str) -> Intent:
    """The pull request's title and description (from its event) and its newest commits' messages, read by one
    GraphQL query."""
    commits: list[tuple[str, str]] = []
    total = 0
    notes: tuple[str, ...] = ()
    try:
        commits, total = _pull_commits(repo, number)
    except Exception as exc:  # never a failure: the review goes on without the messages
        from github.GithubException import GithubException

        from ..github_client import describe

        why = describe(exc) if isinstance(exc, GithubException) else f"{type(exc).__name__}: {exc}"
        note = f"the pull request's commit messages could not be read ({why}): not sent to the model"
        log.info(note)
        notes = (note,)
    return Intent(f"pull request #{number}", cap(title, MAX_TITLE), cap(body, MAX_BODY), tuple(commits), total, notes)


def stated_intent(origin: str, title: str, body: str) -> Intent:
    """A title and description given as they are (an eval case's), capped like a pull request's."""
    return Intent(origin, cap(title, MAX_TITLE), cap(body, MAX_BODY))


def _pull_commits(repo: Repository, number: int) -> tuple[list[tuple[str, str]], int]:
    owner, _, name = repo.full_name.partition("/")
    _, data = repo.requester.graphql_query(_QUERY, {"owner": owner, "name": name, "number": number})
    pull: Any = (((data.get("data") or {}).get("repository") or {}).get("pullRequest") or {})
    connection = pull.get("commits") or {}
    out: list[tuple[str, str]] = []
    for node in connection.get("nodes") or []:
        commit = (node or {}).get("commit") or {}
        if isinstance(commit.get("message"), str):
            out.append((str(commit.get("oid") or "")[:12], cap(commit["message"], MAX_MESSAGE)))
    total = connection.get("totalCount")
    return out, total if isinstance(total, int) else len(out)


def local_intent(root: Path, base: str, head: str = "HEAD") -> Intent:
    """The commit messages of `base..head` (the newest `MAX_COMMITS`), oldest first."""
    from ..errors import RunError
    from ..gitcmd import git

    try:
        count = int(git(root, "rev-list", "--count", f"{base}..{head}").decode().strip() or 0)
        raw = git(root, "log", "-z", f"-n{MAX_COMMITS}", "--format=%h%x01%B", f"{base}..{head}")
    except (RunError, ValueError) as exc:
        log.info(f"the range's commit messages could not be read: {exc}")
        return Intent(f"commits {base[:12]}..{head}")
    commits = []
    for entry in raw.decode("utf-8", "replace").split("\0"):
        short, sep, message = entry.strip("\n").partition("\x01")
        if sep:
            commits.append((short, cap(message, MAX_MESSAGE)))
    return Intent(f"commits {base[:12]}..{head}", commits=tuple(reversed(commits)), total=count)
