"""Where a run on a runner reads its settings (the config file, instructions, guidance files).

A pull request is reviewed (and talked about: comment events) with the settings of its *base* commit, never its
head, on `pull_request`, `pull_request_target`, `issue_comment` and `pull_request_review_comment` alike: a pull
request must not be able to weaken its own review. The commit comes
from the checkout's git objects when it holds it (whatever the working tree is: content-addressed), else
through GitHub's GraphQL API. Every other event reads the checkout's working tree.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ..actions_env import COMMENT_EVENTS, PR_EVENTS
from ..config import Secrets
from ..repo_files import RepoFiles, at_commit

if TYPE_CHECKING:
    from github.Requester import Requester

    from ..actions_env import ActionsContext


def settings_files(context: ActionsContext, secrets: Secrets) -> RepoFiles | Path | None:
    """The base commit of the event's pull request; the workspace for other events; None (inputs only)
    for a pull-request event whose payload lacks the pull request (the job then fails, naming it), and for a
    comment that needs no pull request (on an issue, by a bot, not a command: nothing is done)."""
    from ..sources.pull_request import pull_info

    if context.event_name not in PR_EVENTS + COMMENT_EVENTS:
        return context.workspace
    if context.pull_request is None:
        return None
    info = pull_info(context.event)
    token, api_url = secrets.github_token, context.api_url

    @cache
    def requester() -> Requester:
        from ..github_client import make_github

        return make_github(token or "", api_url).requester

    where = f"at {info.base_sha[:7]} (base of #{info.number})"
    return at_commit(context.workspace, info.base_sha, where, requester if token else None, context.repository)
