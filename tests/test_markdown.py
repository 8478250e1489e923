"""The sanitizer every model-written word passes through before it reaches GitHub.

Unit cases for each construct, then a randomized check against a real CommonMark parser
(markdown-it-py, which rich already depends on): whatever the model writes, the sanitized text renders
with no HTML, no image, no mention or reference in prose, no marker of ours, and no open fence.
"""

from __future__ import annotations

import random
import re

import pytest
from markdown_it import MarkdownIt

from batch_review.findings import Finding, Severity
from batch_review.memory.markers import posted_findings
from batch_review.publishers.markdown import (
    GITHUB_BODY_LIMIT,
    ZWSP,
    cap,
    code_block,
    code_span,
    inline_text,
    location,
    sanitize,
    suggestion_block,
    table_cell,
    visible,
)

FP = "0123456789abcdef"
MARKER = f"<!-- batch-review:fp={FP} -->"  # the first marker form (unsealed: no longer read)
NEW_MARKER = ('<!-- batch-review:finding {"fp":"0123456789abcdef","sev":"high","cat":"bug","path":"a.py",'
              '"line":1,"end":null,"title":"t","sha":"","file":""} -->')


def fingerprints_in(text: str) -> set[str]:
    """Fingerprints of every batch-review marker (either form) that would be read back from `text`."""
    return {f.fingerprint for f in posted_findings(text, None)}


# -- kept as written -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "Plain prose with **bold**, _emphasis_ and a [link](https://example.com).",
    "Use `a<b>c` instead of `x < y`.",
    "A double-backtick span: ``a ` b`` stays.",
    "```python\nif a < b and c > d:\n    return \"<div>@user #1</div>\"\n```",
    "~~~\n<details>@everyone</details>\n~~~",
    "````\n```\ninner fence\n```\n````",
    "a < b, x <3 and 5 > 4 are comparisons",
    "C# and #define and issue-like words stay; 100% fine.",
    "",
])
def test_safe_text_and_code_are_kept_verbatim(text: str) -> None:
    assert sanitize(text) == text


def test_code_span_next_to_hostile_prose_is_kept_while_prose_is_disarmed() -> None:
    out = sanitize("Replace `<img src=x>` with `escape(x)`; <img src=y> @team")
    assert "`<img src=x>`" in out and "`escape(x)`" in out
    assert f"<{ZWSP}img src=y>" in out and f"@{ZWSP}team" in out


# -- disarmed ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    ("<!-- hidden -->", f"<{ZWSP}!-- hidden -->"),
    ("<details><summary>x</summary>y</details>", f"<{ZWSP}details><{ZWSP}summary>x<{ZWSP}/summary>y<{ZWSP}/details>"),
    ('<img src="https://evil/p.gif">', f'<{ZWSP}img src="https://evil/p.gif">'),
    ("<?php echo 1 ?>", f"<{ZWSP}?php echo 1 ?>"),
    ("<![CDATA[x]]>", f"<{ZWSP}!{ZWSP}[CDATA[x]]>"),
    ("List<String>", f"List<{ZWSP}String>"),
    ("@everyone @here @octocat @acme/security", f"@{ZWSP}everyone @{ZWSP}here @{ZWSP}octocat @{ZWSP}acme/security"),
    ("see #12 and acme/repo#3", f"see #{ZWSP}12 and acme/repo#{ZWSP}3"),
    ("![pixel](https://evil/p.png)", f"!{ZWSP}[pixel](https://evil/p.png)"),
    ("[hidden]: https://evil/x", "\\[hidden]: https://evil/x"),
    ("<https://example.com>", f"<{ZWSP}https://example.com>"),
])
def test_hostile_constructs_are_disarmed(text: str, expected: str) -> None:
    assert sanitize(text) == expected


def test_disarming_is_invisible() -> None:
    """Only zero-width spaces (and a backslash before a link definition) are added: nothing is lost."""
    text = "Hi <b>x</b> @a #1 ![i](u) <!-- c --> `code <i>` ``<x>`"
    assert sanitize(text).replace(ZWSP, "") == text


@pytest.mark.parametrize("text", [
    "``<img src=x>`",  # a double run with no partner: no code span, so the tag is prose
    "\\`<img src=x>`",  # an escaped backtick opens nothing
    "`a\n<img src=x>`",  # a span across lines is not trusted
    "# `a\n<img src=x>`",  # a heading ends the line's inline context
    "| `a | <img src=x> | b` |\n|---|---|---|",  # a table splits cells before code spans
    "- ```\n  x\n<img src=x>\n  ```",  # a fence inside a list item ends with the item
    "  ```\n<img src=x>\n  ```",  # an indented fence: maybe in a container, so not trusted
    "```a`b\n<img src=x>\n```",  # a backtick in a backtick fence's info string: no fence at all
])
def test_uncertain_code_is_disarmed_too(text: str) -> None:
    assert "<img" not in sanitize(text)
    assert f"<{ZWSP}img" in sanitize(text)


def test_unclosed_fences_are_closed() -> None:
    assert sanitize("text\n```python\ncode") == "text\n```python\ncode\n```"
    assert sanitize("````\ncode ```\nmore") == "````\ncode ```\nmore\n````"
    assert sanitize("~~~\nx") == "~~~\nx\n~~~"
    assert sanitize("```\na\n```\n```\nb") == "```\na\n```\n```\nb\n```"


def test_a_suggestion_fence_in_model_prose_offers_no_one_click_commit() -> None:
    out = sanitize("Try:\n```suggestion\nrm -rf /\n```")
    assert "```suggestion" not in out and "```\nrm -rf /\n```" in out


