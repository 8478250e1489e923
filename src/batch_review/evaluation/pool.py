"""Many jobs, one engine: every case of an eval goes through the whole pipeline on its own (collect →
plan → review → aggregate → publish, exactly as `batch-review review` runs it), but their requests reach
the model together — one Message Batches job for all cases with `--batch`, one fan-out of
`max-concurrency` calls across all cases in parallel mode.

How: each job runs `pipeline.run` in its own thread, one thread at a time (a baton is handed from the
scheduler to a thread and back, so no two pipelines ever run at once and the log reads case by case).
A job's engine is a stand-in that, when the pipeline asks it to review a plan, parks the thread. Once
every job is parked or finished, the scheduler sends all parked plans as one plan through the real
engine — each request renamed so ids stay unique, each rendered by its own job exactly as it would be
alone — splits the answers back by request and wakes the jobs, which aggregate and publish their own
results. A later stage that calls the engine again (a verification pass) is gathered the same way.

A round sends every case's requests with one task, but each case has its own shared blocks (its intent and
change map, shared.py). They still reach each request as they would alone, after the system prompt: a
request's text is tagged with its case's blocks when it is rendered (`CaseText`), and the round's task
(`RoundTask`) puts them after the common system blocks. The common blocks carry a cache breakpoint of their
own, so they are read from the cache by every case's requests; the case's blocks end with a second one, read
by that case's later requests.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..config import Config, Price
from ..engines.answers import EngineResult, Reading, RequestResult
from ..engines.parallel import BUDGET_REACHED
from ..engines.task import REVIEW, FollowUps, Task
from ..errors import BudgetError
from ..log import log
from ..pipeline import Engine, Job, run
from ..plan import Plan, PlannedRequest
from ..pricing import Usage, cache_floor, cost, estimate, price_for
from ..prompt import cacheable_tokens, system_blocks, system_tokens
from ..report import RunReport
from .recall import sent_text


@dataclass
class _Call:
    key: str  # the job's name (an eval case's id): pooled request ids stay stable from run to run
    plan: Plan
    render: Callable[[PlannedRequest], str]
    task: Task = REVIEW
    result: EngineResult | None = None
    error: BaseException | None = None


class _Worker:
    """One job in its own thread; it runs only while it holds the baton."""

    def __init__(self, job: Job, key: str) -> None:
        self.job = job
        self.key = key
        self.call: _Call | None = None
        self.outcome: tuple[RunReport, Plan] | None = None
        self.crash: BaseException | None = None
        self.done = False
        self._thread: threading.Thread | None = None
        self._go = threading.Semaphore(0)
        self._back = threading.Semaphore(0)

    def resume(self) -> None:
        """Hand the baton over and wait until the job parks on a call or ends."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._main, name="eval-case", daemon=True)
            self._thread.start()
        else:
            self._go.release()
        self._back.acquire()

    def park(self, call: _Call) -> EngineResult:
        """In the job's thread: give the baton back until the scheduler has answered `call`."""
        self.call = call
        self._back.release()
        self._go.acquire()
        self.call = None
        if call.error is not None:
            raise call.error
        assert call.result is not None
        return call.result

    def _main(self) -> None:
        try:
            self.outcome = run(self.job)
        except BaseException as exc:  # a bug in a stage: raised again by the scheduler, after the others end
            self.crash = exc
        finally:
            self.done = True
            self._back.release()


class _Member:
    """The engine a pooled job sees."""

    def __init__(self, pool: EnginePool, worker: _Worker) -> None:
        self.name = pool.engine.name
        self.batch = pool.engine.batch
        self._worker = worker
        self._sent = pool.sent
        self._config = pool.config

    def review(self, plan: Plan, render: Callable[[PlannedRequest], str], task: Task = REVIEW,
               then: FollowUps | None = None) -> EngineResult:
        """`then` is not sent: a round's answers come back together (the verify stage sends its own round)."""
        if not plan.requests:
            return EngineResult(results=[], batch_priced=self.batch)
        if task.name == REVIEW.name:  # the words each review request carries (its case's shared blocks included)
            self._sent.setdefault(self._worker.key, []).extend(
                request_texts(plan, render, task, self._config))
        return self._worker.park(_Call(self._worker.key, plan, render, task))


