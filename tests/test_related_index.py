"""The symbol index's parts on real source text: imports resolved to the repository's files (relative Python
imports, a source folder, CommonJS, TypeScript's `.js` specifiers, Go packages of nested modules), and the
archive's member names that are refused."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from batch_review.context.languages import GRAMMARS
from batch_review.context.related.imports import Paths, go_module_path, module_files, read_imports
from batch_review.context.related.tags import file_tags
from batch_review.sources.snapshot import member_path
from batch_review.sources.tarstream import ArchiveError, members
from tests.support.gitrepo import GitRepo

PATHS = Paths([
    "src/shop/__init__.py", "src/shop/money.py", "src/shop/tax/__init__.py", "src/shop/tax/rates.py",
    "web/a/b.ts", "web/a/util.ts", "web/lib/index.js", "web/c.js",
    "go.mod", "svc/go.mod", "svc/api/handler.go", "svc/api/handler_test.go", "pricing/total.go",
])
PATHS.go_modules.update({"": "example.com/root", "svc": "example.com/svc"})


def resolved(language: str, path: str, source: str) -> dict[str, tuple[list[str], str | None]]:
    grammar = GRAMMARS[language]
    tags = file_tags(path, grammar, source.encode())
    imports = read_imports(language, path, tags.root)
    return {local: module_files(language, b, PATHS, path) for local, b in imports.bindings.items()}


def test_python_relative_absolute_and_submodule_imports() -> None:
    found = resolved("python", "src/shop/tax/rates.py", (
        "from ..money import cents as c\nfrom . import rates\nimport shop.money\nfrom shop import tax\n"
        "import json\ntry:\n    from .missing import x\nexcept ImportError:\n    pass\n"))
    assert found["c"] == (["src/shop/money.py"], "cents")
    assert found["rates"] == (["src/shop/tax/rates.py"], None)  # a submodule, not a name
    assert found["shop.money"] == (["src/shop/money.py"], None)  # under the src/ folder
    assert found["tax"] == (["src/shop/tax/__init__.py"], None)
    assert found["json"] == ([], None)  # outside the repository
    assert found["x"] == ([], "x")  # imported in a try block, no such file


def test_javascript_and_typescript_imports() -> None:
    found = resolved("typescript", "web/a/b.ts", (
        'import def, { one as uno, two } from "./util.js";\nimport * as lib from "../lib";\n'
        'import React from "react";\nconst { three } = require("../c");\n'))
    assert found["def"] == (["web/a/util.ts"], "default")  # `./util.js` names util.ts
    assert found["uno"] == (["web/a/util.ts"], "one")
    assert found["lib"] == (["web/lib/index.js"], None)
    assert found["React"] == ([], "default")
    assert found["three"] == (["web/c.js"], "three")


def test_go_packages_resolve_within_the_nearest_module() -> None:
    found = resolved("go", "svc/api/handler.go", (
        'package api\n\nimport (\n\t"fmt"\n\tp "example.com/root/pricing"\n\t"example.com/svc/api"\n)\n'))
    assert found["fmt"] == ([], None)
    assert found["p"] == ([], None)  # the root module's package, seen from the svc module: another module
    assert found["api"] == (["svc/api/handler.go"], None)  # test files are left out
    assert go_module_path(b"// c\nmodule example.com/svc // x\n") == "example.com/svc"


@pytest.mark.parametrize(("name", "path"), [
    ("acme-widgets-abc1234/src/a.py", "src/a.py"),
    ("acme-widgets-abc1234/", None),
    ("../a.py", None),
    ("acme-widgets-abc1234/../../a.py", None),
    ("/etc/passwd", None),
    ("acme-widgets-abc1234/a\\b.py", None),
])
def test_archive_member_names(name: str, path: str | None) -> None:
    assert member_path(name) == path


def test_the_streaming_reader_agrees_with_tarfile_on_a_git_archive(tmp_path: Path) -> None:
    """Long names (pax headers), the global header's commit id, an empty file, a link: read alike by `tarfile`."""
    repo = GitRepo.init(tmp_path / "repo")
    deep = "/".join(["folder-with-a-long-name"] * 6) + "/module_with_a_long_name.py"
    repo.write_many({"a.py": "x = 1\n", deep: "def f():\n    return 2\n", "empty.py": "", "big.bin": bytes(70_000)})
    repo.symlink("link.py", "a.py")
    sha = repo.commit("files")
    data = gzip.compress(repo.run("archive", "--format=tar", "--prefix=o-r-abc/", sha))
    mine = [(m.name.rstrip("/"), m.kind, m.data) for m, _ in members(io.BytesIO(data))]  # tarfile drops the slash
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        theirs = [(m.name, "file" if m.isreg() else "directory" if m.isdir() else "symlink" if m.issym() else "?",
                   archive.extractfile(m).read() if m.isreg() else None) for m in archive]  # type: ignore[union-attr]
        assert archive.pax_headers["comment"] == sha
    assert mine == theirs and any(name.endswith(deep) for name, _, _ in mine)
    assert list(members(io.BytesIO(data)))[-1][1]["comment"] == sha
    with pytest.raises(ArchiveError):
        list(members(io.BytesIO(data[: len(data) // 2])))


def test_other_languages_fall_back_to_name_matching(tmp_path: Path) -> None:
    """Java has no import-aware resolution: a called name is matched by name (nearest folder first), at a lower
    weight, and still shown; the text sent is the item's."""
    from batch_review.context.related import add_related
    from batch_review.filters import FileFilter
    from batch_review.plan import Budget, make_plan
    from batch_review.prompt import render_request
    from batch_review.sources.local_git import collect_local
    from batch_review.sources.snapshot import GitSnapshot

    repo = GitRepo.init(tmp_path / "repo")
    util = "package a;\n\nclass Util {\n    static int scaleAll(int x) {\n        return x * 3;\n    }\n}\n"
    main = "package a;\n\nclass Main {\n    int run(int x) {\n        return x;\n    }\n}\n"
    repo.write_many({"src/a/Util.java": util, "src/a/Main.java": main})
    base = repo.commit("base")
    repo.write("src/a/Main.java", main.replace("        return x;", "        return Util.scaleAll(x);"))
    head = repo.commit("change")
    filt = FileFilter()
    collected = collect_local(repo.path, base, filt, head=head)
    plan = make_plan(collected.files, collected.skipped, Budget())
    add_related(plan, GitSnapshot(repo.path, head), 4000, 20000, filt.by_path)
    (request,) = plan.requests
    (item,) = plan.related[request.custom_id]  # the class (`Util` is used too) holds the method: one item
    assert (item.path, item.first, item.last) == ("src/a/Util.java", 3, 7)
    assert item.why == "defines `Util`, which the changed lines use (matched by name)"
    text = render_request(request, plan.rows, None, plan.related[request.custom_id])
    assert "4     static int scaleAll(int x) {" in text.split("<related", 1)[1]
