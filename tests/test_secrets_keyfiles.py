"""Files skipped by name as key material (`prod.env`, `server.key`, `.npmrc`, `credentials.json`) are never
sent to the model, and a credential committed in them is a finding (keyfiles.py): in a pull request's review
(the action, with a checkout and without one), a sweep through the action (the batch engine: the audit issue
and SARIF) and a sweep through the CLI. What GitHub received, the JSON report and the requests the fake model
received are checked; a key file the pull request deletes is not reported."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from batch_review.filters import KEY_MATERIAL, FileFilter
from batch_review.scrub import clean
from tests.fakes.anthropic_api import FakeAnthropicAPI
from tests.fakes.github_api import FakeGitHub
from tests.fakes.model_brain import plant
from tests.support.credentials import Sample, in_key_files
from tests.support.gitrepo import GitRepo, pull_from_git
from tests.support.runner import RunnerEnv, run_in_process
from tests.test_bad_input_world import KEY as CLI_KEY
from tests.test_bad_input_world import make_pr, numbered, pr_world, run_action
from tests.test_memory_pr import NUMBER, pull_world
from tests.test_memory_pr import World as MemoryWorld
from tests.test_secrets import ALNUM, pem_block, rand
from tests.test_secrets_modes import _cli, _outcomes
from tests.test_sweep_action import SCHEMA

KEY = "sk-ant-api03-keyfiles-test-key-7e2a"
TITLE = "A credential is committed: {}"
FINDING = "x = eval(data)  # " + plant("high", "security", title="eval of input")


def credentials() -> dict[str, str]:
    return {"aws id": "AKIA" + rand(16, string.ascii_uppercase + string.digits),
            "aws secret": rand(40, ALNUM + "/+"),
            "pem": pem_block(),
            "npm": f"{rand(8, '0123456789abcdef')}-4b1c-4d2e-8f3a-{rand(12, '0123456789abcdef')}",
            "gh": "ghp_" + rand(36)}


def secret_values(c: dict[str, str]) -> list[bytes]:
    """Each credential's value as it could leak: whole, and each line of the key's body."""
    return [c["aws id"].encode(), c["aws secret"].encode(), c["npm"].encode(), c["gh"].encode(),
            *(line.encode() for line in c["pem"].splitlines()[1:-1])]


def key_files(c: dict[str, str]) -> dict[str, str]:
    return {
        "config/prod.env": f"DEBUG=0\nAWS_ACCESS_KEY_ID={c['aws id']}\nAWS_SECRET_ACCESS_KEY={c['aws secret']}\n",
        "certs/server.key": c["pem"],
        ".npmrc": f"//registry.npmjs.org/:_authToken={c['npm']}\nsave-exact=true\n",
        "local.env": "FEATURE_FLAG_ALPHA=on\n",  # key material by name, no credential: no finding
        "src/app.py": numbered(3, at={2: FINDING}),
    }


EXPECTED = [
    (".npmrc", 1, "critical", "security", TITLE.format("npm auth token")),
    ("certs/server.key", 1, "critical", "security", TITLE.format("private key")),
    ("config/prod.env", 2, "critical", "security", TITLE.format("AWS access key id")),
    ("config/prod.env", 3, "critical", "security", TITLE.format("AWS secret access key")),
]


def scanner_findings(findings: list[dict[str, Any]]) -> list[tuple[str, int, str, str, str]]:
    return sorted((f["path"], f["line"], f["severity"], f["category"], f["title"]) for f in findings
                  if f["title"].startswith("A credential is committed"))


def never_in(text: bytes, values: list[bytes], where: str) -> None:
    for value in values:
        assert value not in text, (where, value)


@pytest.mark.parametrize("checkout", [True, False], ids=["checkout", "no-checkout"])
def test_pull_request_key_files_are_findings_never_sent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        checkout: bool) -> None:
    c = credentials()
    gone = pem_block()
    base = {"config/prod.env": "DEBUG=0\n", "deploy/old.pem": gone, "src/app.py": numbered(3)}
    change: dict[str, str | None] = {**key_files(c), "deploy/old.pem": None}
    fx = make_pr(tmp_path / "repo", base, change)
    with pr_world(tmp_path, fx) as world:
        if not checkout:  # the README's workflow: no checkout step, head content through GraphQL
            bare = tmp_path / "bare"
            bare.mkdir()
            world.env.workspace = bare
        out = run_action(world, monkeypatch)
        sent = b"".join(r.raw for r in world.ai.requests)
        received = json.dumps([call.json for call in world.gh.calls]).encode()
        comments = list(world.gh.review_comments)
        graphql = json.dumps([call.json for call in world.gh.calls if call.path.endswith("/graphql")])
    assert out.status == "findings", out.log
    for path in ("config/prod.env", "certs/server.key", ".npmrc", "local.env"):
        assert out.files[path] == ("skipped", KEY_MATERIAL), path  # still not sent, and why
    assert out.files["deploy/old.pem"] == ("skipped", "deleted")
    assert out.files["src/app.py"] == ("reviewed", "")
    assert scanner_findings(out.findings) == EXPECTED  # nothing on local.env, nothing on the deleted key

    # the review GitHub received: each credential inline on its line, its value redacted everywhere
    inline = sorted((cm["path"], cm["line"]) for cm in comments if "A credential is committed" in cm["body"])
    assert inline == [(p, n) for p, n, *_ in EXPECTED]
    by_place = {(cm["path"], cm["line"]): cm["body"] for cm in comments}
    assert by_place[("config/prod.env", 3)].startswith("**🛑 Critical · security** — " + EXPECTED[3][4])
    assert "read locally and never sent to the model" in by_place[("certs/server.key", 1)]
    never_in(received, secret_values(c), "GitHub")
    never_in(json.dumps(out.report).encode() + out.summary.encode() + out.log.encode(), secret_values(c), "report")
    never_in(out.log.encode(), [line.encode() for line in gone.splitlines()[1:-1]], "log")

    # the model: the ordinary file, nothing of the key files (their names, their content, their credentials)
    assert b"eval of input" in sent
    never_in(sent, [*secret_values(c), b"prod.env", b"server.key", b".npmrc", b"local.env", b"FEATURE_FLAG_ALPHA",
                    b"save-exact"], "model")
    if not checkout:  # read without a checkout: through the head content GraphQL query
        assert "config/prod.env" in graphql and ".npmrc" in graphql


def test_key_file_found_again_on_the_next_push_is_one_finding(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """A second run on the same head: the key file's credential is the same finding (memory across pushes), not
    posted again."""
    c = credentials()
    fx = make_pr(tmp_path / "repo", {"src/app.py": numbered(3)}, {"certs/server.key": c["pem"],
                                                                 "src/app.py": numbered(3, at={2: FINDING})})
    with pr_world(tmp_path, fx) as world:
        first = run_action(world, monkeypatch)
        second = run_action(world, monkeypatch)
        comments = [cm for cm in world.gh.review_comments if cm["path"] == "certs/server.key"]
    assert scanner_findings(first.findings) == scanner_findings(second.findings) == [
        ("certs/server.key", 1, "critical", "security", TITLE.format("private key"))]
    assert second.status == "findings" and len(comments) == 1, second.log


def test_sweep_through_the_action_reports_key_files_in_the_audit_issue_and_sarif(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = credentials()
    repo = GitRepo.init(tmp_path / "workspace")
    repo.commit_files({**key_files(c), "credentials.json": json.dumps({"token": c["gh"]}, indent=1) + "\n"},
                      "everything")
    sha = repo.rev_parse("HEAD")
    with FakeAnthropicAPI(api_key=KEY) as ai, FakeGitHub() as gh:
        def run(n: int) -> tuple[RunnerEnv, Any]:
            env = RunnerEnv(tmp=tmp_path / f"run{n}", workspace=repo.path, api_url=gh.base_url,
                            anthropic_url=ai.base_url, event_name="schedule", event={"schedule": "0 3 * * *"},
                            inputs={"anthropic-api-key": KEY, "github-token": gh.token, "batch-wait-minutes": "0",
                                    "min-severity": "info", "verify": "false", "strategy": "batch"},
                            sha=sha, ref="refs/heads/main")
            return env, run_in_process(env, monkeypatch)

        env, first = run(1)
        assert env.outputs()["status"] == "pending", first.log
        ai.end_batch(env.outputs()["batch-id"])
        env, second = run(2)
        assert second.code == 0, second.log
        sent = b"".join(r.raw for r in ai.requests) + json.dumps(
            [b.__dict__ for b in ai.batches.values()], default=str).encode()
        issue_text = "\n".join([i["body"] for i in gh.issues] + [cm["body"] for cm in gh.issue_comments])
        assert not gh.server_errors
    report = env.report()
    expected = sorted([*EXPECTED, ("credentials.json", 2, "critical", "security", TITLE.format("GitHub token"))])
    assert report["status"] == "findings" and report["engine"] == "batch"
    assert scanner_findings(report["findings"]) == expected
    assert {f["path"]: f["status"] for f in report["files"]}["credentials.json"] == "skipped"
    sarif = json.loads((env.workspace / env.outputs()["sarif-path"]).read_text(encoding="utf-8"))
    jsonschema.validate(sarif, SCHEMA)
    places = [(r["locations"][0]["physicalLocation"], r["message"]["text"]) for r in sarif["runs"][0]["results"]]
    in_sarif = sorted((where["artifactLocation"]["uri"], where["region"]["startLine"]) for where, text in places
                      if text.startswith("A credential is committed"))
    assert in_sarif == [(p, n) for p, n, *_ in expected]
    for path, line, *_ in expected:
        assert f"blob/{sha}/{path}#L{line}" in issue_text, path
    values = secret_values(c)
    never_in(issue_text.encode(), values, "audit issue")
    never_in(json.dumps(sarif).encode() + json.dumps(report).encode() + second.log.encode(), values, "outputs")
    assert b"eval of input" in sent
    never_in(sent, [*values, b"FEATURE_FLAG_ALPHA", b"save-exact", b"credentials.json"], "model")


def test_sweep_cli_reads_a_key_file_as_far_as_a_reviewed_file_is_read(tmp_path: Path) -> None:
    """A key file past the scanner's 1 MB: the credential within it is found, one past it is not read; a key
    file that is binary (a keystore) is not scanned, as a binary reviewed file is not."""
    c = credentials()
    filler = "".join(f"SETTING_{i}=value\n" for i in range(70_000))  # ~1.2 MB
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit_files({"big.env": f"TOKEN={c['gh']}\n{filler}NPM_TOKEN=npm_{rand(36)}\n",
                       "src/app.py": numbered(3, at={2: FINDING})}, "big")
    repo.write("store.p12", b"\x00\x01binary" + c["gh"].encode())
    repo.commit("a keystore")
    with FakeAnthropicAPI(api_key=CLI_KEY) as fake:
        report = _cli(tmp_path, "sweep", str(repo.path), fake=fake)
        sent = b"".join(r.raw for r in fake.requests)
    assert scanner_findings(report["findings"]) == [("big.env", 1, "critical", "security",
                                                     TITLE.format("GitHub token"))]
    assert _outcomes(report)["big.env"] == ("skipped", KEY_MATERIAL)
    assert _outcomes(report)["store.p12"] == ("skipped", KEY_MATERIAL)
    never_in(sent, [c["gh"].encode(), b"SETTING_1="], "model")


@pytest.fixture
def pull(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryWorld]:
    yield from pull_world(tmp_path, monkeypatch)


def test_a_credential_removed_from_a_key_file_is_fixed_and_its_thread_resolved(pull: MemoryWorld) -> None:
    """Across pushes: a key file is scanned whole each run, so a credential no longer in it is fixed (its
    thread resolved), not carried as "skipped"; one still there stays counted; a key file removed from the pull
    request closes its finding."""
    c, world = credentials(), pull
    world.push({"config/prod.env": key_files(c)["config/prod.env"], "certs/server.key": c["pem"]}, "keys")
    env, first, sent = world.run()
    assert first.code == 1 and sent == [], first.log
    assert scanner_findings(env.report()["findings"]) == EXPECTED[1:]

    world.push({"config/prod.env": "DEBUG=0\nAWS_REGION=eu-west-1\n"}, "the AWS keys move to the secret store")
    env, second, sent = world.run()
    report = env.report()
    assert second.code == 1 and sent == [], second.log  # the private key still counts
    assert scanner_findings(report["findings"]) == EXPECTED[1:2]
    assert sorted((f["path"], f["why"], f["action"]) for f in report["fixed"]) == [
        ("config/prod.env", "fixed", "thread resolved")] * 2
    threads = {(t.root["path"], t.root["original_line"]): t for t in world.gh.threads(NUMBER)}
    assert threads[("config/prod.env", 2)].is_resolved and threads[("config/prod.env", 3)].is_resolved
    assert not threads[("certs/server.key", 1)].is_resolved

    world.repo.run("rm", "--cached", "--quiet", "certs/server.key")
    world.repo.run("commit", "--quiet", "-m", "the key goes")
    world.fx = world.gh.add_pull(pull_from_git(world.repo, "main", "feature", NUMBER))
    env, third, sent = world.run()
    assert third.code == 0 and env.report()["findings"] == [], third.log
    assert [(f["path"], f["why"]) for f in env.report()["fixed"]] == [("certs/server.key",
                                                                      "no longer changed by this pull request")]


def test_sweep_memory_says_a_credential_gone_from_a_key_file_is_fixed(tmp_path: Path) -> None:
    c = credentials()
    repo = GitRepo.init(tmp_path / "repo")
    repo.commit_files({"deploy/prod.env": f"TOKEN={c['gh']}\n", "src/app.py": numbered(3, at={2: FINDING})}, "one")
    with FakeAnthropicAPI(api_key=CLI_KEY) as fake:
        first = _cli(tmp_path, "sweep", str(repo.path), fake=fake)
        repo.commit_files({"deploy/prod.env": "TOKEN_FILE=/run/secrets/token\n"}, "the token leaves")
        second = _cli(tmp_path, "sweep", str(repo.path), fake=fake)
    assert scanner_findings(first["findings"]) == [("deploy/prod.env", 1, "critical", "security",
                                                    TITLE.format("GitHub token"))]
    assert scanner_findings(second["findings"]) == []
    assert [(f["path"], f["why"]) for f in second["fixed"]] == [("deploy/prod.env", "fixed")]


@pytest.mark.parametrize("sample", in_key_files(), ids=[s.name for s in in_key_files()])
def test_each_labelled_credential_in_a_key_file_is_skipped_by_name_and_found_at_its_line(sample: Sample) -> None:
    assert FileFilter().by_path(sample.path) == KEY_MATERIAL
    data = sample.text.encode()
    text, rows = clean(data, patch=False)
    labels = {(s.kind, s.line) for s in in_key_files() if s.path == sample.path}  # an AWS key pair: two in a file
    assert {(f.kind, row + 1) for f, row in rows} == labels
    assert sample.secret not in text


def test_a_key_file_github_does_not_give_is_named_in_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No checkout, and GitHub's GraphQL API fails for the key file's content: nothing is sent, no finding is
    made up, and the report and the summary say which file could not be scanned and why."""
    c = credentials()
    fx = make_pr(tmp_path / "repo", {"src/app.py": numbered(3)}, {"config/prod.env": key_files(c)["config/prod.env"],
                                                                 "src/app.py": numbered(3, at={2: FINDING})})
    with pr_world(tmp_path, fx) as world:
        bare = tmp_path / "bare"
        bare.mkdir()
        world.env.workspace = bare
        world.gh.inject("POST", r"/graphql$", 502, times=1000, body={"message": "Bad Gateway"},
                        match=lambda body: "config/prod.env" in json.dumps(body))
        out = run_action(world, monkeypatch)
        sent = b"".join(r.raw for r in world.ai.requests)
    assert out.files["config/prod.env"] == ("skipped", KEY_MATERIAL)
    assert scanner_findings(out.findings) == []
    (note,) = [n for n in out.report["notes"] if "credential scan" in n] if out.report else [""]
    assert note.startswith("1 file skipped as key material could not be read for the credential scan")
    assert "config/prod.env (GitHub's GraphQL API failed" in note and "config/prod.env" in out.summary
    never_in(sent, [*secret_values(c), b"prod.env"], "model")


