"""Markdown shared by every sink, and the sanitizer every model-written word passes through.

Model text is untrusted. What it may not do on GitHub: carry HTML (hidden comments, <details>,
<img> tracking pixels, forged batch-review markers), notify people (@-mentions, #-references), embed
images, define hidden link references, offer a one-click `suggestion` of its own, leave a fence open
to swallow what follows, or grow past GitHub's 65,536-character limit.

The sanitizer disarms those constructs with a zero-width space (`<` + ZWSP is no tag, `@` + ZWSP no
mention, ``` split by one is no fence), which renders the same whether GitHub reads the text as prose
or as code — so a misjudged code boundary can never let HTML through. Code is kept byte-for-byte only
where GitHub is certain to show it as code: a fence that opens in column 0 (closed here if the model
left it open), and inline code spans in a paragraph whose every backtick run pairs up on its own line
(and no table anywhere). Marker-like text is broken even there, so nothing the model writes can pass
for one of our markers. tests/test_markdown.py checks this against a CommonMark parser.
"""

from __future__ import annotations

from .. import linear
from ..findings import Finding, Severity
from ..log import log

GITHUB_BODY_LIMIT = 65536
ZWSP = "\u200b"
SEVERITY_LABEL = {
    Severity.critical: "🛑 Critical",
    Severity.high: "🔴 High",
    Severity.medium: "🟠 Medium",
    Severity.low: "🟡 Low",
    Severity.info: "🔵 Info",
}
_FORGED = linear.compile(r"<!--(\s*batch-review)", ignore_case=True)
_FENCE = linear.compile(r"^( {0,3})(`{3,}|~{3,})(.*)$")
_TABLE_RULE = linear.compile(r"^ {0,3}\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
_CONTROL = linear.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x{202A}-\x{202E}\x{2066}-\x{2069}]")
_TAG = linear.compile(r"<([A-Za-z/!?])")
_MENTION = linear.compile(r"@([A-Za-z0-9])")
_REFERENCE = linear.compile(r"#([0-9])")
_IMAGE = linear.compile(r"!\[")
_LINK_DEF = linear.compile(r"^( {0,3})\[([^\]\n]*\]:)", multiline=True)
_RUN = linear.compile(r"`+")
_FENCE_RUN = linear.compile(r"`{3,}|~{3,}")  # in prose, split so that it can open no fence


# -- the sanitizer -------------------------------------------------------------------------------


