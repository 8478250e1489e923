"""Named failures. Each carries a short `kind` that appears in the report, and a plain message.

Anything raised as a `RunError` ends the run with status `failed` and exit code 2, and the message
is shown to the user as it is (after the secret mask) — never a traceback.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_FAILED = 2
EXIT_PARTIAL = 3  # a partial run, with fail-on-partial: true


class RunError(Exception):
    kind = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ConfigError(RunError):
    kind = "config"


class EventError(RunError):
    kind = "event"


class SourceError(RunError):
    kind = "source"


class ApiError(RunError):
    """The model API refused the whole run: authentication, billing, permission, unknown model."""

    kind = "anthropic"


class GitHubError(RunError):
    kind = "github"


class BudgetError(RunError):
    kind = "budget"


class NothingReviewedError(RunError):
    """Every planned file failed: an outage (no network, every request refused or overloaded) must never pass
    for a partial review with nothing to say."""

    kind = "nothing-reviewed"


class Superseded(RunError):
    """A later run on the same pull request claimed it (memory/claim.py): this run publishes nothing and ends
    `superseded` with exit code 0 — the later run's review is the one that counts."""

    kind = "superseded"
