"""Targeted context in every supported language: a change deep inside a long method gets the whole
method, with the header line of the class (or impl, namespace) around it, and nothing unrelated.

The samples (tests/data/context, rebuilt by make_samples.py) mark every line that must be shown with
`keep` and every line that must not with `drop`; the diff comes from real `git diff`.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from batch_review.context import select_context
from batch_review.context.languages import GRAMMARS, grammar_for, parser_for
from batch_review.diff import parse_patch
from batch_review.gitcmd import diff_blobs
from batch_review.prompt import render_rows

DATA = Path(__file__).parent / "data" / "context"
LANGUAGES = {
    "py": "python", "js": "javascript", "ts": "typescript", "tsx": "tsx", "go": "go", "java": "java",
    "rs": "rust", "c": "c", "cpp": "cpp", "rb": "ruby",
}


def sample(ext: str) -> tuple[bytes, bytes]:
    return (DATA / f"before.{ext}").read_bytes(), (DATA / f"after.{ext}").read_bytes()


@pytest.mark.parametrize("ext", sorted(LANGUAGES))
def test_a_change_deep_in_a_long_method_gets_the_method_and_its_class_header(ext: str) -> None:
    old, new = sample(ext)
    diff = parse_patch(diff_blobs(old, new))
    view = select_context(f"src/widget.{ext}", new, diff, 8000)

    lines = new.decode().split("\n")
    keep = {n for n, text in enumerate(lines, 1) if "keep" in text.lower()}
    shown = {row.new for row in view.rows if row.new is not None}
    assert (view.kind, view.language) == ("definitions", LANGUAGES[ext])
    assert shown == keep, f"extra {sorted(shown - keep)}, missing {sorted(keep - shown)}"
    assert not any("drop" in row.text for row in view.rows)
    changed = [row for row in view.rows if row.kind != " "]
    assert [(row.kind, row.new) for row in changed] == [("-", None), ("+", lines.index(changed[1].text) + 1)]
    assert changed[1].text.endswith("+ 1;") or changed[1].text.endswith("+ 1")
    assert view.stats.changed_lines == 2 and view.stats.whole_lines == 2
    for row in view.rows:  # every shown line is the head's line at that number
        if row.new is not None:
            assert row.text == lines[row.new - 1]


@pytest.mark.parametrize("ext", sorted(LANGUAGES))
def test_each_grammar_parses_its_sample_without_errors(ext: str) -> None:
    _, new = sample(ext)
    grammar = grammar_for(f"x.{ext}", new)
    assert grammar is not None and grammar.name == LANGUAGES[ext]
    tree = parser_for(grammar.name).parse(new)
    assert not tree.root_node.has_error


def test_every_grammar_loads_with_the_network_cut_off(tmp_path: Path) -> None:
    """The grammar wheels carry their parsers: loading them opens no connection (a language pack that
    downloads parsers at run time would fail here)."""
    script = (
        "import socket\n"
        "def refuse(*a, **k):\n"
        "    raise OSError('network use during grammar loading')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "socket.getaddrinfo = refuse\n"
        "from batch_review.context.languages import GRAMMARS, parser_for\n"
        "for name in GRAMMARS:\n"
        "    assert parser_for(name).parse(b'x\\n').root_node is not None, name\n"
        "print(len(GRAMMARS))\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False,
                          env={"HOME": str(home), "PATH": "/usr/bin:/bin", "XDG_CACHE_HOME": str(home / "cache")})
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == str(len(GRAMMARS)) == "10"
    assert not (home / "cache").exists()


@pytest.mark.parametrize(("path", "head", "expected"), [
    ("a/b.PY", b"", "python"),
    ("tool", b"#!/usr/bin/env python3\nprint(1)\n", "python"),
    ("bin/run", b"#!/usr/bin/env node\n", "javascript"),
    ("Rakefile", b"task :x\n", "ruby"),
    ("include/widget.h", b"namespace w {\nclass A {};\n}\n", "cpp"),
    ("include/plain.h", b"int f(void);\n", "c"),
    ("ui/App.tsx", b"", "tsx"),
    ("notes.kt", b"fun main() {}\n", None),
    ("README", b"#!/bin/sh\n", None),
])
def test_language_by_extension_name_and_shebang(path: str, head: bytes, expected: str | None) -> None:
    grammar = grammar_for(path, head)
    assert (grammar.name if grammar else None) == expected


def test_the_rendered_view_marks_gaps_and_keeps_exact_numbers() -> None:
    old, new = sample("py")
    view = select_context("widget.py", new, parse_patch(diff_blobs(old, new)), 8000)
    text = render_rows(view.rows)
    assert text[:3] == [" 67 class Widget(Base):  # keep", "   ⋮", " 74     # The long one: keep"]
    assert "   -        keep25 = compute(keep24)" in text
    assert "101+        keep25 = compute(keep24) + 1" in text
    assert text[-1] == "127         return keep50  # keep"
    assert set(GRAMMARS) == set(LANGUAGES.values())
