"""Put routed webhooks on the RQ queue: once per delivery, once per review while one is pending.

Two kinds of duplicates are dropped here:
- a redelivery (same `X-GitHub-Delivery` id) is remembered in Redis with
  SET NX and a TTL of a few days, and does nothing the second time;
- a second delivery for a head already queued or running (say `pull_request
  synchronize` and `check_suite requested` for one push) shares its job id
  and collapses into it, as rq's unique enqueue would.

Both, and the enqueue itself, are one Lua script (SUBMIT_SCRIPT): one round
trip per webhook, and atomic, so a delivery is never remembered without its
jobs. The jobs are rq's own: built by `Queue.create_job`, saved as the hash
`Job.to_dict()` gives and pushed on the queue, exactly what rq's unique
enqueue writes (rq.scripts.UNIQUE_ENQUEUE_SCRIPT), so `rq worker` runs them.

A job that already FINISHED, FAILED or was stopped does not block a new one:
a re-requested check must run again, so the script leaves such a job to
Python, which deletes it through rq (its registries, its results) and
enqueues the new one (rq's unique enqueue alone would refuse it for
`result_ttl`). This slow path is rare: one re-run per re-requested check.

Every job is enqueued with a timeout, retries (Settings.job_retries after
Settings.job_retry_intervals) and a failure callback named by dotted path
("bot.jobs.review_attempt_failed": the web process never imports the
worker's code) that concludes the check run when the last attempt fails.
The web process submits through redis.asyncio (`submit_async`), so waiting
for Redis takes no thread; `submit` is the same for synchronous callers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import redis
import redis.asyncio
from redis.asyncio.retry import Retry as AsyncRetry
from redis.backoff import NoBackoff
from redis.commands.core import AsyncScript
from rq import Callback, Queue, Retry
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.utils import now

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

# What the script answers: for the delivery as a whole, or for each job.
DUPLICATE_DELIVERY, COLLAPSED, ENQUEUED, ENDED = -1, 0, 1, 2

SUBMIT_SCRIPT = """
-- KEYS[1]: the delivery's key, or "" when the delivery has no id
-- KEYS[2]: the queue (a list of job ids); KEYS[3]: rq's set of queues
-- KEYS[4..]: the hash of each job
-- ARGV[1]: seconds the delivery is remembered; then for each job:
--   its id, its TTL (-1: none), the number N of hash arguments, then N arguments (field, value, ...)
-- Answers -1 for a delivery seen before, else one code per job:
--   1 enqueued, 0 collapsed into a pending job, 2 a job with that id has ended (Python re-runs it).
-- Redis does not undo a script's writes when a command in it fails, so each write comes after
-- what depends on it: the id on the queue before the job's hash (a worker skips an id without
-- a hash, a later delivery would collapse into a hash without an id), the delivery last.
local active = {%(active)s}
if KEYS[1] ~= "" and redis.call("EXISTS", KEYS[1]) == 1 then
  return -1
