"""Verification requests: each file's findings go together with the code around them, and neighbouring
files share a request within a token budget; what a request says is rendered right before it is sent.

A file's findings, in line order, make one part while the part's code stays within `PART_CODE_TOKENS`
and it holds at most `MAX_FINDINGS` findings (more make more parts). A small file goes whole (the review's
rule: at most `SMALL_FILE_TOKENS`), and so does a file whose findings' definitions already make most of it
(`NEARLY_WHOLE`). Parts are packed in path order into requests of at most `REQUEST_CODE_TOKENS` of code,
`MAX_FINDINGS` findings and `MAX_FILES` files: the system prompt is read from the cache once a request,
not once a file. Each part is a piece of its request, so an engine that splits a pack whose answer stays
unusable asks about each file on its own, and `VerifyPlan.render` renders those parts too.

A part also carries the code from other files that its findings' review requests were shown
(`plan.related`, context/related/): exactly those items, each once in a request, after the code. They count
in the request's code budget and its estimate.

A request's id is derived from its findings, its code (and the code from other files) and the verifier's model
and prompt: the same in every run (a pending verification batch is matched by it) and unique in the run.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .. import linear
from ..context.related import frame_tokens
from ..context.select import NEARLY_WHOLE, SMALL_FILE_TOKENS
from ..findings import Finding
from ..packing import CUSTOM_ID, custom_id
from ..plan import CHARS_PER_TOKEN, PIECE_HEADER_TOKENS, UNKNOWN, Piece, Plan, PlannedRequest
from .excerpt import FileCode, file_code, row_bytes

if TYPE_CHECKING:
    from ..context.related.model import RelatedItem
    from ..guidance import PathGuidance
from .prompt import PROMPT_VERSION, Part, finding_line, related_items, render

PART_CODE_TOKENS = 8000  # code shown of one file (a finding's own code always goes, whatever its size)
# code shown in one request: two parts of the largest size share one. Fewer requests read the verifier's system
# prompt fewer times, take fewer of the requests a minute the API allows, and each costs its own round trip
REQUEST_CODE_TOKENS = 2 * PART_CODE_TOKENS
MAX_FINDINGS = 10  # findings sharing one request
MAX_FILES = 8  # files sharing one request
FRAME_TOKENS = 60  # the fixed words and the fences
FINDING_TOKENS = 30  # a finding's JSON keys and id
OUTPUT_BASE_TOKENS = 30
OUTPUT_PER_FINDING_TOKENS = 70
_SLUG = linear.compile(r"[^a-zA-Z0-9_-]+")


@dataclass
class VerifyRequest:
    """One request: its files' parts (findings with their ids, and the rows of code shown)."""

    request: PlannedRequest
    parts: list[Part]

    @property
    def findings(self) -> list[tuple[str, Finding]]:
        return [item for part in self.parts for item in part.findings]

    def text(self, guidance: PathGuidance | None = None) -> str:
        section = guidance.section([part.path for part in self.parts]) if guidance is not None else ""
        return render(self.request.custom_id, self.parts, section)


@dataclass
class VerifyPlan:
    plan: Plan  # the requests, as an engine takes them
    requests: dict[str, VerifyRequest]  # custom_id -> what it holds
    parts: dict[str, Part]  # piece digest -> the file part it is
    no_code: list[Finding]  # findings on a file the run has no code of: nothing to check them against
    guidance: PathGuidance | None = None  # the path instructions, sent with the files they match (as in review)

    def render(self, request: PlannedRequest) -> str:
        known = self.requests.get(request.custom_id)
        if known is not None:
            return known.text(self.guidance)
        # a pack the engine split (its answer stayed unusable): the parts it holds, under its own id
        parts = self.parts_of(request)
        section = self.guidance.section([p.path for p in parts]) if self.guidance is not None else ""
        return render(request.custom_id, parts, section)

    def parts_of(self, request: PlannedRequest) -> list[Part]:
        return [self.parts[piece.digest] for piece in request.pieces]


