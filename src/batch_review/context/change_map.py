"""A map of the whole change: every changed file with the definitions it adds, removes or changes, each
changed signature shown before → after. It travels in one shared block of every request (`shared.py`), so
a request about one file knows what else the change touches (a signature changed elsewhere, a function
removed that this file still calls).

A file's base version is rebuilt from its head content and its own diff (the diff's deleted and context
rows put back, its added rows taken out): no extra call for a pull request, and exactly the version the
diff was made against (the merge base, not the base branch's tip). A file whose head content cannot be
had is named with its line counts only.

The map is capped (`MAX_MAP_TOKENS`): past the cap it names the files only, in the same stable order (by
path).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..diff import FileDiff
from .definitions import Definition, definitions

MAX_MAP_TOKENS = 3000
CHARS_PER_TOKEN = 3.4


@dataclass
class FileChange:
    path: str
    status: str
    added: int = 0
    deleted: int = 0
    old_path: str | None = None
    items: list[str] = field(default_factory=list)  # "changed function parse(a) → parse(a, b)"
    note: str = ""  # why no definitions are listed

    def header(self) -> str:
        moved = f" from {json.dumps(self.old_path, ensure_ascii=False)}" if self.old_path else ""
        counts = "" if self.status == "removed" else f", +{self.added} -{self.deleted}"
        return f"{json.dumps(self.path, ensure_ascii=False)} ({self.status}{moved}{counts})"


def base_from_head(head: bytes, diff: FileDiff) -> bytes | None:
    """The file before the change: the head with the diff undone; None when the head is not the diff's new
    side (a line the diff shows differs)."""
    lines = head.split(b"\n")
    final_newline = bool(lines) and lines[-1] == b""
    if final_newline:
        lines.pop()
    texts = [line.decode("utf-8", "replace").removesuffix("\r") for line in lines]
    for number, text in diff.new_text.items():
        if number > len(texts) or (texts[number - 1] != text and text.isascii() and texts[number - 1].isascii()):
            return None
    old: list[bytes] = []
    cursor = 0  # head lines consumed
    for row in diff.rows:
        if row.old is not None:
            while len(old) < row.old - 1 and cursor < len(lines):
                old.append(lines[cursor])
                cursor += 1
        elif row.new is not None:
            while cursor < row.new - 1:
                old.append(lines[cursor])
                cursor += 1
        if row.kind == "-":
            old.append(row.text.encode("utf-8", "surrogatepass"))
        elif row.kind == " ":
            old.append(lines[cursor])
            cursor += 1
        else:
            cursor += 1
    old += lines[cursor:]
    return b"\n".join(old) + (b"\n" if final_newline and old else b"")


def compare(before: Sequence[Definition], after: Sequence[Definition]) -> list[str]:
    """What changed between two versions' definitions, in the new version's order (removed ones last)."""
    old = {d.name: d for d in before}
    new = {d.name: d for d in after}
    out: list[str] = []
    for name, now in new.items():
        was = old.get(name)
        if was is None:
            out.append(f"added {_named(now)}{now.signature}")
        elif was.signature != now.signature:
            out.append(f"changed {_named(now)}{was.signature} → {now.signature}")
        elif was.digest != now.digest and now.kind != "class":
            out.append(f"changed {now.kind} {name} (body; signature unchanged)")
    out += [f"removed {_named(was)}{was.signature}" for name, was in old.items() if name not in new]
    return out


def _named(definition: Definition) -> str:
    """The kind, and the qualified name of a member (`method Reader.read: `): its signature names it alone."""
    return f"{definition.kind} {definition.name}: " if "." in definition.name else f"{definition.kind} "


def file_change(path: str, status: str, diff: FileDiff | None, head: bytes | None, *,
                old_path: str | None = None, why: str = "") -> FileChange:
    change = FileChange(path, status, len(diff.added) if diff else 0, len(diff.deleted) if diff else 0,
                        old_path if old_path and old_path != path else None)
    if diff is None or head is None:
        change.note = why or "its content is not known"
        return change
    base = b"" if status == "added" else base_from_head(head, diff)
    if base is None:
        change.note = "its head content does not match its diff"
        return change
    change.items = compare(definitions(old_path or path, base) if base else [], definitions(path, head))
    if not change.items:
        change.note = "no definition changed (statements or comments only)"
    return change


def render_map(changes: Sequence[FileChange], max_tokens: int = MAX_MAP_TOKENS) -> tuple[list[str], bool]:
    """The map's lines (file headers, then each file's changes indented) and whether it is complete. Past
    `max_tokens`, only the file headers (and past that, as many as fit and a count)."""
    ordered = sorted(changes, key=lambda c: c.path)
    full: list[str] = []
    for change in ordered:
        full.append(change.header() + (f": {change.note}" if change.note else ""))
        full += [f"  {item}" for item in change.items]
    if _tokens(full) <= max_tokens:
        return full, True
    names = [change.header() + (f": {len(change.items)} definitions changed" if change.items else "")
             for change in ordered]
    kept: list[str] = []
    for index, line in enumerate(names):
        if _tokens([*kept, line]) > max_tokens - 20:
            kept.append(f"… and {len(names) - index} more files")
            break
        kept.append(line)
    return kept, False


def _tokens(lines: Sequence[str]) -> float:
    return sum(len(line) + 3 for line in lines) / CHARS_PER_TOKEN
