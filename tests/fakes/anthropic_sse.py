"""A finished Message as the server-sent events of a streamed answer (`"stream": true`).

The event order of the real API: `message_start` (the message with empty content, no stop reason, the
input and cache usage, output_tokens 1), a `ping`, then per content block `content_block_start`,
its deltas (`thinking_delta` + `signature_delta`, or `text_delta` in pieces) and `content_block_stop`,
then `message_delta` (stop reason, stop details, cumulative usage) and `message_stop`.
"""

from __future__ import annotations

import json
from typing import Any

JSON = dict[str, Any]
TEXT_PIECE = 400  # characters per text_delta


def event(name: str, data: JSON) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


def message_start(message: JSON) -> bytes:
    usage = {**message["usage"], "output_tokens": 1}
    start = {**message, "content": [], "stop_reason": None, "stop_sequence": None, "stop_details": None,
             "usage": usage}  # fmt: skip
    return event("message_start", {"type": "message_start", "message": start}) + event("ping", {"type": "ping"})


def rest(message: JSON) -> bytes:
    """Everything after `message_start`: the content blocks, `message_delta` and `message_stop`."""
    out: list[bytes] = []
    for index, block in enumerate(message["content"]):
        if block["type"] == "thinking":
            out.append(_start(index, {"type": "thinking", "thinking": "", "signature": ""}))
            out.append(_delta(index, {"type": "thinking_delta", "thinking": block["thinking"]}))
            out.append(_delta(index, {"type": "signature_delta", "signature": block["signature"]}))
        else:
            out.append(_start(index, {"type": "text", "text": ""}))
            text = block["text"]
            for at in range(0, len(text), TEXT_PIECE):
                out.append(_delta(index, {"type": "text_delta", "text": text[at : at + TEXT_PIECE]}))
        out.append(event("content_block_stop", {"type": "content_block_stop", "index": index}))
    usage = message["usage"]
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"],
             "stop_details": message.get("stop_details")}  # fmt: skip
    cumulative = {k: usage[k] for k in ("input_tokens", "cache_creation_input_tokens", "cache_read_input_tokens",
                                        "output_tokens")}  # fmt: skip
    out.append(event("message_delta", {"type": "message_delta", "delta": delta, "usage": cumulative}))
    out.append(event("message_stop", {"type": "message_stop"}))
    return b"".join(out)


def _start(index: int, block: JSON) -> bytes:
    return event("content_block_start", {"type": "content_block_start", "index": index, "content_block": block})


def _delta(index: int, delta: JSON) -> bytes:
    return event("content_block_delta", {"type": "content_block_delta", "index": index, "delta": delta})


def error(error_type: str, message: str) -> bytes:
    """An `error` event: the stream breaks off (the HTTP status was already 200)."""
    return event("error", {"type": "error", "error": {"type": error_type, "message": message}})