def plan_verification(plan: Plan, findings: Sequence[Finding], model: str,
                      code_for: Callable[[Plan, str], FileCode | None] = file_code,
                      by_id: dict[str, PlannedRequest] | None = None,
                      blocks: dict[tuple[str, str], list[set[int]]] | None = None) -> VerifyPlan:
    """`by_id`: `review_requests(plan)`, and `blocks`: each review request's blocks of a file read so far
    (`reviewed_blocks`), when the caller keeps them (it plans once per review answer)."""
    by_path: dict[str, list[Finding]] = {}
    for finding in findings:
        by_path.setdefault(finding.path, []).append(finding)
    out = VerifyPlan(Plan(), {}, {}, [])
    by_id = review_requests(plan) if by_id is None else by_id
    blocks = {} if blocks is None else blocks  # each review request's blocks of a file, read once
    parts: list[tuple[Part, int]] = []  # (part, estimated tokens of its code and findings)
    for path in sorted(by_path):
        mine = sorted(by_path[path], key=lambda f: (f.line, f.last_line, f.fingerprint))
        code = code_for(plan, path)
        if code is None or not code.texts:
            out.no_code += mine
            continue
        for group, shown, whole in _groups(code, mine, lambda f: reviewed_rows(plan, f, by_id, blocks)):
            parts.append(_part(code, group, shown, whole, reviewed_related(plan, group, by_id)))
    for pack in _pack(parts):
        request = _request(pack, model)
        out.plan.requests.append(request.request)
        out.requests[request.request.custom_id] = request
        out.parts.update({part.piece.digest: part for part in request.parts})
    return out


def review_requests(plan: Plan) -> dict[str, PlannedRequest]:
    """Every id a review request may have been answered under -> the planned request: its own, and for a pack
    the id of each file an engine asks about on its own when the pack's answer stays unusable
    (engines/packs.py `by_file`: the file's pieces, as planned)."""
    known = plan.by_id()
    for request in plan.requests:
        if len(request.paths) > 1:
            for path in request.paths:
                known.setdefault(custom_id([p for p in request.pieces if p.path == path]), request)
    return known


def reviewed_rows(plan: Plan, finding: Finding, by_id: dict[str, PlannedRequest],
                  known: dict[tuple[str, str], list[set[int]]] | None = None) -> set[int]:
    """The 0-based lines around the finding that the review request which found it showed the model: each
    contiguous block of its view of the file that holds one of the finding's lines (a whole function the review
    showed is shown whole; other parts of the file are not repeated). `known`: the blocks already read."""
    request = by_id.get(finding.request_id) if finding.request_id else None
    if request is None:
        return set()
    key = (request.custom_id, finding.path)
    blocks = known.get(key) if known is not None else None
    if blocks is None:
        blocks = reviewed_blocks(plan, request, finding.path)
        if known is not None:
            known[key] = blocks
    wanted = range(finding.line - 1, finding.last_line)
    shown: set[int] = set()
    for lines in blocks:
        if any(n in lines for n in wanted):
            shown |= lines
    return shown


def reviewed_blocks(plan: Plan, request: PlannedRequest, path: str) -> list[set[int]]:
    """The new-file lines (0-based) of each contiguous block of the request's view of `path`."""
    out: list[set[int]] = []
    for piece in request.pieces:
        if piece.path != path:
            continue
        blocks: dict[int, set[int]] = {}
        for row in plan.rows(piece):
            if row.new is not None:
                blocks.setdefault(row.hunk, set()).add(row.new - 1)
        out += blocks.values()
    return out


def reviewed_related(plan: Plan, findings: Sequence[Finding], by_id: dict[str, PlannedRequest]
                     ) -> tuple[RelatedItem, ...]:
    """The code from other files that the findings' review requests showed the model, each item once."""
    requests = (by_id.get(f.request_id) for f in findings if f.request_id)
    return tuple(dict.fromkeys(item for r in requests if r is not None for item in plan.related_of(r)))


def _related_tokens(items: Sequence[RelatedItem]) -> int:
    """Estimated tokens of a request's code from other files: its fence and fixed words, and each item."""
    return frame_tokens() + sum(item.tokens for item in items) if items else 0


def _groups(code: FileCode, findings: list[Finding], reviewed: Callable[[Finding], set[int]] = lambda f: set()
            ) -> list[tuple[list[Finding], set[int], bool]]:
    """Each finding is shown with its enclosing definition and with everything its review request showed of the
    file (the verifier sees at least what the reviewer saw)."""
    lines, texts = code.lines, code.texts
    around = [code.around(f.line, f.end_line) | {n for n in reviewed(f) if 0 <= n < lines and texts[n] is not UNKNOWN}
              for f in findings]
    whole = code.whole_tokens
    if code.complete and whole <= PART_CODE_TOKENS and (
        whole <= SMALL_FILE_TOKENS or code.tokens(set().union(*around)) >= NEARLY_WHOLE * whole
    ):
        everything = set(range(code.lines))
        return [(findings[i : i + MAX_FINDINGS], everything, True) for i in range(0, len(findings), MAX_FINDINGS)]
    groups: list[tuple[list[Finding], set[int], bool]] = []
    current: list[Finding] = []
    shown: set[int] = set()
    for finding, mine in zip(findings, around, strict=True):
        if current and (len(current) >= MAX_FINDINGS or code.tokens(shown | mine) > PART_CODE_TOKENS):
            groups.append((current, shown, False))
            current, shown = [], set()
        current.append(finding)
        shown |= mine
    if current:
        groups.append((current, shown, False))
    return groups


