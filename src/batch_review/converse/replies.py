"""The fixed words batch-review posts in a conversation: help, the outsider's line, the answers to `ignore`.

Each carries a hidden answer marker naming the comment it answers, so a re-run of the same event finds its
answer instead of posting (or paying for) it twice, and so the answers in a thread can be counted against
`max-thread-answers`. The marker is sealed like every other (memory/seal.py): `<!-- batch-review:answer
to=<comment id> <tag> -->`; one whose tag does not verify (another workflow posting under the same identity,
an edit) neither stops an answer nor counts against the cap. Nothing a person wrote is echoed into these texts
except through `code_span`, which quotes it inertly.
"""

from __future__ import annotations

import json

from .. import linear
from ..findings import Finding
from ..memory.seal import TAGGED_END, Seal
from ..publishers.markdown import code_block, code_span, inline_text
from .events import COMMAND_PREFIX

_ANSWER = linear.compile(r"<!-- batch-review:answer (to=[0-9]{1,20})" + TAGGED_END)


def answer_marker(seal: Seal, comment_id: int) -> str:
    """The sealed marker of batch-review's answer to comment `comment_id`."""
    return seal.marker("<!-- batch-review:answer ", "answer", f"to={comment_id}")


def answered(body: str | None, seal: Seal) -> set[int]:
    """The comments a body's sealed answer markers answer (none without a key: nothing verifies)."""
    return {int(m.group(1)[3:]) for m in _ANSWER.finditer(body or "") if seal.verify("answer", m.group(1),
                                                                                   m.group(2) or "")}


def is_answer(body: str | None, seal: Seal) -> bool:
    return bool(answered(body, seal))


def answers(body: str | None, comment_id: int, seal: Seal) -> bool:
    return comment_id in answered(body, seal)


HELP = f"""batch-review understands these commands, at the start of a comment:

| command | where | what it does |
| --- | --- | --- |
| `{COMMAND_PREFIX} review` | pull request comment | reviews now (what changed since the last review) |
| `{COMMAND_PREFIX} review full` | pull request comment | reviews every file again, ignoring memory |
| `{COMMAND_PREFIX} explain` | reply in its thread | explains the finding; withdraws it if it was wrong |
| `{COMMAND_PREFIX} ignore` | reply in its thread | dismisses the finding on this pull request |
| `{COMMAND_PREFIX} ignore everywhere` | reply in its thread | dismisses it here, and shows the \
configuration change that stops it in the whole repository |
| `{COMMAND_PREFIX} help` | anywhere | this table |

A plain reply in one of batch-review's threads gets an answer too. Only repository owners, members and
collaborators (the `allowed-associations` setting) can ask; each thread gets a limited number of answers."""


def help_text(unknown: str = "") -> str:
    lead = f"batch-review does not know the command {code_span(unknown)}.\n\n" if unknown else ""
    return lead + HELP


OUTSIDER = ("Thanks for the comment. batch-review answers only the repository's maintainers here; "
            "a maintainer can ask it on your behalf.")
NOT_HERE = "`{command}` works as a reply in one of batch-review's own review threads."
CAP = "batch-review answered {n} times in this thread, its limit (max-thread-answers)."


def dismissed_line(who: str) -> str:
    return (f"Dismissed at the request of @{who}: batch-review resolves this thread and will not raise this "
            "finding again on this pull request.")


def withdrawn_line(reason: str) -> str:
    return (f"**batch-review withdraws this finding:** {inline_text(reason) or 'it was a mistake.'} "
            "The thread is resolved, and the finding will not be raised again on this pull request.")


def everywhere(finding: Finding, config_file: str) -> str:
    """The change to commit so that the whole repository stops getting this finding: configuration that is
    itself reviewed, never hidden state."""
    note = f"Do not report: {' '.join(finding.title.split())[:150]}"
    path_block = "\n".join([
        "path-instructions:",
        f"  - paths: [{json.dumps(finding.path)}]",
        f"    instructions: {json.dumps(note)}",
    ])
    exclude_block = "\n".join(["exclude:", f"  - {json.dumps(finding.path)}"])
    return "\n\n".join([
        f"To stop this finding in the whole repository, commit one of these to {code_span(config_file)} "
        "(merge it with the keys already there); batch-review reads its configuration from the base branch, so "
        "it applies to pull requests once it is merged.",
        "Keep reviewing the file, without this kind of finding:",
        code_block(path_block, "yaml"),
        "Or stop reviewing the file altogether:",
        code_block(exclude_block, "yaml"),
    ])
