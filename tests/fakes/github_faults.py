"""Faults of the fake GitHub, for tests: any answer to the requests a pattern (and a predicate on the body)
selects, before or after the request took effect; GitHub's secondary rate limit; a review GitHub refuses.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from tests.fakes.github_server import Request, Response, error_body

if TYPE_CHECKING:
    from tests.fakes.github_api import FakeGitHub

SECONDARY_MESSAGE = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. "
    "If you reach out to GitHub Support for help, please include the request ID {rid}."
)
SECONDARY_DOC = (
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api"
    "#about-secondary-rate-limits"
)


@dataclass
class Fault:
    method: str
    pattern: re.Pattern[str]
    status: int
    times: int
    after_effect: bool
    headers: dict[str, str]
    body: Any
    match: Callable[[Any], bool] | None = None
    hits: int = 0

    def matches(self, method: str, path: str, json_body: Any = None) -> bool:
        if not (self.times > 0 and self.method in ("*", method) and self.pattern.search(path)):
            return False
        return self.match is None or bool(self.match(json_body))

    def response(self) -> Response:
        body = self.body
        if body is None:
            body = error_body(self.status, HTTPStatus(self.status).phrase)
        elif isinstance(body, str):
            body = body.encode("utf-8")
        return Response(self.status, body, dict(self.headers))


class FaultsMixin:
    """Mixed into :class:`~tests.fakes.github_api.FakeGitHub` (which keeps the faults in ``_faults`` and checks
    them on every request)."""

    def inject(
        self: FakeGitHub,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        after_effect: bool = False,
        headers: dict[str, str] | None = None,
        body: Any = None,
        match: Callable[[Any], bool] | None = None,
    ) -> Fault:
        """The next ``times`` requests whose method matches (``"*"`` for any) and whose canonical path
        (no GHES prefix, no query) matches ``re.search(path_regex)`` answer ``status``.
        ``after_effect=True``: the request is processed first, then the answer is replaced.
        ``match``: a predicate on the request's JSON body (None when it has none); the fault applies
        only to requests it accepts (a predicate that raises counts as no match and is recorded in
        ``server_errors``). Returns the fault (``hits`` counts the requests it answered)."""
        fault = Fault(method.upper(), re.compile(path_regex), status, times, after_effect, headers or {}, body, match)
        with self.lock:
            self._faults.append(fault)
        return fault

    def refuse_comment(self: FakeGitHub, path: str, line: int | None = None, *, times: int = 1000) -> Fault:
        """GitHub refuses (422, as for a line off the diff) every review that carries an inline comment on
        ``path`` (at ``line``, if given), though the line is in the diff: what a client's own pre-check
        cannot foresee. Reviews without that comment, pending ones included, are unaffected."""
        from tests.fakes.github_reviews import MSG_LINE, REVIEW_DOC

        def carries(data: Any) -> bool:
            comments = data.get("comments") if isinstance(data, dict) else None
            return any(
                isinstance(c, dict) and c.get("path") == path and (line is None or c.get("line") == line)
                for c in comments or []
            )

        body = error_body(422, "Unprocessable Entity", [MSG_LINE], doc=REVIEW_DOC)
        return self.inject("POST", r"/pulls/\d+/reviews$", 422, times=times, body=body, match=carries)

    def secondary_rate_limit(
        self: FakeGitHub,
        method: str,
        path_regex: str,
        times: int = 1,
        status: int = 403,
        *,
        retry_after: int | str | None = 1,
    ) -> None:
        """403/429 with GitHub's secondary-limit message; `retry_after`: seconds, or an HTTP date (a str)."""
        headers = {"x-ratelimit-limit": str(self.rate_limit), "x-ratelimit-remaining": str(self.rate_remaining)}
        if retry_after is not None:
            headers["retry-after"] = str(retry_after)
        body = error_body(status, SECONDARY_MESSAGE.format(rid="0000:1111:2222:3333:4444"), doc=SECONDARY_DOC)
        self.inject(method, path_regex, status, times=times, headers=headers, body=body)

    def clear_faults(self: FakeGitHub) -> None:
        with self.lock:
            self._faults.clear()

    def _fault_matches(self: FakeGitHub, fault: Fault, req: Request) -> bool:
        try:
            return fault.matches(req.method, req.path, req.json)
        except Exception:
            self.server_errors.append(traceback.format_exc())
            return False
