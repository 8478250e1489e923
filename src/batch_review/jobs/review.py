"""Review jobs: a pull request on a runner (the diff through the REST API, one review posted), and the
local branch's diff in a terminal."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import Config, Secrets
from ..engines.factory import make_engine
from ..errors import ConfigError, EventError, GitHubError
from ..filters import FileFilter
from ..log import log
from ..memory.claim import Claim
from ..memory.lock import PullLock
from ..memory.pull import PullMemory
from ..memory.pull_github import RestMemory, read_posted, read_snapshot, read_without_graphql
from ..memory.seal import Seal
from ..pipeline import Job, Sink
from ..report import RunReport, tally
from ..words import plural
from .sinks import json_sink, runner_sinks

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository

    from ..actions_env import ActionsContext
    from ..plan import Plan
    from ..sources.base import Collected
    from ..sources.pull_request import PullInfo


def pull_request_job(context: ActionsContext, config: Config, secrets: Secrets) -> Job:
    from ..github_client import make_github
    from ..sources.pull_request import pull_info

    if context.pull_request is None:
        if not context.event:
            raise EventError(
                f"the {context.event_name!r} event payload is missing or empty (GITHUB_EVENT_PATH); "
                "mode: review needs the pull request it describes"
            )
        raise EventError(
            f"mode: review needs a pull_request or pull_request_target event; this is {context.event_name!r}"
        )
    if config.strategy == "batch":
        raise ConfigError(
            "strategy: batch is for sweeps; a pull request review goes parallel (a batch could take hours, and "
            "a re-run would pay for it again) — use strategy: auto or parallel"
        )
    info = pull_info(context.event)
    if not secrets.github_token:
        raise ConfigError("github-token: empty; pass `github-token: ${{ github.token }}` (the default)")
    gh = make_github(secrets.github_token, context.api_url, max_wait=config.max_retry_wait)
    repo = gh.get_repo(context.repository)
    filt = FileFilter(config.include, config.exclude, defaults=config.default_excludes)
    seal = Seal.make(f"{context.repository}#{info.number}", memory_key=secrets.memory_key,
                     api_key=secrets.anthropic_api_key)
    memory = PullMemory(config, lambda seal, listed: read_snapshot(gh, repo, info.number, seal, listed), seal)
    run, attempt = context.run_order
    lock = PullLock(gh, lambda: repo.get_issue(info.number), seal, Claim(run, attempt, info.head_sha),
                    context.run_url) if run else None
    job = Job(
        mode="review",
        config=config,
        collect=lambda: _collect(repo, info, filt, context.workspace),
        engine=None,
        sinks=pull_request_sinks(context, config, repo, info, gh, memory, lock),
        on_plan=note_nothing_to_review,
        memory=memory,
    )
    not_now = _not_reviewable(info, config)
    if not_now:  # decided before the engine: a draft never fails for want of an API key
        job.collect = lambda: _nothing(info, not_now)
        job.plan_only_reason = not_now
        return job
    no_key = (
        "no API key: fork pull requests get no secrets, so nothing was reviewed "
        "(see docs/security.md on pull_request_target)" if info.from_fork else ""
    )
    job.engine, job.plan_only_reason = make_engine(config, secrets, default="parallel", no_key_reason=no_key)
    if job.engine is None and job.plan_only_reason == no_key:
        log.warning(no_key)
    if job.engine is not None and lock is not None:  # a run that will pay claims the pull request first
        memory.claim = lock.claim
    return job


def local_review_job(root: Path, base: str | None, config: Config, secrets: Secrets, json_path: str | None) -> Job:
    """`batch-review review`: the working tree against its merge base with `base`; the plan without a key."""
    from ..sources.local_git import collect_local

    if config.strategy == "batch":
        raise ConfigError(
            "strategy: batch (from the config file) is for sweeps: `batch-review review` goes parallel, because a "
            "local review saves no batch state, so a batch would end pending and the next run would pay for it "
            "again — run `batch-review sweep --submit` for a batch, or set strategy: auto or parallel"
        )
    filt = FileFilter(config.include, config.exclude, defaults=config.default_excludes)
    engine, reason = make_engine(config, secrets, default="parallel", no_key_reason="no API key")
    return Job(
        mode="local",
        config=config,
        collect=lambda: with_repository(
            _with_intent(root, collect_local(root, base, filt, context_lines=config.context_lines)), root),
        engine=engine,
        plan_only_reason=reason,
        sinks=json_sink(json_path),
        on_plan=note_nothing_to_review,
    )


def _with_intent(root: Path, collected: Any) -> Any:
    """A local review's intent: the commit messages of its range (merge base..HEAD)."""
    from ..sources.intent import local_intent

    if collected.files and collected.base_sha:
        collected.intent = local_intent(root, collected.base_sha)
    return collected


