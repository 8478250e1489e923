"""Every relative link in README.md and docs/*.md resolves: the file exists, and an anchor (`#…`) names a
heading of that file as GitHub renders it (lower case, punctuation dropped, spaces to hyphens, `-1`, `-2`…
for repeated headings). Links inside code blocks and inline code are not links."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,}).*?^ {0,3}\1[ \t]*$", re.M | re.S)
LINK = re.compile(r"(?<!!)\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
IMAGE = re.compile(r"!\[[^\]]*\]\(\s*<?([^)\s>]+)>?")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)


def prose(text: str) -> str:
    """The text without block quote markers, fenced code blocks and inline code spans (which end at a
    blank line, as CommonMark's paragraphs do)."""
    text = FENCE.sub("", re.sub(r"^(?: {0,3}> ?)+", "", text, flags=re.M))
    return re.sub(r"(`+)(?:(?!\1)[^\n]|\n(?!\s*\n))+?\1", "", text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: markup and punctuation dropped (hyphens, underscores kept)."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link keeps its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))  # a `#` line in a code block is no heading
    found: set[str] = set()
    seen: dict[str, int] = {}
    for heading in re.findall(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", text, re.M):
        base = slug(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    found |= set(re.findall(r"<a\s+(?:name|id)=\"([^\"]+)\"", text))
    return found


def links(path: Path) -> list[str]:
    text = prose(path.read_text(encoding="utf-8"))
    return LINK.findall(text) + IMAGE.findall(text) + REFERENCE.findall(text)


def problem(source: Path, target: str, root: Path = ROOT) -> str | None:
    """Why a link does not resolve, or None. External links are not fetched."""
    if re.match(r"[a-z][a-z0-9+.-]*:", target, re.I):  # https:, mailto:
        return None
    where, _, anchor = target.partition("#")
    file = (source.parent / unquote(where)).resolve() if where else source
    if not file.exists():
        return f"{target}: no such file {file.relative_to(root) if file.is_relative_to(root) else file}"
    if not file.is_relative_to(root):
        return f"{target}: outside the repository"
    if anchor and file.suffix == ".md" and unquote(anchor).lower() not in anchors(file):
        return f"{target}: no heading #{anchor} in {file.relative_to(root)}"
    return None


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(path: Path) -> None:
    problems = [p for target in links(path) if (p := problem(path, target))]
    assert problems == [], "\n".join(problems)


def test_the_readme_links_every_document() -> None:
    linked = {(ROOT / t.partition("#")[0]).resolve() for t in links(ROOT / "README.md") if t.startswith("docs/")}
    missing = [p.name for p in DOCUMENTS[1:] if p.resolve() not in linked]
    assert missing == [], f"README.md does not link {missing}"


def test_the_checker_catches_broken_links(tmp_path: Path) -> None:
    """The checker is not blind: a missing file, a missing anchor and GitHub's slug rules."""
    (tmp_path / "b.md").write_text("# Sweeps: memory across nights\n## `batch-review eval`\n## Same\n## Same\n")
    source = tmp_path / "a.md"
    assert problem(source, "b.md#sweeps-memory-across-nights", tmp_path) is None
    assert problem(source, "b.md#batch-review-eval", tmp_path) is None
    assert problem(source, "b.md#same-1", tmp_path) is None
    assert problem(source, "https://example.com/x#y", tmp_path) is None
    assert problem(source, "c.md", tmp_path) == "c.md: no such file c.md"
    assert problem(source, "b.md#sweeps", tmp_path) == "b.md#sweeps: no heading #sweeps in b.md"
    assert problem(source, "../x.md", tmp_path) is not None
    source.write_text("[ok](b.md) `[not](x.md)`\n```\n[not](y.md)\n```\n[bad](z.md#q) ![img](i.png)\n"
                      "> ```\n> [not](q.md) `\n> ```\n\n` [c](c.md)\n")
    assert links(source) == ["b.md", "z.md#q", "c.md", "i.png"]
    assert slug("Amazon Bedrock and Google Vertex AI") == "amazon-bedrock-and-google-vertex-ai"
    assert slug("Measuring the reviewer: `batch-review eval`") == "measuring-the-reviewer-batch-review-eval"
