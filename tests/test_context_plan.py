"""Targeted context in the plan: the widened view is what gets measured, split at `max-request-tokens`
and rendered; `context: hunks` keeps the diff's rows and reads no head content; a file whose head
content is missing is planned from its hunks with a note."""

from __future__ import annotations

from collections.abc import Callable

from batch_review.diff import parse_patch
from batch_review.gitcmd import diff_blobs
from batch_review.plan import Budget, estimate_tokens, make_plan
from batch_review.prompt import render_request, render_rows
from batch_review.sources.base import SourceFile

PAD = "".join(f"def pad{i}(x):\n    return x + {i}\n\n\n" for i in range(40))


def function(name: str, length: int = 30) -> str:
    return f"def {name}(x):\n" + "".join(f"    {name}_{i} = step({i})\n" for i in range(length)) + "    return x\n"


def source(path: str, old: str, new: str, load: Callable[[], bytes | None] | None = None) -> SourceFile:
    patch = diff_blobs(old.encode(), new.encode())
    return SourceFile(path, "modified", patch=patch[patch.index("@@"):], load=load or (lambda: new.encode()))


def test_the_widened_view_is_what_is_measured_rendered_and_identified() -> None:
    old = PAD + function("work") + PAD
    new = old.replace("work_15 = step(15)", "work_15 = step(15) + 1")
    wide = make_plan([source("a.py", old, new)], [], Budget())
    narrow = make_plan([source("a.py", old, new)], [], Budget(context="hunks"))
    (piece,) = wide.requests[0].pieces
    rows = wide.rows(piece)
    assert [r.new for r in rows if r.new] == list(range(161, 193))
    assert piece.tokens == estimate_tokens(sum(len(r.text) for r in rows), len(rows))
    assert (piece.first_line, piece.last_line, piece.context) == (161, 192, "definitions")
    assert wide.input_tokens > narrow.input_tokens
    assert wide.requests[0].custom_id != narrow.requests[0].custom_id  # what is sent differs, so does its id
    text = render_request(wide.requests[0], wide.rows)
    assert '### "a.py" (changes with their enclosing definitions, new-file line numbers)' in text
    assert "177+    work_15 = step(15) + 1" in text and "pad" not in text
    assert wide.context.whole_lines == wide.context.changed_lines == 2
    assert narrow.context.changed_lines == 0  # not measured when not widened
    narrow_text = render_request(narrow.requests[0], narrow.rows)
    assert '(changed hunks, new-file line numbers)' in narrow_text and "161 def work" not in narrow_text


def test_a_widened_file_too_big_for_one_request_is_split_without_losing_a_row() -> None:
    functions = [function(f"f{i}", 60) for i in range(12)]
    old = PAD + "\n\n".join(functions) + PAD
    new = old
    for i in range(12):
        for j in (10, 20, 30, 40, 50):
            new = new.replace(f"f{i}_{j} = step({j})", f"f{i}_{j} = step({j}) + 1")
    budget = Budget(max_request_tokens=2000, max_context_tokens=100_000)  # the hunks alone need two requests
    plan = make_plan([source("big.py", old, new)], [], budget)
    view = plan.files["big.py"].view
    assert view is not None and view.kind == "definitions"
    pieces = [p for r in plan.requests for p in r.pieces]
    assert len(pieces) > 1 and all(p.tokens <= budget.max_piece_tokens for p in pieces)
    assert all(r.input_tokens <= budget.max_request_tokens for r in plan.requests)
    assert [row for p in pieces for row in plan.rows(p)] == view.rows
    assert sum(p.changed_lines for p in pieces) == 120


def test_hunks_mode_reads_no_file() -> None:
    old = PAD + function("work") + PAD
    reads: list[int] = []

    def load() -> bytes:
        reads.append(1)
        return b""

    plan = make_plan([source("a.py", old, old.replace("step(15)", "step(16)"), load)], [], Budget(context="hunks"))
    assert reads == [] and plan.files["a.py"].view is None


def test_missing_head_content_plans_the_hunks_with_one_note() -> None:
    old = PAD + function("work") + PAD
    new = old.replace("step(15)", "step(16)")
    plan = make_plan([source("a.py", old, new, lambda: None), source("b.py", old, new)], [], Budget())
    diff = parse_patch(source("a.py", old, new).patch or "")
    a = plan.files["a.py"]
    assert a.view is not None and a.view.rows == diff.rows
    assert render_rows(plan.rows(plan.requests[0].pieces[0])) == render_rows(diff.rows)
    assert plan.notes == ["1 file(s) were shown as their diff's hunks only, without the code around them "
                          "(a.py: its head content is unavailable)"]


def test_max_context_tokens_bounds_the_widening() -> None:
    old = PAD + function("work", 80) + PAD
    new = old.replace("work_40 = step(40)", "work_40 = step(40) + 1")
    roomy = make_plan([source("a.py", old, new)], [], Budget())
    tight = make_plan([source("a.py", old, new)], [], Budget(max_context_tokens=150))
    none = make_plan([source("a.py", old, new)], [], Budget(max_context_tokens=0))
    shown = {name: p.files["a.py"].view.shown for name, p in (("roomy", roomy), ("tight", tight), ("none", none))}  # type: ignore[union-attr]
    assert shown == {"roomy": [(161, 242)], "tight": [(161, 161), (192, 212)], "none": [(199, 205)]}
