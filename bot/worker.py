"""The RQ worker that runs reviews, tuned so that a lost worker loses no review.

RQ alone notices a job whose worker died (SIGKILL, out of memory, node lost)
only 60-90 s after the job's last heartbeat, and only when some worker next
runs its maintenance (every 10 minutes by default). `ReviewWorker` beats
every `worker_heartbeat_seconds` while busy, runs maintenance every
`worker_maintenance_seconds`, and its maintenance also does the following
(every worker runs it; a claim in Redis makes each lost job, stuck run and
redelivery pass handled by one worker only):

- reclaims started jobs whose worker has been silent for
  `abandoned_after_seconds`: queued again at once (at the front) while they
  have attempts left, failed otherwise, after the job's failure callback
  (which concludes the check run after the last attempt);
- hands reviews past their deadline in bot.pending to the reaper job
  (`bot.jobs.reap_review`), which concludes their run and queues them again;
- queues the redelivery of failed webhooks every `redeliver_every_minutes`
  when that is set (bot/redeliver.py).

A work-horse killed outright gets no failure callback from RQ; the worker's
`work_horse_killed_handler` takes its place.
"""

from __future__ import annotations

import logging
import time

import redis
from rq import Queue, Retry, Worker
from rq.callbacks import execute_failure_callback
from rq.exceptions import AbandonedJobError, NoSuchJobError
from rq.executions import Execution
from rq.job import Job, JobStatus
from rq.job_lifecycle import record_job_failure
from rq.registry import StartedJobRegistry

from bot.events import head_review_job_id, review_job_id
from bot.jobs import overdue_after, work_horse_killed
from bot.logs import fields
from bot.pending import PendingReviews
from bot.queue import ACTIVE_STATUSES
from bot.settings import Settings

log = logging.getLogger("ainascan.worker")

REAP_JOB = "bot.jobs.reap_review"
REDELIVER_JOB = "bot.redeliver.redeliver_job"
REDELIVER_LOCK = "ainascan:redeliver:lock"
SMALL_JOB_TIMEOUT = 300


class ReviewWorker(Worker):
    """An RQ worker with short heartbeats and the bot's maintenance (see the module docstring)."""

    def __init__(self, queues, settings: Settings, **kwargs) -> None:
        maintenance = settings.worker_maintenance_seconds
        kwargs.setdefault("job_monitoring_interval", settings.worker_heartbeat_seconds)
        kwargs.setdefault("maintenance_interval", maintenance)
        # An idle worker wakes from its blocking dequeue every worker_ttl - 15 s, and runs maintenance then.
        kwargs.setdefault("worker_ttl", maintenance + 15)
        kwargs.setdefault("work_horse_killed_handler", work_horse_killed)
        super().__init__(queues, **kwargs)
        self.settings = settings

    def run_maintenance_tasks(self) -> None:
        super().run_maintenance_tasks()
        for queue in self.queues:
            try:
                reclaim_abandoned(queue, self.settings.abandoned_after_seconds, self.death_penalty_class)
                reap_overdue(queue, self.settings)
                queue_redelivery(queue, self.settings)
            except redis.RedisError as exc:
                log.warning("maintenance skipped: Redis error %s", exc)


def silent_executions(queue: Queue, silent_for: float, now: float | None = None) -> list[tuple[str, str]]:
    """(job id, execution id) of the queue's started jobs whose worker has not beaten for `silent_for` seconds."""
    now = time.time() if now is None else now
    registry = StartedJobRegistry(queue.name, connection=queue.connection)
    silent = []
    for job_id, execution_id in registry.get_job_and_execution_ids(cleanup=False):
        try:
            last_heartbeat = Execution.fetch(execution_id, job_id, queue.connection).last_heartbeat.timestamp()
        except ValueError:  # the execution's record expired: long silent
            last_heartbeat = 0.0
        if now - last_heartbeat > silent_for:
            silent.append((job_id, execution_id))
    return silent


