"""Markdown shared by every sink, and the sanitizer every model-written word passes through.

Model text is untrusted: outside code it may not carry HTML (no hidden comments, no <details>, no
forged batch-review markers), @-mentions (they would notify people) or images (tracking pixels).
Code spans and fences are left as written; an unclosed fence is closed so nothing after it is
swallowed. Every body is capped at GitHub's 65,536 characters.
"""

from __future__ import annotations

import re

from ..findings import Finding, Severity

GITHUB_BODY_LIMIT = 65536
MARKER = "batch-review"
SEVERITY_LABEL = {
    Severity.critical: "🛑 Critical",
    Severity.high: "🔴 High",
    Severity.medium: "🟠 Medium",
    Severity.low: "🟡 Low",
    Severity.info: "🔵 Info",
}
_FP_MARKER = re.compile(r"<!-- batch-review:fp=([0-9a-f]{16}) -->")
_CODE = re.compile(r"(`{3,}|~{3,})[^\n]*\n.*?(?:\n\1[ \t]*(?=\n|$)|\Z)|`[^`\n]+`", re.DOTALL)
_MENTION = re.compile(r"(?<![\w`/])@(?=[A-Za-z0-9])")
_IMAGE = re.compile(r"!\[")


def fingerprint_marker(fingerprint: str) -> str:
    return f"<!-- {MARKER}:fp={fingerprint} -->"


def fingerprints_in(text: str | None) -> set[str]:
    return set(_FP_MARKER.findall(text or ""))


def sanitize(text: str) -> str:
    """Make model-written Markdown safe to post (see module docstring)."""
    out: list[str] = []
    pos = 0
    for match in _CODE.finditer(text):
        out.append(_plain(text[pos : match.start()]))
        block = match.group(0)
        fence = match.group(1)
        if fence and not block.rstrip().endswith(fence):
            block = block.rstrip("\n") + "\n" + fence  # close a fence the model left open
        out.append(block)
        pos = match.end()
    out.append(_plain(text[pos:]))
    return "".join(out)


def _plain(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MENTION.sub("@\u200b", text)
    return _IMAGE.sub("!\u200b[", text)


def inline_text(text: str) -> str:
    """One line of model text for a title or a table cell."""
    return sanitize(" ".join(text.split())).replace("|", "\\|")


def fence_for(text: str) -> str:
    """A backtick fence longer than any run of backticks inside `text` (at least three)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def suggestion_block(replacement: str) -> str:
    fence = fence_for(replacement)
    body = replacement if replacement.endswith("\n") or not replacement else replacement + "\n"
    return f"{fence}suggestion\n{body}{fence}"


def code_block(text: str, language: str = "") -> str:
    fence = fence_for(text)
    body = text if text.endswith("\n") else text + "\n"
    return f"{fence}{language}\n{body}{fence}"


def finding_heading(finding: Finding) -> str:
    return f"**{SEVERITY_LABEL[finding.severity]} · {finding.category}** — {inline_text(finding.title)}"


def location(finding: Finding) -> str:
    lines = f"{finding.line}" + (f"-{finding.end_line}" if finding.end_line else "")
    return f"`{finding.path.replace('`', '')}:{lines}`"


def cap(text: str, limit: int = GITHUB_BODY_LIMIT) -> str:
    """Last-resort cut to GitHub's limit (callers budget their bodies so this rarely bites)."""
    if len(text) <= limit:
        return text
    tail = "\n\n_…cut to GitHub's 65,536-character limit; the job summary and report have the rest._"
    return text[: limit - len(tail)] + tail
