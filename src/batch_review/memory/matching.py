"""Which finding of this run is which finding posted earlier: identities that survive a new category, a new end
line, a reworded title, lines moving above, and a neighbour on the same line being fixed.

A finding's fingerprint names its place (findings.fingerprint: the file and the text of its first line); the
id it was first posted under is its identity, and a later run's finding that is the same finding takes that id
(its thread stays its thread). `match` decides, per file, in this order:
1. place: each earlier finding is located in the new lines (its place's id, or for a marker an earlier version
   wrote, its old id: file, category and the text of all its lines — read both ways, nothing to migrate). At a
   place with one earlier and one new finding they are the same unless both the category and the title
   changed (then it is another problem on that line, posted; the earlier one stays open). With several, they
   are paired by title similarity, most alike first, and a pair needs a similar title: the order the model
   listed them in, or which of them was fixed, never decides.
2. id: a new finding with the very id of an earlier one that has no place in the new lines (a secret's id, a
   line whose text is not known).
3. region: an earlier finding whose lines changed (it is not located) and a new finding in its region (the
   nearest non-blank line above or below is the same text, or, for an older marker, within two lines) with a
   similar title: the code was edited and the problem is still there.
Any new finding left whose id an earlier finding holds gets a fresh one: it is new, and is posted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from difflib import SequenceMatcher

from ..findings import Finding, fingerprint, legacy_fingerprint, nth_id, squeeze, text_digest
from ..plan import UNKNOWN, Plan
from .markers import PostedFinding, place_digests

MAX_SPAN = 50  # lines an earlier version's id is matched over (a longer finding is matched by its first 50)
SIMILAR = 0.6  # title similarity (difflib's ratio of the squeezed, lower-cased titles) two findings need to pair
NEAR = 2  # lines an older marker (no neighbours recorded) may be from a new finding in its region
VARIANTS = 8  # ids `findings.distinct` gives at one place that are recognised


class Lines:
    """One file's new lines as the matcher reads them: the place each id names."""

    def __init__(self, path: str, lines: Sequence[str]) -> None:
        self.path = path
        self.lines = lines
        self.squeezed = [None if line is UNKNOWN else squeeze(line) for line in lines]
        self._places: dict[str, int] | None = None
        self._legacy: dict[tuple[str, int], dict[str, int]] = {}

    def places(self) -> dict[str, int]:
        """Every id a finding starting at a known line has (its place's, and the further ones at it) -> line."""
        if self._places is None:
            self._places = {}
            seen: dict[str, int] = {}
            for index, text in enumerate(self.squeezed):
                if text is None:
                    continue
                count = seen.get(text, 0)
                seen[text] = count + 1
                base = fingerprint(self.path, text, index + 1, count)
                self._places.update(dict.fromkeys(_variants(base), index + 1))
        return self._places

    def legacy(self, category: str, width: int) -> dict[str, int]:
        """The same for the ids earlier versions gave (file, category and the text of `width` lines)."""
        key = (category, width)
        if key not in self._legacy:
            out: dict[str, int] = {}
            seen: dict[tuple[str, ...], int] = {}
            for start in range(len(self.lines) - width + 1):
                window = self.squeezed[start : start + width]
                if any(part is None for part in window):
                    continue
                words = tuple(part or "" for part in window)
                count = seen.get(words, 0)
                seen[words] = count + 1
                base = legacy_fingerprint(self.path, category, "\n".join(self.lines[start : start + width]),
                                          start + 1, count)
                out.update(dict.fromkeys(_variants(base), start + 1))
            self._legacy[key] = out
        return self._legacy[key]

    def where(self, earlier: PostedFinding) -> int | None:
        """The line an earlier finding's first line is at now (None: its text is not in the file as it was)."""
        at = self.places().get(earlier.fingerprint)
        if at is None and not earlier.span and earlier.category:
            at = self.legacy(earlier.category, _width(earlier)).get(earlier.fingerprint)
        return at

    def unchanged(self, earlier: PostedFinding) -> bool:
        """Whether the code an earlier finding points at is in the file as it was: located, and every line of its
        span the same (an earlier version's id covers the span itself). Unknown lines never match."""
        at = self.where(earlier)
        if at is None or earlier.severity is None:
            return False
        if not earlier.span:
            return True
        width = (earlier.end_line or earlier.line) - earlier.line + 1
        span = self.lines[at - 1 : at - 1 + width]
        return len(span) == width and UNKNOWN not in span and text_digest("\n".join(span)) == earlier.span

    def neighbours(self, first: int, last: int) -> tuple[str, str]:
        """Digests of the nearest non-blank lines above `first` and below `last` ("" when unknown or none)."""
        _, above, below = place_digests(self.lines, first, last)
        return above, below


def _width(earlier: PostedFinding) -> int:
    return min(MAX_SPAN, max(1, (earlier.end_line or earlier.line) - earlier.line + 1))


