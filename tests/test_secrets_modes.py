"""Issues #11 §3 and #16 §3 end to end: in a pull-request review (the action as a runner starts it), a local
review and a sweep (the CLI as a user runs it), a key file is skipped by its name (never sent, though the key
in it is a finding all the same: keyfiles.py); a file holding a private key or a token is still reviewed, with
the credential redacted (nothing of it reaches the fake model) and a critical finding at its line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.model_brain import plant
from tests.support.gitrepo import GitRepo
from tests.test_bad_input_world import KEY, make_pr, numbered, pr_world, run_action
from tests.test_secrets import pem_block, tokens

FINDING = "x = eval(data)  # " + plant("high", "security", title="eval of input")


def secret_files() -> tuple[dict[str, str], list[bytes]]:
    """The change: a key file, a module with a PEM block, a config with a token, and one ordinary file.
    Returns the files and the byte strings that must never be sent."""
    key, token = pem_block(), tokens()["GitHub token"]
    files = {
        "certs/ca-private.key": key,
        "src/settings.py": numbered(4) + f'SIGNING_KEY = """{pem_block("")}"""\n',
        "deploy/config.yml": f"registry:\n  token: {token}\n",
        "src/app.py": numbered(3, at={2: FINDING}),
    }
    never = [key.splitlines()[1].encode(), files["src/settings.py"].splitlines()[6].encode(), token.encode(),
             b"ca-private.key"]
    return files, never


def assert_skipped_and_never_sent(files: dict[str, tuple[str, str]], sent: bytes, never: list[bytes],
                                  findings: list[dict[str, Any]]) -> None:
    assert files["certs/ca-private.key"] == ("skipped", "key material or environment file")
    assert files["src/settings.py"] == ("reviewed", "")  # its code is reviewed, its key is not sent
    assert files["deploy/config.yml"] == ("reviewed", "")
    assert files["src/app.py"] == ("reviewed", "")
    assert b"eval of input" in sent  # the ordinary file did reach the model
    assert b"SIGNING_KEY" in sent and b"[REDACTED private key]" in sent and b"[REDACTED GitHub token]" in sent
    for needle in never:
        assert needle not in sent, needle
    scanned = sorted((f["path"], f["line"], f["severity"], f["title"]) for f in findings if f["category"] == "security"
                     and f["title"].startswith("A credential is committed"))
    assert scanned == [("certs/ca-private.key", 1, "critical", "A credential is committed: private key"),  # not sent
                       ("deploy/config.yml", 2, "critical", "A credential is committed: GitHub token"),
                       ("src/settings.py", 5, "critical", "A credential is committed: private key")]


def test_pull_request_review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files, never = secret_files()
    fx = make_pr(tmp_path / "repo", {"src/settings.py": numbered(4)}, files)
    with pr_world(tmp_path, fx) as world:
        out = run_action(world, monkeypatch)
        sent = b"".join(r.raw for r in world.ai.requests)
    assert out.status == "findings", out.log
    assert_skipped_and_never_sent(out.files, sent, never, out.findings)
    assert "committed credential" in out.summary


def _cli(tmp_path: Path, command: str, *args: str, fake: FakeAnthropicAPI) -> dict[str, Any]:
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    report = tmp_path / f"{command}.json"
    env = {"PATH": os.environ["PATH"], "HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1",
           "ANTHROPIC_API_KEY": KEY, "ANTHROPIC_BASE_URL": fake.base_url}
    proc = subprocess.run([sys.executable, "-m", "batch_review.cli", command, *args, "--json", str(report)],
                          capture_output=True, text=True, env=env, timeout=120, check=False)
    assert proc.returncode == 1 or proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    data: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return data


def _outcomes(report: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {f["path"]: (f["status"], f["reason"]) for f in report["files"]}


def test_local_review(tmp_path: Path) -> None:
    files, never = secret_files()
    repo = GitRepo.init(tmp_path / "repo")
    repo.write("src/settings.py", numbered(4))
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write_many(files)
    repo.commit("change")
    with FakeAnthropicAPI(api_key=KEY) as fake:
        report = _cli(tmp_path, "review", str(repo.path), "--base", "main", fake=fake)
        sent = b"".join(r.raw for r in fake.requests)
    assert report["status"] == "findings"
    assert_skipped_and_never_sent(_outcomes(report), sent, never, report["findings"])


def test_sweep(tmp_path: Path) -> None:
    files, never = secret_files()
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit_files(files, "everything")
    with FakeAnthropicAPI(api_key=KEY) as fake:
        report = _cli(tmp_path, "sweep", str(repo.path), fake=fake)
        sent = b"".join(r.raw for r in fake.requests)
    assert report["status"] == "findings"
    assert_skipped_and_never_sent(_outcomes(report), sent, never, report["findings"])


def test_head_content_holding_a_key_is_never_shown_around_a_clean_diff() -> None:
    """In a pull request the diff is what is checked; when the pipeline also reads the head (targeted context,
    which shows a small file whole), a head holding a key is not shown: the hunks alone are."""
    from batch_review.gitcmd import diff_blobs
    from batch_review.plan import Budget, make_plan
    from batch_review.prompt import render_request
    from batch_review.sources.base import SourceFile

    key = pem_block()
    base = "def handler(data):\n" + numbered(12, "    step") + "\n" + f'KEY = """{key}"""\n'
    head = base.replace("    step 3\n", "    " + FINDING + "\n")
    patch = diff_blobs(base.encode(), head.encode())
    from batch_review.scrub import scrub
    from batch_review.sources.base import Collected

    source = SourceFile("src/handler.py", "modified", patch=patch[patch.index("@@"):], load=lambda: head.encode())
    scrub(Collected(files=[source], skipped=[], head_sha="0" * 40))
    plan = make_plan([source], [], Budget(context="definitions"))
    (request,) = plan.requests
    text = render_request(request, plan.rows)
    assert "eval of input" in text and key.splitlines()[1] not in text
    assert plan.files["src/handler.py"] is not None and not plan.skipped
