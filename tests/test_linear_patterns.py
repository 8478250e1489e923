"""Issue #16 §1: no text a contributor writes can make a pattern backtrack.

Every regular expression batch-review runs goes through `linear.py` (RE2: an automaton, no backtracking),
so the work of a search is bounded by len(text) × the program's size, whatever the text. These tests hold
that structurally — no module but linear.py imports `re`, every compiled pattern is an RE2 program of
bounded size — and then feed every pattern 1 MB of adversarial text, and review a pull request whose file
made the old private-key pattern backtrack exponentially (28 "Name: value" lines after a PEM header).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path
from typing import Any

import pytest

import batch_review
from batch_review import linear
from batch_review.filters import content_reason, patch_reason
from batch_review.secret_scan import find_secrets
from tests.test_bad_input_world import make_pr, numbered, pr_world, run_action

PACKAGE = Path(batch_review.__file__).parent
MB = 1 << 20


def _all_patterns() -> list[linear.Pattern[Any]]:
    for module in pkgutil.walk_packages(batch_review.__path__, "batch_review."):
        importlib.import_module(module.name)
    return list(linear.PATTERNS)


def test_no_module_but_linear_imports_a_backtracking_engine() -> None:
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "linear.py" and path.parent == PACKAGE:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else [])
            offenders += [f"{path.relative_to(PACKAGE)} imports {n}" for n in names
                          if n.split(".")[0] in {"re", "regex", "fnmatch", "glob"}]
    assert not offenders, offenders


def test_every_pattern_is_an_re2_program_of_bounded_size() -> None:
    import re2  # type: ignore[import-untyped]

    patterns = _all_patterns()
    assert len(patterns) >= 40  # every module's patterns were compiled here
    for pattern in patterns:
        assert isinstance(pattern._re, re2._Regexp), pattern.pattern
        # RE2 runs a search in O(len(text) × program size): a bounded program is a bounded cost per byte
        assert 0 < pattern.program_size <= linear.MAX_PROGRAM, pattern.pattern


def test_a_pattern_that_needs_backtracking_is_refused() -> None:
    with pytest.raises(ValueError, match="invalid perl operator"):
        linear.compile(r"(?<![a-z])x")  # lookbehind: RE2 cannot run it, so nothing can slip back to `re`
    with pytest.raises(ValueError, match="invalid escape"):
        linear.compile(r"(a)\1")


def _adversarial(pattern: linear.Pattern[Any]) -> list[str]:
    """1 MB texts built to make a backtracking engine explode on this kind of pattern: the pattern's own
    literal characters repeated (almost matching, again and again), long runs of spaces and word
    characters, and the shapes of PEM headers, markers, hunks and Markdown rules."""
    source = pattern.pattern if isinstance(pattern.pattern, str) else pattern.pattern.decode("latin-1")
    literal = "".join(c for c in source if c.isalnum() or c in " :-_@<>!{}#|=\n")[:60] or "a"
    shapes = [
        literal,
        " ",
        "a",
        "-----BEGIN RSA PRIVATE KEY-----\n" + "Name: value\n" * 28,
        "Name: value\\n ",
        "<!-- batch-review:finding {" + '"a":"b",' * 8,
        "@@ -1 +1 @@\n+",
        "| --- |:-: ",
        "int f(int a, " + " " * 40,
        "AKIAAKIA" + "A" * 20,
    ]
    out = []
    for shape in shapes:
        text = (shape * (MB // max(1, len(shape)) + 1))[:MB]
        out.append(text + "!")  # a failing tail, where a backtracking engine would try every split
    return out


def test_every_pattern_on_a_megabyte_of_adversarial_text() -> None:
    """Each pattern searches 10 adversarial megabytes; the bound on the work is the structural one above
    (RE2: text × program), so no clock is read here; a backtracking engine would not return."""
    checked = 0
    for pattern in _all_patterns():
        for text in _adversarial(pattern):
            subject: Any = text if isinstance(pattern.pattern, str) else text.encode("latin-1")
            pattern.search(subject)  # the first match, or a scan of the whole text
            pattern.fullmatch(subject)  # anchored at both ends: every split of the text is in play
            checked += 1
    assert checked >= 400


def yaml_after_pem(keys: int) -> str:
    """An ordinary YAML file that starts with a PEM header line (a key's placeholder) and `keys` settings."""
    names = [f"setting-{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(keys)]
    return "-----BEGIN RSA PRIVATE KEY-----\n" + "".join(f"{name}: value {i}\n" for i, name in enumerate(names))


def test_the_file_that_hung_the_private_key_pattern_is_scanned() -> None:
    data = yaml_after_pem(60).encode()
    assert find_secrets(data) == [] and content_reason(data) is None
    added = "".join("+" + line + "\n" for line in yaml_after_pem(60).split("\n"))
    assert patch_reason("@@ -0,0 +1,61 @@\n" + added) is None


def test_a_pull_request_with_that_file_is_reviewed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """28 such lines took Python's `re` minutes (40 never finished): the review ends, and the file is reviewed."""
    fx = make_pr(tmp_path / "repo", {"app.py": numbered(3)}, {"deploy/keys.yml": yaml_after_pem(40),
                                                                 "app.py": numbered(4)})
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
        sent = b"".join(r.raw for r in world.ai.requests)
    assert out.files["deploy/keys.yml"] == ("reviewed", ""), out.log
    assert b"setting-bn: value 39" in sent
