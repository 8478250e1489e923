"""Does this text hold a credential? Private-key blocks and high-confidence token formats only.

A file that holds one is never sent to the model ("may contain a secret"). Only formats that are
unmistakable are looked for — a PEM private key with its body, and tokens whose vendor prefix and length
are fixed — never entropy or `password = "…"` heuristics, which flag ordinary code.

Speed matters (a sweep reads every file): one Aho-Corasick pass (`ahocorasick-rs`, in Rust) looks for every
prefix at once, and only the few files that hold one run the exact patterns. The patterns are RE2
(`linear.py`): a contributor's file cannot make them backtrack. RE2 has no lookaround, so a token that must
not touch a longer word names the characters (`edge`) that may not stand just before or after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ahocorasick_rs import BytesAhoCorasick, MatchKind

from . import linear

_B64 = rb"[A-Za-z0-9+/=]"
_UPPER_DIGITS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_ALNUM = _UPPER_DIGITS + b"abcdefghijklmnopqrstuvwxyz"
_WORD = _ALNUM + b"_"
_TOKEN = _WORD + b"-"
_GAP = rb"""(?:\s|\\[rn]|["'+,])*"""  # newlines, or a string split across lines in code ("…\n" + "…")


@dataclass(frozen=True)
class Kind:
    name: str
    triggers: tuple[bytes, ...]  # literals that every match contains (the prefilter)
    pattern: linear.Pattern[bytes]
    before: bytes = b""  # bytes that may not stand just before the match (it would be part of a longer word)
    after: bytes = b""  # … nor just after it


KINDS = (
    Kind("private key", (b"PRIVATE KEY",), linear.compile(
        rb"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----" + _GAP
        + rb"(?:[A-Za-z-]+: ?[^\n\\]*(?:\n|\\n)" + _GAP + rb")*" + _B64 + rb"{40}")),
    Kind("AWS access key id", (b"AKIA", b"ASIA"), linear.compile(rb"(?:AKIA|ASIA)[A-Z0-9]{16}"),
         _UPPER_DIGITS, _UPPER_DIGITS),
    Kind("GitHub token", (b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"github_pat_"), linear.compile(
        rb"gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}"), _WORD, _ALNUM),
    Kind("GitLab token", (b"glpat-",), linear.compile(rb"glpat-[A-Za-z0-9_-]{20}"), b"", _TOKEN),
    Kind("Slack token", (b"xoxb-", b"xoxp-", b"xoxa-", b"xoxr-", b"xoxs-"), linear.compile(
        rb"xox[bpars]-[0-9]{8,}-[A-Za-z0-9-]{12,}")),
    Kind("Slack webhook", (b"hooks.slack.com/services/",), linear.compile(
        rb"hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,}")),
    Kind("Stripe live key", (b"sk_live_", b"rk_live_"), linear.compile(rb"[sr]k_live_[A-Za-z0-9]{20,}")),
    Kind("Google API key", (b"AIza",), linear.compile(rb"AIza[A-Za-z0-9_-]{35}"),
         _TOKEN, _TOKEN),
    Kind("Anthropic API key", (b"sk-ant-",), linear.compile(rb"sk-ant-(?:api|admin|oat)[0-9]{2}-[A-Za-z0-9_-]{80,}")),
    Kind("OpenAI API key", (b"sk-proj-", b"sk-svcacct-", b"sk-admin-", b"T3BlbkFJ"), linear.compile(
        rb"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}")),
    Kind("npm token", (b"npm_",), linear.compile(rb"npm_[A-Za-z0-9]{36}"), _WORD, _ALNUM),
    Kind("PyPI token", (b"pypi-AgE",), linear.compile(rb"pypi-AgE[A-Za-z0-9_-]{60,}")),
    Kind("SendGrid key", (b"SG.",), linear.compile(rb"SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"),
         _TOKEN),
    Kind("Shopify token", (b"shpat_", b"shpss_", b"shpca_", b"shppa_"),
         linear.compile(rb"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}")),
    Kind("Azure storage key", (b"AccountKey=",), linear.compile(rb"AccountKey=[A-Za-z0-9+/]{86}==")),
    Kind("age secret key", (b"AGE-SECRET-KEY-1",), linear.compile(rb"AGE-SECRET-KEY-1[0-9A-Z]{58}")),
)


@cache
def _prefilter() -> tuple[BytesAhoCorasick, tuple[int, ...]]:
    """One automaton over every trigger, and for each trigger the index of its kind."""
    triggers = [(t, i) for i, kind in enumerate(KINDS) for t in kind.triggers]
    return BytesAhoCorasick([t for t, _ in triggers], matchkind=MatchKind.LeftmostFirst), tuple(i for _, i in triggers)


@dataclass(frozen=True)
class Found:
    kind: str
    offset: int  # where the match starts, in bytes
    end: int  # where the secret's value ends (a private key: its END line, else the rest of the text)


def find_secrets(data: bytes) -> list[Found]:
    """Every credential in `data`, in order of where it starts (overlapping ones each named)."""
    automaton, kind_of = _prefilter()
    hits = automaton.find_matches_as_indexes(data)
    if not hits:
        return []
    found: list[Found] = []
    for index in sorted({kind_of[trigger] for trigger, _, _ in hits}):
        kind = KINDS[index]
        for match in kind.pattern.finditer(data):
            start, end = match.span()
            if (start and data[start - 1] in kind.before) or (end < len(data) and data[end] in kind.after):
                continue  # part of a longer word (RE2 has no lookaround: checked here)
            if _plausible(match.group()):
                found.append(Found(kind.name, start, _value_end(kind, data, end)))
    return sorted(found, key=lambda f: (f.offset, f.kind))


def _value_end(kind: Kind, data: bytes, end: int) -> int:
    if kind.name != "private key":
        return end
    footer = data.find(b"-----END", end)
    if footer < 0:
        return len(data)
    close = data.find(b"-----", footer + 8)
    return len(data) if close < 0 else close + 5


def find_secret(data: bytes) -> Found | None:
    """The first credential in `data`, or None."""
    found = find_secrets(data)
    return found[0] if found else None


def _plausible(token: bytes) -> bool:
    """Not a placeholder: documentation's `AKIAIOSFODNN7EXAMPLE`, `ghp_xxxx…`, `sk_live_0000…`."""
    if b"EXAMPLE" in token.upper():
        return False
    tail = token[-16:]
    return len(set(tail)) >= 6


def secret_reason(data: bytes, *, where: str = "line") -> str | None:
    """"may contain a secret (…)" naming the kind and, for file content, the line; or None."""
    found = find_secret(data)
    if found is None:
        return None
    if where == "line":
        line = data.count(b"\n", 0, found.offset) + 1
        return f"may contain a secret ({found.kind}, line {line})"
    return f"may contain a secret ({found.kind} {where})"
