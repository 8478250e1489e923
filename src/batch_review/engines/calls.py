"""One request of a Messages API fan-out, from its budget reservation to its validated answer (parallel.py
runs many of them at once, in passes that share one client, limiter and budget).

A pass is one task's requests: the review's, or the follow-ups its answers call for (task.FollowUps: a file's
findings verified while other files are still being reviewed). A fatal error in the main pass stops
everything; in a follow-up pass it stops that pass only (the review goes on, as it would if its verification
were sent after it).

Faults: 429, 5xx, timeouts and lost connections are retried here, each try asking the limiter for room
(retries.py; the SDK's own retries are off); when they run out, the request's files fail with the error
named. An unusable answer (not JSON, off the schema, cut off) gets exactly one repair attempt; a refusal
none. A fatal error (401, 402, 403, 404) stops its pass at once: nothing more is sent, requests in flight or
in a retry's wait are cancelled. `budget-usd`: every call reserves its worst case before it is sent
(spending.py).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..errors import ApiError
from ..log import log
from ..plan import PlannedRequest
from ..pricing import SpendGuard, Usage
from .answers import RequestResult
from .client import describe_api_error, fatal, make_async_client, wait_refused
from .limiter import AdaptiveLimiter, LimiterClosed
from .options import ParallelOptions
from .packs import CUT_OFF, by_file, is_pack, should_split
from .repair import long_call_timeout, repair_params, retries_note
from .retries import retry_wait, retryable
from .spending import BudgetGate, Reservation, usage_since
from .task import Task

BUDGET_REACHED = "not sent: budget-usd reached"

Progress = Callable[[PlannedRequest, RequestResult], None]


class Stopped(Exception):
    """The pass was stopped (a fatal API error) before this request got an answer."""

    def __init__(self, *, sent: bool) -> None:
        super().__init__("stopped")
        self.sent = sent


@dataclass(eq=False)
class Pass:
    """One task's requests in a run, and what became of them."""

    task: Task
    render: Callable[[PlannedRequest], str]
    progress: Progress | None = None
    repairs: Mapping[str, str] = field(default_factory=dict)  # custom_id -> the problem its repair names
    results: dict[str, RequestResult] = field(default_factory=dict)
    abort: ApiError | None = None
    calls: set[asyncio.Future[Any]] = field(default_factory=set)  # in flight or in a retry's wait
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # rendered before their turn (idle time)
    refused: int = 0  # requests (or repairs) not sent: budget-usd reached
    warm_id: str | None = None  # the request streamed first: the others wait until its answer begins
    warmed: asyncio.Event | None = None
    warm_begun: Any = None  # usage (message_start) of the warm-up stream while it has not finished


