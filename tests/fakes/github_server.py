"""HTTP plumbing for the fake GitHub: request/response types, routing table, handler, pagination."""

from __future__ import annotations

import json
import re
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tests.fakes.github_api import FakeGitHub

DOCS = "https://docs.github.com/rest"
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 30


@dataclass
class Request:
    method: str
    path: str  # canonical path, without the GHES prefix and query, still percent-encoded
    query: dict[str, str]
    headers: dict[str, str]  # lower-cased names
    body: bytes
    json: Any = None

    def int_param(self, name: str, default: int) -> int:
        try:
            return int(self.query.get(name, default))
        except ValueError:
            return default


@dataclass
class Response:
    status: int = 200
    body: Any = None  # JSON-serialisable, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json; charset=utf-8"


class HttpError(Exception):
    """Raised by a route to answer an error."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(status, body)
        self.response = Response(status, body, headers or {})


def error_body(status: int, message: str, errors: Sequence[Any] | None = None, doc: str = DOCS) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message}
    if errors is not None:
        body["errors"] = list(errors)
    body["documentation_url"] = doc
    body["status"] = str(status)
    return body


def fail(status: int, message: str, errors: Sequence[Any] | None = None, doc: str = DOCS) -> HttpError:
    return HttpError(status, error_body(status, message, errors, doc))


def not_found() -> HttpError:
    return fail(404, "Not Found")


def validation_failed(resource: str, field_name: str, message: str, code: str = "custom") -> HttpError:
    err = {"resource": resource, "code": code, "field": field_name, "message": message}
    return fail(422, "Validation Failed", [err])


Handler = Callable[..., Any]
REPO = r"/repos/(?P<owner>[^/]+)/(?P<repo>[^/]+)"


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    write: bool


ROUTES: list[Route] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register ``handler(fake, req, **groups)`` for ``method`` and a path regex (``{repo}`` expands)."""

    def deco(fn: Handler) -> Handler:
        rx = re.compile("^" + pattern.replace("{repo}", REPO) + "/?$")
        ROUTES.append(Route(method, rx, fn, method in ("POST", "PATCH", "PUT", "DELETE")))
        return fn

    return deco


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    for r in ROUTES:
        if r.method == method and (m := r.pattern.match(path)):
            return r, {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
    return None


def paginate(
    fake: FakeGitHub,
    req: Request,
    items: Sequence[Any],
    *,
    cap: int | None = None,
    default: int = DEFAULT_PER_PAGE,
) -> Response:
    """Slice ``items`` by ``per_page``/``page`` and add GitHub's ``Link`` header."""
    if cap is not None:
        items = items[:cap]
    per_page = min(max(req.int_param("per_page", default), 1), MAX_PER_PAGE)
    page = max(req.int_param("page", 1), 1)
    last = max((len(items) + per_page - 1) // per_page, 1)
    chunk = list(items[(page - 1) * per_page : page * per_page])
    links = []

    def link(n: int, rel: str) -> None:
        q = {k: v for k, v in req.query.items() if k != "page"}
        q["page"] = str(n)
        links.append(f'<{fake.link_url(req.path)}?{urllib.parse.urlencode(q)}>; rel="{rel}"')

    if page > 1:
        link(min(page - 1, last), "prev")
    if page < last:
        link(page + 1, "next")
        link(last, "last")
    if page > 1:
        link(1, "first")
    headers = {"Link": ", ".join(links)} if links else {}
    return Response(200, chunk, headers)


def encode_json(obj: Any) -> bytes:
    try:
        return json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (non-UTF-8 file names)
        return json.dumps(obj).encode("ascii")


class FakeGitHubHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server_version = "GitHub.com"
    sys_version = ""
    fake: FakeGitHub  # set on a per-server subclass

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {k.lower(): v for k, v in self.headers.items()}
        resp = self.fake._handle(self.command, self.path, headers, body)
        payload = resp.body if isinstance(resp.body, bytes) else (b"" if resp.body is None else encode_json(resp.body))
        self.send_response(resp.status)
        sent = {k.lower() for k in resp.headers}
        if "content-type" not in sent and (payload or resp.status != 204):
            self.send_header("Content-Type", resp.content_type)
        for k, v in resp.headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _serve
