"""A pending eval batch, kept between runs so that it is never paid for twice.

When `--batch` ends its wait before the batch does, the batch ids are kept in
`<dataset folder>/.batch-review/eval-<dataset name>.json` (the sweep's state format, saved before the batch is
created and after). Running the same eval again collects that batch instead of submitting a new one: the
pooled request ids are derived from each case's id and request, so they match. A state saved for another
model is left alone (and named); once the batch is collected the file is removed. The findings' verification
batch, once submitted, is kept in the same state (`verify`): the run that collects it collects the review's
batch again (free) and submits neither again.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..config import Config
from ..engines.batch import BatchEngine, Resume
from ..engines.task import REVIEW, Task
from ..errors import RunError
from ..log import log
from ..plan import Plan
from ..prompt import PROMPT_VERSION
from ..sweep_state import FileStateStore, SweepState, utc_now


class EvalBatchState:
    def __init__(self, dataset: Path, config: Config) -> None:
        self.config = config
        self.store = FileStateStore(dataset.parent / ".batch-review" / f"eval-{dataset.stem}.json")
        self.where = self.store.where
        loaded = self.store.load()  # a state file that is not valid fails the run, naming the file
        self.state: SweepState | None = None
        if loaded is not None and loaded.pending:
            if loaded.model == config.model:
                self.state = loaded
            else:
                log.warning(f"{self.where} holds a pending eval batch for model {loaded.model} "
                            f"({', '.join(loaded.batch_ids)}); this run uses {config.model} and submits its own")
        self.resuming = self.state is not None
        self.fingerprint = ""
        self.requests = 0
        self.verify_fingerprint = ""
        self.verify_model = ""
        self.verify_requests = 0
        self._engine: BatchEngine | None = None

    def attach(self, engine: BatchEngine) -> None:
        """Called before anything is sent: the engine saves each batch here, or collects the pending one."""
        engine.on_submit = self.on_submit
        self._engine = engine

    def before_dispatch(self, merged: Plan, task: Task = REVIEW) -> bool:
        """Before a round goes out: collect its pending batch, if an earlier run submitted one. True: that run
        paid for the round's requests."""
        if task.name != REVIEW.name:
            return self._before_verify(merged, task)
        self.fingerprint = merged.fingerprint(self.config.model, PROMPT_VERSION)
        self.requests = len(merged.requests)
        state = self.state
        if state is not None and self._engine is not None:
            same = state.fingerprint == self.fingerprint
            log.info(f"Collecting the eval batch submitted {state.submitted_at} ({', '.join(state.batch_ids)}) "
                     f"instead of submitting again (state in {self.where})"
                     + ("" if same else "; the dataset or options changed since: new requests are submitted"))
            self._engine.resume = Resume(tuple(state.batch_ids), state.complete, same, state.submitted_at,
                                         state.creating_at, state.creating_requests)
        return self.resuming

    def _before_verify(self, merged: Plan, task: Task) -> bool:
        from ..verify.prompt import PROMPT_VERSION as VERIFY_VERSION

        engine = self._engine
        if engine is None:
            return False
        self.verify_model = task.model or self.config.model
        self.verify_fingerprint = merged.fingerprint(self.verify_model, VERIFY_VERSION)
        self.verify_requests = len(merged.requests)
        engine.on_submit = self.on_verify_submit
        earlier = self.state.verify if self.state is not None else None
        if earlier is None or not earlier.pending:
            engine.resume = None
            return False
        same = earlier.fingerprint == self.verify_fingerprint
        log.info(f"Collecting the eval's verification batch submitted {earlier.submitted_at} "
                 f"({', '.join(earlier.batch_ids)}) instead of submitting it again")
        engine.resume = Resume(tuple(earlier.batch_ids), earlier.complete, same, earlier.submitted_at,
                               earlier.creating_at, earlier.creating_requests)
        return same and earlier.complete

    def on_submit(self, batch_ids: list[str], complete: bool, creating: int = 0) -> None:
        kept = self.state.verify if self.state is not None and self.resuming else None  # a resumed sweep's
        state = SweepState(commit="", fingerprint=self.fingerprint, model=self.config.model,
                           batch_ids=list(batch_ids), requests=self.requests, complete=complete,
                           creating_at=utc_now() if creating else "", creating_requests=creating, verify=kept)
        self._save(state, bool(batch_ids))

    def on_verify_submit(self, batch_ids: list[str], complete: bool, creating: int = 0) -> None:
        """The verification batch's state, beside the review batch's (saved when that was submitted)."""
        verify = SweepState(commit="", fingerprint=self.verify_fingerprint, model=self.verify_model,
                            batch_ids=list(batch_ids), requests=self.verify_requests, complete=complete,
                            creating_at=utc_now() if creating else "", creating_requests=creating)
        base = self.state or SweepState(commit="", fingerprint=self.fingerprint or "0" * 24, model=self.config.model,
                                        requests=self.requests)
        self._save(replace(base, verify=verify), bool(batch_ids))

    def _save(self, state: SweepState, paid: bool) -> None:
        """`paid`: a batch of this round exists already (a failed save is then a warning, not a refusal)."""
        try:
            self.store.save(state)
        except RunError as exc:
            if not paid:
                raise  # nothing is paid for yet: better not to submit what the next run could not find
            log.warning(f"could not save the eval batch's state in {self.where} ({exc.message})")
            return
        except OSError as exc:
            if not paid:
                raise RunError(f"cannot save the eval batch's state in {self.where}: {exc}") from None
            log.warning(f"could not save the eval batch's state in {self.where} ({exc})")
            return
        self.state = state

    def finish(self, collected: bool) -> None:
        """Keep the state until the batch's results are in (a pending or failed run leaves it)."""
        if collected and self.state is not None:
            self.store.clear()
