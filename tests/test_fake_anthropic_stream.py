"""Streamed answers of the fake Anthropic API (`"stream": true`), read by the real SDK's stream helper."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import anthropic
import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.model_brain import expected_findings, review_answer
from tests.test_fake_anthropic import KEY, MODEL, PROMPT, SCHEMA, aclient, client, raw, user

FORMAT = {"format": {"type": "json_schema", "schema": SCHEMA}}
SYSTEM = [{"type": "text", "text": "x" * 6000, "cache_control": {"type": "ephemeral"}}]


def test_a_streamed_answer_is_the_same_message_as_a_plain_one() -> None:
    with FakeAnthropicAPI(api_key=KEY) as fake:
        c = client(fake)
        plain = c.messages.create(model=MODEL, max_tokens=4000, messages=user(PROMPT), output_config=FORMAT)
        with c.messages.stream(model=MODEL, max_tokens=4000, messages=user(PROMPT), output_config=FORMAT) as stream:
            kinds = [event.type for event in stream]
            streamed = stream.get_final_message()
        assert kinds[0] == "message_start" and kinds[-1] == "message_stop"
        assert {"content_block_start", "content_block_delta", "content_block_stop", "message_delta"} <= set(kinds)
        assert [b.type for b in streamed.content] == ["thinking", "text"] and streamed.content[0].signature
        assert json.loads(streamed.content[1].text) == json.loads(review_answer(expected_findings(PROMPT), PROMPT))
        assert streamed.content[1].text == plain.content[1].text
        assert streamed.stop_reason == "end_turn"
        assert streamed.usage.input_tokens == plain.usage.input_tokens
        assert streamed.usage.output_tokens == plain.usage.output_tokens > 1
        status, headers, body = raw(fake, "POST", "/v1/messages",
                                    {"model": MODEL, "max_tokens": 50, "messages": user("hi"), "stream": True},
                                    {"x-api-key": KEY, "anthropic-version": "2023-06-01"})  # fmt: skip
        assert status == 200 and headers["content-type"] == "text/event-stream"
        assert body.startswith(b"event: message_start\ndata: {")


def test_streamed_faults_end_with_their_stop_reason() -> None:
    with FakeAnthropicAPI(api_key=KEY) as fake:
        c = client(fake, max_retries=0)
        fake.inject("refusal")
        with c.messages.stream(model=MODEL, max_tokens=500, messages=user("x")) as stream:
            refused = stream.get_final_message()
        assert refused.stop_reason == "refusal" and refused.stop_details is not None
        with c.messages.stream(model=MODEL, max_tokens=30, messages=user(PROMPT)) as stream:
            tiny = stream.get_final_message()
        assert tiny.stop_reason == "max_tokens" and tiny.usage.output_tokens == 30
        fake.inject("overloaded")
        with pytest.raises(anthropic.APIStatusError) as caught, c.messages.stream(
            model=MODEL, max_tokens=30, messages=user("x")
        ) as stream:
            stream.get_final_message()
        assert caught.value.status_code == 529  # an error before the stream is a plain JSON error


def test_the_cache_entry_is_readable_once_the_stream_has_begun() -> None:
    """A request sent at `message_start` of a streamed one reads its cache write, while it still streams."""

    async def scenario(fake: FakeAnthropicAPI) -> tuple[Any, Any]:
        async with aclient(fake) as c:
            async with c.messages.stream(model=MODEL, max_tokens=500, system=SYSTEM, messages=user("a")) as stream:
                async for event in stream:
                    if event.type == "message_start":
                        second = await c.messages.create(model=MODEL, max_tokens=500, system=SYSTEM,
                                                         messages=user("b"))  # fmt: skip
                        break
                first = await stream.get_final_message()
            return first, second

    with FakeAnthropicAPI(api_key=KEY, latency=1.0, ttft=0.05) as fake:
        first, second = asyncio.run(scenario(fake))
        assert first.usage.cache_creation_input_tokens == 1500 and first.usage.cache_read_input_tokens == 0
        assert second.usage.cache_read_input_tokens == 1500 and second.usage.cache_creation_input_tokens == 0
        streamed, plain = fake.requests
        assert plain.started < streamed.finished  # the second went out while the first was still streaming
        assert fake.max_in_flight == 2


def test_batches_refuse_streaming_requests() -> None:
    with FakeAnthropicAPI(api_key=KEY, auto_end_after_polls=0) as fake:
        c = client(fake)
        batch = c.messages.batches.create(requests=[
            {"custom_id": "s", "params": {"model": MODEL, "max_tokens": 50, "messages": user("x"), "stream": True}},
        ])  # fmt: skip
        c.messages.batches.retrieve(batch.id)
        [entry] = list(c.messages.batches.results(batch.id))
        assert entry.result.type == "errored" and "stream" in entry.result.error.error.message


def test_a_stream_can_break_off_after_it_began() -> None:
    with FakeAnthropicAPI(api_key=KEY) as fake:
        c = client(fake)
        fake.inject("midstream_overloaded")
        seen: list[str] = []
        with pytest.raises(anthropic.APIStatusError) as caught, c.messages.stream(
            model=MODEL, max_tokens=50, messages=user("x")
        ) as stream:
            seen.extend(event.type for event in stream)
        assert seen == ["message_start"]  # it began, then the error event ended it
        assert caught.value.status_code == 200 and "overloaded_error" in str(caught.value.body)
        assert fake.count("POST", "/v1/messages") == 1  # the SDK does not retry a broken stream
        fake.inject("midstream_overloaded")
        with pytest.raises(anthropic.APIStatusError) as plain:
            client(fake, max_retries=0).messages.create(model=MODEL, max_tokens=50, messages=user("x"))
        assert plain.value.status_code == 529
