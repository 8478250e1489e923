"""A deterministic stand-in for a model that reads batch-review's prompt format.

The project renders code in the last user message like this::

    ### "src/app.py" (modified, lines 1-40 of 40)
     1 import os
     2+def f(x):
     3+    return eval(x)  # PLANT(high,security): eval of user input
      -    return x

A section starts at ``### <json-string path> …``; each code line has a gutter of the line number
right-aligned to a width W, then a marker (``+`` added, space for context), then the code. Deleted
lines carry W spaces and ``-`` and no number. The brain reports one finding per planted marker
``PLANT(<severity>[,<category>][,end=+N])[: <title>][|suggest=<replacement, \\n = newline>]`` found on
a numbered line. ``INJECT-RAW:<base64>`` anywhere in the user text makes it answer the decoded text
verbatim (a gullible model that obeys injected instructions, or any JSON a test wants).

Every review answer carries the one-line ``summary`` the schema requires (``change_summary``): the text after
``SUMMARY:`` on a changed line when there is one (a test names what the change does), else the files shown and
how many lines each adds.

A verification request (batch-review's second pass, recognised by its output schema's ``verdicts``) lists
the findings to check one JSON object a line between ``<findings nonce=…>`` lines, then the code in the same
sections as a review. ``verification_items`` reads them; ``keep_all_verifier`` (the fake's default for such
requests) keeps every finding.
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import re
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Section",
    "change_summary",
    "conversation_brain",
    "expected_findings",
    "inject_raw",
    "is_conversation",
    "is_verification",
    "keep_all_verifier",
    "parse_plant",
    "parse_sections",
    "plant",
    "planted_brain",
    "review_answer",
    "user_text",
    "verdict",
    "verification_items",
]

_HEADER = re.compile(r"^### (?=\")")
_CODE_LINE = re.compile(r"^ *(?P<num>\d+)(?P<marker>[+ ])(?P<code>.*)$")
_PLANT = re.compile(r"PLANT\((?P<args>[^)]*)\)")
_INJECT = re.compile(r"INJECT-RAW:(?P<data>[A-Za-z0-9+/_-]+=*)")
_SUMMARY = re.compile(r"SUMMARY: *(?P<text>[^|]+?) *$")


@dataclass
class Section:
    path: str
    header: str
    lines: list[tuple[int, str, str]]  # (gutter number, marker, code)


def user_text(body: dict[str, Any]) -> str:
    """All text blocks of the last user message, joined by newlines."""
    messages = body.get("messages") or []
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, str):
                return content
            if isinstance(content, list):
                return "\n".join(
                    str(b.get("text", "")) for b in content if isinstance(b, dict) and b.get("type") == "text"
                )
            return ""
    return ""


def parse_sections(text: str) -> list[Section]:
    """Split rendered prompt text into file sections with their numbered (added/context) lines (code from other
    files, in its own fenced section, is not under review and is left out). A brain reads one prompt several
    times (its findings, its summary): the text is parsed once, and each caller gets its own copy."""
    return [Section(s.path, s.header, list(s.lines)) for s in _parsed_sections(text)]


@functools.lru_cache(maxsize=16)
def _parsed_sections(text: str) -> tuple[Section, ...]:
    sections: list[Section] = []
    current: Section | None = None
    decoder = json.JSONDecoder()
    related = False  # code from other files (`<related nonce=…>`): context, not under review
    for raw in text.splitlines():
        if raw.startswith(("<related nonce=", "</related nonce=")):
            related, current = raw.startswith("<related"), None
            continue
        if related:
            continue
        if _HEADER.match(raw):
            try:
                path, _ = decoder.raw_decode(raw, 4)
            except ValueError:
                current = None
                continue
            current = Section(path=str(path), header=raw, lines=[]) if isinstance(path, str) else None
            if current is not None:
                sections.append(current)
            continue
        if current is None:
            continue
        m = _CODE_LINE.match(raw)
        if m:
            current.lines.append((int(m["num"]), m["marker"], m["code"]))
    return tuple(sections)


def parse_plant(code: str) -> dict[str, Any] | None:
    """The finding fields a PLANT marker on a code line asks for (without path/line), or None."""
    m = _PLANT.search(code)
    if not m:
        return None
    args = [a.strip() for a in m["args"].split(",") if a.strip()]
    if not args:
        return None
    severity, category, end = args[0], "bug", None
    for extra in args[1:]:
        if extra.startswith("end="):
            digits = extra[4:].lstrip("+")
            end = int(digits) if digits.isdigit() else None
        else:
            category = extra
    rest = code[m.end() :]
    rest, sep, suggest_text = rest.partition("|suggest=")
    suggest = suggest_text if sep else None
    title = rest[1:].strip() if rest.startswith(":") else ""
    title = title or "planted issue"
    return {
        "severity": severity,
        "category": category,
        "title": title,
        "end": end,
        "suggestion": suggest.replace("\\n", "\n") if suggest is not None else None,
    }


def expected_findings(text: str) -> list[dict[str, Any]]:
    """The findings the default brain reports for this prompt text, in order of appearance."""
    findings: list[dict[str, Any]] = []
    for section in parse_sections(text):
        for number, _marker, code in section.lines:
            spec = parse_plant(code)
            if spec is None:
                continue
            end = spec["end"]
            findings.append(
                {
                    "path": section.path,
                    "line": number,
                    "end_line": number + end if end is not None else None,
                    "severity": spec["severity"],
                    "category": spec["category"],
                    "title": spec["title"],
                    "body": f"Planted issue: {spec['title']}",
                    "suggestion": spec["suggestion"],
                    "confidence": 0.9,
                }
            )
    return findings


def _decode_injected(text: str) -> str | None:
    m = _INJECT.search(text)
    if not m:
        return None
    data = m["data"]
    padded = data + "=" * (-len(data) % 4)
    try:
        if "-" in data or "_" in data:
            return base64.urlsafe_b64decode(padded).decode()
        return base64.b64decode(padded, validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


def is_verification(body: dict[str, Any]) -> bool:
    """A verification request: its output schema asks for `verdicts`, not `findings`."""
    schema = ((body.get("output_config") or {}).get("format") or {}).get("schema") or {}
    return "verdicts" in (schema.get("properties") or {})


def is_conversation(body: dict[str, Any]) -> bool:
    """An answer in a thread (jobs/converse): its output schema asks for a `reply` and a `verdict`."""
    schema = ((body.get("output_config") or {}).get("format") or {}).get("schema") or {}
    return {"reply", "verdict"} <= set(schema.get("properties") or {})


WRONG = "FINDING-WRONG:"


def thread_comments(body: dict[str, Any]) -> list[tuple[str, str]]:
    """The thread a conversation request shows: (who, text) of each comment, oldest first."""
    out: list[tuple[str, str]] = []
    inside = False
    for raw in user_text(body).splitlines():
        if raw.startswith("<thread nonce="):
            inside = True
        elif raw.startswith("</thread nonce="):
            break
        elif inside and raw.startswith("  comment ") and raw.endswith(":"):
            out.append((raw.split(" by ", 1)[1][:-1], ""))
        elif inside and out:
            who, text = out[-1]
            out[-1] = (who, (text + "\n" if text else "") + raw.removeprefix("    "))
    return out


def conversation_brain(body: dict[str, Any]) -> str:
    """The default answer in a thread: the finding is wrong when the latest comment says ``FINDING-WRONG: why``
    (a model persuaded on the merits), else it stands."""
    said = thread_comments(body)
    last = said[-1][1] if said else ""
    if WRONG in last:
        reason = last.split(WRONG, 1)[1].strip().splitlines()[0] or "the code is correct"
        return json.dumps({"reply": f"You are right: {reason}", "verdict": "wrong", "reason": reason})
    return json.dumps({"reply": "The finding stands: the value reaches the query unchecked.", "verdict": "stands",
                       "reason": ""})


_FINDINGS_OPEN = re.compile(r'^<findings nonce="(?P<nonce>[0-9a-f]+)">$')


def verification_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The findings a verification request lists (each with its `id`), in order."""
    items: list[dict[str, Any]] = []
    closing = None
    for raw in user_text(body).splitlines():
        if closing is None:
            m = _FINDINGS_OPEN.match(raw)
            if m:
                closing = f'</findings nonce="{m["nonce"]}">'
            continue
        if raw == closing:
            break
        items.append(json.loads(raw))
    return items


