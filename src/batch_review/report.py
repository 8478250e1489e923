"""The run's result: status, findings, every file's outcome, usage and cost — and the JSON report.

Status is honest by construction: `clean` only when every planned file was reviewed and nothing was
found; a failed file makes the run `partial`; a run-level error makes it `failed`, and so does a run that
reviewed none of the files it planned (an outage is never a partial review with nothing to say). A run that a
later run on the same pull request superseded (memory/claim.py) published nothing: `superseded`, exit code 0.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .errors import EXIT_FAILED, EXIT_FINDINGS, EXIT_OK, EXIT_PARTIAL
from .findings import Finding, Severity, at_or_above, counts_by_severity, highest
from .pricing import Usage

Status = Literal["clean", "findings", "partial", "pending", "failed", "superseded"]
REPORT_VERSION = 1


@dataclass(slots=True)
class FileOutcome:
    path: str
    status: Literal["reviewed", "unchanged", "skipped", "failed", "pending"]
    reason: str = ""  # unchanged: "reviewed at <commit>" (its content did not change since that review)


@dataclass
class Closed:
    """A finding an earlier run posted that this run closed: fixed, or resolved by a person."""

    finding: Finding
    why: str  # "fixed", "resolved by <login>", "file deleted", "no longer in the pull request"
    at: str = ""  # the commit at which it was seen fixed
    action: str = ""  # what batch-review did: "thread resolved", "left open (a person replied)", …

    def to_json(self) -> dict[str, object]:
        f = self.finding
        return {"fingerprint": f.fingerprint, "path": f.path, "line": f.line, "severity": f.severity.value,
                "category": f.category, "title": f.title, "why": self.why, "at": self.at or None,
                "action": self.action or None}


@dataclass
class Filtered:
    """A finding of this run that the verification pass dropped: not posted, not counted, listed with why."""

    finding: Finding
    reason: str
    confidence: float | None = None

    def to_json(self) -> dict[str, object]:
        return {**self.finding.to_json(), "reason": self.reason, "verifier_confidence": self.confidence}


@dataclass
class Verification:
    """What the verification pass did and cost (its usage and cost are also in the run's totals)."""

    model: str
    checked: int = 0
    kept: int = 0
    dropped: int = 0
    unverified: int = 0
    requests: int = 0
    usage: Usage = field(default_factory=Usage)
    cost_usd: float = 0.0
    engine: str = ""
    corrected: int = 0  # kept findings whose line or severity the verifier corrected

    def to_json(self) -> dict[str, object]:
        return {"model": self.model, "engine": self.engine, "checked": self.checked, "kept": self.kept,
                "dropped": self.dropped, "unverified": self.unverified, "corrected": self.corrected,
                "requests": self.requests,
                "usage": self.usage.to_json(), "cost_usd": round(self.cost_usd, 6)}


@dataclass(frozen=True)
class CachePrefix:
    """The prefix every request of the review shares (system prompt, guidance, intent, change map), estimated,
    and the model's minimum cacheable prefix: below it nothing is cached."""

    tokens: int
    floor: int
    shared_blocks: int = 0

    @property
    def cached(self) -> bool:
        return self.tokens >= self.floor

    def to_json(self) -> dict[str, object]:
        return {"estimated_tokens": self.tokens, "model_minimum": self.floor, "cacheable": self.cached,
                "shared_blocks": self.shared_blocks}


@dataclass
class RunReport:
    mode: str
    target: str = ""
    head_sha: str = ""
    model: str = ""
    engine: str = "none"
    dry_run: bool = False
    pending: bool = False
    findings: list[Finding] = field(default_factory=list)
    files: list[FileOutcome] = field(default_factory=list)
    below_threshold: int = 0
    usage: Usage = field(default_factory=Usage)
    review_usage: Usage = field(default_factory=Usage)  # the review pass alone (verification: `verification.usage`)
    cost_usd: float = 0.0
    estimated_cost_usd: float | None = None
    cache: CachePrefix | None = None
    requests: int = 0
    # the Messages API fan-out's own clock: first request sent to last answer in (verification included), or None
    model_seconds: float | None = None
    notes: list[str] = field(default_factory=list)
    coverage_gap: bool = False  # files exist that were never listed (GitHub's 3,000-file cap)
    withheld: int = 0  # findings not posted: whether batch-review posted them before could not be told
    summaries: dict[str, str] = field(default_factory=dict)  # path -> what its change does (reviewed this run)
    error: str | None = None
    error_kind: str | None = None
    superseded: str = ""  # why this run published nothing: a later run on the same pull request claimed it
    batch_ids: list[str] = field(default_factory=list)
    fixed: list[Closed] = field(default_factory=list)  # posted by an earlier run, no longer found
    acknowledged: list[Closed] = field(default_factory=list)  # resolved by a person: not counted, not re-posted
    filtered: list[Filtered] | None = None  # dropped by verification (None: no verification pass ran)
    verification: Verification | None = None
    published: dict[str, str] = field(default_factory=dict)
    report_path: str = ""
    sarif_path: str = ""

    @property
    def status(self) -> Status:
        if self.superseded:
            return "superseded"
        if self.error:
            return "failed"
        if self.pending or self.dry_run:
            return "pending"
        if self.coverage_gap or self.withheld or any(f.status == "failed" for f in self.files):
            return "partial"
        return "findings" if self.findings else "clean"

    @property
    def highest(self) -> Severity | None:
        return highest(self.findings)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    def failed_files(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "failed"]

    def skipped_files(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "skipped"]

    def skip_reasons(self) -> list[tuple[str, int]]:
        return tally(f.reason for f in self.files if f.status == "skipped")

    def exit_code(self, fail_on: Severity | str, fail_on_partial: bool = False) -> int:
        """2 failed; 1 an open finding at or above `fail-on`; 3 partial with `fail-on-partial`; else 0."""
        if self.status == "superseded":
            return EXIT_OK  # the later run's outcome is the one that counts
        if self.status == "failed":
            return EXIT_FAILED
        if isinstance(fail_on, Severity) and any(at_or_above(f.severity, fail_on) for f in self.findings):
            return EXIT_FINDINGS
        if fail_on_partial and self.status == "partial":
            return EXIT_PARTIAL
        return EXIT_OK

    def outputs(self) -> dict[str, str]:
        return {
            "findings-count": str(len(self.findings)),
            "highest-severity": self.highest.value if self.highest else "none",
            "status": self.status,
            "report-path": self.report_path,
            "sarif-path": self.sarif_path,
            "batch-id": ",".join(self.batch_ids),
            "cost-usd": f"{self.cost_usd:.4f}",
        }

    def to_json(self) -> dict[str, object]:
        return {
            "version": REPORT_VERSION,
            "status": self.status,
            "mode": self.mode,
            "target": self.target,
            "head_sha": self.head_sha,
            "model": self.model,
            "engine": self.engine,
            "dry_run": self.dry_run,
            "error": self.error,
            "error_kind": self.error_kind,
            "superseded": self.superseded or None,
            "counts": counts_by_severity(self.findings),
            "highest_severity": self.highest.value if self.highest else None,
            "below_min_severity": self.below_threshold,
            "findings": [f.to_json() for f in self.findings],
            "files": [{"path": f.path, "status": f.status, "reason": f.reason} for f in self.files],
            "files_reviewed": self.count("reviewed"),
            "files_skipped": self.count("skipped"),
            "files_failed": self.count("failed"),
            "files_unchanged": self.count("unchanged"),
            "withheld": self.withheld,
            "summaries": self.summaries,
            "fixed": [c.to_json() for c in self.fixed],
            "acknowledged": [c.to_json() for c in self.acknowledged],
            "filtered": None if self.filtered is None else [f.to_json() for f in self.filtered],
            "verification": None if self.verification is None else self.verification.to_json(),
            "requests": self.requests,
            "model_seconds": None if self.model_seconds is None else round(self.model_seconds, 3),
            "usage": self.usage.to_json(),
            "usage_by_pass": {"review": self.review_usage.to_json(),
                              "verification": None if self.verification is None else self.verification.usage.to_json()},
            "cache_prefix": None if self.cache is None else self.cache.to_json(),
            "cost_usd": round(self.cost_usd, 6),
            "estimated_cost_usd": None if self.estimated_cost_usd is None else round(self.estimated_cost_usd, 6),
            "batch_ids": self.batch_ids,
            "notes": self.notes,
            "published": self.published,
        }


def tally(reasons: Iterable[str]) -> list[tuple[str, int]]:
    """Each reason with how many files share it, most common first (then by name)."""
    return sorted(Counter(reasons).items(), key=lambda item: (-item[1], item[0]))


def write_report(report: RunReport, path: Path, redact: Callable[[str], str] | None = None) -> None:
    """Write the JSON report; `redact` (a callable) scrubs secrets from the text first. Written line by line as it
    is encoded (a 100,000-file sweep's report is never held as one text); every line is whole JSON tokens (strings
    are escaped), so redacting each line redacts the whole."""
    clean = redact or (lambda line: line)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        pending = ""
        for chunk in json.JSONEncoder(indent=2, ensure_ascii=False).iterencode(report.to_json()):
            pending += chunk
            if "\n" in chunk:
                done, _, pending = pending.rpartition("\n")
                out.write(clean(done) + "\n")
        out.write(clean(pending) + "\n")
