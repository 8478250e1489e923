"""Real-git test repositories, and the pull-request fixtures GitHub would compute from them.

Everything runs the real ``git`` binary with an isolated configuration (no system or global config,
literal pathspecs, fixed identity and dates), so results do not depend on the developer's machine.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.gitdiff import (
    build_file_records,
    parse_numstat_z,
    parse_raw_z,
    split_patch_sections,
)

_EPOCH = 1_704_067_200  # 2024-01-01T00:00:00Z; each commit is one minute later


class GitError(RuntimeError):
    pass


def git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_LITERAL_PATHSPECS="1",
        GIT_TERMINAL_PROMPT="0",
        GIT_AUTHOR_NAME="Test Author",
        GIT_AUTHOR_EMAIL="author@example.com",
        GIT_COMMITTER_NAME="Test Committer",
        GIT_COMMITTER_EMAIL="committer@example.com",
        LC_ALL="C",
    )
    return env


Data = bytes | str


class GitRepo:
    """A working tree driven by ``git``. Writes are staged at the next :meth:`commit`."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._env = git_env()
        self._pending: set[str] = set()
        self._commits = 0

    # -- plumbing -----------------------------------------------------------------------------
    @classmethod
    def init(cls, path: str | os.PathLike[str], branch: str = "main") -> GitRepo:
        p = Path(path)
        p.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "init", "-q", "-b", branch, str(p)], env=git_env(), check=True)
        repo = cls(p)
        for key, value in (
            ("user.name", "Test Author"),
            ("user.email", "author@example.com"),
            ("commit.gpgsign", "false"),
            ("tag.gpgsign", "false"),
            ("core.autocrlf", "false"),
            ("core.safecrlf", "false"),
            ("core.symlinks", "true"),
            ("core.filemode", "true"),
            ("core.hooksPath", os.devnull),
        ):
            repo.run("config", "--local", key, value)
        return repo

    def run(self, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None) -> bytes:
        """Run ``git <args>`` in the repository and return its stdout; raise :class:`GitError`."""
        proc = subprocess.run(
            ["git", *args],
            cwd=self.path,
            input=input,
            capture_output=True,
            env={**self._env, **(env or {})},
        )
        if proc.returncode != 0:
            raise GitError(f"git {' '.join(args)} failed ({proc.returncode}): {proc.stderr.decode(errors='replace')}")
        return proc.stdout

    def _abs(self, rel: str) -> Path:
        if not rel or os.path.isabs(rel) or ".." in Path(rel).parts or Path(rel).parts[0] == ".git":
            raise ValueError(f"bad repository path {rel!r}")
        return self.path / rel

    # -- working tree -------------------------------------------------------------------------
    def write(self, path: str, data: Data, *, executable: bool = False) -> None:
        """Write a file byte-for-byte (``str`` is encoded as UTF-8, newlines untouched)."""
        target = self._abs(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.is_symlink():
            target.unlink()
        target.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        target.chmod(0o755 if executable else 0o644)
        self._pending.add(path)

    def write_many(self, files: Mapping[str, Data]) -> None:
        for path, data in files.items():
            self.write(path, data)

    def chmod(self, path: str, executable: bool) -> None:
        self._abs(path).chmod(0o755 if executable else 0o644)
        self._pending.add(path)

    def delete(self, path: str) -> None:
        target = self._abs(path)
        if target.is_dir() and not target.is_symlink():
            shutil.rmtree(target)
        else:
            target.unlink()
        self._pending.add(path)

    def rename(self, old: str, new: str) -> None:
        dst = self._abs(new)
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.rename(self._abs(old), dst)
        self._pending.update((old, new))

    def symlink(self, path: str, target: str) -> None:
        link = self._abs(path)
        link.parent.mkdir(parents=True, exist_ok=True)
        if link.is_symlink() or link.exists():
            link.unlink()
        os.symlink(target, link)
        self._pending.add(path)

    def gitlink(self, path: str, sha: str) -> None:
        """Record a submodule entry (mode 160000) pointing at ``sha``; no submodule is cloned."""
        self._flush()
        self._abs(path).mkdir(parents=True, exist_ok=True)
        self.run("update-index", "--add", "--cacheinfo", f"160000,{sha},{path}")

    submodule = gitlink

    def _flush(self) -> None:
        if not self._pending:
            return
        present = [p for p in sorted(self._pending) if os.path.lexists(self._abs(p))]
        gone = [p for p in sorted(self._pending) if p not in present]
        if present:
            self.run("add", "-f", "--pathspec-from-file=-", "--pathspec-file-nul", input=_nul(present))
        if gone:
            self.run(
                "rm",
                "-r",
                "-q",
                "--cached",
                "--ignore-unmatch",
                "--pathspec-from-file=-",
                "--pathspec-file-nul",
                input=_nul(gone),
            )
        self._pending.clear()

    # -- history ------------------------------------------------------------------------------
    def commit(self, message: str) -> str:
        self._flush()
        self._commits += 1
        stamp = f"@{_EPOCH + 60 * self._commits} +0000"
        self.run(
            "commit",
            "-q",
            "--allow-empty",
            "--no-verify",
            "-m",
            message,
            env={"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp},
        )
        return self.rev_parse("HEAD")

    def commit_files(self, files: Mapping[str, Data], message: str) -> str:
        """Commit ``files`` on top of HEAD straight into the object store (one ``git fast-import``),
        leaving the working tree alone: fast for thousands of files. Nothing may be staged."""
        self._flush()
        if self.run("diff", "--cached", "--name-only", "-z"):
            raise GitError("commit_files needs a clean index; commit() first")
        branch = self.run("symbolic-ref", "HEAD").decode().strip()
        parent = self.try_rev_parse("HEAD")
        self._commits += 1
        msg = message.encode()
        out = [
            f"commit {branch}\ncommitter Test Committer <committer@example.com> {_EPOCH + 60 * self._commits} +0000\n"
            f"data {len(msg)}\n".encode(),
            msg,
            b"\n",
            f"from {parent}\n".encode() if parent else b"",
        ]
        for path, data in files.items():
            self._abs(path)  # validates the path
            raw = data.encode() if isinstance(data, str) else data
            quoted = '"' + path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
            out += [f"M 100644 inline {quoted}\ndata {len(raw)}\n".encode("utf-8", "surrogateescape"), raw, b"\n"]
        self.run("fast-import", "--quiet", "--done", input=b"".join(out) + b"done\n")
        self.run("read-tree", "HEAD")
        return self.rev_parse("HEAD")

    def checkout(self, ref: str) -> None:
        self._flush()
        self.run("checkout", "-q", ref)

    def checkout_new_branch(self, name: str, start: str | None = None) -> None:
        self._flush()
        self.run("checkout", "-q", "-b", name, *([start] if start else []))

    def rev_parse(self, ref: str) -> str:
        return self.run("rev-parse", "--verify", "-q", "--end-of-options", f"{ref}^{{commit}}").decode().strip()

    def try_rev_parse(self, ref: str) -> str | None:
        try:
            return self.rev_parse(ref)
        except GitError:
            return None

    def merge_base(self, a: str, b: str) -> str:
        return self.run("merge-base", a, b).decode().strip()

    def is_branch(self, name: str) -> bool:
        try:
            self.run("show-ref", "--verify", "-q", f"refs/heads/{name}")
        except GitError:
            return False
        return True

    # -- object access (used by the GitHub fake) ----------------------------------------------
    def object_type(self, sha: str) -> str | None:
        if not sha or any(c not in "0123456789abcdef" for c in sha.lower()):
            return None
        try:
            return self.run("cat-file", "-t", sha).decode().strip()
        except GitError:
            return None

    def read_blob(self, sha: str) -> bytes:
        return self.run("cat-file", "blob", sha)

    def ls_tree(self, commit: str, path: str = "") -> list[TreeEntry]:
        """Entries of the directory ``path`` at ``commit`` (or the single entry ``path`` names)."""
        args = ["ls-tree", "-z", "-l", "--full-tree", commit]
        out = self.run(*args, *(["--", path] if path else []))
        entries = [TreeEntry.parse(rec) for rec in out.split(b"\0") if rec]
        if len(entries) == 1 and entries[0].type == "tree" and entries[0].path == path:
            out = self.run(*args, "--", path + "/")
            return [TreeEntry.parse(rec) for rec in out.split(b"\0") if rec]
        return entries

    def entry(self, commit: str, path: str) -> TreeEntry | None:
        out = self.run("ls-tree", "-z", "-l", "--full-tree", commit, "--", path)
        for rec in out.split(b"\0"):
            if rec and (e := TreeEntry.parse(rec)).path == path:
                return e
        return None


@dataclass(frozen=True)
class TreeEntry:
    mode: str
    type: str  # blob, tree, commit (gitlink)
    sha: str
    size: int
    path: str

    @classmethod
    def parse(cls, rec: bytes) -> TreeEntry:
        meta, path = rec.split(b"\t", 1)
        mode, typ, sha, size = meta.decode().split()
        return cls(mode, typ, sha, int(size) if size.isdigit() else 0, path.decode("utf-8", "surrogateescape"))


def _nul(paths: Iterable[str]) -> bytes:
    return b"".join(p.encode("utf-8", "surrogateescape") + b"\0" for p in paths)


@dataclass
class PullFixture:
    """What GitHub knows about one pull request, computed from a real repository."""

    number: int
    repo: GitRepo
    base_ref: str
    head_ref: str
    base_sha: str
    head_sha: str
    merge_base_sha: str
    files: list[dict[str, object]]
    commits: list[str]
    diff: bytes
    title: str = "Test pull request"
    body: str | None = None
    draft: bool = False
    state: str = "open"
    fork: bool = False
    author: str = "octocat"
    labels: list[str] = field(default_factory=list)

    @property
    def changed_files(self) -> int:
        return len(self.files)

    @property
    def additions(self) -> int:
        return sum(int(f["additions"]) for f in self.files)  # type: ignore[call-overload]

    @property
    def deletions(self) -> int:
        return sum(int(f["deletions"]) for f in self.files)  # type: ignore[call-overload]

    @property
    def diff_lines(self) -> int:
        return self.diff.count(b"\n")

    def file(self, filename: str) -> dict[str, object]:
        for f in self.files:
            if f["filename"] == filename:
                return f
        raise KeyError(filename)


_DIFF_OPTS = ("--no-color", "--no-ext-diff", "--no-textconv", "-M", "--src-prefix=a/", "--dst-prefix=b/")


def pull_from_git(
    repo: GitRepo,
    base_ref: str,
    head_ref: str,
    number: int = 1,
    *,
    omit_patch: Iterable[str] = (),
    patch_limit_bytes: int | None = None,
    title: str = "Test pull request",
    body: str | None = None,
    draft: bool = False,
    state: str = "open",
    fork: bool = False,
    author: str = "octocat",
    find_copies: bool = False,
) -> PullFixture:
    """Compute ``GET /pulls/{n}/files`` for the PR merging ``head_ref`` into ``base_ref``."""
    base_sha, head_sha = repo.rev_parse(base_ref), repo.rev_parse(head_ref)
    mb = repo.merge_base(base_sha, head_sha)
    opts = (*_DIFF_OPTS, *(["-C"] if find_copies else []))
    raw = parse_raw_z(repo.run("diff", *opts, "--raw", "-z", "--no-abbrev", mb, head_sha))
    numstat = parse_numstat_z(repo.run("diff", *opts, "--numstat", "-z", mb, head_sha))
    diff = repo.run("diff", *opts, "-p", "-U3", mb, head_sha)
    files = build_file_records(
        raw,
        numstat,
        split_patch_sections(diff),
        omit_patch=frozenset(omit_patch),
        patch_limit_bytes=patch_limit_bytes,
    )
    commits = repo.run("rev-list", "--reverse", f"{mb}..{head_sha}").decode().split()
    return PullFixture(
        number=number,
        repo=repo,
        base_ref=base_ref if repo.is_branch(base_ref) else "main",
        head_ref=head_ref if repo.is_branch(head_ref) else f"pr-{number}",
        base_sha=base_sha,
        head_sha=head_sha,
        merge_base_sha=mb,
        files=files,
        commits=commits,
        diff=diff,
        title=title,
        body=body,
        draft=draft,
        state=state,
        fork=fork,
        author=author,
    )
