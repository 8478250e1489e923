"""The verification stage: between aggregation and memory, each new finding of the run is checked by a
second request that sees the finding and the code around it, and a finding the verifier drops is not
posted — it is listed as filtered, with the verifier's reason.

A verification that fails never drops a finding: an API error after the SDK's retries, an answer still
unusable after its one repair, a refusal, a finding the answer gives no verdict for, the budget reached, a
run stopped — each leaves the finding kept and marked unverified, with why. Verification goes through the
run's engine (a task of its own: engines/task.py), so it is retried, repaired, counted in usage and cost,
and held to `budget-usd` like the review.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from ..config import Config, Price
from ..engines.answers import EngineResult, RequestResult
from ..engines.task import Task
from ..errors import RunError
from ..findings import Check, Finding, same_key, sort_key
from ..guidance import PathGuidance
from ..log import log
from ..plan import Plan, PlannedRequest
from ..pricing import Usage, cost, price_for
from ..report import Filtered, RunReport, Verification
from ..words import plural
from .ahead import Ahead, verify_task
from .corrections import below, correct
from .prompt import system_tokens
from .requests import VerifyPlan, plan_verification
from .schema import VerifyAnswer
from .task import MAX_TOKENS


class VerifyEngine(Protocol):
    name: str
    batch: bool

    def review(self, plan: Plan, render: Callable[[PlannedRequest], str], task: Task) -> EngineResult: ...


# the verification plan -> the engine to send it through, and whether an earlier run already paid for it
EngineFor = Callable[[Plan], tuple[VerifyEngine, bool]]


def verify_findings(report: RunReport, plan: Plan, config: Config, engine_for: EngineFor,
                    ahead: Ahead | None = None, early: EngineResult | None = None) -> None:
    """Check the report's new findings; drop what the verifier drops (into `report.filtered`). `early`: what
    `ahead` sent while the review ran (ahead.py); the findings it holds take their verdicts from it, and
    only the others are sent now."""
    report.filtered = []
    price, _ = price_for(config.verifier, config.prices)
    stats = report.verification = Verification(model=config.verifier)
    todo = [f for f in report.findings if f.placement != "carried" and f.check is None]

    def fix(finding: Finding, verdict: Any, shown: set[int]) -> None:
        taken = {f.fingerprint: same_key(f.category, f.title) for f in report.findings if f is not finding}
        correct(finding, verdict, shown, plan, taken)

    left = todo
    if ahead is not None and early is not None and early.results:
        left = _judged_ahead(report, stats, ahead, early, todo, price, fix)
    if not todo:
        return
    vplan = plan_verification(plan, left, config.verifier)
    vplan.plan.shared = plan.shared  # the verifier sees the review's intent and change map too
    vplan.guidance = PathGuidance.of(config)  # and the path instructions of the files it checks
    for finding in vplan.no_code:
        finding.check = Check("unverified", "its file is not part of this review: there is no code to check it "
                                            "against")
    if vplan.plan.requests:
        engine, prepaid = engine_for(vplan.plan)
        stats.engine = engine.name
        task = verify_task(config, price, plan.shared)
        failure = "" if prepaid or not engine.batch else _over_budget(vplan, config, report, price)
        outcome: EngineResult | None = None
        if not failure:
            what = f"{plural(len(left), 'finding')} in {plural(len(vplan.plan.requests), 'request')}"
            with log.group(f"Verify ({what}, engine {engine.name}, model {config.verifier})"):
                try:
                    outcome = engine.review(vplan.plan, vplan.render, task)
                except RunError as exc:
                    failure = f"the verification failed: {log.redact(exc.message)}"
        if outcome is not None and outcome.pending:
            _pending(report, outcome)
            return
        if outcome is not None:
            _account(report, stats, outcome, price)
            if outcome.fatal is not None:
                failure = f"the verification was stopped: {log.redact(outcome.fatal.message)}"
                log.warning(failure)
        results = {r.custom_id: r for r in outcome.results} if outcome is not None else {}
        _apply(vplan, results, failure, fix)
    _settle(report, stats, todo)
    _corrected(report, stats, todo, config)


def _over_budget(vplan: VerifyPlan, config: Config, report: RunReport, price: Price) -> str:
    """A batch goes out whole and cannot be stopped: it is sent only if its worst case (every answer using all
    of its `max_tokens`) fits in what `budget-usd` leaves."""
    cap = config.budget_usd
    if cap is None:
        return ""
    p = vplan.plan
    n = len(p.requests)
    system = system_tokens(config.instructions, vplan.plan.shared)  # the review's shared blocks included
    worst = cost(Usage(cache_write_tokens=p.input_tokens + system * n,
                       output_tokens=min(MAX_TOKENS, config.max_output_tokens) * n), price, batch=True)
    if report.cost_usd + worst <= cap:
        return ""
    return (f"not sent: budget-usd reached (${report.cost_usd:.4f} spent, and the verification batch's worst case "
            f"${worst:.4f} would pass ${cap:.2f})")


def _judged_ahead(report: RunReport, stats: Verification, ahead: Ahead, early: EngineResult, todo: list[Finding],
                  price: Price, fix: Fix) -> list[Finding]:
    """Verdicts from what was sent while the review ran; the findings it does not hold (to send now)."""
    _account(report, stats, early, price)
    stats.engine = ahead.engine
    failure = ""
    if early.fatal is not None:
        failure = f"the verification was stopped: {log.redact(early.fatal.message)}"
        log.warning(failure)
    sent, held = ahead.matched(todo)
    _apply(sent, {r.custom_id: r for r in early.results}, failure, fix)
    return [f for f in todo if id(f) not in held]


def _account(report: RunReport, stats: Verification, outcome: EngineResult, price: Price) -> None:
    """Add a verification outcome's usage and cost to the pass's and the run's (sent ahead, then after)."""
    usage = Usage()
    for result in outcome.results:
        usage.add(result.usage)
    stats.usage.add(usage)
    stats.requests += usage.requests
    spent = cost(usage, price, batch=outcome.batch_priced)
    if outcome.batch_priced:  # second tries of a batch went through the Messages API at standard price
        extra = outcome.full_price_usage
        spent += cost(extra, price) - cost(extra, price, batch=True)
    stats.cost_usd += spent
    report.usage.add(usage)
    report.cost_usd += spent
    if outcome.seconds is not None:  # verification sent after the review: its own fan-out, after the review's
        report.model_seconds = (report.model_seconds or 0.0) + outcome.seconds
    report.notes += outcome.notes
    report.batch_ids += [i for i in outcome.batch_ids if i not in report.batch_ids]


