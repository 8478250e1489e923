"""Code from other files that follows a value, end to end (the action on a pull request, real clients against the
loopback fakes, a real git repository): what reaches the model beside each changed file. One rule per test, each
the shape of a real bug of the eval set (docs/cross-file-context.md): a changed argument of a call that spans lines
(werkzeug's `_log`), a changed value passed on to a callee imported inside the function (click's
`shell_complete`), a deleted validator call and its deleted import (Django's `validate_file_name`), a member read
whose setter decides whether it is there (click's `ctx.params`), a changed default whose attribute is read in
another module (urllib3's `remove_headers_on_redirect`), the other call sites of what a changed condition guards
(requests' `proxy_headers`), and what is no longer shown (a deleted function's neighbour's callers, test files)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import planted_brain
from tests.support.gitrepo import GitRepo, PullFixture, pull_from_git
from tests.support.runner import RunnerEnv, run_in_process
from tests.test_related_e2e import items, related

KEY = "sk-ant-api03-related-follow-key-000"

FILES = {
    "app/__init__.py": "",
    # a changed argument of a multi-line call: the callee's definition
    "app/logbook.py": 'def _emit(level, message, *args):\n    """Write one line of the log."""\n'
                      '    print(level, message % args)  # EMIT_BODY\n',
    "app/server.py": 'from .logbook import _emit\n\n\nclass Handler:\n    client = "peer"\n\n'
                     '    def log(self, level, message, *args):\n        _emit(\n            level,\n'
                     '            f"{self.client} {message}",\n            *args,\n        )\n',
    # a changed value passed on to a callee imported inside the function (and a method of the same name here)
    "app/completion.py": 'def complete(program, variable):\n    """Run the completion.\n\n'
                         '    :param variable: Name of the environment variable that holds the instruction.\n'
                         '    """\n    return program + variable\n',
    "app/cli.py": 'import os\n\n\nclass Command:\n    def complete(self, text):\n        return text\n\n'
                  '    def main(self, program, variable=None):\n        if variable is None:\n'
                  '            name = program.replace("-", "_").replace(".", "_")\n'
                  '            variable = f"_{name}_COMPLETE".upper()\n'
                  '        if not os.environ.get(variable):\n            return None\n'
                  '        from .completion import complete\n\n        return complete(program, variable)\n',
    # a deleted validator call and its deleted import
    "app/names.py": 'def validate_name(name):\n    """Refuse a name that climbs out of the upload folder."""\n'
                    '    if ".." in name:\n        raise ValueError(name)  # VALIDATOR_BODY\n    return name\n',
    "app/files.py": 'from .names import validate_name\n\n\nclass Field:\n    def generate(self, name):\n'
                    '        name = validate_name(name)\n        return "upload/" + name\n',
    # a member read whose setter lives in the imported module
    "app/context.py": 'class Context:\n    def __init__(self):\n        self.values = {}\n\n\nclass Option:\n'
                      '    exposed = True\n    name = "opt"\n\n    def store(self, ctx, value):\n'
                      '        if self.exposed:\n            ctx.values[self.name] = value\n',
    "app/pending.py": 'from .context import Context\n\n\ndef incomplete(ctx: Context, option) -> bool:\n'
                      '    value = ctx.values.get(option.name)\n    return value is None\n',
    # a changed default stored in an attribute that another module reads; tests that construct the class
    "net/__init__.py": "",
    "net/retry.py": 'class Retry:\n    #: Headers removed on a redirect to another host\n'
                    '    DEFAULT_STRIPPED = frozenset(["Cookie", "Authorization"])\n\n'
                    '    def __init__(self, total=3, stripped=DEFAULT_STRIPPED):\n        self.total = total\n'
                    '        self.stripped_headers = frozenset(h.lower() for h in stripped)\n\n'
                    '    def increment(self):\n        return Retry(self.total - 1)\n',
    "net/pool.py": 'from .retry import Retry\n\n\ndef redirect(headers, retries: Retry, same_host):\n'
                   '    if not same_host:\n        for header in list(headers):\n'
                   '            if header.lower() in retries.stripped_headers:\n                headers.pop(header)\n'
                   '    return headers\n',
    "tests/test_retry.py": 'from net.retry import Retry\n\n\ndef test_total():\n'
                           '    assert Retry(total=2).total == 2  # A_TEST_CALLER\n',
    # the other call sites of what a changed condition guards
    "net/auth.py": 'def basic_auth(username, password):\n    return "Basic " + username + ":" + password\n',
    "net/adapter.py": 'from .auth import basic_auth\n\n\ndef proxy_headers(proxy):\n'
                      '    """Headers for the proxy itself (the CONNECT request), never for the origin."""\n'
                      '    headers = {}\n    username, password = proxy.username, proxy.password\n'
                      '    if username:\n        headers["Proxy-Authorization"] = basic_auth(username, password)\n'
                      '    return headers\n',
    "net/other.py": 'from .auth import basic_auth\n\n\ndef unrelated(a, b):\n'
                    '    return basic_auth(a, b)  # NO_SHARED\n',
    "net/session.py": 'from .auth import basic_auth\n\n\ndef rebuild_proxies(headers, scheme, username, password):\n'
                      '    if not scheme.startswith("https") and username and password:\n'
                      '        headers["Proxy-Authorization"] = basic_auth(username, password)\n'
                      '    return headers\n',
    # a whole function deleted above a class: its callers, not the class's
    "lib/__init__.py": "",
    "lib/hashing.py": 'import hashlib\n\n\ndef _lazy_sha1(data=b""):\n    return hashlib.sha1(data)\n\n\n'
                      'class Signer:\n    salt = "x"\n    digest = staticmethod(_lazy_sha1)\n',
    "lib/app.py": 'from .hashing import Signer\n\n\ndef make():\n    return Signer()  # SIGNER_CALLER\n',
    "lib/legacy.py": 'from .hashing import _lazy_sha1\n\n\ndef old():\n    return _lazy_sha1(b"x")  # REMOVED_CALLER\n',
    # a body change: its callers in source files, not in test files; a method's change is not its class's;
    # a function nested in another cannot be called from another file
    "lib/tax.py": 'def rate(country):\n    return 0.2\n\n\nclass Calculator:\n    def total(self, net):\n'
                  '        return net * 1.2\n\n\ndef apply(values):\n    def convert(value):\n'
                  '        return value * 2\n\n    return [convert(v) for v in values]\n',
    "lib/shop.py": 'from .tax import Calculator, rate\n\n\ndef price(net, country):\n'
                   '    return Calculator().total(net) + rate(country)  # SOURCE_CALLER\n',
    "tests/test_tax.py": 'from lib.tax import rate\n\n\ndef test_rate():\n    assert rate("fr")  # TEST_CALLER\n',
    "lib/units.py": 'def convert(x):\n    return x\n',
    "lib/report.py": 'from .units import convert\n\n\ndef show():\n    return convert(3)  # NESTED_NAMESAKE\n',
    # the same rules in TypeScript and Go (import-aware there too)
    "web/context.ts": "export class Context {\n  values: Record<string, number> = {};\n}\n\n"
                      "export function store(ctx: Context, name: string, value: number, exposed: boolean): void {\n"
                      "  if (exposed) {\n    ctx.values[name] = value; // TS_SETTER\n  }\n}\n",
    "web/pending.ts": 'import { Context } from "./context";\n\n'
                      "export function incomplete(ctx: Context, name: string): boolean {\n"
                      "  const value = ctx.values[name] ?? null;\n  return value === null;\n}\n",
    "web/log.ts": "export function emit(level: string, message: string): void {\n"
                  "  console.log(level, message); // TS_EMIT_BODY\n}\n",
    "web/server.ts": 'import { emit } from "./log";\n\nexport function log(client: string, message: string): void {\n'
                     '  emit(\n    "info",\n    `${client} ${message}`,\n  );\n}\n',
    "go.mod": "module example.com/shop\n\ngo 1.22\n",
    "names/names.go": "package names\n\n// Validate refuses a name that climbs out.\n"
                      "func Validate(name string) string {\n\treturn name // GO_VALIDATE_BODY\n}\n",
    "files/files.go": 'package files\n\nimport "example.com/shop/names"\n\nfunc Generate(name string) string {\n'
                      '\tname = names.Validate(name)\n\treturn "upload/" + name\n}\n',
    "legacy/names.go": "package legacy\n\nfunc Validate(name string) string {\n\treturn name // GO_DECOY\n}\n",
}
CHANGES: dict[str, list[tuple[str, str]]] = {
    "app/server.py": [('f"{self.client} {message}"', 'f"{self.client!r} {message}"')],
    "app/cli.py": [('            name = program.replace("-", "_").replace(".", "_")\n'
                    '            variable = f"_{name}_COMPLETE".upper()\n',
                    '            variable = f"_{program}_COMPLETE".replace("-", "_").upper()\n')],
    "app/files.py": [("from .names import validate_name\n\n\nclass", "class"),
                     ("        name = validate_name(name)\n", "")],
    "app/pending.py": [("ctx.values.get(option.name)", "ctx.values[option.name]")],
    "net/retry.py": [('frozenset(["Cookie", "Authorization"])', 'frozenset(["Authorization"])')],
    "net/session.py": [('if not scheme.startswith("https") and username and password:', "if username and password:")],
    "lib/hashing.py": [('def _lazy_sha1(data=b""):\n    return hashlib.sha1(data)\n\n\n', ""),
                       ("staticmethod(_lazy_sha1)", "staticmethod(hashlib.sha1)")],
    "lib/tax.py": [("    return 0.2\n", "    return 0.25\n"), ("net * 1.2", "net * 1.25"),
                   ("def convert(value):", "def convert(value, factor=2):")],
    "web/pending.ts": [("ctx.values[name] ?? null", "ctx.values[name]")],
    "web/server.ts": [("`${client} ${message}`", "`${client}: ${message}`")],
    "files/files.go": [('import "example.com/shop/names"\n\n', ""), ("\tname = names.Validate(name)\n", "")],
}


