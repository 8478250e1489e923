"""Fast paths of the verification's planning and rendering (issue #18: each answer's verifications are planned
and rendered while the others' answers arrive) give what the plain way gives: `unbroken` is `translate(BREAKS)`,
and a file's estimated tokens count each deleted row with the line it is shown before, as `rows` shows them."""

from __future__ import annotations

import random

from batch_review.diff import Row
from batch_review.plan import CHARS_PER_TOKEN, GUTTER_TOKENS
from batch_review.prompt import BREAKS, unbroken
from batch_review.verify.excerpt import FileCode


def test_unbroken_shows_every_break_as_translate_does() -> None:
    rng = random.Random(7)
    alphabet = ["a", " ", "é", "\t", "\n", *"\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"]
    samples = ["", "plain code = 1", "ends with a break\r", "\u2028", "tab\there"]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 12))) for _ in range(3000)]
    for text in samples:
        assert unbroken(text) == text.translate(BREAKS), repr(text)


def _cost(rows: list[Row]) -> float:
    return sum(len(r.text) / CHARS_PER_TOKEN + GUTTER_TOKENS for r in rows)


def test_a_file_s_tokens_count_the_rows_deleted_before_each_line_shown() -> None:
    texts = [f"line_{n} = {'x' * n}" for n in range(1, 9)]
    gone = {1: [Row("-", "deleted before the first line", None, 1, 0)],
            5: [Row("-", "a", None, 6, 0), Row("-", "deleted before line 5", None, 7, 0)]}
    code = FileCode("f.py", texts, added={3}, deleted=gone)
    plain = FileCode("f.py", texts)
    for shown in ({0}, {4}, {0, 1, 2}, {3, 4, 5}, set(range(7)), {2, 6}):
        assert abs(code.tokens(shown) - _cost(code.rows(shown))) < 1e-9, shown  # a second way: the rows shown
        assert abs(plain.tokens(shown) - _cost(plain.rows(shown))) < 1e-9, shown
    assert code.tokens({0}) > plain.tokens({0}) and code.tokens({1}) == plain.tokens({1})
    assert code.tokens({-1, 8, 99}) == 0  # lines not in the file