def _apply(vplan: VerifyPlan, results: dict[str, RequestResult], failure: str, fix: Fix) -> None:
    for custom_id, request in vplan.requests.items():
        result = results.get(custom_id)
        if result is None:
            _judge([item for part in request.parts for item in part.findings], None,
                   failure or "no answer came back", {}, fix)
            continue
        for asked, outcome in result.outcomes(request.request):  # a pack split by the engine: each file's own
            parts = vplan.parts_of(asked)
            findings = [item for part in parts for item in part.findings]
            shown = {id(f): {r.new for r in part.rows if r.new is not None} for part in parts for _, f in part.findings}
            _judge(findings, outcome, failure, shown, fix)


Fix = Callable[[Finding, Any, set[int]], None]  # apply a kept verdict's corrections, given the lines shown


def _judge(findings: list[tuple[str, Finding]], result: RequestResult | None, failure: str,
           shown: dict[int, set[int]], fix: Fix) -> None:
    """Each finding's check from its request's answer: its verdict, or why it has none."""
    answer = result.answer if result is not None and isinstance(result.answer, VerifyAnswer) else None
    why = failure or (result.error if result is not None and result.error else "no answer came back")
    verdicts: dict[str, Any] = {}
    for given in answer.verdicts if answer is not None else ():
        verdicts.setdefault(given.id.strip(), given)  # an id answered twice: its first verdict
    for fid, finding in findings:
        verdict = verdicts.get(fid)
        if answer is None:
            finding.check = Check("unverified", why)
        elif verdict is None:
            finding.check = Check("unverified", "the verifier gave no verdict for it")
        elif verdict.verdict == "drop":
            finding.check = Check("dropped", log.redact(verdict.reason), verdict.confidence)
        else:
            finding.check = Check("kept", log.redact(verdict.reason), verdict.confidence)
            fix(finding, verdict, shown.get(id(finding), set()))


