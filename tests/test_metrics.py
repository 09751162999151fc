"""Metrics kept in Redis (bot.metrics) and shown by GET /metrics, against a real Redis server."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import socket
import time

import httpx
import pytest
import redis
import respx
from redis.backoff import NoBackoff
from redis.retry import Retry
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from rq import Queue, Worker

from analyzer.model import Severity
from bot import metrics, web
from bot.metrics import (
    FINDINGS_POSTED,
    BatchedMetricsStore,
    JOBS,
    MetricsStore,
    github_event_hooks,
    measured_job,
    record_comments_posted,
    record_github_call,
    record_job,
    record_webhook,
    render,
)
from bot.publish import InlineComment
from bot.settings import get_settings, load_settings
from bot.web import WEBHOOK_PATH, create_app

SECRET = "metrics-hook-secret"
PRIVATE_KEY = "-----BEGIN RSA PRIVATE KEY-----\nnot-a-real-key\n-----END RSA PRIVATE KEY-----"


def samples(exposition: bytes | str) -> dict[tuple[str, frozenset], float]:
    """(sample name, its labels) -> value, from a Prometheus text exposition."""
    text = exposition.decode() if isinstance(exposition, bytes) else exposition
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(exposition, name: str, **labels) -> float | None:
    return samples(exposition).get((name, frozenset(labels.items())))


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def store(redis_conn) -> MetricsStore:
    return MetricsStore(redis_conn)


@pytest.fixture
def worker_environment(monkeypatch, redis_url, redis_conn):
    """The environment a worker process has: settings from AINASCAN_*, the default store built from them."""
    monkeypatch.setenv("AINASCAN_APP_ID", "7")
    monkeypatch.setenv("AINASCAN_PRIVATE_KEY", PRIVATE_KEY)
    monkeypatch.setenv("AINASCAN_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("AINASCAN_REDIS_URL", redis_url)
    get_settings.cache_clear()
    metrics.use_store(None)
    yield
    metrics.use_store(None)
    get_settings.cache_clear()


@measured_job
def sample_review(outcome: str) -> dict:
    """An RQ job standing in for bot.jobs.review_pull_request: its result's status is the outcome."""
    if outcome == "raise":
        raise RuntimeError("GitHub answered 500")
    return {"status": outcome}


def test_counters_from_separate_connections_add_up(redis_conn, redis_url):
    other = MetricsStore(redis.Redis.from_url(redis_url))
    record_job("reviewed", 1.0, store=MetricsStore(redis_conn))
    record_job("reviewed", 2.0, store=other)
    record_job("superseded", 0.1, store=other)

    page = render(MetricsStore(redis_conn))

    assert value(page, "ainascan_jobs_total", outcome="reviewed") == 2
    assert value(page, "ainascan_jobs_total", outcome="superseded") == 1
    assert value(page, "ainascan_job_duration_seconds_count") == 3
    assert value(page, "ainascan_job_duration_seconds_sum") == pytest.approx(3.1)


def test_job_durations_fill_cumulative_buckets(store):
    for seconds in (0.3, 7, 7, 1000):
        record_job("reviewed", seconds, store=store)

    page = render(store)

    assert value(page, "ainascan_job_duration_seconds_bucket", le="0.5") == 1
    assert value(page, "ainascan_job_duration_seconds_bucket", le="5.0") == 1
    assert value(page, "ainascan_job_duration_seconds_bucket", le="10.0") == 3
    assert value(page, "ainascan_job_duration_seconds_bucket", le="600.0") == 3
    assert value(page, "ainascan_job_duration_seconds_bucket", le="+Inf") == 4
    assert value(page, "ainascan_job_duration_seconds_sum") == pytest.approx(1014.3)


def test_jobs_run_by_forked_rq_work_horses_are_counted(worker_environment, redis_conn):
    queue = Queue("metrics-test", connection=redis_conn)
    for outcome in ("reviewed", "reviewed", "raise"):
        queue.enqueue(sample_review, outcome)

    Worker([queue], connection=redis_conn).work(burst=True)  # each job in its own forked work-horse

    page = render(MetricsStore(redis_conn), queue)
    assert value(page, "ainascan_jobs_total", outcome="reviewed") == 2
    assert value(page, "ainascan_jobs_total", outcome="error") == 1
    assert value(page, "ainascan_job_duration_seconds_count") == 3
    assert value(page, "ainascan_queue_jobs", state="failed") == 1
    assert value(page, "ainascan_queue_jobs", state="queued") == 0