def _collect(repo: Repository, info: PullInfo, filt: FileFilter, workspace: Path) -> Any:
    """The pull request's files and intent; a GitHub refusal (bad token, no such pull request) is a named
    failure."""
    from github.GithubException import GithubException
    from requests import RequestException

    from ..github_client import describe
    from ..sources.intent import pull_intent
    from ..sources.pull_request import collect_pull_request
    from ..sources.snapshot import HeadRepository

    try:
        collected = collect_pull_request(repo, info, filt, workspace)
        collected.repository = HeadRepository(repo, info.head_sha, workspace)  # read only if the plan asks
    except GithubException as exc:
        raise GitHubError(f"could not read pull request #{info.number}: {describe(exc)}") from None
    except RequestException as exc:
        raise GitHubError(f"could not reach GitHub to read pull request #{info.number}: {exc}") from None
    if collected.files:  # what the pull request is for: its title and description, its commits' messages
        collected.intent = pull_intent(repo, info.number, info.title, info.body)
    return collected


def with_repository(collected: Collected, root: Path) -> Collected:
    """A local change: code from other files comes from the head commit's objects (the changed files themselves
    as they are in the working tree)."""
    from ..sources.snapshot import GitSnapshot

    if collected.head_sha:
        collected.repository = GitSnapshot(root, collected.head_sha)
    return collected


def note_nothing_to_review(report: RunReport, plan: Plan) -> None:
    """An empty plan is stated, never a silent "clean": what changed and why none of it is reviewed."""
    if plan.requests or report.notes:
        return
    if not plan.skipped:
        note = "nothing to review: no changed files"
    else:
        shown = ", ".join(f"{n} {reason}" for reason, n in tally(skip.reason for skip in plan.skipped))
        note = f"nothing to review: all {len(plan.skipped)} changed file(s) were skipped ({shown})"
    report.notes.append(note)
    log.notice(note)


def _not_reviewable(info: PullInfo, config: Config) -> str:
    if info.state != "open":
        return f"pull request #{info.number} is {info.state}; closed pull requests are not reviewed"
    if info.draft and not config.review_drafts:
        return (f"pull request #{info.number} is a draft; it is reviewed once marked ready "
                "(add ready_for_review to the workflow's pull_request types, or set review-drafts: true)")
    return ""


def _nothing(info: PullInfo, why: str) -> Any:
    from ..sources.base import Collected

    log.notice(why)
    return Collected(files=[], skipped=[], head_sha=info.head_sha, label=f"#{info.number}", notes=[why])


