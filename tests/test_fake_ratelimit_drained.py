"""The fake's `RateLimits(drained=True)`: another client emptied the requests bucket just before this client's
first request — whenever that comes (a run plans for seconds before it sends), not when the fake starts."""

from __future__ import annotations

import time

import anthropic
import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI, RateLimits

KEY = "sk-ant-test"
MESSAGES = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]


def first_answer(drained: bool) -> tuple[int, str]:
    with FakeAnthropicAPI(api_key=KEY, rate_limits=RateLimits(rpm=600, drained=drained)) as fake:
        time.sleep(0.3)  # three requests' worth of refill at 600 a minute: a bucket emptied at start has them
        c = anthropic.Anthropic(api_key=KEY, base_url=fake.base_url, max_retries=0)
        try:
            raw = c.messages.with_raw_response.create(model="claude-sonnet-5-5", max_tokens=100, messages=MESSAGES)
        except anthropic.RateLimitError as exc:
            return 429, exc.response.headers["anthropic-ratelimit-requests-remaining"]
        return raw.http_response.status_code, raw.headers["anthropic-ratelimit-requests-remaining"]


@pytest.mark.parametrize(("drained", "expected"), [(True, (429, "0")), (False, (200, "599"))])
def test_a_drained_bucket_is_empty_at_the_first_request(drained: bool, expected: tuple[int, str]) -> None:
    assert first_answer(drained) == expected