class Calls:
    """The run's client, limiter and budget, and how one request of a pass is sent through them."""

    def __init__(self, options: ParallelOptions, api_key: str, spend: SpendGuard, limiter: AdaptiveLimiter,
                 main: Pass) -> None:
        self.options = options
        self.api_key = api_key
        self.spend = spend
        self.limiter = limiter
        self.main = main  # the pass whose fatal error stops every pass
        self.passes = [main]
        self.first_sent: float | None = None  # time.monotonic() of the first call, and of the last answer in
        self.last_answer: float | None = None
        self.writing = 0  # HTTP requests handed to the client whose body is not written yet (or that failed)

    def connect(self) -> None:
        """In the run's event loop: the budget gate and the client (SDK retries off: _send retries)."""

        async def on_response(status: int, headers: Any) -> None:
            self.limiter.observe(status, headers)
            await self.limiter.wake()

        self.budget = BudgetGate(self.spend)
        self.client = make_async_client(self.api_key, timeout=self.options.request_timeout, max_retries=0,
                                        on_response=on_response, max_retry_wait=self.options.max_retry_wait,
                                        provider=self.options.provider, on_request=self._watch)

    async def _watch(self, request: Any) -> None:
        """Count the request in `writing` until its body is written (or it fails): httpx's `trace` extension
        reports each step of sending it."""
        self.writing += 1
        written = False

        async def trace(event: str, info: Any) -> None:
            nonlocal written
            if not written and (event.endswith("send_request_body.complete") or event.endswith(".failed")):
                written = True
                self.writing -= 1

        request.extensions["trace"] = trace

    async def budget_turn(self, p: Pass) -> None:
        """Wait, if need be, before a request of `p` asks the budget for its reservation."""

    def sent(self, p: Pass, request: PlannedRequest) -> None:
        """A request of `p` went out for the first time (its call is on its way)."""

    def params(self, p: Pass, request: PlannedRequest) -> dict[str, Any]:
        """The request's `messages.create` arguments, rendered now unless they were before its turn."""
        ready = p.params.pop(request.custom_id, None)
        return ready if ready is not None else self.render(p, request)

    def render(self, p: Pass, request: PlannedRequest) -> dict[str, Any]:
        task = p.task
        return task.params(p.render(request), model=task.model or self.options.model,
                           max_tokens=task.max_tokens or self.options.max_tokens,
                           instructions=self.options.instructions)

    async def one(self, p: Pass, request: PlannedRequest) -> RequestResult:
        problem = p.repairs.get(request.custom_id, "")
        if is_pack(request) and CUT_OFF in problem:  # a pack's cut-off batch answer: split, not asked again
            result = RequestResult(request.custom_id, error=problem, unusable=True)
        else:
            result = await self._attempt(p, request, problem)
        if should_split(request, result):
            await self._split(p, request, result)
        p.results[request.custom_id] = result
        if p.progress:
            p.progress(request, result)
        return result

    async def _attempt(self, p: Pass, request: PlannedRequest, problem: str = "") -> RequestResult:
        if p.abort is not None:
            return RequestResult(request.custom_id, error="not sent: the run was stopped", not_sent=True)
        result = RequestResult(request.custom_id)
        await self._review(p, request, result, problem)
        return result

    async def _split(self, p: Pass, request: PlannedRequest, result: RequestResult) -> None:
        """Each file of a pack whose answer stayed unusable is asked about on its own (inside the budget)."""
        parts = by_file(request)
        log.info(f"{len(parts)} files packed in one request got no usable answer ({result.error}); "
                 "asking about each file on its own")
        answers = await asyncio.gather(*(self._attempt(p, part) for part in parts))
        for answer in answers:
            if answer.error is not None:
                answer.error = f"{answer.error} (asked on its own after its pack's answer failed: {result.error})"
            result.usage.add(answer.usage)
            result.attempts += answer.attempts
        result.parts = list(zip(parts, answers, strict=True))

    async def _review(self, p: Pass, request: PlannedRequest, result: RequestResult, problem: str) -> None:
        task, model = p.task, p.task.model or self.options.model
        params = self.params(p, request)
        if problem:  # an earlier answer (from a batch) could not be used: this is its one repair
            params = repair_params(params, problem, model=model, instructions=self.options.instructions, task=task)
        for attempt in (2,) if problem else (1, 2):
            await self.budget_turn(p)
            reservation = await self.budget.reserve(params, task.price)
            if reservation is None:
                p.refused += 1
                if result.attempts == 0:
                    result.error, result.not_sent = BUDGET_REACHED, True
                else:
                    result.error = f"{result.error}; its repair was not sent: budget-usd reached"
                return
            result.attempts = attempt
            try:
                message = await self._paid(p, request, params, result, reservation)
            except Stopped as stopped:
                result.not_sent = not stopped.sent and attempt == 1
                result.error = "not sent: the run was stopped" if not stopped.sent else "stopped before it was answered"
                return
            except Exception as exc:  # the retries (_send) are already spent
                stop = fatal(exc)
                if stop is not None:
                    await self.stop(p, stop)
                    result.error = stop.message
                    return
                if not is_api_error(exc):
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

    async def _paid(self, p: Pass, request: PlannedRequest, params: dict[str, Any], result: RequestResult,
                    reservation: Reservation) -> Any:
        """One call inside its reservation: what it cost (a cut stream's input included) replaces it."""
        before = replace(result.usage)
        try:
            message = await self._send(p, request, params)
            result.usage.add(Usage.from_api(message.usage))
            return message
        finally:
            self._count_cut_stream(p, request, result)
            await self.budget.settle(reservation, usage_since(result.usage, before))

    async def _send(self, p: Pass, request: PlannedRequest, params: dict[str, Any]) -> Any:
        """One call, retried here (not by the SDK) so every try asks the limiter for room (retries.py)."""
        for retry in range(self.options.max_retries + 1):
            try:
                return await self._try(p, request, params, sent=retry > 0)
            except Stopped:
                raise
            except Exception as exc:
                if retry == self.options.max_retries or not retryable(exc):
                    raise
                wait = retry_wait(exc, retry, self.options.max_retry_wait)
            pause = asyncio.ensure_future(asyncio.sleep(wait))
            p.calls.add(pause)  # a fatal error elsewhere cancels the wait too
            try:
                await pause
            except asyncio.CancelledError:
                if pause.cancelled() and p.abort is not None:
                    raise Stopped(sent=True) from None
                raise
            finally:
                p.calls.discard(pause)
        raise AssertionError("unreachable")

    async def _try(self, p: Pass, request: PlannedRequest, params: dict[str, Any], *, sent: bool) -> Any:
        try:
            ticket = await self.limiter.acquire(request.input_tokens, request.output_tokens)
        except LimiterClosed:
            raise Stopped(sent=sent) from None
        call: asyncio.Task[Any] | None = None
        try:
            if p.abort is not None:
                raise Stopped(sent=sent)
            warm_up = request.custom_id == p.warm_id and p.warmed is not None and not p.warmed.is_set()
            if self.first_sent is None:
                self.first_sent = time.monotonic()
            call = asyncio.ensure_future(self._stream(p, params) if warm_up else self._call(params))
            p.calls.add(call)
            if not sent:
                self.sent(p, request)
            try:
                message = await call
            except asyncio.CancelledError:
                if call.cancelled() and p.abort is not None:
                    raise Stopped(sent=True) from None
                raise
            finally:
                self.last_answer = time.monotonic()
            usage = Usage.from_api(message.usage)
            self.limiter.settle(ticket, usage.input_tokens + usage.cache_write_tokens, usage.output_tokens)
            return message
        finally:
            if call is not None:
                p.calls.discard(call)
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

    async def _stream(self, p: Pass, params: dict[str, Any]) -> Any:
        """The warm-up request, streamed: the others of its pass are released once its answer has begun (the
        response's status and headers are in: its cache entry is readable, and the limiter has seen the
        headers). A stream that breaks off after it began (an `error` event, e.g. overloaded) is sent once more
        as a plain request, which is retried."""
        import anthropic

        assert p.warmed is not None
        try:
            async with self.client.messages.stream(**params, **self.options.provider.request_extras()) as stream:
                p.warmed.set()
                async for event in stream:
                    if event.type == "message_start":
                        p.warm_begun = event.message.usage
                message = await stream.get_final_message()
                p.warm_begun = None  # finished: its usage is the message's
                return message
        except anthropic.APIStatusError as exc:
            if p.warm_begun is None or exc.status_code != 200:
                raise  # refused before the stream began: retried like any call (_send)
            log.info(f"the streamed answer broke off ({describe_api_error(exc)}); sending it again")
            return await self._call(params)

    def _count_cut_stream(self, p: Pass, request: PlannedRequest, result: RequestResult) -> None:
        """A warm-up stream that began but never finished (broken off, or stopped) billed its input."""
        if request.custom_id == p.warm_id and p.warm_begun is not None:
            result.usage.add(Usage.from_api(p.warm_begun))
            p.warm_begun = None

    @property
    def seconds(self) -> float | None:
        """First request sent to last answer in (or last call ended), by this process's clock."""
        if self.first_sent is None or self.last_answer is None:
            return None
        return self.last_answer - self.first_sent

    async def stop(self, p: Pass, error: ApiError) -> None:
        """A fatal error: nothing more of the pass is sent (of any pass, when it is the main one), and its
        requests in flight (or in a retry's wait) end now."""
        every = p is self.main
        stopped = self.passes if every else [p]
        if p.abort is None:
            what = "the run" if every else f"the {p.task.name} requests"
            log.info(f"stopping: the API refused {what} (its message follows); nothing more of it is sent")
        for each in stopped:
            if each.abort is None:
                each.abort = error
        current = asyncio.current_task()
        for each in stopped:
            for call in list(each.calls):
                if call is not current and not call.done():
                    call.cancel()
        if every:
            await self.limiter.close()


def is_api_error(exc: BaseException) -> bool:
    import anthropic

    return isinstance(exc, anthropic.APIError)
