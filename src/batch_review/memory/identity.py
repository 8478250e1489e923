"""Who the token is: only what this identity wrote is read back as batch-review's state.

Anyone can write `<!-- batch-review:… -->` in a comment; a marker counts only when the comment's author
is the token's own identity. `GITHUB_TOKEN` acts as `github-actions[bot]` (REST) / `github-actions`
(GraphQL author fields), and `GET /user` is refused to it; the GraphQL `viewer` answers for every kind of
token (installation tokens of GitHub Apps included), so it is asked first.

The login alone is not enough: a person can register a User named like an app's bot as GraphQL spells it
(`github-actions`). So an author counts as the identity only when its account type matches too (GraphQL
`__typename`, REST `user.type`): a `…[bot]` identity writes as a `Bot`, a person's token as a `User`.
Authorship is the first gate; the seal on each marker (memory/seal.py) is the second.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..log import log

if TYPE_CHECKING:
    from github import Github

ACTIONS_BOT = "github-actions[bot]"


def normal(login: str | None) -> str:
    """A login as REST and GraphQL both spell it: `github-actions[bot]` and `github-actions` are one actor."""
    value = (login or "").strip().lower()
    return value.removesuffix("[bot]")


@dataclass(frozen=True)
class Identity:
    login: str
    how: str  # how it was learned: "graphql viewer", "GET /user", "assumed"

    @property
    def kind(self) -> str:
        """The account type this identity's comments carry: `Bot` for an app's token, else `User`."""
        return "Bot" if self.login.lower().endswith("[bot]") else "User"

    def wrote(self, login: str | None, kind: str | None) -> bool:
        """Whether an author (`login`, account type `kind`) is this identity."""
        return bool(login) and normal(login) == normal(self.login) and kind == self.kind

    def is_login(self, login: str | None) -> bool:
        """The login alone, where GitHub gives no account type (`resolvedBy`)."""
        return bool(login) and normal(login) == normal(self.login)


def viewer_field() -> str:
    """The GraphQL selection that names the token's identity (asked together with other data)."""
    return "viewer { login }"


def from_viewer(data: dict[str, object] | None) -> Identity | None:
    viewer = (data or {}).get("viewer")
    login = viewer.get("login") if isinstance(viewer, dict) else None
    return Identity(login, "graphql viewer") if isinstance(login, str) and login else None


def fallback(gh: Github) -> Identity:
    """When GraphQL could not say: `GET /user` (personal tokens), else the Actions bot, with a note."""
    from github.GithubException import GithubException

    try:
        login = gh.get_user().login  # lazy object: the GET happens here
    except GithubException:
        log.info(f"the token's identity is not readable (an installation token): assuming {ACTIONS_BOT}")
        return Identity(ACTIONS_BOT, "assumed")
    return Identity(login, "GET /user")


def whoami(gh: Github) -> Identity:
    """The token's identity: the GraphQL `viewer`, else `fallback`."""
    from ..errors import GitHubError
    from ..graphql import graphql

    try:
        found = from_viewer(graphql(gh, "query { viewer { login } }", what="ask GitHub who the token is"))
    except GitHubError as exc:
        log.info(f"{exc.message}; trying the REST API")
        found = None
    return found or fallback(gh)
