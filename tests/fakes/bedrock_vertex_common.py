"""What the Bedrock and Vertex fakes share: the Anthropic fake's brain, validation, caching, faults and
streaming (`FakeAnthropicAPI._messages`), behind each cloud's own paths, auth and error envelopes.

A cloud fake turns an incoming request into the body the Anthropic Messages logic expects (the model
taken from the path, `anthropic_version` checked and removed), answers through it, and converts its
errors to the cloud's own shape. Replies carry the cloud's request-id header, not Anthropic's.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from .anthropic_api import FakeAnthropicAPI, RecordedRequest
from .anthropic_common import REASONS, ApiError
from .anthropic_http import Drop, Handler, Reply, read_body


class CloudError(Exception):
    """An error answered in the cloud's own envelope (built by the fake's `error_reply`)."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(f"{status} {kind}: {message}")
        self.status, self.kind, self.message = status, kind, message


class CloudFake(FakeAnthropicAPI):
    """Subclasses define `route(rec) -> Reply`, `error_reply(CloudError) -> Reply`, `convert(ApiError)
    -> CloudError | None` (None: the Anthropic envelope passes through) and `request_id_header`."""

    request_id_header = "x-request-id"

    def route(self, rec: RecordedRequest) -> Reply:
        raise NotImplementedError

    def error_reply(self, error: CloudError) -> Reply:
        raise NotImplementedError

    def convert(self, error: ApiError) -> CloudError | None:
        raise NotImplementedError

    def new_request_id(self) -> str:
        import uuid

        return str(uuid.uuid4())

    def answer(self, rec: RecordedRequest, body: dict[str, Any]) -> Reply:
        """The Anthropic fake's answer to `body` (faults, validation, cache, latency, SSE when streamed)."""
        rec.json = body
        return self._messages(rec)

    def handle(self, h: Handler) -> None:
        url = urlsplit(h.path)
        headers = {k.lower(): v for k, v in h.headers.items()}
        raw = read_body(h, headers)
        rec = RecordedRequest(h.command, url.path, dict(parse_qsl(url.query)), headers, None, raw, time.time())
        if raw:
            try:
                rec.json = json.loads(raw)
            except ValueError:
                rec.json = None
        with self._lock:
            self._requests.append(rec)  # `rec.raw` keeps the body as the client sent it
        request_id = self.new_request_id()
        try:
            reply = self.route(rec)
        except Drop:
            h.close_connection = True
            with contextlib.suppress(OSError):
                h.connection.shutdown(socket.SHUT_RDWR)
            rec.finished = time.time()
            return
        except CloudError as exc:
            reply = self.error_reply(exc)
        except ApiError as exc:
            converted = self.convert(exc)
            if converted is not None:
                reply = self.error_reply(converted)
            else:
                envelope = {"type": "error", "error": {"type": exc.type, "message": exc.message}}
                reply = Reply(exc.status, json.dumps(envelope).encode(), dict(exc.headers))
        except Exception as exc:
            self._crashes.append(f"FAKE {type(self).__name__} crashed on {h.command} {url.path}: {exc!r}")
            reply = self.error_reply(CloudError(500, "InternalServerException", f"fake crashed: {exc!r}"))
        rec.status = reply.status
        if reply.on_start is not None:
            reply.on_start()
        try:
            send(h, reply, self.request_id_header, request_id, self._stop.wait)
        finally:
            if reply.on_end is not None:
                reply.on_end()
            rec.finished = time.time()


def send(h: Handler, reply: Reply, id_header: str, request_id: str, wait: Callable[[float], object]) -> None:
    """Write the reply (in one write, or the headers then each timed chunk, chunked)."""
    streamed = reply.chunks is not None
    lines = [
        f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Unknown')}",
        f"Date: {h.date_time_string()}",
        f"Content-Type: {reply.content_type}",
        "Transfer-Encoding: chunked" if streamed else f"Content-Length: {len(reply.body)}",
        f"{id_header}: {request_id}",
    ]
    skip = ("content-length", "transfer-encoding", "content-type", id_header.lower())
    lines += [f"{k}: {v}" for k, v in reply.headers.items() if k.lower() not in skip]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    try:
        if not streamed:
            h.wfile.write(head + reply.body)
            h.wfile.flush()
            return
        h.wfile.write(head + _chunk(reply.body))
        h.wfile.flush()
        for due, data in reply.chunks or []:
            if due > time.time():
                wait(due - time.time())
            h.wfile.write(_chunk(data))
            h.wfile.flush()
        h.wfile.write(b"0\r\n\r\n")
        h.wfile.flush()
    except OSError:
        h.close_connection = True


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n" if data else b""


def sse_events(data: bytes) -> list[tuple[str, bytes]]:
    """Server-sent events (as the Anthropic fake writes them) back to (event name, data) pairs."""
    out = []
    for block in data.decode().split("\n\n"):
        if not block.strip():
            continue
        name, payload = "", ""
        for line in block.split("\n"):
            if line.startswith("event: "):
                name = line[7:]
            elif line.startswith("data: "):
                payload = line[6:]
        out.append((name, payload.encode()))
    return out
