"""Secrets never leave: the private key, the webhook secret and installation tokens appear in no log line, no error
message, no stored job failure and nothing posted to GitHub, even while GitHub fails and jobs fail for good."""

from __future__ import annotations

import io
import logging
import traceback

from githubkit.exception import GitHubException
from rq import Queue
from rq.job import Job

from bot.events import jobs_for
from bot.github import installation_client
from bot.logs import configure_logging
from bot.queue import JobQueue
from bot.redeliver import redeliver_failed
from reliability.helpers import REPO, SECRET, drain, with_hollow


def secret_values(app_key, standin) -> list[str]:
    key_lines = [line for line in app_key[0].splitlines() if line and "PRIVATE KEY" not in line]
    assert standin.tokens, "no installation token was minted: nothing was at risk"
    return [SECRET, *key_lines, *standin.tokens]


def test_no_secret_in_logs_errors_stored_failures_or_posts_under_faults(as_environment, app_key, redis_conn, standin, no_sleep, caplog):
    stream = io.StringIO()
    configure_logging("DEBUG", secrets=[SECRET, app_key[0]], stream=stream)
    caplog.set_level(logging.DEBUG)
    try:
        heads = []
        job_queue = JobQueue(as_environment, connection=redis_conn)
        for number in (1, 2, 3):
            heads.append(standin.add_pull(REPO, number, {"app/profiles.py": with_hollow("profile")}, seed=str(number)))
            payload = {"action": "opened", "number": number, "pull_request": standin.repos[REPO].pulls[number], "repository": {"full_name": REPO}, "installation": {"id": 2}}
            job_queue.submit(f"d-{number}", jobs_for("pull_request", payload, f"d-{number}"))
        for _ in range(60):  # pull request 3 fails for good: its errors are stored by RQ and shown in a check run
            standin.fail_next("GET", r"/pulls/3/files$", 500, message="Server Error")
        standin.inject_faults(0.2, seed=3, exempt=r"/pulls/3/files$")
        drain(Queue(as_environment.queue_name, connection=redis_conn))
        standin.inject_faults(0.0, seed=0)

        errors: list[BaseException] = []
        with installation_client(as_environment, 2) as gh:
            for _ in range(4):
                standin.fail_next("GET", r"/pulls/9$", 502)
            try:
                gh.request("GET", f"/repos/{REPO}/pulls/9")
            except GitHubException as exc:
                errors.append(exc)
        standin.add_delivery("g-1", 503)
        report = redeliver_failed(as_environment, __import__("datetime").timedelta(hours=1))
    finally:
        logging.getLogger().handlers.clear()

    texts = [stream.getvalue(), caplog.text, *report.lines()]
    texts += [f"{exc}{exc!r}{''.join(traceback.format_exception(exc))}" for exc in errors]
    for job_id in Queue(as_environment.queue_name, connection=redis_conn).failed_job_registry.get_job_ids():
        result = Job.fetch(job_id, connection=redis_conn).latest_result()
        texts.append(result.exc_string if result else "")
    texts += [str(run["output"]) for run in standin.check_runs]
    texts += [comment["body"] for comment in standin.comments] + [review["body"] for review in standin.reviews]
    assert any("500" in text for text in texts)  # the failures were logged and stored: there was something to leak
    for secret in secret_values(app_key, standin):
        for text in texts:
            assert secret not in text
    assert standin.runs_for(heads[2])[0]["conclusion"] == "neutral"