def test_a_key_file_past_github_s_listing_is_scanned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past GitHub's 3,000-file listing the changed files come from comparing trees (sources/tree_diff.py): a
    key file among them is read through GraphQL (no checkout) and its credential reported, never sent."""
    from tests.test_pull_listing import many_files

    c = credentials()
    repo = many_files(tmp_path)
    repo.commit_files({"src/zz/prod.env": f"PORT=1\nGITHUB_TOKEN={c['gh']}\n"}, "a key file past the listing")
    fx = pull_from_git(repo, "main", "many", 9)
    bare = tmp_path / "bare"
    bare.mkdir()
    with pr_world(tmp_path, fx, inputs={"dry-run": "true", "include": "src/zz/"}) as world:
        world.env.workspace = bare
        out = run_action(world, monkeypatch)
        received = json.dumps([call.json for call in world.gh.calls]).encode()
    assert out.report is not None and out.files["src/zz/prod.env"] == ("skipped", KEY_MATERIAL), out.log
    assert any("comparing the merge base's and the head's trees" in n for n in out.report["notes"])
    assert scanner_findings(out.findings) == [("src/zz/prod.env", 2, "critical", "security",
                                               TITLE.format("GitHub token"))]
    never_in(received + json.dumps(out.report).encode() + out.log.encode(), [c["gh"].encode()], "outputs")


def test_sweep_of_a_folder_outside_git_scans_its_key_files(tmp_path: Path) -> None:
    c = credentials()
    folder = tmp_path / "folder"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "app.py").write_text(numbered(3, at={2: FINDING}), encoding="utf-8")
    (folder / ".npmrc").write_text(key_files(c)[".npmrc"], encoding="utf-8")
    with FakeAnthropicAPI(api_key=CLI_KEY) as fake:
        report = _cli(tmp_path, "sweep", str(folder), fake=fake)
        sent = b"".join(r.raw for r in fake.requests)
    assert scanner_findings(report["findings"]) == [EXPECTED[0]]
    assert _outcomes(report)[".npmrc"] == ("skipped", KEY_MATERIAL)
    assert b"eval of input" in sent
    never_in(sent, [c["npm"].encode(), b".npmrc"], "model")