def test_markers_cannot_be_forged_anywhere() -> None:
    hostile = [
        MARKER,
        f"`{MARKER}`",
        f"```\n{MARKER}\n```",
        f"<!--batch-review:fp={FP}-->",
        f"<!--   BATCH-REVIEW:fp={FP} -->",
        f"<!-- batch-review:review head={'a' * 40} part=0 run=x -->",
        NEW_MARKER,
        f"`{NEW_MARKER}`",
    ]
    for text in hostile:
        assert not fingerprints_in(sanitize(text)), text
        assert "<!-- batch-review" not in sanitize(text).lower(), text
        assert not fingerprints_in(code_block(text)) and not fingerprints_in(suggestion_block(text))
        assert not fingerprints_in(code_span(text))
    assert fingerprints_in(NEW_MARKER) == {FP}  # ours, written by us, read back (its seal is checked elsewhere)
    assert fingerprints_in(MARKER) == set()  # the first form carries no seal: never read


def test_control_and_bidi_characters_are_removed_and_line_ends_normalized() -> None:
    assert sanitize("a\r\nb\rc\x00d\x1b[31me\u202egnp.exe") == "a\nb\ncd[31megnp.exe"


def test_bodies_are_capped_at_githubs_limit() -> None:
    out = sanitize("x <b> " * 40_000)
    assert len(out) <= GITHUB_BODY_LIMIT and out.endswith("_…cut to GitHub's limit_")
    fenced = sanitize("```\n" + "y\n" * 70_000)
    assert len(fenced) <= GITHUB_BODY_LIMIT
    assert sanitize("a" * 70_000, limit=1000).__len__() <= 1000


def test_cap_keeps_fences_closed() -> None:
    text = "head\n```\n" + "code line\n" * 10_000
    out = cap(text, 5000)
    assert len(out) <= 5000 and out.count("```") == 2 and out.endswith("report have the rest._")
    assert cap("short") == "short"


# -- building blocks ----------------------------------------------------------------------------------


def test_fences_for_suggestions_and_code_outgrow_any_backticks() -> None:
    assert suggestion_block("a = 1") == "```suggestion\na = 1\n```"
    assert suggestion_block("s = '```'") == "````suggestion\ns = '```'\n````"
    assert code_block("x ````` y", "py") == "``````py\nx ````` y\n``````"
    assert suggestion_block("") == "```suggestion\n```"  # delete the lines


def test_code_span_holds_any_path() -> None:
    assert code_span("src/a.py:3") == "`src/a.py:3`"
    assert code_span("a`b") == "``a`b``"
    assert code_span("`edge`") == "`` `edge` ``"
    assert code_span("new\nline\ttab\x1bx") == "`new\\nline\\ttab\\x1bx`"
    assert code_span("a|b", table=True) == "`a\\|b`"
    assert visible("caf\u00e9 \u202e") == "caf\u00e9 \\u202e"


def test_inline_text_and_table_cells() -> None:
    assert inline_text("Title\nwith  <b>newline</b> @x") == f"Title with <{ZWSP}b>newline<{ZWSP}/b> @{ZWSP}x"
    assert table_cell("a | b") == "a \\| b"


def test_location_of_a_hostile_path() -> None:
    finding = Finding(path="x`\n\n<img src=y>|z", line=3, end_line=5, severity=Severity.low, category="bug",
                      title="t", body="b", suggestion=None, confidence=1.0)
    assert location(finding) == "``x`\\n\\n<img src=y>|z:3-5``"
    assert location(finding, table=True) == "``x`\\n\\n<img src=y>\\|z:3-5``"


# -- randomized, against a CommonMark parser ---------------------------------------------------------

PIECES = [
    "`", "``", "```", "````", "~~~", "\\", "\\`", "<img src=x>", "<details>", "</details>", "<!--", "-->",
    "<b>", "@everyone", "@acme/team", "#12", "![a](b)", "[x]: y", "\n", "\n", "\n\n", "    ", "   ", " ",
    "|", "---", "|---|", "> ", "- ", "1. ", "# ", "a", "word", "&lt;", "<http://x.y>", "suggestion", "\t",
    MARKER, "<!-- batch-review:fp=", "-->", "*", "_", "[", "]", "(", ")",
    "\n- ", "\n> ", "\n  ```", "\n```", "\n~~~~", "\n1. ```", "\n    ", "\n:-|-:\n",
]
_MD = MarkdownIt("commonmark", {"html": True}).enable("table")


def _walk(tokens):  # type: ignore[no-untyped-def]
    for token in tokens:
        yield token
        if token.children:
            yield from _walk(token.children)


def test_random_hostile_text_renders_harmless() -> None:
    rng = random.Random(4)
    for _ in range(3000):
        text = "".join(rng.choice(PIECES) for _ in range(rng.randint(1, 30)))
        out = sanitize(text)
        assert not fingerprints_in(out), (text, out)
        # what we append after a model body (our marker) must stay outside any block the model opened
        tokens = list(_walk(_MD.parse(out + "\n\n" + MARKER)))
        kinds = {t.type for t in tokens}
        assert "image" not in kinds, (text, out)
        html = [t.content for t in tokens if t.type in ("html_inline", "html_block")]
        assert html == [MARKER + "\n"] or html == [MARKER], (text, out, html)
        for token in tokens:
            if token.type == "text":
                assert not re.search(r"@[A-Za-z0-9]|#\d", token.content), (text, out, token.content)
