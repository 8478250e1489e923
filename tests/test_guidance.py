"""Issue #10 §3: instructions where they belong. `path-instructions` (validated strictly, resolved to text at
load time, sent only with the requests holding files they match, before the code), the repository's own
guidance files in the cached system prompt (an input turns them off), every text cut at its cap with a
warning, and one function giving the text that changes what the model is asked."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from batch_review.config import load_config
from batch_review.errors import ConfigError
from batch_review.guidance import (
    GUIDANCE_FILE_CAP,
    PATH_ENTRY_CAP,
    PATH_HEADER,
    PATH_TOTAL_CAP,
    PathGuidance,
    model_guidance,
)
from batch_review.log import log
from batch_review.plan import Budget, make_plan
from batch_review.prompt import INTRO, render_request, system_blocks
from batch_review.sources.base import SourceFile


def _repo(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "repo"
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    root.mkdir(exist_ok=True)
    return root


def _config_error(tmp_path: Path, config: str) -> str:
    root = _repo(tmp_path, {".github/batch-review.yml": config})
    with pytest.raises(ConfigError) as caught:
        load_config({}, root)
    return caught.value.message


@pytest.fixture
def logged() -> io.StringIO:
    stream = io.StringIO()
    log.configure(actions=False, stream=stream)
    return stream


# -- path-instructions in the config file ---------------------------------------------------------------------
@pytest.mark.parametrize(("config", "says"), [
    ("path-instructions: {paths: ['*.py'], instructions: x}\n",
     "path-instructions: Input should be a valid tuple"),
    ("path-instructions:\n  - {paths: ['*.py']}\n",
     "path-instructions entry 1: instructions: Field required"),
    ("path-instructions:\n  - {paths: ['*.py'], instructions: ok}\n  - {paths: [], instructions: x}\n",
     "path-instructions entry 2: paths: Tuple should have at least 1 item"),
    ("path-instructions:\n  - {paths: ['!'], instructions: x}\n",
     "path-instructions entry 1: paths: '!' is not a valid .gitignore-style pattern"),
    ("path-instructions:\n  - {paths: ['*.py'], instructions: '   '}\n",
     "path-instructions entry 1: instructions: must not be empty"),
    ("path-instructions:\n  - {paths: ['*.py'], instruction: x}\n",
     "path-instructions entry 1: instruction: unknown option"),
    ("path-instructions:\n  - {paths: ['*.py'], instructions: ../outside.md}\n",
     "path-instructions entry 1: instructions: the path '../outside.md' is outside the repository"),
    ("path-instructions:\n  - {paths: ['*.py'], instructions: docs/missing.md}\n",
     "path-instructions entry 1: instructions: the file 'docs/missing.md' does not exist in the working tree"),
])
def test_path_instructions_are_validated_naming_the_entry(tmp_path: Path, config: str, says: str) -> None:
    message = _config_error(tmp_path, config)
    assert says in message, message
    assert message.startswith((".github/batch-review.yml", "invalid configuration: .github/batch-review.yml",
                               "path-instructions"))


def test_path_instructions_are_text_once_loaded(tmp_path: Path) -> None:
    root = _repo(tmp_path, {
        ".github/batch-review.yml": "path-instructions:\n"
        "  - paths: [services/api/]\n    instructions: services/api/REVIEW.md\n"
        "  - paths: \"*.sql\\n!legacy/**\"\n    instructions: Check every query for injection.\n",
        "services/api/REVIEW.md": "Every handler must check the caller's role.\n",
    })
    config = load_config({}, root)
    assert [(e.paths, e.instructions) for e in config.path_instructions] == [
        (("services/api/",), "Every handler must check the caller's role."),
        (("*.sql", "!legacy/**"), "Check every query for injection."),
    ]
    guide = PathGuidance(config.path_instructions)
    assert "Every handler" in guide.section(["services/api/h.py"]) and guide.section(["web/x.py"]) == ""
    assert guide.section(["legacy/old.sql"]) == "" and "injection" in guide.section(["db/q.sql"])


# -- the repository's guidance files ----------------------------------------------------------------------------
def test_guidance_files_join_the_system_prompt_once(tmp_path: Path, logged: io.StringIO) -> None:
    root = _repo(tmp_path, {"AGENTS.md": "Use pathlib, never os.path.\n", "CLAUDE.md": "Use pathlib, never os.path.\n",
                            ".github/copilot-instructions.md": "Money is Decimal, never float.\n"})
    config = load_config({"instructions": "Focus on auth."}, root)
    assert config.instructions.startswith("Focus on auth.\n\nFrom the repository's AGENTS.md and CLAUDE.md")
    assert config.instructions.count("Use pathlib") == 1 and "Money is Decimal" in config.instructions
    assert ("guidance: AGENTS.md, CLAUDE.md, .github/copilot-instructions.md in the working tree, in the system "
            "prompt of every request") in logged.getvalue()
    off = load_config({"instructions": "Focus on auth.", "repository-guidance": "false"}, root)
    assert off.instructions == "Focus on auth."
    by_file = load_config({}, _repo(tmp_path / "b", {".github/batch-review.yml": "repository-guidance: false\n",
                                                      "AGENTS.md": "x\n"}))
    assert by_file.instructions == ""


def test_instructions_naming_a_guidance_file_send_it_once(tmp_path: Path) -> None:
    root = _repo(tmp_path, {"AGENTS.md": "Use pathlib, never os.path.\n"})
    assert load_config({"instructions": "AGENTS.md"}, root).instructions == "Use pathlib, never os.path.\n"


def test_no_guidance_files_is_said(tmp_path: Path, logged: io.StringIO) -> None:
    assert load_config({}, _repo(tmp_path, {"README.md": "hi\n"})).instructions == ""
    said = "guidance: no AGENTS.md, CLAUDE.md or .github/copilot-instructions.md in the working tree"
    assert said in logged.getvalue()


def test_every_text_past_its_cap_is_cut_with_a_warning(tmp_path: Path, logged: io.StringIO) -> None:
    sizes = [3_500, 3_500, 3_500, PATH_ENTRY_CAP + 10, 10]
    entries = "".join(f"  - {{paths: ['d{i}/'], instructions: docs/p{i}.md}}\n" for i in range(len(sizes)))
    root = _repo(tmp_path, {"AGENTS.md": "a" * (GUIDANCE_FILE_CAP + 500),
                            ".github/batch-review.yml": "path-instructions:\n" + entries,
                            **{f"docs/p{i}.md": str(i) * size for i, size in enumerate(sizes)}})
    config = load_config({}, root)
    assert "a" * GUIDANCE_FILE_CAP in config.instructions and "a" * (GUIDANCE_FILE_CAP + 1) not in config.instructions
    kept = [len(e.instructions) for e in config.path_instructions]
    assert kept == [3_500, 3_500, 3_500, PATH_TOTAL_CAP - 3 * 3_500]  # the fifth is dropped
    text = logged.getvalue()
    assert f"warning: AGENTS.md is {GUIDANCE_FILE_CAP + 500:,} characters: only the first {GUIDANCE_FILE_CAP:,}" in text
    assert f"warning: path-instructions entry 4 is {PATH_ENTRY_CAP + 10:,} characters" in text
    assert f"warning: path-instructions entry 4 is cut to {PATH_TOTAL_CAP - 3 * 3_500:,} characters" in text
    assert "warning: path-instructions entry 5 is dropped" in text


def test_too_many_entries_fail(tmp_path: Path) -> None:
    entries = "".join(f"  - {{paths: ['d{i}/'], instructions: x}}\n" for i in range(51))
    assert "path-instructions: at most 50 entries (got 51)" in _config_error(tmp_path, "path-instructions:\n" + entries)


# -- where the text goes -------------------------------------------------------------------------------------------
def _plan(paths: list[str]):  # type: ignore[no-untyped-def]
    sources = [SourceFile(p, "modified", patch="@@ -1 +1 @@\n-a\n+b\n") for p in paths]
    return make_plan(sources, [], Budget())


def test_path_instructions_travel_with_the_request_before_the_code(tmp_path: Path) -> None:
    root = _repo(tmp_path, {".github/batch-review.yml": "path-instructions:\n"
                            "  - {paths: ['api/'], instructions: Check the caller's role.}\n"
                            "  - {paths: ['*.sql'], instructions: Look for injection.}\n"})
    config = load_config({}, root)
    guide = PathGuidance.of(config)
    assert guide is not None and PathGuidance.of(load_config({}, None)) is None
    plan = _plan(["api/a.py", "api/b.py", "web/c.py"])
    (request,) = plan.requests
    text = render_request(request, plan.rows, guide)
    assert text.startswith(f'{INTRO}\n{PATH_HEADER}\n\nFor "api/a.py", "api/b.py":\nCheck the caller\'s role.\n<code')
    assert "injection" not in text  # only what matches the request's files
    assert render_request(request, plan.rows) == text.replace(f"{PATH_HEADER}\n\n", "").replace(
        "For \"api/a.py\", \"api/b.py\":\nCheck the caller's role.\n", "")
    before = plan.input_tokens
    guide.account(plan)
    assert plan.input_tokens - before == guide.tokens(["api/a.py", "api/b.py", "web/c.py"]) > 0
    assert system_blocks(config.instructions) == system_blocks("")  # nothing per-path in the cached prefix


def test_model_guidance_changes_with_what_the_model_is_asked(tmp_path: Path) -> None:
    a = load_config({}, _repo(tmp_path / "a", {".github/batch-review.yml":
                                               "path-instructions: [{paths: ['*.py'], instructions: Be strict.}]\n"}))
    same = load_config({}, _repo(tmp_path / "b", {".github/batch-review.yml":
                                                  "path-instructions: [{paths: ['*.py'], instructions: Be strict.}]\n",
                                                  "README.md": "unrelated\n"}))
    other_text = load_config({}, _repo(tmp_path / "c", {".github/batch-review.yml":
                                       "path-instructions: [{paths: ['*.py'], instructions: Be lenient.}]\n"}))
    other_paths = load_config({}, _repo(tmp_path / "d", {".github/batch-review.yml":
                                        "path-instructions: [{paths: ['*.js'], instructions: Be strict.}]\n"}))
    with_agents = load_config({}, _repo(tmp_path / "e", {".github/batch-review.yml":
                                        "path-instructions: [{paths: ['*.py'], instructions: Be strict.}]\n",
                                        "AGENTS.md": "Use pathlib.\n"}))
    texts = [model_guidance(c) for c in (a, same, other_text, other_paths, with_agents)]
    assert texts[0] == texts[1] and len(set(texts)) == 4
    assert json.loads(texts[4])["system"].endswith("Use pathlib.")
