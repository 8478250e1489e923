"""The shipped eval dataset as the tests build it: a few of its cases, whose repositories hold the packages'
whole sources from four PyPI sdists (click 8.1.3/8.1.4, jinja2 3.1.4/3.1.5), fetched by pinned sha256
through eval/build.py's cache (`~/.cache/batch-review/eval`, or `$BATCH_REVIEW_EVAL_CACHE`). A cold cache
downloads those four archives once; the suite needs no other sdist."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
TEST_CASES = (
    "click-completion-expose-value",
    "click-completion-dot-prog-name",
    "click-group-command-class",
    "jinja2-int-filter-overflow",
    "jinja2-select-pass-context",
    "jinja2-urlize-at-sign",
    "jinja2-sandbox-clear-pop",
)


def build_dataset(out: Path, cases: tuple[str, ...] = TEST_CASES) -> Path:
    """eval/build.py for `cases` into `out`; the dataset file."""
    flags = [arg for case in cases for arg in ("--case", case)]
    built = subprocess.run([sys.executable, str(ROOT / "eval" / "build.py"), "--out", str(out), *flags],
                           capture_output=True, text=True, timeout=600, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    return out / "dataset.jsonl"
