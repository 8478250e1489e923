"""Verification pipelined with the review: each review answer's findings are sent for verification as soon
as that answer is in, while the other reviews are still running (the engine's follow-ups, engines/task.py:
the same run, limiter and budget). Nothing is judged here: after aggregation, the verify stage (stage.py)
takes each finding's verdict from these answers, and sends after the review only what was not sent ahead.

A finding goes ahead as the aggregation will make it (aggregate.locate) when it is at or above `min-severity`.
The stage matches the run's findings to these by the review request that found them and everything the
verifier was shown of them (path, lines, severity, category, title, body, suggestion): a finding the
aggregation changed (a duplicate across requests raised its severity) no longer matches, and is verified after
the review like any other. What was sent ahead and matches nothing (a duplicate, merged away) is paid for and
counted, and judges nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..aggregate import locate
from ..findings import Finding, at_or_above
from ..guidance import PathGuidance
from ..plan import Plan, PlannedRequest
from .excerpt import FileCode, file_code
from .prompt import finding_line
from .requests import PART_CODE_TOKENS, VerifyPlan, plan_verification, review_requests, reviewed_blocks
from .task import MAX_TOKENS, VerifyTask

if TYPE_CHECKING:
    from ..config import Config, Price
    from ..engines.answers import RequestResult

Key = tuple[str, str]  # the review request that found it, and the finding as the verifier is shown it


def key(finding: Finding) -> Key:
    return finding.request_id, finding_line("", finding)


def verify_task(config: Config, price: Price, shared: tuple[str, ...]) -> VerifyTask:
    return VerifyTask(model=config.verifier, max_tokens=min(MAX_TOKENS, config.max_output_tokens), price=price,
                      shared=shared)


class Ahead:
    """The follow-up producer the pipeline hands the review's engine (engines.task.FollowUps)."""

    def __init__(self, plan: Plan, config: Config, price: Price, engine: str) -> None:
        self.engine = engine  # its name, for the report
        self.review = plan
        self.config = config
        self.task = verify_task(config, price, plan.shared)  # the verifier sees the review's shared blocks too
        self.sent = VerifyPlan(Plan(), {}, {}, [], PathGuidance.of(config))  # every request sent ahead
        self.codes: dict[str, FileCode | None] = {}  # path -> its code, read once (prepare, after)
        self._by_id: dict[str, PlannedRequest] | None = None  # review_requests(plan), worked out once
        self.blocks: dict[tuple[str, str], list[set[int]]] = {}  # (review request id, path) -> its blocks, once

    def after(self, request: PlannedRequest, result: RequestResult) -> list[PlannedRequest]:
        findings = []
        for asked, outcome in result.outcomes(request):  # a split pack: each file's own request and answer
            for found in getattr(outcome.answer, "findings", None) or ():
                finding = locate(found, asked, self.review)
                if at_or_above(finding.severity, self.config.min_severity):
                    findings.append(finding)
        if not findings:
            return []
        planned = plan_verification(self.review, findings, self.config.verifier, self.code,  # no code: checked after
                                    self.requests_by_id(), self.blocks)
        more = [r for r in planned.plan.requests if r.custom_id not in self.sent.requests]
        for new in more:
            self.sent.plan.requests.append(new)
            self.sent.requests[new.custom_id] = planned.requests[new.custom_id]
            self.sent.parts.update({part.piece.digest: part for part in planned.requests[new.custom_id].parts})
        return more

    def render(self, request: PlannedRequest) -> str:
        return self.sent.render(request)

    def prepare(self, request: PlannedRequest) -> Iterator[None]:
        """The code of the request's files as a verification shows it (read, parsed), what the request shows of
        each (its blocks), and their lines as a finding's fingerprint reads them (aggregate.locate), while its
        answer is awaited; a step per file."""
        self.requests_by_id()
        for path in request.paths:
            yield
            self.blocks[(request.custom_id, path)] = reviewed_blocks(self.review, request, path)
            code = self.code(self.review, path)
            if code is not None and code.complete and code.whole_tokens <= PART_CODE_TOKENS:
                code.whole()  # a file this small may be shown whole: its rows, ready
            self.review.new_lines(path)

    def requests_by_id(self) -> dict[str, PlannedRequest]:
        """Every id a review answer may come under -> its planned request (requests.review_requests), once."""
        if self._by_id is None:
            self._by_id = review_requests(self.review)
        return self._by_id

    def code(self, plan: Plan, path: str) -> FileCode | None:
        if path not in self.codes:
            self.codes[path] = file_code(plan, path)
        return self.codes[path]

    def matched(self, todo: list[Finding]) -> tuple[VerifyPlan, set[int]]:
        """What was sent ahead, with the run's own findings in place of the ones it was planned with (so their
        verdicts land on the findings posted), and which of `todo` (by id()) it holds."""
        waiting: dict[Key, list[Finding]] = {}
        for finding in todo:
            waiting.setdefault(key(finding), []).append(finding)
        held: set[int] = set()
        for request in self.sent.requests.values():
            for part in request.parts:
                swapped: list[tuple[str, Any]] = []
                for fid, planned in part.findings:
                    twins = waiting.get(key(planned))
                    mine = twins.pop(0) if twins else planned
                    held.add(id(mine))
                    swapped.append((fid, mine))
                part.findings = swapped
        return self.sent, held & {id(f) for f in todo}
