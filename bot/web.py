"""The web process: receive GitHub webhooks, verify them, enqueue their jobs, answer 202 in milliseconds.

It never calls GitHub and never imports the worker's code: all it does is
check the size and the signature of the raw body, parse the JSON, route it
(bot.events) and enqueue (bot.queue). /healthz says the process is alive,
/readyz that Redis answers, /metrics shows the deployment's metrics
(bot.metrics) in Prometheus format.

Every webhook ends in one log line whose `outcome` field (queued, collapsed,
duplicate, ignored, pong, unavailable, refused:<status>) is also the label
it is counted under. Deliveries refused before their signature is verified
are counted under the event `unverified`: an unsigned request must not be
able to invent label values.

A webhook costs one Redis round trip, made on the event loop (redis.asyncio):
dedupe and enqueue are one script (bot.queue), and the counts are kept in
memory and added to Redis once a second and at shutdown (the lifespan below).
A 202 is sent only once the job is in Redis; Redis down answers 503, so
GitHub's redelivery (or `ainascan redeliver`) brings the webhook back.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import orjson
import redis
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.concurrency import run_in_threadpool

from bot.events import jobs_for, log_fields
from bot.logs import fields
from bot.metrics import BatchedMetricsStore, MetricsStore, record_webhook, render
from bot.queue import JobQueue, QueueUnavailable
from bot.settings import Settings, get_settings

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/api/github/webhooks"
MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub does not send payloads over 25 MB.
SIGNATURE_PREFIX = "sha256="
LOGGED_EVENTS = frozenset({"installation", "installation_repositories"})
UNVERIFIED_EVENT = "unverified"
METRICS_FLUSH_SECONDS = 1.0


class BodyTooLarge(Exception):
    """The request body exceeds MAX_BODY_BYTES (declared or actually sent)."""


def signature_is_valid(secret: bytes, body: bytes, header: str | None) -> bool:
    """Whether `header` is `sha256=` + the HMAC-SHA256 hex of `body` under `secret`, compared in constant time."""
    if not header or not header.startswith(SIGNATURE_PREFIX):
        return False
    expected = SIGNATURE_PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode("ascii"), header.strip().encode("ascii", "replace"))


async def read_capped_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The raw body, refusing (BodyTooLarge) a declared or actual size over `limit` without buffering more."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(settings: Settings | None = None, job_queue: JobQueue | None = None) -> FastAPI:
    """The FastAPI application; settings default to the environment's (uvicorn's `--factory` calls this bare)."""
    settings = settings or get_settings()
    job_queue = job_queue or JobQueue(settings)
    secret = settings.webhook_secret.get_secret_value().encode("utf-8")
    metrics = BatchedMetricsStore(job_queue.connection)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        flusher = asyncio.create_task(_flush_every(metrics, METRICS_FLUSH_SECONDS))
        try:
            yield
        finally:
            flusher.cancel()
            await run_in_threadpool(metrics.flush)
            if metrics.pending:
                log.warning("metrics lost at shutdown: Redis did not take %d writes", metrics.pending)
            await job_queue.aclose()

    app = FastAPI(title="AINAScan", docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.job_queue = job_queue
    app.state.metrics = metrics

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        if await run_in_threadpool(job_queue.ping):
            return JSONResponse({"status": "ready"})
        log.warning("not ready: Redis does not answer")
        return JSONResponse({"status": "unavailable", "reason": "Redis does not answer"}, status_code=503)

    @app.get("/metrics")
    async def metrics_page() -> Response:
        try:
            exposition = await run_in_threadpool(_flush_and_render, metrics, job_queue)
        except redis.RedisError as exc:
            log.warning("metrics unavailable: Redis does not answer (%s)", exc.__class__.__name__)
            return Response("# metrics unavailable: Redis does not answer\n", status_code=503, media_type="text/plain")
        return Response(exposition, media_type=CONTENT_TYPE_LATEST)

    @app.post(WEBHOOK_PATH)
    async def webhook(request: Request) -> JSONResponse:
        delivery_id = request.headers.get("x-github-delivery")
        event = request.headers.get("x-github-event")
        try:
            body = await read_capped_body(request)
        except BodyTooLarge:
            return _refuse(metrics, 413, "payload too large", UNVERIFIED_EVENT, delivery_id=delivery_id, event=event)
        if not signature_is_valid(secret, body, request.headers.get("x-hub-signature-256")):
            return _refuse(metrics, 401, "bad or missing X-Hub-Signature-256", UNVERIFIED_EVENT, delivery_id=delivery_id, event=event)
        try:
            payload = orjson.loads(body)  # a third of json.loads's time on a 25 kB pull_request payload
        except ValueError:  # orjson.JSONDecodeError, invalid UTF-8 included
            return _refuse(metrics, 400, "body is not JSON", event, delivery_id=delivery_id, event=event)
        if not isinstance(payload, dict):
            return _refuse(metrics, 400, "body is not a JSON object", event, delivery_id=delivery_id, event=event)
        if not event:
            return _refuse(metrics, 400, "missing X-GitHub-Event", event, delivery_id=delivery_id)
        return await _accept(job_queue, metrics, event, payload, delivery_id)

    return app


async def _flush_every(metrics: MetricsStore, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        if metrics.pending:
            await run_in_threadpool(metrics.flush)


def _flush_and_render(metrics: MetricsStore, job_queue: JobQueue) -> bytes:
    """The page with this process's own latest counts in it (other processes' arrive within a flush interval)."""
    metrics.flush()
    return render(metrics, job_queue.queue)


async def _accept(job_queue: JobQueue, metrics: MetricsStore, event: str, payload: dict[str, Any], delivery_id: str | None) -> JSONResponse:
    context = {"delivery_id": delivery_id, **log_fields(event, payload)}
    if event == "ping":
        log.info("ping", extra=fields(**context, zen=payload.get("zen"), outcome="pong"))
        return _answered(metrics, event, "pong", {"status": "pong"}, 200)
    requests = jobs_for(event, payload, delivery_id)
    if not requests:
        level = logging.INFO if event in LOGGED_EVENTS or "requested_action" in context else logging.DEBUG
        log.log(level, "webhook acknowledged, nothing to do", extra=fields(**context, outcome="ignored"))
        return _answered(metrics, event, "ignored", {"status": "ignored"}, 202)
    try:
        submission = await job_queue.submit_async(delivery_id, requests)
    except QueueUnavailable as exc:
        log.error("webhook not queued: %s", exc, extra=fields(**context, outcome="unavailable"))
        return _answered(metrics, event, "unavailable", {"status": "unavailable", "reason": "queue unavailable"}, 503)
    log.info(
        "webhook %s",
        submission.status,
        extra=fields(**context, outcome=submission.status, enqueued=submission.enqueued, collapsed=submission.collapsed),
    )
    answer = {"status": submission.status, "enqueued": submission.enqueued, "collapsed": submission.collapsed}
    return _answered(metrics, event, submission.status, answer, 202)


def _refuse(metrics: MetricsStore, status_code: int, reason: str, counted_event: str | None, **context: Any) -> JSONResponse:
    outcome = f"refused:{status_code}"
    log.warning("webhook refused: %s", reason, extra=fields(**context, outcome=outcome))
    return _answered(metrics, counted_event, outcome, {"status": "refused", "reason": reason}, status_code)


def _answered(metrics: MetricsStore, event: str | None, outcome: str, answer: dict[str, Any], status_code: int) -> JSONResponse:
    """The answer to a delivery, counted (in memory: see BatchedMetricsStore) under its event and outcome."""
    record_webhook(event or "none", outcome, store=metrics)
    return JSONResponse(answer, status_code=status_code)
