"""Issue #18: the client's own work does not hold up its requests. While they are out, the heap built before the
run is left out of the garbage collector's full passes (each would scan it all); the follow-ups' groundwork
waits while a request is being written, and a request counts as being written until httpx's `trace` extension
says its body is (or it failed, so a failed one never holds the groundwork back); the SDK's answer types are
built ahead of the first answer. With the real SDK against the fake API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import gc
import socket
import threading
from typing import Any

import pytest

from batch_review.engines.calls import Calls, Pass
from batch_review.engines.client import ANSWER_TYPES, build_answer_types
from batch_review.engines.limiter import AdaptiveLimiter
from batch_review.engines.parallel import ParallelOptions, review_parallel
from batch_review.engines.task import REVIEW
from batch_review.plan import PlannedRequest
from batch_review.pricing import PRICES, SpendGuard
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.support.fault_world import KEY, message_requests

MODEL = "claude-sonnet-5-5"
OPTIONS = ParallelOptions(model=MODEL, max_tokens=2048, instructions="", max_concurrency=4, max_retries=0)


def request(path: str) -> tuple[PlannedRequest, str]:
    text = f'### "{path}" (whole file, 1 lines)\n1 x = 1  # PLANT(low,bug): planted'
    return PlannedRequest(custom_id=path.replace("/", "_").replace(".", "_"), pieces=(), input_tokens=50,
                          output_tokens=100), text


def test_the_heap_built_before_the_run_is_frozen_while_requests_are_out_and_collectable_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert gc.get_freeze_count() == 0
    frozen: list[int] = []

    def seen(body: dict[str, Any]) -> None:  # the fake's gate, asked as it answers each request (this process)
        frozen.append(gc.get_freeze_count())

    with FakeAnthropicAPI(api_key=KEY, hold=seen) as ai:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", ai.base_url)
        pairs = [request(p) for p in ("src/a.py", "src/b.py")]
        texts = {r.custom_id: t for r, t in pairs}
        results = review_parallel([r for r, _ in pairs], lambda r: texts[r.custom_id], OPTIONS, api_key=KEY,
                                  spend=SpendGuard(None, PRICES[MODEL]))
    assert all(r.answer is not None for r in results)
    assert len(frozen) == 2 and min(frozen) > 10_000  # everything imported and built before the run
    assert gc.get_freeze_count() == 0  # collectable again once the run has ended


def _calls() -> tuple[Calls, Pass]:
    text = request("src/a.py")[1]
    main = Pass(REVIEW, lambda r: text)
    return Calls(OPTIONS, KEY, SpendGuard(None, PRICES[MODEL]), AdaptiveLimiter(4), main), main


def test_a_request_counts_as_being_written_until_its_body_is(monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    with FakeAnthropicAPI(api_key=KEY, hold=lambda body: release) as ai:
        monkeypatch.setenv("ANTHROPIC_BASE_URL", ai.base_url)
        calls, main = _calls()

        async def scenario() -> tuple[int, int, Any]:
            calls.connect()
            before = calls.writing
            call = asyncio.ensure_future(calls.one(main, request("src/a.py")[0]))
            while not message_requests(ai):  # the fake has read the whole request; its answer is held
                await asyncio.sleep(0.01)
            during = calls.writing
            release.set()
            result = await call
            await calls.client.close()
            return before, during, result

        before, during, result = asyncio.run(scenario())
    assert result.answer is not None
    assert (before, during, calls.writing) == (0, 0, 0)  # written while its answer was awaited, and after


def test_a_request_whose_connection_fails_is_not_counted_as_being_written(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{port}")
    calls, main = _calls()

    async def scenario() -> Any:
        calls.connect()
        result = await calls.one(main, request("src/a.py")[0])
        await calls.client.close()
        return result

    result = asyncio.run(scenario())
    assert result.answer is None and "connection to the Anthropic API failed" in (result.error or "")
    assert calls.writing == 0  # the groundwork is not held back by a request that never went out


def test_the_sdk_s_answer_types_are_built_ahead() -> None:
    from anthropic import types

    build_answer_types()
    assert all(getattr(types, name).__pydantic_complete__ for name in ANSWER_TYPES)  # each is the installed SDK's
