"""Code from other files, chosen for each request: what the changed lines use, and what calls what they change.

`add_related` runs after planning. It reads each changed file's uses and modified definitions (`index.py`),
asks the repository at the head commit for the files that hold those names, in one scan (`sources/snapshot.py`:
the checkout, or GitHub's archive), and for each request picks the best-ranked definitions and call sites
(`choose.py`) within `max-related-tokens`, and within what is left of `max-request-tokens`. The chosen items'
tokens are added to the request's estimate, so the cost estimate and `budget-usd` count them. A file the path
filter refuses (`exclude`, the default excludes), or whose content holds a secret (or is binary, generated,
minified, too large), is never parsed, hence never shown.
"""

from __future__ import annotations

import dataclasses
import posixpath
import time
from collections.abc import Callable

from ...filters import content_reason
from ...log import log
from ...plan import Plan, PlannedRequest
from ...prompt import related_section
from ...sources.base import Snapshot, SnapshotError
from ...words import plural
from ..languages import grammar_for
from .choose import candidates, estimate, fit
from .index import Change, Index, changed_file, wanted_words
from .model import RelatedItem

__all__ = ["RelatedItem", "add_related", "frame_tokens"]


def frame_tokens() -> int:
    """Tokens of the section's fixed words and fences (a 12-character nonce, as sent)."""
    return estimate("\n".join(related_section([], "0" * 12)))


def add_related(plan: Plan, repository: Snapshot, max_tokens: int, max_request_tokens: int,
                refuse: Callable[[str], str | None]) -> None:
    """Choose each request's related items into `plan.related` and add their tokens to its estimate.
    `refuse(path)` is the path filter's reason to skip a file (None: it may be read)."""
    changes = _changes(plan)
    if not changes or max_tokens <= 0:
        return
    words = wanted_words(change for change, _ in changes.values())
    if not words:
        return  # nothing to look up: the repository is not read

    def admit(path: str) -> bool:  # by extension only: the path filter runs on the few files kept (it is slow)
        return grammar_for(path, b"") is not None or posixpath.basename(path) == "go.mod"

    started = time.monotonic()
    try:
        scan = repository.scan(sorted(words), admit, lambda p: posixpath.basename(p) == "go.mod")
    except SnapshotError as exc:
        note = f"code from other files was not shown: {exc}"
        plan.notes.append(note)
        log.warning(note)
        return
    contents = {path: data for path, data in scan.contents.items() if refuse(path) is None}
    for path, (_, head) in changes.items():  # the changed files as reviewed (a local run: the working tree)
        contents[path] = head
    index = Index.of(sorted({*scan.paths, *changes}), contents)
    per_file = {path: candidates(change, index) for path, (change, _) in changes.items()}
    frame = frame_tokens()
    total = 0
    for position, request in enumerate(plan.requests):
        room = min(max_tokens, max_request_tokens - request.input_tokens) - frame
        chosen = fit(_for_request(plan, request, per_file), room) if room > 0 else []
        if chosen:
            spent = frame + sum(i.tokens for i in chosen)
            plan.related[request.custom_id] = tuple(chosen)
            plan.requests[position] = dataclasses.replace(request, input_tokens=request.input_tokens + spent)
            total += spent
    items = sum(len(v) for v in plan.related.values())
    log.info(f"code from other files: {plural(items, 'item')} in {plural(len(plan.related), 'request')}, "
             f"~{total:,} tokens; read from {scan.how} ({plural(len(scan.paths), 'file')} listed, "
             f"{len(scan.contents):,} read, {index.parsed:,} parsed"
             + (f", {scan.bytes_read:,} bytes downloaded in {plural(scan.github_calls, 'GitHub call')}"
                if scan.github_calls else "")
             + f"; {scan.seconds:.1f}s reading, {time.monotonic() - started:.1f}s in all)")


def _changes(plan: Plan) -> dict[str, tuple[Change, bytes]]:
    changes: dict[str, tuple[Change, bytes]] = {}
    for path, entry in plan.files.items():
        if entry.diff is None or entry.load is None:
            continue
        try:
            head = entry.load()
        except OSError:
            continue
        if head is None or content_reason(head) is not None:
            continue
        change = changed_file(path, head, entry.diff)
        if change is not None:
            changes[path] = (change, head)
    return changes


def _for_request(plan: Plan, request: PlannedRequest, per_file: dict[str, list[RelatedItem]]) -> list[RelatedItem]:
    """The candidates of the request's files, best first, less those whose lines the request already shows."""
    shown: dict[str, set[int]] = {}
    for piece in request.pieces:
        shown.setdefault(piece.path, set()).update(r.new for r in plan.rows(piece) if r.new is not None)
    merged = [i for path in request.paths for i in per_file.get(path, [])]
    kept = [i for i in merged if not all(n in shown.get(i.path, ()) for n in range(i.first, i.last + 1))]
    return sorted(kept, key=lambda i: (-i.score, i.path, i.first))
