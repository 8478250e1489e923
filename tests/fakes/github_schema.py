"""Validate write bodies against the request schemas extracted from GitHub's OpenAPI description.

The schemas live in ``tests/data/github-openapi-subset.json`` (from the MIT-licensed npm package
``@octokit/openapi``; see the ``_source`` entry of that file).
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

SUBSET = Path(__file__).resolve().parents[1] / "data" / "github-openapi-subset.json"


@functools.cache
def _validators() -> list[tuple[str, re.Pattern[str], bool, Any]]:
    data = json.loads(SUBSET.read_text(encoding="utf-8"))
    out = []
    for op in data["operations"].values():
        rx = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(op["path"]))
        validator = jsonschema.Draft4Validator(op["schema"])
        out.append((op["method"], re.compile(f"^{rx}/?$"), op["requestBodyRequired"], validator))
    return out


def _where(err: ValidationError) -> str:
    return "/".join(str(p) for p in err.absolute_path) or "body"


def _short(err: ValidationError) -> str:
    if err.validator == "maxItems":
        return f"the array has more than {err.validator_value} items."
    if err.validator == "maxLength":
        return f"the value is too long (maximum is {err.validator_value} characters)."
    return err.message if len(err.message) <= 300 else err.message[:300] + "…"


def schema_error(method: str, path: str, body: Any) -> str | None:
    """A GitHub-like description of the first schema violation, or ``None``."""
    for m, rx, required, validator in _validators():
        if m != method or not rx.match(path):
            continue
        if body is None:
            return "Request body is required." if required else None
        err = best_match(validator.iter_errors(body))
        if err is None:
            return None
        return f"For '{_where(err)}', {_short(err)}"
    return None
