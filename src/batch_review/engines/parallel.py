"""Fan-out through the Messages API: as many requests in flight as the rate-limit headers show room for, up
to `max-concurrency` (limiter.py; one limiter for all of the engine's passes); longest requests first so no
slow file holds up the tail. When there are more requests than go out before any header is seen, the
smallest goes first, streamed, and the rest go out as soon as its answer begins (`message_start`): the API
makes a cache entry readable from then on, and its headers say how much room there is.

Faults: 429, 5xx, timeouts and lost connections are retried here, each try asking the limiter for room
(retries.py; the SDK's own retries are off); when they run out, the request's files fail with the error
named. An unusable answer (not JSON, off the schema, cut off) gets exactly one repair attempt; a refusal
none. A fatal error (401, 402, 403, 404) stops the run at once: nothing more is sent, requests in flight or
in a retry's wait are cancelled, and the error is handed back with the results gathered so far.
`budget-usd`: every call reserves its worst case before it is sent (spending.py).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from ..errors import ApiError
from ..log import log
from ..plan import Plan, PlannedRequest
from ..pricing import SpendGuard, Usage
from ..words import eta, plural
from .answers import EngineResult, RequestResult
from .client import describe_api_error, fatal, make_async_client, wait_refused
from .limiter import START, AdaptiveLimiter, LimiterClosed
from .options import ParallelOptions
from .packs import CUT_OFF, by_file, is_pack, should_split
from .repair import long_call_timeout, repair_params, retries_note
from .retries import retry_wait, retryable
from .spending import BudgetGate, Reservation, usage_since
from .task import REVIEW, Task

BUDGET_REACHED = "not sent: budget-usd reached"


Progress = Callable[[PlannedRequest, RequestResult], None]


def review_parallel(
    requests: Sequence[PlannedRequest],
    render: Callable[[PlannedRequest], str],
    options: ParallelOptions,
    *,
    api_key: str,
    spend: SpendGuard,
    progress: Progress | None = None,
    repairs: Mapping[str, str] | None = None,
    task: Task = REVIEW,
) -> list[RequestResult]:
    """`repairs` (custom_id → problem): requests whose earlier answer (a batch's) could not be used; they
    are sent once, straight as the repair attempt. Raises ApiError when the API refused the run (bad key,
    billing…); `ParallelEngine` keeps the results in that case and reports the error after them."""
    run = _Run(requests, render, options, api_key, spend, progress, repairs, task)
    results = asyncio.run(run.run())
    if run.abort is not None:
        raise run.abort
    return results


class _Stopped(Exception):
    """The run was stopped (a fatal API error) before this request got an answer."""

    def __init__(self, *, sent: bool) -> None:
        super().__init__("stopped")
        self.sent = sent


class _Run:
    def __init__(
        self,
        requests: Sequence[PlannedRequest],
        render: Callable[[PlannedRequest], str],
        options: ParallelOptions,
        api_key: str,
        spend: SpendGuard,
        progress: Progress | None,
        repairs: Mapping[str, str] | None = None,
        task: Task = REVIEW,
        limiter: AdaptiveLimiter | None = None,
    ) -> None:
        self.task = task
        self.limiter = limiter or AdaptiveLimiter(options.max_concurrency, max_wait=options.max_retry_wait)
        self.requests = list(requests)
        self.repairs = dict(repairs or {})
        self.render = render
        self.options = options
        self.api_key = api_key
        self.spend = spend
        self.progress = progress
        self.results: dict[str, RequestResult] = {}
        self.abort: ApiError | None = None
        self.calls: set[asyncio.Task[Any]] = set()

    async def run(self) -> list[RequestResult]:
        self.budget = BudgetGate(self.spend)
        self.warmed = asyncio.Event()  # the warm-up request's answer has begun: its cache entry is readable
        self.warm_id: str | None = None
        self.warm_begun: Any = None  # usage (message_start) of the warm-up stream while it has not finished

        async def on_response(status: int, headers: Any) -> None:
            self.limiter.observe(status, headers)
            await self.limiter.wake()

        self.client = make_async_client(
            self.api_key,
            timeout=self.options.request_timeout,
            max_retries=0,  # retried by _send, through the limiter (retries.py)
            on_response=on_response,
            max_retry_wait=self.options.max_retry_wait,
            provider=self.options.provider,
        )
        queue = deque(sorted(self.requests, key=lambda r: -r.input_tokens))
        try:
            tasks = []
            if self.options.warm_cache and len(queue) > min(START, self.options.max_concurrency):
                first = min(queue, key=lambda r: r.input_tokens)
                queue.remove(first)
                self.warm_id = first.custom_id
                tasks.append(asyncio.ensure_future(self._one(first)))
                begun = asyncio.ensure_future(self.warmed.wait())
                await asyncio.wait([tasks[0], begun], return_when=asyncio.FIRST_COMPLETED)
                begun.cancel()
            workers = min(self.options.max_concurrency, len(queue))
            tasks += [asyncio.ensure_future(self._worker(queue)) for _ in range(workers)]
            await asyncio.gather(*tasks)
        finally:
            await self.client.close()
        return [self.results[r.custom_id] for r in self.requests]

    async def _worker(self, queue: deque[PlannedRequest]) -> None:
        while queue:
            await self._one(queue.popleft())

    async def _one(self, request: PlannedRequest) -> None:
        problem = self.repairs.get(request.custom_id, "")
        if is_pack(request) and CUT_OFF in problem:  # a pack's cut-off batch answer: split, not asked again
            result = RequestResult(request.custom_id, error=problem, unusable=True)
        else:
            result = await self._attempt(request, problem)
        if should_split(request, result):
            await self._split(request, result)
        self.results[request.custom_id] = result
        if self.progress:
            self.progress(request, result)

    async def _attempt(self, request: PlannedRequest, problem: str = "") -> RequestResult:
        if self.abort is not None:
            return RequestResult(request.custom_id, error="not sent: the run was stopped", not_sent=True)
        result = RequestResult(request.custom_id)
        await self._review(request, result, problem)
        return result

    async def _split(self, request: PlannedRequest, result: RequestResult) -> None:
        """Each file of a pack whose answer stayed unusable is asked about on its own (inside the budget)."""
        parts = by_file(request)
        log.info(f"{len(parts)} files packed in one request got no usable answer ({result.error}); "
                 "asking about each file on its own")
        answers = await asyncio.gather(*(self._attempt(part) for part in parts))
        for answer in answers:
            if answer.error is not None:
                answer.error = f"{answer.error} (asked on its own after its pack's answer failed: {result.error})"
            result.usage.add(answer.usage)
            result.attempts += answer.attempts
        result.parts = list(zip(parts, answers, strict=True))

    async def _review(self, request: PlannedRequest, result: RequestResult, problem: str) -> None:
        task, model = self.task, self.task.model or self.options.model
        params = task.params(
            self.render(request),
            model=model,
            max_tokens=task.max_tokens or self.options.max_tokens,
            instructions=self.options.instructions,
        )
        if problem:  # an earlier answer (from a batch) could not be used: this is its one repair
            params = repair_params(params, problem, model=model, instructions=self.options.instructions, task=task)
        for attempt in (2,) if problem else (1, 2):
            reservation = await self.budget.reserve(params, task.price)
            if reservation is None:
                if result.attempts == 0:
                    result.error, result.not_sent = BUDGET_REACHED, True
                else:
                    result.error = f"{result.error}; its repair was not sent: budget-usd reached"
                return
            result.attempts = attempt
            try:
                message = await self._paid(request, params, result, reservation)
            except _Stopped as stopped:
                result.not_sent = not stopped.sent and attempt == 1
                result.error = "not sent: the run was stopped" if not stopped.sent else "stopped before it was answered"
                return
            except Exception as exc:  # the SDK's own retries are already spent
                stop = fatal(exc)
                if stop is not None:
                    await self._stop(stop)
                    result.error = stop.message
                    return
                if not _is_api_error(exc):
                    raise
                result.unusable = False
                refused = wait_refused(exc, self.options.max_retry_wait)
                note = f"; {refused}" if refused else retries_note(exc, self.options.max_retries)
                result.error = describe_api_error(exc) + note
                return
            reading = task.read(message)
            if reading.answer is not None:
                result.answer, result.error = reading.answer, None
                return
            result.error = reading.problem if attempt == 1 else f"{reading.problem} (also after one repair attempt)"
            result.unusable = reading.repairable
            if not reading.repairable or (is_pack(request) and CUT_OFF in (reading.problem or "")):
                return  # a refusal is final; a pack cut off is split rather than asked again with more room
            params = repair_params(params, reading.problem or "", model=model,
                                   instructions=self.options.instructions, task=task)

    async def _paid(self, request: PlannedRequest, params: dict[str, Any], result: RequestResult,
                    reservation: Reservation) -> Any:
        """One call inside its reservation: what it cost (a cut stream's input included) replaces it."""
        before = replace(result.usage)
        try:
            message = await self._send(request, params)
            result.usage.add(Usage.from_api(message.usage))
            return message
        finally:
            self._count_cut_stream(request, result)
            await self.budget.settle(reservation, usage_since(result.usage, before))

    async def _send(self, request: PlannedRequest, params: dict[str, Any]) -> Any:
        """One call, retried here (not by the SDK) so every try asks the limiter for room (retries.py)."""
        for retry in range(self.options.max_retries + 1):
            try:
                return await self._try(request, params, sent=retry > 0)
            except _Stopped:
                raise
            except Exception as exc:
                if retry == self.options.max_retries or not retryable(exc):
                    raise
                wait = retry_wait(exc, retry, self.options.max_retry_wait)
            pause = asyncio.ensure_future(asyncio.sleep(wait))
            self.calls.add(pause)  # a fatal error elsewhere cancels the wait too
            try:
                await pause
            except asyncio.CancelledError:
                if pause.cancelled() and self.abort is not None:
                    raise _Stopped(sent=True) from None
                raise
            finally:
                self.calls.discard(pause)
        raise AssertionError("unreachable")

    async def _try(self, request: PlannedRequest, params: dict[str, Any], *, sent: bool) -> Any:
        try:
            ticket = await self.limiter.acquire(request.input_tokens, request.output_tokens)
        except LimiterClosed:
            raise _Stopped(sent=sent) from None
        call: asyncio.Task[Any] | None = None
        try:
            if self.abort is not None:
                raise _Stopped(sent=sent)
            warm_up = request.custom_id == self.warm_id and not self.warmed.is_set()
            call = asyncio.ensure_future(self._stream(params) if warm_up else self._call(params))
            self.calls.add(call)
            try:
                message = await call
            except asyncio.CancelledError:
                if call.cancelled() and self.abort is not None:
                    raise _Stopped(sent=True) from None
                raise
            usage = Usage.from_api(message.usage)
            self.limiter.settle(ticket, usage.input_tokens + usage.cache_write_tokens, usage.output_tokens)
            return message
        finally:
            if call is not None:
                self.calls.discard(call)
            await self.limiter.release()

    async def _call(self, params: dict[str, Any]) -> Any:
        raw = await self.client.messages.with_raw_response.create(
            **params, **self._long_timeout(params), **self.options.provider.request_extras()
        )
        return await raw.parse()

    def _long_timeout(self, params: dict[str, Any]) -> dict[str, Any]:
        import httpx2

        seconds = long_call_timeout(params["max_tokens"], self.options.request_timeout)
        return {} if seconds is None else {"timeout": httpx2.Timeout(seconds, connect=10.0)}

    async def _stream(self, params: dict[str, Any]) -> Any:
        """The warm-up request, streamed: the others are released at its first event. A stream that breaks
        off after it began (an `error` event, e.g. overloaded) is not retried by the SDK: it is sent once
        more as a plain request, which is."""
        import anthropic

        try:
            async with self.client.messages.stream(**params, **self.options.provider.request_extras()) as stream:
                async for event in stream:
                    if event.type == "message_start":
                        self.warm_begun = event.message.usage
                        self.warmed.set()
                message = await stream.get_final_message()
                self.warm_begun = None  # finished: its usage is the message's
                return message
        except anthropic.APIStatusError as exc:
            if self.warm_begun is None or exc.status_code != 200:
                raise  # refused before the stream began: the SDK has already retried what it could
            log.info(f"the streamed answer broke off ({describe_api_error(exc)}); sending it again")
            return await self._call(params)

    def _count_cut_stream(self, request: PlannedRequest, result: RequestResult) -> None:
        """A warm-up stream that began but never finished (broken off, or stopped) billed its input."""
        if request.custom_id == self.warm_id and self.warm_begun is not None:
            result.usage.add(Usage.from_api(self.warm_begun))
            self.warm_begun = None

    async def _stop(self, error: ApiError) -> None:
        """A fatal error: nothing more is sent, and requests in flight (or in the SDK's retry sleep) end now."""
        if self.abort is None:
            self.abort = error
            log.info("stopping: the API refused the run (its message follows); nothing more is sent")
        current = asyncio.current_task()
        for call in list(self.calls):
            if call is not current and not call.done():
                call.cancel()
        await self.limiter.close()


class ParallelEngine:
    """The pipeline's engine for the Messages API, with progress in the log (N of M)."""

    name = "parallel"
    batch = False

    def __init__(self, options: ParallelOptions, *, api_key: str, spend: SpendGuard) -> None:
        self.options = options
        self.api_key = api_key
        self.spend = spend
        # one limiter for every pass of the run: the verification starts with what the review's headers taught
        self.limiter = AdaptiveLimiter(options.max_concurrency, max_wait=options.max_retry_wait)

    def review(self, plan: Plan, render: Callable[[PlannedRequest], str], task: Task = REVIEW) -> EngineResult:
        total = len(plan.requests)
        done = 0
        started = time.monotonic()
        refused_before = self.spend.refused  # one guard holds the budget across the run's passes

        def progress(request: PlannedRequest, result: RequestResult) -> None:
            nonlocal done
            done += 1
            left = eta(done, total, time.monotonic() - started)
            at = f"[{done}/{total}{' · ' + left if left else ''}]"  # `[3/40 · ~1:12 left]`
            files = ", ".join(request.paths[:3]) + (f" +{len(request.paths) - 3}" if len(request.paths) > 3 else "")
            if result.parts:
                answered = sum(1 for _, part in result.parts if part.answer is not None)
                mark = "✓" if answered == len(result.parts) else "✗"
                log.info(f"{at} {mark} {files} — split into {len(result.parts)} requests after "
                         f"{result.error}: {answered} answered")
            elif result.answer is not None:
                log.info(f"{at} ✓ {files} — {task.describe(result.answer)}")
            elif run.abort is not None and result.error == run.abort.message:
                log.info(f"{at} ✗ {files} — refused: the run stops")  # the error itself is printed once, after
            else:
                log.info(f"{at} ✗ {files} — {result.error}")

        run = _Run(plan.requests, render, self.options, self.api_key, self.spend, progress, task=task,
                   limiter=self.limiter)
        results = asyncio.run(run.run())
        notes = []
        refused = self.spend.refused - refused_before
        if refused:
            what = "" if task.name == "review" else f"{task.name} "
            notes.append(
                f"budget-usd ${self.spend.cap:.2f} was reached: {plural(refused, what + 'request')} "
                f"{'was' if refused == 1 else 'were'} not sent "
                f"and {task.unsent}"
            )
        return EngineResult(results=results, notes=notes, fatal=run.abort)


def _is_api_error(exc: BaseException) -> bool:
    import anthropic

    return isinstance(exc, anthropic.APIError)


__all__ = ["ParallelEngine", "ParallelOptions", "RequestResult", "review_parallel"]