def build(root: Path) -> PullFixture:
    repo = GitRepo.init(root)
    repo.write_many(FILES)
    repo.commit("base")
    repo.checkout_new_branch("feature")
    for path, pairs in CHANGES.items():
        text = FILES[path]
        for old, new in pairs:
            assert old in text, (path, old)
            text = text.replace(old, new)
        repo.write(path, text)
    repo.commit("change")
    return pull_from_git(repo, "main", "feature")


@pytest.fixture(scope="module")
def sent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Each request's code from other files, by the file it reviews (one file per request)."""
    tmp = tmp_path_factory.mktemp("follow")
    fx = build(tmp / "repo")
    with FakeGitHub() as gh, FakeAnthropicAPI(api_key=KEY, brain=planted_brain, strict=True) as ai, \
            pytest.MonkeyPatch.context() as monkeypatch:
        gh.add_pull(fx)
        env = RunnerEnv.for_pull(tmp / "runner", fx, gh, ai, KEY, {"check-run": "false", "verify": "false",
                                                                   "max-files-per-request": "1"})
        result = run_in_process(env, monkeypatch)
        assert result.code == 0, result.log
        yield related(ai)


def whys(section: str) -> set[tuple[str, str]]:
    return {(path, why) for path, _, _, why in items(section)}


