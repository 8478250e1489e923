"""What the Bedrock and Vertex fakes share: the Anthropic fake's brain, validation, caching, faults and
streaming (`FakeAnthropicAPI._messages`), behind each cloud's own paths, auth and error envelopes.

A cloud fake turns an incoming request into the body the Anthropic Messages logic expects (the model
taken from the path, `anthropic_version` checked and removed), answers through it, and converts its
errors to the cloud's own shape. Replies carry the cloud's request-id header, not Anthropic's.
"""

from __future__ import annotations

import json
from typing import Any

from .anthropic_api import FakeAnthropicAPI, RecordedRequest
from .anthropic_common import ApiError
from .anthropic_http import Drop, Handler, Reply


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
        rec = self.record(h)
        request_id = self.new_request_id()
        try:
            reply = self.route(rec)
        except Drop:
            self.drop(h, rec)
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
            self._crashes.append(f"FAKE {type(self).__name__} crashed on {h.command} {rec.path}: {exc!r}")
            reply = self.error_reply(CloudError(500, "InternalServerException", f"fake crashed: {exc!r}"))
        self.deliver(h, rec, reply, request_id, self.request_id_header)


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
