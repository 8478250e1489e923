"""A loopback fake of the GitHub REST API, faithful to what PyGithub 2.10 expects.

Usage::

    with FakeGitHub() as fake:
        fake.add_pull(pull_from_git(repo, "main", "feature"))
        gh = github.Github(auth=github.Auth.Token(fake.token), base_url=fake.base_url, lazy=True, ...)

State is kept in plain lists of the JSON objects GitHub would return (``reviews``, ``review_comments``,
``issues``, ``issue_comments``, ``labels``, ``check_runs``, ``sarif_uploads``). Every request is
recorded in ``calls``. Faults (``github_faults.py``): :meth:`inject`, :meth:`secondary_rate_limit`, ``read_only``.
GraphQL (``POST /graphql``, GHES ``/api/graphql``; ``graphql_url``) serves the same state: see
``github_graphql.py``; what other people do (replies, resolving, forged markers): ``github_people.py``.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from typing import Any

from tests.fakes import (  # noqa: F401  (each registers its routes)
    github_archive,
    github_checks,
    github_compare,
    github_graphql,
    github_issues,
    github_pulls,
    github_reviews,
)
from tests.fakes import github_json as J
from tests.fakes.github_faults import Fault, FaultsMixin
from tests.fakes.github_people import PeopleMixin
from tests.fakes.github_schema import schema_error
from tests.fakes.github_server import (
    FakeGitHubHandler,
    HttpError,
    Request,
    Response,
    error_body,
    fail,
    find_route,
)
from tests.fakes.github_threads import follow_push
from tests.support.gitrepo import GitRepo, PullFixture

WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
INTEGRATION_DOC = "https://docs.github.com/rest"


@dataclass
class Call:
    method: str
    path: str  # canonical: without the GHES prefix, ``/repositories/{id}`` rewritten to ``/repos/o/r``
    query: dict[str, str]
    status: int
    json: Any


class FakeGitHub(FaultsMixin, PeopleMixin):
    def __init__(
        self, owner: str = "acme", repo: str = "widgets", *, token: str = "ghs_fake", prefix: str = ""
    ) -> None:
        self.owner, self.repo, self.token = owner, repo, token
        self.prefix = prefix.rstrip("/")
        self.default_branch = "main"
        self.git: GitRepo | None = None
        self.pulls: dict[int, PullFixture] = {}
        self.reviews: list[dict[str, Any]] = []
        self.review_comments: list[dict[str, Any]] = []
        self.issues: list[dict[str, Any]] = []
        self.issue_comments: list[dict[str, Any]] = []
        self.labels: list[dict[str, Any]] = []
        self.check_runs: list[dict[str, Any]] = []  # API JSON plus "annotations": every annotation sent
        self.sarif_uploads: list[dict[str, Any]] = []  # {"id", "commit_sha", "ref", "sarif": decoded JSON, …}
        self.calls: list[Call] = []
        self.server_errors: list[str] = []  # tracebacks of bugs in the fake itself
        self.read_only = False
        # GraphQL (tests/fakes/github_graphql.py): who the token is, state REST cannot carry, call log
        self.viewer_login = J.BOT_LOGIN  # a PAT's user: any login without "[bot]"
        self.resolved_threads: dict[int, str] = {}  # top review comment id -> login that resolved the thread
        self.minimized: dict[str, str] = {}  # node id of a comment or review -> minimizedReason
        self.outdated_comments: set[int] = set()  # review comment ids a later push outdated
        self.blob_text_limit = 512_000  # Blob.text is cut after this many bytes (isTruncated)
        self.tree_max_entries = github_pulls.MAX_TREE_ENTRIES  # a recursive tree listing is truncated past this
        self.graphql_rate_limit = 1000  # points an hour (GITHUB_TOKEN: 1,000 per repository)
        self.graphql_rate_remaining = self.graphql_rate_limit
        self.graphql_rate_reset = int(time.time()) + 3600
        self.graphql_ops: list[github_graphql.Operation] = []
        self.validate_schemas = True
        self.latency = 0.0  # seconds slept per request, outside the lock
        self.rate_limit = 1000  # GITHUB_TOKEN: 1,000 requests an hour per repository
        self.rate_remaining = self.rate_limit
        self.rate_reset = int(time.time()) + 3600
        self.sarif_max_compressed_bytes = 10 * 1024 * 1024
        self.archive_links: dict[str, tuple[str, float]] = {}  # codeload token -> (commit, expiry)
        self.archive_link_seconds = 300.0  # a private repository's archive link lives five minutes
        self.archive_bytes = 0  # bytes codeload served
        self.archive_members: list[dict[str, Any]] = []  # members added to every archive (github_archive.py)
        self.archive_cache: dict[str, bytes] = {}  # commit -> its archive, made once
        self.lock = threading.RLock()
        self._faults: list[Fault] = []
        self._ids = {
            k: itertools.count(start)
            for k, start in (
                ("review", 1_800_000_001),
                ("review_comment", 1_500_000_001),
                ("issue_comment", 2_000_000_001),
                ("label", 7_000_001),
                ("check_run", 20_000_000_001),
                ("sarif", 1),
                ("request", 1),
            )
        }
        handler = type("Handler", (FakeGitHubHandler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self.host_url = f"http://127.0.0.1:{self.port}"
        self.base_url = f"{self.host_url}{self.prefix}"
        self.graphql_url = f"{self.host_url}{github_graphql.endpoint_path(self.prefix)}"
        # github.com-like web URLs; on GHES the web UI lives on the same host, outside /api/v3
        self.web_url = "https://github.com" if not self.prefix else self.host_url
        self.raw_url = "https://raw.githubusercontent.com" if not self.prefix else f"{self.host_url}/raw"
        self._thread: threading.Thread | None = None
        self.start()  # serving from construction; close() (or the context manager) stops it

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> FakeGitHub:
        if self._thread is None:
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
            self._thread.daemon = True
            self._thread.start()
        return self

    def close(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeGitHub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- URLs ---------------------------------------------------------------------------------
    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    @property
    def repo_api(self) -> str:
        return f"{self.base_url}/repos/{self.owner}/{self.repo}"

    @property
    def repo_web(self) -> str:
        return f"{self.web_url}/{self.owner}/{self.repo}"

    def link_url(self, path: str) -> str:
        """Absolute URL for a Link header; GitHub uses the ``/repositories/{id}`` form there."""
        own = f"/repos/{self.owner}/{self.repo}"
        if path.lower() == own.lower() or path.lower().startswith(own.lower() + "/"):
            path = f"/repositories/{J.REPO_ID}{path[len(own) :]}"
        return f"{self.base_url}{path}"

    # -- fixtures and state -------------------------------------------------------------------
    def add_pull(self, fixture: PullFixture) -> PullFixture:
        """Add a PR, or replace it after a push (existing review comments move with their lines or outdate)."""
        with self.lock:
            old = self.pulls.get(fixture.number)
            self.pulls[fixture.number] = fixture
            if old is not None and old.head_sha != fixture.head_sha:
                follow_push(self, old, fixture)
            if self.git is None:
                self.git = fixture.repo
            for name in fixture.labels:
                self.label_json(name)
        return fixture

    def next_id(self, kind: str) -> int:
        return next(self._ids[kind])

    def label_json(self, name: str, color: str = "ededed", description: str | None = None) -> dict[str, Any]:
        """The label called ``name`` (case-insensitive), created if it does not exist."""
        for lab in self.labels:
            if lab["name"].lower() == name.lower():
                return lab
        lab = J.label(self, self.next_id("label"), name, color, description)
        self.labels.append(lab)
        return lab

    def next_issue_number(self) -> int:
        numbers = [*self.pulls, *(i["number"] for i in self.issues)]
        return max(numbers, default=0) + 1

    def reviews_for(self, number: int) -> list[dict[str, Any]]:
        url = f"{self.repo_api}/pulls/{number}"
        return [r for r in self.reviews if r["pull_request_url"] == url]

    def comments_for_review(self, review_id: int) -> list[dict[str, Any]]:
        return [c for c in self.review_comments if c["pull_request_review_id"] == review_id]

    def count(self, method: str, path_regex: str) -> int:
        rx = re.compile(path_regex)
        with self.lock:
            return sum(1 for c in self.calls if c.method == method.upper() and rx.search(c.path))

    # -- request handling ---------------------------------------------------------------------
    def _canonical(self, raw_path: str) -> str | None:
        path = urllib.parse.urlsplit(raw_path).path
        if path == github_graphql.endpoint_path(self.prefix):
            return "/graphql"  # GHES: /api/graphql, outside the /api/v3 prefix
        if self.prefix:
            if not path.startswith(self.prefix + "/"):
                return None
            path = path[len(self.prefix) :]
            if path == "/graphql":
                return None
        if (m := re.match(r"^/repositories/(\d+)(/.*)?$", path)) and int(m.group(1)) == J.REPO_ID:
            path = f"/repos/{self.owner}/{self.repo}{m.group(2) or ''}"
        return path

    def _handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> Response:
        if self.latency:
            time.sleep(self.latency)
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(raw_path).query, keep_blank_values=True))
        if raw_path.startswith(github_archive.CODELOAD + "/"):  # another host: no API token, no API rate limit
            with self.lock:
                resp = github_archive.serve_codeload(self, raw_path, query, headers)
                self.calls.append(Call(method, urllib.parse.urlsplit(raw_path).path, query, resp.status, None))
                return resp
        path = self._canonical(raw_path)
        req = Request(method, path or raw_path, query, headers, body)
        with self.lock:
            rid = f"{self.next_id('request'):04X}:{self.port:04X}:FAKE:{len(self.calls):06X}"
            try:
                if body:
                    try:
                        req.json = json.loads(body)
                    except ValueError:
                        raise fail(400, "Problems parsing JSON") from None
                resp = self._process(req) if path is not None else Response(404, error_body(404, "Not Found"))
            except HttpError as e:
                resp = e.response
            self._decorate(resp, rid)
            self.calls.append(Call(method, req.path, query, resp.status, req.json))
            return resp

    def _process(self, req: Request) -> Response:
        auth = req.headers.get("authorization", "")
        scheme, _, cred = auth.partition(" ")
        if scheme.lower() not in ("token", "bearer") or cred.strip() != self.token:
            raise fail(401, "Bad credentials" if auth else "Requires authentication")
        fault = next((f for f in self._faults if self._fault_matches(f, req)), None)
        if fault is not None:
            fault.times -= 1
            fault.hits += 1
            if not fault.after_effect:
                return fault.response()
        if req.path != "/graphql":  # GraphQL has its own points budget (github_graphql.py)
            self._count_rate_limit()
        resp = self._route(req)
        return fault.response() if fault is not None else resp

    def _count_rate_limit(self) -> None:
        if time.time() >= self.rate_reset:
            self.rate_remaining, self.rate_reset = self.rate_limit, int(time.time()) + 3600
        if self.rate_remaining <= 0:
            raise fail(
                403,
                "API rate limit exceeded for installation ID 1.",
                doc="https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
            )
        self.rate_remaining -= 1

    def _route(self, req: Request) -> Response:
        try:
            found = find_route(req.method, req.path)
            if found is None:
                raise fail(404, "Not Found")
            route, groups = found
            owner, repo = groups.pop("owner", None), groups.pop("repo", None)
            if owner is not None and (owner.lower(), (repo or "").lower()) != (self.owner.lower(), self.repo.lower()):
                raise fail(404, "Not Found")
            if route.write and self.read_only:
                raise fail(403, "Resource not accessible by integration", doc=INTEGRATION_DOC)
            if route.write and self.validate_schemas and (msg := schema_error(req.method, req.path, req.json)):
                raise fail(422, f"Invalid request.\n\n{msg}")
            result = route.handler(self, req, **groups)
            return result if isinstance(result, Response) else Response(200, result)
        except HttpError as e:
            return e.response
        except Exception:
            self.server_errors.append(traceback.format_exc())
            return Response(500, error_body(500, "Fake GitHub internal error"))

    def _decorate(self, resp: Response, rid: str) -> None:
        base = {
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(max(self.rate_remaining, 0)),
            "x-ratelimit-reset": str(self.rate_reset),
            "x-ratelimit-used": str(self.rate_limit - max(self.rate_remaining, 0)),
            "x-ratelimit-resource": "core",
            "x-github-request-id": rid,
            "x-github-api-version-selected": "2022-11-28",
            "x-github-media-type": "github.v3; format=json",
        }
        given = {k.lower() for k in resp.headers}
        for k, v in base.items():
            if k not in given:
                resp.headers[k] = v
