"""Workers killed at any point lose no review: real `ainascan worker` processes, SIGKILLed mid-review.

Each test holds one GitHub request of the review in the stand-in (so the job
is caught mid-flight, its check run `in_progress`), kills a work-horse or a
whole worker with os.kill, releases the request, and waits for the review to
end anyway: one check run, concluded, and each comment posted once. The
intervals come from the settings (heartbeat 1 s, maintenance 1 s, a job
silent for 3 s is abandoned), so each test ends in seconds.
"""

from __future__ import annotations

import os
import signal
import time

import pytest
from rq import Queue
from rq.job import Job

from bot.events import jobs_for, review_job_id
from bot.queue import JobQueue
from reliability.helpers import REPO, def_line, quick_settings, start_worker, stop, wait_for, with_hollow, work_horse_of, children_of
from standin_github import StandinGitHub, StandinServer

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or not os.path.isdir("/proc"), reason="needs fork and /proc")


@pytest.fixture
def server(app_key, app_id):
    github = StandinGitHub(app_id, app_key[1])
    github.add_repo(REPO, {"app/profiles.py": with_hollow(), ".github/ainascan.yml": "select: [MISSING_WRITE]\n"})
    with StandinServer(github) as running:
        yield running


@pytest.fixture
def workers(tmp_path):
    """Worker processes started by the test; stopped (and their logs checked for secrets) at the end."""
    started = []
    yield started
    for process in started:
        stop(process)


def review_payload(github: StandinGitHub, number: int) -> dict:
    return {
        "action": "opened",
        "number": number,
        "pull_request": github.repos[REPO].pulls[number],
        "repository": {"full_name": REPO, "name": "shop", "owner": {"login": "octo"}},
        "installation": {"id": 3},
    }


def enqueue_review(settings, redis_conn, github, number: int) -> str:
    JobQueue(settings, connection=redis_conn).submit(f"delivery-{number}", jobs_for("pull_request", review_payload(github, number), f"delivery-{number}"))
    pull = github.repos[REPO].pulls[number]
    return review_job_id(REPO, number, pull["head"]["sha"])


def concluded(github: StandinGitHub, head: str):
    runs = github.runs_for(head)
    return runs if runs and all(run["status"] == "completed" for run in runs) else None


def assert_reviewed_once(github: StandinGitHub, head: str, source: str, names: tuple[str, ...]) -> None:
    (run,) = github.runs_for(head)
    assert (run["status"], run["conclusion"]) == ("completed", "failure")
    assert sorted(a["start_line"] for a in run["annotations"]) == sorted(def_line(source, name) for name in names)
    assert sorted(c["line"] for c in github.comments) == sorted(def_line(source, name) for name in names)


def test_a_work_horse_killed_mid_review_is_retried_and_posts_once(settings, app_key, redis_conn, server, workers, tmp_path):
    github = server.github
    source = with_hollow("profile", "account")
    head = github.add_pull(REPO, 7, {"app/profiles.py": source})
    release = github.hold("GET", r"/pulls/7/files$")
    worker = start_worker(settings, app_key, server.url, tmp_path / "worker.log")
    workers.append(worker)
    job_id = enqueue_review(settings, redis_conn, github, 7)

    wait_for(lambda: github.held[r"/pulls/7/files$"], "the review to reach the held request", timeout=90.0, processes=[worker])  # a cold worker start on a busy machine
    assert [run["status"] for run in github.runs_for(head)] == ["in_progress"]
    horse = wait_for(lambda: work_horse_of(worker.pid), "the work-horse")
    os.kill(horse, signal.SIGKILL)
    release.set()

    wait_for(lambda: concluded(github, head) and github.reviews, "the retried review", processes=[worker])
    assert_reviewed_once(github, head, source, ("profile", "account"))
    # RQ records the job as finished after the job's last GitHub write, which the stand-in has already seen.
    job = wait_for(lambda: _finished(job_id, redis_conn), "the job to be recorded finished", timeout=10.0)
    assert job.retries_left == settings.job_retries - 1


def test_a_whole_worker_killed_mid_review_is_reclaimed_by_the_other_within_seconds(settings, app_key, redis_conn, server, workers, tmp_path):
    github = server.github
    source = with_hollow("profile")
    head = github.add_pull(REPO, 8, {"app/profiles.py": source})
    release = github.hold("GET", r"/pulls/8/files$")
    first = start_worker(settings, app_key, server.url, tmp_path / "first.log")
    workers.append(first)
    job_id = enqueue_review(settings, redis_conn, github, 8)
    wait_for(lambda: github.held[r"/pulls/8/files$"], "the review to reach the held request", timeout=90.0, processes=[first])  # a cold worker start on a busy machine
    horse = wait_for(lambda: work_horse_of(first.pid), "the work-horse")
    second = start_worker(settings, app_key, server.url, tmp_path / "second.log")
    workers.append(second)
    wait_for(lambda: Queue(settings.queue_name, connection=redis_conn).count == 0 and len(_workers(redis_conn, settings)) == 2, "the second worker")

    # The node is lost: worker, scheduler and work-horse die at once, with no chance to say so.
    victims = [first.pid, horse, *children_of(first.pid)]
    for pid in victims:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    killed_at = time.monotonic()
    first.wait(timeout=5)
    release.set()

    wait_for(lambda: concluded(github, head) and github.reviews, "the review, reclaimed by the second worker", timeout=45, processes=[second])
    recovered_in = time.monotonic() - killed_at
    assert recovered_in < 30, f"recovery took {recovered_in:.1f}s"
    assert_reviewed_once(github, head, source, ("profile",))
    wait_for(lambda: _finished(job_id, redis_conn), "the job to be recorded finished", timeout=10.0)


def test_a_work_horse_killed_on_its_last_attempt_concludes_the_run_neutral(app_key, app_id, redis_conn, redis_url, server, workers, tmp_path):
    settings = quick_settings(app_key, app_id, redis_url, job_retries=0)
    github = server.github
    head = github.add_pull(REPO, 9, {"app/profiles.py": with_hollow("profile")})
    release = github.hold("GET", r"/pulls/9/files$")
    worker = start_worker(settings, app_key, server.url, tmp_path / "worker.log")
    workers.append(worker)
    enqueue_review(settings, redis_conn, github, 9)
    wait_for(lambda: github.held[r"/pulls/9/files$"], "the review to reach the held request", timeout=90.0, processes=[worker])  # a cold worker start on a busy machine
    os.kill(wait_for(lambda: work_horse_of(worker.pid), "the work-horse"), signal.SIGKILL)
    release.set()

    (run,) = wait_for(lambda: concluded(github, head), "the conclusion of the failed review", processes=[worker])
    assert (run["conclusion"], run["output"]["title"]) == ("neutral", "AINAScan gave up on this commit")
    assert "killed by signal 9" in run["output"]["summary"] and "Re-run this check" in run["output"]["summary"]
    assert github.reviews == []


def _workers(redis_conn, settings):
    from rq import Worker

    return Worker.all(queue=Queue(settings.queue_name, connection=redis_conn))


def _finished(job_id: str, redis_conn) -> Job | None:
    """The job, once RQ has recorded it as finished."""
    job = Job.fetch(job_id, connection=redis_conn)
    return job if job.get_status() == "finished" else None
