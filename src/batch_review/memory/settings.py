"""The review settings' key: an earlier review of a file counts only if it was made under the same key.

Everything that changes what the model is asked, or which findings are kept, is in it: the model, the
prompt (its version and text), the instructions and guidance, the minimum severity, the context and
verification options. Options that only change how the run goes (concurrency, budget, where results are
posted, how requests are packed) are left out. A new option is in the key unless listed here: an unknown
option costs a re-review, never a stale result.
"""

from __future__ import annotations

import hashlib
import json

from ..config import Config

RUNTIME_ONLY = frozenset({
    "mode", "max_concurrency", "fail_on", "request_changes_on", "budget_usd", "batch_wait_minutes", "dry_run",
    "strategy", "upload_sarif", "check_run", "review_drafts", "request_timeout", "max_inline_comments",
    "max_output_tokens", "max_request_tokens", "max_files_per_request", "report_dir", "issue_label", "issue_title",
    "prices", "max_retry_wait", "full_review", "provider", "aws_region", "vertex_project", "vertex_region",
    "context_lines", "allowed_associations", "max_thread_answers", "outsider_reply",
})


def settings_key(config: Config) -> str:
    from ..prompt import PROMPT_VERSION, output_schema, system_text
    from ..verify.prompt import PROMPT_VERSION as VERIFY_VERSION
    from ..verify.prompt import system_text as verify_text

    values = {name: value for name, value in config.model_dump(mode="json").items() if name not in RUNTIME_ONLY}
    verifier = {"verifier": [VERIFY_VERSION, verify_text()]} if config.verify else {}  # it decides what is kept
    blob = json.dumps({"prompt": PROMPT_VERSION, "system": system_text(), "schema": output_schema(),
                       "options": values, **verifier}, sort_keys=True)
    return hashlib.sha256(blob.encode("utf-8", "surrogatepass")).hexdigest()[:16]
