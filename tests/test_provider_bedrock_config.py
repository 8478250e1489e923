"""Issue #17.5: a broken AWS setup is a named error with its fix, never "internal error": a key id without its
secret, an AWS_PROFILE that names no profile, an AWS config file that cannot be parsed. Started as the runner
starts the action, with the real boto3 reading the environment and files; nothing reaches the Bedrock fake."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fakes.bedrock import FakeBedrock
from tests.fakes.github_api import FakeGitHub
from tests.support.runner import run_in_process
from tests.test_provider_bedrock import _bedrock_run, _model_requests


def _fails_with(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: dict[str, str | None],
                *expected: str) -> None:
    with FakeGitHub() as gh, FakeBedrock() as fake:
        env, _ = _bedrock_run(tmp_path, monkeypatch, fake, gh)
        for name, value in change.items():
            monkeypatch.delenv(name, raising=False)
            if value is None:
                env.extra.pop(name, None)
            else:
                env.extra[name] = value
        result = run_in_process(env, monkeypatch)

        assert result.code == 2, result.log
        assert "internal error" not in result.log and "Traceback" not in result.log
        assert "::error title=batch-review failed (config)::provider bedrock: " in result.log
        for text in expected:
            assert text in result.log, result.log
        assert env.outputs()["status"] == "failed" and "provider bedrock: " in env.summary()
        assert not _model_requests(fake) and not gh.reviews
        assert fake.secret_key not in result.log


def test_a_key_id_without_its_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fails_with(tmp_path, monkeypatch, {"AWS_SECRET_ACCESS_KEY": None, "AWS_SESSION_TOKEN": None},
                "the AWS credentials are incomplete", "missing: AWS_SECRET_ACCESS_KEY",
                "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY together")


def test_an_unknown_aws_profile(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fails_with(tmp_path, monkeypatch, {"AWS_PROFILE": "nightly-audit"},
                "AWS_PROFILE names the profile 'nightly-audit', which is in neither /nonexistent/aws-config nor "
                "/nonexistent/aws-credentials", "aws configure list-profiles")


def test_a_broken_aws_config_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "aws-config"
    config.write_text("[default\nregion = us-east-1\n", encoding="utf-8")  # the section header is not closed
    _fails_with(tmp_path, monkeypatch, {"AWS_CONFIG_FILE": str(config), "AWS_REGION": None,
                                        "AWS_DEFAULT_REGION": None},
                f"the AWS config or credentials file {config} cannot be parsed", "point AWS_CONFIG_FILE")


def test_a_broken_credentials_file_with_a_region_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "aws-credentials"
    shared.write_text("[default]\naws_access_key_id\n", encoding="utf-8")  # a key without a value
    _fails_with(tmp_path, monkeypatch, {"AWS_SHARED_CREDENTIALS_FILE": str(shared), "AWS_ACCESS_KEY_ID": None,
                                        "AWS_SECRET_ACCESS_KEY": None, "AWS_SESSION_TOKEN": None},
                f"the AWS config or credentials file {shared} cannot be parsed")


def test_the_local_cli_names_an_unknown_profile(tmp_path: Path) -> None:
    import os
    import subprocess

    from tests.support.gitrepo import GitRepo
    from tests.test_provider_bedrock import MODEL, SCRIPT

    repo = GitRepo.init(tmp_path / "repo")
    repo.write_many({".github/batch-review.yml": f"provider: bedrock\nmodel: {MODEL}\n", "a.py": "x = 1\n"})
    repo.commit("base")
    repo.checkout_new_branch("feature")
    repo.write("a.py", "x = 2\n")
    repo.commit("feature")
    with FakeBedrock() as fake:
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "COLUMNS": "200", "NO_COLOR": "1",
               **fake.env(), "AWS_PROFILE": "nightly-audit"}
        done = subprocess.run([SCRIPT, "review", str(repo.path), "--base", "main"], env=env, capture_output=True,
                              text=True, timeout=120)
        said = " ".join((done.stdout + done.stderr).split())
        assert done.returncode == 2, said
        assert "error (config): provider bedrock: AWS_PROFILE names the profile 'nightly-audit'" in said
        assert "internal error" not in said and "Traceback" not in said and not fake.requests
