"""The local CLI as a person uses it (#20.3), driven as the installed console script with its output piped:
the plan names every skipped file with its reason and the model it priced; a request is named by what it
holds; a budget refusal is one line; `--sarif` on a dry run says it wrote nothing; and a review leaves the
repository it reads exactly as it was."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.support.gitrepo import GitRepo

KEY = "sk-ant-api03-local-cli-key-7070"
SCRIPT = shutil.which("batch-review", path=str(Path(sys.executable).parent)) or "batch-review"


def cli(tmp: Path, *args: str, cwd: Path, key: str | None = None,
        base_url: str = "") -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp / "home"), "NO_COLOR": "1"}
    if key:
        env["ANTHROPIC_API_KEY"] = key
    if base_url:
        env["ANTHROPIC_BASE_URL"] = base_url
    return subprocess.run([SCRIPT, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60)


def a_branch(root: Path, changed: dict[str, str | bytes]) -> GitRepo:
    repo = GitRepo.init(root)
    for path in changed:
        repo.write(path, "base\n")
    repo.commit("base")
    for path, text in changed.items():
        repo.write(path, text)
    repo.commit("change")
    return repo


def test_the_plan_names_each_skipped_file_with_its_reason_and_the_model_priced(tmp_path: Path) -> None:
    repo = a_branch(tmp_path / "repo", {
        "app.py": "def f(x):\n    return eval(x)\n",
        "package-lock.json": '{"lockfileVersion": 3}\n',
        "vendor/lib.js": "function a() { return 1 }\n",
        "logo.png": b"\x89PNG\r\n\x1a\n\x00\x00\x01",
    })
    done = cli(tmp_path, "review", "--base", "HEAD~1", "--model", "claude-haiku-5-5", cwd=repo.path)
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    assert "Skipped 3 files (not sent): 1 binary, 1 lock file, 1 vendored" in out
    for line in ("  logo.png — binary", "  package-lock.json — lock file", "  vendor/lib.js — vendored"):
        assert line in out.splitlines(), out
    assert "Priced as claude-haiku-5-5 ($0.10 input / $0.50 output / $0.01 cache read per million tokens)." in out

    unknown = cli(tmp_path, "review", "--base", "HEAD~1", "--model", "claude-nonesuch-9", cwd=repo.path)
    assert "Priced as claude-nonesuch-9 (" in unknown.stdout
    assert "an unknown model, priced as the most expensive one listed" in unknown.stdout


def test_a_request_is_named_by_what_it_holds(tmp_path: Path) -> None:
    pack = a_branch(tmp_path / "pack", {f"src/pkg/m{i}.py": f"def g(x):\n    return eval(x) + {i}\n" for i in range(5)})
    done = cli(tmp_path, "review", "--base", "HEAD~1", cwd=pack.path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "5 files in src/pkg/" in done.stdout  # a pack is named by its files, not by the first of them

    repo = GitRepo.init(tmp_path / "repo")
    repo.write("big.py", "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(3000)))
    repo.commit("one big file")
    report = tmp_path / "report.json"
    done = cli(tmp_path, "sweep", "--dry-run", "--json", str(report), str(repo.path), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    parts = [(int(a.replace(",", "")), int(b.replace(",", "")))
             for a, b in re.findall(r"big\.py, lines ([\d,]+)-([\d,]+) of 9,000", done.stdout)]
    starts = sorted({a for a, _ in parts})
    assert len(starts) >= 2 and starts[0] == 1, done.stdout  # each part says which lines it holds
    ids = re.findall(r"big_py-[0-9a-f]{20}", done.stdout)
    assert len(set(ids)) == len(starts)  # the ids are still shown, under the names


def test_a_budget_refusal_is_one_line(tmp_path: Path) -> None:
    repo = a_branch(tmp_path / "repo", {f"m{i}.py": f"def g(x):\n    return eval(x) + {i}\n" for i in range(6)})
    with FakeAnthropicAPI(api_key=KEY) as fake:
        done = cli(tmp_path, "review", "--base", "HEAD~1", "--budget-usd", "0.0001", cwd=repo.path, key=KEY,
                   base_url=fake.base_url)
        sent = fake.requests
    assert done.returncode == 2, done.stdout + done.stderr
    assert sent == []
    refusals = [line for line in done.stdout.splitlines() if line.startswith("not reviewed")]
    assert refusals == ["not reviewed: 6 files (m0.py, m1.py, m2.py, …) — the run failed (budget)"], done.stdout
    assert "status failed (budget)" in done.stdout


def test_sarif_on_a_dry_run_says_it_wrote_nothing(tmp_path: Path) -> None:
    repo = a_branch(tmp_path / "repo", {"app.py": "def f(x):\n    return eval(x)\n"})
    sarif = tmp_path / "out.sarif"
    done = cli(tmp_path, "sweep", "--dry-run", "--sarif", str(sarif), str(repo.path), cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"SARIF: nothing written to {sarif}: a dry run reviews nothing" in done.stdout.splitlines()
    assert not sarif.exists()


def test_a_local_review_leaves_the_repository_as_it_was(tmp_path: Path) -> None:
    repo = a_branch(tmp_path / "repo", {"app.py": "def f(x):\n    return eval(x)  # PLANT(high,security): eval\n"})
    before = repo.run("status", "--porcelain", "--ignored")
    with FakeAnthropicAPI(api_key=KEY) as fake:
        done = cli(tmp_path, "review", "--base", "HEAD~1", cwd=repo.path, key=KEY, base_url=fake.base_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "status findings" in done.stdout
    assert repo.run("status", "--porcelain", "--ignored") == before
