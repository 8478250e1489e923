"""Does this text hold a credential? Private keys and high-confidence credential formats only.

A credential in a file is a critical finding at its line, and its value is redacted before anything is sent
(scrub.py). Only formats that are unmistakable are looked for: a private key with its body (PEM, also escaped
inside a string or base64-encoded as in a kubeconfig's `client-key-data`, and PuTTY's), tokens whose vendor
prefix and length are fixed, and a few values named by the key that holds them in a fixed file format (an AWS
secret access key, a docker `auth`, an npm `_authToken`). Never entropy or `password = "…"` heuristics, which
flag ordinary code (docs/security.md has the measured figures and why these are our own patterns rather than
detect-secrets' or gitleaks' rule set).

Speed matters (a sweep reads every file): one Aho-Corasick pass (`ahocorasick-rs`, in Rust) looks for every
trigger at once, and only the few files that hold one run the exact patterns. The patterns are RE2
(`linear.py`): a contributor's file cannot make them backtrack. RE2 has no lookaround, so a token that must
not touch a longer word names the characters (`edge`) that may not stand just before or after it, and a
value that must decode to something (base64) is checked in Python beside the match (`check`).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from ahocorasick_rs import BytesAhoCorasick, MatchKind

from . import linear

_B64 = rb"[A-Za-z0-9+/=]"
_UPPER_DIGITS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_ALNUM = _UPPER_DIGITS + b"abcdefghijklmnopqrstuvwxyz"
_WORD = _ALNUM + b"_"
_TOKEN = _WORD + b"-"
_BASE64 = _ALNUM + b"+/="
_BASE64_BODY = _ALNUM + b"+/"  # what may not stand before a base64 value (`=` may: `KEY=value`)
# newlines, or a string split across lines in code ("…\n" + "…"), escaped once or more (JSON inside a string)
_GAP = rb"""(?:\s|\\+[rn]|["'+,])*"""
_NEWLINE = rb"(?:\r?\n|\\+r?\\+n|\\+n)"
_UUID = rb"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"

_PEM = linear.compile(
    rb"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----" + _GAP
    + rb"(?:[A-Za-z-]+: ?[^\n\\]*" + _NEWLINE + _GAP + rb")*" + _B64 + rb"{40}")


def _b64decode(value: bytes, limit: int = 1 << 16) -> bytes | None:
    text = value.rstrip(b"=")[:limit]
    text = text[: len(text) // 4 * 4] if len(text) % 4 == 1 else text + b"=" * (-len(text) % 4)
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def _pem_inside(value: bytes) -> bool:
    """A base64 value that decodes to a PEM private key with its body (a kubeconfig's `client-key-data`)."""
    decoded = _b64decode(value, 8192)
    return decoded is not None and _PEM.search(decoded) is not None


_PLACEHOLDERS = frozenset((b"password", b"pass", b"passwd", b"secret", b"test", b"changeme", b"example", b"token"))


def _user_and_password(value: bytes) -> bool:
    """A docker `auth`: base64 of `user:password`, both present and printable (not `test:test`, `user:password`)."""
    decoded = _b64decode(value, 4096)
    if decoded is None or not all(32 < c < 127 for c in decoded):
        return False
    user, colon, password = decoded.partition(b":")
    return bool(colon and user and password) and password != user and password.lower() not in _PLACEHOLDERS


def _docker_config_inside(value: bytes) -> bool:
    """A base64 value that decodes to a docker config holding an `auth` (a Kubernetes `.dockerconfigjson`)."""
    decoded = _b64decode(value)
    return decoded is not None and any(_user_and_password(m.group(1)) for m in _DOCKER_AUTH.finditer(decoded))


def _mixed(value: bytes) -> bool:
    """Upper and lower case letters and digits: a random key, not a word or a variable's name."""
    return (any(c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZ" for c in value) and any(c in b"abcdefghijklmnopqrstuvwxyz"
            for c in value) and any(c in b"0123456789" for c in value))


_DOCKER_AUTH = linear.compile(rb'"auth"\s*:\s*"([A-Za-z0-9+/]{8,}={0,2})"')


@dataclass(frozen=True)
class Kind:
    name: str
    triggers: tuple[bytes, ...]  # literals that every match contains (the prefilter)
    pattern: linear.Pattern[bytes]
    before: bytes = b""  # bytes that may not stand just before the value (it would be part of a longer word)
    after: bytes = b""  # … nor just after it
    group: int = 0  # the group that is the value (0: the whole match); the rest only names it
    check: Callable[[bytes], bool] | None = None  # what the value must also be (decoded, mixed case)


KINDS = (
    Kind("private key", (b"PRIVATE KEY",), _PEM),
    Kind("private key (base64)", (b"LS0tLS1CRUdJTi",), linear.compile(rb"LS0tLS1CRUdJTi[A-Za-z0-9+/]{60,}={0,2}"),
         _BASE64_BODY, _BASE64, check=_pem_inside),
    Kind("PuTTY private key", (b"Private-Lines:",), linear.compile(
        # each line may start with a diff's `+` or space
        rb"PuTTY-User-Key-File-[0-9]+: [^\r\n]*\r?\n(?:[+ ]?[A-Za-z0-9-]+: [^\r\n]*\r?\n|[A-Za-z0-9+/=]+\r?\n)*"
        rb"[+ ]?Private-Lines: ?[0-9]+\r?\n[+ ]?((?:[A-Za-z0-9+/=]+\r?\n[+ ]?)*[A-Za-z0-9+/=]{40,})"), group=1),
    Kind("AWS access key id", (b"AKIA", b"ASIA"), linear.compile(rb"(?:AKIA|ASIA)[A-Z0-9]{16}"),
         _UPPER_DIGITS, _UPPER_DIGITS),
    Kind("AWS secret access key", (b"secret_access_key", b"SECRET_ACCESS_KEY", b"SecretAccessKey",
                                   b"secretAccessKey", b"secret-access-key", b"aws_secret_key", b"AWS_SECRET_KEY",
                                   b"awsSecretKey"), linear.compile(
        rb"(?i:secret[_-]?access[_-]?key|aws[_-]?secret[_-]?key)[A-Za-z0-9_-]{0,8}[\"']?\s*(?:=|:|=>|,)\s*"
        rb"[\"']?([A-Za-z0-9/+]{40})"), _BASE64_BODY, _BASE64, group=1, check=_mixed),
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
    Kind("npm auth token", (b"_authToken", b"npmAuthToken"), linear.compile(
        rb"(?:_authToken|npmAuthToken)[\"']?\s*[=:]?\s*[\"']?(" + _UUID + rb")"), _TOKEN, _TOKEN, group=1),
    Kind("Docker registry auth", (b'"auth"',), _DOCKER_AUTH, _BASE64_BODY, _BASE64, group=1,
         check=_user_and_password),
    Kind("Docker registry auth (base64)", (b"eyJhdXRocyI6",), linear.compile(rb"eyJhdXRocyI6[A-Za-z0-9+/]{20,}={0,2}"),
         _BASE64_BODY, _BASE64, check=_docker_config_inside),
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
    # overlapping matches (MatchKind.Standard): one trigger never hides another that overlaps it
    return BytesAhoCorasick([t for t, _ in triggers], matchkind=MatchKind.Standard), tuple(i for _, i in triggers)


@dataclass(frozen=True)
class Found:
    kind: str
    offset: int  # where the match starts, in bytes
    end: int  # where the secret's value ends (a private key: its END line, else the rest of the text)


def find_secrets(data: bytes) -> list[Found]:
    """Every credential in `data`, in order of where it starts (overlapping ones each named)."""
    automaton, kind_of = _prefilter()
    hits = automaton.find_matches_as_indexes(data, overlapping=True)
    if not hits:
        return []
    found: list[Found] = []
    for index in sorted({kind_of[trigger] for trigger, _, _ in hits}):
        kind = KINDS[index]
        for match in kind.pattern.finditer(data):
            start, end = match.span(kind.group)
            if (start and data[start - 1] in kind.before) or (end < len(data) and data[end] in kind.after):
                continue  # part of a longer word (RE2 has no lookaround: checked here)
            value = match.group(kind.group)
            if _plausible(value) and (kind.check is None or kind.check(value)):
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