def _part(code: FileCode, group: list[Finding], shown: set[int], whole: bool,
          related: tuple[RelatedItem, ...] = ()) -> tuple[Part, int]:
    """The part, and its cost in its request: its code and findings (its related items are counted as packed)."""
    rendered = None
    if whole and len(shown) == code.lines:  # every line: the file's rows, digest and text, worked out once
        rows, digested, rendered = code.whole()
    else:
        rows = code.rows(shown)
        digested = row_bytes(rows)
    listed = [finding_line("", finding) for finding in group]
    h = hashlib.sha256(code.path.encode("utf-8", "surrogatepass"))
    for line in listed:
        h.update(b"\0" + line.encode())
    h.update(digested)
    for item in related:
        h.update(b"\1" + item.text.encode("utf-8", "surrogatepass"))
    numbers = [r.new for r in rows if r.new is not None] or [0]
    code_tokens = int(code.tokens(shown)) + PIECE_HEADER_TOKENS
    # the piece's tokens count its related items too, so a part an engine splits out of its pack is estimated as sent
    piece = Piece(code.path, whole, 0, len(rows), numbers[0], numbers[-1], code.lines,
                  code_tokens + _related_tokens(related), h.hexdigest()[:16], 0, "verify")
    counted = sum(len(line) / CHARS_PER_TOKEN + FINDING_TOKENS for line in listed)
    part = Part(code.path, [("", f) for f in group], rows, whole, piece, related, rendered)
    return part, code_tokens + int(counted)


def _added_related(had: set[RelatedItem], part: Part) -> int:
    """The tokens `part`'s related items add to a request that already has `had` (each item is sent once)."""
    new = [item for item in dict.fromkeys(part.related) if item not in had]
    if not new:
        return 0
    return sum(item.tokens for item in new) + (0 if had else frame_tokens())


def _pack(parts: list[tuple[Part, int]]) -> list[list[Part]]:
    """Next-fit in path order: a request takes the next part while its budgets hold; code from other files counts
    in the code budget, once per request however many of its parts share it."""
    packs: list[list[Part]] = []
    current: list[Part] = []
    had: set[RelatedItem] = set()  # the related items `current` holds
    tokens = findings = 0
    for part, cost in parts:
        if current and (tokens + cost + _added_related(had, part) > REQUEST_CODE_TOKENS
                        or findings + len(part.findings) > MAX_FINDINGS
                        or len({p.path for p in current} | {part.path}) > MAX_FILES):
            packs.append(current)
            current, tokens, findings, had = [], 0, 0, set()
        tokens += cost + _added_related(had, part)
        had.update(part.related)
        current.append(part)
        findings += len(part.findings)
    if current:
        packs.append(current)
    return packs


def _request(parts: list[Part], model: str) -> VerifyRequest:
    number = 0
    for part in parts:  # ids run through the request: F1, F2, … (a split part keeps its own)
        ids = range(number + 1, number + len(part.findings) + 1)
        part.findings = [(f"F{i}", finding) for i, (_, finding) in zip(ids, part.findings, strict=True)]
        number += len(part.findings)
    h = hashlib.sha256(f"{PROMPT_VERSION}\0{model}".encode())
    for part in parts:  # a part's digest covers its findings, its code and its code from other files
        h.update(f"\0{part.piece.digest}".encode())
    slug = _SLUG.sub("_", parts[0].path.rsplit("/", 1)[-1]).strip("_")[:40] or "file"
    custom_id = f"v-{slug}-{h.hexdigest()[:20]}"
    assert CUSTOM_ID.match(custom_id), custom_id
    listed = sum(len(finding_line(fid, f)) for part in parts for fid, f in part.findings) / CHARS_PER_TOKEN
    findings = sum(len(part.findings) for part in parts)
    request = PlannedRequest(
        custom_id=custom_id,
        pieces=tuple(part.piece for part in parts),
        input_tokens=FRAME_TOKENS + sum(part.piece.tokens - _related_tokens(part.related) for part in parts)
        + _related_tokens(related_items(parts)) + int(listed) + FINDING_TOKENS * findings,
        output_tokens=OUTPUT_BASE_TOKENS + OUTPUT_PER_FINDING_TOKENS * findings,
    )
    return VerifyRequest(request, parts)
