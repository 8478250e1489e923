"""The walkthrough's memory: what each file's change does, one line a file, carried across pushes like findings.

Every review request answers with a one-line `summary` of what its files' change does (findings.py); the run's
summaries go into the pull request's status comment, and the files a push does not send again keep the summary
of the review that covered them. The marker rides in the status comment next to the state marker:
`<!-- batch-review:walkthrough {"v":1,"texts":[…],"files":[[path, file_key, text index], …]} <tag> -->` (texts
deduplicated: the files of one request share one). It is read only from batch-review's own status comment, and
only when its seal verifies (memory/seal.py): a person who edits the summaries, or another workflow under the
same identity, cannot put words in batch-review's mouth. Model text and paths are escaped so that nothing in
them can close the comment.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from .. import linear
from .markers import _embed
from .seal import TAGGED_END, Seal

PREFIX = "<!-- batch-review:walkthrough "
_MARKER = linear.compile(r"<!-- batch-review:walkthrough (\{[^\n]*?\})" + TAGGED_END)
VERSION = 1
LIMIT = 20_000  # characters of marker at most; past it the summaries of the most files that fit are carried


@dataclass
class Walkthrough:
    entries: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (file_key, summary)

    def to_marker(self, seal: Seal) -> str:
        """The sealed marker ("" when there is nothing to carry); the first files by path when all do not fit."""
        paths = sorted(self.entries)
        while paths:
            texts = list(dict.fromkeys(self.entries[p][1] for p in paths))
            index = {text: i for i, text in enumerate(texts)}
            files = [[p, self.entries[p][0], index[self.entries[p][1]]] for p in paths]
            marker = seal.marker(PREFIX, "walkthrough", _embed({"v": VERSION, "texts": texts, "files": files}))
            if len(marker) <= LIMIT:
                return marker
            paths = paths[: len(paths) * 3 // 4]
        return ""

    @classmethod
    def from_text(cls, text: str | None, seal: Seal) -> Walkthrough | None:
        """The walkthrough in a status comment; None when there is none, it is unreadable or its seal does not
        verify (it is only words: such a one costs the table its older rows, never a review)."""
        match = _MARKER.search(text or "")
        if match is None or not seal.verify("walkthrough", match.group(1), match.group(2) or ""):
            return None
        try:
            data = json.loads(match.group(1))
            texts, files = data["texts"], data["files"]
            if data.get("v") != VERSION or not isinstance(texts, list) or not isinstance(files, list):
                return None
            entries: dict[str, tuple[str, str]] = {}
            for path, key, at in files:
                known = isinstance(at, int) and 0 <= at < len(texts) and isinstance(texts[at], str)
                if known and isinstance(path, str) and isinstance(key, str):
                    entries[path] = (key, texts[at])
        except (ValueError, KeyError, TypeError):
            return None
        return cls(entries)


def carried(earlier: Walkthrough | None, current: Mapping[str, str], summaries: Mapping[str, str]) -> Walkthrough:
    """This run's walkthrough: the summaries of the files reviewed now, and the earlier summaries of the files
    still in the pull request that were not (unchanged since their review, or their review failed)."""
    entries = {p: e for p, e in (earlier.entries if earlier else {}).items() if p in current}
    for path, text in summaries.items():
        if path in current and text:
            entries[path] = (current[path], text)
    return Walkthrough(entries)
