"""The plan's "changed lines shown with their whole enclosing definition" figure, as a user reads it from
`batch-review review` (a dry run without an API key prints it with the plan), on real git repositories:
a 2-line function changed whole, lines deleted at the end of a function, a function and a method deleted,
a file deleted. A deleted line's definition is the one around the place it was deleted from, in the new
file; a definition deleted whole counts as shown whole (all of it is in front of the model, as `-` rows).

The figure is checked a second, independent way: a run against the loopback API captures what the model
received, and Python's `ast` on the base and the head (tests/support/whole_count.py, with the eval's
`evaluation.recall.enclosing` for statements), from the text of `git diff -U0`, decides line by line
whether the changed line's definition reached the model whole."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from batch_review import linear
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.model_brain import planted_brain, user_text
from tests.support.gitrepo import GitRepo
from tests.support.whole_count import whole_by_ast as count_by_ast

KEY = "sk-ant-api03-whole-count-key-00000"
PAD = "".join(f"def pad{i}(x):\n    return x + {i}\n\n\n" for i in range(40))  # 160 lines: the view is widened
STORE = ("class Store:\n    def save(self, x):\n        self.x = x\n        return x\n\n"
         "    def drop(self):\n        self.x = None\n        self.flush()\n\n"
         "    def load(self):\n        return self.x\n\n\n")
FIGURE = linear.compile(r"targeted context: (\d+) of (\d+) changed lines shown with their whole enclosing definition "
                        r"\(\d+%\)(?:, (\d+) held by none \(blank or comment lines between definitions\))?;")
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
    # a function replaced whole, the comment above it dropped: the comment stood between definitions
    "function replaced, its comment dropped": Case(
        {"m.py": PAD + "# about f\ndef f(x):\n    return x\n\n\n" + PAD},
        {"m.py": PAD + "def g(y):\n    return y + 1\n\n\n" + PAD}, 4, 5),
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
    # a function deleted right after a multi-line statement: its indented body is not that statement's end
    "function deleted after a statement": Case(
        {"m.py": PAD + "TABLE = (\n    1,\n    2,\n)\n\n\ndef gone(x):\n    if x:\n        return 1\n\n"
                       "    return 2\n\n\n" + PAD},
        {"m.py": PAD + "TABLE = (\n    1,\n    2,\n)\n\n\n" + PAD}, 5, 7),
    # the end of one function and the whole next one, in one deleted block
    "end of a function and the next": Case(
        {"m.py": PAD + "def keep(x):\n    a = x\n    return a\n\n\ndef gone(y):\n    return y\n\n\n" + PAD},
        {"m.py": PAD + "def keep(x):\n    a = x\n\n\n" + PAD}, 3, 5),
    # comment lines between definitions, added or deleted, are held by no definition: not whole
    "comments between definitions": Case(
        {"m.py": PAD + "# about X\nX = 1\n\n\n" + PAD},
        {"m.py": PAD + "# a note on Y\nY = 2\n\n# another\n\n" + PAD}, 2, 5),
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
    """The plan's (whole, changed lines); the lines it says no definition holds are the others, here."""
    found = [FIGURE.search(line) for line in output.splitlines()]
    (match,) = [m for m in found if m]
    whole, changed = int(match.group(1)), int(match.group(2))
    assert int(match.group(3) or 0) == changed - whole, match.group(0)
    return whole, changed


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


def whole_by_ast(repo: GitRepo, case: Case, requests: list[str]) -> tuple[int, int]:
    """(changed lines whose definition the model saw whole, changed lines) over the reviewed files, by `ast`."""
    shown = sent(requests)
    whole = changed = 0
    for path, new in case.head.items():
        if new is None:
            continue  # a deleted file is not reviewed
        patch = repo.run("diff", "-U0", "main", "feature", "--", path).decode()
        lines, deleted = shown[path]
        counted = count_by_ast(case.base[path], new, patch, set(lines), deleted)
        whole, changed = whole + counted[0], changed + counted[1]
    return whole, changed


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