def _variants(base: str) -> list[str]:
    return [base, *(nth_id(base, n) for n in range(2, VARIANTS + 1))]


def similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, " ".join(a.lower().split()), " ".join(b.lower().split())).ratio()


class Matcher:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self._files: dict[str, Lines] = {}

    def lines(self, path: str) -> Lines:
        if path not in self._files:
            self._files[path] = Lines(path, self.plan.new_lines(path))
        return self._files[path]

    def unchanged(self, earlier: PostedFinding) -> bool:
        return self.lines(earlier.path).unchanged(earlier)

    def match(self, found: Iterable[Finding], posted: Iterable[PostedFinding]) -> int:
        """Give each finding of this run that is an earlier one the earlier one's id, and a fresh id to each
        new one whose id an earlier finding holds. Returns how many took an earlier finding's id."""
        found, posted = list(found), [p for p in posted if p.path and p.severity is not None]
        groups: dict[str, tuple[list[Finding], list[PostedFinding]]] = {}  # by the file a finding is on
        for f in found:
            groups.setdefault(f.path, ([], []))[0].append(f)
        for p in posted:
            if p.path in groups:
                groups[p.path][1].append(p)
        pairs: list[tuple[Finding, PostedFinding]] = []
        for path, (new, old) in groups.items():
            if old:
                pairs += self._pairs(self.lines(path), new, old)
        for finding, earlier in pairs:
            finding.fingerprint = earlier.fingerprint
        paired = {id(f) for f, _ in pairs}
        taken = {p.fingerprint for p in posted} | {f.fingerprint for f, _ in pairs}
        for finding in found:
            if id(finding) in paired or finding.fingerprint not in taken:
                taken.add(finding.fingerprint)
                continue
            was, n = finding.fingerprint, 2
            while nth_id(was, n) in taken:
                n += 1
            finding.fingerprint = nth_id(was, n)
            taken.add(finding.fingerprint)
        return len(pairs)

    @staticmethod
    def _pairs(lines: Lines, new: list[Finding], old: list[PostedFinding]) -> list[tuple[Finding, PostedFinding]]:
        at = {p.fingerprint: lines.where(p) for p in old}
        pairs: list[tuple[Finding, PostedFinding]] = []
        for line in sorted({f.line for f in new} & {a for a in at.values() if a is not None}):
            here_new = [f for f in new if f.line == line]
            here_old = [p for p in old if at[p.fingerprint] == line]
            alone = len(here_new) == len(here_old) == 1
            pairs += _best(here_new, here_old, _alike if not alone else _same)
        done_new, done_old = {id(f) for f, _ in pairs}, {p.fingerprint for _, p in pairs}
        free_old = [p for p in old if at[p.fingerprint] is None and p.fingerprint not in done_old]
        for finding in [f for f in new if id(f) not in done_new]:
            twin = next((p for p in free_old if p.fingerprint == finding.fingerprint), None)
            if twin is not None:
                pairs.append((finding, twin))
                free_old.remove(twin)
                done_new.add(id(finding))
        rest = [f for f in new if id(f) not in done_new]

        def score(finding: Finding, earlier: PostedFinding) -> float:
            above, below = lines.neighbours(finding.line, finding.last_line)
            if earlier.near != ("", ""):
                near = (above and above == earlier.near[0]) or (below and below == earlier.near[1])
            else:
                near = abs(finding.line - earlier.line) <= NEAR
            return similarity(finding.title, earlier.title) if near else 0.0

        return pairs + _best(rest, free_old, score)


Score = Callable[[Finding, PostedFinding], float]


def _alike(finding: Finding, earlier: PostedFinding) -> float:
    return similarity(finding.title, earlier.title)


def _same(finding: Finding, earlier: PostedFinding) -> float:
    """The one earlier and the one new finding at a place: the same finding when it keeps its category (however
    reworded) or its title (whatever the category); with both new it is another problem, posted on its own."""
    return 1.0 if finding.category == earlier.category else similarity(finding.title, earlier.title)


def _best(new: list[Finding], old: list[PostedFinding], score: Score) -> list[tuple[Finding, PostedFinding]]:
    """Pairs, most alike first; a pair needs a score of at least SIMILAR; ties go to the same category, then the
    nearest line, then the order given."""
    ranked = sorted(((score(f, p), f.category == p.category, -abs(f.line - p.line), -i, -j, f, p)
                     for i, f in enumerate(new) for j, p in enumerate(old)),
                    key=lambda row: row[:5], reverse=True)
    pairs: list[tuple[Finding, PostedFinding]] = []
    used_new: set[int] = set()
    used_old: set[str] = set()
    for value, _, _, _, _, finding, earlier in ranked:
        if value < SIMILAR or id(finding) in used_new or earlier.fingerprint in used_old:
            continue
        pairs.append((finding, earlier))
        used_new.add(id(finding))
        used_old.add(earlier.fingerprint)
    return pairs
