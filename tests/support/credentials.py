"""A labelled set of credentials in the files where they are committed, built at run time from random bytes by
the rules of each format (none is a real, leaked secret; this file holds none, so a scanner that reads this
repository finds nothing here).

`labelled(seed)` gives one `Sample` per format the secret scanner knows and per case of issue #16 §5, each a
file (path and content) with the line the credential starts on and the bytes that must never reach the model.
`in_key_files(seed)` gives credentials committed in files the default excludes skip by name as key material
(`server.key`, `prod.env`, `.npmrc`, `credentials.json`, …): never sent, each a finding at its line (keyfiles.py).
`decoys()` gives files that look like credentials and are not (placeholders, parsers, docs): never flagged.
Used by tests/test_secrets_keyfiles.py, tests/test_secrets_formats.py and the `secrets` benchmark.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass

ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
B64 = ALNUM + "+/"


@dataclass(frozen=True)
class Sample:
    name: str  # the case
    kind: str  # what the scanner names it ("" : skipped by its file name, never read)
    path: str
    text: str
    line: int  # where the credential starts (1-based)
    secret: bytes  # must never be sent


class Maker:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def rand(self, n: int, alphabet: str = ALNUM) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def pem(self, label: str = "RSA PRIVATE KEY", size: int = 600, headers: str = "") -> tuple[str, str]:
        """A PEM block and one line of its body."""
        body = base64.b64encode(self.rng.randbytes(size)).decode()
        lines = [body[i : i + 64] for i in range(0, len(body), 64)]
        return "\n".join([f"-----BEGIN {label}-----", *([headers] if headers else []), *lines,
                          f"-----END {label}-----"]) + "\n", lines[1]

    def uuid(self) -> str:
        h = self.rand(32, "0123456789abcdef")
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-a{h[17:20]}-{h[20:]}"

    def putty(self, version: int = 3) -> tuple[str, str]:
        public = base64.b64encode(b"\0\0\0\x0bssh-ed25519\0\0\0 " + self.rng.randbytes(32)).decode()
        private = base64.b64encode(b"\0\0\0 " + self.rng.randbytes(32)).decode()
        head = [f"PuTTY-User-Key-File-{version}: ssh-ed25519", "Encryption: none",
                f"Comment: eddsa-key-{self.rand(8, string.digits)}", "Public-Lines: 1", public,
                "Private-Lines: 1", private, f"Private-MAC: {self.rand(64, '0123456789abcdef')}"]
        return "\n".join(head) + "\n", private


def labelled(seed: int = 5) -> list[Sample]:
    m = Maker(seed)
    out: list[Sample] = []

    def add(name: str, kind: str, path: str, text: str, secret: str | bytes, starts: str = "") -> None:
        """`starts`: what the credential's first line holds, when not the secret itself (a PEM's BEGIN line)."""
        raw = secret.encode() if isinstance(secret, str) else secret
        at = text.encode().find(starts.encode() or raw)
        assert at >= 0 and raw in text.encode(), name
        out.append(Sample(name, kind, path, text, text.encode().count(b"\n", 0, at) + 1, raw))

    # private keys: PEM of every label, in a file, in code, escaped in a string once and twice, base64-encoded
    for label in ("RSA PRIVATE KEY", "PRIVATE KEY", "EC PRIVATE KEY", "OPENSSH PRIVATE KEY", "DSA PRIVATE KEY",
                  "ENCRYPTED PRIVATE KEY"):
        block, line = m.pem(label)
        add(f"PEM {label}", "private key", "deploy/signing.txt", "# the signing key\n" + block, line, "-----BEGIN")
    block, line = m.pem("PGP PRIVATE KEY BLOCK", headers="Version: GnuPG v2\n")
    add("PGP private key block", "private key", "keys/release.asc", block, line, "-----BEGIN")
    block, line = m.pem("RSA PRIVATE KEY", headers="Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,"
                        + m.rand(32, "0123456789ABCDEF") + "\n")
    add("PEM with headers", "private key", "config/legacy.txt", block, line, "-----BEGIN")
    block, line = m.pem("PRIVATE KEY")
    account = json.dumps({"type": "service_account", "private_key": block, "client_email": "ci@example.iam"})
    add("PEM escaped in JSON", "private key", "config/service-account.json.txt", account + "\n",
        line)
    add("PEM double-escaped inside a string", "private key", "config/settings.json",
        json.dumps({"service_account": account}) + "\n", line)
    block, line = m.pem("EC PRIVATE KEY", size=120)
    code = "KEY = (\n" + "".join(f'    "{row}\\n"\n' for row in block.splitlines()) + ")\n"
    add("PEM split across string literals", "private key", "src/keys.py", code, line, "-----BEGIN")
    block, _ = m.pem("RSA PRIVATE KEY")
    encoded = base64.b64encode(block.encode()).decode()
    add("base64 PEM after =", "private key (base64)", "deploy/helm-values.txt", f"tlsKey={encoded}\n", encoded)
    cert = base64.b64encode(m.pem("CERTIFICATE")[0].encode()).decode()
    kubeconfig = ("apiVersion: v1\nkind: Config\nusers:\n- name: admin\n  user:\n"
                  f"    client-certificate-data: {cert}\n    client-key-data: {encoded}\n")
    add("kubeconfig client-key-data", "private key (base64)", "deploy/kubeconfig.yaml", kubeconfig, encoded)
    secret_yaml = (f"apiVersion: v1\nkind: Secret\ntype: kubernetes.io/tls\ndata:\n  tls.crt: {cert}\n"
                   f"  tls.key: {encoded}\n")
    add("Kubernetes TLS secret", "private key (base64)", "deploy/tls-secret.yaml", secret_yaml, encoded)
    for version in (2, 3):
        ppk, private = m.putty(version)
        add(f"PuTTY key v{version} without .ppk", "PuTTY private key", f"tools/deploy_key_v{version}", ppk, private)

    # AWS
    key_id = "AKIA" + m.rand(16, UPPER_DIGITS)
    add("AWS access key id", "AWS access key id", "deploy.py", f"KEY_ID = '{key_id}'\n", key_id)
    for name, path, template in [
        ("AWS secret in a credentials file", "ops/aws.ini", "[default]\naws_secret_access_key = {s}\n"),
        ("AWS secret in a shell export", "ops/env.sh", 'export AWS_SECRET_ACCESS_KEY="{s}"\n'),
        ("AWS secret in a CI variable", "ci/vars.sh", "AWS_REGION=eu-west-1\nAWS_SECRET_ACCESS_KEY={s}\n"),
        ("AWS secret in a boto3 call", "src/s3.py",
         "import boto3\n\nclient = boto3.client('s3', aws_secret_access_key='{s}')\n"),
        ("AWS secret in STS JSON", "fixtures/sts.json", '{{"Credentials": {{"SecretAccessKey": "{s}"}}}}\n'),
        ("AWS secret in YAML", "ci/config.yml", "aws:\n  secret_access_key: {s}\n"),
        ("AWS secret in JS", "src/s3.js", "const s3 = new S3({{ secretAccessKey: '{s}' }});\n"),
    ]:
        secret = m.rand(40, B64)
        add(name, "AWS secret access key", path, template.format(s=secret), secret)

    # docker, npm
    auth = base64.b64encode(f"deploy:{m.rand(24)}".encode()).decode()
    docker = json.dumps({"auths": {"registry.example.com": {"auth": auth}}}, indent=2) + "\n"
    add("docker auth", "Docker registry auth", "ci/docker-config.json", docker, auth)
    dockerconfigjson = base64.b64encode(json.dumps({"auths": {"ghcr.io": {"auth": auth}}}).encode()).decode()
    add("Kubernetes .dockerconfigjson", "Docker registry auth (base64)", "deploy/pull-secret.yaml",
        f"apiVersion: v1\nkind: Secret\ndata:\n  .dockerconfigjson: {dockerconfigjson}\n", dockerconfigjson)
    token = m.uuid()
    add("legacy npm token in .yarnrc", "npm auth token", ".yarnrc",
        f'registry "https://registry.npmjs.org/"\n"//registry.npmjs.org/:_authToken" "{token}"\n', token)
    token = m.uuid()
    add("legacy npm token in a Dockerfile", "npm auth token", "Dockerfile",
        f'FROM node:20\nRUN echo "//registry.npmjs.org/:_authToken={token}" > .npmrc\n', token)
    token = m.uuid()
    add("npm token in .yarnrc.yml", "npm auth token", ".yarnrc.yml", f"npmAuthToken: {token}\n", token)

    # vendor tokens
    def token_in_code(kind: str, value: str, path: str = "src/settings.py") -> None:
        add(kind, kind, path, f'import os\n\nSETTING = "{value}"\n', value)

    token_in_code("GitHub token", "ghp_" + m.rand(36))
    token_in_code("GitHub token", "github_pat_" + m.rand(22) + "_" + m.rand(59), "src/gh.py")
    token_in_code("GitLab token", "glpat-" + m.rand(20, ALNUM + "_-"))
    token_in_code("Slack token", "xoxb-" + m.rand(11, string.digits) + "-" + m.rand(12, string.digits) + "-"
                  + m.rand(24))
    token_in_code("Slack webhook", "https://hooks.slack.com/services/T" + m.rand(8, UPPER_DIGITS) + "/B"
                  + m.rand(8, UPPER_DIGITS) + "/" + m.rand(24))
    token_in_code("Stripe live key", "sk_" + "live_" + m.rand(24))
    token_in_code("Google API key", "AIza" + m.rand(35, ALNUM + "_-"))
    token_in_code("Anthropic API key", "sk-ant-api03-" + m.rand(93, ALNUM + "_-") + "AA")
    token_in_code("OpenAI API key", "sk-proj-" + m.rand(120, ALNUM + "_-"))
    token_in_code("OpenAI API key", "sk-" + m.rand(20) + "T3BlbkFJ" + m.rand(20), "src/legacy_openai.py")
    token_in_code("npm token", "npm_" + m.rand(36))
    token_in_code("PyPI token", "pypi-AgEIcHlwaS5vcmc" + m.rand(70, ALNUM + "_-"))
    token_in_code("SendGrid key", "SG." + m.rand(22, ALNUM + "_-") + "." + m.rand(43, ALNUM + "_-"))
    token_in_code("Shopify token", "shpat_" + m.rand(32, "0123456789abcdef"))
    account_key = m.rand(86, ALNUM + "+/") + "=="
    add("Azure storage key", "Azure storage key", "config/storage.txt",
        f"DefaultEndpointsProtocol=https;AccountName=x;AccountKey={account_key};EndpointSuffix=core.windows.net\n",
        account_key)
    token_in_code("age secret key", "AGE-SECRET-KEY-1" + m.rand(58, UPPER_DIGITS))

    # files skipped by their name alone (never read, never sent)
    password = m.rand(20)
    add("*.env file", "", "deploy/prod.env", f"DATABASE_URL=postgres://app:{password}@db/app\n", password)
    add(".env file", "", ".env", f"SECRET_KEY={password}\n", password)
    add("SSH key by name", "", "deploy/id_ed25519_ci", "not even a PEM: " + password + "\n", password)
    return out


def in_key_files(seed: int = 11) -> list[Sample]:
    """Credentials the scanner knows, each in a file skipped by its name (key material, environment files)."""
    m = Maker(seed)
    out: list[Sample] = []

    def add(name: str, kind: str, path: str, text: str, secret: str, starts: str = "") -> None:
        at = text.find(starts or secret)
        assert at >= 0 and secret in text, name
        out.append(Sample(name, kind, path, text, text.count("\n", 0, at) + 1, secret.encode()))

    block, line = m.pem("RSA PRIVATE KEY")
    add("server.key", "private key", "certs/server.key", block, line, "-----BEGIN")
    block, line = m.pem("PRIVATE KEY")
    add("a .pem with its certificate", "private key", "deploy/tls/bundle.pem",
        m.pem("CERTIFICATE")[0] + block, line, "-----BEGIN PRIVATE")
    block, line = m.pem("OPENSSH PRIVATE KEY")
    add("SSH key by its name", "private key", "keys/id_ed25519_deploy", block, line, "-----BEGIN")
    block, line = m.pem("PRIVATE KEY")
    account = {"type": "service_account", "project_id": "demo", "private_key_id": m.rand(40, "0123456789abcdef"),
               "private_key": block, "client_email": "ci@demo.iam.gserviceaccount.com"}
    add("GCP credentials.json", "private key", "credentials.json", json.dumps(account, indent=2) + "\n", line,
        "-----BEGIN")
    key_id, secret = "AKIA" + m.rand(16, UPPER_DIGITS), m.rand(40, B64)
    env = f"DEBUG=0\nAWS_ACCESS_KEY_ID={key_id}\nAWS_SECRET_ACCESS_KEY={secret}\n"
    add("AWS key id in prod.env", "AWS access key id", "config/prod.env", env, key_id)
    add("AWS secret in prod.env", "AWS secret access key", "config/prod.env", env, secret)
    key_id, secret = "AKIA" + m.rand(16, UPPER_DIGITS), m.rand(40, B64)
    aws = f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
    add("AWS key id in .aws/credentials", "AWS access key id", ".aws/credentials", aws, key_id)
    add("AWS secret in .aws/credentials", "AWS secret access key", ".aws/credentials", aws, secret)
    token = "ghp_" + m.rand(36)
    add("GitHub token in .env", "GitHub token", ".env", f"PORT=8080\nGITHUB_TOKEN={token}\n", token)
    token = "ghp_" + m.rand(36)
    add("GitHub token in .git-credentials", "GitHub token", ".git-credentials",
        f"https://deploy:{token}@github.com\n", token)
    token = m.uuid()
    add("npm auth token in .npmrc", "npm auth token", ".npmrc",
        f"//registry.npmjs.org/:_authToken={token}\nsave-exact=true\n", token)
    token = "pypi-AgEIcHlwaS5vcmc" + m.rand(70, ALNUM + "_-")
    add("PyPI token in .pypirc", "PyPI token", ".pypirc",
        f"[distutils]\nindex-servers = pypi\n\n[pypi]\nusername = __token__\npassword = {token}\n", token)
    auth = base64.b64encode(f"deploy:{m.rand(24)}".encode()).decode()
    add("docker auth in .docker/config.json", "Docker registry auth", ".docker/config.json",
        json.dumps({"auths": {"ghcr.io": {"auth": auth}}}, indent=2) + "\n", auth)
    key_id, secret = "AKIA" + m.rand(16, UPPER_DIGITS), m.rand(40, B64)
    state = json.dumps({"version": 4, "resources": [{"type": "aws_iam_access_key", "instances": [{"attributes": {
        "id": key_id, "secret": "x", "ses_smtp_password_v4": "x", "secret_access_key": secret}}]}]}, indent=2) + "\n"
    add("AWS key id in terraform.tfstate", "AWS access key id", "infra/terraform.tfstate", state, key_id)
    add("AWS secret in terraform.tfstate", "AWS secret access key", "infra/terraform.tfstate", state, secret)
    token = "sk_" + "live_" + m.rand(24)
    add("Stripe key in .envrc", "Stripe live key", ".envrc", f"export STRIPE_KEY={token}\n", token)
    return out


def decoys() -> list[tuple[str, str]]:
    """(path, text): code, docs and placeholders shaped like credentials. None is a credential."""
    m = Maker(7)
    zeros_uuid = "00000000-0000-0000-0000-000000000000"
    return [
        ("src/pem.py", 'HEADER = b"-----BEGIN RSA PRIVATE KEY-----"  # what a PEM parser looks for\n'),
        ("docs/keys.md", "-----BEGIN PRIVATE KEY-----\n...\n-----END PRIVATE KEY-----\n"),
        ("src/a.py", 'token = "ghp_' + "x" * 36 + '"  # a placeholder\n'),
        ("src/b.py", "aws_key = 'AKIAIOSFODNN7EXAMPLE'  # the AWS documentation's example\n"),
        ("docs/aws.md", "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"),
        ("src/c.py", "AWS_SECRET_ACCESS_KEY = os.environ['AWS_SECRET_ACCESS_KEY']\n"),
        ("src/d.py", "secret_access_key = settings.aws_secret_access_key_for_the_upload_bucket_name\n"),
        ("src/e.py", "def ghp_helper_function_with_a_rather_long_name_here(): pass\n"),
        ("src/f.py", "PASSWORD = 'hunter2'  # a weak password is a finding for the model, not the scanner\n"),
        (".yarnrc", f'"//registry.npmjs.org/:_authToken" "{zeros_uuid}"\n'),
        (".npmrc.example", "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n"),
        ("src/g.py", 'config = {"auth": "bearer", "user": "x"}\n'),
        ("tests/fixtures/docker.json", '{"auths": {"localhost:5000": {"auth": "'
         + base64.b64encode(b"testuser:password").decode() + '"}}}\n'),
        ("src/h.py", 'payload = {"auth": "' + base64.b64encode(m.rng.randbytes(30)).decode() + '"}  # bytes\n'),
        ("src/i.py", 'LABEL = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t"  # base64 of a certificate header\n'),
        ("docs/putty.md", "A PuTTY key starts with `PuTTY-User-Key-File-3:` and has `Private-Lines:`.\n"),
        ("src/id_rsa_parser.py", "def parse(text):\n    return text.split()\n"),
        ("src/j.py", "x" * 5000 + "\n"),
    ]
