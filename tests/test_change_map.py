"""The change map: every changed file with the definitions it adds, removes or changes, signatures before →
after, in a shared block of every request. Built on real git repositories; each file's base version is
rebuilt from its head and its diff, and checked here against `git show` of the merge base."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from batch_review.context.change_map import FileChange, base_from_head, render_map
from batch_review.diff import parse_patch
from batch_review.filters import FileFilter
from batch_review.plan import Budget, make_plan
from batch_review.shared import build_shared
from batch_review.sources.local_git import collect_local
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.model_brain import planted_brain
from tests.support.gitrepo import GitRepo
from tests.test_bad_input_world import make_pr, pr_world, run_action

KEY = "sk-ant-api03-change-map-key-00000"

PARSER_BASE = '''"""Parsing."""


def parse(text):
    return text.split(",")


def old_helper(x):
    return x * 2


class Reader:
    def read(self, path):
        return open(path).read()

    def close(self):
        pass
'''
PARSER_HEAD = '''"""Parsing."""


def parse(text, strict=False):
    if strict and not text:
        raise ValueError("empty")
    return text.split(",")


class Reader:
    def read(self, path, encoding="utf-8"):
        return open(path, encoding=encoding).read()

    def close(self):
        return None


def fresh(items: list[str]) -> int:
    return len(items)
'''
CALLER_BASE = "import { parse } from './parse';\n\nexport function load(text) {\n  return parse(text);\n}\n\n" \
              "export const shout = (s) => s.toUpperCase();\n"
CALLER_HEAD = "import { parse } from './parse';\n\nexport function load(text, strict) {\n" \
              "  return parse(text, strict);\n}\n\nexport const shout = (s) => s.toUpperCase() + '!';\n"
CONF_BASE = "server {\n    listen 80;\n    location / {\n        proxy_pass http://app;\n    }\n}\n"
CONF_HEAD = "server {\n    listen 8080;\n    location / {\n        proxy_pass http://app;\n    }\n}\n"


def _repo(root: Path) -> GitRepo:
    repo = GitRepo.init(root)
    repo.write_many({"src/parse.py": PARSER_BASE, "web/load.js": CALLER_BASE, "conf/site.conf": CONF_BASE,
                     "README.md": "# p\n"})
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write_many({"src/parse.py": PARSER_HEAD, "web/load.js": CALLER_HEAD, "conf/site.conf": CONF_HEAD})
    repo.delete("README.md")
    repo.commit("strict parsing")
    return repo


def _map_lines(block: str) -> list[str]:
    lines = block.split("\n")
    return [line[2:] for line in lines[2:-1]]


def test_the_map_lists_each_files_definitions_before_and_after(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    collected = collect_local(repo.path, "main", FileFilter((), ()), context_lines=3, head="HEAD")
    plan = make_plan(collected.files, collected.skipped, Budget())
    shared = build_shared(plan, None)
    (block,) = shared.blocks
    assert block.startswith("A map of the whole change")
    assert _map_lines(block) == [
        '"README.md" (removed)',
        '"conf/site.conf" (modified, +1 -1): no definition changed (statements or comments only)',
        '"src/parse.py" (modified, +10 -8)',
        "  changed function def parse(text) → def parse(text, strict=False)",
        "  changed method Reader.read: def read(self, path) → def read(self, path, encoding=\"utf-8\")",
        "  changed method Reader.close (body; signature unchanged)",
        "  added function def fresh(items: list[str]) -> int",
        "  removed function def old_helper(x)",
        '"web/load.js" (modified, +3 -3)',
        "  changed function function load(text) → function load(text, strict)",
        "  changed function shout (body; signature unchanged)",
    ]
    assert shared.map_complete and shared.map_files == 4


def test_each_base_is_rebuilt_exactly_from_the_head_and_its_diff(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    for context in (0, 1, 3):
        collected = collect_local(repo.path, "main", FileFilter((), ()), context_lines=context, head="HEAD")
        for source in collected.files:
            head = source.load() if source.load else None
            assert head is not None
            base = base_from_head(head, parse_patch(source.patch or ""))
            assert base == repo.run("show", f"main:{source.path}"), (context, source.path)


def test_past_its_budget_the_map_names_the_files_only_in_a_stable_order() -> None:
    changes = [FileChange(f"pkg/m{i:03}.py", "modified", 2, 1, items=[f"changed function f{i}(a) → f{i}(a, b)"])
               for i in range(200)]
    full, complete = render_map(changes, max_tokens=10_000)
    assert complete and len(full) == 400
    short, complete = render_map(list(reversed(changes)), max_tokens=1000)
    assert not complete
    assert short[0] == '"pkg/m000.py" (modified, +2 -1): 1 definitions changed'
    assert short[-1].startswith("… and ") and short[-1].endswith(" more files")
    assert sum(len(line) + 3 for line in short) / 3.4 <= 1000
    assert short == render_map(changes, max_tokens=1000)[0]  # the same whatever order the files came in


def test_a_signature_change_reaches_every_request_of_a_pull_request(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    base = {"src/parse.py": PARSER_BASE, "web/load.js": CALLER_BASE, "conf/site.conf": CONF_BASE}
    head = {"src/parse.py": PARSER_HEAD, "web/load.js": CALLER_HEAD, "conf/site.conf": CONF_HEAD}
    fx = make_pr(tmp_path / "repo", base, head)
    with pr_world(tmp_path, fx, inputs={"max-files-per-request": "1"}) as world:
        out = run_action(world, monkeypatch)
        bodies = [r.json for r in world.ai.requests if r.path == "/v1/messages"]
    assert out.status in ("clean", "findings"), out.log
    assert len(bodies) == 3
    for body in bodies:
        system = json.dumps(body["system"], ensure_ascii=False)
        assert "changed function def parse(text) → def parse(text, strict=False)" in system
        assert "changed function function load(text) → function load(text, strict)" in system
    assert len({json.dumps(b["system"]) for b in bodies}) == 1


def test_the_local_cli_sends_the_map(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    home = tmp_path / "home"
    home.mkdir()
    with FakeAnthropicAPI(api_key=KEY, brain=planted_brain, strict=True) as ai:
        env = {"PATH": os.environ["PATH"], "HOME": str(home), "ANTHROPIC_API_KEY": KEY,
               "ANTHROPIC_BASE_URL": ai.base_url}
        command = [sys.executable, "-m", "batch_review.cli", "review", str(repo.path), "--base", "main", "--no-verify"]
        proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        systems = [json.dumps(r.json["system"], ensure_ascii=False) for r in ai.requests if r.path == "/v1/messages"]
    assert systems and all("def parse(text) → def parse(text, strict=False)" in s for s in systems)


def test_a_language_without_a_grammar_gets_its_definitions_from_the_heuristic(tmp_path: Path) -> None:
    base = "class Store(val x: Int) {\n    fun save(y: Int): Int {\n        return y\n    }\n}\n"
    head = "class Store(val x: Int) {\n    fun save(y: Int, force: Boolean): Int {\n        return y\n    }\n}\n"
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("app/Store.kt", base)
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write("app/Store.kt", head)
    repo.commit("force")
    collected = collect_local(repo.path, "main", FileFilter((), ()), context_lines=3, head="HEAD")
    plan = make_plan(collected.files, collected.skipped, Budget())
    (block,) = build_shared(plan, None).blocks
    assert _map_lines(block) == [
        '"app/Store.kt" (modified, +1 -1)',
        "  changed method Store.save: fun save(y: Int): Int → fun save(y: Int, force: Boolean): Int",
    ]
