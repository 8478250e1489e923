"""Targeted context on real release diffs: how much of each change's enclosing definition the model
sees, and what it costs in code tokens, with and without targeted context.

The fixtures (benchmarks/context_data.py: fetched by pinned sha256 into the eval's sdist cache)
are patch releases of public packages from PyPI, diffed with `-U3` as GitHub shows a pull request,
with the head version of every changed file. Each is planned exactly as a pull request would be
(`make_plan`, default budget), once with `context: definitions` and once with `context: hunks`.
"""

from __future__ import annotations

from pathlib import Path

from batch_review.context import ContextStats, select_context
from batch_review.diff import parse_patch, split_git_diff
from batch_review.plan import Budget, Plan, make_plan
from batch_review.sources.base import SourceFile

from .common import Row
from .context_data import fixtures
from .tokens import counter

TARGET = 0.95


def sources(fixture: Path) -> list[SourceFile]:
    files = []
    for section in split_git_diff((fixture / "release.diff").read_text(encoding="utf-8")):
        if "@@" not in section:
            continue
        header = section.split("\n", 1)[0]  # diff --git a/<path> b/<path>
        path = header.rsplit(" b/", 1)[1]
        head = (fixture / "head" / path).read_bytes()
        files.append(SourceFile(path, "modified", patch=section[section.index("@@"):], load=lambda data=head: data))
    return files


def measure(plan: Plan) -> tuple[int, int]:
    """(tokens of the code sent, tokens of the changed lines), counted with the real tokenizer."""
    count, _ = counter()
    sent = changed = 0
    for request in plan.requests:
        for piece in request.pieces:
            rows = plan.rows(piece)
            sent += count("\n".join(row.text for row in rows))
            changed += count("\n".join(row.text for row in rows if row.kind != " "))
    return sent, changed


def hunks_stats(files: list[SourceFile]) -> ContextStats:
    """What GitHub's hunks alone show of each changed line's enclosing definition."""
    total = ContextStats()
    for source in files:
        diff = parse_patch(source.patch or "")
        total += select_context(source.path, source.load() if source.load else None, diff, 0, mode="hunks").stats
    return total


def by_ast(plan: Plan, files: list[SourceFile]) -> tuple[int, int, int, int]:
    """The whole-definition figure counted a second way, over the Python files: (whole, changed lines) by
    Python's `ast` on base and head against the rows the plan shows (tests/support/whole_count.py), and the
    planner's own (whole, changed lines) of the same files."""
    from batch_review.context.change_map import base_from_head
    from tests.support.whole_count import whole_by_ast

    counted = [0, 0, 0, 0]
    for source in files:
        view = plan.files[source.path].view
        head = source.load() if source.load else None
        base = base_from_head(head, parse_patch(source.patch or "")) if head is not None else None
        if not source.path.endswith(".py") or view is None or head is None or base is None:
            continue
        shown = {row.new for row in view.rows if row.new is not None}
        deleted = [row.text for row in view.rows if row.kind == "-"]
        whole, changed = whole_by_ast(base.decode(), head.decode(), source.patch or "", shown, deleted)
        for index, value in enumerate((whole, changed, view.stats.whole_lines, view.stats.changed_lines)):
            counted[index] += value
    return counted[0], counted[1], counted[2], counted[3]


def figures() -> list[Row]:
    import io

    from batch_review.log import log

    log.configure(actions=False, stream=io.StringIO())  # the planner's own lines are not figures
    _, how = counter()
    rows: list[Row] = []
    for fixture in fixtures():
        name = fixture.name.replace("-", " ", 1).replace("-", " → ", 1)
        files = sources(fixture)
        wide = make_plan(files, [], Budget())
        narrow = make_plan(files, [], Budget(context="hunks"))
        stats, before = wide.context, hunks_stats(files)
        ast_whole, ast_changed, own_whole, own_changed = by_ast(wide, files)
        agree = (ast_whole, ast_changed) == (own_whole, own_changed)
        rows.append(Row(
            f"changed lines whose enclosing definition is shown whole, {name} ({len(files)} files)",
            f"{100 * stats.whole_share:.1f} %", f"≥ {TARGET:.0%}", stats.whole_share >= TARGET and agree,
            f"{stats.whole_lines:,} of {stats.changed_lines:,} ({stats.unplaced_lines:,} changed lines that nothing "
            f"encloses — blank lines, comments between definitions — count as not whole; a deleted line goes "
            f"with the definition around where it was, one deleted whole counts whole); by Python's ast on base "
            f"and head: {ast_whole:,} of {ast_changed:,} (the planner's own for the same Python files: "
            f"{own_whole:,} of {own_changed:,}); GitHub's hunks alone: "
            f"{100 * before.whole_share:.1f} % ({before.whole_lines:,})",
        ))
        sent, changed = measure(wide)
        sent_hunks, changed_hunks = measure(narrow)
        rows.append(Row(
            f"context ratio (code tokens sent / changed-line tokens), {name}: with / without targeted context",
            f"{sent / changed:.1f} / {sent_hunks / changed_hunks:.1f}", "report", None,
            f"{sent:,} / {changed:,} vs GitHub's hunks {sent_hunks:,} / {changed_hunks:,} ({how}); "
            f"{len(wide.requests)} vs {len(narrow.requests)} requests",
        ))
    return rows


if __name__ == "__main__":
    for row in figures():
        print(f"{row.figure}: {row.value} ({row.note})")
