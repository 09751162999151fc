"""The web process: receive GitHub webhooks, verify them, enqueue their jobs, answer 202 in milliseconds.

It never calls GitHub and never imports the worker's code: all it does is
check the size and the signature of the raw body, parse the JSON, route it
(bot.events) and enqueue (bot.queue). /healthz says the process is alive,
/readyz that Redis answers, /metrics shows the deployment's metrics
(bot.metrics) in Prometheus format.

Every webhook ends in one log line whose `outcome` field (queued, collapsed,
duplicate, ignored, pong, unavailable, refused:<status>) is also the label
it is counted under, after the response is sent. Deliveries refused before
their signature is verified are counted under the event `unverified`: an
unsigned request must not be able to invent label values.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

import redis
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from bot.events import jobs_for, log_fields
from bot.logs import fields
from bot.metrics import MetricsStore, record_webhook, render
from bot.queue import JobQueue, QueueUnavailable
from bot.settings import Settings, get_settings

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/api/github/webhooks"
MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub does not send payloads over 25 MB.
SIGNATURE_PREFIX = "sha256="
LOGGED_EVENTS = frozenset({"installation", "installation_repositories"})
UNVERIFIED_EVENT = "unverified"


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
    app = FastAPI(title="AINAScan", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.job_queue = job_queue
    metrics = app.state.metrics = MetricsStore(job_queue.connection)

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
            exposition = await run_in_threadpool(render, metrics, job_queue.queue)
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
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            return _refuse(metrics, 400, "body is not JSON", event, delivery_id=delivery_id, event=event)
        if not isinstance(payload, dict):
            return _refuse(metrics, 400, "body is not a JSON object", event, delivery_id=delivery_id, event=event)
        if not event:
            return _refuse(metrics, 400, "missing X-GitHub-Event", event, delivery_id=delivery_id)
        return await _accept(job_queue, metrics, event, payload, delivery_id)

    return app


def _counted(metrics: MetricsStore, event: str | None, outcome: str) -> BackgroundTask:
    """Count the delivery once the response has gone out, so a slow Redis never delays GitHub's answer."""
    return BackgroundTask(record_webhook, event or "none", outcome, store=metrics)


async def _accept(job_queue: JobQueue, metrics: MetricsStore, event: str, payload: dict[str, Any], delivery_id: str | None) -> JSONResponse:
    context = {"delivery_id": delivery_id, **log_fields(event, payload)}
    if event == "ping":
        log.info("ping", extra=fields(**context, zen=payload.get("zen"), outcome="pong"))
        return JSONResponse({"status": "pong"}, background=_counted(metrics, event, "pong"))
    requests = jobs_for(event, payload, delivery_id)
    if not requests:
        level = logging.INFO if event in LOGGED_EVENTS or "requested_action" in context else logging.DEBUG
        log.log(level, "webhook acknowledged, nothing to do", extra=fields(**context, outcome="ignored"))
        return JSONResponse({"status": "ignored"}, status_code=202, background=_counted(metrics, event, "ignored"))
    try:
        submission = await run_in_threadpool(job_queue.submit, delivery_id, requests)
    except QueueUnavailable as exc:
        log.error("webhook not queued: %s", exc, extra=fields(**context, outcome="unavailable"))
        return JSONResponse({"status": "unavailable", "reason": "queue unavailable"}, status_code=503, background=_counted(metrics, event, "unavailable"))
    log.info(
        "webhook %s",
        submission.status,
        extra=fields(**context, outcome=submission.status, enqueued=submission.enqueued, collapsed=submission.collapsed),
    )
    return JSONResponse(
        {"status": submission.status, "enqueued": submission.enqueued, "collapsed": submission.collapsed},
        status_code=202,
        background=_counted(metrics, event, submission.status),
    )


def _refuse(metrics: MetricsStore, status_code: int, reason: str, counted_event: str | None, **context: Any) -> JSONResponse:
    outcome = f"refused:{status_code}"
    log.warning("webhook refused: %s", reason, extra=fields(**context, outcome=outcome))
    return JSONResponse({"status": "refused", "reason": reason}, status_code=status_code, background=_counted(metrics, counted_event, outcome))
