"""Fan-out through the Messages API: as many requests in flight as the rate-limit headers show room for, up
to `max-concurrency` (limiter.py; one limiter for all of the engine's passes); longest requests first so no
slow file holds up the tail. When there are more requests than go out before any header is seen, the
smallest goes first, streamed, and the rest go out as soon as its answer begins: the API makes a cache entry
readable from then on, and its headers say how much room there is. While that first answer has not begun,
the requests that follow it are rendered, so they leave at once when it does.

Follow-ups (task.FollowUps): when the pipeline hands the engine a follow-up producer, every answer is shown
to it as it arrives, and the requests it calls for join the queue behind the run's own requests not yet sent
— through the same limiter, budget and client, while other answers are still awaited. Under `budget-usd` a
follow-up asks for its reservation only once every request of the run has gone out: reviews come first. The
first follow-up is streamed like the first request, so the others read its cache entry. The run ends when
every request and every follow-up has ended. One request's tries, repairs and faults: calls.py.

When the run fans out (its first request is a warm-up) and no `budget-usd` is set, the follow-ups' cached
prefix (their task's system prompt and the run's shared blocks) is written ahead by a one-token request sent
with that first request: the follow-ups an answer calls for then go out together at once, reading it, instead
of waiting for a first follow-up's answer to begin. It costs that prefix's cache write (which the first
follow-up would have paid) and one output token, counted with the follow-ups' usage, even when no answer calls
for a follow-up.
"""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections import deque
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any, TypeVar

from ..log import log
from ..packing import REQUEST_FRAME_TOKENS
from ..plan import Plan, PlannedRequest
from ..pricing import SpendGuard
from ..words import eta, plural
from .answers import EngineResult, RequestResult
from .calls import BUDGET_REACHED, Calls, Pass, Progress, Stopped, is_api_error
from .client import build_answer_types, describe_api_error, fatal
from .limiter import START, AdaptiveLimiter
from .options import ParallelOptions
from .task import REVIEW, FollowUps, Task

T = TypeVar("T")
QUIET_POLL = 0.005  # seconds between two looks, while requests are being written, for a moment to prepare in
WARM_UP_TEXT = ("This request only writes the prompt cache for the requests that follow it; there is nothing in it "
                "to answer.")

__all__ = ["BUDGET_REACHED", "ParallelEngine", "ParallelOptions", "RequestResult", "review_parallel"]


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
    limiter = AdaptiveLimiter(options.max_concurrency, max_wait=options.max_retry_wait)
    run = _Run(options, api_key, spend, limiter, Pass(task, render, progress, dict(repairs or {})))
    results = _run_settled(run.run(requests))
    if run.main.abort is not None:
        raise run.main.abort
    return results


def _run_settled(main: Coroutine[Any, Any, T]) -> T:
    """The run's event loop, with what was built before it (the plan, the code read, the context: hundreds of
    thousands of objects) left out of the garbage collector's full passes while it runs (gc.freeze): each such
    pass scans the whole heap (~0.2 s on a 300-file PR), and every answer and send queued behind it waits.
    Afterwards it is collectable again."""
    gc.freeze()
    try:
        return asyncio.run(main)
    finally:
        gc.unfreeze()


