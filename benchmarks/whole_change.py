"""What every request shares (issue #15), measured:

- the cached prefix of a 12-file pull request (tests/test_pr_review.py's, run through the action against the
  loopback fakes) over the default model's minimum cacheable prefix: the system blocks the fake API received
  counted with Claude's published tokenizer, checked against batch-review's own conservative count and the
  cache writes the fake reported (it counts characters / 4 and enforces each model's floor);
- on the real release diffs of benchmarks/data/context, the changed lines whose whole enclosing function the
  model is shown, judged by an independent parser (Python's `ast`: the outermost function around each added
  line in the head, around each deleted line in the base, lineno..end_lineno all among the rows shown).
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from batch_review.config import DEFAULT_MODEL
from batch_review.context.change_map import base_from_head
from batch_review.diff import parse_patch
from batch_review.plan import Budget, make_plan
from batch_review.pricing import cache_floor
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import planted_brain
from tests.support.runner import RunnerEnv

from .common import KEY, Row, run_env
from .context import sources
from .context_data import fixtures
from .tokens import counter

Function = ast.FunctionDef | ast.AsyncFunctionDef


def prefix_figure(tmp: Path) -> Row:
    from tests.test_pr_review import build_twelve_file_pr

    fx = build_twelve_file_pr(tmp / "prefix-repo")
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY, brain=planted_brain) as ai:
        gh.add_pull(fx)
        env = RunnerEnv.for_pull(tmp / "prefix-runner", fx, gh, ai, KEY, {"min-severity": "info", "verify": "false"})
        code = run_env(env)
        report = env.report()
        reviews = [r for r in ai.requests if r.path == "/v1/messages" and r.status == 200]
        system = "".join(b["text"] for b in reviews[0].json["system"])
        written = max((r.usage or {}).get("cache_creation_input_tokens", 0) for r in reviews)
    count, how = counter()
    floor = cache_floor(DEFAULT_MODEL)
    estimated = report["cache_prefix"]["estimated_tokens"]
    counted = count(system)
    low = min(estimated, counted)
    return Row(
        f"cached prefix on a 12-file PR / {DEFAULT_MODEL}'s minimum cacheable prefix",
        f"{low / floor:.2f}", "≥ 1", code in (0, 1) and low >= floor,
        f"the lower of: the system blocks sent (system prompt, intent, change map) counted {counted:,} ({how}); "
        f"batch-review's own conservative count {estimated:,} ({estimated / floor:.2f}); over {floor:,}. The fake "
        f"API (characters / 4) wrote {written:,} to its cache",
    )


def _outermost(tree: ast.AST, line: int) -> Function | None:
    around = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
              and n.lineno <= line <= (n.end_lineno or n.lineno)]
    return min(around, key=lambda n: n.lineno, default=None)


def _named(tree: ast.AST, name: str, gap: int) -> Function | None:
    """The head's function of that name around the gap a deleted line left (overloads share a name)."""
    found = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == name]
    return min(found, key=lambda n: 0 if n.lineno <= gap <= (n.end_lineno or n.lineno) + 1
               else min(abs(n.lineno - gap), abs((n.end_lineno or n.lineno) - gap)), default=None)


def _deleted_gaps(diff: Any) -> list[tuple[int, int]]:
    """(old line, the head line it sat just before) of every deleted line."""
    out, added, deleted = [], 0, 0
    for row in diff.rows:
        if row.kind == "+":
            added += 1
        elif row.kind == "-" and row.old is not None:
            out.append((row.old, row.old - deleted + added))
            deleted += 1
    return out


def whole_by_ast() -> list[Row]:
    rows: list[Row] = []
    total_whole = total = 0
    for fixture in fixtures():
        files = sources(fixture)
        plan = make_plan(files, [], Budget())
        whole = counted = 0
        for source in files:
            head = source.load() if source.load else None
            diff = parse_patch(source.patch or "")
            view = plan.files[source.path].view
            base = base_from_head(head, diff) if head is not None else None
            if head is None or base is None or view is None:
                continue
            shown = {row.new for row in view.rows if row.new is not None}
            try:
                head_tree, base_tree = ast.parse(head), ast.parse(base)
            except SyntaxError:
                continue
            wanted: list[Function] = [f for f in (_outermost(head_tree, n) for n in sorted(diff.added)) if f]
            for line, gap in _deleted_gaps(diff):
                was = _outermost(base_tree, line)
                now = _named(head_tree, was.name, gap) if was is not None else None
                if now is not None:
                    wanted.append(now)
            for function in wanted:
                counted += 1
                whole += set(range(function.lineno, (function.end_lineno or function.lineno) + 1)) <= shown
        total_whole, total = total_whole + whole, total + counted
        name = fixture.name.replace("-", " ", 1).replace("-", " → ", 1)
        rows.append(Row(f"changed lines' whole enclosing functions shown, by Python's ast, {name}",
                        f"{100 * whole / counted:.1f} %" if counted else "—", "100 %", whole == counted,
                        f"{whole:,} of {counted:,} changed lines inside a function; the planner's own figure: "
                        f"{plan.context.whole_lines:,} of {plan.context.changed_lines:,} changed lines whole"))
    if total:
        rows.append(Row("changed lines' whole enclosing functions shown, by Python's ast, all release diffs",
                        f"{100 * total_whole / total:.1f} %", "100 %", total_whole == total,
                        f"{total_whole:,} of {total:,}"))
    return rows


def figures(tmp: Path) -> list[Row]:
    import io

    from batch_review.log import log

    log.configure(actions=False, stream=io.StringIO())
    return [prefix_figure(tmp), *whole_by_ast()]


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        for row in figures(Path(tmp)):
            print(json.dumps(row.__dict__, ensure_ascii=False))
