"""Does this text hold a credential? Private-key blocks and high-confidence token formats only.

A file that holds one is never sent to the model ("may contain a secret"). Only formats that are
unmistakable are looked for — a PEM private key with its body, and tokens whose vendor prefix and length
are fixed — never entropy or `password = "…"` heuristics, which flag ordinary code.

Speed matters (a sweep reads every file): one Aho-Corasick pass (`ahocorasick-rs`, in Rust) looks for every
prefix at once, and only the few files that hold one run the exact patterns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from ahocorasick_rs import BytesAhoCorasick, MatchKind

_B64 = rb"[A-Za-z0-9+/=]"
_GAP = rb"""(?:\s|\\[rn]|["'+,])*"""  # newlines, or a string split across lines in code ("…\n" + "…")


@dataclass(frozen=True)
class Kind:
    name: str
    triggers: tuple[bytes, ...]  # literals that every match contains (the prefilter)
    pattern: re.Pattern[bytes]


KINDS = (
    Kind("private key", (b"PRIVATE KEY",), re.compile(
        rb"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----" + _GAP
        + rb"(?:[A-Za-z-]+: ?[^\n\\]*(?:\n|\\n)" + _GAP + rb")*" + _B64 + rb"{40}")),
    Kind("AWS access key id", (b"AKIA", b"ASIA"), re.compile(rb"(?<![A-Z0-9])(?:AKIA|ASIA)[A-Z0-9]{16}(?![A-Z0-9])")),
    Kind("GitHub token", (b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_", b"github_pat_"), re.compile(
        rb"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})(?![A-Za-z0-9])")),
    Kind("GitLab token", (b"glpat-",), re.compile(rb"glpat-[A-Za-z0-9_-]{20}(?![A-Za-z0-9_-])")),
    Kind("Slack token", (b"xoxb-", b"xoxp-", b"xoxa-", b"xoxr-", b"xoxs-"), re.compile(
        rb"xox[bpars]-[0-9]{8,}-[A-Za-z0-9-]{12,}")),
    Kind("Slack webhook", (b"hooks.slack.com/services/",), re.compile(
        rb"hooks\.slack\.com/services/T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{20,}")),
    Kind("Stripe live key", (b"sk_live_", b"rk_live_"), re.compile(rb"[sr]k_live_[A-Za-z0-9]{20,}")),
    Kind("Google API key", (b"AIza",), re.compile(rb"(?<![A-Za-z0-9_-])AIza[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])")),
    Kind("Anthropic API key", (b"sk-ant-",), re.compile(rb"sk-ant-(?:api|admin|oat)[0-9]{2}-[A-Za-z0-9_-]{80,}")),
    Kind("OpenAI API key", (b"sk-proj-", b"sk-svcacct-", b"sk-admin-", b"T3BlbkFJ"), re.compile(
        rb"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{40,}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}")),
    Kind("npm token", (b"npm_",), re.compile(rb"(?<![A-Za-z0-9_])npm_[A-Za-z0-9]{36}(?![A-Za-z0-9])")),
    Kind("PyPI token", (b"pypi-AgE",), re.compile(rb"pypi-AgE[A-Za-z0-9_-]{60,}")),
    Kind("SendGrid key", (b"SG.",), re.compile(rb"(?<![A-Za-z0-9_-])SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}")),
    Kind("Shopify token", (b"shpat_", b"shpss_", b"shpca_", b"shppa_"),
         re.compile(rb"shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}")),
    Kind("Azure storage key", (b"AccountKey=",), re.compile(rb"AccountKey=[A-Za-z0-9+/]{86}==")),
    Kind("age secret key", (b"AGE-SECRET-KEY-1",), re.compile(rb"AGE-SECRET-KEY-1[0-9A-Z]{58}")),
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


def find_secret(data: bytes) -> Found | None:
    """The first credential in `data`, or None."""
    automaton, kind_of = _prefilter()
    hits = automaton.find_matches_as_indexes(data)
    if not hits:
        return None
    kinds = sorted({kind_of[trigger] for trigger, _, _ in hits})
    for index in kinds:
        for match in KINDS[index].pattern.finditer(data):
            if _plausible(match.group()):
                return Found(KINDS[index].name, match.start())
    return None


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
