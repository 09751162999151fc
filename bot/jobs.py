"""The worker's RQ jobs: review one pull request at one head SHA. Thin: fetch, analyze, publish.

The web process enqueues these by dotted path ("bot.jobs.review_pull_request",
"bot.jobs.review_head_sha") and never imports this module. The RQ entry
points build an installation client and call `review`, which receives the
client as an argument so tests can hand it one that talks to respx or the
stand-in server. When GitHub's rate limit is spent the job is scheduled
again for the reset time instead of sleeping in the worker.

Nothing lost, nothing doubled:
- every review is recorded in bot.pending while it is under way, so a
  review whose worker died is found and reaped (`reap_review`);
- a failed attempt is retried by RQ; after the last one,
  `review_attempt_failed` queues `conclude_failed_review`, which completes
  the check run `neutral` saying what failed;
- a repeated job finds its check run and its earlier comments (by
  fingerprint) and adds only what is missing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any, Callable

import redis
from githubkit import GitHub

from bot.analysis import Analysis, analyze
from bot.check_run import complete_check_run, conclude, find_check_run, start_check_run
from bot.commands import FULL_SCAN_ACTION
from bot.events import REVIEW_HEAD_SHA, REVIEW_PULL_REQUEST, JobRequest, head_review_job_id, review_job_id
from bot.github import RateLimited, describe_error, installation_client
from bot.inline_review import mark_resolved, post_review, posted_comments
from bot.logs import fields
from bot.metrics import measured_job, record_comments_posted
from bot.pending import PendingReview, PendingReviews
from bot.budget import DEFAULT_BUDGET_SECONDS
from bot.publish import DEFAULT_RULES_DOC_URL, comments_to_post, fingerprints, inline_comments, neutral_check, review_check, unlisted_note
from bot.pull_request import get_pull_request, list_files, open_pull_requests_for, plan_review, read_blobs, unlisted_files
from bot.queue import REVIEW_FAILED_CALLBACK, JobQueue
from bot.repo_config import ConfigError, RepoConfig, load_repo_config
from bot.review_history import after_review
from bot.settings import Settings, get_settings

log = logging.getLogger("ainascan.jobs")

RESCHEDULE_SLACK = timedelta(seconds=5)
UNFINISHED_TITLE = "AINAScan could not finish"
GAVE_UP_TITLE = "AINAScan gave up on this commit"
REAPED_TITLE = "AINAScan did not finish in time"
MAX_REAPS = 2  # a review whose workers keep dying is concluded, not queued forever
SMALL_JOB_TIMEOUT = 300


# ---------------------------------------------------------------- RQ entry points


@measured_job
def review_pull_request(installation_id: int, repo: str, number: int, head_sha: str, delivery_id: str | None = None) -> dict[str, Any]:
    """RQ job: review pull request `number` of `repo` at `head_sha`."""
    settings = get_settings()
    context = fields(delivery_id=delivery_id, repo=repo, pr=number, head_sha=head_sha, installation_id=installation_id)
    under_way = PendingReview(installation_id, repo, head_sha, number)
    return _watched(settings, under_way, context, lambda gh: review(gh, settings, repo, number, head_sha, delivery_id=delivery_id))


@measured_job
def review_head_sha(installation_id: int, repo: str, head_sha: str, delivery_id: str | None = None) -> dict[str, Any]:
    """RQ job: review every open pull request of `repo` whose head is `head_sha` (check reruns from forks)."""
    settings = get_settings()
    context = fields(delivery_id=delivery_id, repo=repo, head_sha=head_sha, installation_id=installation_id)
    under_way = PendingReview(installation_id, repo, head_sha)
    return _watched(settings, under_way, context, lambda gh: review_head(gh, settings, repo, head_sha, delivery_id=delivery_id))


def _watched(settings: Settings, under_way: PendingReview, context: dict[str, Any], work: Callable[[GitHub], dict[str, Any]]) -> dict[str, Any]:
    """Run `work` with an installation client, the review recorded in bot.pending until it returns.

    A review that raises stays recorded (RQ retries it, or the reaper finds it);
    one that meets a spent rate limit is scheduled again and its deadline moves
    to the reset time.
    """
    pending = PendingReviews(_connection(settings))
    pending.expect(under_way, time.time() + overdue_after(settings))
    try:
        with installation_client(settings, under_way.installation_id) as gh:
            outcome = work(gh)
    except RateLimited as exc:
        pending.postpone(under_way.member, exc.retry_at.timestamp() + overdue_after(settings))
        return reschedule(exc, context)
    pending.done(under_way.repo, under_way.head_sha)
    return outcome


def overdue_after(settings: Settings) -> float:
    """Seconds after which a review still recorded as under way has certainly died: its timeout and then some."""
    return settings.job_timeout_seconds + 2 * getattr(settings, "abandoned_after_seconds", 30)


def _connection(settings: Settings) -> redis.Redis:
    """The current RQ job's Redis connection, or one from the settings outside RQ."""
    return _job_connection() or redis.Redis.from_url(settings.redis_url)


