#!/usr/bin/env python3
"""Write docs/example-review.md: what batch-review posts on a pull request, produced by the real action.

A small pull request (three Python files, real git) is reviewed by `batch-review action` exactly as a runner
starts it, against the loopback fakes of GitHub and the Anthropic API that the tests use (tests/fakes/),
with a scripted model answer. What the GitHub fake received — the review body, an inline comment with a
suggestion, the status comment and the check run — is written out as GitHub shows it (the hidden HTML
markers dropped). tests/test_examples.py fails when the committed file differs from this script's output.

    .venv/bin/python scripts/render_examples.py            # rewrite docs/example-review.md
    .venv/bin/python scripts/render_examples.py --check    # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import os
import re
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "example-review.md"
KEY = "sk-ant-api03-example-000000000000"

CONNECT = (
    "import sqlite3\n\n\n"
    "def connect(path: str) -> sqlite3.Connection:\n"
    "    return sqlite3.connect(path, check_same_thread=False)\n\n\n"
)
BASE = {  # the code under review (test data, not queries this script runs)
    "app/users.py": (
        CONNECT +  # noqa: S608
        "def find_user(db: sqlite3.Connection, name: str) -> list[tuple[str, str]]:\n"
        '    """The users called `name`."""\n'
        '    rows = db.execute("SELECT id, name FROM users WHERE name = ?", (name,))\n'
        "    return rows.fetchall()\n"
    ),
    "app/pages.py": (
        "def page(items: list[str], number: int, size: int = 20) -> list[str]:\n"
        '    """Items of page `number` (1-based)."""\n'
        "    start = (number - 1) * size\n"
        "    return items[start:start + size]\n"
    ),
    "app/config.py": 'TIMEOUT_SECONDS = 30\nRETRIES = 3\n',
}
HEAD = {
    "app/users.py": (
        CONNECT +  # noqa: S608
        "def find_user(db: sqlite3.Connection, name: str) -> list[tuple[str, str]]:\n"
        '    """The users called `name`, newest first."""\n'
        "    rows = db.execute(f\"SELECT id, name FROM users WHERE name = '{name}' ORDER BY id DESC\")\n"
        "    return rows.fetchall()\n"
    ),
    "app/pages.py": (
        "def page(items: list[str], number: int, size: int = 20) -> list[str]:\n"
        '    """Items of page `number` (1-based)."""\n'
        "    start = number * size\n"
        "    return items[start:start + size]\n"
    ),
    "app/config.py": 'TIMEOUT_SECONDS = 30\nRETRIES = 5\n',
}
# What the scripted model says: (path, a piece of the flagged line, the finding without path and line).
ANSWERS: list[tuple[str, str, dict[str, Any]]] = [
    ("app/users.py", "db.execute(f\"", {
        "severity": "high", "category": "security", "title": "SQL query built from the caller's input",
        "body": "`name` is pasted into the SQL text, so a name holding a quote changes the query "
                "(`x' OR '1'='1` returns every user). Pass it as a parameter, as the code did before.",
        "suggestion": "    rows = db.execute(\"SELECT id, name FROM users WHERE name = ? ORDER BY id DESC\", (name,))",
        "confidence": 0.95, "end_line": None}),
    ("app/users.py", "check_same_thread=False", {
        "severity": "low", "category": "reliability", "title": "One connection shared across threads, unlocked",
        "body": "`check_same_thread=False` lets several threads use this connection, but nothing serializes "
                "them; concurrent writes can fail with `database is locked`. Open a connection per thread.",
        "suggestion": None, "confidence": 0.7, "end_line": None}),
    ("app/pages.py", "start = number * size", {
        "severity": "medium", "category": "bug", "title": "Page 1 skips the first page of items",
        "body": "`number` is 1-based (see the docstring), so `start` must be `(number - 1) * size`; "
                "as written, page 1 returns items 21-40 and the first 20 are never shown.",
        "suggestion": None, "confidence": 0.9, "end_line": None}),
]


def _fakes() -> tuple[Any, Any, Any, Any]:
    """The test fakes and helpers (imported by name: they are test code, not part of the package)."""
    sys.path.insert(0, str(ROOT))
    github = importlib.import_module("tests.fakes.github_api")
    anthropic = importlib.import_module("tests.fakes.anthropic_api")
    gitrepo = importlib.import_module("tests.support.gitrepo")
    runner = importlib.import_module("tests.support.runner")
    return github, anthropic, gitrepo, runner


def scripted_model(body: dict[str, Any]) -> str:
    """The review answer: each scripted finding whose line the request shows, at that line."""
    brain = importlib.import_module("tests.fakes.model_brain")
    findings = []
    for section in brain.parse_sections(brain.user_text(body)):
        for number, _marker, code in section.lines:
            for path, needle, finding in ANSWERS:
                if section.path == path and needle in code:
                    findings.append({"path": path, "line": number, **finding})
    return str(brain.review_answer(findings, brain.user_text(body)))


@contextlib.contextmanager
def _runner_environment(environ: dict[str, str], cwd: Path) -> Iterator[None]:
    saved, here = dict(os.environ), Path.cwd()
    os.environ.clear()
    os.environ.update(environ)
    os.chdir(cwd)
    try:
        yield
    finally:
        os.chdir(here)
        os.environ.clear()
        os.environ.update(saved)


def review_the_example(tmp: Path) -> dict[str, Any]:
    """Run the action on the example pull request; what GitHub received."""
    github, anthropic, gitrepo, runner = _fakes()
    repo = gitrepo.GitRepo.init(tmp / "repo")
    for path, text in BASE.items():
        repo.write(path, text)
    repo.commit("base")
    repo.checkout_new_branch("feature")
    for path, text in HEAD.items():
        repo.write(path, text)
    repo.commit("Users newest first; five retries")
    fx = gitrepo.pull_from_git(repo, "main", "feature", 7)
    from batch_review.action import main

    with github.FakeGitHub() as gh, anthropic.FakeAnthropicAPI(api_key=KEY, brain=scripted_model, strict=True) as ai:
        gh.add_pull(fx)
        env = runner.RunnerEnv.for_pull(tmp / "runner", fx, gh, ai, KEY,
                                        {"fail-on": "high", "request-changes-on": "high"})
        environ = env.environ()
        with _runner_environment(environ, fx.repo.path):
            code = main(environ=environ, stream=io.StringIO())
        if code != 1:
            raise SystemExit(f"the example review should fail on its high finding, exit code {code}")
        return {"reviews": list(gh.reviews), "comments": list(gh.review_comments),
                "issue_comments": list(gh.issue_comments), "check_runs": list(gh.check_runs)}


def shown(markdown: str) -> str:
    """The text as GitHub shows it: hidden HTML comments (batch-review's markers) dropped."""
    text = re.sub(r"<!--.*?-->", "", markdown, flags=re.S)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def quoted(markdown: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in shown(markdown).splitlines())


def render(posted: dict[str, Any]) -> str:
    [review] = posted["reviews"]
    inline = next(c for c in posted["comments"] if "```suggestion" in c["body"])
    [status] = posted["issue_comments"]
    [check] = posted["check_runs"]
    rows = "\n".join(
        f"| `{a['path']}` | {a['start_line']}–{a['end_line']} | {a['annotation_level']} | {a['title']} |"
        for a in check["annotations"])
    line = (f"lines {inline['start_line']}–{inline['line']}" if inline.get("start_line")
            else f"line {inline['line']}")
    return f"""# What a posted review looks like

<!-- Generated by scripts/render_examples.py from the real publishers; do not edit by hand. -->

A three-file pull request (a query built from user input, an off-by-one page, a changed constant; and an
older problem in an unchanged function the model was shown) reviewed by
`batch-review action` with `fail-on: high` and `request-changes-on: high`, exactly as a runner starts it, against
the loopback fakes of GitHub and the Anthropic API the tests use, with a scripted model answer. Below is what
GitHub received, as it shows it (batch-review's hidden markers left out). Regenerate with
`python scripts/render_examples.py`; `tests/test_examples.py` fails when this file and the script disagree.

## 1. The review (event `{review["state"]}`)

The review on the head commit. Findings that can go on a line of the diff are inline comments; the body
counts them and holds any that cannot go inline.

{quoted(review["body"])}

## 2. An inline comment with a suggestion

On `{inline["path"]}`, {line} (side `{inline["side"]}`). GitHub shows the `suggestion` block as a diff with a
*Commit suggestion* button.

{quoted(inline["body"])}

## 3. The status comment

One comment per pull request, edited in place on every push: where the pull request stands. It also carries
batch-review's memory (hidden), so a push costs only what it changed.

{quoted(status["body"])}

## 4. The check run

`{check["name"]}` on the head commit: conclusion **{check["conclusion"]}**, title "{check["output"]["title"]}".
Each open finding is an annotation on its lines in the *Files changed* tab:

| file | lines | level | title |
| --- | --- | --- | --- |
{rows}

Its summary:

{quoted(check["output"]["summary"])}
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if docs/example-review.md is out of date")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        text = render(review_the_example(Path(tmp)))
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
        if current != text:
            print(f"{OUTPUT.relative_to(ROOT)} is out of date: run python scripts/render_examples.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
