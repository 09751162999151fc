"""Deliveries and jobs: redeliveries do nothing twice, bursts collapse, stale heads are skipped, a Redis outage answers 503."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import socket
import threading
from urllib.parse import urlsplit

import pytest
import redis
from fastapi.testclient import TestClient
from rq import Queue

from bot.events import JobRequest, jobs_for, review_job_id
from bot.logs import record_fields
from bot.queue import DELIVERY_KEY_PREFIX, JobQueue, QueueUnavailable
from bot.web import WEBHOOK_PATH, create_app
from reliability.helpers import REPO, SECRET, drain, with_hollow


def signed(payload: dict) -> tuple[bytes, str]:
    body = json.dumps(payload).encode()
    return body, "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def pull_request_event(standin, number: int, action: str = "opened") -> dict:
    pull = standin.repos[REPO].pulls[number]
    return {
        "action": action,
        "number": number,
        "pull_request": pull,
        "repository": {"full_name": REPO, "name": "shop", "owner": {"login": "octo"}, "default_branch": "main"},
        "installation": {"id": 5},
    }


def check_suite_event(head_sha: str, numbers: list[int]) -> dict:
    return {
        "action": "requested",
        "check_suite": {"head_sha": head_sha, "pull_requests": [{"number": n} for n in numbers]},
        "repository": {"full_name": REPO, "name": "shop", "owner": {"login": "octo"}},
        "installation": {"id": 5},
    }


def post(client: TestClient, event: str, payload: dict, delivery: str):
    body, signature = signed(payload)
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": signature, "Content-Type": "application/json"}
    return client.post(WEBHOOK_PATH, content=body, headers=headers)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def client(as_environment, redis_conn):
    with TestClient(create_app(as_environment)) as test_client:
        yield test_client


@pytest.fixture
def queue(settings, redis_conn) -> Queue:
    return Queue(settings.queue_name, connection=redis_conn)


def test_a_redelivery_is_acknowledged_and_reviews_nothing_twice(client, queue, standin):
    standin.add_pull(REPO, 7, {"app/profiles.py": with_hollow("profile")})
    payload = pull_request_event(standin, 7)

    first = post(client, "pull_request", payload, "guid-1")
    again = post(client, "pull_request", payload, "guid-1")
    drain(queue)
    once_more = post(client, "pull_request", payload, "guid-1")  # after the review ran: still nothing
    drain(queue)

    assert (first.status_code, first.json()["status"]) == (202, "queued")
    assert (again.status_code, again.json()["status"]) == (202, "duplicate")
    assert (once_more.status_code, once_more.json()["status"]) == (202, "duplicate")
    assert len(standin.check_runs) == 1 and len(standin.reviews) == 1 and len(standin.comments) == 1
    assert len([r for r in standin.requests if r.path == f"/repos/{REPO}/pulls/7" and r.method == "GET"]) == 1


def test_a_burst_of_deliveries_for_one_head_runs_one_review(as_environment, redis_conn, queue, standin):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": with_hollow("profile", "account")})
    requests = [jobs_for("pull_request", pull_request_event(standin, 7, action), None) for action in ("opened", "synchronize", "reopened")]
    requests.append(jobs_for("check_suite", check_suite_event(head, [7]), None))
    assert {request.job_id for batch in requests for request in batch} == {review_job_id(REPO, 7, head)}
    job_queue = JobQueue(as_environment, connection=redis.Redis.from_url(as_environment.redis_url))
    outcomes: list[str] = []
    start = threading.Barrier(8)

    def deliver(worker: int) -> None:
        start.wait()
        for n in range(10):
            outcomes.append(job_queue.submit(f"burst-{worker}-{n}", requests[(worker + n) % len(requests)]).status)

    threads = [threading.Thread(target=deliver, args=(worker,)) for worker in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queued_jobs = len(queue)
    drain(queue)

    assert sorted(set(outcomes)) == ["collapsed", "queued"] and outcomes.count("queued") == 1 and len(outcomes) == 80
    assert queued_jobs == 1
    (run,) = standin.check_runs
    assert (run["status"], run["conclusion"]) == ("completed", "failure")
    assert len(standin.reviews) == 1 and len(standin.comments) == 2


def test_a_job_for_a_head_that_is_no_longer_the_head_concludes_superseded(as_environment, redis_conn, queue, standin):
    old = standin.add_pull(REPO, 7, {"app/profiles.py": with_hollow("profile")})
    job_queue = JobQueue(as_environment, connection=redis_conn)
    job_queue.submit("push-1", jobs_for("pull_request", pull_request_event(standin, 7), "push-1"))
    new = standin.push(REPO, 7, {"app/profiles.py": with_hollow("profile", "account")}, seed="second push")
    job_queue.submit("push-2", jobs_for("pull_request", pull_request_event(standin, 7, "synchronize"), "push-2"))
    drain(queue)

    (stale,) = standin.runs_for(old)
    assert (stale["status"], stale["conclusion"], stale["output"]["title"]) == ("completed", "neutral", f"Superseded by {new[:7]}")
    assert new in stale["output"]["summary"] and stale["annotations"] == []
    (current,) = standin.runs_for(new)
    assert current["conclusion"] == "failure" and len(current["annotations"]) == 2
    assert {review["commit_id"] for review in standin.reviews} == {new}


def test_redis_unreachable_answers_503_logs_it_and_the_redelivery_is_then_queued(as_environment, redis_conn, queue, standin, caplog):
    standin.add_pull(REPO, 7, {"app/profiles.py": with_hollow("profile")})
    payload = pull_request_event(standin, 7)
    down = as_environment.model_copy(update={"redis_url": f"redis://127.0.0.1:{closed_port()}/0"})
    caplog.set_level(logging.INFO, logger="bot.web")
    with TestClient(create_app(down)) as outage:
        refused = post(outage, "pull_request", payload, "guid-outage")
    with TestClient(create_app(as_environment)) as back:
        redelivered = post(back, "pull_request", payload, "guid-outage")

    assert refused.status_code == 503 and refused.json()["status"] == "unavailable"
    (line,) = [r for r in caplog.records if record_fields(r).get("outcome") == "unavailable"]
    assert line.levelno == logging.ERROR and record_fields(line)["delivery_id"] == "guid-outage" and record_fields(line)["repo"] == REPO
    assert SECRET not in caplog.text
    assert (redelivered.status_code, redelivered.json()["status"]) == (202, "queued")
    assert len(queue) == 1


def test_a_command_failing_inside_the_submission_leaves_no_delivery_and_no_job_behind(settings, redis_conn, queue):
    """Redis keeps a script's writes up to a failing command: the delivery must not be remembered without its job."""
    job_queue = JobQueue(settings, connection=redis_conn)
    request = JobRequest("json.dumps", {"obj": 1}, "broken-enqueue", "a job")
    redis_conn.set(queue.key, "not a list")  # RPUSH onto it fails with WRONGTYPE

    with pytest.raises(QueueUnavailable):
        job_queue.submit("guid-half", [request])

    assert redis_conn.get(DELIVERY_KEY_PREFIX + "guid-half") is None  # a redelivery will be processed
    assert not redis_conn.exists(f"rq:job:{request.job_id}")  # and will not collapse into an orphan job
    redis_conn.delete(queue.key)
    assert JobQueue(settings, connection=redis_conn).submit("guid-half", [request]).status == "queued"
    assert queue.job_ids == [request.job_id]


