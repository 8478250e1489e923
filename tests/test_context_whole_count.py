"""The plan's "changed lines shown with their whole enclosing definition" figure, as a user reads it from
`batch-review review` (a dry run without an API key prints it with the plan), on real git repositories:
a 2-line function changed whole, lines deleted at the end of a function, a function and a method deleted,
a file deleted. A deleted line's definition is the one around the place it was deleted from, in the new
file; a definition deleted whole counts as shown whole (all of it is in front of the model, as `-` rows).

The figure is checked a second, independent way: a run against the loopback API captures what the model
received, and Python's `ast` on the base and head (`evaluation.recall.enclosing`, the eval's reader),
with the hunks of `git diff -U0` read here from their headers, decides line by line whether the changed
line's definition reached the model whole."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from batch_review import linear
from batch_review.evaluation.recall import enclosing
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.model_brain import planted_brain, user_text
from tests.support.gitrepo import GitRepo

KEY = "sk-ant-api03-whole-count-key-00000"
PAD = "".join(f"def pad{i}(x):\n    return x + {i}\n\n\n" for i in range(40))  # 160 lines: the view is widened
STORE = ("class Store:\n    def save(self, x):\n        self.x = x\n        return x\n\n"
         "    def drop(self):\n        self.x = None\n        self.flush()\n\n"
         "    def load(self):\n        return self.x\n\n\n")
FIGURE = linear.compile(r"targeted context: (\d+) of (\d+) changed lines shown with their whole enclosing definition")
HUNK = linear.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
SHOWN = linear.compile(r"^ *(\d+)[+ ](.*)$")
DELETED = linear.compile(r"^ +-(.*)$")


@dataclass(frozen=True)
class Case:
    base: dict[str, str]
    head: dict[str, str | None]  # None: the file is deleted
    whole: int  # the figure the plan must print: lines whole of changed lines
    changed: int


CASES = {
    # both lines of a 2-line function replaced: each deleted line goes with the line that replaced it
    "two-line function": Case({"m.py": PAD + "def f(x):\n    return x\n\n\n" + PAD},
                              {"m.py": PAD + "def g(y):\n    return y + 1\n\n\n" + PAD}, 4, 4),
    # the end of a function cut after a blank line (and a blank line between definitions: nothing encloses it)
    "end of a function": Case(
        {"m.py": PAD + "def tail(x):\n    a = x + 1\n    b = a * 2\n\n    log(b)\n    return b\n\n\n" + PAD},
        {"m.py": PAD + "def tail(x):\n    a = x + 1\n    b = a * 2\n\n\n" + PAD}, 2, 3),
    # a decorated function deleted whole: its 4 lines are shown whole as deleted rows; 2 blank lines are not
    "deleted function": Case(
        {"m.py": PAD + "@cached\ndef gone(x):\n    y = x * 3\n    return y\n\n\n" + PAD},
        {"m.py": PAD + PAD}, 4, 6),
    # a method deleted from a class (3 lines and the blank line after it, inside the class: 3 whole)
    "deleted method": Case({"m.py": PAD + STORE + PAD},
                           {"m.py": PAD + STORE.replace("    def drop(self):\n        self.x = None\n"
                                                        "        self.flush()\n\n", "") + PAD}, 3, 4),
    # a file deleted is not reviewed (skipped, "deleted"): the figure counts the other file's lines only
    "deleted file": Case({"m.py": PAD + "def f(x):\n    return x\n\n\n" + PAD, "old.py": PAD},
                         {"m.py": PAD + "def f(x):\n    return x - 1\n\n\n" + PAD, "old.py": None}, 2, 2),
}


def build(root: Path, case: Case) -> GitRepo:
    repo = GitRepo.init(root)
    for path, text in case.base.items():
        repo.write(path, text)
    repo.commit("base")
    repo.checkout_new_branch("feature")
    for path, new in case.head.items():
        if new is None:
            repo.run("rm", "-q", path)
        else:
            repo.write(path, new)
    repo.commit("change")
    return repo


def review(repo: GitRepo, tmp_path: Path, key: str = "", base_url: str = "") -> tuple[str, dict[str, object]]:
    """`batch-review review --base main` as a user runs it: its printed output and its JSON report."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    report = tmp_path / f"report{'-keyed' if key else ''}.json"
    env = {"PATH": os.environ["PATH"], "HOME": str(home)}
    if key:
        env |= {"ANTHROPIC_API_KEY": key, "ANTHROPIC_BASE_URL": base_url}
    command = [sys.executable, "-m", "batch_review.cli", "review", str(repo.path), "--base", "main",
               "--json", str(report), "--no-verify"]
    proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr, json.loads(report.read_text())


def figure(output: str) -> tuple[int, int]:
    found = [FIGURE.search(line) for line in output.splitlines()]
    (match,) = [m for m in found if m]
    return int(match.group(1)), int(match.group(2))


