"""Issue #4, Anthropic faults: each one injected through the loopback fake, through the real SDK.

Transient faults (429, 529, 500, timeouts, dropped connections) are retried by the SDK and the run still
reviews every file; when the retries run out the file is `failed` with a named reason and the run is
`partial`. Unusable answers get exactly one repair attempt. Fatal errors (401, 402, 403, 404) fail the
run at once, with the API's message, and nothing more is sent.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

from batch_review.engines.answers import RequestResult
from batch_review.engines.limiter import AdaptiveLimiter
from batch_review.engines.parallel import ParallelOptions, review_parallel
from batch_review.plan import PlannedRequest
from batch_review.pricing import PRICES, SpendGuard
from tests.fakes.anthropic_api import FakeAnthropicAPI, RecordedRequest
from tests.support.fault_world import KEY, PLANT_LINE, World, file_name, for_file, message_requests, world

MODEL = "claude-sonnet-5-5"


def _requests_for(ai: FakeAnthropicAPI, path: str) -> list[RecordedRequest]:
    match = for_file(path)
    return [r for r in message_requests(ai) if isinstance(r.json, dict) and match(r.json)]


def _assert_all_reviewed(w: World, n: int) -> None:
    files = w.files()
    assert files == {file_name(i): ("reviewed", "") for i in range(n)}
    assert w.env.outputs()["status"] == "findings"
    reviews = w.visible_reviews()
    assert len(reviews) == 1
    assert sorted((c["path"], c["line"]) for c in w.gh.review_comments) == [
        (file_name(i), PLANT_LINE) for i in range(n)
    ]


# ---- transient faults: retried by the SDK, every file reviewed ------------------------------------------


def test_429_with_retry_after_and_rate_limit_headers_is_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[int, str | None]] = []
    observe = AdaptiveLimiter.observe

    def recording(self: AdaptiveLimiter, status: int, headers: Mapping[str, str]) -> None:
        seen.append((status, headers.get("anthropic-ratelimit-requests-remaining")))
        observe(self, status, headers)

    monkeypatch.setattr(AdaptiveLimiter, "observe", recording)
    with world(tmp_path, monkeypatch, 4) as w:
        fault = w.ai.inject("rate_limit", times=2, match=for_file(file_name(1)))
        started = time.monotonic()
        result = w.run()
        elapsed = time.monotonic() - started

        assert result.code == 0, result.log
        assert fault.hits == 2
        assert [s for s, _ in seen].count(429) == 2  # the limiter saw the 429s the SDK retried by itself
        assert all(remaining is not None for s, remaining in seen if s == 429)  # with their rate-limit headers
        statuses = [r.status for r in _requests_for(w.ai, file_name(1))]
        assert statuses == [429, 429, 200]
        assert elapsed >= 2.0  # retry-after: 1 was obeyed twice
        _assert_all_reviewed(w, 4)


@pytest.mark.parametrize("kind", ["overloaded", "server_error", "drop"])
def test_overloaded_server_error_and_dropped_connection_are_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    with world(tmp_path, monkeypatch, 3) as w:
        fault = w.ai.inject(kind, times=1, match=for_file(file_name(2)))
        result = w.run()

        assert result.code == 0, result.log
        assert fault.hits == 1
        assert len(_requests_for(w.ai, file_name(2))) == 2
        _assert_all_reviewed(w, 3)


def test_a_streamed_warm_up_that_breaks_off_midway_is_sent_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The warm-up request is streamed; an `error` event after `message_start` is not retried by the SDK."""
    with world(tmp_path, monkeypatch, 12) as w:
        fault = w.ai.inject("midstream_overloaded", times=1, match=lambda body: bool(body.get("stream")))
        result = w.run(**{"max-concurrency": "4"})

        assert result.code == 0, result.log
        assert fault.hits == 1 and "the streamed answer broke off (overloaded_error" in result.log
        broken = next(r for r in message_requests(w.ai) if r.fault == "midstream_overloaded")
        plain = {k: v for k, v in broken.json.items() if k != "stream"}
        again = [r for r in message_requests(w.ai) if r.json == plain]
        assert len(again) == 1 and again[0].status == 200
        _assert_all_reviewed(w, 12)
        assert w.env.report()["usage"]["requests"] == 13  # the broken stream's input was billed too


def _overloaded(retry_after_ms: int = 20) -> tuple[str, int, dict[str, str], str]:
    """A 529 as the API sends it, with a short retry-after-ms (the SDK obeys it, so tests stay fast)."""
    body = json.dumps({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"},
                       "request_id": "req_test"})
    return ("custom", 529, {"retry-after-ms": str(retry_after_ms)}, body)