def _settle(report: RunReport, stats: Verification, checked: list[Finding]) -> None:
    dropped = [f for f in checked if f.check is not None and f.check.status == "dropped"]
    unverified = [f for f in checked if f.check is not None and f.check.status == "unverified"]
    gone = {id(f) for f in dropped}
    report.findings = [f for f in report.findings if id(f) not in gone]
    report.filtered = [Filtered(f, f.check.reason if f.check else "", f.check.confidence if f.check else None)
                       for f in dropped]
    stats.checked, stats.dropped, stats.unverified = len(checked), len(dropped), len(unverified)
    stats.kept = len(checked) - len(dropped) - len(unverified)
    log.info(f"Verification ({stats.model}): {plural(len(checked), 'finding')} checked — {stats.kept} kept, "
             f"{len(dropped)} filtered, {len(unverified)} unverified · ${stats.cost_usd:.4f}")
    if dropped:
        report.notes.append(f"verification filtered {plural(len(dropped), 'finding')} (not posted; listed with the "
                            "verifier's reasons in the summary and the JSON report)")
    if unverified:
        reasons = sorted({f.check.reason for f in unverified if f.check is not None})
        shown = "; ".join(reasons[:3]) + (f"; and {len(reasons) - 3} more" if len(reasons) > 3 else "")
        note = (f"{plural(len(unverified), 'finding')} could not be verified ({shown}): kept, and marked "
                "unverified")
        log.warning(note)
        report.notes.append(note)


def _corrected(report: RunReport, stats: Verification, checked: list[Finding], config: Config) -> None:
    """Report the verifier's corrections; a finding corrected below `min-severity` leaves the posted findings
    (counted as below it, like the review's own); the findings are ranked again (confidence counts now)."""
    corrected = [f for f in checked if f.check is not None and f.check.corrections]
    stats.corrected = len(corrected)
    if corrected:
        note = f"verification corrected {plural(len(corrected), 'finding')} (line or severity; see the report)"
        log.info(note)
        report.notes.append(note)
    lowered = {id(f) for f in below(corrected, config.min_severity)}
    if lowered:
        report.findings = [f for f in report.findings if id(f) not in lowered]
        report.below_threshold += len(lowered)
        report.notes.append(f"{plural(len(lowered), 'finding')} corrected below min-severity "
                            f"{config.min_severity.value} by verification: not posted")
    report.findings.sort(key=sort_key)


def _pending(report: RunReport, outcome: EngineResult) -> None:
    """The verification batch has not ended: nothing is published yet. The next run collects the review's
    batch again (free: its results are kept 29 days) and this one, and submits neither again."""
    report.pending = True
    report.notes += outcome.notes
    report.batch_ids += [i for i in outcome.batch_ids if i not in report.batch_ids]
    report.notes.append("the findings' verification batch had not ended: this run ends pending, and a later run "
                        "collects it (and the review's batch again, at no cost) without submitting either again")
    report.findings, report.below_threshold, report.filtered = [], 0, None
    for outcome_of_file in report.files:
        if outcome_of_file.status == "reviewed":
            outcome_of_file.status = "pending"
            outcome_of_file.reason = "reviewed; the verification of its findings has not ended yet"
    report.usage, report.review_usage, report.cost_usd = Usage(), Usage(), 0.0  # the run collecting both reports them


def verification_engine(engine: Any, review: EngineResult, spent: float) -> Any:
    """The engine for the verification of a run reviewed by `engine`: the same one — except after a review
    batch whose second tries were paid at standard price in this run. A pending verification batch would make
    the next run collect the review's batch again and pay for those second tries twice; verification then goes
    through the Messages API at once, and the run never ends pending on it."""
    from ..engines.batch import BatchEngine
    from ..engines.factory import messages_engine

    if isinstance(engine, BatchEngine) and review.full_price_usage.requests:
        log.info("Verification goes through the Messages API: this run paid second tries of the review at standard "
                 "price, which a pending verification batch would make the next run pay again")
        return messages_engine(engine, spent)
    return engine
