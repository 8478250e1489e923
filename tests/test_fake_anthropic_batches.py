"""The fake Anthropic API's Message Batches endpoints, driven by the real ``anthropic`` client (sync and async)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anthropic
import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.model_brain import expected_findings, review_answer
from tests.test_fake_anthropic import KEY, MODEL, PROMPT, aclient, client, raw, user


def batch_requests() -> list[dict[str, Any]]:
    params = {"model": MODEL, "max_tokens": 1000, "messages": user(PROMPT)}
    reqs = [{"custom_id": f"r-{i}", "params": params} for i in range(5)]
    reqs.append({"custom_id": "bad", "params": {**params, "temperature": 0.5}})
    return reqs


def test_batch_lifecycle() -> None:
    async def scenario(fake: FakeAnthropicAPI) -> None:
        async with aclient(fake) as c:
            batch = await c.messages.batches.create(requests=batch_requests())
            assert batch.id.startswith("msgbatch_") and batch.processing_status == "in_progress"
            got = await c.messages.batches.retrieve(batch.id)
            assert got.request_counts.processing == 6 and got.results_url is None and got.ended_at is None
            with pytest.raises(anthropic.AnthropicError, match="results_url"):
                await c.messages.batches.results(batch.id)
            outcomes = {"r-1": "errored", "r-2": "expired", "r-3": "canceled", "r-4": "overloaded"}
            fake.end_batch(batch.id, outcomes)
            got = await c.messages.batches.retrieve(batch.id)
            assert got.processing_status == "ended" and got.ended_at is not None
            counts = got.request_counts
            assert (counts.processing, counts.succeeded, counts.errored, counts.expired, counts.canceled) == (
                0, 1, 3, 1, 1,
            )  # fmt: skip
            results = {r.custom_id: r.result async for r in await c.messages.batches.results(batch.id)}
            assert {k: v.type for k, v in results.items()} == {
                "r-0": "succeeded", "r-1": "errored", "r-2": "expired",
                "r-3": "canceled", "r-4": "errored", "bad": "errored",
            }  # fmt: skip
            ok = results["r-0"].message
            assert ok.content[0].type == "thinking" and ok.usage.service_tier == "batch"
            assert json.loads(ok.content[-1].text) == json.loads(review_answer(expected_findings(PROMPT), PROMPT))
            assert results["bad"].error.error.type == "invalid_request_error"
            assert results["r-4"].error.error.type == "overloaded_error"
            fake.forget_results(batch.id)
            with pytest.raises(anthropic.NotFoundError):
                await c.messages.batches.results(batch.id)

    with FakeAnthropicAPI(api_key=KEY) as fake:
        asyncio.run(scenario(fake))
        assert fake.batches_created == 1 and len(next(iter(fake.batches.values())).requests) == 6
        status, _, body = raw(fake, "GET", "/v1/messages/batches", headers={"x-api-key": KEY})
        assert status == 400 and b"anthropic-version" in body  # no anthropic-version header


def test_batch_results_are_jsonl_and_cancel_delete() -> None:
    with FakeAnthropicAPI(api_key=KEY, auto_end_after_polls=2) as fake:
        c = client(fake)
        batch = c.messages.batches.create(requests=batch_requests()[:3])
        assert c.messages.batches.retrieve(batch.id).processing_status == "in_progress"
        assert c.messages.batches.retrieve(batch.id).processing_status == "ended"
        path = f"/v1/messages/batches/{batch.id}/results"
        status, _, body = raw(fake, "GET", path, headers={"x-api-key": KEY, "anthropic-version": "x"})
        lines = body.decode().splitlines()
        assert status == 200 and len(lines) == 3 and all(line.strip() for line in lines)
        assert {json.loads(line)["custom_id"] for line in lines} == {"r-0", "r-1", "r-2"}
        other = c.messages.batches.create(requests=batch_requests()[:2])
        with pytest.raises(anthropic.BadRequestError):
            c.messages.batches.delete(other.id)
        assert c.messages.batches.cancel(other.id).processing_status == "canceling"
        fake.end_batch(other.id, {"r-0": "succeeded"})
        kinds = sorted(r.result.type for r in c.messages.batches.results(other.id))
        assert kinds == ["canceled", "succeeded"]
        assert c.messages.batches.delete(other.id).type == "message_batch_deleted"
        with pytest.raises(anthropic.NotFoundError):
            c.messages.batches.retrieve(other.id)


def test_batch_create_validation() -> None:
    with FakeAnthropicAPI(api_key=KEY) as fake:
        c = client(fake, max_retries=0)
        params = {"model": MODEL, "max_tokens": 10, "messages": user("hi")}
        with pytest.raises(anthropic.BadRequestError, match="unique"):
            c.messages.batches.create(requests=[{"custom_id": "a", "params": params}] * 2)
        with pytest.raises(anthropic.BadRequestError, match="pattern"):
            c.messages.batches.create(requests=[{"custom_id": "a/b", "params": params}])
        with pytest.raises(anthropic.BadRequestError, match="at least 1"):
            c.messages.batches.create(requests=[])
        fake.max_batch_bytes = 2000
        with pytest.raises(anthropic.ContentTooLargeError):
            c.messages.batches.create(requests=[{"custom_id": f"r{i}", "params": params} for i in range(50)])
        assert fake.batches_created == 0


def test_batch_list_pagination() -> None:
    with FakeAnthropicAPI(api_key=KEY) as fake:
        c = client(fake)
        params = {"model": MODEL, "max_tokens": 10, "messages": user("hi")}
        ids = [c.messages.batches.create(requests=[{"custom_id": "a", "params": params}]).id for _ in range(5)]
        newest_first = ids[::-1]
        page = c.messages.batches.list(limit=2)
        assert [b.id for b in page.data] == newest_first[:2] and page.has_more
        assert page.first_id == newest_first[0] and page.last_id == newest_first[1]
        assert [b.id for b in c.messages.batches.list(limit=2)] == newest_first  # auto-pagination
        before = c.messages.batches.list(before_id=newest_first[3], limit=2)
        assert [b.id for b in before.data] == newest_first[1:3] and before.has_more
        last = c.messages.batches.list(after_id=newest_first[2], limit=5)
        assert [b.id for b in last.data] == newest_first[3:] and not last.has_more