def test_redis_failing_while_an_ended_job_is_run_again_forgets_the_delivery(settings, redis_conn, queue, monkeypatch):
    job_queue = JobQueue(settings, connection=redis_conn)
    request = JobRequest("json.dumps", {"obj": 1}, "rerun-broken", "a job")
    job_queue.submit("guid-first", [request])
    drain(queue)

    def refuse(*args, **kwargs):
        raise redis.ConnectionError("Connection reset by peer")

    monkeypatch.setattr(job_queue.queue, "enqueue_call", refuse)
    with pytest.raises(QueueUnavailable):
        job_queue.submit("guid-rerun", [request])
    assert redis_conn.get(DELIVERY_KEY_PREFIX + "guid-rerun") is None
    monkeypatch.undo()
    assert JobQueue(settings, connection=redis_conn).submit("guid-rerun", [request]).status == "queued"


class CuttableRedis:
    """A TCP relay to the test's Redis that can be cut (every connection dropped, new ones refused) and restored on its port."""

    def __init__(self, redis_url: str) -> None:
        target = urlsplit(redis_url)
        self.target, self.database = (target.hostname, target.port or 6379), target.path.lstrip("/") or "0"
        self.port = closed_port()
        self.sockets: list[socket.socket] = []
        self.restore()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/{self.database}"

    def restore(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def cut(self) -> None:
        self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self.sockets.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _address = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self.sockets += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._relay, args=(source, sink), daemon=True).start()

    @staticmethod
    def _relay(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass


def test_a_redis_outage_in_the_middle_of_traffic_loses_no_acknowledged_webhook(as_environment, redis_conn, queue):
    """202 only once the job is in Redis; 503 while Redis is gone; the redeliveries of the 503s are queued once Redis is back."""
    relay = CuttableRedis(as_environment.redis_url)
    events = {f"guid-{n}": check_suite_event(f"{n:040x}", [n]) for n in range(1, 31)}
    answers: dict[str, int] = {}
    with TestClient(create_app(as_environment.model_copy(update={"redis_url": relay.url}))) as client:
        for number, (delivery, payload) in enumerate(events.items()):
            if number == 10:
                relay.cut()
            if number == 20:
                relay.restore()
            answers[delivery] = post(client, "check_suite", payload, delivery).status_code
        refused = [delivery for delivery, status in answers.items() if status == 503]
        redelivered = {delivery: post(client, "check_suite", events[delivery], delivery).json()["status"] for delivery in refused}
    relay.cut()

    assert list(answers.values()) == [202] * 10 + [503] * 10 + [202] * 10
    assert set(redelivered.values()) == {"queued"}
    assert sorted(queue.job_ids) == sorted(review_job_id(REPO, n, f"{n:040x}") for n in range(1, 31))