def test_a_changed_argument_of_a_call_that_spans_lines_shows_the_callee(sent: dict[str, str]) -> None:
    section = sent["app/server.py"]
    assert ("app/logbook.py", "defines `_emit`, which the changed lines use (through an import)") in whys(section)
    assert "print(level, message % args)  # EMIT_BODY" in section


def test_a_changed_value_passed_to_a_callee_imported_in_the_function_shows_its_contract(
        sent: dict[str, str]) -> None:
    section = sent["app/cli.py"]
    assert ("app/completion.py", "defines `complete`, which the changed lines use (through an import)") \
        in whys(section)  # though `Command` has a method `complete` too: a bare imported name is not it
    assert ":param variable: Name of the environment variable that holds the instruction." in section


def test_a_deleted_validator_call_and_its_deleted_import_show_the_validator(sent: dict[str, str]) -> None:
    section = sent["app/files.py"]
    assert ("app/names.py", "defines `validate_name`, which the changed lines use (through an import)") \
        in whys(section)
    assert "raise ValueError(name)  # VALIDATOR_BODY" in section


def test_a_member_read_shows_where_the_imported_module_sets_it(sent: dict[str, str]) -> None:
    section = sent["app/pending.py"]
    assert ("app/context.py", "sets `values`, which the changed lines read") in whys(section)
    assert "if self.exposed:" in section  # whether the value is there at all is decided here
    assert "ctx.values[self.name] = value" in section and "def store(self, ctx, value):" in section
    assert "self.values = {}" in section  # the other setter: the constructor