def _job_connection() -> redis.Redis | None:
    """The current RQ job's Redis connection; None outside RQ."""
    from rq import get_current_job

    job = get_current_job()
    return job.connection if job is not None else None


def reschedule(exc: RateLimited, context: dict[str, Any]) -> dict[str, Any]:
    """Schedule the current RQ job again for when GitHub's limit resets (needs a worker run with the scheduler).

    The new job keeps the attempts the current one had left and the failure
    callback, so a review that fails after the reset still concludes its run.
    """
    from rq import Callback, Queue, Retry, get_current_job
    from rq.exceptions import DuplicateJobError

    job = get_current_job()
    if job is None:
        raise exc
    base_id = job.meta.get("ainascan_base_id", job.id)
    when = exc.retry_at + RESCHEDULE_SLACK
    new_id = f"{base_id}__after-{int(when.timestamp())}"
    if new_id == job.id:  # limited again before the same reset second: this job cannot be its own successor
        new_id = f"{new_id}-{job.meta.get('ainascan_reschedules', 0) + 1}"
    queue = Queue(job.origin, connection=job.connection)
    retry = Retry(max=job.retries_left, interval=job.retry_intervals or 0) if job.retries_left else None
    try:
        queue.enqueue_at(
            when,
            job.func_name,
            args=job.args,
            kwargs=job.kwargs,
            job_id=new_id,
            job_timeout=job.timeout,
            meta={"ainascan_base_id": base_id, "ainascan_reschedules": job.meta.get("ainascan_reschedules", 0) + 1},
            retry=retry,
            on_failure=Callback(REVIEW_FAILED_CALLBACK),
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
    started = time.monotonic()
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
        judged = _judge(gh, settings, repo, number, head_sha, pull, run, context=context, started=started)
    except RateLimited:
        raise  # the run stays in progress; the rescheduled job completes it
    except Exception as exc:
        log.exception("review failed: %s", describe_error(exc), extra=context)
        failed = neutral_check(UNFINISHED_TITLE, f"The review stopped with an error ({describe_error(exc)}). It will be retried; a re-run of this check retries it too.")
        try:
            complete_check_run(gh, repo, run, failed)
        except Exception as second:  # the original error matters more
            log.warning("could not conclude the check run: %s", describe_error(second), extra=context)
        raise
    if isinstance(judged, dict):
        return judged
    # The check run is complete: from here on a failure is the review's alone and leaves the verdict standing.
    analysis, config, result = judged
    posted, refused, resolved = _comment(gh, settings, repo, number, head_sha, analysis, config, context)
    log.info("reviewed: %s, %d inline comment(s) posted, %d refused, %d resolved", result.title, posted, refused, resolved, extra=context)
    outcome = {
        "status": "reviewed",
        "conclusion": result.conclusion,
        "title": result.title,
        "findings": len(analysis.findings),
        "comments_posted": posted,
        "comments_resolved": resolved,
        "skipped": [s.path for s in analysis.skipped],
    }
    if refused:
        outcome["comments_refused"] = refused
    return outcome


def _judge(gh: GitHub, settings: Settings, repo: str, number: int, head_sha: str, pull: dict[str, Any], run: dict[str, Any], *, context: dict[str, Any], started: float):
    """Read, analyze and complete the check run: (analysis, config, result), or the job's outcome when it ends here.

    The review is recorded in the scan history first, so the summary can end
    with the pull request's trend (when the star gate unlocks it), and the run
    carries the "Full scan" button.
    """
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

    files = list_files(gh, repo, number)
    unlisted = unlisted_files(pull, len(files))
    plan = plan_review(files, config)
    options = config.scan_options()
    blobs = read_blobs(gh, repo, head_sha, plan.changes, max_bytes=options.max_bytes)
    analysis = analyze(plan, blobs, options, getattr(settings, "scan_budget_seconds", DEFAULT_BUDGET_SECONDS))
    result = review_check(
        analysis.findings,
        analysis.skipped,
        files_analyzed=analysis.files_analyzed,
        head_sha=head_sha,
        fail_on=config.fail_on,
        docs_url=getattr(settings, "rules_doc_url", DEFAULT_RULES_DOC_URL),
        config_source=config.source,
        notes=[unlisted_note(unlisted, len(files))] if unlisted else (),
    )
    result = replace(result, actions=(FULL_SCAN_ACTION,))
    result = after_review(gh, settings, repo, pull, head_sha, analysis.findings, result, files_analyzed=analysis.files_analyzed, started=started, conn=_job_connection())
    complete_check_run(gh, repo, run, result)
    return analysis, config, result


def _comment(gh: GitHub, settings: Settings, repo: str, number: int, head_sha: str, analysis: Analysis, config: RepoConfig, context: dict[str, Any]) -> tuple[int, int, int]:
    """Post one review of the new inline comments and mark the gone ones resolved: (posted, refused, resolved)."""
    posted = posted_comments(gh, repo, number)
    comments = inline_comments(analysis.findings, analysis.changes, analysis.sources)
    new = comments_to_post(comments, posted, config.inline_limit(settings.max_inline_comments))
    outcome = post_review(gh, repo, number, head_sha, new, len(analysis.findings), context)
    record_comments_posted(outcome.posted)
    current = set(fingerprints(analysis.findings, analysis.sources).values())
    resolved = mark_resolved(gh, repo, posted, current, {s.path for s in analysis.skipped}, head_sha)
    return len(outcome.posted), len(outcome.refused), resolved


# ---------------------------------------------------------------- when a review fails for good, or dies


def review_attempt_failed(job, connection, exc_type, exc_value, traceback) -> None:
    """RQ's on_failure callback, after every failed attempt: after the last one, queue the conclusion of the check run."""
    if job.retries_left:
        return  # RQ tries again; the attempt itself left the run saying so when it could
    queue_conclusion(job, connection, failure_reason(job, exc_type, exc_value))


def work_horse_killed(job, retpid, ret_val, rusage) -> None:
    """The worker's hook for a work-horse that died without a word (SIGKILL, out of memory): RQ calls no on_failure then."""
    import os

    signal_number = os.WTERMSIG(ret_val) if ret_val and os.WIFSIGNALED(ret_val) else None
    peak_mb = int(getattr(rusage, "ru_maxrss", 0) or 0) // 1024
    log.warning("work-horse %s of job %s died (signal %s, peak memory %d MB)", retpid, job.id, signal_number, peak_mb)
    if not job.retries_left:
        how = f"killed by signal {signal_number}" if signal_number else "ended abruptly"
        queue_conclusion(job, job.connection, f"the process running it was {how} (out of memory, or stopped by the system; peak memory {peak_mb} MB)")


def failure_reason(job, exc_type, exc_value) -> str:
    """What failed, in words fit for a check run: never a message that could carry a token or a key."""
    from rq.exceptions import AbandonedJobError
    from rq.timeouts import JobTimeoutException

    if exc_type is not None and issubclass(exc_type, AbandonedJobError):
        return "the worker running it stopped answering (lost, or killed)"
    inner = getattr(exc_value, "exc", None)  # githubkit wraps what interrupts a request (the time limit, too)
    if (exc_type is not None and issubclass(exc_type, JobTimeoutException)) or isinstance(inner, JobTimeoutException):
        return f"it ran past its {job.timeout}-second time limit"
    if exc_value is not None:
        return describe_error(exc_value)
    return "an unknown error"


def queue_conclusion(job, connection, reason: str) -> None:
    """Queue `conclude_failed_review` for the head of a review job that will not be tried again."""
    from rq import Queue, Retry

    kwargs = {key: job.kwargs.get(key) for key in ("installation_id", "repo", "head_sha", "number")}
    if not kwargs["repo"] or not kwargs["head_sha"]:
        return
    log.warning("review %s failed for good: %s", job.id, reason, extra=fields(repo=kwargs["repo"], pr=kwargs["number"], head_sha=kwargs["head_sha"]))
    Queue(job.origin, connection=connection).enqueue_call(
        func="bot.jobs.conclude_failed_review",
        kwargs={**kwargs, "reason": reason},
        timeout=SMALL_JOB_TIMEOUT,
        retry=Retry(max=3, interval=[10, 60, 300]),
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
        description=f"conclude {kwargs['repo']}@{kwargs['head_sha'][:7]} after a failed review",
    )


def conclude_failed_review(installation_id: int, repo: str, head_sha: str, number: int | None = None, reason: str = "") -> dict[str, Any]:
    """RQ job: complete the head's check run `neutral`, saying what failed, unless a verdict already stands."""
    settings = get_settings()
    summary = (
        f"The review of `{head_sha[:7]}` failed on its last attempt and will not be retried on its own: {reason}.\n\n"
        "Re-run this check, or push again, to try once more."
    )
    with installation_client(settings, installation_id) as gh:
        concluded = _conclude_unless_judged(gh, settings, repo, head_sha, neutral_check(GAVE_UP_TITLE, summary))
    PendingReviews(_connection(settings)).done(repo, head_sha)
    return {"status": "concluded" if concluded else "verdict-kept", "reason": reason}


def reap_review(installation_id: int, repo: str, head_sha: str, number: int | None = None, reaped: int = 0) -> dict[str, Any]:
    """RQ job (queued by the worker's maintenance): a review past its deadline with no job behind it.

    Its check run, if still `in_progress`, is completed `neutral` with an
    explanation, and the review is queued again (at most MAX_REAPS times).
    """
    settings = get_settings()
    requeue = reaped < MAX_REAPS
    minutes = max(1, round(overdue_after(settings) / 60))
    summary = f"The review of `{head_sha[:7]}` started but did not finish within {minutes} minute(s): the worker running it was probably lost. " + (
        "It has been queued again." if requeue else "It was lost too often and will not be retried on its own; re-run this check to try again."
    )
    with installation_client(settings, installation_id) as gh:
        concluded = _conclude_unless_judged(gh, settings, repo, head_sha, neutral_check(REAPED_TITLE, summary), only_unfinished=True)
    pending = PendingReviews(_connection(settings))
    if not requeue:
        pending.done(repo, head_sha)
        return {"status": "given-up", "concluded": concluded}
    pending.expect(PendingReview(installation_id, repo, head_sha, number, reaped + 1), time.time() + overdue_after(settings))
    JobQueue(settings, connection=_connection(settings)).submit(None, [review_request(installation_id, repo, head_sha, number)])
    return {"status": "requeued", "concluded": concluded}


def review_request(installation_id: int, repo: str, head_sha: str, number: int | None) -> JobRequest:
    """The job that reviews this head again: of one pull request, or of the pull requests it heads."""
    if number is None:
        kwargs = {"installation_id": installation_id, "repo": repo, "head_sha": head_sha, "delivery_id": None}
        return JobRequest(REVIEW_HEAD_SHA, kwargs, head_review_job_id(repo, head_sha), f"review {repo}@{head_sha[:7]} again")
    kwargs = {"installation_id": installation_id, "repo": repo, "number": number, "head_sha": head_sha, "delivery_id": None}
    return JobRequest(REVIEW_PULL_REQUEST, kwargs, review_job_id(repo, number, head_sha), f"review {repo}#{number} at {head_sha[:7]} again")


def _conclude_unless_judged(gh: GitHub, settings: Settings, repo: str, head_sha: str, result, *, only_unfinished: bool = False) -> bool:
    """Complete the head's run with `result` unless it shows a verdict; creates it completed when there is none."""
    run = find_check_run(gh, repo, head_sha, settings.app_id)
    if run is None:
        if only_unfinished:
            return False
        conclude(gh, repo, head_sha, result, settings.app_id)
        return True
    title = (run.get("output") or {}).get("title")
    unfinished = run.get("status") != "completed" or (not only_unfinished and title in (UNFINISHED_TITLE, REAPED_TITLE))
    if not unfinished:
        return False
    complete_check_run(gh, repo, run, result)
    return True
