"""The worker's RQ jobs: review one pull request at one head SHA. Thin: fetch, analyze, publish.

The web process enqueues these by dotted path ("bot.jobs.review_pull_request",
"bot.jobs.review_head_sha") and never imports this module. The RQ entry
points build an installation client and call `review`, which receives the
client as an argument so tests can hand it one that talks to respx or the
stand-in server. When GitHub's rate limit is spent the job is scheduled
again for the reset time instead of sleeping in the worker.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from githubkit import GitHub
from githubkit.exception import RequestFailed

from bot.analysis import Analysis, analyze
from bot.check_run import complete_check_run, conclude, find_check_run, start_check_run
from bot.github import RateLimited, describe_error, installation_client, paginate
from bot.logs import fields
from bot.publish import (
    DEFAULT_RULES_DOC_URL,
    PostedComment,
    comments_to_post,
    fingerprints,
    inline_comments,
    neutral_check,
    posted_comment,
    resolved_edits,
    review_check,
    review_payload,
)
from bot.pull_request import get_pull_request, list_files, open_pull_requests_for, plan_review, read_blobs
from bot.repo_config import ConfigError, RepoConfig, load_repo_config
from bot.settings import Settings, get_settings

log = logging.getLogger("ainascan.jobs")

RESCHEDULE_SLACK = timedelta(seconds=5)


# ---------------------------------------------------------------- RQ entry points


def review_pull_request(installation_id: int, repo: str, number: int, head_sha: str, delivery_id: str | None = None) -> dict[str, Any]:
    """RQ job: review pull request `number` of `repo` at `head_sha`."""
    settings = get_settings()
    context = fields(delivery_id=delivery_id, repo=repo, pr=number, head_sha=head_sha, installation_id=installation_id)
    try:
        with installation_client(settings, installation_id) as gh:
            return review(gh, settings, repo, number, head_sha, delivery_id=delivery_id)
    except RateLimited as exc:
        return reschedule(exc, context)


def review_head_sha(installation_id: int, repo: str, head_sha: str, delivery_id: str | None = None) -> dict[str, Any]:
    """RQ job: review every open pull request of `repo` whose head is `head_sha` (check reruns from forks)."""
    settings = get_settings()
    context = fields(delivery_id=delivery_id, repo=repo, head_sha=head_sha, installation_id=installation_id)
    try:
        with installation_client(settings, installation_id) as gh:
            return review_head(gh, settings, repo, head_sha, delivery_id=delivery_id)
    except RateLimited as exc:
        return reschedule(exc, context)


def reschedule(exc: RateLimited, context: dict[str, Any]) -> dict[str, Any]:
    """Schedule the current RQ job again for when GitHub's limit resets (needs a worker run with the scheduler)."""
    from rq import Queue, get_current_job
    from rq.exceptions import DuplicateJobError

    job = get_current_job()
    if job is None:
        raise exc
    base_id = job.meta.get("ainascan_base_id", job.id)
    when = exc.retry_at + RESCHEDULE_SLACK
    new_id = f"{base_id}__after-{int(when.timestamp())}"
    queue = Queue(job.origin, connection=job.connection)
    try:
        queue.enqueue_at(
            when,
            job.func_name,
            args=job.args,
            kwargs=job.kwargs,
            job_id=new_id,
            job_timeout=job.timeout,
            meta={"ainascan_base_id": base_id},
            unique=True,
        )
    except DuplicateJobError:
        pass  # another job for this head already waits for the same reset
    log.warning("%s; review rescheduled", exc, extra=context)
    return {"status": "rescheduled", "retry_at": when.isoformat(timespec="seconds"), "job_id": new_id}


# ---------------------------------------------------------------- the review


def review_head(gh: GitHub, settings: Settings, repo: str, head_sha: str, *, delivery_id: str | None = None) -> dict[str, Any]:
    """Review the open pull requests whose head is `head_sha`; a commit that heads none gets no review."""
    pulls = open_pull_requests_for(gh, repo, head_sha)
    if not pulls:
        run_result = neutral_check("No open pull request", f"No open pull request has `{head_sha[:7]}` as its head: nothing to review.")
        # Conclude a run someone re-requested, but do not open runs on every push to a branch without a pull request.
        run = find_check_run(gh, repo, head_sha, settings.app_id)
        if run is not None and run.get("status") != "completed":
            complete_check_run(gh, repo, run, run_result)
        return {"status": "no-pull-request", "head_sha": head_sha}
    results = [review(gh, settings, repo, pull["number"], head_sha, pull=pull, delivery_id=delivery_id) for pull in pulls]
    return {"status": "reviewed", "pull_requests": results}


