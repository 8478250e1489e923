"""A gzipped tar archive read as it streams in, member by member, in memory: nothing is extracted or written.

Python's `tarfile` parses each 512-byte header in Python through small reads (about 0.3 ms a member: 15 s for
50,000 files); this reader decompresses in large chunks and slices headers out of a buffer. It knows what
`git archive` (hence GitHub's tarball) writes: ustar headers, pax extended headers (`x`: a long `path`, `size`)
and the pax global header (`g`: `comment`, the commit id), GNU long names (`L`). A member's data is handed over
only for regular files; links, directories and anything else are reported by type and never followed.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

BLOCK = 512
CHUNK = 1 << 20


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class ArchiveError(ValueError):
    """The stream is not a gzipped tar archive, or it ends early."""


@dataclass(frozen=True)
class Member:
    name: str
    kind: str  # "file", "directory", "symlink", "hardlink", "other"
    size: int
    data: bytes | None  # a regular file's content when wanted, else None


class _Inflated:
    """The decompressed bytes of a gzip stream, read in large chunks."""

    def __init__(self, raw: Readable) -> None:
        self.raw = raw
        self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self.buffer = bytearray()
        self.done = False

    def take(self, size: int) -> bytes:
        while len(self.buffer) < size and not self.done:
            chunk = self.raw.read(CHUNK)
            if not chunk:
                self.buffer += self.inflate.flush()
                self.done = True
                break
            try:
                self.buffer += self.inflate.decompress(chunk)
            except zlib.error as exc:
                raise ArchiveError(f"not a gzip stream: {exc}") from None
            while self.inflate.eof and self.inflate.unused_data:  # concatenated gzip members
                rest = self.inflate.unused_data
                self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
                self.buffer += self.inflate.decompress(rest)
        if len(self.buffer) < size:
            raise ArchiveError("the archive ends in the middle of a member")
        data = bytes(self.buffer[:size])
        del self.buffer[:size]
        return data

    def skip(self, size: int) -> None:
        while size > 0:
            step = min(size, CHUNK)
            self.take(step)
            size -= step


def members(raw: Readable, wanted: object = None) -> Iterator[tuple[Member, dict[str, str]]]:
    """Each member with the pax global headers seen so far. `wanted(name, size) -> bool` says whether to read a
    regular file's content (when None, every file's is read)."""
    stream = _Inflated(raw)
    global_headers: dict[str, str] = {}
    pending: dict[str, str] = {}
    while True:
        header = stream.take(BLOCK)
        if header == bytes(BLOCK):
            return  # the end-of-archive blocks
        if _checksum(header) != _number(header[148:156]):
            raise ArchiveError("a tar header's checksum does not match")
        kind = header[156:157]
        size = _number(header[124:136])
        padded = -(-size // BLOCK) * BLOCK
        if kind in (b"x", b"g", b"L"):
            body = stream.take(padded)[:size]
            if kind == b"L":
                pending["path"] = body.rstrip(b"\0").decode("utf-8", "surrogateescape")
            else:
                (global_headers if kind == b"g" else pending).update(_pax(body))
            continue
        name = pending.pop("path", None) or _name(header)
        size = int(pending.pop("size", size))
        padded = -(-size // BLOCK) * BLOCK
        pending.clear()
        what = {b"0": "file", b"\0": "file", b"7": "file", b"5": "directory", b"2": "symlink",
                b"1": "hardlink"}.get(kind, "other")
        data = None
        if what == "file" and (wanted is None or wanted(name, size)):  # type: ignore[operator]
            data = stream.take(padded)[:size]
        else:
            stream.skip(padded)
        yield Member(name, what, size, data), global_headers


def _name(header: bytes) -> str:
    name = header[0:100].split(b"\0", 1)[0]
    if header[257:262] == b"ustar":
        prefix = header[345:500].split(b"\0", 1)[0]
        if prefix:
            name = prefix + b"/" + name
    return name.decode("utf-8", "surrogateescape")


def _number(field: bytes) -> int:
    if field[:1] in (b"\x80", b"\xff"):  # base-256
        return int.from_bytes(field[1:], "big") * (-1 if field[:1] == b"\xff" else 1)
    text = field.split(b"\0", 1)[0].strip(b" \0")
    try:
        return int(text, 8) if text else 0
    except ValueError:
        raise ArchiveError("a tar header holds a malformed number") from None


def _checksum(header: bytes) -> int:
    return sum(header[:148]) + 8 * 32 + sum(header[156:])


def _pax(body: bytes) -> dict[str, str]:
    """`<length> <key>=<value>\\n` records."""
    found: dict[str, str] = {}
    at = 0
    while at < len(body):
        space = body.find(b" ", at)
        if space < 0:
            break
        try:
            length = int(body[at:space])
        except ValueError:
            raise ArchiveError("a pax header is malformed") from None
        record = body[space + 1 : at + length - 1]
        key, _, value = record.partition(b"=")
        found[key.decode("utf-8", "replace")] = value.decode("utf-8", "surrogateescape")
        if length <= 0:
            break
        at += length
    return found
