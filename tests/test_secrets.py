"""Issue #11 §3: secrets never leave the repository. Key material and environment files are skipped by name;
a private key or a known credential format in a file's content (or, for a pull request, its diff) is redacted
before anything is sent and reported as a critical finding at its line (#16 §3), and never reaches the model.

Every credential here is built at run time from random characters: this file holds none, so neither a sweep
of this repository nor a push-protection scanner trips on it.
"""

from __future__ import annotations

import base64
import random
import string

import pytest

from batch_review.filters import KEY_MATERIAL, FileFilter, content_reason, patch_reason
from batch_review.scrub import clean, scrub
from batch_review.secret_scan import find_secret
from batch_review.sources.base import Collected, SourceFile

ALNUM = string.ascii_letters + string.digits
_rng = random.Random(11)


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


def pem_block(kind: str = "RSA ") -> str:
    body = base64.b64encode(_rng.randbytes(300)).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "\n".join([f"-----BEGIN {kind}PRIVATE KEY-----", *lines, f"-----END {kind}PRIVATE KEY-----"]) + "\n"


def tokens() -> dict[str, str]:
    """One credential of each kind the scanner knows, as it looks in the wild."""
    return {
        "private key": pem_block(),
        "AWS access key id": "AKIA" + rand(16, string.ascii_uppercase + string.digits),
        "GitHub token": "ghp_" + rand(36),
        "GitLab token": "glpat-" + rand(20),
        "Slack token": "xoxb-" + rand(11, string.digits) + "-" + rand(12, string.digits) + "-" + rand(24),
        "Stripe live key": "sk_" + "live_" + rand(24),
        "Google API key": "AIza" + rand(35, ALNUM + "_-"),
        "Anthropic API key": "sk-ant-api03-" + rand(93, ALNUM + "_-") + "AA",
        "OpenAI API key": "sk-proj-" + rand(120, ALNUM + "_-"),
        "npm token": "npm_" + rand(36),
        "PyPI token": "pypi-AgEIcHlwaS5vcmc" + rand(70, ALNUM + "_-"),
        "SendGrid key": "SG." + rand(22, ALNUM + "_-") + "." + rand(43, ALNUM + "_-"),
        "age secret key": "AGE-SECRET-KEY-1" + rand(58, string.ascii_uppercase + string.digits),
    }


@pytest.mark.parametrize("kind", list(tokens()))
def test_each_known_credential_is_found_in_code(kind: str) -> None:
    secret = tokens()[kind]
    source = f'import os\n\nSETTING = "{secret}"\nprint(SETTING)\n'.encode()
    found = find_secret(source)
    assert found is not None and found.kind == kind
    assert content_reason(source) is None  # never a reason to skip the file: a finding, and redacted
    text, rows = clean(source, patch=False)
    assert [(f.kind, row + 1) for f, row in rows] == [(kind, 3)]
    assert secret.splitlines()[-2 if kind == "private key" else 0].encode() not in text
    assert text.count(b"\n") == source.count(b"\n") and f"[REDACTED {kind}]".encode() in text


def test_a_private_key_split_across_string_literals_is_found() -> None:
    lines = pem_block("EC ").splitlines()
    code = "KEY = (\n" + "".join(f'    "{line}\\n"\n' for line in lines) + ")\n"
    _, rows = clean(code.encode(), patch=False)
    assert [(f.kind, row + 1) for f, row in rows] == [("private key", 2)]
    escaped = '{"private_key": "' + "\\n".join(pem_block("").splitlines()) + '"}'  # a service-account JSON
    assert find_secret(escaped.encode()) is not None


@pytest.mark.parametrize("text", [
    'HEADER = b"-----BEGIN RSA PRIVATE KEY-----"  # what a PEM parser looks for\n',
    "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n",  # documentation
    'token = "ghp_' + "x" * 36 + '"  # a placeholder\n',
    'aws_key = "AKIAIOSFODNN7EXAMPLE"  # the AWS documentation\'s example\n',
    'key = "sk-ant-api03-short-test-key"\n',
    "def ghp_helper_function_with_a_rather_long_name_here(): pass\n",
    "PASSWORD = 'hunter2'  # a weak password is a finding for the model, not a skip\n",
    "x" * 5000,
])
def test_ordinary_code_and_placeholders_are_not_secrets(text: str) -> None:
    assert find_secret(text.encode()) is None
    assert content_reason(text.encode()) is None or "secret" not in str(content_reason(text.encode()))


def test_a_diff_that_adds_a_token_is_a_finding_and_one_that_removes_it_is_redacted() -> None:
    token = tokens()["GitHub token"]
    added = SourceFile("a.py", "modified", patch=f"@@ -4,2 +4,2 @@\n x = 0\n-x = 1\n+TOKEN = '{token}'\n")
    removed = SourceFile("b.py", "modified", patch=f"@@ -1 +1 @@\n-TOKEN = '{token}'\n+TOKEN = os.environ['T']\n")
    found = scrub(Collected(files=[added, removed], skipped=[], head_sha="0" * 40))
    assert [(f.path, f.line, f.severity.value, f.category) for f in found.findings] == [
        ("a.py", 5, "critical", "security")]
    assert patch_reason(added.patch or "") is None and found.redacted == 2
    assert token not in (added.patch or "") + (removed.patch or "")
    assert (added.patch or "").endswith("+TOKEN = '[REDACTED GitHub token]'\n")


@pytest.mark.parametrize("path", [
    "certs/ca-private.key", "server.pem", "keys/client.p12", "store.pfx", "release.jks", "app.keystore",
    "AuthKey_ABC.p8", "deploy/id_rsa", "home/.ssh/id_ed25519", "id_ed25519.pub", ".env", "services/api/.env",
    ".env.production", "web/.env.local", ".envrc", "infra/terraform.tfstate", "infra/terraform.tfstate.backup",
    ".npmrc", ".pypirc", ".netrc", ".git-credentials", ".docker/config.json", "credentials.json",
    "client_secret_123.apps.googleusercontent.com.json",
])
def test_key_material_and_environment_files_are_skipped_by_name(path: str) -> None:
    assert FileFilter().by_path(path) == KEY_MATERIAL == "key material or environment file"
    assert FileFilter(defaults=False).by_path(path) is None  # default-excludes: false turns it off


@pytest.mark.parametrize("path", [".env.example", "config/.env.sample", ".env.template", "app/keys.py",
                                  "docs/env.md", "src/key.ts"])
def test_templates_and_ordinary_files_are_reviewed(path: str) -> None:
    assert FileFilter().by_path(path) is None


def test_a_template_in_a_vendored_folder_stays_vendored() -> None:
    assert FileFilter().by_path("vendor/lib/.env.example") == "vendored"
