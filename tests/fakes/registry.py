"""A loopback container registry that answers as GHCR does for a client without credentials (the
OCI distribution protocol, token authentication as Docker's registry documents it):

- `GET|HEAD /v2/<name>/manifests/<reference>` without a token answers 401 with
  `WWW-Authenticate: Bearer realm="<base>/token",service="ghcr.io",scope="repository:<name>:pull"`;
- `GET /token?scope=repository:<name>:pull&service=ghcr.io` gives an anonymous token for a public package.
  For a private one GHCR either refuses the token (`403 DENIED`) or gives one the manifest then refuses
  (`401 UNAUTHORIZED`); `private` picks which;
- with a token for that repository, the manifest answers 200 with `Docker-Content-Digest`, or 404
  `MANIFEST_UNKNOWN` for a tag that was never pushed. A HEAD answer has no body.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

UNAUTHORIZED = {"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]}


@dataclass
class Package:
    tags: dict[str, str]  # tag -> digest
    public: bool = False
    private: str = "deny-token"  # or "deny-manifest"


@dataclass
class FakeRegistry:
    packages: dict[str, Package] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)  # (method, path, Authorization)

    def __enter__(self) -> FakeRegistry:
        registry = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                registry.handle(self, "GET")

            def do_HEAD(self) -> None:
                registry.handle(self, "HEAD")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def handle(self, request: BaseHTTPRequestHandler, method: str) -> None:
        url = urlsplit(request.path)
        auth = request.headers.get("Authorization", "")
        self.requests.append((method, request.path, auth))
        if url.path == "/token" and method == "GET":
            self._token(request, parse_qs(url.query))
            return
        parts = url.path.removeprefix("/v2/").rsplit("/manifests/", 1)
        if not url.path.startswith("/v2/") or len(parts) != 2:
            self._send(request, method, 404, {"errors": [{"code": "NOT_FOUND", "message": "not found"}]})
            return
        name, reference = parts
        if auth != f"Bearer anonymous:{name}":
            challenge = (f'Bearer realm="{self.base_url}/token",service="ghcr.io",'
                         f'scope="repository:{name}:pull"')
            self._send(request, method, 401, UNAUTHORIZED, {"WWW-Authenticate": challenge})
            return
        package = self.packages.get(name)
        if package is None or not package.public:  # an anonymous token never sees a private package
            self._send(request, method, 401, UNAUTHORIZED)
            return
        digest = package.tags.get(reference)
        if digest is None:
            self._send(request, method, 404, {"errors": [{"code": "MANIFEST_UNKNOWN", "message": "manifest unknown"}]})
            return
        self._send(request, method, 200, {"schemaVersion": 2, "manifests": []},
                   {"Docker-Content-Digest": digest, "Content-Type": "application/vnd.oci.image.index.v1+json"})

    def _token(self, request: BaseHTTPRequestHandler, query: dict[str, list[str]]) -> None:
        scope = (query.get("scope") or [""])[0]
        name = scope.removeprefix("repository:").removesuffix(":pull")
        package = self.packages.get(name)
        if (query.get("service") or [""])[0] != "ghcr.io" or not scope.endswith(":pull"):
            self._send(request, "GET", 400, {"errors": [{"code": "UNSUPPORTED", "message": "bad scope or service"}]})
        elif package is not None and not package.public and package.private == "deny-token":
            self._send(request, "GET", 403,
                       {"errors": [{"code": "DENIED", "message": "requested access to the resource is denied"}]})
        else:
            self._send(request, "GET", 200, {"token": f"anonymous:{name}"})

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, method: str, status: int, body: dict[str, Any],
              headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        request.send_response(status)
        for key, value in {"Content-Type": "application/json", **(headers or {})}.items():
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(data)))
        request.end_headers()
        if method != "HEAD":
            request.wfile.write(data)
