"""The verifier is shown the code from other files that its finding's review request was shown (#15.4): the
action on a pull request of a real git repository (real PyGithub and anthropic clients, the loopback fakes).
A signature change whose callers live in two other files: the review request shows the call sites, and the
verification of a finding on that change shows exactly the same items, fenced like the code; a finding whose
review request had none is verified without any."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import is_verification, planted_brain, user_text
from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git
from tests.support.runner import RunnerEnv, run_in_process
from tests.test_related_e2e import SIZES, UPLOAD  # the same module and caller

KEY = "sk-ant-api03-verify-related-key-000"
CLI = '''from pkg import sizes


def main(argv):
    """Print the size."""
    print(sizes.parse_size(argv[1]))
'''
NOTES = '''def note(text):
    return text.strip()
'''


def build(root: Path) -> PullFixture:
    repo = GitRepo.init(root)
    repo.write_many({"pkg/__init__.py": "", "pkg/sizes.py": SIZES, "pkg/upload.py": UPLOAD, "app/cli.py": CLI,
                     "zz/notes.py": NOTES})
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write("pkg/sizes.py", SIZES.replace(
        "def parse_size(text):", "def parse_size(text, unit):  # PLANT(high,bug): callers still pass one argument"))
    repo.write("zz/notes.py", NOTES.replace("text.strip()", "text.strip()[:10]  # PLANT(medium,bug): cut short"))
    repo.commit("change")
    return pull_from_git(repo, "main", "feature")


FENCE = re.compile(r'^<related nonce="(\w+)">\n(.*)^</related nonce="\1">$', re.M | re.S)


def related_items(text: str) -> list[str]:
    """The items of a request's code from other files, each as sent (its header line and its rows)."""
    found = FENCE.search(text)
    if found is None:
        return []
    return [item for item in re.split(r'(?m)^(?=### ")', found[2]) if item.strip()]


def reviewed(text: str) -> str:
    path = re.search(r'^### "([^"]+)"', text, re.M)
    assert path is not None
    return path[1]


@pytest.fixture
def sent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, str], list[str], Any]:
    fx = build(tmp_path / "repo")
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY, brain=planted_brain, strict=True) as ai:
        gh.add_pull(fx)
        env = RunnerEnv.for_pull(tmp_path / "runner", fx, gh, ai, KEY,
                                 {"check-run": "false", "max-files-per-request": "1", "min-severity": "low"})
        result = run_in_process(env, monkeypatch)
        assert result.code == 0, result.log
        texts = [user_text(r.json) for r in ai.requests if r.path == "/v1/messages" and r.status == 200]
        kinds = [is_verification(r.json) for r in ai.requests if r.path == "/v1/messages" and r.status == 200]
    reviews = {reviewed(t): t for t, check in zip(texts, kinds, strict=True) if not check}
    checks = [t for t, check in zip(texts, kinds, strict=True) if check]
    return reviews, checks, env.report()


def test_the_verifier_is_shown_the_code_from_other_files_its_findings_review_request_had(
        sent: tuple[dict[str, str], list[str], Any]) -> None:
    reviews, checks, report = sent
    review = related_items(reviews["pkg/sizes.py"])
    assert any("pkg/upload.py" in item and "return parse_size(request.size) < limit" in item for item in review)
    assert any("app/cli.py" in item and "print(sizes.parse_size(argv[1]))" in item for item in review)
    assert related_items(reviews["zz/notes.py"]) == []  # that change uses nothing from another file
    # each review answer's findings are verified as it comes in (pipelined): one verification per file here
    (check,) = [c for c in checks if "callers still pass one argument" in c]
    assert len(checks) == 2 and "cut short" not in check
    assert related_items(check) == review  # exactly the review request's items, each once, in its order
    fence = FENCE.search(check)
    assert fence is not None and check.index("</code nonce=") < fence.start()  # after the code, in its own fence
    assert check.count(f'<related nonce="{fence[1]}">') == 1
    assert {f["verification"]["status"] for f in report["findings"]} == {"kept"}


def test_a_finding_whose_review_request_had_no_code_from_other_files_is_verified_without_any(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fx = build(tmp_path / "repo")
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY, brain=planted_brain, strict=True) as ai:
        gh.add_pull(fx)
        env = RunnerEnv.for_pull(tmp_path / "runner", fx, gh, ai, KEY,
                                 {"check-run": "false", "max-files-per-request": "1", "min-severity": "low",
                                  "include": "zz/"})
        result = run_in_process(env, monkeypatch)
        assert result.code == 0, result.log
        checks = [user_text(r.json) for r in ai.requests if r.path == "/v1/messages" and is_verification(r.json)]
    (check,) = checks
    assert "cut short" in check and "<related nonce=" not in check and "parse_size" not in check


def test_a_file_asked_about_alone_after_its_pack_failed_keeps_the_packs_items_and_so_does_its_verification(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Both changed files in one review request whose answer stays unusable (repair included): the engine asks
    about each file on its own, under an id of its own. The sizes.py request still carries the call sites chosen
    for the pack, and the verification of its finding the same items."""
    fx = build(tmp_path / "repo")
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY, brain=planted_brain, strict=True) as ai:
        gh.add_pull(fx)
        packed = lambda body: user_text(body).count('\n### "') >= 2 and not is_verification(body)  # noqa: E731
        ai.inject("not_json", times=2, match=packed)  # the pack and its repair
        env = RunnerEnv.for_pull(tmp_path / "runner", fx, gh, ai, KEY, {"check-run": "false", "min-severity": "low"})
        result = run_in_process(env, monkeypatch)
        assert result.code == 0, result.log
        texts = [(user_text(r.json), is_verification(r.json)) for r in ai.requests
                 if r.path == "/v1/messages" and r.status == 200]
    reviews = [text for text, check in texts if not check]
    pack, alone = reviews[0], {reviewed(t): t for t in reviews[2:]}
    assert len(reviews) == 4 and set(alone) == {"pkg/sizes.py", "zz/notes.py"}  # the pack twice, then each file
    chosen = related_items(pack)
    assert any("return parse_size(request.size) < limit" in item for item in chosen)
    assert related_items(alone["pkg/sizes.py"]) == chosen  # asked alone, still shown the pack's items
    checks = [text for text, check in texts if check]
    assert len(checks) == 1 and related_items(checks[0]) == chosen
    assert {f["verification"]["status"] for f in env.report()["findings"]} == {"kept"}
