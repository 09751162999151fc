"""The web process: receive GitHub webhooks, verify them, enqueue their jobs, answer 202 in milliseconds.

It never calls GitHub and never imports the worker's code: all it does is
check the size and the signature of the raw body, parse the JSON, route it
(bot.events) and enqueue (bot.queue). /healthz says the process is alive,
/readyz that Redis answers.

/metrics comes with a later issue: every webhook ends in one log line whose
`outcome` field (queued, collapsed, duplicate, ignored, unavailable,
refused:<status>) is the label its counter will use, and the queue is on
`app.state.job_queue` for queue-depth gauges.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from bot.events import jobs_for, log_fields
from bot.logs import fields
from bot.queue import JobQueue, QueueUnavailable
from bot.settings import Settings, get_settings

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/api/github/webhooks"
MAX_BODY_BYTES = 25 * 1024 * 1024  # GitHub does not send payloads over 25 MB.
SIGNATURE_PREFIX = "sha256="
LOGGED_EVENTS = frozenset({"installation", "installation_repositories"})


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

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz")
    async def readyz() -> JSONResponse:
        if await run_in_threadpool(job_queue.ping):
            return JSONResponse({"status": "ready"})
        log.warning("not ready: Redis does not answer")
        return JSONResponse({"status": "unavailable", "reason": "Redis does not answer"}, status_code=503)

    @app.post(WEBHOOK_PATH)
    async def webhook(request: Request) -> JSONResponse:
        delivery_id = request.headers.get("x-github-delivery")
        event = request.headers.get("x-github-event")
        try:
            body = await read_capped_body(request)
        except BodyTooLarge:
            return _refuse(413, "payload too large", delivery_id=delivery_id, event=event)
        if not signature_is_valid(secret, body, request.headers.get("x-hub-signature-256")):
            return _refuse(401, "bad or missing X-Hub-Signature-256", delivery_id=delivery_id, event=event)
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            return _refuse(400, "body is not JSON", delivery_id=delivery_id, event=event)
        if not isinstance(payload, dict):
            return _refuse(400, "body is not a JSON object", delivery_id=delivery_id, event=event)
        if not event:
            return _refuse(400, "missing X-GitHub-Event", delivery_id=delivery_id)
        return await _accept(job_queue, event, payload, delivery_id)

    return app


async def _accept(job_queue: JobQueue, event: str, payload: dict[str, Any], delivery_id: str | None) -> JSONResponse:
    context = {"delivery_id": delivery_id, **log_fields(event, payload)}
    if event == "ping":
        log.info("ping", extra=fields(**context, zen=payload.get("zen")))
        return JSONResponse({"status": "pong"})
    requests = jobs_for(event, payload, delivery_id)
    if not requests:
        level = logging.INFO if event in LOGGED_EVENTS or "requested_action" in context else logging.DEBUG
        log.log(level, "webhook acknowledged, nothing to do", extra=fields(**context, outcome="ignored"))
        return JSONResponse({"status": "ignored"}, status_code=202)
    try:
        submission = await run_in_threadpool(job_queue.submit, delivery_id, requests)
    except QueueUnavailable as exc:
        log.error("webhook not queued: %s", exc, extra=fields(**context, outcome="unavailable"))
        return JSONResponse({"status": "unavailable", "reason": "queue unavailable"}, status_code=503)
    log.info(
        "webhook %s",
        submission.status,
        extra=fields(**context, outcome=submission.status, enqueued=submission.enqueued, collapsed=submission.collapsed),
    )
    return JSONResponse({"status": submission.status, "enqueued": submission.enqueued, "collapsed": submission.collapsed}, status_code=202)


def _refuse(status_code: int, reason: str, **context: Any) -> JSONResponse:
    log.warning("webhook refused: %s", reason, extra=fields(**context, outcome=f"refused:{status_code}"))
    return JSONResponse({"status": "refused", "reason": reason}, status_code=status_code)