@dataclass
class EnginePool:
    engine: Engine
    config: Config
    notes: list[str] = field(default_factory=list)  # the engine's own notes (batch states, budget)
    batch_ids: list[str] = field(default_factory=list)
    extra_cost_usd: float = 0.0  # second tries of a batch at standard price: the run's, not one case's
    rounds: int = 0
    # sees each round's pooled plan first (a batch's state); True: an earlier run paid for that round's requests
    before_dispatch: Callable[[Plan, Task], bool] | None = None
    prepaid: bool = False  # the pooled requests were paid for by an earlier run (a pending batch collected)
    spent_usd: float = 0.0  # what the rounds so far cost (the budget of a later round)
    full_price_paid: bool = False  # a round's second tries went through the Messages API at standard price
    sent: dict[str, list[str]] = field(default_factory=dict)  # job key -> the text of each review request

    def run(self, jobs: Sequence[Job], keys: Sequence[str]) -> list[tuple[RunReport, Plan]]:
        """Run every job; `keys` name them (unique), so a request's pooled id is the same in every run."""
        workers = [_Worker(job, key) for job, key in zip(jobs, keys, strict=True)]
        for worker in workers:
            worker.job.engine = _Member(self, worker)
        runnable = workers
        while runnable:
            for worker in runnable:
                worker.resume()
            parked = [w for w in workers if not w.done and w.call is not None]
            by_task: dict[str, list[_Call]] = {}
            for worker in parked:
                if worker.call is not None:
                    by_task.setdefault(worker.call.task.name, []).append(worker.call)
            for calls in by_task.values():  # a review round, then a verification round: each task goes together
                self._dispatch(calls)
            runnable = parked
        for worker in workers:
            if worker.crash is not None:
                raise worker.crash
        return [w.outcome for w in workers if w.outcome is not None]

    def _dispatch(self, calls: list[_Call]) -> None:
        self.rounds += 1
        task = calls[0].task
        merged = Plan()
        owner: dict[str, tuple[_Call, PlannedRequest]] = {}
        by_piece: dict[str, _Call] = {}
        for call in calls:
            for request in call.plan.requests:
                pooled = replace(request, custom_id=pooled_id(request.custom_id, call.key))
                merged.requests.append(pooled)
                owner[pooled.custom_id] = (call, request)
                by_piece.update({piece.digest: call for piece in request.pieces})

        def render(request: PlannedRequest) -> str:
            known = owner.get(request.custom_id)
            if known is not None:
                return CaseText(known[0].render(known[1]), shared_of(known[0].task))
            call = by_piece[request.pieces[0].digest]  # a pack the engine split: one file's own
            return CaseText(call.render(request), shared_of(call.task))

        task = RoundTask(task)

        try:
            paid = self.before_dispatch(merged, task) if self.before_dispatch is not None else False
            engine = self._engine_for(task)
            if task.name == REVIEW.name and not (self.prepaid or paid):
                self._check_budget(merged, calls)
            over = "" if task.name == REVIEW.name or paid or not engine.batch else self._over_budget(merged, task)
            with log.group(f"{task.name.capitalize()}: {len(merged.requests)} requests of {len(calls)} cases, "
                           f"engine {engine.name}"):
                outcome = _refused(merged, over) if over else engine.review(merged, render, task)
        except Exception as exc:  # a RunError fails every case of this round, as it would fail a lone run
            for call in calls:
                call.error = exc
            return
        self.notes += outcome.notes
        self.batch_ids += [i for i in outcome.batch_ids if i not in self.batch_ids]
        price = task.price or price_for(self.config.model, self.config.prices)[0]
        usage = Usage()
        for done in outcome.results:
            usage.add(done.usage)
        self.spent_usd += cost(usage, price, batch=outcome.batch_priced)
        if outcome.batch_priced and outcome.full_price_usage.requests:
            extra = outcome.full_price_usage
            self.extra_cost_usd += cost(extra, price) - cost(extra, price, batch=True)
            self.spent_usd += cost(extra, price) - cost(extra, price, batch=True)
            self.full_price_paid = True
        for call in calls:
            call.result = EngineResult(results=[], pending=outcome.pending, batch_ids=list(outcome.batch_ids),
                                       batch_priced=outcome.batch_priced, full_price_usage=Usage(),
                                       fatal=outcome.fatal)
        for result in outcome.results:
            call, request = owner[result.custom_id]
            assert call.result is not None
            call.result.results.append(replace(result, custom_id=request.custom_id))

    def _engine_for(self, task: Task) -> Engine:
        """The pool's engine; a later round (verification) after a batch round whose second tries were paid at
        standard price goes through the Messages API instead, unless an earlier run's batch is collected: a
        pending batch of that round would make the next run pay for those second tries again."""
        from ..engines.batch import BatchEngine
        from ..engines.factory import messages_engine

        engine = self.engine
        if task.name != REVIEW.name and self.full_price_paid and isinstance(engine, BatchEngine) \
                and engine.resume is None:
            return messages_engine(engine, self.spent_usd)
        return engine

    def _over_budget(self, merged: Plan, task: Task) -> str:
        """Why a later round's batch is not sent: its estimate would pass what `budget-usd` leaves."""
        cap = self.config.budget_usd
        if cap is None:
            return ""
        price = task.price or price_for(self.config.model, self.config.prices)[0]
        guess = estimate(merged.input_tokens, merged.output_tokens, 0, len(merged.requests), price, batch=True)
        if self.spent_usd + guess <= cap:
            return ""
        return BUDGET_REACHED

    def _check_budget(self, merged: Plan, calls: Sequence[_Call]) -> None:
        """The whole eval's estimate against `budget-usd`, before anything is sent (each case also checks
        its own, in the pipeline; the engine then holds real spend under the cap): the common system blocks
        cached across the round, and each case's shared blocks cached across its own requests."""
        cap = self.config.budget_usd
        if cap is None:
            return
        cfg = self.config
        price, _ = price_for(cfg.model, cfg.prices)
        floor = cache_floor(cfg.model, cfg.cache_floors)
        common = system_tokens(cfg.instructions)
        estimated = estimate(merged.input_tokens, merged.output_tokens, common, len(merged.requests), price,
                             batch=self.engine.batch, floor=floor,
                             cacheable=cacheable_tokens(system_blocks(cfg.instructions)))
        for call in calls:
            own = shared_of(call.task)
            if own and call.plan.requests:
                estimated += estimate(0, 0, system_tokens(cfg.instructions, own) - common, len(call.plan.requests),
                                      price, batch=self.engine.batch, floor=floor,
                                      cacheable=cacheable_tokens(system_blocks(cfg.instructions, own)))
        if estimated > cap:
            raise BudgetError(f"the eval's estimated cost ${estimated:.4f} exceeds budget-usd ${cap:.2f}; "
                              "nothing was sent (use fewer cases, or raise the budget)")


