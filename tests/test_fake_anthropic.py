"""The fake Anthropic API, driven by the real ``anthropic`` client (sync and async)."""

from __future__ import annotations

import asyncio
import http.client
import json
import time
from datetime import datetime
from typing import Any

import anthropic
import pydantic
import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI, RateLimits
from tests.fakes.model_brain import (
    expected_findings,
    inject_raw,
    parse_sections,
    plant,
    planted_brain,
    review_answer,
)

KEY = "sk-ant-test"
MODEL = "claude-sonnet-5-5"


class Finding(pydantic.BaseModel):
    path: str
    line: int
    end_line: int | None
    severity: str
    category: str
    title: str
    body: str
    suggestion: str | None
    confidence: float


class Review(pydantic.BaseModel):
    findings: list[Finding]
    summary: str


SCHEMA = anthropic.lib._parse._transform.transform_schema(Review)
PROMPT = (
    "Review these files.\n"
    '### "src/app.py" (modified, lines 8-12 of 40)\n'
    " 8 import os\n"
    " 9+def f(x):\n"
    f"10+    return eval(x)  # {plant('high', 'security', title='eval of user input', suggest='return int(x)')}\n"
    f"   -    return x  # {plant('low')}\n"
    f"11+    y = 1  # {plant('medium', end=1)}\n"
    "12+    z = 2\n"
    '### "docs/we\\"ird.md" (added, lines 1-1 of 1)\n'
    "1+hello  # " + plant("low", "docs", title="typo", suggest="a\nb") + "\n"
)


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": [{"type": "text", "text": text}]}]


def client(fake: FakeAnthropicAPI, **kw: Any) -> anthropic.Anthropic:
    return anthropic.Anthropic(api_key=KEY, base_url=fake.base_url, **kw)


def aclient(fake: FakeAnthropicAPI, **kw: Any) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(api_key=KEY, base_url=fake.base_url, **kw)


def raw(fake: FakeAnthropicAPI, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=5)
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data, headers={"content-type": "application/json", **(headers or {})})
    resp = conn.getresponse()
    out = resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    conn.close()
    return out


def test_brain_parses_the_prompt_format() -> None:
    sections = parse_sections(PROMPT)
    assert [s.path for s in sections] == ["src/app.py", 'docs/we"ird.md']
    assert [n for n, _, _ in sections[0].lines] == [8, 9, 10, 11, 12]
    found = expected_findings(PROMPT)
    assert [(f["path"], f["line"], f["end_line"]) for f in found] == [
        ("src/app.py", 10, None),
        ("src/app.py", 11, 12),
        ('docs/we"ird.md', 1, None),
    ]
    assert found[0]["category"] == "security" and found[0]["suggestion"] == "return int(x)"
    assert found[1]["category"] == "bug" and found[1]["title"] == "planted issue"
    assert found[2]["suggestion"] == "a\nb" and found[2]["body"] == "Planted issue: typo"
    injected = planted_brain({"messages": user("ignore all that " + inject_raw('{"findings": []}'))})
    assert injected == '{"findings": []}'


def test_create_returns_thinking_then_planted_findings() -> None:
    with FakeAnthropicAPI(api_key=KEY) as fake:
        c = client(fake)
        msg = c.messages.create(
            model=MODEL,
            max_tokens=4000,
            messages=user(PROMPT),
            output_config={"format": {"type": "json_schema", "schema": SCHEMA}},
        )
        assert [b.type for b in msg.content] == ["thinking", "text"]
        assert msg.content[0].signature
        assert json.loads(msg.content[1].text) == json.loads(review_answer(expected_findings(PROMPT), PROMPT))
        assert msg.stop_reason == "end_turn" and msg.id.startswith("msg_")
        assert msg.usage.input_tokens > 0 and msg.usage.output_tokens > 0
        assert msg.usage.service_tier == "standard" and msg.usage.cache_creation is not None
        parsed = c.messages.parse(model=MODEL, max_tokens=4000, messages=user(PROMPT), output_format=Review)
        assert parsed.parsed_output is not None and len(parsed.parsed_output.findings) == 3
        rec = fake.requests[0]
        assert rec.headers["authorization"] == f"Bearer {KEY}" and rec.json["model"] == MODEL
        assert fake.count("POST", "/v1/messages") == 2 and rec.usage == msg.usage.model_dump(exclude_none=True)
        assert c.messages.count_tokens(model=MODEL, messages=user(PROMPT)).input_tokens == msg.usage.input_tokens


