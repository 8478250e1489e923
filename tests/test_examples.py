"""docs/example-review.md is what the real action posts: the committed file is exactly the output of
scripts/render_examples.py (which runs `batch-review action` against the loopback fakes), and the README's
excerpt is taken from it."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_examples", ROOT / "scripts" / "render_examples.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_committed_example_is_the_script_s_output(tmp_path: Path) -> None:
    script = _script()
    rendered = script.render(script.review_the_example(tmp_path))
    committed = (ROOT / "docs" / "example-review.md").read_text(encoding="utf-8")
    assert committed == rendered, "docs/example-review.md is out of date: run python scripts/render_examples.py"


def test_the_example_shows_the_four_things_posted() -> None:
    text = (ROOT / "docs" / "example-review.md").read_text(encoding="utf-8")
    assert "> ```suggestion\n>     rows = db.execute(" in text  # an inline comment with a suggestion
    assert "could not be placed on a line of the diff" in text  # the review body holds the rest
    assert "### batch-review · findings at" in text  # the status comment
    assert "conclusion **failure**" in text and "| `app/users.py` | 10–10 | failure |" in text  # the check run
    assert "<!--" not in text.split("-->", 1)[1]  # GitHub hides the markers; so does the example


def test_the_readme_excerpt_is_taken_from_the_example() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    example = (ROOT / "docs" / "example-review.md").read_text(encoding="utf-8")
    excerpt = re.search(r"<!-- example-excerpt -->\n(.+?)\n<!-- /example-excerpt -->", readme, re.S)
    assert excerpt, "the README shows an excerpt between <!-- example-excerpt --> markers"
    for line in excerpt[1].splitlines():
        assert line in example.splitlines(), f"not in docs/example-review.md: {line!r}"
