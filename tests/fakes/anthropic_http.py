"""HTTP plumbing for the fake Anthropic API: a threading server that answers in one write, or streams
server-sent events in chunks (`Transfer-Encoding: chunked`), each sent at its own time."""

from __future__ import annotations

import json
import socket
import socketserver
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from .anthropic_common import REASONS


class App(Protocol):
    def handle(self, h: Handler) -> None: ...

    def track(self, conn: socket.socket, *, add: bool) -> None: ...


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"
    on_start: Callable[[], None] | None = None
    # a streamed reply: `body` is sent with the headers, then each (time.time() deadline, bytes) chunk
    chunks: list[tuple[float, bytes]] | None = None
    on_end: Callable[[], None] | None = None  # after the last byte is written (or the write failed)


def json_reply(obj: Any) -> Reply:
    return Reply(200, json.dumps(obj).encode())


class Drop(Exception):
    """Close the connection without answering."""


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024
    app: App

    def server_bind(self) -> None:  # skip HTTPServer's slow getfqdn()
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    server: Server

    def setup(self) -> None:
        super().setup()
        self.server.app.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.app.track(self.connection, add=False)

    def parse_request(self) -> bool:
        self.arrived = time.time()  # the request line is in: the request has arrived (its headers and body follow)
        return super().parse_request()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.app.handle(self)

    do_POST = do_DELETE = do_PUT = do_PATCH = do_GET


def read_body(h: Handler, headers: Mapping[str, str]) -> bytes:
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks: list[bytes] = []
        while True:
            size = int(h.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while h.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return b"".join(chunks)
            chunks.append(h.rfile.read(size))
            h.rfile.readline()
    length = int(headers.get("content-length") or 0)
    return h.rfile.read(length) if length > 0 else b""


def send(
    h: Handler, reply: Reply, request_id: str, wait: Callable[[float], object], id_header: str = "request-id"
) -> None:
    """Write the reply (in one write, or the headers then each timed chunk, chunked); `wait(seconds)` sleeps
    until a streamed chunk is due (and wakes on shutdown). `id_header`: the service's request-id header."""
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
    if h.close_connection:
        lines.append("Connection: close")
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
