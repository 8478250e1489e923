"""The "whole definition" figure, checked by an independent parser: for every changed line of a real diff,
Python's own `ast` finds the function around it (in the head for an added line, in the base for a deleted
one), and that function's lines `lineno..end_lineno` must all be among the rows the model is shown — a
deletion at the end of a function, after a blank line, included. An anchor nothing encloses is not counted
as whole."""

from __future__ import annotations

import ast
from pathlib import Path

from batch_review.context import select_context
from batch_review.diff import parse_patch
from batch_review.filters import FileFilter
from batch_review.plan import Budget, make_plan
from batch_review.sources.local_git import collect_local
from tests.support.gitrepo import GitRepo

PAD = "".join(f"def pad{i}(x):\n    return x + {i}\n\n\n" for i in range(25))
BASE_MIDDLE = '''def tail_trim(x):
    a = x + 1
    b = a * 2

    log(b)
    return b


def edited(items):
    total = 0
    for item in items:
        total += item
    return total


class Store:
    def save(self, x):
        self.x = x
        self.flush()

    def load(self):
        return self.x


def tail_cut(y):
    y = y + 1
    return y


'''
HEAD_MIDDLE = '''def tail_trim(x):
    a = x + 1
    b = a * 2



def edited(items):
    total = 0
    for item in items:
        total += item * 2
    return total


class Store:
    def save(self, x):
        self.x = x

    def load(self):
        return self.x


def tail_cut(y):
    y = y + 1


'''
BASE, HEAD = PAD + BASE_MIDDLE + PAD, PAD + HEAD_MIDDLE + PAD


def _outermost_function(tree: ast.AST, line: int) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    around = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
              and node.lineno <= line <= (node.end_lineno or node.lineno)]
    return min(around, key=lambda node: node.lineno, default=None)


def _named(tree: ast.AST, name: str) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    return next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and n.name == name), None)


def _check(base: str, head: str, patch: str, shown: set[int]) -> list[str]:
    """Each changed line's function, by `ast`, that is not wholly among `shown` (head line numbers)."""
    diff = parse_patch(patch)
    base_tree, head_tree = ast.parse(base), ast.parse(head)
    missing: list[str] = []
    wanted: list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]] = []
    for line in sorted(diff.added):
        function = _outermost_function(head_tree, line)
        if function is not None:
            wanted.append((f"+{line}", function))
    for line in sorted(diff.deleted):
        was = _outermost_function(base_tree, line)
        now = _named(head_tree, was.name) if was is not None else None
        if now is not None:
            wanted.append((f"-{line}", now))
    assert wanted
    for label, function in wanted:
        lines = set(range(function.lineno, (function.end_lineno or function.lineno) + 1))
        if not lines <= shown:
            missing.append(f"{label}: {function.name} {function.lineno}-{function.end_lineno}")
    return missing


def _repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("pkg/store.py", BASE)
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write("pkg/store.py", HEAD)
    repo.commit("change")
    return repo


