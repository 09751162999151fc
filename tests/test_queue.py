"""The RQ queue (bot.queue) on a real Redis: delivery dedupe, per-head collapse, re-runs after a job ended, one round trip."""

from __future__ import annotations

import socket

import pytest
from rq import Callback, Queue, SimpleWorker
from rq.job import Job, JobStatus

from bot.events import JobRequest, review_job_id
from bot.queue import (
    DELIVERY_KEY_PREFIX,
    DELIVERY_TTL_SECONDS,
    FAILURE_TTL_SECONDS,
    RESULT_TTL_SECONDS,
    REVIEW_FAILED_CALLBACK,
    JobQueue,
    QueueUnavailable,
)
from bot.settings import load_settings


@pytest.fixture
def settings(redis_url):
    return load_settings(
        app_id=1,
        private_key="test-private-key",
        webhook_secret="test-webhook-secret",
        redis_url=redis_url,
        queue_name="ainascan-test",
        job_timeout_seconds=123,
    )


@pytest.fixture
def job_queue(settings, redis_conn):
    return JobQueue(settings, connection=redis_conn)


@pytest.fixture
def rq_queue(settings, redis_conn):
    return Queue(settings.queue_name, connection=redis_conn)


def review(number: int = 2, head_sha: str = "ec26c3e57ca3a959ca5aad62de7213c562f8c821", delivery_id: str | None = "d-1") -> JobRequest:
    repo = "Codertocat/Hello-World"
    return JobRequest(
        function="bot.jobs.review_pull_request",
        kwargs={"installation_id": 1, "repo": repo, "number": number, "head_sha": head_sha, "delivery_id": delivery_id},
        job_id=review_job_id(repo, number, head_sha),
        description=f"review {repo}#{number}",
    )


def runnable(function: str, job_id: str, **kwargs) -> JobRequest:
    """A job a worker in this process can really run (a stdlib function), to drive it to FINISHED or FAILED."""
    return JobRequest(function=function, kwargs=kwargs, job_id=job_id, description=function)


def run_queue_once(rq_queue: Queue, redis_conn) -> None:
    SimpleWorker([rq_queue], connection=redis_conn).work(burst=True)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_delivery_enqueues_its_job_on_the_configured_queue_with_the_configured_timeout(job_queue, rq_queue, redis_conn):
    request = review()

    submission = job_queue.submit("d-1", [request])

    assert submission.status == "queued"
    assert submission.enqueued == [request.job_id]
    assert rq_queue.job_ids == [request.job_id]
    job = Job.fetch(request.job_id, connection=redis_conn)
    assert job.func_name == "bot.jobs.review_pull_request"
    assert job.kwargs == request.kwargs
    assert job.args == ()
    assert job.timeout == 123
    assert job.retries_left == 2
    assert job.get_status() == JobStatus.QUEUED


def test_a_redelivery_does_nothing_and_the_delivery_is_remembered_for_days(job_queue, rq_queue, redis_conn):
    job_queue.submit("d-1", [review()])

    again = job_queue.submit("d-1", [review(number=3)])

    assert again.status == "duplicate"
    assert again.enqueued == again.collapsed == []
    assert len(rq_queue) == 1
    ttl = redis_conn.ttl(DELIVERY_KEY_PREFIX + "d-1")
    assert DELIVERY_TTL_SECONDS - 60 < ttl <= DELIVERY_TTL_SECONDS


def test_a_second_delivery_for_a_queued_head_collapses_into_its_job(job_queue, rq_queue):
    first = job_queue.submit("d-1", [review(delivery_id="d-1")])

    second = job_queue.submit("d-2", [review(delivery_id="d-2")])

    assert first.status == "queued"
    assert (second.status, second.collapsed) == ("collapsed", [review().job_id])
    assert len(rq_queue) == 1
    assert rq_queue.jobs[0].kwargs["delivery_id"] == "d-1"


