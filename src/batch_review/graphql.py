"""GitHub's GraphQL API as batch-review calls it: through PyGithub's requester (same auth, same base URL,
GHES included), a query retried when GitHub's answer was lost (a query changes nothing), and every
refusal turned into a named GitHubError.

GitHub answers GraphQL errors with HTTP 200 and an `errors` list (PyGithub raises on it); "Resource not
accessible by integration" means the token lacks the permission.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from .errors import GitHubError

if TYPE_CHECKING:
    from github import Github

ATTEMPTS = 3
BACKOFF = 0.5


def graphql(gh: Github, query: str, variables: dict[str, Any] | None = None, *, what: str,
            retry: bool = True) -> dict[str, Any]:
    """The `data` of a GraphQL request. `retry`: safe to send again after a lost answer (queries, and
    mutations that are idempotent such as resolving a thread)."""
    from github.GithubException import GithubException
    from requests import RequestException

    from .github_client import describe

    last = ""
    for attempt in range(1, ATTEMPTS + 1 if retry else 2):
        try:
            _, body = gh.requester.graphql_query(query, variables or {})
        except GithubException as exc:
            last = _graphql_message(exc) or describe(exc)
            if exc.status < 500:
                raise GitHubError(f"could not {what}: {last}") from None
        except RequestException as exc:
            last = f"{type(exc).__name__}: {exc}"
        else:
            data = body.get("data") if isinstance(body, dict) else None
            if not isinstance(data, dict):
                raise GitHubError(f"could not {what}: GitHub's GraphQL answer had no data")
            return data
        if attempt < ATTEMPTS:
            time.sleep(BACKOFF * 2 ** (attempt - 1))
    raise GitHubError(f"could not {what}: {last}")


def _graphql_message(exc: Any) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        first = errors[0] if isinstance(errors[0], dict) else {}
        kind = f"{first.get('type')}: " if first.get("type") else ""
        return f"GitHub GraphQL {kind}{first.get('message', '')}".strip()
    return ""


def quote(value: str) -> str:
    """A GraphQL string literal (JSON escaping is valid GraphQL escaping)."""
    import json

    return json.dumps(value, ensure_ascii=False)