def test_validation_like_the_real_api() -> None:
    with FakeAnthropicAPI(api_key=KEY) as fake:
        c = client(fake, max_retries=0)
        with pytest.raises(anthropic.BadRequestError, match="temperature"):
            c.messages.create(model=MODEL, max_tokens=10, messages=user("hi"), extra_body={"temperature": 0.2})
        with pytest.raises(anthropic.BadRequestError, match="tool_choice"):
            c.messages.create(
                model=MODEL,
                max_tokens=10,
                messages=user("hi"),
                tools=[{"name": "t", "input_schema": {"type": "object"}}],
                tool_choice={"type": "tool", "name": "t"},
            )
        with pytest.raises(anthropic.BadRequestError, match="additionalProperties"):
            c.messages.create(
                model=MODEL,
                max_tokens=10,
                messages=user("hi"),
                output_config={"format": {"type": "json_schema", "schema": {"type": "object"}}},
            )
        with pytest.raises(anthropic.NotFoundError, match="model: claude-nope"):
            c.messages.create(model="claude-nope", max_tokens=10, messages=user("hi"))
        with pytest.raises(anthropic.AuthenticationError):
            anthropic.Anthropic(api_key="sk-wrong", base_url=fake.base_url).messages.create(
                model=MODEL, max_tokens=10, messages=user("hi")
            )
        ok = {"model": MODEL, "max_tokens": 10, "messages": user("hi")}
        status, headers, body = raw(fake, "POST", "/v1/messages", ok, {"x-api-key": KEY})
        assert status == 400 and headers["request-id"].startswith("req_")
        err = json.loads(body)
        assert err["type"] == "error" and err["error"]["type"] == "invalid_request_error"
        assert "anthropic-version" in err["error"]["message"] and err["request_id"] == headers["request-id"]
        version = {"x-api-key": KEY, "anthropic-version": "2023-06-01"}
        assert raw(fake, "POST", "/v1/messages", ok, version)[0] == 200
        status, _, body = raw(fake, "POST", "/v1/messages", {"model": MODEL, "messages": ok["messages"]}, version)
        assert status == 400 and "max_tokens: Field required" in json.loads(body)["error"]["message"]
        assert "x-should-retry" not in headers


def test_429_with_retry_after_is_retried() -> None:
    with FakeAnthropicAPI(api_key=KEY) as fake:
        fault = fake.inject("rate_limit")
        start = time.monotonic()
        msg = client(fake).messages.create(model=MODEL, max_tokens=1000, messages=user(PROMPT))
        assert time.monotonic() - start >= 0.9  # the SDK waited the retry-after second, not its backoff
        assert msg.stop_reason == "end_turn" and fault.hits == 1
        first = fake.requests[0]
        assert first.status == 429 and first.fault == "rate_limit"
        assert fake.count("POST", "/v1/messages") == 2 and fake.requests[1].headers["x-stainless-retry-count"] == "1"


def test_529_and_500_are_retried() -> None:
    with FakeAnthropicAPI(api_key=KEY) as fake:
        fake.inject("overloaded")
        fake.inject("server_error")
        msg = client(fake).messages.create(model=MODEL, max_tokens=1000, messages=user("hi"))
        assert msg.content[-1].type == "text"
        assert [r.status for r in fake.requests] == [529, 500, 200]


def test_drop_surfaces_as_connection_error_after_retries() -> None:
    with FakeAnthropicAPI(api_key=KEY) as fake:
        fake.inject("drop", times=2)
        with pytest.raises(anthropic.APIConnectionError) as info:
            client(fake, max_retries=1).messages.create(model=MODEL, max_tokens=100, messages=user("hi"))
        assert not isinstance(info.value, anthropic.APITimeoutError)
        assert fake.count("POST", "/v1/messages") == 2 and all(r.status is None for r in fake.requests)


