"""Fan-out through the Messages API: at most `max-concurrency` requests in flight, fewer when the
rate-limit headers say so; longest requests first so no slow file holds up the tail; the cache warmed by
one request before the rest go out when there is more than one wave.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ApiError
from ..log import log
from ..plan import Plan, PlannedRequest
from ..pricing import SpendGuard, Usage
from ..prompt import message_params
from .answers import EngineResult, RequestResult, read_message
from .client import describe_api_error, fatal, make_async_client
from .limiter import AdaptiveLimiter

MAX_REPAIR_TOKENS = 32000


@dataclass(frozen=True)
class ParallelOptions:
    model: str
    max_tokens: int
    instructions: str
    max_concurrency: int
    request_timeout: float = 600.0
    max_retries: int = 4
    warm_cache: bool = True


Progress = Callable[[PlannedRequest, RequestResult], None]


def review_parallel(
    requests: Sequence[PlannedRequest],
    render: Callable[[PlannedRequest], str],
    options: ParallelOptions,
    *,
    api_key: str,
    spend: SpendGuard,
    progress: Progress | None = None,
) -> list[RequestResult]:
    return asyncio.run(_Run(requests, render, options, api_key, spend, progress).run())


class _Run:
    def __init__(
        self,
        requests: Sequence[PlannedRequest],
        render: Callable[[PlannedRequest], str],
        options: ParallelOptions,
        api_key: str,
        spend: SpendGuard,
        progress: Progress | None,
    ) -> None:
        self.requests = list(requests)
        self.render = render
        self.options = options
        self.api_key = api_key
        self.spend = spend
        self.progress = progress
        self.results: dict[str, RequestResult] = {}
        self.abort: ApiError | None = None

    async def run(self) -> list[RequestResult]:
        self.limiter = AdaptiveLimiter(self.options.max_concurrency)

        async def on_response(status: int, headers: Any) -> None:
            self.limiter.observe(status, headers)
            await self.limiter.wake()

        self.client = make_async_client(
            self.api_key,
            timeout=self.options.request_timeout,
            max_retries=self.options.max_retries,
            on_response=on_response,
        )
        queue = deque(sorted(self.requests, key=lambda r: -r.input_tokens))
        try:
            if self.options.warm_cache and len(queue) > self.options.max_concurrency:
                first = min(queue, key=lambda r: r.input_tokens)
                queue.remove(first)
                await self._one(first)
            workers = min(self.options.max_concurrency, len(queue))
            await asyncio.gather(*(self._worker(queue) for _ in range(workers)))
        finally:
            await self.client.close()
        if self.abort is not None:
            raise self.abort
        return [self.results[r.custom_id] for r in self.requests]

    async def _worker(self, queue: deque[PlannedRequest]) -> None:
        while queue:
            await self._one(queue.popleft())

    async def _one(self, request: PlannedRequest) -> None:
        estimate = self.spend.estimate(request.input_tokens, request.output_tokens)
        if self.abort is not None:
            result = RequestResult(request.custom_id, error="not sent: the run was stopped", not_sent=True)
        elif not self.spend.reserve(estimate):
            result = RequestResult(
                request.custom_id, error="not sent: budget-usd reached", not_sent=True
            )
        else:
            result = await self._review(request)
            self.spend.settle(estimate, result.usage)
        self.results[request.custom_id] = result
        if self.progress:
            self.progress(request, result)

    async def _review(self, request: PlannedRequest) -> RequestResult:
        params = message_params(
            self.render(request),
            model=self.options.model,
            max_tokens=self.options.max_tokens,
            instructions=self.options.instructions,
        )
        result = RequestResult(request.custom_id)
        for attempt in (1, 2):
            result.attempts = attempt
            try:
                message = await self._send(request, params)
            except Exception as exc:  # the SDK's own retries are already spent
                stop = fatal(exc)
                if stop is not None:
                    self.abort = self.abort or stop
                    result.error = stop.message
                    return result
                if not _is_api_error(exc):
                    raise
                result.error = describe_api_error(exc)
                return result
            result.usage.add(Usage.from_api(message.usage))
            reading = read_message(message)
            if reading.answer is not None:
                result.answer, result.error = reading.answer, None
                return result
            result.error = reading.problem
            if not reading.repairable:
                return result
            params = _repair(params, reading.problem or "", self.options)
        return result

    async def _send(self, request: PlannedRequest, params: dict[str, Any]) -> Any:
        await self.limiter.acquire(request.input_tokens, request.output_tokens)
        try:
            raw = await self.client.messages.with_raw_response.create(**params)
            return await raw.parse()
        finally:
            await self.limiter.release()


class ParallelEngine:
    """The pipeline's engine for the Messages API, with progress in the log (N of M)."""

    name = "parallel"
    batch = False

    def __init__(self, options: ParallelOptions, *, api_key: str, spend: SpendGuard) -> None:
        self.options = options
        self.api_key = api_key
        self.spend = spend

    def review(self, plan: Plan, render: Callable[[PlannedRequest], str]) -> EngineResult:
        total = len(plan.requests)
        done = 0

        def progress(request: PlannedRequest, result: RequestResult) -> None:
            nonlocal done
            done += 1
            files = ", ".join(request.paths[:3]) + (f" +{len(request.paths) - 3}" if len(request.paths) > 3 else "")
            if result.answer is not None:
                found = len(result.answer.findings)
                log.info(f"[{done}/{total}] ✓ {files} — {found} finding{'s' if found != 1 else ''}")
            else:
                log.info(f"[{done}/{total}] ✗ {files} — {result.error}")

        results = review_parallel(
            plan.requests, render, self.options, api_key=self.api_key, spend=self.spend, progress=progress
        )
        notes = []
        if self.spend.refused:
            notes.append(
                f"budget-usd ${self.spend.cap:.2f} was reached: {self.spend.refused} request(s) were not sent "
                "and their files are marked failed"
            )
        return EngineResult(results=results, notes=notes)


def _repair(params: dict[str, Any], problem: str, options: ParallelOptions) -> dict[str, Any]:
    """The one repair attempt: same request, a note on what went wrong, more room if it was cut off."""
    text = params["messages"][0]["content"][0]["text"]
    max_tokens = params["max_tokens"]
    if "cut off" in problem:
        max_tokens = min(MAX_REPAIR_TOKENS, max_tokens * 2)
    return message_params(
        text, model=options.model, max_tokens=max_tokens, instructions=options.instructions, repair=problem
    )


def _is_api_error(exc: BaseException) -> bool:
    import anthropic

    return isinstance(exc, anthropic.APIError)


__all__ = ["ParallelEngine", "ParallelOptions", "RequestResult", "review_parallel"]