class _Run(Calls):
    """One engine call: its requests (the main pass) and the follow-ups their answers call for."""

    def __init__(self, options: ParallelOptions, api_key: str, spend: SpendGuard, limiter: AdaptiveLimiter,
                 main: Pass, then: FollowUps | None = None, then_progress: Progress | None = None) -> None:
        super().__init__(options, api_key, spend, limiter, main)
        self.then = then
        self.follow = Pass(then.task, then.render, then_progress) if then is not None else None
        self.passes = [main, *([self.follow] if self.follow is not None else [])]
        self.queue: deque[tuple[Pass, PlannedRequest]] = deque()
        self.followed: list[PlannedRequest] = []  # the follow-ups, in the order they were queued
        self.open = 0  # main requests not ended yet: their answers may still call for follow-ups
        self.dispatched = 0  # main requests not sent yet (with follow-ups: their groundwork waits for them)
        self.all_sent = asyncio.Event()
        self.warm_up: RequestResult | None = None  # the follow-ups' cache written ahead (_write_follow_up_cache)

    async def run(self, requests: Sequence[PlannedRequest]) -> list[RequestResult]:
        self.connect()
        self.fed = asyncio.Condition()
        ordered = sorted(requests, key=lambda r: -r.input_tokens)
        self.open = self.dispatched = len(ordered) if self.then is not None else 0
        if self.open == 0:
            self.all_sent.set()  # nothing to send: nothing to wait for
        try:
            tasks = []
            first = None
            if self.options.warm_cache and len(ordered) > min(START, self.options.max_concurrency):
                first = min(ordered, key=lambda r: r.input_tokens)
                ordered.remove(first)
                self.main.warm_id, self.main.warmed = first.custom_id, asyncio.Event()
            self.queue.extend((self.main, r) for r in ordered)
            if first is not None:
                tasks.append(asyncio.ensure_future(self._turn(self.main, first)))
                if self.follow is not None and self.spend.cap is None:
                    tasks.append(asyncio.ensure_future(self._write_follow_up_cache(self.follow)))
                await self._render_ahead(self.main)
            workers = self.options.max_concurrency if self.then is not None else len(self.queue)
            tasks += [asyncio.ensure_future(self._worker()) for _ in range(min(self.options.max_concurrency, workers))]
            if self.then is not None:
                tasks.append(asyncio.ensure_future(self._prepare([*([first] if first else []), *ordered])))
            await asyncio.gather(*tasks)
        finally:
            await self.client.close()
        return [self.main.results[r.custom_id] for r in requests]

    async def _render_ahead(self, p: Pass) -> None:
        """While the warm-up's answer has not begun: build the SDK's answer types and render the requests that
        go out when it does, in a thread (the event loop stays free to send the warm-up and read its answer;
        done after it, the last of them would be held back)."""
        assert p.warmed is not None
        stop = threading.Event()
        first = list(self.queue)[: self.options.max_concurrency]

        def render() -> None:  # the plan is read by this thread alone until it ends: the loop only sends
            build_answer_types()
            for queued, request in first:
                if stop.is_set():
                    return
                queued.params[request.custom_id] = self.render(queued, request)

        rendering = asyncio.ensure_future(asyncio.to_thread(render))
        begun = asyncio.ensure_future(p.warmed.wait())
        await asyncio.wait([rendering, begun], return_when=asyncio.FIRST_COMPLETED)
        stop.set()
        await rendering  # at most the request being rendered
        await begun

    async def _write_follow_up_cache(self, p: Pass) -> None:
        """The follow-ups' cached prefix, written by a one-token request streamed now; the follow-ups wait only
        until its answer begins (or it ends, whatever became of it: then the first of them writes the cache)."""
        task = p.task
        request = PlannedRequest(f"{task.name}-cache-warm-up", (), input_tokens=REQUEST_FRAME_TOKENS, output_tokens=1)
        p.warm_id, p.warmed = request.custom_id, asyncio.Event()
        self.warm_up = result = RequestResult(request.custom_id, attempts=1)
        params = task.params(WARM_UP_TEXT, model=task.model or self.options.model, max_tokens=1,
                             instructions=self.options.instructions)
        try:
            reservation = await self.budget.reserve(params, task.price)
            if reservation is not None:
                await self._paid(p, request, params, result, reservation)
        except Stopped:
            result.error = "stopped"
        except Exception as exc:
            if not is_api_error(exc):
                raise
            result.error = describe_api_error(exc)
            log.info(f"the {task.name} requests' cached prompt could not be written ahead ({result.error}); "
                     "the first of them writes it")
            stop = fatal(exc)
            if stop is not None:
                await self.stop(p, stop)
        finally:
            p.warmed.set()

    async def _worker(self) -> None:
        while True:
            async with self.fed:
                await self.fed.wait_for(lambda: bool(self.queue) or self.open == 0)
                if not self.queue:
                    return
                p, request = self.queue.popleft()
            await self._turn(p, request)

    async def _turn(self, p: Pass, request: PlannedRequest) -> None:
        if p is self.follow and self.options.warm_cache:
            await self._after_warm_up(p, request)
        try:
            result = await self.one(p, request)
        finally:
            if request.custom_id == p.warm_id and p.warmed is not None:
                p.warmed.set()  # ended without its stream beginning (refused, stopped): the others go anyway
        if p is self.main and self.then is not None:
            await self._follow_up(request, result)

    async def _after_warm_up(self, p: Pass, request: PlannedRequest) -> None:
        """The first follow-up is streamed; the others wait until its answer begins (its cache entry)."""
        if p.warmed is None:
            p.warm_id, p.warmed = request.custom_id, asyncio.Event()
        elif request.custom_id != p.warm_id:
            await p.warmed.wait()

    async def _prepare(self, requests: list[PlannedRequest]) -> None:
        """Once every request has gone out: the follow-ups' groundwork for each (FollowUps.prepare), one step (a
        file) at a time, and only while no request is being written (`writing`: opening a connection and
        writing a request take several turns of the event loop, and a step would hold up each of them), so the
        requests being sent and an answer that arrives meanwhile are never held up for more than one step."""
        assert self.then is not None
        await self.all_sent.wait()  # set when the last went out, or when every one has ended
        for request in requests:
            for _ in self.then.prepare(request):
                await asyncio.sleep(0)
                while self.writing > 0 and self.open > 0 and self.main.abort is None:
                    await asyncio.sleep(QUIET_POLL)
                if self.main.abort is not None or self.open == 0:
                    return

    async def budget_turn(self, p: Pass) -> None:
        """Under `budget-usd`, follow-ups ask for budget only once every request of the run has gone out (or
        ended): a verification never takes the room a file's review needed."""
        if p is self.follow and self.spend.cap is not None:
            await self.all_sent.wait()

    def sent(self, p: Pass, request: PlannedRequest) -> None:
        if p is self.main and self.then is not None:
            self.dispatched -= 1
            if self.dispatched == 0:
                self.all_sent.set()

    async def _follow_up(self, request: PlannedRequest, result: RequestResult) -> None:
        assert self.then is not None and self.follow is not None
        more = list(self.then.after(request, result)) if self.follow.abort is None else []
        async with self.fed:
            self.followed += more
            self.queue.extend((self.follow, r) for r in more)
            self.open -= 1
            if self.open == 0:
                self.all_sent.set()
            self.fed.notify_all()

    def outcome(self, requests: Sequence[PlannedRequest]) -> EngineResult:
        """What the engine hands back: the main pass's results, the follow-ups' beside them."""
        then = None
        if self.follow is not None:
            results = [self.follow.results[r.custom_id] for r in self.followed]
            if self.warm_up is not None:
                results.append(self.warm_up)  # paid for: counted in the follow-ups' usage and cost
            then = EngineResult(results=results, notes=_budget_note(self.follow, self.spend), fatal=self.follow.abort)
        return EngineResult(results=[self.main.results[r.custom_id] for r in requests],
                            notes=_budget_note(self.main, self.spend), fatal=self.main.abort, then=then,
                            seconds=self.seconds)


