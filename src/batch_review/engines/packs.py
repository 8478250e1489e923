"""A packed request whose answer stays unusable is split: each of its files is asked about on its own.

One malformed or cut-off answer must not fail every file packed with it. The pieces stay as they were
planned (a file's pieces together, in order), so each part shows exactly the lines its file showed in
the pack; a part's `custom_id` is derived from its pieces like any planned request's, so it is unique
(no other request holds those pieces) and the same in every run.
"""

from __future__ import annotations

from ..packing import PlannedRequest, request_of
from .answers import RequestResult

CUT_OFF = "cut off"


def is_pack(request: PlannedRequest) -> bool:
    return len(request.paths) > 1


def should_split(request: PlannedRequest, result: RequestResult) -> bool:
    """A pack whose answer could not be used, repair included (or was cut off: a pack is split rather than
    asked again with more room). API errors, refusals and requests never sent are not split."""
    return (
        is_pack(request) and result.answer is None and result.unusable and not result.not_sent
        and not result.parts
    )


def by_file(request: PlannedRequest) -> list[PlannedRequest]:
    """One request per file of a pack, in the pack's order."""
    return [request_of([p for p in request.pieces if p.path == path]) for path in request.paths]