def test_a_measured_job_reraises_and_still_counts(worker_environment, redis_conn):
    with pytest.raises(RuntimeError):
        sample_review("raise")
    assert sample_review("draft") == {"status": "draft"}

    page = render(MetricsStore(redis_conn))
    assert value(page, "ainascan_jobs_total", outcome="error") == 1
    assert value(page, "ainascan_jobs_total", outcome="draft") == 1


def test_increments_made_while_redis_is_down_land_when_it_is_back(redis_conn):
    store = MetricsStore(redis.Redis(port=closed_port(), socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)))
    store.increment(JOBS, outcome="reviewed")
    store.increment(FINDINGS_POSTED, 3, severity="BLOCK")
    assert store.pending == 2

    store.connection = redis_conn
    store.increment(JOBS, outcome="reviewed")

    assert store.pending == 0
    page = render(store)
    assert value(page, "ainascan_jobs_total", outcome="reviewed") == 2
    assert value(page, "ainascan_findings_posted_total", severity="BLOCK") == 3


def test_a_batched_store_writes_nothing_until_flushed_and_batches_from_several_processes_add_up(redis_conn, redis_url):
    web_one, web_two = BatchedMetricsStore(redis_conn), BatchedMetricsStore(redis.Redis.from_url(redis_url))
    for _ in range(3):
        record_webhook("pull_request", "queued", store=web_one)
    record_webhook("pull_request", "queued", store=web_two)
    record_webhook("ping", "pong", store=web_two)

    assert redis_conn.keys(f"{metrics.KEY_PREFIX}*") == []
    assert (web_one.pending, web_two.pending) == (1, 2)

    web_one.flush()
    web_two.flush()

    page = render(MetricsStore(redis_conn))
    assert value(page, "ainascan_webhooks_received_total", event="pull_request", outcome="queued") == 4
    assert value(page, "ainascan_webhooks_received_total", event="ping", outcome="pong") == 1
    assert web_one.pending == web_two.pending == 0


def test_a_batch_redis_did_not_take_is_kept_for_the_next_flush(redis_conn):
    batched = BatchedMetricsStore(redis.Redis(port=closed_port(), socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0)))
    record_webhook("pull_request", "queued", store=batched)
    batched.flush()
    assert batched.pending == 1

    batched.connection = redis_conn
    record_webhook("pull_request", "queued", store=batched)
    batched.flush()

    assert value(render(batched), "ainascan_webhooks_received_total", event="pull_request", outcome="queued") == 2


def test_wrong_labels_are_refused(store):
    with pytest.raises(ValueError, match="outcome"):
        store.increment(JOBS, status="reviewed")


def test_posted_comments_are_counted_by_severity(store):
    comments = [
        InlineComment(path="a.py", line=1, body="x", fingerprint="1", severity=Severity.BLOCK),
        InlineComment(path="a.py", line=2, body="y", fingerprint="2", severity=Severity.BLOCK),
        InlineComment(path="b.py", line=3, body="z", fingerprint="3", severity=Severity.WARN),
    ]
    record_comments_posted(comments, store=store)
    record_comments_posted([], store=store)

    page = render(store)
    assert value(page, "ainascan_findings_posted_total", severity="BLOCK") == 2
    assert value(page, "ainascan_findings_posted_total", severity="WARN") == 1


