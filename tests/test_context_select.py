"""Targeted context, line by line: what each kind of change is shown with, how the budget shrinks it,
and that odd content (CRLF, no final newline, Latin-1, a head that is not the diff's) keeps exact
numbers. Every diff here is computed by real `git diff`."""

from __future__ import annotations

from pathlib import Path

import pytest

from batch_review.context import View, select_context
from batch_review.diff import FileDiff, parse_patch
from batch_review.gitcmd import diff_blobs

DATA = Path(__file__).parent / "data" / "context"
PAD = "".join(f"def pad{i}(x):\n    return x + {i}\n\n\n" for i in range(40))  # 160 unrelated lines
LONG = "def long(x):\n" + "".join(f"    s{i} = {i}\n" for i in range(30)) + "    return x\n"  # lines 161-192


def view_of(path: str, old: str | bytes, new: str | bytes, budget: float = 8000, context: int = 3,
            mode: str = "definitions") -> tuple[View, FileDiff, bytes]:
    before = old.encode() if isinstance(old, str) else old
    after = new.encode() if isinstance(new, str) else new
    diff = parse_patch(diff_blobs(before, after, context))
    return select_context(path, after, diff, budget, mode=mode), diff, after


def numbers(view: View) -> list[int]:
    return [row.new for row in view.rows if row.new is not None]


def assert_exact(view: View, head: bytes) -> None:
    """Every numbered row is the head's line at that number; every changed line is there."""
    lines = head.decode("utf-8", "replace").split("\n")
    for row in view.rows:
        if row.new is not None:
            assert row.text == lines[row.new - 1].removesuffix("\r")
    assert numbers(view) == sorted(set(numbers(view)))


# -- the budget ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("budget", "shown", "whole"), [
    (8000, [(67, 67), (74, 127)], 2),  # the whole method, its comment and decorator, and the class line
    (300, [(67, 67), (75, 76), (91, 111)], 0),  # ten lines either side of 101 (the deleted line sat there too)
    (100, [(98, 104)], 0),  # GitHub's hunk
    (10, [(98, 104)], 0),  # less than the hunk itself: the hunk, never less
])
def test_the_budget_shrinks_each_hunk_step_by_step_never_below_the_hunk(budget: float, shown: list[tuple[int, int]],
                                                                     whole: int) -> None:
    old, new = (DATA / "before.py").read_bytes(), (DATA / "after.py").read_bytes()
    view, _, head = view_of("widget.py", old, new, budget)
    assert view.shown == shown
    assert [(r.kind, r.new) for r in view.rows if r.kind != " "] == [("-", None), ("+", 101)]
    assert view.stats.whole_lines == whole and view.stats.changed_lines == 2
    assert view.stats.shown_tokens <= max(budget, 90)
    assert_exact(view, head)


def test_two_hunks_share_the_budget_step_by_step() -> None:
    first = LONG
    second = LONG.replace("def long", "def other").replace("    s", "    t")
    old = PAD + first + PAD + second + PAD
    new = old.replace("s15 = 15", "s15 = 16").replace("t15 = 15", "t15 = 16")
    generous, _, _ = view_of("two.py", old, new, 8000)
    tight, _, head = view_of("two.py", old, new, 250)
    assert generous.shown == [(161, 192), (353, 384)]  # both functions, whole
    assert tight.shown == [(161, 161), (167, 187), (353, 353), (359, 379)]  # each: its signature, ten lines either side
    assert generous.stats.whole_lines == 4 and tight.stats.whole_lines == 0
    assert_exact(tight, head)


def test_a_small_file_goes_whole_with_its_changes_marked() -> None:
    old = "import os\n\n\ndef f():\n    return 1\n\n\ndef g():\n    return 2\n"
    view, _, head = view_of("small.py", old, old.replace("return 2", "return 3"))
    assert view.kind == "whole"
    assert numbers(view) == list(range(1, 10))
    assert [(r.kind, r.new) for r in view.rows if r.kind != " "] == [("-", None), ("+", 9)]
    assert_exact(view, head)


def test_hunks_mode_shows_the_diff_and_measures_it() -> None:
    old, new = (DATA / "before.py").read_bytes(), (DATA / "after.py").read_bytes()
    view, diff, _ = view_of("widget.py", old, new, mode="hunks")
    assert view.rows == diff.rows and view.kind == "hunks"
    assert view.stats.whole_lines == 0 and view.stats.changed_lines == 2


# -- what encloses a change -----------------------------------------------------------------------
def test_a_top_level_statement_is_shown_whole_and_alone() -> None:
    old = PAD + "CONFIG = {\n" + "".join(f"    'k{i}': {i},\n" for i in range(30)) + "}\n" + PAD
    view, _, _ = view_of("config.py", old, old.replace("'k15': 15", "'k15': 16"))
    assert view.shown == [(161, 192)]


