"""The web process (bot.web) through FastAPI's TestClient, with a real Redis behind it."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rq import Queue

from bot.logs import record_fields
from bot.metrics import KEY_PREFIX as METRICS_KEY_PREFIX
from bot.queue import DELIVERY_KEY_PREFIX
from bot.settings import load_settings
from bot.web import MAX_BODY_BYTES, WEBHOOK_PATH, create_app, signature_is_valid

SECRET = "whsec-7f3a9c1e-never-log-me"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nnot-a-real-key-but-secret\n-----END RSA PRIVATE KEY-----"


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_settings(redis_url: str):
    return load_settings(app_id=1, private_key=PRIVATE_KEY, webhook_secret=SECRET, redis_url=redis_url)


@pytest.fixture
def settings(redis_url):
    return make_settings(redis_url)


@pytest.fixture
def client(settings, redis_conn):
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def down_client():
    with TestClient(create_app(make_settings(f"redis://127.0.0.1:{closed_port()}/0"))) as test_client:
        yield test_client


@pytest.fixture
def queue(settings, redis_conn):
    return Queue(settings.queue_name, connection=redis_conn)


def post(client: TestClient, event: str, body: bytes, delivery: str = "72d3162e-cc78-11e3-81ab-4c9367dc0958", signature: str | None = "sign", **headers):
    sent = {"X-GitHub-Event": event, "X-GitHub-Delivery": delivery, "Content-Type": "application/json", **headers}
    if signature == "sign":
        sent["X-Hub-Signature-256"] = sign(body)
    elif signature is not None:
        sent["X-Hub-Signature-256"] = signature
    return client.post(WEBHOOK_PATH, content=body, headers=sent)


def fixture_bytes(webhook_fixtures: Path, name: str) -> bytes:
    return (webhook_fixtures / f"{name}.json").read_bytes()


def test_a_signed_pull_request_is_queued_as_exactly_one_review(client, queue, webhook_fixtures):
    body = fixture_bytes(webhook_fixtures, "pull_request__opened")
    payload = json.loads(body)

    response = post(client, "pull_request", body, delivery="d-1")

    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    [job] = queue.jobs
    assert job.func_name == "bot.jobs.review_pull_request"
    assert job.kwargs == {
        "installation_id": payload["installation"]["id"],
        "repo": payload["repository"]["full_name"],
        "number": payload["number"],
        "head_sha": payload["pull_request"]["head"]["sha"],
        "delivery_id": "d-1",
    }


def test_a_check_suite_without_pull_requests_is_queued_as_a_head_review(client, queue, webhook_fixtures):
    body = fixture_bytes(webhook_fixtures, "check_suite__requested")

    response = post(client, "check_suite", body)

    assert response.status_code == 202
    [job] = queue.jobs
    assert job.func_name == "bot.jobs.review_head_sha"
    assert job.kwargs["head_sha"] == json.loads(body)["check_suite"]["head_sha"]


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "sha256=" + "0" * 64,
        "sha256=not-hex",
        "sign-with-another-secret",
    ],
    ids=["missing", "empty", "wrong-digest", "garbage", "other-secret"],
)
def test_a_bad_or_missing_signature_is_refused_and_nothing_is_queued(client, queue, redis_conn, webhook_fixtures, signature):
    body = fixture_bytes(webhook_fixtures, "pull_request__opened")
    if signature == "sign-with-another-secret":
        signature = sign(body, secret="another-secret")

    response = post(client, "pull_request", body, signature=signature)

    assert response.status_code == 401
    assert len(queue) == 0
    assert redis_conn.keys(DELIVERY_KEY_PREFIX + "*") == []


def test_a_signature_over_other_bytes_is_refused(client, queue, webhook_fixtures):
    body = fixture_bytes(webhook_fixtures, "pull_request__opened")

    response = post(client, "pull_request", body + b" ", signature=sign(body))

    assert response.status_code == 401
    assert len(queue) == 0


def test_a_sha1_signature_alone_is_refused(client, queue, webhook_fixtures):
    body = fixture_bytes(webhook_fixtures, "pull_request__opened")
    sha1 = "sha1=" + hmac.new(SECRET.encode(), body, hashlib.sha1).hexdigest()

    response = post(client, "pull_request", body, signature=sha1, **{"X-Hub-Signature": sha1})

    assert response.status_code == 401
    assert len(queue) == 0


def test_the_signature_check_needs_the_sha256_prefix():
    body = b'{"a": 1}'
    digest = hmac.new(b"k", body, hashlib.sha256).hexdigest()

    assert signature_is_valid(b"k", body, "sha256=" + digest)
    assert not signature_is_valid(b"k", body, digest)
    assert not signature_is_valid(b"k", body, "sha1=" + digest)
    assert not signature_is_valid(b"k", body, None)


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe\x00", b"[1, 2]", b'"text"'])
def test_a_signed_body_that_is_not_a_json_object_is_a_bad_request(client, queue, body):
    response = post(client, "pull_request", body)

    assert response.status_code == 400
    assert len(queue) == 0


def test_a_signed_body_without_an_event_header_is_a_bad_request(client, queue, webhook_fixtures):
    body = fixture_bytes(webhook_fixtures, "pull_request__opened")

    response = client.post(WEBHOOK_PATH, content=body, headers={"X-Hub-Signature-256": sign(body), "X-GitHub-Delivery": "d"})

    assert response.status_code == 400
    assert len(queue) == 0


def test_a_body_over_25_mb_is_refused_before_the_signature_is_checked(client, queue):
    body = b"x" * (MAX_BODY_BYTES + 1)

    response = post(client, "pull_request", body)

    assert response.status_code == 413
    assert len(queue) == 0


def test_a_streamed_body_without_content_length_is_capped_while_reading(client, queue):
    chunk = b"x" * (1024 * 1024)
    body = (chunk for _ in range(MAX_BODY_BYTES // len(chunk) + 5))

    response = client.post(WEBHOOK_PATH, content=body, headers={"X-GitHub-Event": "pull_request", "X-Hub-Signature-256": "sha256=" + "0" * 64})

    assert response.status_code == 413
    assert len(queue) == 0


def test_reading_stops_at_the_first_chunk_past_the_cap(settings, redis_conn):
    """Driven at the ASGI level, so we can count how much of a long chunked body the app pulls in."""
    app = create_app(settings)
    chunk = b"x" * (1024 * 1024)
    pulled = []
    sent = []

    chunks_offered = MAX_BODY_BYTES // len(chunk) + 10

    async def receive():
        pulled.append(len(chunk))
        return {"type": "http.request", "body": chunk, "more_body": len(pulled) < chunks_offered}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": WEBHOOK_PATH, "raw_path": WEBHOOK_PATH.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"x-github-event", b"pull_request"), (b"transfer-encoding", b"chunked")],
        "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, receive, send))

    assert sent[0]["status"] == 413
    assert sum(pulled) <= MAX_BODY_BYTES + len(chunk)


def test_a_lying_content_length_does_not_let_a_larger_body_through(client, queue):
    body = b"x" * (MAX_BODY_BYTES + 10)

    def stream():
        yield body

    response = client.post(WEBHOOK_PATH, content=stream(), headers={"X-GitHub-Event": "pull_request", "Content-Length": "10", "X-Hub-Signature-256": sign(body)})

    assert response.status_code == 413


def test_a_body_of_exactly_25_mb_is_read_and_judged_on_its_content(client, queue):
    body = b" " * (MAX_BODY_BYTES - 2) + b"{!"

    response = post(client, "pull_request", body)

    assert response.status_code == 400


def test_ping_is_answered_with_200(client, queue):
    body = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1, "hook": {"type": "App"}}).encode()

    response = post(client, "ping", body)

    assert response.status_code == 200
    assert len(queue) == 0


def test_a_redelivery_is_acknowledged_and_queues_nothing_more(client, queue, webhook_fixtures):
    body = fixture_bytes(webhook_fixtures, "pull_request__opened")
    first = post(client, "pull_request", body, delivery="same-guid")

    again = post(client, "pull_request", body, delivery="same-guid")

    assert (first.status_code, again.status_code) == (202, 202)
    assert again.json()["status"] == "duplicate"
    assert len(queue) == 1


def test_opened_and_synchronize_for_the_same_head_share_one_job(client, queue, webhook_fixtures):
    opened = fixture_bytes(webhook_fixtures, "pull_request__opened")
    synchronize = fixture_bytes(webhook_fixtures, "pull_request__synchronize")
    assert json.loads(opened)["pull_request"]["head"]["sha"] == json.loads(synchronize)["pull_request"]["head"]["sha"]

    post(client, "pull_request", opened, delivery="d-1")
    second = post(client, "pull_request", synchronize, delivery="d-2")

    assert second.status_code == 202
    assert second.json()["status"] == "collapsed"
    assert len(queue) == 1


@pytest.mark.parametrize(
    ("event", "name"),
    [("issue_comment", "issue_comment__created.with-installation"), ("installation", "installation__created"), ("check_run", "check_run__requested_action")],
)
def test_events_with_no_job_are_acknowledged_and_queue_nothing(client, queue, redis_conn, webhook_fixtures, event, name):
    response = post(client, event, fixture_bytes(webhook_fixtures, name))

    assert response.status_code == 202
    assert response.json()["status"] == "ignored"
    assert len(queue) == 0
    assert [key for key in redis_conn.keys("*") if not key.startswith(METRICS_KEY_PREFIX.encode())] == []


def test_a_full_scan_button_queues_the_full_scan(client, queue, webhook_fixtures, caplog):
    payload = json.loads(fixture_bytes(webhook_fixtures, "check_run__requested_action"))
    payload["requested_action"]["identifier"] = "full-scan"
    caplog.set_level(logging.INFO, logger="bot")

    response = post(client, "check_run", json.dumps(payload).encode())

    assert response.status_code == 202
    [job] = queue.jobs
    assert job.func_name == "bot.full_scan.full_scan"
    assert job.kwargs["user"] == payload["sender"]["login"]


def test_a_star_webhook_queues_the_gate_cache_update(client, queue, webhook_fixtures):
    response = post(client, "star", fixture_bytes(webhook_fixtures, "star__created"))

    assert response.status_code == 202
    [job] = queue.jobs
    assert job.func_name == "bot.gate.record_star"


def test_redis_down_answers_503_and_logs_it(down_client, webhook_fixtures, caplog):
    caplog.set_level(logging.INFO, logger="bot")

    response = post(down_client, "pull_request", fixture_bytes(webhook_fixtures, "pull_request__opened"), delivery="d-down")

    assert response.status_code == 503
    [error] = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert record_fields(error)["delivery_id"] == "d-down"
    assert record_fields(error)["outcome"] == "unavailable"


def test_healthz_answers_while_redis_is_down(down_client):
    response = down_client.get("/healthz")

    assert response.status_code == 200


def test_readyz_is_200_when_redis_answers(client):
    response = client.get("/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_readyz_is_503_when_redis_is_down(down_client):
    response = down_client.get("/readyz")

    assert response.status_code == 503


def test_one_log_line_per_webhook_names_delivery_repo_pull_request_and_head(client, webhook_fixtures, caplog):
    body = fixture_bytes(webhook_fixtures, "pull_request__synchronize")
    payload = json.loads(body)
    caplog.set_level(logging.INFO, logger="bot")

    post(client, "pull_request", body, delivery="d-log")

    [line] = [record_fields(record) for record in caplog.records if record.name == "bot.web"]
    assert line["delivery_id"] == "d-log"
    assert line["repo"] == payload["repository"]["full_name"]
    assert line["pr"] == payload["number"]
    assert line["head_sha"] == payload["pull_request"]["head"]["sha"]
    assert line["outcome"] == "queued"


def test_the_webhook_secret_never_appears_in_logs_or_responses(client, down_client, webhook_fixtures, caplog):
    caplog.set_level(logging.DEBUG)
    body = fixture_bytes(webhook_fixtures, "pull_request__opened")
    responses = [
        post(client, "pull_request", body, delivery="s-1"),
        post(client, "pull_request", body, delivery="s-1"),
        post(client, "pull_request", body, signature="sha256=" + "1" * 64),
        post(client, "pull_request", b"{", delivery="s-2"),
        post(client, "pull_request", b"x" * (MAX_BODY_BYTES + 1)),
        post(client, "ping", b'{"zen": "z"}'),
        post(client, "star", fixture_bytes(webhook_fixtures, "star__created")),
        post(down_client, "pull_request", body, delivery="s-3"),
        client.get("/readyz"),
        down_client.get("/readyz"),
    ]

    assert {response.status_code for response in responses} == {200, 202, 400, 401, 413, 503}
    for response in responses:
        assert SECRET not in response.text
        assert SECRET not in str(response.headers)
    assert caplog.records
    assert SECRET not in caplog.text
    assert "not-a-real-key-but-secret" not in caplog.text
    for record in caplog.records:
        assert SECRET not in json.dumps(record_fields(record), default=str)


def test_the_web_process_imports_neither_githubkit_nor_the_worker_jobs():
    code = "import sys, bot.web; bad = [m for m in ('githubkit', 'bot.jobs', 'bot.github') if m in sys.modules]; print(bad); sys.exit(bool(bad))"

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr
