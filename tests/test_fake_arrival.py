"""The fake Anthropic API counts a request's latency from when its first line arrives, as a service does from
when a request reaches it: the time the fake's own threads then take to read the rest (they take turns with the
others', forty of them at once on a large pull request) is part of the latency, not added to it."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.support.fault_world import KEY, message_requests

MODEL = "claude-sonnet-5-5"


def test_a_request_has_started_when_its_first_line_arrived_not_when_its_body_was_read() -> None:
    body = json.dumps({"model": MODEL, "max_tokens": 64,
                       "messages": [{"role": "user", "content": "hello"}]}).encode()
    head = (f"Host: x\r\nx-api-key: {KEY}\r\nanthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n").encode()
    with FakeAnthropicAPI(api_key=KEY, latency=0.5) as ai:
        url = urlsplit(ai.base_url)
        with socket.create_connection((url.hostname, url.port)) as conn:
            conn.sendall(b"POST /v1/messages HTTP/1.1\r\n")
            time.sleep(0.3)
            rest_sent = time.time()
            conn.sendall(head + body)
            answer = conn.makefile("rb").readline()
        (rec,) = message_requests(ai)
    assert answer.startswith(b"HTTP/1.1 200")
    assert rec.started < rest_sent <= rec.finished  # started before its headers and body were sent