def pull_request_sinks(
    context: ActionsContext, config: Config, repo: Repository, info: PullInfo, gh: Github, memory: PullMemory,
    lock: PullLock | None = None,
) -> list[tuple[str, Sink]]:
    from ..publishers import annotations, checks, review, threads
    from ..publishers.sarif import sarif_sink
    from ..publishers.summary import render_summary

    posted_ok = reviewed_posted = False
    rest: list[RestMemory] = []  # read once, when GraphQL could not be

    def rest_memory() -> RestMemory:
        if not rest:
            rest.append(read_without_graphql(gh, repo.get_pull(info.number), repo.get_issue(info.number),
                                             memory.seal, memory.listed))
        return rest[0]

    def post_review(report: RunReport, plan: Plan) -> str:
        nonlocal posted_ok, reviewed_posted
        if report.error or report.dry_run or report.pending or report.superseded:
            return ""
        why = lock.check() if lock is not None and memory.claim is not None else ""
        if why:  # a later run claimed the pull request while this one worked: it publishes, this one does not
            report.superseded = log.redact(why)
            log.notice(report.superseded, title="batch-review: superseded")
            return "not posted: superseded by a later run"
        pull = repo.get_pull(info.number)
        snapshot = memory.snapshot
        posted = snapshot.posted() if snapshot is not None else rest_memory().posted
        if lock is not None and lock.contended:
            posted |= posted_since(report)
        held = withhold(report, rest_memory().unsure if snapshot is None else set())
        try:
            what = review.publish_review(
                repo, pull, info.head_sha, report, plan, max_inline=config.max_inline_comments,
                request_changes_on=config.request_changes_on, posted=posted | held, file_keys=memory.current,
                seal=memory.seal, state=memory.run_state(report).to_marker(memory.seal),
            )
        except review.ReadOnlyToken as exc:
            count = annotations.annotate(report.findings, log)
            log.warning(
                "The token cannot write to this pull request (a fork's read-only token?): "
                f"{count} finding(s) are shown as annotations and in the job summary instead. ({exc})"
            )
            return f"not posted (read-only token); {count} finding(s) shown as annotations"
        for finding in report.findings:
            if finding.fingerprint in held:
                finding.placement = "report"  # in the report, the summary and the check run: not on the pull request
        posted_ok = True
        reviewed_posted = what.startswith("review posted")
        return what

    def posted_since(report: RunReport) -> set[str]:
        """What batch-review posted on the pull request after this run read its memory (another run was at work)."""
        try:
            return read_posted(gh, repo, info.number, memory.seal)
        except Exception as exc:  # GitHubError, GithubException, a lost connection: noted, never raised
            why = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            note = (f"another run was at work on this pull request, and what it posted could not be read again "
                    f"({why}): a finding it posted may be posted again")
            log.warning(note)
            report.notes.append(note)
            return set()

    def close_threads(report: RunReport, plan: Plan) -> str:
        if not posted_ok:
            return ""
        return threads.apply_actions(gh, repo.get_pull(info.number), memory.actions, info.head_sha, memory.seal)

    def status_comment(report: RunReport, plan: Plan) -> str:
        """The findings are on the pull request by now, each with its marker, and the review carries what this
        run reviewed: a status comment that cannot be written is reported, and the next run pays for nothing
        again (a run that posted no review leaves a short review note with its state instead)."""
        if not posted_ok:  # the findings are not on the pull request: the next run must review them again
            return lock.release(report.status) if lock is not None and not report.superseded else ""
        claim = lock.closing() if lock is not None else ""
        text, more = threads.status_comments(report, memory, config.walkthrough, claim)
        body, more = log.redact(text), [log.redact(m) for m in more]
        snapshot = memory.snapshot
        try:
            if snapshot is None and rest_memory().foreign_status:
                raise GitHubError("the token's identity is unknown (GitHub's GraphQL API did not answer), and a "
                                  "status comment by another author exists: neither edited nor written twice")
            found = lock.found if lock is not None else None
            if found is not None:  # read just before posting: the freshest word on which comments are what
                where = (found.comment.id if found.comment else None, found.more_ids, found.stale_ids)
            elif snapshot is not None:
                where = (snapshot.status_comment_id, snapshot.status_more_ids, snapshot.stale_status_ids)
            else:
                where = (rest_memory().status_comment_id, rest_memory().status_more_ids, [])
            return threads.publish_status(gh, repo.get_issue(info.number), where[0], body, more, where[1], where[2])
        except Exception as exc:  # GitHubError, GithubException, a lost connection
            why = str(getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}")
            state = memory.run_state(report).to_marker(memory.seal)
            if reviewed_posted and len(state) <= review.STATE_IN_REVIEW:
                kept = "kept in this run's review"
            else:
                try:
                    kept = review.publish_memory_review(repo, repo.get_pull(info.number), info.head_sha, why, state,
                                                       memory.seal)
                except Exception as again:  # reported, never raised
                    lost = getattr(again, "message", None) or type(again).__name__
                    kept = f"not kept ({lost}): the next run reviews this run's files again"
            log.warning(log.redact(f"the status comment could not be written ({why}); memory of this run: {kept}"),
                        title="batch-review: status comment not written")
            return f"failed: {why}; memory of this run {kept}"

    def check_run(report: RunReport, plan: Plan) -> str:
        if not config.check_run or report.dry_run or report.superseded:
            return ""
        return checks.publish_check_run(repo, info.head_sha, report, log.redact(render_summary(report)), config.fail_on,
                                        config.fail_on_partial)

    sarif = sarif_sink(context, config, gh=gh, upload=config.upload_sarif, category="review",
                       ref=f"refs/pull/{info.number}/head", covers=memory.covers, more=memory.reader)
    return [("review", post_review), ("threads", close_threads), ("status comment", status_comment),
            ("check run", check_run), sarif, *runner_sinks(context, config)]


def withhold(report: RunReport, unsure: set[str]) -> set[str]:
    """The findings of this run that may already be on the pull request under an identity batch-review could not
    confirm: not posted (never twice), still counted and shown; the run is `partial` with a note."""
    held = {f.fingerprint for f in report.findings if f.fingerprint in unsure and f.placement != "carried"}
    if held:
        report.withheld = len(held)
        for finding in report.findings:
            if finding.fingerprint in held:
                finding.extra_notes.append("not posted: it may be on the pull request already (identity unknown)")
        note = (f"{plural(len(held), 'finding')} not posted: GitHub's GraphQL API did not answer and the token's "
                "identity could not be read, so batch-review cannot tell whether the comments that already carry "
                "them are its own; they are in the check run and the summary, and a re-run posts what is missing")
        log.warning(note, title="batch-review: findings withheld")
        report.notes.append(note)
    return held
