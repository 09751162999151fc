"""Jobs that fail, overrun or vanish still conclude their check run; retried jobs add only what is missing.

These run the real RQ jobs in this process (SimpleWorker) against the
stand-in behind respx, so the failure callback, retries and the reaper are
exercised as a worker runs them.
"""

from __future__ import annotations

import time

import pytest
from rq import Queue
from rq.job import Job

from analyzer.registry import all_rules
from bot.events import jobs_for, review_job_id
from bot.jobs import GAVE_UP_TITLE, REAPED_TITLE, UNFINISHED_TITLE
from bot.pending import PendingReview, PendingReviews
from bot.queue import JobQueue
from bot.worker import reap_overdue
from reliability.helpers import REPO, def_line, drain, with_hollow


def enqueue(settings, redis_conn, standin, number: int) -> str:
    pull = standin.repos[REPO].pulls[number]
    payload = {"action": "opened", "number": number, "pull_request": pull, "repository": {"full_name": REPO}, "installation": {"id": 3}}
    JobQueue(settings, connection=redis_conn).submit(f"d-{number}", jobs_for("pull_request", payload, f"d-{number}"))
    return review_job_id(REPO, number, pull["head"]["sha"])


@pytest.fixture
def queue(settings, redis_conn) -> Queue:
    return Queue(settings.queue_name, connection=redis_conn)


def test_a_review_that_fails_every_attempt_concludes_neutral_saying_what_failed(as_environment, redis_conn, queue, standin, no_sleep):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": with_hollow("profile")})
    for _ in range(40):  # every attempt, and every HTTP retry within it
        standin.fail_next("GET", r"/pulls/7/files$", 502, message="Bad Gateway")
    job_id = enqueue(as_environment, redis_conn, standin, 7)
    drain(queue)

    (run,) = standin.runs_for(head)
    assert (run["status"], run["conclusion"], run["output"]["title"]) == ("completed", "neutral", GAVE_UP_TITLE)
    assert f"GitHub answered 502 to GET /repos/{REPO}/pulls/7/files" in run["output"]["summary"]
    assert "will not be retried on its own" in run["output"]["summary"]
    files_reads = [r for r in standin.requests if r.path.endswith("/pulls/7/files")]
    assert len(files_reads) == (1 + as_environment.job_retries) * 4  # each attempt: a request and 3 HTTP retries
    job = Job.fetch(job_id, connection=redis_conn)
    assert job.get_status() == "failed" and job.timeout == as_environment.job_timeout_seconds
    assert PendingReviews(redis_conn).overdue(time.time() + 10**6) == []  # nothing left for the reaper


def test_a_failed_attempt_says_it_will_be_retried_and_the_retry_gives_the_verdict(as_environment, redis_conn, queue, standin, no_sleep):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": with_hollow("profile")})
    for _ in range(4):  # the first attempt only
        standin.fail_next("GET", r"/pulls/7/files$", 503)
    enqueue(as_environment, redis_conn, standin, 7)
    drain(queue)

    (run,) = standin.runs_for(head)
    assert (run["conclusion"], run["output"]["title"]) == ("failure", "1 BLOCK")
    neutral = [r.body for r in standin.requests if r.method == "PATCH" and r.body.get("conclusion") == "neutral"]
    assert [body["output"]["title"] for body in neutral] == [UNFINISHED_TITLE]
    assert len(standin.comments) == 1


def test_a_job_over_its_timeout_is_stopped_retried_and_finally_concluded(app_key, app_id, redis_conn, redis_url, standin, monkeypatch):
    from reliability.helpers import quick_settings, settings_environment
    from bot.settings import get_settings

    all_rules()  # as `ainascan worker` preloads it: the one-second limit is for the review, not for imports
    settings = quick_settings(app_key, app_id, redis_url, job_timeout_seconds=1, job_retries=1)
    for name, value in settings_environment(settings, app_key).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        head = standin.add_pull(REPO, 7, {"app/profiles.py": with_hollow("profile")})
        release = standin.hold("GET", r"/pulls/7/files$")  # never released: each attempt overruns
        job_id = enqueue(settings, redis_conn, standin, 7)
        drain(Queue(settings.queue_name, connection=redis_conn))
        release.set()
    finally:
        get_settings.cache_clear()

    (run,) = standin.runs_for(head)
    assert (run["conclusion"], run["output"]["title"]) == ("neutral", GAVE_UP_TITLE)
    assert "it ran past its 1-second time limit" in run["output"]["summary"]
    assert standin.held[r"/pulls/7/files$"] == 2  # the first attempt and its one retry
    assert Job.fetch(job_id, connection=redis_conn).get_status() == "failed"


