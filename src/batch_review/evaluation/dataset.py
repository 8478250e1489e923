"""The eval dataset: JSON Lines, one labelled change a line.

    {"id": "click-8.1.4-01", "repo": "repos/click", "base": "<commit>", "head": "<commit>",
     "expected": [{"path": "src/click/core.py", "line": 120, "end_line": 122, "severity": "high"}]}

`repo` is a local git repository, relative to the dataset file or absolute; `base` and `head` are
commits (any name git resolves); the change under review is `head` against its merge base with `base`,
as a pull request from `head` into `base` would show it. `expected` lists where the bugs are, in
`head`'s line numbers (`end_line` and `severity` are optional; an empty list is a change with no bug,
where every finding is a false positive). `note` (text) and `meta` (an object) are kept for people and
ignored by scoring. `title` and `description` are the change's intent as its pull request would state it
(passed into the run like a pull request's); `context` lists code in the head commit that a good reviewer
needs to see (`{"path": …, "contains": …}`): the eval reports whether it reached the model (recall.py).
Any other key is an error, so a typo (`endline`) cannot silently drop a label.

Every line is checked before anything is sent: a bad line fails the whole run (exit 2) with one
message per problem, naming the line and the case — figures over a silently shrunken dataset would
not be comparable with the last run's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import RunError, SourceError
from ..findings import Severity
from ..gitcmd import git, rev_parse

MAX_PROBLEMS_SHOWN = 20


class DatasetError(RunError):
    kind = "dataset"


class _ExpectedRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    path: str = Field(min_length=1)
    line: int = Field(ge=1)
    end_line: int | None = Field(default=None, ge=1)
    severity: Severity | None = None
    note: str | None = None


class _ContextRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    path: str = Field(min_length=1)
    contains: str = Field(min_length=1)


class _CaseRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    id: str = Field(min_length=1, max_length=200)
    repo: str = Field(min_length=1)
    base: str = Field(min_length=1)
    head: str = Field(min_length=1)
    expected: list[_ExpectedRecord]
    note: str | None = None
    meta: dict[str, Any] | None = None
    title: str | None = None
    description: str | None = None
    context: list[_ContextRecord] = Field(default_factory=list)


@dataclass(frozen=True)
class Expected:
    """Where a labelled bug is: new-file lines `line..end_line` of `path` in the case's head."""

    path: str
    line: int
    end_line: int
    severity: Severity | None = None

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "line": self.line, "end_line": self.end_line,
                "severity": self.severity.value if self.severity else None}


@dataclass(frozen=True)
class ContextItem:
    """Code a good reviewer of the case needs to see: text that `path` holds in the head commit."""

    path: str
    contains: str

    def to_json(self) -> dict[str, object]:
        return {"path": self.path, "contains": self.contains}


@dataclass(frozen=True)
class Case:
    id: str
    repo: Path
    base: str
    head: str
    expected: tuple[Expected, ...]
    line_number: int  # in the dataset file
    note: str = ""
    title: str = ""
    description: str = ""
    context: tuple[ContextItem, ...] = ()


def load_dataset(path: Path) -> list[Case]:
    """Every case of the dataset, checked (JSON, keys, types, the repository and both commits)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such dataset file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot be read as UTF-8 text ({exc})") from None
    cases: list[Case] = []
    problems: list[str] = []
    first_line: dict[str, int] = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        if not raw.strip():
            continue
        case, problem = _parse_line(path, number, raw)
        if problem:
            problems.append(problem)
            continue
        assert case is not None
        if case.id in first_line:
            problems.append(f"{path.name} line {number} (case {case.id!r}): the id is already used on "
                            f"line {first_line[case.id]}")
            continue
        first_line[case.id] = number
        cases.append(case)
    problems += _check_repositories(path, cases)
    if problems:
        shown = problems[:MAX_PROBLEMS_SHOWN]
        more = f"\n… and {len(problems) - len(shown)} more" if len(problems) > len(shown) else ""
        raise DatasetError(f"the dataset {path} has {len(problems)} problem(s); nothing was sent:\n"
                           + "\n".join(f"- {p}" for p in shown) + more)
    if not cases:
        raise DatasetError(f"the dataset {path} has no cases (one JSON object a line)")
    return cases


def _parse_line(path: Path, number: int, raw: str) -> tuple[Case | None, str]:
    where = f"{path.name} line {number}"
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return None, f"{where}: not valid JSON ({exc.msg} at column {exc.colno})"
    if not isinstance(data, dict):
        return None, f"{where}: must be a JSON object with id, repo, base, head and expected"
    case_id = data.get("id")
    if isinstance(case_id, str) and case_id:
        where += f" (case {case_id!r})"
    try:
        record = _CaseRecord.model_validate_json(raw)
    except ValidationError as exc:
        return None, f"{where}: {_describe(exc)}"
    expected: list[Expected] = []
    for index, item in enumerate(record.expected):
        end = item.end_line if item.end_line is not None else item.line
        if end < item.line:
            return None, f"{where}: expected[{index}].end_line {end} is before its line {item.line}"
        label = Expected(item.path, item.line, end, item.severity)
        if label in expected:
            return None, f"{where}: expected[{index}] repeats expected[{expected.index(label)}]"
        expected.append(label)
    repo = Path(record.repo).expanduser()
    repo = repo if repo.is_absolute() else (path.parent / repo)
    context = tuple(ContextItem(item.path, item.contains) for item in record.context)
    return Case(record.id, repo, record.base, record.head, tuple(expected), number, record.note or "",
                record.title or "", record.description or "", context), ""


def _describe(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:4]:
        loc = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.get("loc", ())).lstrip(".")
        message = str(error.get("msg", "invalid"))
        if error.get("type") == "missing":
            message = "missing"
        elif error.get("type") == "extra_forbidden":
            message = "unknown key"
        parts.append(f"{loc or 'record'}: {message}")
    return "; ".join(parts)


def _check_repositories(path: Path, cases: list[Case]) -> list[str]:
    """Each case's repository is a git repository holding both commits (asked once per repository)."""
    problems: list[str] = []
    known: dict[Path, str] = {}
    for case in cases:
        where = f"{path.name} line {case.line_number} (case {case.id!r})"
        repo = case.repo
        if repo not in known:
            known[repo] = _repository_problem(repo)
        if known[repo]:
            problems.append(f"{where}: repo {str(repo)!r} {known[repo]}")
            continue
        for name, ref in (("base", case.base), ("head", case.head)):
            if ref.startswith("-") or not rev_parse(repo, ref):
                problems.append(f"{where}: {name} {ref!r} is not a commit in {repo}")
    return problems


def _repository_problem(repo: Path) -> str:
    if not repo.is_dir():
        return "does not exist" if not repo.exists() else "is not a directory"
    try:
        top = git(repo, "rev-parse", "--show-toplevel", check=False).decode("utf-8", "surrogateescape").strip()
    except SourceError as exc:
        return f"cannot be read ({exc.message})"
    if not top:
        return "is not a git repository (with a work tree)"
    if Path(top).resolve() != repo.resolve():
        return f"is not a git repository (it is a folder inside the repository at {top})"
    return ""