def test_a_changed_default_shows_who_reads_the_attribute_it_lands_in_and_not_test_callers(
        sent: dict[str, str]) -> None:
    section = sent["net/retry.py"]
    assert ("net/pool.py", "reads `stripped_headers`, which takes the changed `DEFAULT_STRIPPED` as its default") \
        in whys(section)
    assert "if header.lower() in retries.stripped_headers:" in section
    assert "def redirect(headers, retries: Retry, same_host):" in section
    assert "A_TEST_CALLER" not in section  # the class's constructor calls are not what the constant changes


def test_a_changed_condition_shows_the_other_call_sites_doing_the_same(sent: dict[str, str]) -> None:
    section = sent["net/session.py"]
    assert ("net/adapter.py", "also calls `basic_auth`, as the changed lines do") in whys(section)
    assert "def proxy_headers(proxy):" in section
    assert 'headers["Proxy-Authorization"] = basic_auth(username, password)' in section
    assert "NO_SHARED" not in section  # a call site that shares nothing with the change is left out


def test_a_deleted_function_shows_its_callers_and_not_its_neighbour_classs(sent: dict[str, str]) -> None:
    section = sent["lib/hashing.py"]
    assert ("lib/legacy.py", "calls `_lazy_sha1`, whose signature this change modifies") in whys(section)
    assert "REMOVED_CALLER" in section
    assert "SIGNER_CALLER" not in section  # the class below the deleted function did not change its signature


def test_a_body_change_shows_source_callers_only_and_a_methods_change_is_not_its_classs(
        sent: dict[str, str]) -> None:
    section = sent["lib/tax.py"]
    assert whys(section) == {("lib/shop.py", "calls `rate`, whose code this change modifies")}
    assert "SOURCE_CALLER" in section
    assert "TEST_CALLER" not in section  # a test file's call site weighs less than what is worth sending
    assert "NESTED_NAMESAKE" not in section  # `convert` inside `apply`: no other file can call it


def test_the_rules_in_typescript_and_go(sent: dict[str, str]) -> None:
    setter = sent["web/pending.ts"]  # a member read: where the imported module sets it
    assert ("web/context.ts", "sets `values`, which the changed lines read") in whys(setter)
    assert "ctx.values[name] = value; // TS_SETTER" in setter and "if (exposed) {" in setter
    call = sent["web/server.ts"]  # a changed argument of a call that spans lines
    assert ("web/log.ts", "defines `emit`, which the changed lines use (through an import)") in whys(call)
    assert "TS_EMIT_BODY" in call
    deleted = sent["files/files.go"]  # a deleted call and its deleted import, resolved to the package
    assert whys(deleted) == {("names/names.go", "defines `Validate`, which the changed lines use (through an import)")}
    assert "GO_VALIDATE_BODY" in deleted and "// Validate refuses a name that climbs out." in deleted
    assert "GO_DECOY" not in deleted
