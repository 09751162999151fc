"""Tests for bot/worker.py's maintenance on a real Redis: jobs of lost workers reclaimed, overdue reviews reaped once."""

from __future__ import annotations

import time

import pytest
from rq import Queue, Retry, Worker
from rq.job import JobStatus

from bot.worker import reclaim_abandoned, silent_executions


@pytest.fixture
def queue(redis_conn) -> Queue:
    return Queue("ainascan-worker-test", connection=redis_conn)


def lost_mid_run(queue: Queue, redis_conn, *, started: bool, silent_for: float, retries: int = 2):
    """A job a worker dequeued and then lost: its execution's last heartbeat `silent_for` seconds ago."""
    job = queue.enqueue("json.dumps", kwargs={"obj": 1}, retry=Retry(max=retries) if retries else None)
    redis_conn.lrem(queue.key, 0, job.id)
    redis_conn.lpush(queue.intermediate_queue.key, job.id)
    execution = Worker([queue], connection=redis_conn).prepare_execution(job)
    redis_conn.hset(execution.key, "last_heartbeat", time.time() - silent_for)
    if started:
        job.set_status(JobStatus.STARTED)
    return job


def test_only_executions_silent_long_enough_are_reported(queue, redis_conn):
    fresh = lost_mid_run(queue, redis_conn, started=True, silent_for=1)
    silent = lost_mid_run(queue, redis_conn, started=True, silent_for=40)
    assert [job_id for job_id, _ in silent_executions(queue, 30)] == [silent.id]
    assert fresh.id not in queue.job_ids


def test_a_started_job_of_a_lost_worker_is_queued_again_at_the_front_with_one_attempt_less(queue, redis_conn):
    queue.enqueue("json.dumps", kwargs={"obj": 2})
    job = lost_mid_run(queue, redis_conn, started=True, silent_for=40)
    from rq.timeouts import UnixSignalDeathPenalty as penalty

    assert reclaim_abandoned(queue, 30, penalty) == [job.id]
    assert reclaim_abandoned(queue, 30, penalty) == []  # claimed once
    job.refresh()
    assert queue.job_ids[0] == job.id and job.get_status() == JobStatus.QUEUED and job.retries_left == 1
    assert job.id not in queue.started_job_registry.get_job_ids(cleanup=False)


def test_a_job_lost_before_its_work_horse_started_it_is_queued_again(queue, redis_conn):
    from rq.timeouts import UnixSignalDeathPenalty as penalty

    job = lost_mid_run(queue, redis_conn, started=False, silent_for=40)
    assert reclaim_abandoned(queue, 30, penalty) == [job.id]
    assert queue.job_ids == [job.id] and job.id not in queue.intermediate_queue.get_job_ids()
    assert job.retries_left == 2


def test_a_lost_job_with_no_attempt_left_fails(queue, redis_conn):
    from rq.timeouts import UnixSignalDeathPenalty as penalty

    job = lost_mid_run(queue, redis_conn, started=True, silent_for=40, retries=0)
    assert reclaim_abandoned(queue, 30, penalty) == [job.id]
    assert job.get_status(refresh=True) == JobStatus.FAILED and job.id in queue.failed_job_registry.get_job_ids()