# -- the second way: `ast`, the hunks' headers, and the text the model received ----------------------
def sent(requests: list[str]) -> dict[str, tuple[dict[int, str], list[str]]]:
    """path -> (its numbered lines as shown, its deleted rows in order), over every review request."""
    out: dict[str, tuple[dict[int, str], list[str]]] = {}
    for text in requests:
        current: tuple[dict[int, str], list[str]] | None = None
        for line in text.split("\n"):
            if line.startswith('### "'):
                current = out.setdefault(json.JSONDecoder().raw_decode(line, 4)[0], ({}, []))
            elif line.startswith("</code"):
                current = None
            elif current is not None and (row := SHOWN.match(line)):
                current[0][int(row.group(1))] = row.group(2)
            elif current is not None and (row := DELETED.match(line)):
                current[1].append(row.group(1))
    return out


def hunks(repo: GitRepo, path: str) -> list[tuple[list[int], list[int]]]:
    """Each hunk of `git diff -U0 main feature -- path`: its deleted (base) and added (head) line numbers."""
    out = []
    for line in repo.run("diff", "-U0", "main", "feature", "--", path).decode().splitlines():
        match = HUNK.match(line)
        if match:
            a, b, c, d = (int(g) if g is not None else 1 for g in match.groups())
            out.append((list(range(a, a + b)), list(range(c, c + d))))
    return out


def functions(tree: ast.Module) -> dict[str, tuple[int, int]]:
    """Every function and method by dotted name: its lines, decorators included."""
    out: dict[str, tuple[int, int]] = {}

    def walk(nodes: list[ast.stmt], scope: tuple[str, ...]) -> None:
        for node in nodes:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = (*scope, node.name)
                if not isinstance(node, ast.ClassDef):
                    start = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                    out.setdefault(".".join(name), (start, node.end_lineno or node.lineno))
                walk(node.body, name)

    walk(tree.body, ())
    return out


def innermost(tree: ast.Module, line: int) -> str | None:
    around = [(end - start, name) for name, (start, end) in functions(tree).items() if start <= line <= end]
    return min(around)[1] if around else None


def whole_by_ast(repo: GitRepo, case: Case, requests: list[str]) -> tuple[int, int]:
    """(changed lines whose definition the model saw whole, changed lines) over the reviewed files."""
    shown = sent(requests)
    whole = changed = 0
    for path, new in case.head.items():
        if new is None:
            continue  # a deleted file is not reviewed
        base, lines_shown, deleted_shown = case.base[path], *shown[path]
        old_tree, new_tree = ast.parse(base), ast.parse(new)
        old_lines = base.split("\n")
        deleted_everywhere = {n for gone, _ in hunks(repo, path) for n in gone}
        for gone, added in hunks(repo, path):
            for line in added:
                changed += 1
                found = enclosing(new, line, line)
                whole += found is not None and all(set(range(s, e + 1)) <= set(lines_shown) for s, e in found.spans())
            for line in gone:
                changed += 1
                found = enclosing(base, line, line)
                if found is None:
                    continue  # a blank or comment line between statements: nothing encloses it
                start, end = found.span
                if set(range(start, end + 1)) <= deleted_everywhere:  # deleted whole: shown as `-` rows?
                    whole += _in_order(old_lines[start - 1 : end], deleted_shown)
                    continue
                name = innermost(old_tree, line)  # it lives on in the head: the function of the same name
                assert name is not None and found.kind == "function", (path, line, found)
                now = functions(new_tree).get(name)
                whole += now is not None and set(range(now[0], now[1] + 1)) <= set(lines_shown)
    return whole, changed


def _in_order(wanted: list[str], rows: list[str]) -> bool:
    at = 0
    for text in wanted:
        while at < len(rows) and rows[at] != text:
            at += 1
        if at == len(rows):
            return False
        at += 1
    return True


@pytest.mark.parametrize("name", list(CASES))
def test_the_plans_whole_definition_figure_counts_deleted_lines_where_they_were(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    repo = build(tmp_path / "repo", case)
    output, report = review(repo, tmp_path)  # no key: the plan is printed, nothing is sent
    assert "No ANTHROPIC_API_KEY is set: showing the plan" in output
    assert figure(output) == (case.whole, case.changed), output
    files = {f["path"]: (f["status"], f["reason"]) for f in report["files"]}  # type: ignore[attr-defined]
    assert report["dry_run"] is True and set(files) == set(case.head), files
    for path, new in case.head.items():
        expected = ("skipped", "deleted") if new is None else ("pending", "not reviewed: no API key")
        assert files[path] == expected, files

    with FakeAnthropicAPI(api_key=KEY, brain=planted_brain, strict=True) as ai:
        keyed, keyed_report = review(repo, tmp_path, KEY, ai.base_url)
        requests = [user_text(r.json) for r in ai.requests if r.path == "/v1/messages"]
    assert keyed_report["status"] == "clean" and len(requests) == 1
    assert figure(keyed) == (case.whole, case.changed)  # the same plan when it is sent
    assert whole_by_ast(repo, case, requests) == (case.whole, case.changed)  # and `ast` agrees with it