def review(
    gh: GitHub,
    settings: Settings,
    repo: str,
    number: int,
    head_sha: str,
    *,
    pull: dict[str, Any] | None = None,
    delivery_id: str | None = None,
) -> dict[str, Any]:
    """Review one pull request at one head: the check run `AINAScan`, one review of new inline comments, resolved marks."""
    context = fields(delivery_id=delivery_id, repo=repo, pr=number, head_sha=head_sha)
    app_id = settings.app_id
    pull = pull or get_pull_request(gh, repo, number)
    current_head = (pull.get("head") or {}).get("sha")
    if current_head != head_sha:
        result = neutral_check(f"Superseded by {str(current_head)[:7]}", f"The pull request's head moved to `{current_head}`; that commit gets its own review.")
        conclude(gh, repo, head_sha, result, app_id, replace_completed=False)
        log.info("head superseded by %s", current_head, extra=context)
        return {"status": "superseded", "by": current_head}
    if pull.get("state") != "open":
        conclude(gh, repo, head_sha, neutral_check("Pull request closed", "The pull request is closed: not reviewed."), app_id, replace_completed=False)
        return {"status": "closed"}

    run = start_check_run(gh, repo, head_sha, app_id)
    try:
        judged = _judge(gh, settings, repo, number, head_sha, pull, run, context)
    except RateLimited:
        raise  # the run stays in progress; the rescheduled job completes it
    except Exception as exc:
        log.exception("review failed: %s", describe_error(exc), extra=context)
        failed = neutral_check("AINAScan could not finish", f"The review stopped with an error ({describe_error(exc)}). It will be retried; a re-run of this check retries it too.")
        try:
            complete_check_run(gh, repo, run, failed)
        except Exception as second:  # the original error matters more
            log.warning("could not conclude the check run: %s", describe_error(second), extra=context)
        raise
    if isinstance(judged, dict):
        return judged
    # The check run is complete: from here on a failure is the review's alone and leaves the verdict standing.
    analysis, config, result = judged
    posted, resolved = _comment(gh, settings, repo, number, head_sha, analysis, config, context)
    log.info("reviewed: %s, %d inline comment(s) posted, %d resolved", result.title, posted, resolved, extra=context)
    return {
        "status": "reviewed",
        "conclusion": result.conclusion,
        "title": result.title,
        "findings": len(analysis.findings),
        "comments_posted": posted,
        "comments_resolved": resolved,
        "skipped": [s.path for s in analysis.skipped],
    }


def _judge(gh: GitHub, settings: Settings, repo: str, number: int, head_sha: str, pull: dict[str, Any], run: dict[str, Any], context: dict[str, Any]):
    """Read, analyze and complete the check run: (analysis, config, result), or the job's outcome when it ends here."""
    default_branch = ((pull.get("base") or {}).get("repo") or {}).get("default_branch") or "main"
    try:
        config = load_repo_config(gh, repo, default_branch)
    except ConfigError as exc:
        problems = "\n".join(f"- {problem}" for problem in exc.problems)
        summary = f"`{exc.source}` is not valid, so this pull request was not reviewed. Fix it on the default branch:\n\n{problems}"
        complete_check_run(gh, repo, run, neutral_check("Configuration error", summary))
        log.info("configuration error: %s", exc, extra=context)
        return {"status": "config-error", "problems": exc.problems}
    if pull.get("draft") and not config.review_drafts(settings.review_drafts):
        complete_check_run(gh, repo, run, neutral_check("Draft pull request: skipped", "Draft pull requests are reviewed when they are marked ready for review."))
        return {"status": "draft"}

    plan = plan_review(list_files(gh, repo, number), config)
    blobs = read_blobs(gh, repo, head_sha, plan.changes)
    analysis = analyze(plan, blobs, config.scan_options())
    result = review_check(
        analysis.findings,
        analysis.skipped,
        files_analyzed=analysis.files_analyzed,
        head_sha=head_sha,
        fail_on=config.fail_on,
        docs_url=getattr(settings, "rules_doc_url", DEFAULT_RULES_DOC_URL),
        config_source=config.source,
    )
    complete_check_run(gh, repo, run, result)
    return analysis, config, result


def _comment(gh: GitHub, settings: Settings, repo: str, number: int, head_sha: str, analysis: Analysis, config: RepoConfig, context: dict[str, Any]) -> tuple[int, int]:
    """Post one review of the new inline comments and mark the gone ones resolved: (posted, resolved)."""
    posted = _posted_comments(gh, repo, number)
    comments = inline_comments(analysis.findings, analysis.changes, analysis.sources)
    new = comments_to_post(comments, posted, config.inline_limit(settings.max_inline_comments))
    payload = review_payload(new, head_sha, len(analysis.findings))
    if payload is not None:
        try:
            gh.request("POST", f"/repos/{repo}/pulls/{number}/reviews", json=payload)
        except RequestFailed as exc:
            if exc.response.status_code != 422:
                raise
            # The diff moved under us (a push between reading and posting); the next head's job comments again.
            log.error("review refused: %s: %s", describe_error(exc), exc.response.text[:500], extra=context)
            new = []
    current = fingerprints(analysis.findings, analysis.sources).values()
    edits = resolved_edits(posted, current, {s.path for s in analysis.skipped}, head_sha)
    for comment_id, body in edits:
        gh.request("PATCH", f"/repos/{repo}/pulls/comments/{comment_id}", json={"body": body})
    return len(new), len(edits)


def _posted_comments(gh: GitHub, repo: str, number: int) -> list[PostedComment]:
    """Our review comments already on the pull request, found by their fingerprint marker."""
    items = paginate(gh, f"/repos/{repo}/pulls/{number}/comments")
    return [comment for comment in map(posted_comment, items) if comment is not None]
