"""What every resolver of the fake GitHub's GraphQL objects shares: GitHub's typed errors (:class:`Failure`:
``NOT_FOUND``, ``FORBIDDEN``, ``INVALID_CURSOR_ARGUMENTS``, …) and Relay pagination (:func:`connection`, with
cursors written as GitHub writes them)."""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from typing import Any

from tests.fakes import github_json as J

Obj = dict[str, Any]
CURSOR_PREFIX = b"cursor:v2:"


class Failure(Exception):
    """A typed GraphQL error as GitHub sends it: ``{"type", "path", "extensions"?, "locations", "message"}``."""

    def __init__(self, kind: str, message: str, extensions: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.kind, self.extensions = kind, extensions


def forbidden() -> Failure:
    return Failure("FORBIDDEN", "Resource not accessible by integration", {"saml_failure": False})


def no_node(ident: str) -> Failure:
    return Failure("NOT_FOUND", f"Could not resolve to a node with the global id of '{ident}'.")


def cursor(position: int) -> str:
    return base64.b64encode(CURSOR_PREFIX + bytes([0x91]) + J._msgpack_uint(position)).decode()


def position(value: str) -> int:
    try:
        raw = base64.b64decode(value, validate=True)
        if raw.startswith(CURSOR_PREFIX + bytes([0x91])):
            rest = raw[len(CURSOR_PREFIX) + 1 :]
            n = rest[0] if rest[0] < 0x80 else int.from_bytes(rest[1:], "big")
            if cursor(n) == value:
                return n
    except (ValueError, IndexError):
        pass
    raise Failure("INVALID_CURSOR_ARGUMENTS", f"`{value}` does not appear to be a valid cursor.")


def connection(items: Sequence[Any], args: dict[str, Any], to_node: Callable[[Any], Obj]) -> Obj:
    """Relay pagination over ``items`` (the analysis already required ``first`` or ``last`` <= 100)."""
    window = list(enumerate(items, 1))
    after, before = args.get("after"), args.get("before")
    a = position(after) if after is not None else None
    b = position(before) if before is not None else None
    window = [(i, it) for i, it in window if (a is None or i > a) and (b is None or i < b)]
    window = window[max(args.get("skip") or 0, 0) :]
    first, last = args.get("first"), args.get("last")
    has_next, has_prev = b is not None and b <= len(items), a is not None and a >= 1
    if first is not None:
        has_next, window = len(window) > first, window[: max(first, 0)]
    if last is not None:
        has_prev, window = len(window) > last, (window[-last:] if last > 0 else [])
    nodes = [to_node(it) for _, it in window]
    return {
        "totalCount": len(items),
        "nodes": nodes,
        "edges": [{"cursor": cursor(i), "node": n} for (i, _), n in zip(window, nodes, strict=True)],
        "pageInfo": {
            "hasNextPage": has_next,
            "hasPreviousPage": has_prev,
            "startCursor": cursor(window[0][0]) if window else None,
            "endCursor": cursor(window[-1][0]) if window else None,
        },
    }