def test_the_reaper_concludes_a_run_left_in_progress_and_queues_its_review_again(as_environment, redis_conn, queue, standin):
    source = with_hollow("profile")
    head = standin.add_pull(REPO, 7, {"app/profiles.py": source})
    # What a review that died with its job (say, Redis restarted without persistence) leaves behind:
    standin.check_runs.append(
        {"id": 55, "repo": REPO, "name": "AINAScan", "head_sha": head, "status": "in_progress", "conclusion": None, "started_at": "2030-01-01T00:00:00Z",
         "completed_at": None, "output": {"title": None, "summary": None, "annotations_count": 0}, "app": {"id": standin.app_id}, "annotations": []}
    )
    pending = PendingReviews(redis_conn)
    pending.expect(PendingReview(3, REPO, head, 7), deadline=time.time() - 1)

    assert reap_overdue(queue, as_environment) == [f"{REPO}@{head}"]
    assert reap_overdue(queue, as_environment) == []  # claimed once, however many workers look
    drain(queue)

    (run,) = standin.runs_for(head)
    assert run["id"] == 55 and (run["status"], run["conclusion"]) == ("completed", "failure")
    reaped = [r.body for r in standin.requests if r.method == "PATCH" and (r.body.get("output") or {}).get("title") == REAPED_TITLE]
    assert len(reaped) == 1 and reaped[0]["conclusion"] == "neutral" and "queued again" in reaped[0]["output"]["summary"]
    assert [c["line"] for c in standin.comments] == [def_line(source, "profile")]
    assert pending.overdue(time.time() + 10**6) == []


def test_the_reaper_leaves_a_review_whose_job_is_still_queued(as_environment, redis_conn, queue, standin):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": with_hollow("profile")})
    enqueue(as_environment, redis_conn, standin, 7)
    PendingReviews(redis_conn).expect(PendingReview(3, REPO, head, 7), deadline=time.time() - 1)

    assert reap_overdue(queue, as_environment) == []
    assert len(queue) == 1 and standin.requests == []


def test_a_review_reaped_too_often_is_concluded_not_queued_forever(as_environment, redis_conn, queue, standin):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": with_hollow("profile")})
    standin.check_runs.append(
        {"id": 56, "repo": REPO, "name": "AINAScan", "head_sha": head, "status": "in_progress", "conclusion": None, "started_at": "2030-01-01T00:00:00Z",
         "completed_at": None, "output": {"title": None, "summary": None, "annotations_count": 0}, "app": {"id": standin.app_id}, "annotations": []}
    )
    PendingReviews(redis_conn).expect(PendingReview(3, REPO, head, 7, reaped=2), deadline=time.time() - 1)
    reap_overdue(queue, as_environment)
    drain(queue)

    (run,) = standin.runs_for(head)
    assert (run["conclusion"], run["output"]["title"]) == ("neutral", REAPED_TITLE)
    assert "lost too often" in run["output"]["summary"]
    assert not [r for r in standin.requests if r.path.endswith("/pulls/7/files")]


def test_a_review_whose_answer_is_lost_is_not_posted_twice(as_environment, redis_conn, queue, standin, no_sleep):
    source = with_hollow("profile", "account", "invoice")
    head = standin.add_pull(REPO, 7, {"app/profiles.py": source})
    standin.drop_next("POST", r"/pulls/7/reviews$", "timeout", after=True)  # GitHub posts it; the answer never comes
    standin.fail_next("POST", r"/check-runs$", 502, after=True)  # the run is created; the answer is a 502
    enqueue(as_environment, redis_conn, standin, 7)
    drain(queue)

    (run,) = standin.runs_for(head)
    assert run["conclusion"] == "failure" and len(run["annotations"]) == 3
    assert len(standin.reviews) == 1 and len(standin.comments) == 3
    assert len([r for r in standin.requests if r.method == "POST" and r.path.endswith("/reviews")]) == 1


def test_a_job_retried_after_it_posted_finds_its_run_and_comments_and_adds_nothing(as_environment, redis_conn, queue, standin, monkeypatch):
    import bot.jobs

    source = with_hollow("profile", "account", "invoice")
    head = standin.add_pull(REPO, 7, {"app/profiles.py": source})
    real_post_review = bot.jobs.post_review
    calls = []

    def post_then_die(*args, **kwargs):
        calls.append(1)
        outcome = real_post_review(*args, **kwargs)
        if len(calls) == 1:
            raise RuntimeError("the worker was lost right after posting")
        return outcome

    monkeypatch.setattr(bot.jobs, "post_review", post_then_die)
    job_id = enqueue(as_environment, redis_conn, standin, 7)
    drain(queue)

    job = Job.fetch(job_id, connection=redis_conn)
    assert job.get_status() == "finished" and job.retries_left == as_environment.job_retries - 1 and len(calls) == 2
    (run,) = standin.runs_for(head)
    assert run["conclusion"] == "failure" and len(run["annotations"]) == 3
    assert len(standin.reviews) == 1 and sorted(c["line"] for c in standin.comments) == sorted(def_line(source, n) for n in ("profile", "account", "invoice"))
    second_attempt = standin.requests[[i for i, r in enumerate(standin.requests) if r.method == "POST" and r.path.endswith("/reviews")][-1] + 1 :]
    assert [(r.method, r.path) for r in second_attempt if r.method != "GET" and r.path != "/graphql" and not r.path.endswith("access_tokens")] == []