@respx.mock(base_url="https://api.github.test")
def test_github_responses_are_counted_through_githubkit_event_hooks(respx_mock, store):
    from githubkit import GitHub

    respx_mock.get("/repos/o/r/pulls/1").respond(200, json={}, headers={"x-ratelimit-remaining": "4321", "x-ratelimit-resource": "core"})
    respx_mock.get("/repos/o/r/pulls/2").respond(404, json={"message": "Not Found"})
    respx_mock.post("/app/installations/42/access_tokens").respond(201, json={}, headers={"x-ratelimit-remaining": "14999", "x-ratelimit-resource": "core"})
    gh = GitHub("token", base_url="https://api.github.test", auto_retry=False, event_hooks=github_event_hooks(42, store=store))

    gh.request("GET", "/repos/o/r/pulls/1")
    with pytest.raises(Exception):
        gh.request("GET", "/repos/o/r/pulls/2")
    gh.request("POST", "/app/installations/42/access_tokens")

    page = render(store)
    assert value(page, "ainascan_github_api_calls_total", status="200") == 1
    assert value(page, "ainascan_github_api_calls_total", status="404") == 1
    assert value(page, "ainascan_github_api_calls_total", status="201") == 1
    assert value(page, "ainascan_github_rate_limit_remaining", installation="42", resource="core") == 4321
    assert value(page, "ainascan_github_rate_limit_remaining", installation="app", resource="core") == 14999


@respx.mock(base_url="https://api.github.test")
def test_an_installation_client_counts_its_token_minting_as_the_apps(respx_mock, store):
    """The wiring bot/github.py is to use: hooks bound to the installation, through githubkit's App auth flow."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from githubkit import AppAuthStrategy, GitHub

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()).decode()
    respx_mock.post("/app/installations/42/access_tokens").respond(
        201, json={"token": "ghs_test", "expires_at": "2099-01-01T00:00:00Z"}, headers={"x-ratelimit-remaining": "14990", "x-ratelimit-resource": "core"}
    )
    respx_mock.get("/repos/o/r").respond(200, json={}, headers={"x-ratelimit-remaining": "4998", "x-ratelimit-resource": "core"})
    app = GitHub(AppAuthStrategy("7", pem), base_url="https://api.github.test", auto_retry=False, event_hooks=github_event_hooks(42, store=store))
    installation = app.with_auth(app.auth.as_installation(42))

    installation.request("GET", "/repos/o/r")

    page = render(store)
    assert value(page, "ainascan_github_api_calls_total", status="201") == 1
    assert value(page, "ainascan_github_api_calls_total", status="200") == 1
    assert value(page, "ainascan_github_rate_limit_remaining", installation="app", resource="core") == 14990
    assert value(page, "ainascan_github_rate_limit_remaining", installation="42", resource="core") == 4998


def test_the_latest_rate_limit_wins(store):
    record_github_call(200, 100, "core", installation="9", store=store)
    record_github_call(200, 99, "core", installation="9", store=store)
    record_github_call(200, 4000, "graphql", installation="9", store=store)

    page = render(store)
    assert value(page, "ainascan_github_rate_limit_remaining", installation="9", resource="core") == 99
    assert value(page, "ainascan_github_rate_limit_remaining", installation="9", resource="graphql") == 4000


# ---------------------------------------------------------------- GET /metrics


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


def make_app(redis_url: str):
    return create_app(load_settings(app_id=1, private_key=PRIVATE_KEY, webhook_secret=SECRET, redis_url=redis_url))


def scraped_once_flushed(client: TestClient, name: str, **labels) -> bytes:
    """The page once `name{labels}` shows up in it: other processes' counts arrive within their flush interval."""
    deadline = time.monotonic() + 10
    while True:
        page = client.get("/metrics").content
        if value(page, name, **labels) is not None or time.monotonic() > deadline:
            return page
        time.sleep(0.02)


