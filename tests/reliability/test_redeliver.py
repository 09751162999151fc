"""`ainascan redeliver --since 1h` and the periodic redelivery: failed webhooks are delivered again, once per GUID.

The stand-in serves the App's webhook deliveries API (JWT-authenticated,
newest first, cursor pages). In the end-to-end test a webhook refused with
503 while Redis is down is redelivered by the stand-in to the web process
once Redis is back, and its review runs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from datetime import datetime, timedelta, timezone

import pytest
from fastapi.testclient import TestClient
from rq import Queue

from bot.cli import main
from bot.redeliver import parse_duration, redeliver_failed, to_redeliver
from bot.web import WEBHOOK_PATH, create_app
from bot.worker import REDELIVER_LOCK, queue_redelivery
from reliability.helpers import REPO, SECRET, drain, with_hollow

NOW = datetime.now(timezone.utc).replace(microsecond=0)


def attempt(guid: str, status: int, minutes_ago: float, delivery_id: int, redelivery: bool = False) -> dict:
    when = NOW - timedelta(minutes=minutes_ago)
    return {"id": delivery_id, "guid": guid, "status_code": status, "delivered_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "redelivery": redelivery, "event": "pull_request"}


def test_only_guids_that_never_succeeded_are_redelivered_from_their_latest_attempt():
    deliveries = [
        attempt("ok", 202, 5, 1),
        attempt("failed", 503, 20, 2),
        attempt("failed", 503, 10, 3, redelivery=True),
        attempt("recovered", 503, 30, 4),
        attempt("recovered", 202, 25, 5, redelivery=True),
        attempt("timed-out", 0, 15, 6),  # no answer in time: status_code 0
        attempt("hopeless", 500, 50, 7),
        *[attempt("hopeless", 500, 40 - n, 8 + n, redelivery=True) for n in range(4)],
    ]
    again, given_up = to_redeliver(deliveries, max_attempts=5)
    assert [(d["guid"], d["id"]) for d in again] == [("timed-out", 6), ("failed", 3)]
    assert [d["guid"] for d in given_up] == ["hopeless"]


@pytest.mark.parametrize("text, expected", [("1h", timedelta(hours=1)), ("30m", timedelta(minutes=30)), ("2d", timedelta(days=2)), ("1h30m", timedelta(minutes=90)), ("90s", timedelta(seconds=90))])
def test_durations(text, expected):
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "1", "h", "1w", "-1h", "0m", "1h junk"])
def test_bad_durations_are_refused(text):
    with pytest.raises(ValueError):
        parse_duration(text)


def test_the_deliveries_api_is_read_as_the_app_page_by_page_until_the_window(settings, standin):
    for n in range(250):
        standin.add_delivery(f"guid-{n}", 503 if n % 50 == 0 else 202, delivered_at=NOW - timedelta(minutes=250 - n))
    report = redeliver_failed(settings, timedelta(minutes=120), now=NOW)

    listed = [r for r in standin.requests if r.path == "/app/hook/deliveries"]
    assert all(r.auth == "jwt" for r in listed) and len(listed) == 2  # 100 a page; the second page reaches past the window
    assert report.examined == 120
    assert [d["guid"] for d in report.requested] == ["guid-150", "guid-200"]
    assert [r.path for r in standin.requests if r.method == "POST"] == [f"/app/hook/deliveries/{d['id']}/attempts" for d in report.requested]


def test_the_command_line_redelivers_and_says_what_it_did(as_environment, standin, capsys):
    failed = standin.add_delivery("guid-a", 503)
    standin.add_delivery("guid-b", 202)
    standin.add_delivery("guid-old", 503, delivered_at=NOW - timedelta(hours=3))

    assert main(["redeliver", "--since", "1h", "--dry-run"]) == 0
    assert standin.redelivery_requests == []
    assert main(["redeliver", "--since", "1h"]) == 0
    out = capsys.readouterr().out
    assert standin.redelivery_requests == [failed["id"]]
    assert f"redelivered delivery {failed['id']} (pull_request.opened, guid guid-a, status 503)" in out
    assert "1 redelivered, 0 given up" in out
    assert main(["redeliver", "--since", "1h"]) == 0  # the redelivery succeeded: nothing more to do
    assert standin.redelivery_requests == [failed["id"]]


def test_a_bad_duration_stops_the_command_with_one_line(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["redeliver", "--since", "soon"])
    assert "--since 'soon' is not a duration" in str(stopped.value)


def test_the_periodic_job_is_queued_once_per_interval_across_workers_and_redelivers(app_key, app_id, redis_conn, redis_url, standin, monkeypatch):
    from bot.settings import get_settings
    from reliability.helpers import quick_settings, settings_environment

    periodic = quick_settings(app_key, app_id, redis_url, redeliver_every_minutes=10, redeliver_window_minutes=30)
    for name, value in settings_environment(periodic, app_key).items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    queue = Queue(periodic.queue_name, connection=redis_conn)
    failed = standin.add_delivery("guid-p", 500)
    try:
        assert queue_redelivery(queue, periodic) is True
        assert queue_redelivery(queue, periodic) is False  # another worker's maintenance, same interval
        assert 590 < redis_conn.ttl(REDELIVER_LOCK) <= 600
        assert queue_redelivery(queue, periodic.model_copy(update={"redeliver_every_minutes": 0})) is False
        (job,) = queue.jobs
        assert job.timeout and job.kwargs == {"since_minutes": 30}
        drain(queue)
    finally:
        get_settings.cache_clear()
    assert standin.redelivery_requests == [failed["id"]]


def test_a_webhook_refused_while_redis_was_down_is_redelivered_and_reviewed(as_environment, redis_conn, standin):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": with_hollow("profile")})
    payload = {"action": "opened", "number": 7, "pull_request": standin.repos[REPO].pulls[7], "repository": {"full_name": REPO}, "installation": {"id": 6}}
    body = json.dumps(payload).encode()
    headers = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "guid-outage", "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with TestClient(create_app(as_environment.model_copy(update={"redis_url": f"redis://127.0.0.1:{closed}/0"}))) as outage:
        answer = outage.post(WEBHOOK_PATH, content=body, headers=headers)
    assert answer.status_code == 503
    standin.add_delivery("guid-outage", answer.status_code, payload=payload)

    with TestClient(create_app(as_environment)) as web:
        def deliver_again(delivery: dict) -> None:  # what GitHub does when asked to redeliver
            again = web.post(WEBHOOK_PATH, content=body, headers=headers)
            delivery["status_code"] = again.status_code

        standin.on_redeliver = deliver_again
        report = redeliver_failed(as_environment, timedelta(hours=1))
        assert [d["guid"] for d in report.requested] == ["guid-outage"]
        drain(Queue(as_environment.queue_name, connection=redis_conn))
        assert redeliver_failed(as_environment, timedelta(hours=1)).requested == []  # it succeeded this time

    (run,) = standin.runs_for(head)
    assert run["conclusion"] == "failure" and len(standin.comments) == 1