def reclaim_abandoned(queue: Queue, silent_for: float, death_penalty_class, now: float | None = None) -> list[str]:
    """Put the started jobs of dead workers back on the queue (or fail them when no attempt is left); returns their ids."""
    registry = StartedJobRegistry(queue.name, connection=queue.connection)
    reclaimed = []
    for job_id, execution_id in silent_executions(queue, silent_for, now):
        # Removing the entry is the claim: of several workers running maintenance, one reclaims each job.
        if not queue.connection.zrem(registry.key, f"{job_id}:{execution_id}"):
            continue
        try:
            job = Job.fetch(job_id, connection=queue.connection)
        except NoSuchJobError:
            continue
        if job.get_status(refresh=False) != JobStatus.STARTED:
            if job_id in queue.intermediate_queue.get_job_ids():  # dequeued, lost before its work-horse started it
                queue.intermediate_queue.remove(job_id)
                queue.enqueue_job(job, at_front=True)
                log.warning("reclaimed job %s of a lost worker: queued again (it had not started)", job.id, extra=fields(job_id=job.id))
                reclaimed.append(job.id)
            continue
        try:
            execute_failure_callback(job, death_penalty_class, AbandonedJobError, AbandonedJobError(), None)
        except Exception:
            log.exception("the failure callback of abandoned job %s raised", job.id)
        with queue.connection.pipeline() as pipe:
            if job.retries_left:
                job.retries_left -= 1
                job.started_at = None
                queue.enqueue_job(job, pipeline=pipe, at_front=True)
                outcome = "queued again"
            else:
                record_job_failure(job, f"AbandonedJobError: its worker was silent for over {silent_for:.0f} s", pipe)
                outcome = "failed: no attempt left"
            pipe.execute()
        log.warning("reclaimed job %s of a lost worker: %s", job.id, outcome, extra=fields(job_id=job.id))
        reclaimed.append(job.id)
    return reclaimed


def reap_overdue(queue: Queue, settings: Settings, now: float | None = None) -> list[str]:
    """Queue `reap_review` for each review past its deadline that no job is handling; returns their members."""
    now = time.time() if now is None else now
    pending = PendingReviews(queue.connection)
    hold = overdue_after(settings)
    reaped = []
    for review in pending.overdue(now):
        job_id = review_job_id(review.repo, review.number, review.head_sha) if review.number is not None else head_review_job_id(review.repo, review.head_sha)
        if _job_status(queue, job_id) in ACTIVE_STATUSES:
            pending.postpone(review.member, now + hold)  # its job is queued, waiting or running: not lost
            continue
        if not pending.claim(review, int(hold)):
            continue
        pending.postpone(review.member, now + hold)
        queue.enqueue_call(
            func=REAP_JOB,
            kwargs={"installation_id": review.installation_id, "repo": review.repo, "head_sha": review.head_sha, "number": review.number, "reaped": review.reaped},
            timeout=SMALL_JOB_TIMEOUT,
            retry=Retry(max=3, interval=[10, 60, 300]),
            description=f"reap the unfinished review of {review.member}",
        )
        log.warning("review %s is past its deadline with no job: reaping it", review.member, extra=fields(repo=review.repo, head_sha=review.head_sha))
        reaped.append(review.member)
    return reaped


def queue_redelivery(queue: Queue, settings: Settings) -> bool:
    """Queue one redelivery job per `redeliver_every_minutes` across the fleet (never when it is 0)."""
    minutes = getattr(settings, "redeliver_every_minutes", 0)
    if not minutes or not queue.connection.set(REDELIVER_LOCK, 1, nx=True, ex=int(minutes * 60)):
        return False
    queue.enqueue_call(
        func=REDELIVER_JOB,
        kwargs={"since_minutes": settings.redeliver_window_minutes},
        timeout=SMALL_JOB_TIMEOUT,
        description="redeliver failed webhook deliveries",
    )
    return True


def _job_status(queue: Queue, job_id: str):
    try:
        return Job.fetch(job_id, connection=queue.connection).get_status(refresh=False)
    except NoSuchJobError:
        return None