def test_exhausted_retries_fail_the_file_with_a_reason_and_the_run_is_partial(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, 3) as w:
        fault = w.ai.inject(_overloaded(), times=50, match=for_file(file_name(1)))
        result = w.run()

        assert result.code == 0, result.log  # fail-on: none; partial is not a failure of the step
        assert fault.hits == 5  # one attempt and the SDK's four retries, no more
        files = w.files()
        status, reason = files[file_name(1)]
        assert status == "failed"
        assert "overloaded_error" in reason and "HTTP 529" in reason and "5 attempts" in reason
        assert files[file_name(0)] == files[file_name(2)] == ("reviewed", "")
        outputs = w.env.outputs()
        assert outputs["status"] == "partial"
        summary = w.env.summary()
        assert "partial" in summary and f"`{file_name(1)}`" in summary and "overloaded_error" in summary
        review = w.visible_reviews()[0]
        assert "Not reviewed (failed)" in review["body"] and file_name(1) in review["body"]
        assert len(w.gh.review_comments) == 2


# ---- timeouts and dropped connections, with a short request timeout (engine level) ----------------------


def _request(path: str) -> tuple[PlannedRequest, str]:
    text = f'### "{path}" (whole file, 1 lines)\n1 x = 1  # PLANT(low,bug): planted'
    return PlannedRequest(custom_id=path.replace("/", "_").replace(".", "_"), pieces=(), input_tokens=50,
                          output_tokens=100), text


def _review(
    ai: FakeAnthropicAPI, monkeypatch: pytest.MonkeyPatch, paths: list[str], *, timeout: float = 1.0,
    retries: int = 2,
) -> list[RequestResult]:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", ai.base_url)
    pairs = [_request(p) for p in paths]
    texts = {r.custom_id: t for r, t in pairs}
    options = ParallelOptions(model=MODEL, max_tokens=2048, instructions="", max_concurrency=4,
                              request_timeout=timeout, max_retries=retries)
    spend = SpendGuard(None, PRICES[MODEL])
    return review_parallel([r for r, _ in pairs], lambda r: texts[r.custom_id], options, api_key=KEY, spend=spend)


def test_a_timed_out_request_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeAnthropicAPI(api_key=KEY, timeout_seconds=4) as ai:
        fault = ai.inject("timeout", times=1, match=for_file("src/slow.py"))
        results = _review(ai, monkeypatch, ["src/slow.py", "src/fast.py"], timeout=1.0)

        assert fault.hits == 1
        assert all(r.answer is not None and len(r.answer.findings) == 1 for r in results), results
        requests = message_requests(ai)
        assert len(requests) == 3
        stalled, retry = [r for r in requests if "src/slow.py" in json.dumps(r.json)]
        # the client gave up on the stalled attempt and retried while the fake was still stalling it
        assert stalled.fault == "timeout" and retry.fault is None
        assert retry.started >= stalled.started + 1.0
        assert retry.started < (stalled.finished or float("inf"))


def test_exhausted_timeouts_and_drops_fail_only_their_file(monkeypatch: pytest.MonkeyPatch) -> None:
    with FakeAnthropicAPI(api_key=KEY, timeout_seconds=4) as ai:
        ai.inject("timeout", times=2, match=for_file("src/slow.py"))
        ai.inject("drop", times=2, match=for_file("src/gone.py"))
        results = {r.custom_id: r for r in _review(ai, monkeypatch, ["src/slow.py", "src/gone.py", "src/ok.py"],
                                                     retries=1)}

        assert results["src_slow_py"].answer is None
        assert results["src_slow_py"].error == "the request timed out (after the SDK's retries)"
        assert results["src_gone_py"].answer is None
        assert "connection to the Anthropic API failed" in (results["src_gone_py"].error or "")
        assert results["src_ok_py"].answer is not None
        assert len(message_requests(ai)) == 5


# ---- unusable answers: exactly one repair attempt --------------------------------------------------------


def _texts(request: RecordedRequest) -> list[str]:
    return [block["text"] for block in request.json["messages"][0]["content"]]


def test_an_answer_that_is_not_json_gets_one_repair_and_succeeds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, 3) as w:
        w.ai.inject("not_json", times=1, match=for_file(file_name(0)))
        result = w.run()

        assert result.code == 0, result.log
        first, second = _requests_for(w.ai, file_name(0))
        assert len(_texts(first)) == 1
        assert "could not be used (the answer was not valid JSON)" in _texts(second)[-1]
        assert second.json["max_tokens"] == first.json["max_tokens"]
        _assert_all_reviewed(w, 3)


def test_an_answer_cut_off_at_max_tokens_is_repaired_with_twice_the_room(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, 3) as w:
        w.ai.inject("max_tokens", times=1, match=for_file(file_name(2)))
        result = w.run()

        assert result.code == 0, result.log
        first, second = _requests_for(w.ai, file_name(2))
        assert first.response["stop_reason"] == "max_tokens"
        assert second.json["max_tokens"] == 2 * first.json["max_tokens"]
        assert "cut off (max_tokens)" in _texts(second)[-1]
        _assert_all_reviewed(w, 3)


