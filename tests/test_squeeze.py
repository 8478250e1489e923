"""Fingerprints squeeze a line's whitespace (findings.squeeze): its fast path (`str.split` for ASCII text) gives
exactly what the RE2 rule gives, so no finding's id changes with it (ids are matched across runs)."""

from __future__ import annotations

import hashlib
import random

from batch_review.findings import _WS, fingerprint, squeeze


def test_the_fast_path_squeezes_exactly_as_the_re2_rule() -> None:
    rng = random.Random(7)
    alphabet = "ab( ) \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u2003\u3000é"
    for _ in range(50_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 14)))
        assert squeeze(text) == _WS.sub(" ", text).strip(), repr(text)


def test_a_fingerprint_is_unchanged_by_the_fast_path() -> None:
    # the id a place had before the fast path (the file and the RE2-squeezed text): a marker posted then matches
    before = hashlib.sha256(b"place\0src/a.py\0return value").hexdigest()[:16]
    assert fingerprint("src/a.py", "  return   value\t", 3) == before == fingerprint("src/a.py", "return value", 9)
    assert fingerprint("src/a.py", "x =\x0b1", 1) != fingerprint("src/a.py", "x = 1", 1)  # VT is not RE2's \\s
