"""The `ainascan` console script: the analyzer's commands, plus the bot's server commands.

`serve` runs the web process (FastAPI under uvicorn), `worker` an RQ worker
with its scheduler. Both read their settings from the environment and stop
at start with one line naming a missing or malformed variable. Server
imports are lazy so that `ainascan scan` starts fast.
"""

from __future__ import annotations

import argparse
import sys

from analyzer.cli import build_parser, dispatch

# Jobs left STARTED by a worker that died are reclaimed at the next maintenance run.
WORKER_MAINTENANCE_SECONDS = 60
JOBS_MODULE = "bot.jobs"


def add_server_commands(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser("serve", help="run the GitHub App's web process (webhooks, /healthz, /readyz)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    serve.set_defaults(handler=run_serve)

    worker = subparsers.add_parser("worker", help="run an RQ worker (with its scheduler) that reviews pull requests")
    worker.add_argument("--burst", action="store_true", help="work until the queue is empty, then exit")
    worker.set_defaults(handler=run_worker)


def _settings_and_logging():
    from bot.logs import configure_logging
    from bot.settings import load_settings

    settings = load_settings()
    secrets = [settings.webhook_secret.get_secret_value()]
    if settings.private_key is not None:
        secrets.append(settings.private_key.get_secret_value())
    configure_logging(secrets=secrets)
    return settings


def run_serve(args: argparse.Namespace) -> int:
    settings = _settings_and_logging()
    import uvicorn

    from bot.queue import JobQueue, connect
    from bot.web import create_app

    job_queue = JobQueue(settings, connection=_redis_from(connect, settings.redis_url))
    uvicorn.run(create_app(settings, job_queue), host=args.host, port=args.port, log_config=None)
    return 0


def run_worker(args: argparse.Namespace) -> int:
    settings = _settings_and_logging()
    import redis
    from rq import Queue, Worker

    connection = _redis_from(redis.Redis.from_url, settings.redis_url)
    _preload_jobs()
    try:
        queue = Queue(settings.queue_name, connection=connection, default_timeout=settings.job_timeout_seconds)
        worker = Worker([queue], connection=connection, maintenance_interval=WORKER_MAINTENANCE_SECONDS)
        worker.work(burst=args.burst, with_scheduler=True)
    except redis.ConnectionError as exc:
        raise SystemExit(f"ainascan: cannot reach Redis at AINASCAN_REDIS_URL ({exc})") from None
    return 0


def _preload_jobs() -> None:
    """Import the job module once in the worker, so each forked work-horse starts with it (and githubkit) loaded.

    A syntax or import error in the job code stops the worker at start instead of failing every job.
    """
    import importlib

    try:
        importlib.import_module(JOBS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != JOBS_MODULE:
            raise
        import logging

        logging.getLogger(__name__).warning("%s is not installed: every job will fail until it is", JOBS_MODULE)


def _redis_from(factory, redis_url: str):
    """A Redis client, or one clear line when the URL is malformed (redis-py's message does not repeat it)."""
    try:
        return factory(redis_url)
    except ValueError as exc:
        raise SystemExit(f"ainascan: AINASCAN_REDIS_URL is invalid ({exc})") from None


def main(argv: list[str] | None = None) -> int:
    parser, subparsers = build_parser("ainascan")
    add_server_commands(subparsers)
    return dispatch(parser, argv)


if __name__ == "__main__":
    sys.exit(main())