class CaseText(str):
    """A request's text as its case rendered it, tagged with the case's shared blocks (its intent and change map):
    the engine hands the text to the round's task as it is (a repair too), so each request gets its own case's
    blocks."""

    shared: tuple[str, ...]

    def __new__(cls, text: str, shared: tuple[str, ...] = ()) -> CaseText:
        made = super().__new__(cls, text)
        made.shared = shared
        return made


def shared_of(task: Task) -> tuple[str, ...]:
    """A task's shared blocks (the review's and the verification's tasks carry their run's; others none)."""
    shared = getattr(task, "shared", ())
    return tuple(shared) if isinstance(shared, tuple) else ()


@dataclass(frozen=True)
class RoundTask:
    """A round's task: the cases' task, each request with its own case's shared blocks after the common system
    blocks (as a lone run sends them), and a cache breakpoint where the common blocks end. The tagged text stays
    in the parameters, so a repair (built from them) keeps its case's blocks; a text that arrives untagged is
    looked up among those seen."""

    task: Task
    seen: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.task.name

    @property
    def model(self) -> str:
        return self.task.model

    @property
    def max_tokens(self) -> int:
        return self.task.max_tokens

    @property
    def price(self) -> Price | None:
        return self.task.price

    @property
    def unsent(self) -> str:
        return self.task.unsent

    def params(self, text: str, *, model: str, max_tokens: int, instructions: str,
               repair: str | None = None) -> dict[str, Any]:
        if isinstance(text, CaseText):
            own = self.seen[str(text)] = text.shared
        else:
            own = self.seen.get(text, ())
            text = CaseText(text, own)
        task = replace(self.task, shared=own) if hasattr(self.task, "shared") else self.task  # type: ignore[type-var]
        params = task.params(text, model=model, max_tokens=max_tokens, instructions=instructions, repair=repair)
        if own:  # the common blocks end where the case's begin: cached once for every case of the round
            system: list[dict[str, Any]] = params["system"]
            system[len(system) - len(own) - 1]["cache_control"] = {"type": "ephemeral"}
        return params

    def read(self, message: Any) -> Reading:
        return self.task.read(message)

    def describe(self, answer: Any) -> str:
        return self.task.describe(answer)


def _refused(merged: Plan, why: str) -> EngineResult:
    return EngineResult(results=[RequestResult(r.custom_id, error=why, not_sent=True) for r in merged.requests],
                        notes=[f"budget-usd was reached: {len(merged.requests)} request(s) were not sent"])


def pooled_id(custom_id: str, key: str) -> str:
    """A request id unique in the pooled plan (a request's id is unique in its job's plan, and keys are
    unique), the same in every run, within the API's 64 characters: `<start of the id>-<digest>`."""
    digest = hashlib.sha256(f"{key}\0{custom_id}".encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return f"{custom_id[:39]}-{digest}"


def request_texts(plan: Plan, render: Callable[[PlannedRequest], str], task: Task, config: Config) -> list[str]:
    """The text of each request of `plan` as the engine builds it (`task.params`: system blocks and message)."""
    return [sent_text(task.params(render(request), model=task.model or config.model, max_tokens=task.max_tokens or 1,
                                  instructions=config.instructions)) for request in plan.requests]