end
local answers, at, enqueued = {}, 2, false
for i = 4, #KEYS do
  local job_id, ttl, count = ARGV[at], tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
  if redis.call("EXISTS", KEYS[i]) == 1 then
    local status = redis.call("HGET", KEYS[i], "status")
    answers[#answers + 1] = (status and active[status]) and 0 or 2
  else
    redis.call("RPUSH", KEYS[2], job_id)
    redis.call("HSET", KEYS[i], unpack(ARGV, at + 3, at + 2 + count))
    if ttl > 0 then
      redis.call("EXPIRE", KEYS[i], ttl)
    end
    enqueued = true
    answers[#answers + 1] = 1
  end
  at = at + 3 + count
end
if enqueued then
  redis.call("SADD", KEYS[3], KEYS[2])
end
if KEYS[1] ~= "" then
  redis.call("SET", KEYS[1], 1, "EX", ARGV[1])
end
return answers
""" % {"active": ", ".join(f'["{status.value}"] = true' for status in sorted(ACTIVE_STATUSES))}


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


# Short timeouts so an outage answers 503 in milliseconds, not hangs.
CONNECTION_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5, "health_check_interval": 30}


def connect(redis_url: str) -> redis.Redis:
    """A Redis client for the web process."""
    return redis.Redis.from_url(redis_url, **CONNECTION_OPTIONS)


def job_hash(job: Job) -> list[Any]:
    """The job's Redis hash as HSET arguments (field, value, ...): what rq's own unique enqueue writes."""
    arguments: list[Any] = []
    for name, value in job.to_dict().items():
        if value is not None:
            arguments += [name, value if isinstance(value, (str, bytes)) else str(value)]
    return arguments


class JobQueue:
    """The bot's RQ queue (Settings.queue_name on Settings.redis_url) and the delivery ids it has seen."""

    def __init__(self, settings: Settings, connection: redis.Redis | None = None, retry: Retry | None | object = USE_SETTINGS) -> None:
        self.connection = connection if connection is not None else connect(settings.redis_url)
        self.retry = retry_policy(settings) if retry is USE_SETTINGS else retry
        self.queue = Queue(settings.queue_name, connection=self.connection, default_timeout=settings.job_timeout_seconds)
        self._redis_url = settings.redis_url
        self._script = self.connection.register_script(SUBMIT_SCRIPT)
        self._async_script: AsyncScript | None = None

    @property
    def async_script(self) -> AsyncScript:
        """SUBMIT_SCRIPT on an asyncio client of the same Redis, made on first use (it belongs to the event loop that uses it)."""
        if self._async_script is None:
            # One retry on a new connection when the pooled one is dead (Redis restarted); none after a timeout,
            # which would double the wait. Running the script twice is harmless: the second run finds the
            # delivery, or the job, that the first one wrote.
            retry = AsyncRetry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))
            client = redis.asyncio.Redis.from_url(self._redis_url, retry=retry, **CONNECTION_OPTIONS)
            self._async_script = client.register_script(SUBMIT_SCRIPT)
        return self._async_script

    async def aclose(self) -> None:
        """Close the asyncio client's connections (the web process's shutdown)."""
        if self._async_script is not None:
            await self._async_script.registered_client.aclose()
            self._async_script = None

    def ping(self) -> bool:
        """Whether Redis answers."""
        try:
            return bool(self.connection.ping())
        except redis.RedisError:
            return False

    def submit(self, delivery_id: str | None, requests: list[JobRequest]) -> Submission:
        """Enqueue a delivery's jobs unless the delivery was seen before; raises QueueUnavailable when Redis is down."""
        if not requests:
            return Submission()
        keys, arguments = self._script_call(delivery_id, requests)
        try:
            answers = self._script(keys=keys, args=arguments)
        except redis.RedisError as exc:
            raise _unavailable(exc) from exc
        return self._submission(delivery_id, requests, answers)

    async def submit_async(self, delivery_id: str | None, requests: list[JobRequest]) -> Submission:
        """`submit` in one round trip of the asyncio client; only the rare re-run of an ended job takes a thread."""
        if not requests:
            return Submission()
        keys, arguments = self._script_call(delivery_id, requests)
        try:
            answers = await self.async_script(keys=keys, args=arguments)
        except redis.RedisError as exc:
            raise _unavailable(exc) from exc
        if ENDED in _codes(answers):
            return await asyncio.to_thread(self._submission, delivery_id, requests, answers)
        return self._submission(delivery_id, requests, answers)

    def _script_call(self, delivery_id: str | None, requests: list[JobRequest]) -> tuple[list[str], list[Any]]:
        """SUBMIT_SCRIPT's keys and arguments for these requests."""
        keys = [DELIVERY_KEY_PREFIX + delivery_id if delivery_id else "", self.queue.key, self.queue.redis_queues_keys]
        arguments: list[Any] = [DELIVERY_TTL_SECONDS]
        for request in requests:
            job = self._job(request)
            fields_and_values = job_hash(job)
            keys.append(job.key)
            arguments += [job.id, job.ttl if job.ttl is not None else -1, len(fields_and_values), *fields_and_values]
        return keys, arguments

    def _job_options(self, request: JobRequest) -> dict[str, Any]:
        """What every job of ours is enqueued with, by the script's path and by rq's alike."""
        return {
            "kwargs": request.kwargs,
            "job_id": request.job_id,
            "description": request.description,
            "result_ttl": RESULT_TTL_SECONDS,
            "failure_ttl": FAILURE_TTL_SECONDS,
            "retry": self.retry,
            "on_failure": Callback(REVIEW_FAILED_CALLBACK),
        }

    def _job(self, request: JobRequest) -> Job:
        """The rq job of a request, as rq's enqueue prepares it (origin, status QUEUED, enqueued now)."""
        job = self.queue.create_job(request.function, **self._job_options(request), status=JobStatus.QUEUED)
        job.enqueued_at = now()
        return job

    def _submission(self, delivery_id: str | None, requests: list[JobRequest], answers) -> Submission:
        """What the script's answers mean; jobs that had ended are re-run here (synchronous: rq's delete)."""
        submission = Submission()
        codes = _codes(answers)
        if codes == [DUPLICATE_DELIVERY]:
            submission.duplicate_delivery = True
            return submission
        try:
            for request, code in zip(requests, codes, strict=True):
                enqueued = code == ENQUEUED or (code == ENDED and self._enqueue(request))
                (submission.enqueued if enqueued else submission.collapsed).append(request.job_id)
        except Exception as exc:
            # Forget the delivery so GitHub's (or an operator's) redelivery can try again.
            if delivery_id:
                self._forget(delivery_id)
            if isinstance(exc, redis.RedisError):
                raise _unavailable(exc) from exc
            raise
        return submission

    def _forget(self, delivery_id: str) -> None:
        try:
            self.connection.delete(DELIVERY_KEY_PREFIX + delivery_id)
        except redis.RedisError:
            log.warning("could not forget a delivery after a failed enqueue", extra=fields(delivery_id=delivery_id))

    def _enqueue(self, request: JobRequest) -> bool:
        """Enqueue one job through rq; False when a job with its id is already queued or running (collapsed)."""
        for _attempt in range(2):
            try:
                self.queue.enqueue_call(func=request.function, **self._job_options(request), unique=True)
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


def _codes(answers: Sequence[int] | int) -> list[int]:
    return [int(answers)] if isinstance(answers, int) else [int(code) for code in answers]


def _unavailable(exc: redis.RedisError) -> QueueUnavailable:
    return QueueUnavailable(f"Redis is unreachable: {exc.__class__.__name__}: {exc}")