def test_a_class_attribute_brings_the_class_line_not_the_methods() -> None:
    body = "".join(f"        a{i} = {i}\n" for i in range(30))
    cls = "class A:\n    x = 1\n\n    def m(self):\n" + body + "\n    z = 3\n"
    old = PAD + cls + PAD
    view, _, _ = view_of("a.py", old, old.replace("    z = 3", "    z = 4"))
    assert view.shown == [(161, 161), (193, 199)]  # `class A:`, then the hunk around `z = 4`


def test_a_field_of_a_class_without_methods_brings_the_whole_class() -> None:
    old = PAD + "@dataclass\nclass P:\n" + "".join(f"    f{i}: int = {i}\n" for i in range(30)) + PAD
    view, _, _ = view_of("p.py", old, old.replace("f20: int = 20", "f20: int = 21"))
    assert view.shown == [(161, 192)]


def test_a_nested_function_widens_to_the_outermost_named_function() -> None:
    outer = ("def retry(n):\n    def deco(f):\n        def wrapper(*a):\n"
             + "".join(f"            step{i}(a)\n" for i in range(20)) + "            return f(*a)\n"
             "        return wrapper\n    return deco\n")
    old = PAD + outer + PAD
    view, _, _ = view_of("r.py", old, old.replace("step10(a)", "step10(a, n)"))
    assert view.shown == [(161, 186)]


def test_a_test_callback_gets_its_own_block_not_the_whole_suite() -> None:
    pad = "".join(f"function pad{i}(x) {{\n  return x + {i};\n}}\n\n" for i in range(30))  # 120 lines
    cases = "".join(f"  it('case {i}', () => {{\n" + "".join(f"    expect(f({j})).toBe({j});\n" for j in range(8))
                    + "  });\n\n" for i in range(12))
    old = pad + "describe('suite', () => {\n  beforeEach(() => { setup(); });\n\n" + cases + "});\n"
    new = old.replace("it('case 6', () => {\n    expect(f(0)).toBe(0);\n    expect(f(1)).toBe(1);\n"
                      "    expect(f(2)).toBe(2);\n    expect(f(3)).toBe(3);\n    expect(f(4)).toBe(4);",
                      "it('case 6', () => {\n    expect(f(0)).toBe(0);\n    expect(f(1)).toBe(1);\n"
                      "    expect(f(2)).toBe(2);\n    expect(f(3)).toBe(3);\n    expect(f(4)).toBe(44);")
    view, _, _ = view_of("suite.test.js", old, new)
    assert view.shown == [(121, 121), (190, 199)]  # `describe(…` and the whole `it('case 6', …)`


def test_a_struct_field_in_go_brings_the_type() -> None:
    pad = "".join(f"func pad{i}(x int) int {{\n\treturn x + {i}\n}}\n\n" for i in range(40))
    fields = "".join(f"\tField{i} int\n" for i in range(20))
    old = "package p\n\n" + pad + "type Config struct {\n" + fields + "}\n\n" + pad
    view, _, _ = view_of("config.go", old, old.replace("Field10 int", "Field10 string"))
    assert view.shown == [(163, 184)]


def test_an_interface_property_in_typescript_brings_the_interface() -> None:
    pad = "".join(f"export function pad{i}(x: number): number {{\n  return x + {i};\n}}\n\n" for i in range(40))
    old = pad + "export interface Options {\n" + "".join(f"  opt{i}: number;\n" for i in range(20)) + "}\n\n" + pad
    view, _, _ = view_of("options.ts", old, old.replace("opt10: number", "opt10?: number"))
    assert view.shown == [(161, 182)]


# -- the heuristic, for languages without a grammar -----------------------------------------------------
def test_the_heuristic_gives_a_kotlin_method_with_its_class_line() -> None:
    pad = "".join(f"fun pad{i}(x: Int): Int {{\n    return x + {i}\n}}\n\n" for i in range(40))
    cls = ("class Widget(val a: Int) : Base() {\n    val drop = 1\n\n    fun other() = 2\n\n"
           "    override fun longMethod(x: Int): Int {\n"
           + "".join(f"        val k{i} = compute({i})\n" for i in range(40))
           + "        return 0\n    }\n\n    fun after() {\n        println(1)\n    }\n}\n")
    old = pad + cls + pad
    view, _, head = view_of("Widget.kt", old, old.replace("val k20 = compute(20)", "val k20 = compute(21)"))
    assert (view.kind, view.language) == ("definitions", "heuristic")
    assert view.shown == [(161, 161), (166, 208)]
    assert_exact(view, head)