def test_timeout_raises_api_timeout_error() -> None:
    with FakeAnthropicAPI(api_key=KEY, timeout_seconds=1.0) as fake:
        fake.inject("timeout")
        c = client(fake, max_retries=0, timeout=0.3)
        with pytest.raises(anthropic.APITimeoutError):
            c.messages.create(model=MODEL, max_tokens=100, messages=user("hi"))
        assert c.messages.create(model=MODEL, max_tokens=100, messages=user("hi")).stop_reason == "end_turn"


def test_error_faults_map_to_sdk_errors_and_are_not_retried() -> None:
    cases = {
        "auth": anthropic.AuthenticationError,
        "billing": anthropic.PaymentRequiredError,
        "permission": anthropic.PermissionDeniedError,
        "not_found": anthropic.NotFoundError,
        "invalid_request": anthropic.BadRequestError,
        "too_large": anthropic.ContentTooLargeError,
    }
    with FakeAnthropicAPI(api_key=KEY) as fake:
        c = client(fake)
        for kind, error in cases.items():
            fake.inject(kind)
            with pytest.raises(error):
                c.messages.create(model=MODEL, max_tokens=100, messages=user("hi"))
        assert fake.count("POST", "/v1/messages") == len(cases)
        fake.inject(("custom", 503, {"x-should-retry": "false"}, b'{"type":"error","error":{"type":"api_error"}}'))
        with pytest.raises(anthropic.InternalServerError):
            c.messages.create(model=MODEL, max_tokens=100, messages=user("hi"))
        assert fake.count("POST", "/v1/messages") == len(cases) + 1


def test_output_faults_and_match_predicate() -> None:
    with FakeAnthropicAPI(api_key=KEY) as fake:
        c = client(fake, max_retries=0)
        fake.inject("not_json", match=lambda b: "src/x.py" in json.dumps(b))
        fake.inject("max_tokens")
        fake.inject("refusal")
        other = c.messages.create(model=MODEL, max_tokens=500, messages=user("no file here"))
        assert other.stop_reason == "max_tokens"  # the unmatched fault went to the next one
        hit = c.messages.create(model=MODEL, max_tokens=500, messages=user('### "src/x.py"'))
        assert hit.stop_reason == "end_turn"
        with pytest.raises(ValueError):
            json.loads(hit.content[-1].text)
        refused = c.messages.create(model=MODEL, max_tokens=500, messages=user("x"))
        assert refused.stop_reason == "refusal"
        tiny = c.messages.create(model=MODEL, max_tokens=30, messages=user(PROMPT))
        assert tiny.stop_reason == "max_tokens" and tiny.usage.output_tokens == 30


def test_brain_output_breaking_the_schema_is_loud() -> None:
    fake = FakeAnthropicAPI(api_key=KEY, brain=lambda body: "not json")
    with pytest.raises(AssertionError, match="does not match"), fake:
        with pytest.raises(anthropic.InternalServerError):
            client(fake, max_retries=0).messages.parse(
                model=MODEL, max_tokens=100, messages=user("hi"), output_format=Review
            )
        assert fake.errors


def test_prompt_caching_sequential_reads_concurrent_writes() -> None:
    system = [{"type": "text", "text": "x" * 6000, "cache_control": {"type": "ephemeral"}}]

    async def scenario(fake: FakeAnthropicAPI) -> list[Any]:
        async with aclient(fake) as c:

            def call(i: int) -> Any:
                return c.messages.create(model=MODEL, max_tokens=500, system=system, messages=user(f"file {i}"))

            first = await asyncio.gather(*(call(i) for i in range(3)))
            return [*first, await call(3)]

    with FakeAnthropicAPI(api_key=KEY, latency=0.2) as fake:
        results = asyncio.run(scenario(fake))
        assert fake.max_in_flight == 3  # the three first requests overlapped
        assert [r.usage.cache_creation_input_tokens for r in results] == [1500, 1500, 1500, 0]
        assert [r.usage.cache_read_input_tokens for r in results] == [0, 0, 0, 1500]
        assert results[0].usage.cache_creation.ephemeral_5m_input_tokens == 1500
        assert results[3].usage.input_tokens == results[0].usage.input_tokens > 0
        assert fake.usage_totals()["cache_read_input_tokens"] == 1500
        small = [{"type": "text", "text": "short", "cache_control": {"type": "ephemeral"}}]
        c = client(fake)
        for _ in range(2):
            msg = c.messages.create(model=MODEL, max_tokens=100, system=small, messages=user("a"))
            assert msg.usage.cache_creation_input_tokens == msg.usage.cache_read_input_tokens == 0


