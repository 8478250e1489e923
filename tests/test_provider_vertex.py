"""provider: vertex, end to end: the real `AsyncAnthropicVertex`, with google-auth's Application Default
Credentials (a service-account file as google-github-actions/auth leaves one, its token endpoint on the
fake), against the loopback Vertex fake, started as the runner starts the action."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fakes.github_api import FakeGitHub
from tests.fakes.vertex import FakeVertex
from tests.support.runner import RunnerEnv, run_in_process
from tests.test_pr_review import brain_with_strays, build_twelve_file_pr
from tests.test_provider_bedrock import unmasked

MODEL = "claude-sonnet-4-5@20250929"


def _vertex_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeVertex, gh: FakeGitHub,
                inputs: dict[str, str] | None = None) -> RunnerEnv:
    fx = build_twelve_file_pr(tmp_path / "repo")
    gh.add_pull(fx)
    for name in ("ANTHROPIC_API_KEY", "GOOGLE_APPLICATION_CREDENTIALS", "CLOUDSDK_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    env = RunnerEnv.for_pull(tmp_path / "runner", fx, gh, fake, "", {
        "provider": "vertex", "model": MODEL, "vertex-region": fake.region, "min-severity": "info",
        "fail-on": "high", "max-files-per-request": "1", "max-concurrency": "2", "verify": "false",
        **(inputs or {})})
    folder = tmp_path / "gcloud"
    folder.mkdir()
    env.extra.update(fake.env(folder))
    env.extra["CLOUDSDK_CONFIG"] = str(folder)  # no gcloud configuration of the machine's
    return env


def _model_requests(fake: FakeVertex) -> list[Any]:
    return [r for r in fake.requests if "/publishers/anthropic/models/" in r.path]


def test_pr_review_through_vertex(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGitHub() as gh, FakeVertex(brain=brain_with_strays) as fake:
        env = _vertex_run(tmp_path, monkeypatch, fake, gh)
        result = run_in_process(env, monkeypatch)

        assert result.code == 1, result.log
        assert len(gh.reviews) == 1
        outputs = env.outputs()
        assert (outputs["status"], outputs["findings-count"]) == ("findings", "9")

        sent = _model_requests(fake)
        assert len(sent) == 8 and all(r.status == 200 for r in sent)
        prefix = f"/v1/projects/{fake.project}/locations/{fake.region}/publishers/anthropic/models/{MODEL}:"
        for rec in sent:
            body = json.loads(rec.raw)
            assert rec.path.startswith(prefix)
            assert body["anthropic_version"] == "vertex-2023-10-16" and "model" not in body
            assert body["output_config"]["format"]["type"] == "json_schema"
            assert body["system"][-1]["cache_control"] == {"type": "ephemeral"}
            assert rec.headers["authorization"].removeprefix("Bearer ") in fake.tokens
        assert fake.token_requests >= 1  # google-auth fetched its token from the (fake) token endpoint
        streamed = [r for r in sent if r.path.endswith(":streamRawPredict")]
        assert len(streamed) == 1  # the warm-up, as server-sent events
        assert all(r.usage["cache_read_input_tokens"] > 0 for r in sent if r is not streamed[0])
        everything = unmasked(result.log) + env.summary() + json.dumps(env.report())
        assert not any(token in everything for token in fake.tokens)


def test_quota_exhausted_is_retried_by_the_sdk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGitHub() as gh, FakeVertex(brain=brain_with_strays) as fake:
        env = _vertex_run(tmp_path, monkeypatch, fake, gh)
        exhausted = fake.inject("resource_exhausted", times=1, match=lambda body: not body.get("stream"))
        result = run_in_process(env, monkeypatch)

        assert result.code == 1, result.log
        assert exhausted.hits == 1 and env.outputs()["status"] == "findings"


def test_an_unknown_model_stops_the_run_with_google_s_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGitHub() as gh, FakeVertex(brain=brain_with_strays) as fake:
        inputs = {"model": "claude-nonesuch@20990101", "max-concurrency": "1"}
        env = _vertex_run(tmp_path, monkeypatch, fake, gh, inputs)
        result = run_in_process(env, monkeypatch)

        assert result.code == 2, result.log
        assert ("Google Vertex AI refused the run — NOT_FOUND: Publisher Model `projects/acme-reviews/locations/"
                "us-east5/publishers/anthropic/models/claude-nonesuch@20990101` not found. (HTTP 404)") in result.log
        assert env.outputs()["status"] == "failed" and len(_model_requests(fake)) == 1


def test_permission_denied_stops_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGitHub() as gh, FakeVertex(brain=brain_with_strays) as fake:
        env = _vertex_run(tmp_path, monkeypatch, fake, gh, {"max-concurrency": "1"})
        fake.inject("permission_denied", times=100)
        result = run_in_process(env, monkeypatch)

        assert result.code == 2
        assert "Google Vertex AI refused the run — PERMISSION_DENIED: Permission 'aiplatform.endpoints.predict'" \
            in result.log
        assert len(_model_requests(fake)) == 1


def test_no_google_credentials_fail_with_a_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeGitHub() as gh, FakeVertex() as fake:
        env = _vertex_run(tmp_path, monkeypatch, fake, gh)
        env.extra.pop("GOOGLE_APPLICATION_CREDENTIALS")
        result = run_in_process(env, monkeypatch)

        assert result.code == 2
        assert "provider vertex: no Google Cloud credentials were found" in result.log
        assert "google-github-actions/auth" in result.log and not fake.requests
