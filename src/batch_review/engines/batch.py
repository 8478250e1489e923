"""Message Batches: a sweep's requests go out at half price as one or more batches, are waited for up
to `batch-wait-minutes`, and are collected — in this run, or in a later one that resumes the sweep.

- Submit: requests are rendered one at a time, serialized and written to the batch's body on disk
  (`batch_body.py`, then dropped), in batches of at most `max_requests` requests and `max_bytes` of
  request JSON (measured as sent). `on_submit` is told before the first
  batch is created (so a state store that cannot be written fails the run before anything is paid for)
  and after every batch, so a run that dies in between never loses a paid-for batch.
- Wait: every batch is polled with backoff (`request_counts` and elapsed time to the log); when the wait
  ends first, the result is `pending` and the batches are collected by a later run (`resume`).
- Collect: results are streamed and matched by `custom_id`. `errored` (other than invalid_request_error)
  and `expired` requests are sent once more through the Messages API; answers that fail validation or
  were cut off get the parallel engine's one repair; invalid and canceled requests fail with the reason.
  A batch whose results are gone (404: the API keeps them 29 days) has its requests resubmitted.
  Every planned request ends with an answer or an error: none is silently missing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import ApiError
from ..log import log
from ..plan import Plan, PlannedRequest
from ..pricing import SpendGuard, Usage, cost
from ..words import duration
from .answers import EngineResult, RequestResult
from .batch_body import BatchBody
from .client import describe_api_error, describe_batch, fatal, make_client
from .orphans import adopt_orphan
from .parallel import ParallelOptions
from .second_tries import send_second_tries
from .task import REVIEW, FollowUps, Task

if TYPE_CHECKING:
    import anthropic

    from ..config import Config, Price

MAX_BATCH_REQUESTS = 100_000  # the API's limit per batch
MAX_BATCH_BYTES = 256_000_000  # the API takes 256 MB (268,435,456 bytes); the rest is headroom
POLL_FIRST, POLL_GROWTH, POLL_MAX = 5.0, 1.5, 60.0  # seconds between polls: first, growth, longest

# (every batch id so far, all of them created?, requests of the batch about to be created — 0: none)
OnSubmit = Callable[[list[str], bool, int], None]


@dataclass(frozen=True)
class BatchOptions:
    parallel: ParallelOptions  # model, max_tokens, instructions; and how second tries are sent
    wait_minutes: float
    max_requests: int = MAX_BATCH_REQUESTS
    max_bytes: int = MAX_BATCH_BYTES
    poll_first: float = POLL_FIRST
    poll_growth: float = POLL_GROWTH
    poll_max: float = POLL_MAX
    max_retries: int = 4


@dataclass(frozen=True)
class Resume:
    """A pending sweep to collect instead of submitting."""

    batch_ids: tuple[str, ...]
    complete: bool = True  # False: the submitting run stopped before creating every batch
    same_plan: bool = True  # False: the plan's fingerprint changed since submission
    submitted_at: str = ""
    creating_at: str = ""  # the submitting run was creating a batch of `creating_requests` from then on
    creating_requests: int = 0


class BatchEngine:
    """The pipeline's engine for the Message Batches API."""

    name = "batch"
    batch = True

    def __init__(
        self,
        options: BatchOptions,
        *,
        api_key: str,
        spend: SpendGuard,
        resume: Resume | None = None,
        on_submit: OnSubmit | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options
        self.api_key = api_key
        self.spend = spend
        self.resume = resume
        self.on_submit = on_submit
        self.sleep = sleep
        self.clock = clock

    @classmethod
    def for_config(cls, config: Config, api_key: str, price: Price) -> BatchEngine:
        parallel = ParallelOptions.for_config(config)
        options = BatchOptions(parallel, config.batch_wait_minutes, MAX_BATCH_REQUESTS, MAX_BATCH_BYTES,
                               POLL_FIRST, POLL_GROWTH, POLL_MAX)  # read now: tests may shrink them
        return cls(options, api_key=api_key, spend=SpendGuard(config.budget_usd, price))

    def review(self, plan: Plan, render: Callable[[PlannedRequest], str], task: Task = REVIEW,
               then: FollowUps | None = None) -> EngineResult:
        """`then` is not sent: a batch's answers come back together (the stage sends what it wants after)."""
        if not plan.requests and self.resume is None:
            return EngineResult(results=[], batch_priced=True)
        client = make_client(self.api_key, self.options.parallel.request_timeout, self.options.max_retries,
                             self.options.parallel.max_retry_wait)
        try:
            return _Sweep(self, client, plan, render, task).run()
        finally:
            client.close()


class _Sweep:
    """One run of the engine: submit or resume, wait, collect, second tries."""

    def __init__(
        self, engine: BatchEngine, client: anthropic.Anthropic, plan: Plan, render: Callable[[PlannedRequest], str],
        task: Task = REVIEW,
    ) -> None:
        self.engine = engine
        self.task = task
        self.options = engine.options
        self.client = client
        self.plan = plan
        self.render = render
        self.by_id = plan.by_id()
        self.deadline = engine.clock() + self.options.wait_minutes * 60
        self.notes: list[str] = []
        self.last: dict[str, Any] = {}  # batch id -> the latest MessageBatch seen
        self.results: dict[str, RequestResult] = {}
        self.retry: dict[str, str] = {}  # custom_id -> why: sent again as it was
        self.repair: dict[str, str] = {}  # custom_id -> problem: sent again with the repair note
        self.gone: list[str] = []
        self.unknown = 0

    def run(self) -> EngineResult:
        resume = self.engine.resume
        if resume is None:
            ids = self._submit(self.plan.requests)
        else:
            ids = list(resume.batch_ids)
            if resume.creating_at:
                ids += adopt_orphan(self.client, resume.creating_at, resume.creating_requests,
                                    set(resume.batch_ids), self.notes)
            log.info(f"Collecting the pending sweep submitted {resume.submitted_at}: batch(es) {', '.join(ids)}")
        if not self._wait(ids):
            return self._pending(ids)
        self._collect(ids)
        missing = self._missing()
        why = self._resubmit_reason(missing)
        if why:
            kept = [i for i in ids if i not in self.gone]
            note = f"{len(missing)} request(s) were submitted again in a new batch: {why}"
            log.warning(note)
            self.notes.append(note)
            new = self._submit(missing, keep=kept)
            ids = kept + new
            if not self._wait(new):
                return self._pending(ids)
            self._collect(new)
            missing = self._missing()
        for request in missing:
            self.results[request.custom_id] = RequestResult(
                request.custom_id, error=f"no result for this request came back from batch(es) {', '.join(ids)}"
            )
        if self.unknown:
            self.notes.append(f"{self.unknown} batch result(s) matched no request of this plan and were ignored")
        self.notes += [self._status_note(i) for i in ids if i in self.last]
        full_price = self._second_tries()
        self._spent(full_price)
        return EngineResult(
            results=[self.results[r.custom_id] for r in self.plan.requests],
            batch_ids=ids,
            notes=self.notes,
            batch_priced=True,
            full_price_usage=full_price,
        )

    # -- submit ---------------------------------------------------------------------------------
    def _submit(self, requests: Sequence[PlannedRequest], keep: Sequence[str] = ()) -> list[str]:
        created: list[str] = []
        notify = self.engine.on_submit or (lambda ids, complete, creating: None)
        notify(list(keep), False, 0)  # before anything is paid for: the state store must take it
        body = BatchBody()  # each request is rendered, written to disk and dropped: never all held at once

        def create() -> None:
            # the intent first (a run killed before `create` returns leaves a batch no state names: the next
            # run finds it by its time and size, engines/orphans.py), then the batch, then its id
            notify([*keep, *created], False, body.requests)
            created.append(self._create(body))
            notify([*keep, *created], False, 0)
            body.clear()

        try:
            for request in requests:
                line = json.dumps({"custom_id": request.custom_id, "params": self._params(request)}).encode()
                if not body.fits(line, self.options.max_requests, self.options.max_bytes):
                    create()
                body.add(line)
            if body.requests:
                create()
        finally:
            body.close()
        notify([*keep, *created], True, 0)
        return created

    def _params(self, request: PlannedRequest) -> dict[str, Any]:
        o, task = self.options.parallel, self.task
        return task.params(self.render(request), model=task.model or o.model,
                           max_tokens=task.max_tokens or o.max_tokens, instructions=o.instructions)

    def _create(self, body: BatchBody) -> str:
        try:
            batch = body.post(self.client)
        except Exception as exc:
            raise _api_failure(exc, "could not create a message batch") from None
        self.last[batch.id] = batch
        log.info(f"Submitted batch {batch.id}: {body.requests} request(s), {body.size / 1e6:.1f} MB of request JSON")
        return str(batch.id)

    # -- wait -----------------------------------------------------------------------------------
    def _wait(self, ids: Sequence[str]) -> bool:
        """Poll until every batch has ended (True) or the wait is over (False)."""
        waiting = [i for i in ids if i not in self.gone]
        interval = self.options.poll_first
        while True:
            still = []
            for batch_id in waiting:
                if self._retrieve(batch_id) not in ("ended", "gone"):
                    still.append(batch_id)
            waiting = still
            if not waiting:
                return True
            left = self.deadline - self.engine.clock()
            if left <= 0:
                return False
            self.engine.sleep(min(interval, left))
            interval = min(interval * self.options.poll_growth, self.options.poll_max)

    def _retrieve(self, batch_id: str) -> str:
        """The batch's processing_status; `gone`; or `unknown` after a transient error (polled again)."""
        import anthropic

        try:
            batch = self.client.messages.batches.retrieve(batch_id)
        except anthropic.NotFoundError:
            self._gone(batch_id, "the batch was not found")
            return "gone"
        except anthropic.APIError as exc:
            stop = fatal(exc)
            if stop is not None:
                raise stop from None
            log.warning(f"could not check batch {batch_id} — {describe_api_error(exc)}; trying again")
            return "unknown"
        self.last[batch_id] = batch
        left = self.deadline - self.engine.clock()
        waits = f" · this run waits {duration(left)} more" if batch.processing_status != "ended" and left > 0 else ""
        log.info(f"batch {batch_id}: {describe_batch(batch)}{waits}")
        return str(batch.processing_status)

    def _gone(self, batch_id: str, why: str) -> None:
        if batch_id not in self.gone:
            self.gone.append(batch_id)
            log.warning(f"batch {batch_id}: {why}; its results are no longer available")

    def _pending(self, ids: list[str]) -> EngineResult:
        wait = self.options.wait_minutes
        notes = [*self.notes, *(self._status_note(i) for i in ids if i in self.last)]
        notes.append(f"The batch(es) had not ended after batch-wait-minutes ({wait:g}): this run ends pending, "
                     "and a later run collects the results without submitting again.")
        return EngineResult(results=[], pending=True, batch_ids=ids, notes=notes, batch_priced=True)

    def _status_note(self, batch_id: str) -> str:
        return f"Batch {batch_id}: {describe_batch(self.last[batch_id])}"

    # -- collect --------------------------------------------------------------------------------
    def _collect(self, ids: Sequence[str]) -> None:
        import anthropic

        for batch_id in ids:
            if batch_id in self.gone:
                continue
            try:
                for entry in self.client.messages.batches.results(batch_id):
                    self._take(entry)
            except anthropic.NotFoundError:
                self._gone(batch_id, "its results were not found")
            except anthropic.APIError as exc:
                raise _api_failure(exc, f"could not download the results of batch {batch_id}") from None
            except anthropic.AnthropicError:  # ended without a results_url: archived
                self._gone(batch_id, "it has no results_url")

    def _take(self, entry: Any) -> None:
        request = self.by_id.get(entry.custom_id)
        if request is None:
            self.unknown += 1
            return
        cid, result = entry.custom_id, entry.result
        earlier = self.results.get(cid)
        if earlier is not None and earlier.answer is not None:
            return
        out = RequestResult(cid, attempts=1)
        if result.type == "succeeded":
            out.usage = Usage.from_api(result.message.usage)
            reading = self.task.read(result.message)
            out.answer, out.error = reading.answer, reading.problem
            if reading.answer is None and reading.repairable:
                self.repair[cid] = reading.problem or "the answer could not be used"
        elif result.type == "errored":
            inner = getattr(getattr(result, "error", None), "error", None)
            kind, message = getattr(inner, "type", "error"), getattr(inner, "message", "")
            if kind == "invalid_request_error":
                out.error = f"invalid request ({kind}: {message})"
            else:
                out.error = f"errored in the batch ({kind}: {message})"
                self.retry[cid] = out.error
        elif result.type == "expired":
            out.error = "expired: the batch reached its 24-hour limit before this request ran"
            self.retry[cid] = out.error
        elif result.type == "canceled":
            out.error = "canceled: the batch was canceled before this request ran"
        else:
            out.error = f"unexpected batch result type {result.type!r}"
        self.results[cid] = out

    def _missing(self) -> list[PlannedRequest]:
        return [r for r in self.plan.requests if r.custom_id not in self.results]

    def _resubmit_reason(self, missing: list[PlannedRequest]) -> str:
        if not missing:
            return ""
        resume = self.engine.resume
        if self.gone:
            return (f"the results of batch(es) {', '.join(self.gone)} are no longer available "
                    "(the API keeps them for 29 days)")
        if resume is not None and not resume.complete:
            return "the run that submitted the sweep stopped before it had created every batch"
        if resume is not None and not resume.same_plan:
            return "the plan changed since the sweep was submitted (model, options or prompt version)"
        return ""

    # -- second tries and spend -------------------------------------------------------------------
    def _second_tries(self) -> Usage:
        """Errored/expired requests once more, bad answers repaired (engines/second_tries.py)."""
        ids = list(dict.fromkeys([*self.retry, *self.repair]))
        if not ids:
            return Usage()
        price = self.task.price or self.engine.spend.price
        spend = SpendGuard(self.engine.spend.cap, price)
        spend.spent = self.engine.spend.spent + cost(self._batch_usage(), price, batch=True)  # earlier passes too
        return send_second_tries(
            [self.by_id[i] for i in ids], self.results, self.render, self.options.parallel, self.task,
            api_key=self.engine.api_key, spend=spend, repairs=self.repair, retried=len(self.retry), notes=self.notes,
        )

    def _batch_usage(self) -> Usage:
        usage = Usage()
        for result in self.results.values():
            usage.add(result.usage)
        return usage

    def _spent(self, full_price: Usage) -> None:
        """What this call cost joins the engine's spend, which a later call of the run (the verification of the
        findings) counts against `budget-usd`. `full_price`: the part sent outside the batch."""
        price = self.task.price or self.engine.spend.price
        self.engine.spend.spent += cost(self._batch_usage(), price, batch=True) + cost(full_price, price) - cost(
            full_price, price, batch=True)


def _api_failure(exc: BaseException, what: str) -> BaseException:
    import anthropic

    stop = fatal(exc)
    if stop is not None:
        return stop
    if isinstance(exc, anthropic.APIError):
        return ApiError(f"{what} — {describe_api_error(exc)}")
    return exc


__all__ = ["BatchEngine", "BatchOptions", "Resume"]
