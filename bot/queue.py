"""Put routed webhooks on the RQ queue: once per delivery, once per review while one is pending.

Two kinds of duplicates are dropped here:
- a redelivery (same `X-GitHub-Delivery` id) is remembered in Redis with
  SET NX and a TTL of a few days, and does nothing the second time;
- a second delivery for a head already queued or running (say `pull_request
  synchronize` and `check_suite requested` for one push) shares its job id
  and collapses into it through rq's unique enqueue.

A job that already FINISHED, FAILED or was stopped does not block a new one:
a re-requested check must run again, so the old job is deleted and the new
one enqueued (rq's unique enqueue alone would refuse it for `result_ttl`).

Every job is enqueued with a timeout, retries (Settings.job_retries after
Settings.job_retry_intervals) and a failure callback named by dotted path
("bot.jobs.review_attempt_failed": the web process never imports the
worker's code) that concludes the check run when the last attempt fails.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import redis
from rq import Callback, Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus

from bot.events import JobRequest
from bot.logs import fields
from bot.settings import Settings

log = logging.getLogger(__name__)

DELIVERY_KEY_PREFIX = "ainascan:delivery:"
DELIVERY_TTL_SECONDS = 3 * 24 * 3600  # GitHub lets an app redeliver for the last few days.
RESULT_TTL_SECONDS = 3600
FAILURE_TTL_SECONDS = 7 * 24 * 3600
# Transient GitHub failures: back off at least a minute (secondary rate limits), then longer.
RETRY = Retry(max=2, interval=[60, 300])
# Runs after every failed attempt (in the worker); concludes the check run after the last one.
REVIEW_FAILED_CALLBACK = "bot.jobs.review_attempt_failed"
USE_SETTINGS = object()
ACTIVE_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.STARTED, JobStatus.DEFERRED, JobStatus.SCHEDULED, JobStatus.CREATED})


class QueueUnavailable(Exception):
    """Redis could not be reached or answered with an error; the web process answers 503."""


@dataclass
class Submission:
    """What became of one delivery's job requests."""

    duplicate_delivery: bool = False
    enqueued: list[str] = field(default_factory=list)
    collapsed: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.duplicate_delivery:
            return "duplicate"
        if self.enqueued:
            return "queued"
        return "collapsed" if self.collapsed else "ignored"


def retry_policy(settings: Settings) -> Retry | None:
    """RQ's Retry from the settings: `job_retries` more attempts after `job_retry_intervals` seconds (None: no retry)."""
    retries = getattr(settings, "job_retries", RETRY.max)
    if not retries:
        return None
    return Retry(max=retries, interval=list(getattr(settings, "job_retry_intervals", RETRY.intervals)) or 0)


def connect(redis_url: str) -> redis.Redis:
    """A Redis client for the web process: short timeouts so an outage answers 503 in milliseconds, not hangs."""
    return redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)


class JobQueue:
    """The bot's RQ queue (Settings.queue_name on Settings.redis_url) and the delivery ids it has seen."""

    def __init__(self, settings: Settings, connection: redis.Redis | None = None, retry: Retry | None | object = USE_SETTINGS) -> None:
        self.connection = connection if connection is not None else connect(settings.redis_url)
        self.retry = retry_policy(settings) if retry is USE_SETTINGS else retry
        self.queue = Queue(settings.queue_name, connection=self.connection, default_timeout=settings.job_timeout_seconds)

    def ping(self) -> bool:
        """Whether Redis answers."""
        try:
            return bool(self.connection.ping())
        except redis.RedisError:
            return False

    def submit(self, delivery_id: str | None, requests: list[JobRequest]) -> Submission:
        """Enqueue a delivery's jobs unless the delivery was seen before; raises QueueUnavailable when Redis is down."""
        submission = Submission()
        if not requests:
            return submission
        try:
            if delivery_id and not self._first_sighting(delivery_id):
                submission.duplicate_delivery = True
                return submission
            try:
                for request in requests:
                    (submission.enqueued if self._enqueue(request) else submission.collapsed).append(request.job_id)
            except Exception:
                # Forget the delivery so GitHub's (or an operator's) redelivery can try again.
                if delivery_id:
                    self._forget(delivery_id)
                raise
        except redis.RedisError as exc:
            raise QueueUnavailable(f"Redis is unreachable: {exc.__class__.__name__}: {exc}") from exc
        return submission

    def _first_sighting(self, delivery_id: str) -> bool:
        return bool(self.connection.set(DELIVERY_KEY_PREFIX + delivery_id, 1, nx=True, ex=DELIVERY_TTL_SECONDS))

    def _forget(self, delivery_id: str) -> None:
        try:
            self.connection.delete(DELIVERY_KEY_PREFIX + delivery_id)
        except redis.RedisError:
            log.warning("could not forget a delivery after a failed enqueue", extra=fields(delivery_id=delivery_id))

    def _enqueue(self, request: JobRequest) -> bool:
        """Enqueue one job; False when a job with its id is already queued or running (collapsed)."""
        for _attempt in range(2):
            try:
                self.queue.enqueue_call(
                    func=request.function,
                    kwargs=request.kwargs,
                    job_id=request.job_id,
                    description=request.description,
                    result_ttl=RESULT_TTL_SECONDS,
                    failure_ttl=FAILURE_TTL_SECONDS,
                    retry=self.retry,
                    on_failure=Callback(REVIEW_FAILED_CALLBACK),
                    unique=True,
                )
                return True
            except DuplicateJobError:
                if not self._delete_if_done(request.job_id):
                    return False
        return False

    def _delete_if_done(self, job_id: str) -> bool:
        """Delete the job with this id if it has finished one way or another; False when it is still pending.

        WATCH makes the status check and the delete one step: if another web
        process replaced the job in between, the transaction aborts and the
        new job is left alone (it then collapses).
        """
        with self.connection.pipeline() as pipe:
            try:
                pipe.watch(Job.key_for(job_id))
                try:
                    job = Job.fetch(job_id, connection=self.connection)
                except NoSuchJobError:  # expired between the enqueue and now: nothing pending to keep.
                    pipe.multi()
                    pipe.delete(Job.key_for(job_id))
                    pipe.execute()
                    return True
                if job.get_status(refresh=False) in ACTIVE_STATUSES:
                    return False
                pipe.multi()
                job.delete(pipeline=pipe)
                pipe.execute()
                return True
            except redis.WatchError:
                return False