def sanitize(text: str, limit: int = GITHUB_BODY_LIMIT) -> str:
    """Make model-written Markdown safe to post (see module docstring); the result fits in `limit`."""
    text = _CONTROL.sub("", log.redact(text).replace("\r\n", "\n").replace("\r", "\n"))
    out = _sanitize(text)
    cut = len(text)
    while len(out) > limit:  # neutralizing only adds characters: cut the input until the output fits
        cut = min(cut - 1, cut * (limit - 80) // len(out))
        out = _sanitize(text[:cut]) + "\n\n_…cut to GitHub's limit_"
    return out


def _sanitize(text: str) -> str:
    lines = text.split("\n")
    trusting = not any("|" in line and "-" in line and _TABLE_RULE.match(line) for line in lines)
    out: list[str] = []
    paragraph: list[str] = []
    fence: tuple[str, int] | None = None  # the open column-0 fence: (character, length)
    for line in lines:
        if fence is None:
            opened = _fence_open(line)
            if opened is None or opened[2] > 0 or not trusting:
                paragraph.append(line)  # prose; an indented fence (maybe in a list) is disarmed as prose
                continue
            out += _paragraph(paragraph, trusting)
            paragraph = []
            char, length, _, info = opened
            if info.strip().split(" ")[0].lower() == "suggestion":
                info = ""  # only our own suggestion blocks may offer a one-click commit
            fence = (char, length)
            out.append(_unforge(char * length + info))
        elif _fence_close(line, *fence):
            out.append(line)
            fence = None
        else:
            out.append(_unforge(line))
    out += _paragraph(paragraph, trusting)
    if fence is not None:
        out.append(fence[0] * fence[1])  # close a fence the model left open
    return "\n".join(out)


def _fence_open(line: str) -> tuple[str, int, int, str] | None:
    match = _FENCE.match(line)
    if match is None:
        return None
    indent, run, info = match.groups()
    if run[0] == "`" and "`" in info:
        return None  # not a fence in CommonMark: a backtick fence's info string has no backtick
    return run[0], len(run), len(indent), info


def _fence_close(line: str, char: str, length: int) -> bool:
    stripped = line.lstrip(" ")
    if len(line) - len(stripped) > 3:
        return False
    run = len(stripped) - len(stripped.lstrip(char))
    return run >= length and not stripped[run:].strip(" \t")


def _paragraph(lines: list[str], trusting: bool) -> list[str]:
    """Prose lines between fences: code spans kept when certain, everything else neutralized."""
    if not lines:
        return []
    text = "\n".join(lines)
    spans = _code_spans(text) if trusting else None
    if spans is None:
        return neutralize(text).split("\n")
    out: list[str] = []
    pos = 0
    for start, end in spans:
        out += [neutralize(text[pos:start]), _unforge(text[start:end])]
        pos = end
    out.append(neutralize(text[pos:]))
    return "".join(out).split("\n")


def _code_spans(text: str) -> list[tuple[int, int]] | None:
    """CommonMark code spans of `text`, or None unless every backtick run pairs up within its line."""
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            i += 2  # an escaped character (an escaped backtick opens nothing)
            continue
        if char != "`":
            i += 1
            continue
        run = _RUN.match(text, i)
        assert run is not None
        width = run.end() - i
        closer = next((m for m in _RUN.finditer(text, run.end()) if m.end() - m.start() == width), None)
        if closer is None or "\n" in text[i : closer.start()]:
            return None  # an unmatched run or a span across lines: not certain, so not kept
        spans.append((i, closer.end()))
        i = closer.end()
    return spans


def neutralize(text: str) -> str:
    """Disarm HTML, mentions, references, images, link definitions and fences; invisible as prose or code."""
    text = _TAG.sub("<" + ZWSP + r"\1", text)
    text = _MENTION.sub("@" + ZWSP + r"\1", text)
    text = _REFERENCE.sub("#" + ZWSP + r"\1", text)
    text = _IMAGE.sub("!" + ZWSP + "[", text)
    text = _FENCE_RUN.sub(lambda m: ZWSP.join(m[0][i : i + 2] for i in range(0, len(m[0]), 2)), text)
    return _LINK_DEF.sub(r"\1\\[\2", text)


def _unforge(text: str) -> str:
    return _FORGED.sub("<!--" + ZWSP + r"\1", text)


# -- building blocks -------------------------------------------------------------------------------


def inline_text(text: str) -> str:
    """One line of model text for a title, a heading or a table cell: sanitized, pipes escaped."""
    return sanitize(" ".join(text.split())).replace("|", "\\|")


table_cell = inline_text


def visible(text: str) -> str:
    """`text` with control characters shown as escapes (a path may hold a newline or a tab)."""
    return "".join(ch if ch.isprintable() else _escape_char(ch) for ch in text)


def _escape_char(ch: str) -> str:
    named = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
    if ch in named:
        return named[ch]
    return f"\\x{ord(ch):02x}" if ord(ch) < 256 else f"\\u{ord(ch):04x}"


def code_span(text: str, *, table: bool = False) -> str:
    """`text` as one inline code span, whatever it holds (backticks, newlines, pipes in a table)."""
    shown = _unforge(visible(log.redact(text)))
    if table:
        shown = shown.replace("|", "\\|")
    fence = "`" * (max((len(r) for r in _RUN.findall(shown)), default=0) + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") or not shown.strip() else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def fence_for(text: str) -> str:
    """A backtick fence longer than any run of backticks inside `text` (at least three)."""
    longest = max((len(run) for run in _RUN.findall(text)), default=0)
    return "`" * max(3, longest + 1)


def suggestion_block(replacement: str) -> str:
    replacement = _unforge(replacement)
    fence = fence_for(replacement)
    body = replacement if replacement.endswith("\n") or not replacement else replacement + "\n"
    return f"{fence}suggestion\n{body}{fence}"


def code_block(text: str, language: str = "") -> str:
    text = _unforge(text)
    fence = fence_for(text)
    body = text if text.endswith("\n") else text + "\n"
    return f"{fence}{language}\n{body}{fence}"


def finding_heading(finding: Finding) -> str:
    return f"**{SEVERITY_LABEL[finding.severity]} · {finding.category}** — {inline_text(finding.title)}"


def location(finding: Finding, *, table: bool = False) -> str:
    lines = f"{finding.line}" + (f"-{finding.end_line}" if finding.end_line else "")
    return code_span(f"{finding.path}:{lines}", table=table)


def cap(text: str, limit: int = GITHUB_BODY_LIMIT) -> str:
    """Cut to GitHub's limit at a line boundary, closing a fence the cut left open."""
    if len(text) <= limit:
        return text
    tail = "\n\n_…cut to GitHub's 65,536-character limit; the job summary and report have the rest._"
    head = text[: limit - len(tail) - 40]
    head = head[: head.rfind("\n")] if "\n" in head else head
    fence: tuple[str, int] | None = None
    for line in head.split("\n"):
        if fence is None:
            opened = _fence_open(line)
            fence = (opened[0], opened[1]) if opened else None
        elif _fence_close(line, *fence):
            fence = None
    if fence is not None:
        head += "\n" + fence[0] * fence[1]
    return head + tail
