"""Code from other files, end to end: the action on a pull request (real PyGithub and anthropic clients, the
loopback fakes, real git repositories). What the model receives beside a change: the call sites of a definition
whose signature changed, in the files that import it (not a same-named function's callers), and the definitions
the changed lines import (Python, TypeScript, Go), never a same-named decoy, never a file the secret or exclude
rules skip, within `max-related-tokens`; the same with a checkout as from GitHub's archive without one."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from batch_review.plan import CHARS_PER_TOKEN
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import planted_brain, user_text
from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git
from tests.support.runner import RunnerEnv, run_in_process

KEY = "sk-ant-api03-related-e2e-key-0000"
PEM = ("-----BEGIN RSA PRIVATE KEY-----\\n" + "MIIEowIBAAKCAQEAx7Rw3Zq9Lm2Vb8Kp4Nt6Yc1Hs5Gf0Ju" * 2 + "\\n")

SIZES = '''"""Sizes."""


def parse_size(text):
    """Bytes in a size such as 10k."""
    return int(text)
'''
UPLOAD = '''from pkg.sizes import parse_size


def handle(request):
    limit = 5
    return parse_size(request.size) < limit
'''
CLI = '''import sys

from pkg import sizes


def main(argv):
    """Print the size."""
    print(sizes.parse_size(argv[1]))
'''
LEGACY = '''def parse_size(text):
    return float(text)
'''
LEGACY_USER = '''from .legacy import parse_size


def old(text):
    return parse_size(text) * 2
'''
RULES = '''MAX_UPLOAD = 10_000


def validate_name(name):
    """Refuse names with a slash."""
    if "/" in name:
        raise ValueError(name)
    return name
'''
DECOY_RULES = '''MAX_UPLOAD = 1


def validate_name(name):
    return "DECOY"
'''
HANDLER = '''from .rules import MAX_UPLOAD, validate_name
from .secret import SIGNING_KEY
from internal.hidden import hidden_helper


def store(name, data):
    return len(data)
'''
SECRET = f'SIGNING_KEY = "{PEM}"\n\n\ndef unused():\n    return 1\n'
HIDDEN = 'def hidden_helper(x):\n    return "EXCLUDED"\n'
MONEY_TS = '''export const CURRENCY = "EUR";

/** Format a price in cents. */
export function formatPrice(cents: number): string {
  return (cents / 100).toFixed(2) + " " + CURRENCY;
}
'''
DECOY_TS = '''export function formatPrice(cents: number): string {
  return "DECOY";
}
'''
APP_TS = '''import { formatPrice } from "./money";

export function label(cents: number): string {
  return "price";
}
'''
GO_MOD = "module example.com/shop\n\ngo 1.22\n"
TOTAL_GO = '''package pricing

// Total adds the tax.
func Total(net int) int {
	return net + net/5
}
'''
DECOY_GO = '''package legacy

func Total(net int) int {
	return -1
}
'''
MAIN_GO = '''package main

import (
	"fmt"

	"example.com/shop/pricing"
)

func main() {
	fmt.Println(1)
}
'''


def build(root: Path) -> PullFixture:
    repo = GitRepo.init(root)
    repo.write_many({
        "pkg/__init__.py": "", "pkg/sizes.py": SIZES, "pkg/upload.py": UPLOAD, "app/cli.py": CLI,
        "other/__init__.py": "", "other/legacy.py": LEGACY, "other/use_legacy.py": LEGACY_USER,
        "svc/__init__.py": "", "svc/rules.py": RULES, "svc/handler.py": HANDLER, "svc/secret.py": SECRET,
        "other/rules.py": DECOY_RULES, "internal/hidden.py": HIDDEN,
        "web/money.ts": MONEY_TS, "lib/money.ts": DECOY_TS, "web/app.ts": APP_TS,
        "go.mod": GO_MOD, "pricing/total.go": TOTAL_GO, "legacy/total.go": DECOY_GO, "cmd/shop/main.go": MAIN_GO,
    })
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write("pkg/sizes.py", SIZES.replace("def parse_size(text):", "def parse_size(text, unit):"))
    repo.write("svc/handler.py", HANDLER.replace(
        "    return len(data)", "    checked = validate_name(name)\n    key = SIGNING_KEY + hidden_helper(name)\n"
        "    return len(data) < MAX_UPLOAD"))
    repo.write("web/app.ts", APP_TS.replace('  return "price";', "  return formatPrice(cents);"))
    repo.write("cmd/shop/main.go", MAIN_GO.replace("fmt.Println(1)", "fmt.Println(pricing.Total(100))"))
    repo.commit("change")
    return pull_from_git(repo, "main", "feature")


World = tuple[PullFixture, FakeGitHub, FakeAnthropicAPI]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    fx = build(tmp_path / "repo")
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY, brain=planted_brain, strict=True) as ai:
        gh.add_pull(fx)
        yield fx, gh, ai


def run_action(tmp: Path, fx: PullFixture, gh: FakeGitHub, ai: FakeAnthropicAPI, monkeypatch: pytest.MonkeyPatch,
               workspace: Path | None = None, **inputs: str) -> RunnerEnv:
    env = RunnerEnv.for_pull(tmp, fx, gh, ai, KEY, {"check-run": "false", "verify": "false",
                                                    "max-files-per-request": "1", "exclude": "internal/", **inputs})
    if workspace is not None:
        env.workspace = workspace
    result = run_in_process(env, monkeypatch)
    assert result.code == 0, result.log
    assert not gh.server_errors, gh.server_errors
    return env


def related(ai: FakeAnthropicAPI) -> dict[str, str]:
    """Each request's code from other files, by the first file it reviews ("" when it has none)."""
    found: dict[str, str] = {}
    for request in ai.requests:
        if request.path != "/v1/messages":
            continue
        text = user_text(request.json)
        path = re.search(r'^### "([^"]+)"', text, re.M)
        section = re.search(r'^<related nonce="(\w+)">\n(.*)^</related nonce="\1">$', text, re.M | re.S)
        assert path is not None
        found[path[1]] = section[2] if section else ""
    return found