def test_every_changed_lines_function_is_shown_whole_by_pythons_own_parser(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    for context in (3, 0):  # GitHub's hunks, and `git diff -U0` (a deletion with no line around it)
        collected = collect_local(repo.path, "main", FileFilter((), ()), context_lines=context, head="HEAD")
        plan = make_plan(collected.files, collected.skipped, Budget())
        (source,) = collected.files
        view = plan.files["pkg/store.py"].view
        assert view is not None and view.kind == "definitions", view  # widened, not the whole file
        shown = {row.new for row in view.rows if row.new is not None}
        assert _check(BASE, HEAD, source.patch or "", shown) == [], context
        assert plan.context.whole_lines == plan.context.changed_lines  # the figure agrees with ast


def test_the_end_of_a_function_cut_after_a_blank_line_is_attributed_to_it(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    collected = collect_local(repo.path, "main", FileFilter((), ()), context_lines=3, head="HEAD")
    (source,) = collected.files
    diff = parse_patch(source.patch or "")
    view = select_context("pkg/store.py", HEAD.encode(), diff, 4000)
    shown = {row.new for row in view.rows if row.new is not None}
    start = HEAD.split("\n").index("def tail_trim(x):") + 1
    assert {start, start + 1, start + 2} <= shown  # its signature and body, not 3 lines without a signature
    assert _check(BASE, HEAD, source.patch or "", shown) == []


def test_a_line_nothing_encloses_is_not_counted_whole(tmp_path: Path) -> None:
    """A blank line added between two top-level functions has no enclosing definition: it is shown (every
    changed line is), but the figure does not claim its definition was."""
    head = PAD + "\n" + PAD
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("m.py", PAD + PAD)
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write("m.py", head)
    repo.commit("a blank line")
    collected = collect_local(repo.path, "main", FileFilter((), ()), context_lines=3, head="HEAD")
    (source,) = collected.files
    view = select_context("m.py", head.encode(), parse_patch(source.patch or ""), 4000)
    assert view.stats.changed_lines == 1 and view.stats.whole_lines == 0


# -- the eval's "whole enclosing definition" (evaluation/recall.py), checked by a second `ast` reader -------------
METHODS = "".join(f"    def m{i}(self, x):\n" + "".join(f"        x = step(x, {i}, {j}, 'padding words')\n"
                                                         for j in range(25)) + "        return x\n\n"
                  for i in range(20))
MODULE_TABLE = "RULES = (\n" + "".join(f"    ('rule{i}', {i}),\n" for i in range(30)) + ")\n"
BIG_BASE = (PAD + MODULE_TABLE + "\n\nclass Big:\n    \"\"\"A class far over any request's budget.\"\"\"\n\n"
            "    LIMIT = 10\n    NAME = 'big'\n\n" + METHODS + PAD)
BIG_HEAD = (BIG_BASE.replace("    ('rule15', 15),", "    ('rule15', -15),")
            .replace("    LIMIT = 10", "    LIMIT = 100")
            .replace("        x = step(x, 12, 13, 'padding words')", "        x = step(x, 12, 13, 'padding word')"))


def test_labels_in_a_class_too_big_to_show_and_at_module_level_have_their_whole_definition_shown(
        tmp_path: Path) -> None:
    """A method changed in a class far over the budget: the method is shown whole (not the class); a changed class
    attribute: its statement with the `class` line; a line inside a 32-line module-level tuple: the whole
    statement. The eval's recall (evaluation/recall.py) and the test's own `ast` reader agree on each."""
    from batch_review.evaluation.recall import enclosing
    from tests.support.eval_data import whole_definition

    repo = GitRepo.init(tmp_path / "repo")
    repo.write("pkg/big.py", BIG_BASE)
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write("pkg/big.py", BIG_HEAD)
    repo.commit("change")
    collected = collect_local(repo.path, "main", FileFilter((), ()), context_lines=3, head="HEAD")
    plan = make_plan(collected.files, collected.skipped, Budget())
    view = plan.files["pkg/big.py"].view
    assert view is not None and view.kind == "definitions"
    shown = {row.new for row in view.rows if row.new is not None}
    lines = BIG_HEAD.split("\n")
    class_line = lines.index("class Big:") + 1
    assert not set(range(class_line, class_line + METHODS.count("\n"))) <= shown  # the class is not shown whole
    expected = {
        "    ('rule15', -15),": ("statement", lines.index("RULES = (") + 1, lines.index("RULES = (") + 32, []),
        "    LIMIT = 100": ("statement", lines.index("    LIMIT = 100") + 1, lines.index("    LIMIT = 100") + 1,
                           [[class_line, class_line]]),
        "        x = step(x, 12, 13, 'padding word')": ("function", lines.index("    def m12(self, x):") + 1,
                                                        lines.index("    def m12(self, x):") + 27, []),
    }
    for text, (kind, first, last, headers) in expected.items():
        line = lines.index(text) + 1
        found = enclosing(BIG_HEAD, line, line)
        assert found is not None and found.to_json() == {"kind": kind, "lines": [first, last], "headers": headers}
        assert whole_definition(BIG_HEAD, line, line) == [(first, last), *map(tuple, headers)]
        for start, end in found.spans():
            assert set(range(start, end + 1)) <= shown, (text, start, end)