def test_a_second_unusable_answer_fails_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with world(tmp_path, monkeypatch, 3) as w:
        w.ai.inject("not_json", times=5, match=for_file(file_name(1)))
        result = w.run()

        assert result.code == 0, result.log
        assert len(_requests_for(w.ai, file_name(1))) == 2  # one repair, not more
        status, reason = w.files()[file_name(1)]
        assert status == "failed" and "not valid JSON" in reason and "repair" in reason
        assert w.env.outputs()["status"] == "partial"


def test_a_refusal_fails_the_file_with_its_reason_and_is_not_retried(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path, monkeypatch, 3, clean=(0, 1, 2)) as w:  # nothing to find: a refusal must not look clean
        w.ai.inject("refusal", times=5, match=for_file(file_name(2)))
        result = w.run()

        assert result.code == 0, result.log
        assert len(_requests_for(w.ai, file_name(2))) == 1
        assert w.files()[file_name(2)] == ("failed", "the model declined to review this code (refusal)")
        outputs = w.env.outputs()
        assert outputs["status"] == "partial" and outputs["findings-count"] == "0"
        assert "refusal" in w.env.summary()


# ---- fatal errors: the run fails at once, with the API's message --------------------------------------


FATAL = {
    "auth": ("authentication_error", "invalid x-api-key"),
    "billing": ("billing_error", "credit balance is too low"),
    "permission": ("permission_error", "does not have permission"),
}


@pytest.mark.parametrize("kind", [*FATAL, "unknown_model"])
def test_fatal_api_errors_fail_the_run_before_anything_else_is_sent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    with world(tmp_path, monkeypatch, 12, clean=tuple(range(12))) as w:
        if kind == "unknown_model":
            w.env.inputs["model"] = "claude-nonexistent-9"
            error_type, message = "not_found_error", "claude-nonexistent-9"
        else:
            w.ai.inject(kind, times=100)
            error_type, message = FATAL[kind]
        result = w.run(**{"max-concurrency": "4"})  # 12 requests: one warms the cache, and fails

        assert result.code == 2, result.log
        assert len(message_requests(w.ai)) == 1  # nothing more was sent
        outputs = w.env.outputs()
        assert outputs["status"] == "failed" and outputs["findings-count"] == "0"
        report = w.env.report()
        assert report["error_kind"] == "anthropic"
        assert error_type in report["error"] and message in report["error"]
        assert {f["status"] for f in report["files"]} == {"failed"} and len(report["files"]) == 12
        summary = w.env.summary()
        assert "failed" in summary and error_type in summary and "clean" not in summary.split("\n")[0]
        assert "::error title=batch-review failed (anthropic)::the Anthropic API refused the run" in result.log
        assert w.gh.reviews == []  # no review saying "0 findings"
        assert [c["conclusion"] for c in w.gh.check_runs] == ["failure"]


def test_a_fatal_error_midway_stops_every_request_at_once_and_masks_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second request gets a 529 with a 1.5 s retry-after (the SDK sleeps on it); the next one a 401
    naming the key. Nothing may reach the API after the 401: not that retry, not the queued requests."""
    body = json.dumps({"type": "error", "error": {"type": "authentication_error",
                                                  "message": f"invalid x-api-key: {KEY}"}, "request_id": "req_x"})
    with world(tmp_path, monkeypatch, 12, latency=0.3) as w:
        sleeping = w.ai.inject(_overloaded(1500), times=1, match=lambda _: len(message_requests(w.ai)) >= 2)
        w.ai.inject(("custom", 401, {}, body), times=1, match=lambda _: sleeping.hits == 1)
        result = w.run(**{"max-concurrency": "3"})

        assert result.code == 2
        sent = message_requests(w.ai)
        fatal = next(r for r in sent if r.status == 401)
        assert fatal.finished is not None
        late = [r for r in sent if r.started > fatal.finished + 0.1]
        assert late == [], [(r.started - fatal.finished) for r in late]
        assert len(sent) < 12
        report = w.env.report()
        assert report["status"] == "failed" and "authentication_error" in report["error"]
        answered = sum(1 for r in sent if r.status == 200)
        assert answered >= 1 and report["usage"]["requests"] == answered  # what was spent is still reported
        assert float(w.env.outputs()["cost-usd"]) > 0
        everything = result.log + w.env.summary() + json.dumps(report) + (w.env.tmp / "output.txt").read_text()
        assert KEY not in everything.replace(f"::add-mask::{KEY}", "")
        assert "invalid x-api-key: ***" in report["error"]
