"""The fixed words batch-review posts in a conversation: help, the outsider's line, the answers to `ignore`.

Each carries a hidden answer marker naming the comment it answers, so a re-run of the same event finds its
answer instead of posting (or paying for) it twice, and so the answers in a thread can be counted against
`max-thread-answers`. Nothing a person wrote is echoed into these texts except through `code_span`, which
quotes it inertly.
"""

from __future__ import annotations

import json

from ..findings import Finding
from ..publishers.markdown import code_block, code_span, inline_text
from .events import COMMAND_PREFIX

ANSWER_MARKER = "<!-- batch-review:answer to={comment_id} -->"
_ANSWER_PREFIX = "<!-- batch-review:answer to="


def answer_marker(comment_id: int) -> str:
    return ANSWER_MARKER.format(comment_id=comment_id)


def is_answer(body: str) -> bool:
    return _ANSWER_PREFIX in body


def answers(body: str, comment_id: int) -> bool:
    return answer_marker(comment_id) in body


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
