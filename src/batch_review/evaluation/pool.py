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
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from ..config import Config
from ..engines.answers import EngineResult
from ..errors import BudgetError
from ..log import log
from ..pipeline import Engine, Job, run
from ..plan import Plan, PlannedRequest
from ..pricing import Usage, cost, estimate, price_for
from ..prompt import system_tokens
from ..report import RunReport


@dataclass
class _Call:
    key: str  # the job's name (an eval case's id): pooled request ids stay stable from run to run
    plan: Plan
    render: Callable[[PlannedRequest], str]
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

    def review(self, plan: Plan, render: Callable[[PlannedRequest], str]) -> EngineResult:
        if not plan.requests:
            return EngineResult(results=[], batch_priced=self.batch)
        return self._worker.park(_Call(self._worker.key, plan, render))


@dataclass
class EnginePool:
    engine: Engine
    config: Config
    notes: list[str] = field(default_factory=list)  # the engine's own notes (batch states, budget)
    batch_ids: list[str] = field(default_factory=list)
    extra_cost_usd: float = 0.0  # second tries of a batch at standard price: the run's, not one case's
    rounds: int = 0
    before_dispatch: Callable[[Plan], None] | None = None  # sees the pooled plan first (a batch's state)
    prepaid: bool = False  # the pooled requests were paid for by an earlier run (a pending batch collected)

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
            if parked:
                self._dispatch([w.call for w in parked if w.call is not None])
            runnable = parked
        for worker in workers:
            if worker.crash is not None:
                raise worker.crash
        return [w.outcome for w in workers if w.outcome is not None]

    def _dispatch(self, calls: list[_Call]) -> None:
        self.rounds += 1
        merged = Plan()
        owner: dict[str, tuple[_Call, PlannedRequest]] = {}
        for call in calls:
            for request in call.plan.requests:
                pooled = replace(request, custom_id=pooled_id(request.custom_id, call.key))
                merged.requests.append(pooled)
                owner[pooled.custom_id] = (call, request)
        try:
            if self.before_dispatch is not None:
                self.before_dispatch(merged)
            if not self.prepaid:
                self._check_budget(merged)
            with log.group(f"Review: {len(merged.requests)} requests of {len(calls)} cases, engine {self.engine.name}"):
                outcome = self.engine.review(merged, lambda r: owner[r.custom_id][0].render(owner[r.custom_id][1]))
        except Exception as exc:  # a RunError fails every case of this round, as it would fail a lone run
            for call in calls:
                call.error = exc
            return
        self.notes += outcome.notes
        self.batch_ids += [i for i in outcome.batch_ids if i not in self.batch_ids]
        if outcome.batch_priced and outcome.full_price_usage.requests:
            price, _ = price_for(self.config.model, self.config.prices)
            extra = outcome.full_price_usage
            self.extra_cost_usd += cost(extra, price) - cost(extra, price, batch=True)
        for call in calls:
            call.result = EngineResult(results=[], pending=outcome.pending, batch_ids=list(outcome.batch_ids),
                                       batch_priced=outcome.batch_priced, full_price_usage=Usage(),
                                       fatal=outcome.fatal)
        for result in outcome.results:
            call, request = owner[result.custom_id]
            assert call.result is not None
            call.result.results.append(replace(result, custom_id=request.custom_id))

    def _check_budget(self, merged: Plan) -> None:
        """The whole eval's estimate against `budget-usd`, before anything is sent (each case also checks
        its own, in the pipeline; the engine then holds real spend under the cap)."""
        cap = self.config.budget_usd
        if cap is None:
            return
        price, _ = price_for(self.config.model, self.config.prices)
        estimated = estimate(merged.input_tokens, merged.output_tokens, system_tokens(self.config.instructions),
                             len(merged.requests), price, batch=self.engine.batch)
        if estimated > cap:
            raise BudgetError(f"the eval's estimated cost ${estimated:.4f} exceeds budget-usd ${cap:.2f}; "
                              "nothing was sent (use fewer cases, or raise the budget)")


def pooled_id(custom_id: str, key: str) -> str:
    """A request id unique in the pooled plan (a request's id is unique in its job's plan, and keys are
    unique), the same in every run, within the API's 64 characters: `<start of the id>-<digest>`."""
    digest = hashlib.sha256(f"{key}\0{custom_id}".encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return f"{custom_id[:39]}-{digest}"
