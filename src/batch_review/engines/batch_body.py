"""A batch's request body, spooled to disk one request at a time and sent from there.

Each request is rendered, serialized and written as one line of the body (`{"requests":[` … `]}`, one
request per line) the moment it is packed, then dropped: a sweep of 100,000 files never holds its
rendered requests in memory, however large the batch (the API takes up to 100,000 requests and 256 MB
of JSON per batch). The body goes out through the SDK's own client (`client.post(..., content=...)`,
its retries included) as a stream read from the spool file; a retry reads it again from the start.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import anthropic

HEAD, SEPARATOR, TAIL = b'{"requests":[\n', b",\n", b"\n]}"
CHUNK = 1 << 16
PATH = "/v1/messages/batches"


class BatchBody:
    """The body of the batch being filled: `fits`, `add`, then `post`; `clear` starts the next batch."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="batch-review-batch-")  # noqa: SIM115 - closed in close()
        self.requests = 0
        self.size = len(HEAD) + len(TAIL)

    def fits(self, line: bytes, max_requests: int, max_bytes: int) -> bool:
        """Whether `line` (one request's JSON) still fits in this batch; a first request always does."""
        if not self.requests:
            return True
        return self.requests < max_requests and self.size + len(SEPARATOR) + len(line) <= max_bytes

    def add(self, line: bytes) -> None:
        self._file.write((SEPARATOR if self.requests else HEAD) + line)
        self.size += len(line) + (len(SEPARATOR) if self.requests else 0)
        self.requests += 1

    def post(self, client: anthropic.Anthropic) -> Any:
        """Create the batch from the spooled body: the MessageBatch the API answered."""
        from anthropic.types.messages import MessageBatch

        self._file.write(TAIL)
        self._file.flush()
        headers = {"Content-Type": "application/json", "Content-Length": str(self.size)}
        return client.post(PATH, cast_to=MessageBatch, content=_Spooled(self._file, self.size),
                           options={"headers": headers})

    def clear(self) -> None:
        self._file.seek(0)
        self._file.truncate()
        self.requests, self.size = 0, len(HEAD) + len(TAIL)

    def close(self) -> None:
        self._file.close()


class _Spooled:
    """The spool file as a re-iterable body: every iteration (each attempt the SDK makes) starts over."""

    def __init__(self, file: IO[bytes], size: int) -> None:
        self._file, self._size = file, size

    def __iter__(self) -> Iterator[bytes]:
        self._file.seek(0)
        left = self._size
        while left > 0:
            block = self._file.read(min(CHUNK, left))
            if not block:
                break
            left -= len(block)
            yield block