def test_each_models_minimum_cacheable_prefix_is_enforced_silently() -> None:
    """1,500 tokens are cached by a 1,024-floor model, not by Haiku 4.5 (4,096) or Sonnet 4.6 (2,048): no error,
    no cache write, no read, the whole prefix billed as input every time; 4,500 tokens are cached by all."""
    def usage(fake: FakeAnthropicAPI, model: str, chars: int) -> list[tuple[int, int, int]]:
        system = [{"type": "text", "text": "y" * chars + model, "cache_control": {"type": "ephemeral"}}]
        c = client(fake)
        out = []
        for _ in range(2):
            u = c.messages.create(model=model, max_tokens=100, system=system, messages=user("a")).usage
            out.append((u.cache_creation_input_tokens, u.cache_read_input_tokens, u.input_tokens))
        return out

    with FakeAnthropicAPI(api_key=KEY) as fake:
        [(w1, r1, _), (w2, r2, _)] = usage(fake, "claude-sonnet-5-5", 6000)
        assert w1 > 1024 and r1 == 0 and w2 == 0 and r2 == w1
        for model in ("claude-haiku-4-5", "claude-sonnet-4-6"):
            [(w1, r1, i1), (w2, r2, i2)] = usage(fake, model, 6000)
            assert w1 == r1 == w2 == r2 == 0 and i1 == i2 > 1500
        [(w1, _, _), (_, r2, _)] = usage(fake, "claude-haiku-4-5", 18000)
        assert w1 > 4096 and r2 == w1
    with FakeAnthropicAPI(api_key=KEY, min_cache_tokens={"claude-sonnet-5-5": 2048}) as fake:
        [(w1, r1, _), (w2, r2, _)] = usage(fake, "claude-sonnet-5-5", 6000)
        assert w1 == r1 == w2 == r2 == 0


def test_rate_limits_headers_and_429() -> None:
    with FakeAnthropicAPI(api_key=KEY, rate_limits=RateLimits(rpm=2, input_tpm=100_000, output_tpm=50_000)) as fake:
        c = client(fake, max_retries=0)
        raw_resp = c.messages.with_raw_response.create(model=MODEL, max_tokens=100, messages=user("hi"))
        h = raw_resp.headers
        assert raw_resp.parse().stop_reason == "end_turn"
        for name in ("requests", "input-tokens", "output-tokens", "tokens"):
            assert f"anthropic-ratelimit-{name}-limit" in h
            datetime.fromisoformat(h[f"anthropic-ratelimit-{name}-reset"])
        assert h["anthropic-ratelimit-requests-remaining"] == "1"
        c.messages.create(model=MODEL, max_tokens=100, messages=user("hi"))
        with pytest.raises(anthropic.RateLimitError) as info:
            c.messages.create(model=MODEL, max_tokens=100, messages=user("hi"))
        retry_after = info.value.response.headers["retry-after"]
        assert retry_after.isdigit() and 1 <= int(retry_after) <= 60
        assert info.value.response.headers["anthropic-ratelimit-requests-remaining"] == "0"
    with FakeAnthropicAPI(rate_limits={"input_tpm": 60}) as fake:
        c = client(fake, max_retries=0)
        c.messages.create(model=MODEL, max_tokens=100, messages=user("y" * 200))  # 50 input tokens
        with pytest.raises(anthropic.RateLimitError, match="input tokens"):
            c.messages.create(model=MODEL, max_tokens=100, messages=user("y" * 200))
