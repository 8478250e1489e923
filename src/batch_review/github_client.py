"""The PyGithub client as batch-review configures it, and writes that are safe to retry.

PyGithub's default `GithubRetry` re-sends a POST on any 5xx, so a lost response can post a review
twice. Here POST and PATCH are never retried by the client; `post_once` retries a write itself, and
only after checking (through a caller-supplied probe for its own marker) that the write did not land.
Secondary rate limits (403/429 with `retry-after`) are waited out, briefly: a wait longer than
`max-retry-wait` (the retry-after, or a primary limit's reset) fails the request with the reason instead of
sleeping, on reads (`CappedRetry`, PyGithub's retry class configured and extended through its public
methods) and on writes (`post_once`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import GitHubError
from .log import log
from .waits import DEFAULT_MAX_WAIT, over_cap, too_long

if TYPE_CHECKING:
    from github import Github, GithubRetry
    from github.GithubException import GithubException

T = TypeVar("T")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
WRITE_ATTEMPTS = 4
WRITE_BACKOFF = 0.5  # seconds before the first check after a lost write; doubles each time
MAX_WAIT = DEFAULT_MAX_WAIT
_max_wait = MAX_WAIT  # the run's max-retry-wait, as the last client made with one was given (post_once obeys it)


def make_github(token: str, api_url: str, *, timeout: int = 30, max_wait: float | None = None) -> Github:
    """`max_wait`: the run's max-retry-wait (None: the default, for a client made before the options are known)."""
    from github import Auth, Github

    global _max_wait
    if max_wait is not None:
        _max_wait = max_wait
    retry = capped_retry(MAX_WAIT if max_wait is None else max_wait)
    return Github(
        auth=Auth.Token(token),
        base_url=api_url,
        timeout=timeout,
        per_page=100,
        retry=retry,
        lazy=True,
        seconds_between_requests=0.0,
        seconds_between_writes=0.25,
        user_agent="batch-review",
    )


def capped_retry(max_wait: float) -> GithubRetry:
    """PyGithub's retry policy, with every wait capped at `max_wait`: a primary limit's reset or a secondary
    limit's wait beyond it raises `RateLimitExceededExceedsMaxWait` (PyGithub's own `max_rate_limit_wait`), and
    so does a `Retry-After` beyond it, which urllib3 would otherwise sleep through whatever its size."""
    from github import GithubRetry
    from github.GithubException import RateLimitExceededExceedsMaxWait

    class CappedRetry(GithubRetry):
        def increment(self, method: Any = None, url: Any = None, response: Any = None, *args: Any,
                      **kwargs: Any) -> Any:
            if response is not None and response.status >= 400:
                wait = over_cap(response.headers, self.max_rate_limit_wait or 0.0)
                if wait is not None:
                    raise RateLimitExceededExceedsMaxWait(response.status, _body(response), response.headers,
                                                          wait=wait)
            return super().increment(method, url, response, *args, **kwargs)

    return CappedRetry(
        total=6,
        backoff_factor=0.5,
        status_forcelist=[429, 500, 502, 503, 504],
        allowed_methods=SAFE_METHODS,
        secondary_rate_wait=min(MAX_WAIT, max_wait),
        max_rate_limit_wait=max_wait,
    )


def _body(response: Any) -> Any:
    """The JSON body of a urllib3 response (GitHub's message), or its reason."""
    try:
        return json.loads(response.data or b"{}")
    except ValueError:
        return {"message": response.reason or ""}


def is_read_only(exc: GithubException) -> bool:
    """403 "Resource not accessible by integration": the token cannot write here (fork PRs)."""
    return exc.status == 403 and "not accessible" in _message(exc).lower()


def is_rate_limited(exc: GithubException) -> bool:
    return exc.status in (403, 429) and ("rate limit" in _message(exc).lower() or _retry_after(exc) is not None)


def _message(exc: GithubException) -> str:
    data = exc.data if isinstance(exc.data, dict) else {}
    return str(data.get("message") or exc.message or "")


def _retry_after(exc: GithubException) -> float | None:
    headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def describe(exc: GithubException) -> str:
    from github.GithubException import RateLimitExceededExceedsMaxWait

    data = exc.data if isinstance(exc.data, dict) else {}
    errors = data.get("errors")
    detail = ""
    if isinstance(errors, list) and errors:
        first = errors[0]
        detail = ": " + (first.get("message", str(first)) if isinstance(first, dict) else str(first))
    if isinstance(exc, RateLimitExceededExceedsMaxWait) and exc.wait is not None:
        detail += f" ({too_long('GitHub', exc.wait, _max_wait)})"
    return f"GitHub {exc.status} {_message(exc)}{detail}"


def post_once(write: Callable[[], T], landed: Callable[[], T | None], what: str) -> T:
    """Perform a write exactly once, even when responses are lost or rate limits bite."""
    from github.GithubException import GithubException

    last: GithubException | None = None
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            return write()
        except GithubException as exc:
            last = exc
            if is_rate_limited(exc):
                asked = over_cap(exc.headers, _max_wait)
                if asked is not None:
                    why = too_long("GitHub", asked, _max_wait)
                    raise GitHubError(f"could not create {what}: {describe(exc)} ({why})") from None
                wait = min(MAX_WAIT, _max_wait, _retry_after(exc) or 5.0 * attempt)
                log.info(f"GitHub rate limit while creating {what}; waiting {wait:.0f} s")
                time.sleep(wait)
            elif exc.status >= 500:
                log.info(f"GitHub answered {exc.status} while creating {what}; checking whether it landed")
                time.sleep(min(MAX_WAIT, WRITE_BACKOFF * 2 ** (attempt - 1)))
            else:
                raise
        except (ConnectionError, OSError) as exc:
            log.info(f"connection lost while creating {what} ({type(exc).__name__}); checking whether it landed")
            time.sleep(min(MAX_WAIT, WRITE_BACKOFF * 2 ** (attempt - 1)))
        found = landed()
        if found is not None:
            log.info(f"{what} was created despite the error; not posting it again")
            return found
    raise GitHubError(f"could not create {what}: {describe(last) if last else 'connection failures'}")