def _budget_note(p: Pass, spend: SpendGuard) -> list[str]:
    if not p.refused:
        return []
    what = "" if p.task.name == "review" else f"{p.task.name} "
    return [f"budget-usd ${spend.cap:.2f} was reached: {plural(p.refused, what + 'request')} "
            f"{'was' if p.refused == 1 else 'were'} not sent and {p.task.unsent}"]


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

    def review(self, plan: Plan, render: Callable[[PlannedRequest], str], task: Task = REVIEW,
               then: FollowUps | None = None) -> EngineResult:
        """`then`: follow-ups of the answers, sent in this same run (their outcome is `EngineResult.then`)."""
        main = Pass(task, render, _progress(task, len(plan.requests), lambda: run.main))
        follow = _progress(then.task, None, lambda: run.follow) if then is not None else None
        run = _Run(self.options, self.api_key, self.spend, self.limiter, main, then, follow)
        _run_settled(run.run(plan.requests))
        return run.outcome(plan.requests)


def _progress(task: Task, total: int | None, of: Callable[[], Pass | None]) -> Progress:
    """A log line for each ended request: `[3/40 · ~1:12 left] ✓ a.py — 2 findings`; a follow-up's line has no
    total (`[verify 3] ✓ a.py — 1 kept, 0 dropped`)."""
    done = 0
    started = time.monotonic()

    def progress(request: PlannedRequest, result: RequestResult) -> None:
        nonlocal done
        done += 1
        if total is None:
            at = f"[{task.name} {done}]"
        else:
            left = eta(done, total, time.monotonic() - started)
            at = f"[{done}/{total}{' · ' + left if left else ''}]"
        files = ", ".join(request.paths[:3]) + (f" +{len(request.paths) - 3}" if len(request.paths) > 3 else "")
        p = of()
        if result.parts:
            answered = sum(1 for _, part in result.parts if part.answer is not None)
            mark = "✓" if answered == len(result.parts) else "✗"
            log.info(f"{at} {mark} {files} — split into {len(result.parts)} requests after "
                     f"{result.error}: {answered} answered")
        elif result.answer is not None:
            log.info(f"{at} ✓ {files} — {task.describe(result.answer)}")
        elif p is not None and p.abort is not None and result.error == p.abort.message:
            log.info(f"{at} ✗ {files} — refused: {'the run stops' if total is not None else 'no more are sent'}")
        else:
            log.info(f"{at} ✗ {files} — {result.error}")

    return progress
