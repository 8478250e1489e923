"""The seal on batch-review's memory: an HMAC that only the action's own key can make.

Everything posted with `GITHUB_TOKEN` is `github-actions[bot]`, whichever workflow posted it, and a person
with write access can edit any comment. So the author of a comment says little; the markers batch-review
reads back as memory (the pull request's state, each finding marker, each review marker, each "looks
fixed" reply) carry a tag: HMAC-SHA256 over the marker's exact text, the kind of marker and the pull
request it belongs to (`owner/name#number`), with a key no one else holds. A marker whose tag does not
verify is not batch-review's, whoever posted it: a state is then "could not be authenticated" (a full
review, with a note), a finding marker is not "already posted" (the finding is posted again), a review
is neither ours nor dismissed.

The key: the `memory-key` input (a repository secret) when set, else one derived from the Anthropic API
key (HMAC with a fixed label: the API key itself is never posted, and the tag reveals nothing about it).
The GitHub token is no use: it changes every run. When the key changes (a new API key, a new
`memory-key`), every earlier tag fails: the next run reviews everything again and says why. With no key at
all (Bedrock or Vertex without `memory-key`), nothing is sealed and nothing is trusted: each run is a full
review, and findings already posted may be posted again (set `memory-key` to avoid that).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

LABEL = b"batch-review memory v1"
TAG_HEX = 32  # 128 bits
MARKER_END = " -->"
TAGGED_END = rf"(?: ([0-9a-f]{{{TAG_HEX}}}))? -->"  # a marker's tag (absent without a key) and its end, as RE2


@dataclass(frozen=True)
class Seal:
    key: bytes | None  # None: no key material, nothing verifies
    scope: str  # "owner/name#number": a marker copied from another pull request does not verify here
    source: str  # where the key came from: "memory-key", "anthropic-api-key", "" (none)

    @classmethod
    def make(cls, scope: str, *, memory_key: str | None, api_key: str | None) -> Seal:
        secret, source = (memory_key, "memory-key") if memory_key else (api_key, "anthropic-api-key")
        if not secret:
            return cls(None, scope, "")
        return cls(hmac.new(secret.encode("utf-8"), LABEL, hashlib.sha256).digest(), scope, source)

    @classmethod
    def none(cls) -> Seal:
        """No key: markers are written without a tag, and none verifies."""
        return cls(None, "", "")

    @property
    def keyed(self) -> bool:
        return self.key is not None

    def tag(self, kind: str, text: str) -> str:
        """The tag of `text` as a marker of `kind` on this pull request ("" without a key)."""
        if self.key is None:
            return ""
        message = f"{kind}\0{self.scope}\0{text}".encode("utf-8", "surrogatepass")
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()[:TAG_HEX]

    def marker(self, prefix: str, kind: str, text: str) -> str:
        """The hidden marker `prefix` + `text`, sealed as a marker of `kind` (no tag without a key)."""
        return f"{prefix}{text} {self.tag(kind, text)}{MARKER_END}" if self.keyed else f"{prefix}{text}{MARKER_END}"

    def verify(self, kind: str, text: str, tag: str) -> bool:
        return self.key is not None and len(tag) == TAG_HEX and hmac.compare_digest(self.tag(kind, text), tag)
