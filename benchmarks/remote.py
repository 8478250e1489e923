"""The fake Anthropic API in its own process, so its work (tokenizing, JSON, sleeping threads) does not
share the benchmark client's interpreter lock and inflate the client's wall time.

    with RemoteFake(latency=1.0, count_tokens="claude") as fake:
        ... fake.base_url ...
    fake.requests  # the fake's records, copied back when the block ends
"""

from __future__ import annotations

import multiprocessing as mp
from dataclasses import dataclass
from typing import Any

# how often the fake's threads take turns (Python's default is 5 ms): with forty requests arriving at once, a
# thread reading one does not wait behind the threads working out answers for long
SWITCH_INTERVAL = 0.0005


@dataclass
class Record:
    path: str
    status: int | None
    started: float
    finished: float | None
    usage: dict[str, Any] | None
    verification: bool = False  # a verification request (its schema asks for verdicts)
    max_tokens: int | None = None


def _serve(conn: Any, options: dict[str, Any]) -> None:
    import sys

    from tests.fakes.anthropic_api import FakeAnthropicAPI

    sys.setswitchinterval(SWITCH_INTERVAL)
    if options.pop("count_tokens", None) == "claude":
        from .tokens import counter

        options["count_tokens"] = counter()[0]
    latency = options.pop("lognormal", None)
    if latency is not None:
        options["latency"] = _lognormal(*latency)
    from tests.fakes.model_brain import is_verification

    with FakeAnthropicAPI(**options) as fake:
        conn.send(fake.base_url)
        conn.recv()  # wait for "stop"
        records = [Record(r.path, r.status, r.started, r.finished, r.usage,
                          isinstance(r.json, dict) and is_verification(r.json),
                          r.json.get("max_tokens") if isinstance(r.json, dict) else None) for r in fake.requests]
        conn.send(records)


def _lognormal(median: float, sigma: float, seed: int) -> Any:
    import math
    import random

    rng = random.Random(seed)
    seen: dict[str, float] = {}

    def latency(body: dict[str, Any]) -> float:
        key = body["messages"][0]["content"][0]["text"][-64:]
        if key not in seen:
            seen[key] = min(5 * median, rng.lognormvariate(math.log(median), sigma))
        return seen[key]

    return latency


class RemoteFake:
    def __init__(self, **options: Any) -> None:
        self.options = options
        self.requests: list[Record] = []

    def __enter__(self) -> RemoteFake:
        parent, child = mp.get_context("fork").Pipe()
        self.process = mp.get_context("fork").Process(target=_serve, args=(child, self.options), daemon=True)
        self.process.start()
        self.conn = parent
        self.base_url: str = parent.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.send("stop")
        self.requests = self.conn.recv()
        self.process.join(timeout=10)