def items(section: str) -> list[str]:
    return re.findall(r'^### "([^"]+)" lines (\d+)-(\d+): (.*)$', section, re.M)


def test_a_signature_change_shows_its_callers_in_two_other_files_and_not_a_namesakes(
        tmp_path: Path, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fx, gh, ai = world
    run_action(tmp_path / "runner", fx, gh, ai, monkeypatch)
    section = related(ai)["pkg/sizes.py"]
    shown = {(path, why) for path, _, _, why in items(section)}
    assert ("pkg/upload.py", "calls `parse_size`, whose signature this change modifies") in shown
    assert ("app/cli.py", "calls `parse_size`, whose signature this change modifies") in shown
    assert "other/use_legacy.py" not in section  # calls another parse_size
    assert "    return parse_size(request.size) < limit" in section  # the call site, with its caller's header
    assert "def handle(request):" in section and "def main(argv):" in section
    assert "print(sizes.parse_size(argv[1]))" in section


def test_imports_are_resolved_in_python_typescript_and_go_and_decoys_are_not_chosen(
        tmp_path: Path, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fx, gh, ai = world
    run_action(tmp_path / "runner", fx, gh, ai, monkeypatch)
    sent = related(ai)
    py, ts, go = sent["svc/handler.py"], sent["web/app.ts"], sent["cmd/shop/main.go"]
    assert {p for p, *_ in items(py)} == {"svc/rules.py"}
    assert 'raise ValueError(name)' in py and "MAX_UPLOAD = 10_000" in py
    assert {p for p, *_ in items(ts)} == {"web/money.ts"}
    assert "export function formatPrice(cents: number): string {" in ts
    assert {p for p, *_ in items(go)} == {"pricing/total.go"}
    assert "func Total(net int) int {" in go and "// Total adds the tax." in go
    every = "".join(sent.values())
    assert "DECOY" not in every and "return -1" not in every


def test_secret_and_excluded_files_are_never_shown(
        tmp_path: Path, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fx, gh, ai = world
    run_action(tmp_path / "runner", fx, gh, ai, monkeypatch)
    every = "".join(related(ai).values())
    assert "svc/secret.py" not in every and "PRIVATE KEY" not in every  # holds a key: never parsed
    assert "internal/hidden.py" not in every and "EXCLUDED" not in every  # exclude: internal/
    assert "svc/rules.py" in every  # the same request's other import is shown


def test_without_a_checkout_the_archive_gives_the_same_context(
        tmp_path: Path, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fx, gh, ai = world
    run_action(tmp_path / "a", fx, gh, ai, monkeypatch)
    with_checkout = related(ai)
    assert gh.count("GET", r"/tarball/") == 0  # the workspace held the head commit
    bare = tmp_path / "bare-workspace"  # the README's workflow: no checkout step
    bare.mkdir()
    with FakeGitHub() as gh2, FakeAnthropicAPI(api_key=KEY, brain=planted_brain, strict=True) as ai2:
        gh2.add_pull(fx)
        run_action(tmp_path / "b", fx, gh2, ai2, monkeypatch, workspace=bare)
        assert related(ai2) == with_checkout
        assert gh2.count("GET", r"/tarball/") == 1 and gh2.archive_bytes > 0
        assert sum(1 for c in gh2.calls if c.path.startswith("/_codeload/")) == 1


def test_the_context_sent_never_exceeds_max_related_tokens(
        tmp_path: Path, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fx, gh, ai = world
    run_action(tmp_path / "runner", fx, gh, ai, monkeypatch, **{"max-related-tokens": "200"})
    small = related(ai)
    for text in small.values():
        frame = 0 if not text else len(_frame())
        assert (len(text) + frame) / CHARS_PER_TOKEN <= 200
    assert sum(len(items(t)) for t in small.values()) >= 1  # something fits
    assert len(items(small["pkg/sizes.py"])) < 2  # but not both callers


def test_the_estimate_and_budget_usd_count_the_context(
        tmp_path: Path, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fx, gh, ai = world
    without = run_action(tmp_path / "a", fx, gh, ai, monkeypatch, **{"max-related-tokens": "0", "dry-run": "true"})
    cheap = without.report()["estimated_cost_usd"]
    with_context = run_action(tmp_path / "b", fx, gh, ai, monkeypatch, **{"dry-run": "true"})
    dear = with_context.report()["estimated_cost_usd"]
    assert dear > cheap
    between = f"{(cheap + dear) / 2:.6f}"
    env = RunnerEnv.for_pull(tmp_path / "c", fx, gh, ai, KEY, {"check-run": "false", "verify": "false",
                                                               "max-files-per-request": "1", "budget-usd": between})
    result = run_in_process(env, monkeypatch)
    assert result.code != 0 and env.report()["error_kind"] == "budget"
    assert not [r for r in ai.requests if r.path == "/v1/messages"]  # nothing was sent


def test_an_archive_with_links_and_climbing_names_is_read_without_them(
        tmp_path: Path, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fx, gh, ai = world
    run_action(tmp_path / "a", fx, gh, ai, monkeypatch)
    with_checkout = related(ai)
    caller = b"from pkg.sizes import parse_size\n\n\ndef sneaky(x):\n    return parse_size(x)  # OUTSIDE\n"
    bare = tmp_path / "bare-workspace"
    bare.mkdir()
    with FakeGitHub() as gh2, FakeAnthropicAPI(api_key=KEY, brain=planted_brain, strict=True) as ai2:
        gh2.add_pull(fx)
        gh2.archive_members = [
            {"name": "../escape.py", "type": "file", "data": caller},
            {"name": "pkg/../../climb.py", "type": "file", "data": caller},
            {"name": "/abs/caller.py", "type": "file", "data": caller},
            {"name": "pkg/linked.py", "type": "symlink", "target": "/etc/passwd"},
            {"name": "pkg/hard.py", "type": "hardlink", "target": "app/cli.py"},
        ]
        run_action(tmp_path / "b", fx, gh2, ai2, monkeypatch, workspace=bare)
        assert related(ai2) == with_checkout
        assert "OUTSIDE" not in "".join(related(ai2).values())
    assert list(bare.iterdir()) == [bare / ".batch-review"]  # nothing extracted: only the report folder
    assert not (tmp_path / "escape.py").exists() and not Path("/abs/caller.py").exists()


def test_an_expired_archive_link_leaves_a_note_and_the_review_goes_on(
        tmp_path: Path, world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    fx, gh, ai = world
    gh.archive_link_seconds = -1  # expired before it is followed
    bare = tmp_path / "bare-workspace"
    bare.mkdir()
    env = run_action(tmp_path / "runner", fx, gh, ai, monkeypatch, workspace=bare)
    assert set(related(ai).values()) == {""}
    notes = env.report()["notes"]
    assert "code from other files was not shown: the archive link answered HTTP 404" in notes
    assert env.report()["files_reviewed"] == 4


def _frame() -> str:
    from batch_review.prompt import related_section

    return "\n".join(related_section([], "0" * 12)) + "\n"


def test_the_local_cli_shows_code_from_other_files_of_the_working_tree_change(tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write_many({"svc/__init__.py": "", "svc/rules.py": RULES, "svc/handler.py": HANDLER.replace(
        "from .secret import SIGNING_KEY\nfrom internal.hidden import hidden_helper\n", "")})
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write("svc/handler.py", HANDLER.replace("from .secret import SIGNING_KEY\nfrom internal.hidden import "
                                                 "hidden_helper\n", "").replace(
        "    return len(data)", "    return validate_name(name)"))  # not committed: the working tree
    home = tmp_path / "home"
    home.mkdir()
    with FakeAnthropicAPI(api_key=KEY, brain=planted_brain, strict=True) as ai:
        env = {"PATH": os.environ["PATH"], "HOME": str(home), "ANTHROPIC_API_KEY": KEY,
               "ANTHROPIC_BASE_URL": ai.base_url}
        command = [sys.executable, "-m", "batch_review.cli", "review", str(repo.path), "--base", "main",
                   "--no-verify", "--json", str(tmp_path / "r.json")]
        proc = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120, check=False)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        section = related(ai)["svc/handler.py"]
        off = subprocess.run([*command, "--max-related-tokens", "0"], capture_output=True, text=True, env=env,
                             timeout=120, check=False)
        assert off.returncode == 0, off.stdout + off.stderr
        assert related(ai)["svc/handler.py"] == ""  # the last request: the flag turned it off
    assert [(p, why) for p, _, _, why in items(section)] == [
        ("svc/rules.py", "defines `validate_name`, which the changed lines use (through an import)")]
    assert json.loads((tmp_path / "r.json").read_text())["files_reviewed"] == 1


def test_a_change_that_names_nothing_does_not_fetch_the_archive(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = GitRepo.init(tmp_path / "repo")
    repo.write_many({"a.py": "# one\nx = 1\n", "b.py": SIZES})
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write("a.py", "# two\nx = 1\n")
    repo.commit("change")
    fx = pull_from_git(repo, "main", "feature")
    bare = tmp_path / "bare-workspace"
    bare.mkdir()
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY, brain=planted_brain, strict=True) as ai:
        gh.add_pull(fx)
        run_action(tmp_path / "runner", fx, gh, ai, monkeypatch, workspace=bare)
        assert gh.count("GET", r"/tarball/") == 0
        assert related(ai) == {"a.py": ""}