def test_the_heuristic_gives_a_yaml_key_its_block() -> None:
    steps = "".join(f"    - run: echo {j}\n" for j in range(10))
    old = "".join(f"job{i}:\n  runs-on: ubuntu\n  steps:\n" + steps + "\n" for i in range(20))
    view, _, _ = view_of("ci.yml", old, old.replace("job7:\n  runs-on: ubuntu", "job7:\n  runs-on: macos"))
    assert view.shown == [(97, 111)]  # the hunk (from job6's last step), then job7 and all its steps; no job8


# -- content ---------------------------------------------------------------------------------------
def test_crlf_lines_keep_their_numbers_and_lose_their_cr() -> None:
    old = (PAD + LONG + PAD).replace("\n", "\r\n")
    view, _, head = view_of("crlf.py", old, old.replace("s15 = 15", "s15 = 16"))
    assert view.shown == [(161, 192)]
    assert not any("\r" in row.text for row in view.rows)
    assert [r.new for r in view.rows if r.kind == "+"] == [177]
    assert_exact(view, head)


def test_a_change_to_a_last_line_without_final_newline() -> None:
    old = PAD + PAD + LONG.rstrip("\n")
    view, _, head = view_of("nofinal.py", old, old.removesuffix("    return x") + "    return x + 1")
    assert [(r.kind, r.new, r.text) for r in view.rows if r.kind != " "] == [
        ("-", None, "    return x"), ("+", 352, "    return x + 1")]
    assert view.shown == [(321, 352)]
    assert_exact(view, head)


def test_latin1_content_keeps_exact_numbers() -> None:
    old = (PAD + LONG.replace("s3 = 3", "s3 = 'caf\xe9'") + PAD).encode("latin-1")
    view, _, head = view_of("latin.py", old, old.replace(b"s15 = 15", b"s15 = 16"))
    assert view.shown == [(161, 192)]
    assert [r.text for r in view.rows if r.new == 165] == ["    s3 = 'caf\ufffd'"]
    assert_exact(view, head)


def test_a_head_that_is_not_the_diffs_new_side_falls_back_to_the_hunks() -> None:
    old = PAD + LONG + PAD
    new = old.replace("s15 = 15", "s15 = 16")
    diff = parse_patch(diff_blobs(old.encode(), new.encode()))
    view = select_context("x.py", new.replace("s14 = 14", "s14 = 99").encode(), diff, 8000)
    assert (view.kind, view.rows) == ("hunks", diff.rows)
    assert view.note == "its head content differs from the diff at line 176"
    missing = select_context("x.py", None, diff, 8000)
    assert (missing.kind, missing.rows, missing.note) == ("hunks", diff.rows, "its head content is unavailable")


def test_a_deletion_without_context_lines_still_gets_its_function() -> None:
    old = PAD + LONG + PAD
    view, _, head = view_of("del.py", old, old.replace("    s15 = 15\n", ""), context=0)
    assert view.shown == [(161, 191)]
    rows = [(r.kind, r.new) for r in view.rows]
    at = rows.index(("-", None))
    assert rows[at - 1 : at + 2] == [(" ", 176), ("-", None), (" ", 177)]  # the deleted row sits in its gap
    assert_exact(view, head)


def test_deleted_lines_count_where_they_were_in_go_and_typescript() -> None:
    """The figure's rule beyond Python: a Go function deleted whole counts whole (its lines, read on their
    own, parse as a whole function), the blank line after it does not; a TypeScript function replaced whole
    counts each deleted line with the line that replaced it; a deleted comment between definitions counts
    as held by none."""
    pad = "".join(f"func pad{i}(x int) int {{\n\treturn x + {i}\n}}\n\n" for i in range(40))
    gone = "func gone(x int) int {\n\ty := x * 3\n\treturn y\n}\n\n"
    view, _, _ = view_of("m.go", "package p\n\n" + pad + gone + pad, "package p\n\n" + pad + pad)
    assert (view.stats.whole_lines, view.stats.changed_lines, view.stats.unplaced_lines) == (4, 5, 1)
    ts_pad = "".join(f"export function pad{i}(x: number): number {{\n  return x + {i};\n}}\n\n" for i in range(40))
    old = ts_pad + "// about f\nexport function f(x: number): number {\n  return x;\n}\n\n" + ts_pad
    new = ts_pad + "export function g(y: number): number {\n  return y + 1;\n}\n\n" + ts_pad
    view, _, _ = view_of("m.ts", old, new)
    assert view.kind == "definitions"
    assert (view.stats.whole_lines, view.stats.changed_lines, view.stats.unplaced_lines) == (4, 5, 1)
