"""The shipped eval dataset as the tests build it: a few of its cases, whose repositories hold the packages'
whole sources from four PyPI sdists (click 8.1.3/8.1.4, jinja2 3.1.4/3.1.5), fetched by pinned sha256
through eval/build.py's cache (`~/.cache/batch-review/eval`, or `$BATCH_REVIEW_EVAL_CACHE`). A cold cache
downloads those four archives once; the suite needs no other sdist."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.fakes.model_brain import parse_sections, user_text

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


def independent_recall(received: list[dict[str, Any]], dataset: Path) -> dict[str, int]:
    """The context recall of an eval, a second way: from the request bodies the fake API received, read by the
    fake's own parser (not batch_review's recall.py), each enclosing definition found with `ast` on the head
    file. Counts: labels, lines_shown, definitions_shown, context_items, context_reached."""
    texts = [user_text(body) + json.dumps(body.get("system")) for body in received]
    shown_by_request: list[tuple[str, dict[int, str]]] = []  # (path, its rows) per section of each request
    for text in texts:
        for section in parse_sections(text):
            shown_by_request.append((section.path, {n: code for n, _, code in section.lines}))

    def shown(path: str, first: int, last: int, head: list[str]) -> bool:  # all in one request's section
        return any(p == path and all(rows.get(n) == head[n - 1] for n in range(first, last + 1))
                   for p, rows in shown_by_request)

    out = dict.fromkeys(("labels", "lines_shown", "definitions_shown", "context_items", "context_reached"), 0)
    for line in dataset.read_text().splitlines():
        case = json.loads(line)
        repo = dataset.parent / case["repo"]
        for label in case["expected"]:
            head = subprocess.run(["git", "-C", str(repo), "show", f"{case['head']}:{label['path']}"],
                                  capture_output=True, text=True, check=True).stdout.split("\n")
            out["labels"] += 1
            out["lines_shown"] += shown(label["path"], label["line"], label["end_line"], head)
            spans = whole_definition("\n".join(head), label["line"], label["end_line"])
            if spans:
                out["definitions_shown"] += all(shown(label["path"], first, last, head) for first, last in spans)
        for item in case.get("context", []):
            out["context_items"] += 1
            out["context_reached"] += any(item["path"] in text and item["contains"] in text for text in texts)
    return out


def whole_definition(source: str, first: int, last: int) -> list[tuple[int, int]] | None:
    """The line ranges that make the whole definition around first..last, by `ast`: the innermost function or
    method; outside any function, the statements of the module or class body that the lines touch (each whole)
    and the `class` line(s) of every class around them; the header of a class for lines on it. None: the lines
    touch no statement (blank or comment lines between statements)."""
    tree = ast.parse(source)

    def extent(node: ast.AST) -> tuple[int, int]:
        starts = [node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]  # type: ignore[attr-defined]
        return min(starts), node.end_lineno or node.lineno  # type: ignore[attr-defined]

    holders = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
               and extent(n)[0] <= first and last <= extent(n)[1]]
    functions = [n for n in holders if not isinstance(n, ast.ClassDef)]
    if functions:
        return [min((extent(n) for n in functions), key=lambda span: span[1] - span[0])]
    classes = sorted((n for n in holders if isinstance(n, ast.ClassDef)), key=lambda n: extent(n)[0])
    heads = [(extent(c)[0], max(c.lineno, c.body[0].lineno - 1)) for c in classes]
    if heads and last <= heads[-1][1]:
        return heads
    body = classes[-1].body if classes else tree.body
    touched = [extent(n) for n in body if extent(n)[0] <= last and first <= extent(n)[1]]
    return [(touched[0][0], touched[-1][1]), *heads] if touched else None
