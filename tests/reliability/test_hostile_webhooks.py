"""Hostile webhooks: forged, missing or sha1-only signatures, malformed or non-object JSON, oversized bodies, unknown
events, signed payloads missing what the job needs; and hypothesis throwing random bodies and headers at the endpoint.

Whatever arrives: never a 5xx, never a crash, and nothing enqueued without a valid signature.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from rq import Queue

from bot.queue import DELIVERY_KEY_PREFIX
from bot.web import MAX_BODY_BYTES, WEBHOOK_PATH, create_app
from reliability.helpers import SECRET


def sign(body: bytes, secret: str = SECRET, algorithm=hashlib.sha256, prefix: str = "sha256=") -> str:
    return prefix + hmac.new(secret.encode(), body, algorithm).hexdigest()


@pytest.fixture
def client(settings, redis_conn):
    with TestClient(create_app(settings), raise_server_exceptions=True) as test_client:
        yield test_client


@pytest.fixture
def queue(settings, redis_conn):
    return Queue(settings.queue_name, connection=redis_conn)


def nothing_enqueued(queue, redis_conn) -> bool:
    return len(queue) == 0 and not redis_conn.keys(DELIVERY_KEY_PREFIX + "*")


PULL = {
    "action": "opened",
    "number": 1,
    "pull_request": {"number": 1, "head": {"sha": "a" * 40}},
    "repository": {"full_name": "octo/shop"},
    "installation": {"id": 1},
}


@pytest.mark.parametrize(
    "signature",
    [
        None,
        "",
        "sha256=",
        ("sha256=" + "0" * 64).encode("utf-8"),
        sign(json.dumps(PULL).encode(), secret="not-the-secret"),
        sign(json.dumps(PULL).encode(), algorithm=hashlib.sha1, prefix="sha1="),
        sign(json.dumps(PULL).encode()).upper(),
        ("sha256=" + "é" * 64).encode("utf-8"),
        sign(json.dumps(PULL).encode()) + " trailing",
    ],
    ids=["missing", "empty", "prefix-only", "zeros", "other-secret", "sha1-only", "uppercase", "non-ascii", "trailing"],
)
def test_forged_missing_and_sha1_signatures_are_refused_and_enqueue_nothing(client, queue, redis_conn, signature):
    headers = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "d-1"}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    answer = client.post(WEBHOOK_PATH, content=json.dumps(PULL).encode(), headers=headers)
    assert answer.status_code == 401
    assert nothing_enqueued(queue, redis_conn)


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe\x00", b"[1, 2]", b'"text"', b"null", b"42", b""], ids=["malformed", "binary", "list", "string", "null", "number", "empty"])
def test_signed_bodies_that_are_not_json_objects_are_400(client, queue, redis_conn, body):
    answer = client.post(WEBHOOK_PATH, content=body, headers={"X-GitHub-Event": "pull_request", "X-Hub-Signature-256": sign(body)})
    assert answer.status_code == 400 and nothing_enqueued(queue, redis_conn)


def test_a_body_over_25_mb_is_413_before_anything_else(client, queue, redis_conn):
    body = b"{" + b" " * MAX_BODY_BYTES + b"}"
    answer = client.post(WEBHOOK_PATH, content=body, headers={"X-GitHub-Event": "pull_request", "X-Hub-Signature-256": sign(body)})
    assert answer.status_code == 413 and nothing_enqueued(queue, redis_conn)


@pytest.mark.parametrize(
    "payload",
    [
        {"action": "opened"},
        {**PULL, "installation": None},
        {**PULL, "installation": {"id": "1"}},
        {**PULL, "repository": {"full_name": 5}},
        {**PULL, "pull_request": {"number": "1", "head": {"sha": "a" * 40}}},
        {**PULL, "pull_request": {"number": 1, "head": None}},
        {**PULL, "pull_request": {"number": 1, "head": {"sha": ""}}},
        {**PULL, "pull_request": []},
        {**PULL, "action": ["opened"]},
        {"action": "requested", "check_suite": {"head_sha": None}, "repository": {"full_name": "octo/shop"}, "installation": {"id": 1}},
        {"action": "requested", "check_suite": {"head_sha": "a" * 40, "pull_requests": [None, {"number": "x"}, 7]}, "repository": {"full_name": "octo/shop"}, "installation": {"id": 1}},
    ],
)
def test_a_signed_payload_missing_what_the_job_needs_is_acknowledged_and_ignored(client, queue, redis_conn, payload):
    body = json.dumps(payload).encode()
    event = "check_suite" if "check_suite" in payload else "pull_request"
    answer = client.post(WEBHOOK_PATH, content=body, headers={"X-GitHub-Event": event, "X-GitHub-Delivery": "d-2", "X-Hub-Signature-256": sign(body)})
    assert answer.status_code in (202, 400)
    for job in queue.jobs:  # what was queued, if anything, is a well-formed review
        assert isinstance(job.kwargs["installation_id"], int) and isinstance(job.kwargs["head_sha"], str) and job.kwargs["head_sha"]


@pytest.mark.parametrize("event", ["push", "star", "fork", "deployment", "meta", "github_app_authorization", "x" * 300, "pull_request\x00"])
def test_unknown_events_are_acknowledged_and_ignored(client, queue, redis_conn, event):
    body = json.dumps(PULL).encode()
    answer = client.post(WEBHOOK_PATH, content=body, headers={"X-GitHub-Event": event, "X-Hub-Signature-256": sign(body)})
    assert answer.status_code in (202, 400) and len(queue) == 0


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.sampled_from(["action", "number", "pull_request", "head", "sha", "repository", "full_name", "installation", "id", "check_suite", "pull_requests", "head_sha", "check_run"]) | st.text(max_size=8), children, max_size=5),
    max_leaves=25,
)
header_text = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=80)
events = st.sampled_from(["pull_request", "check_suite", "check_run", "ping", "installation", "issue_comment", "push"]) | header_text


@hypothesis_settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2000) | json_values.map(lambda value: json.dumps(value).encode()), event=events, signature=st.none() | header_text, delivery=st.none() | header_text)
def test_random_unsigned_bodies_and_headers_never_5xx_and_enqueue_nothing(client, queue, redis_conn, body, event, signature, delivery):
    headers = {"X-GitHub-Event": event}
    if signature is not None:
        headers["X-Hub-Signature-256"] = signature
    if delivery is not None:
        headers["X-GitHub-Delivery"] = delivery
    answer = client.post(WEBHOOK_PATH, content=body, headers=headers)
    assert answer.status_code < 500
    assert answer.status_code == 401  # a random signature is never valid
    assert nothing_enqueued(queue, redis_conn)


@hypothesis_settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=json_values, event=events)
def test_random_signed_json_never_5xx_and_queues_only_well_formed_jobs(client, queue, redis_conn, payload, event):
    body = json.dumps(payload).encode()
    answer = client.post(WEBHOOK_PATH, content=body, headers={"X-GitHub-Event": event, "X-Hub-Signature-256": sign(body)})
    assert answer.status_code < 500
    assert answer.status_code in (200, 202, 400) if isinstance(payload, dict) and event else answer.status_code == 400
    for job in queue.jobs:
        assert isinstance(job.kwargs["installation_id"], int) and isinstance(job.kwargs["repo"], str) and job.kwargs["head_sha"]
    for job in queue.jobs:
        job.delete()
    redis_conn.delete(*redis_conn.keys(DELIVERY_KEY_PREFIX + "*") or ["-"])