def test_different_heads_and_pull_requests_get_their_own_jobs(job_queue, rq_queue):
    submission = job_queue.submit("d-1", [review(number=2), review(number=3), review(number=2, head_sha="f" * 40)])

    assert len(submission.enqueued) == 3
    assert len(rq_queue) == 3


def test_without_a_delivery_id_nothing_is_deduplicated_but_heads_still_collapse(job_queue, rq_queue, redis_conn):
    job_queue.submit(None, [review()])
    again = job_queue.submit(None, [review()])

    assert again.status == "collapsed"
    assert len(rq_queue) == 1
    assert redis_conn.keys(DELIVERY_KEY_PREFIX + "*") == []


def test_an_empty_list_of_jobs_touches_nothing(job_queue, redis_conn):
    submission = job_queue.submit("d-1", [])

    assert submission.status == "ignored"
    assert redis_conn.keys("*") == []


def test_a_rerequest_after_the_job_finished_runs_again(job_queue, rq_queue, redis_conn):
    request = runnable("json.dumps", "rerun-finished", obj=[1, 2])
    job_queue.submit("d-1", [request])
    run_queue_once(rq_queue, redis_conn)
    assert Job.fetch(request.job_id, connection=redis_conn).get_status() == JobStatus.FINISHED

    again = job_queue.submit("d-2", [request])

    assert again.status == "queued"
    assert rq_queue.job_ids == [request.job_id]
    assert Job.fetch(request.job_id, connection=redis_conn).get_status() == JobStatus.QUEUED
    run_queue_once(rq_queue, redis_conn)
    assert Job.fetch(request.job_id, connection=redis_conn).return_value() == "[1, 2]"


def test_a_rerequest_after_the_job_failed_for_good_runs_again(settings, redis_conn, rq_queue):
    job_queue = JobQueue(settings, connection=redis_conn, retry=None)
    request = runnable("json.loads", "rerun-failed", s="{not json")
    job_queue.submit("d-1", [request])
    run_queue_once(rq_queue, redis_conn)
    assert Job.fetch(request.job_id, connection=redis_conn).get_status() == JobStatus.FAILED

    again = job_queue.submit("d-2", [request])

    assert again.status == "queued"
    assert Job.fetch(request.job_id, connection=redis_conn).get_status() == JobStatus.QUEUED
    assert rq_queue.failed_job_registry.get_job_ids() == []


def test_a_delivery_while_a_retry_is_scheduled_collapses_into_the_retry(job_queue, rq_queue, redis_conn):
    request = runnable("json.loads", "retry-pending", s="{not json")
    job_queue.submit("d-1", [request])
    run_queue_once(rq_queue, redis_conn)
    assert Job.fetch(request.job_id, connection=redis_conn).get_status() == JobStatus.SCHEDULED

    again = job_queue.submit("d-2", [request])

    assert again.status == "collapsed"
    assert len(rq_queue) == 0


def test_redis_down_raises_queue_unavailable_and_ping_says_so(settings):
    down = JobQueue(settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{closed_port()}/0"}))

    with pytest.raises(QueueUnavailable):
        down.submit("d-1", [review()])
    assert down.ping() is False


def test_ping_is_true_when_redis_answers(job_queue):
    assert job_queue.ping() is True


# ---------------------------------------------------------------- one round trip, and the web process's asyncio path


def count_commands(connection, monkeypatch) -> list[str]:
    """The Redis commands `connection` sends from now on (one per round trip: the queue pipelines nothing)."""
    sent: list[str] = []
    original = connection.execute_command

    def counted(*args, **options):
        sent.append(str(args[0]))
        return original(*args, **options)

    monkeypatch.setattr(connection, "execute_command", counted)
    return sent


def test_a_delivery_is_deduped_and_enqueued_in_one_round_trip(job_queue, redis_conn, monkeypatch):
    job_queue.submit("d-0", [review(number=9)])  # the script is loaded into Redis once
    sent = count_commands(redis_conn, monkeypatch)

    submission = job_queue.submit("d-1", [review(number=2), review(number=3)])
    again = job_queue.submit("d-1", [review(number=2)])

    assert (submission.status, again.status) == ("queued", "duplicate")
    assert sent == ["EVALSHA", "EVALSHA"]


def test_a_job_enqueued_by_the_script_is_the_job_rqs_own_unique_enqueue_writes(job_queue, rq_queue, redis_conn):
    request = runnable("json.dumps", "by-script", obj={"ran": True})
    job_queue.submit("d-1", [request])
    by_rq = job_queue.queue.enqueue_call(
        "json.dumps", kwargs={"obj": {"ran": True}}, job_id="by-rq", description="json.dumps", result_ttl=RESULT_TTL_SECONDS,
        failure_ttl=FAILURE_TTL_SECONDS, retry=job_queue.retry, on_failure=Callback(REVIEW_FAILED_CALLBACK), unique=True,
    )

    ours, theirs = redis_conn.hgetall("rq:job:by-script"), redis_conn.hgetall(by_rq.key)
    assert set(ours) == set(theirs)
    for name in (b"status", b"origin", b"timeout", b"result_ttl", b"failure_ttl", b"retries_left", b"retry_intervals", b"failure_callback_name", b"description"):
        assert ours[name] == theirs[name], name
    assert redis_conn.ttl("rq:job:by-script") == redis_conn.ttl(by_rq.key) == -1
    assert rq_queue.job_ids == ["by-script", "by-rq"]
    assert rq_queue.key.encode() in redis_conn.smembers("rq:queues")

    run_queue_once(rq_queue, redis_conn)

    assert Job.fetch("by-script", connection=redis_conn).return_value() == '{"ran": true}'


def submit_async(job_queue: JobQueue, *submissions: tuple[str | None, list[JobRequest]]):
    """Run submit_async for each (delivery id, requests) at once on one event loop, as concurrent webhooks are."""
    import asyncio

    async def run():
        try:
            return await asyncio.gather(*(job_queue.submit_async(delivery, requests) for delivery, requests in submissions))
        finally:
            await job_queue.aclose()

    return asyncio.run(run())


def test_the_asyncio_path_dedupes_deliveries_and_keeps_one_job_per_head(job_queue, rq_queue):
    [first] = submit_async(job_queue, ("d-1", [review(delivery_id="d-1")]))
    outcomes = submit_async(job_queue, *[(f"d-{n}", [review(delivery_id=f"d-{n}")]) for n in range(2, 40)], ("d-1", [review(number=5)]))

    assert first.status == "queued"
    assert [outcome.status for outcome in outcomes] == ["collapsed"] * 38 + ["duplicate"]
    assert rq_queue.job_ids == [review().job_id]
    assert rq_queue.jobs[0].kwargs["delivery_id"] == "d-1"


def test_concurrent_deliveries_for_one_head_queue_it_once(job_queue, rq_queue):
    outcomes = submit_async(job_queue, *[(f"burst-{n}", [review(delivery_id=f"burst-{n}")]) for n in range(50)])

    assert sorted(outcome.status for outcome in outcomes) == ["collapsed"] * 49 + ["queued"]
    assert len(rq_queue) == 1


def test_the_asyncio_path_runs_an_ended_job_again(job_queue, rq_queue, redis_conn):
    request = runnable("json.dumps", "async-rerun", obj=[3])
    submit_async(job_queue, ("d-1", [request]))
    run_queue_once(rq_queue, redis_conn)

    [again] = submit_async(job_queue, ("d-2", [request]))

    assert again.status == "queued"
    assert Job.fetch(request.job_id, connection=redis_conn).get_status() == JobStatus.QUEUED
    assert rq_queue.job_ids == [request.job_id]


def test_redis_down_raises_queue_unavailable_on_the_asyncio_path_too(settings):
    down = JobQueue(settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{closed_port()}/0"}))

    with pytest.raises(QueueUnavailable):
        submit_async(down, ("d-1", [review()]))
