"""Helpers to drive :class:`tests.fakes.github_api.FakeGitHub` with the real PyGithub client."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import github

from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git

if TYPE_CHECKING:
    from tests.fakes.github_api import FakeGitHub


def pygithub(fake: FakeGitHub, **kwargs: Any) -> github.Github:
    """A PyGithub client for the fake: no throttling sleeps, lazy objects, default retry unless given."""
    opts: dict[str, Any] = {"seconds_between_requests": 0, "seconds_between_writes": 0, "lazy": True}
    opts.update(kwargs)
    return github.Github(auth=github.Auth.Token(fake.token), base_url=fake.base_url, **opts)


SAMPLE_BASE = "".join(f"line {i}\n" for i in range(1, 31))


def sample_pull(path: Path, number: int = 1, **kwargs: Any) -> PullFixture:
    """A small PR: ``app.py`` with two hunks (lines 2-4 changed, 25 deleted), ``new.txt`` added,
    ``gone.txt`` removed, ``blob.bin`` binary."""
    repo = GitRepo.init(path)
    repo.write("app.py", SAMPLE_BASE)
    repo.write("gone.txt", "bye\n")
    repo.write("blob.bin", b"\x00\x01\x02")
    repo.commit("base")
    repo.checkout_new_branch("feature")
    lines = SAMPLE_BASE.splitlines(keepends=True)
    lines[2] = "line 3 changed\n"  # hunk 1: -3 +3
    del lines[24]  # hunk 2: line 25 deleted
    repo.write("app.py", "".join(lines))
    repo.write("new.txt", "a\nb\nc\n")
    repo.delete("gone.txt")
    repo.write("blob.bin", b"\x00\x09\x09")
    repo.commit("change")
    return pull_from_git(repo, "main", "feature", number, **kwargs)


def many_files_pull(path: Path, count: int, number: int = 1) -> PullFixture:
    repo = GitRepo.init(path)
    repo.write("README", "base\n")
    repo.commit("base")
    repo.checkout_new_branch("many")
    repo.commit_files({f"src/f{i:05d}.txt": f"file {i}\n" for i in range(count)}, "many files")
    return pull_from_git(repo, "main", "many", number)
