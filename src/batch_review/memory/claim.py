"""Who reviews a pull request now: the claim in batch-review's status comment, so that of two runs racing on one
pull request (a workflow without the README's concurrency group, two events for one push, a re-run) the later
one publishes and the earlier one publishes nothing.

A claim names a workflow run (`GITHUB_RUN_ID`, `GITHUB_RUN_ATTEMPT`), the head commit it reviews, and whether
that run finished publishing:
`<!-- batch-review:claim run=123 attempt=1 head=<sha> done=0 <tag> -->`, sealed like every other marker
(memory/seal.py): no one without the memory key can write one, so no one can block the reviews of a pull
request, and a copied one names an older run, which never outranks the run that owns the pull request now.

Runs are ordered by (run id, attempt): GitHub numbers runs in the order it creates them, so the run of a later
push — or a later event on the same push — is the greater, and a re-run of an old run (same id, later attempt)
stays below every run created after it. Memory/lock.py writes and checks the claim on GitHub.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from .. import linear
from .markers import STATE_PREFIX, own_state_parts
from .seal import TAGGED_END, Seal

PREFIX = "<!-- batch-review:claim "
STATUS_MARKER = "<!-- batch-review:status -->"
_CLAIM = linear.compile(r"<!-- batch-review:claim (run=([0-9]{1,19}) attempt=([0-9]{1,9}) head=([0-9a-f]{40}) "
                        r"done=([01]))" + TAGGED_END)


@dataclass(frozen=True)
class Claim:
    run: int
    attempt: int
    head: str
    done: bool = False  # the run finished publishing (a claim left not done: a run in progress, or one that died)

    @property
    def order(self) -> tuple[int, int]:
        return (self.run, self.attempt)

    def outranks(self, other: Claim | None) -> bool:
        """Whether this claim's run is later than `other`'s (None: no claim at all)."""
        return other is None or self.order > other.order

    def finished(self) -> Claim:
        return replace(self, done=True)

    def to_marker(self, seal: Seal) -> str:
        text = f"run={self.run} attempt={self.attempt} head={self.head} done={int(self.done)}"
        return seal.marker(PREFIX, "claim", text)

    def describe(self) -> str:
        return f"run {self.run} (attempt {self.attempt}) for {self.head[:12]}"


def read_claim(text: str | None, seal: Seal) -> Claim | None:
    """The latest sealed claim in a comment body (None when there is none that verifies)."""
    best: Claim | None = None
    for m in _CLAIM.finditer(text or ""):
        if not seal.verify("claim", m.group(1), m.group(6) or ""):
            continue
        found = Claim(int(m.group(2)), int(m.group(3)), m.group(4), m.group(5) == "1")
        if found.outranks(best):
            best = found
    return best


def with_claim(body: str, claim: Claim, seal: Seal) -> str:
    """`body` carrying `claim` in place of any claim it held (first line otherwise)."""
    marker = claim.to_marker(seal)
    match = _CLAIM.search(body)
    if match is None:
        return f"{marker}\n{body}"
    return body[: match.start()] + marker + _CLAIM.sub("", body[match.end() :])


def is_status(body: str | None, seal: Seal) -> bool:
    """Whether a comment body looks like batch-review's status comment (its markers, not yet checked)."""
    text = body or ""
    return STATUS_MARKER in text or STATE_PREFIX in text or bool(own_state_parts(text, None))


def placeholder(claim: Claim, seal: Seal, run_url: str, ended: str = "") -> str:
    """The status comment a run writes when there is none yet: its claim, before it pays for anything (`ended`:
    how the run ended, when it posted nothing)."""
    if ended:
        heading = f"### batch-review · {ended} at `{claim.head[:12]}`"
        text = (f"The review of this commit posted nothing ([run {claim.run}]({run_url})); the next run reviews it "
                "again.")
    else:
        heading = f"### batch-review · reviewing `{claim.head[:12]}`"
        text = (f"The review of this commit is under way ([run {claim.run}]({run_url})); this comment says where the "
                "pull request stands once it is posted.")
    return "\n".join([claim.to_marker(seal), STATUS_MARKER, heading, "", text])
