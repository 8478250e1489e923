"""Comment events as GitHub delivers them (`issue_comment`, `pull_request_review_comment`), and the commands
a comment may carry.

Only the fields batch-review needs are read; the comment's text is untrusted input: it is parsed for one
command on its first line and otherwise only ever shown to the model fenced (converse/prompt.py). Nothing
in it can change settings, excludes or whom memory trusts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..errors import EventError

COMMAND_PREFIX = "/batch-review"
Verb = Literal["review", "explain", "ignore", "help"]
VERBS: tuple[Verb, ...] = ("review", "explain", "ignore", "help")


@dataclass(frozen=True)
class Command:
    verb: Verb
    argument: str = ""  # "full" (review), "everywhere" (ignore), "" otherwise
    unknown: str = ""  # what was typed when it is not a command batch-review knows (answered with the help)


@dataclass(frozen=True)
class CommentEvent:
    """One created comment: where it is, who wrote it, what it says."""

    kind: Literal["issue_comment", "pull_request_review_comment"]
    action: str
    number: int  # the pull request (or issue) it is on
    is_pull: bool  # an issue_comment on a plain issue is not
    comment_id: int
    body: str
    login: str
    user_type: str  # "User", "Bot", "Organization", …
    association: str  # OWNER, MEMBER, COLLABORATOR, CONTRIBUTOR, …
    in_reply_to: int | None = None  # a thread reply: the thread's first comment
    path: str = ""
    line: int | None = None
    title: str = ""  # the pull request's (or issue's) title and description, as the payload gives them
    description: str = ""

    @property
    def in_thread(self) -> bool:
        return self.kind == "pull_request_review_comment"

    @property
    def command(self) -> Command | None:
        return parse_command(self.body)


def read_event(name: str, payload: dict[str, Any]) -> CommentEvent:
    """The comment of an `issue_comment` or `pull_request_review_comment` payload; EventError when it lacks one."""
    comment = payload.get("comment")
    if not isinstance(comment, dict):
        raise EventError(f"the {name} payload has no comment object")
    user = _obj(comment.get("user"))
    try:
        comment_id = int(comment["id"])
    except (KeyError, TypeError, ValueError):
        raise EventError(f"the {name} payload's comment has no id") from None
    common: dict[str, Any] = {
        "action": str(payload.get("action") or ""), "comment_id": comment_id, "body": str(comment.get("body") or ""),
        "login": str(user.get("login") or ""), "user_type": str(user.get("type") or ""),
        "association": str(comment.get("author_association") or "NONE").upper(),
    }
    if name == "issue_comment":
        issue = _obj(payload.get("issue"))
        number = issue.get("number")
        if not isinstance(number, int) or number < 1:
            raise EventError("the issue_comment payload has no issue number")
        return CommentEvent("issue_comment", number=number, is_pull=isinstance(issue.get("pull_request"), dict),
                            title=str(issue.get("title") or ""), description=str(issue.get("body") or ""), **common)
    pr = _obj(payload.get("pull_request"))
    number = pr.get("number")
    if not isinstance(number, int) or number < 1:
        raise EventError("the pull_request_review_comment payload has no pull_request number")
    reply = comment.get("in_reply_to_id")
    line = comment.get("line")
    return CommentEvent(
        "pull_request_review_comment", number=number, is_pull=True,
        in_reply_to=reply if isinstance(reply, int) else None, path=str(comment.get("path") or ""),
        line=line if isinstance(line, int) else None, title=str(pr.get("title") or ""),
        description=str(pr.get("body") or ""), **common,
    )


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def parse_command(body: str) -> Command | None:
    """`/batch-review <verb> [argument]` at the start of the comment's first non-empty line; None when the
    comment is not addressed to batch-review."""
    first = next((line.strip() for line in body.splitlines() if line.strip()), "")
    words = first.split()
    if not words or words[0].lower() != COMMAND_PREFIX:
        return None
    verb = words[1].lower() if len(words) > 1 else "help"
    rest = " ".join(words[2:]).lower()
    if verb == "review" and rest in ("", "full"):
        return Command("review", rest)
    if verb == "ignore" and rest in ("", "everywhere"):
        return Command("ignore", rest)
    if verb in ("explain", "help") and not rest:
        return Command(verb)  # type: ignore[arg-type]
    return Command("help", unknown=" ".join(words[1:])[:80])
