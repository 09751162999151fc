"""GitHub failing the ways it does, at a realistic rate: every pull request still ends concluded, each comment posted once.

The stand-in fails a seeded 15% of all requests (tokens, REST, GraphQL) with
5xx answers before or after doing the work, timeouts before or after, reset
connections, secondary rate limits (403 and 429 with retry-after) and a spent
primary limit (which reschedules the job for the reset). The real RQ jobs run
in this process until the queue drains; sleeps are recorded, not slept.
"""

from __future__ import annotations

from collections import Counter

import pytest
from rq import Queue

from bot.events import jobs_for
from bot.publish import fingerprint_of
from bot.queue import JobQueue
from reliability.helpers import REPO, def_line, drain, quick_settings, settings_environment, with_hollow
from standin_github import FAULT_KINDS

PULLS = 20
NAMES = ("profile", "account", "invoice")


@pytest.fixture
def settings(app_key, app_id, redis_conn, redis_url, monkeypatch):
    from bot.settings import get_settings

    chosen = quick_settings(app_key, app_id, redis_url, job_retries=8)
    for name, value in settings_environment(chosen, app_key).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    monkeypatch.setattr("bot.jobs.RESCHEDULE_SLACK", __import__("datetime").timedelta(0))
    yield chosen
    get_settings.cache_clear()


def enqueue_all(settings, redis_conn, standin) -> dict[int, tuple[str, str]]:
    job_queue = JobQueue(settings, connection=redis_conn)
    heads = {}
    for number in range(1, PULLS + 1):
        source = with_hollow(*NAMES[: 1 + number % 3])
        head = standin.add_pull(REPO, number, {"app/profiles.py": source, "docs/notes.md": f"notes {number}\n"}, seed=str(number))
        payload = {"action": "opened", "number": number, "pull_request": standin.repos[REPO].pulls[number], "repository": {"full_name": REPO}, "installation": {"id": 4}}
        job_queue.submit(f"delivery-{number}", jobs_for("pull_request", payload, f"delivery-{number}"))
        heads[number] = (head, source)
    return heads


@pytest.mark.parametrize("seed", [11, 7])
def test_under_a_15_percent_fault_rate_every_pull_request_concludes_and_each_comment_is_posted_once(settings, redis_conn, standin, no_sleep, seed):
    """Seeded, and run in one thread: the same faults hit the same requests every run."""
    heads = enqueue_all(settings, redis_conn, standin)
    standin.primary_reset_seconds = 1
    standin.inject_faults(0.15, seed=seed)
    drain(Queue(settings.queue_name, connection=redis_conn), timeout=90)

    assert set(standin.faults_injected) == set(FAULT_KINDS), standin.faults_injected  # every kind of fault was met
    for number, (head, source) in heads.items():
        expected_lines = sorted(def_line(source, name) for name in NAMES[: 1 + number % 3])
        (run,) = standin.runs_for(head)
        assert (run["status"], run["conclusion"]) == ("completed", "failure"), (number, run["output"])
        assert sorted(a["start_line"] for a in run["annotations"]) == expected_lines  # no annotation appended twice
        comments = [c for c in standin.comments if c["pull_number"] == number]
        assert sorted(c["line"] for c in comments) == expected_lines
        assert len({fingerprint_of(c["body"]) for c in comments}) == len(comments)
    assert Counter(review["pull_number"] for review in standin.reviews).most_common(1)[0][1] == 1


def test_a_spent_primary_limit_reschedules_instead_of_sleeping_and_the_review_completes(settings, redis_conn, standin, no_sleep):
    heads = enqueue_all(settings, redis_conn, standin)
    standin.primary_reset_seconds = 1
    standin.inject_faults(0.08, seed=5, kinds=("primary",))
    drain(Queue(settings.queue_name, connection=redis_conn), timeout=90)

    assert standin.faults_injected["primary"] > 0
    assert max(no_sleep, default=0) <= 60  # never slept until a reset inside a worker
    for head, _source in heads.values():
        (run,) = standin.runs_for(head)
        assert run["conclusion"] == "failure"
    assert len(standin.reviews) == PULLS
