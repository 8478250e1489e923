"""Regenerate the golden diffs: `python tests/data/diffs/make_golden.py`.

Each case is a pair of file versions diffed by real `git diff` (GitHub computes PR patches the same
way); `<case>.patch` is the file's patch as GitHub's API gives it (hunks only) and `<case>.json` the
lines a review comment may sit on, as `batch_review.diff.parse_patch` reads them. Review a changed
golden by eye before committing it.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parents[2] / "src"))

from batch_review.diff import parse_patch  # noqa: E402

N = "\n"
BASE30 = "".join(f"line {i}\n" for i in range(1, 31))
CASES: dict[str, tuple[bytes, bytes]] = {
    "modify_one_line": (BASE30.encode(), BASE30.replace("line 15\n", "line fifteen\n").encode()),
    "two_hunks": (BASE30.encode(), BASE30.replace("line 3\n", "line three\n").replace("line 27\n", "").encode()),
    "added_file": (b"", b"alpha\nbeta\ngamma\n"),
    "deleted_lines_only": (BASE30.encode(), BASE30.replace("line 10\nline 11\n", "").encode()),
    "crlf": (b"a\r\nb\r\nc\r\n", b"a\r\nB\r\nc\r\n"),
    "no_newline_at_eof": (b"x\ny", b"x\nz"),
    "newline_added_at_eof": (b"x\ny", b"x\ny\n"),
    "unicode": ("naïve\ncafé\n".encode(), "naïve\ncafé ☕\n".encode()),
    "blank_context_lines": (b"a\n\n\nb\n\n\nc\n", b"a\n\n\nB\n\n\nc\n"),
    "replace_block": (BASE30.encode(), BASE30.replace("line 5\nline 6\nline 7\n", "five\nsix\n").encode()),
    "hunk_with_function_context": (
        b"def f():\n" + b"".join(b"    x = %d\n" % i for i in range(20)) + b"    return x\n",
        b"def f():\n" + b"".join(b"    x = %d\n" % i for i in range(20)) + b"    return x + 1\n",
    ),
}


def patch_of(old: bytes, new: bytes) -> str:
    with tempfile.TemporaryDirectory() as tmp:
        a, b = Path(tmp, "a"), Path(tmp, "b")
        a.write_bytes(old)
        b.write_bytes(new)
        out = subprocess.run(
            ["git", "diff", "--no-index", "--no-color", "-U3", str(a), str(b)], capture_output=True, check=False
        ).stdout.decode("utf-8")
    return out[out.index("@@") :]


def expected(patch: str) -> dict[str, object]:
    diff = parse_patch(patch)
    return {
        "hunks": diff.hunk_count,
        "right": sorted(diff.right),
        "left": sorted(diff.left),
        "added": sorted(diff.added),
        "deleted": sorted(diff.deleted),
        "right_hunk": {str(k): v for k, v in sorted(diff.right.items())},
    }


if __name__ == "__main__":
    for name, (old, new) in CASES.items():
        patch = patch_of(old, new)
        (HERE / f"{name}.patch").write_bytes(patch.encode("utf-8"))
        (HERE / f"{name}.json").write_text(json.dumps(expected(patch), indent=1) + N, encoding="utf-8")
        print(name)