def verdict(item: dict[str, Any], keep: bool, reason: str = "", confidence: float = 0.9) -> dict[str, Any]:
    return {"id": item["id"], "verdict": "keep" if keep else "drop", "confidence": confidence,
            "reason": reason or ("checked: real" if keep else "checked: not a real problem")}


def keep_all_verifier(body: dict[str, Any]) -> str:
    """The default verifier: every finding it is shown is kept."""
    return json.dumps({"verdicts": [verdict(item, True) for item in verification_items(body)]})


def change_summary(text: str) -> str:
    """The brain's one-line summary of the change in this prompt text."""
    sections = parse_sections(text)
    for section in sections:
        for _number, marker, code in section.lines:
            found = _SUMMARY.search(code) if marker == "+" else None
            if found:
                return found["text"]
    shown = [f"{s.path} (+{sum(1 for _n, marker, _c in s.lines if marker == '+')})" for s in sections]
    return ("Changes " + ", ".join(shown))[:160] if shown else "No code was shown"


def review_answer(findings: list[dict[str, Any]], text: str) -> str:
    """A review answer as the schema has it: the findings and the summary of the change in `text`."""
    return json.dumps({"findings": findings, "summary": change_summary(text)})


def planted_brain(body: dict[str, Any]) -> str:
    """The default brain: ``{"findings": [...], "summary": …}`` for planted markers, or an injected raw answer."""
    text = user_text(body)
    raw = _decode_injected(text)
    if raw is not None:
        return raw
    return review_answer(expected_findings(text), text)


def plant(
    severity: str,
    category: str | None = None,
    *,
    end: int | None = None,
    title: str | None = None,
    suggest: str | None = None,
) -> str:
    """Build a marker string, e.g. ``plant("high", "security", title="eval")``."""
    args = [severity] + ([category] if category else []) + ([f"end=+{end}"] if end is not None else [])
    out = f"PLANT({','.join(args)})"
    if title:
        out += f": {title}"
    if suggest is not None:
        out += "|suggest=" + suggest.replace("\n", "\\n")
    return out


def inject_raw(answer: str) -> str:
    """The token that makes the default brain answer ``answer`` verbatim."""
    return "INJECT-RAW:" + base64.b64encode(answer.encode()).decode()