def test_metrics_page_counts_webhooks_and_shows_the_queue_on_every_replica(redis_url, redis_conn, webhook_fixtures, monkeypatch):
    monkeypatch.setattr(web, "METRICS_FLUSH_SECONDS", 0.05)
    body = (webhook_fixtures / "pull_request__opened.json").read_bytes()
    headers = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "d-1", "Content-Type": "application/json"}
    with TestClient(make_app(redis_url)) as one, TestClient(make_app(redis_url)) as two:
        assert one.post(WEBHOOK_PATH, content=body, headers={**headers, "X-Hub-Signature-256": sign(body)}).status_code == 202
        assert two.post(WEBHOOK_PATH, content=body, headers={**headers, "X-Hub-Signature-256": sign(body)}).json()["status"] == "duplicate"
        forged = {**headers, "X-GitHub-Event": "invented-by-an-attacker", "X-Hub-Signature-256": "sha256=" + "0" * 64}
        assert two.post(WEBHOOK_PATH, content=body, headers=forged).status_code == 401
        ping = json.dumps({"zen": "Keep it logically awesome.", "hook_id": 1}).encode()
        assert one.post(WEBHOOK_PATH, content=ping, headers={**headers, "X-GitHub-Event": "ping", "X-GitHub-Delivery": "d-2", "X-Hub-Signature-256": sign(ping)}).status_code == 200

        first = scraped_once_flushed(one, "ainascan_webhooks_received_total", event="pull_request", outcome="duplicate")
        second = scraped_once_flushed(two, "ainascan_webhooks_received_total", event="ping", outcome="pong")
        response = one.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for page in (first, second):
        assert value(page, "ainascan_webhooks_received_total", event="pull_request", outcome="queued") == 1
        assert value(page, "ainascan_webhooks_received_total", event="pull_request", outcome="duplicate") == 1
        assert value(page, "ainascan_webhooks_received_total", event="unverified", outcome="refused:401") == 1
        assert value(page, "ainascan_webhooks_received_total", event="ping", outcome="pong") == 1
        assert value(page, "ainascan_queue_jobs", state="queued") == 1
        assert value(page, "ainascan_workers") == 0
    assert b"invented-by-an-attacker" not in first


def test_metrics_page_answers_503_when_redis_is_down():
    with TestClient(make_app(f"redis://127.0.0.1:{closed_port()}/0")) as client:
        response = client.get("/metrics")
    assert response.status_code == 503
    assert "Redis" in response.text


def test_an_empty_deployment_still_declares_every_metric(redis_url, redis_conn):
    with TestClient(make_app(redis_url)) as client:
        page = client.get("/metrics").text
    for name in ("ainascan_webhooks_received", "ainascan_jobs", "ainascan_job_duration_seconds", "ainascan_github_api_calls",
                 "ainascan_github_rate_limit_remaining", "ainascan_findings_posted", "ainascan_queue_jobs", "ainascan_workers"):
        assert re.search(rf"^# TYPE {name}(_total)? (counter|gauge|histogram)$", page, re.MULTILINE), name


def test_the_web_process_adds_its_webhook_counts_to_redis_at_shutdown(redis_url, redis_conn, webhook_fixtures, monkeypatch):
    monkeypatch.setattr(web, "METRICS_FLUSH_SECONDS", 3600)  # no periodic flush during the test: only the shutdown's
    body = (webhook_fixtures / "pull_request__opened.json").read_bytes()
    with TestClient(make_app(redis_url)) as client:
        for delivery in ("d-1", "d-2", "d-1"):
            headers = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": delivery, "X-Hub-Signature-256": sign(body)}
            assert client.post(WEBHOOK_PATH, content=body, headers=headers).status_code == 202
        assert redis_conn.keys(f"{metrics.KEY_PREFIX}*") == []  # counted in memory so far

    page = render(MetricsStore(redis_conn))
    assert value(page, "ainascan_webhooks_received_total", event="pull_request", outcome="queued") == 1
    assert value(page, "ainascan_webhooks_received_total", event="pull_request", outcome="collapsed") == 1
    assert value(page, "ainascan_webhooks_received_total", event="pull_request", outcome="duplicate") == 1


def test_the_web_process_adds_its_counts_to_redis_every_flush_interval(redis_url, redis_conn, webhook_fixtures, monkeypatch):
    monkeypatch.setattr(web, "METRICS_FLUSH_SECONDS", 0.05)
    body = (webhook_fixtures / "pull_request__opened.json").read_bytes()
    with TestClient(make_app(redis_url)) as client:
        headers = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "d-1", "X-Hub-Signature-256": sign(body)}
        assert client.post(WEBHOOK_PATH, content=body, headers=headers).status_code == 202
        deadline = time.monotonic() + 10
        while not redis_conn.keys(f"{metrics.KEY_PREFIX}*") and time.monotonic() < deadline:
            time.sleep(0.02)
        page = render(MetricsStore(redis_conn))

    assert value(page, "ainascan_webhooks_received_total", event="pull_request", outcome="queued") == 1
