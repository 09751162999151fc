"""The `ainascan` console script: the analyzer's commands, plus the bot's server commands.

`serve` runs the web process (FastAPI under uvicorn; `--workers N`
processes share the port, each calling `web_app`), `worker` an RQ worker
with its scheduler (bot/worker.py: short heartbeats, lost jobs reclaimed,
stuck check runs reaped), `redeliver` asks GitHub to deliver again the
webhooks that failed (bot/redeliver.py). They read their settings from the
environment and stop at start with one line naming a missing or malformed
variable. `register` creates the GitHub App from app.yml and writes its
credentials to an env file (bot/register.py). Server imports are lazy so
that `ainascan scan` starts fast.
"""

from __future__ import annotations

import argparse
import sys

from analyzer.cli import build_parser, dispatch

JOBS_MODULE = "bot.jobs"
WEB_APP_FACTORY = "bot.cli:web_app"


def add_server_commands(subparsers: argparse._SubParsersAction) -> None:
    serve = subparsers.add_parser("serve", help="run the GitHub App's web process (webhooks, /healthz, /readyz, /metrics)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
    serve.add_argument(
        "--workers",
        type=_count,
        help="processes that share the port (default: AINASCAN_WEB_WORKERS, which defaults to 1; 0: one per core)",
    )
    serve.set_defaults(handler=run_serve)

    worker = subparsers.add_parser("worker", help="run an RQ worker (with its scheduler) that reviews pull requests")
    worker.add_argument("--burst", action="store_true", help="work until the queue is empty, then exit")
    worker.set_defaults(handler=run_worker)

    register = subparsers.add_parser(
        "register",
        help="create the GitHub App from app.yml (GitHub's App-manifest flow) and write its credentials to an env file",
        description="Serves a page on 127.0.0.1 that sends app.yml to GitHub as an App manifest, then writes the new "
        "App's id, private key and webhook secret to the env file (mode 0600), keeping its other lines.",
    )
    register.add_argument("--org", help="register the App for this organization (default: your personal account)")
    register.add_argument("--webhook-url", help="where GitHub delivers webhooks: https://YOUR-HOST/api/github/webhooks")
    register.add_argument("--name", help="the App's name, unique on GitHub (default: app.yml's; editable on GitHub's page)")
    register.add_argument("--github-url", default="https://github.com", help="GitHub, or https://HOST for GitHub Enterprise Server (default: %(default)s)")
    register.add_argument("--api-url", help="GitHub's API (default: from --github-url: api.github.com, or HOST/api/v3)")
    register.add_argument("--env-file", default="deploy/.env", help="where the credentials are written (default: %(default)s)")
    register.add_argument("--manifest", default="app.yml", help="the App manifest (default: %(default)s)")
    register.add_argument("--port", type=int, default=0, help="port of the local page on 127.0.0.1 (default: any free port)")
    register.add_argument("--timeout", type=float, default=900, help="seconds to wait for GitHub's answer (default: %(default)s)")
    register.add_argument("--no-browser", action="store_true", help="only print the local page's address")
    register.set_defaults(handler=run_register)

    redeliver = subparsers.add_parser("redeliver", help="ask GitHub to deliver again the webhooks that failed (Redis down, web process down)")
    redeliver.add_argument("--since", default="1h", help="how far back to look: 30m, 1h, 2d (default: 1h; GitHub keeps a few days)")
    redeliver.add_argument("--dry-run", action="store_true", help="list what would be redelivered, request nothing")
    redeliver.set_defaults(handler=run_redeliver)


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

    from bot.queue import connect

    _redis_from(connect, settings.redis_url)  # a malformed URL: one line here, not a traceback from every worker
    workers = args.workers if args.workers is not None else settings.web_workers
    # An import string, so that each worker process builds its own app (and Redis clients) with web_app().
    # Our own JSON line records every webhook: uvicorn's access log would be a second line per request.
    uvicorn.run(WEB_APP_FACTORY, factory=True, host=args.host, port=args.port, workers=workers or _cores(), log_config=None, access_log=False)
    return 0


def web_app():
    """The web process's app, made in each `ainascan serve` worker process from the environment's settings."""
    settings = _settings_and_logging()
    from bot.queue import JobQueue, connect
    from bot.web import create_app

    return create_app(settings, JobQueue(settings, connection=_redis_from(connect, settings.redis_url)))


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a whole number of processes: {text!r}")
    return int(text)


def run_worker(args: argparse.Namespace) -> int:
    settings = _settings_and_logging()
    import redis
    from rq import Queue

    connection = _redis_from(redis.Redis.from_url, settings.redis_url)
    _preload_jobs()
    from bot.worker import ReviewWorker

    try:
        queue = Queue(settings.queue_name, connection=connection, default_timeout=settings.job_timeout_seconds)
        worker = ReviewWorker([queue], settings, connection=connection)
        worker.work(burst=args.burst, with_scheduler=True)
    except redis.ConnectionError as exc:
        raise SystemExit(f"ainascan: cannot reach Redis at AINASCAN_REDIS_URL ({exc})") from None
    return 0


def run_redeliver(args: argparse.Namespace) -> int:
    from bot.redeliver import parse_duration, redeliver_failed

    try:
        window = parse_duration(args.since)
    except ValueError as exc:
        raise SystemExit(f"ainascan: --since {exc}") from None
    settings = _settings_and_logging()
    report = redeliver_failed(settings, window, dry_run=args.dry_run)
    for line in report.lines():
        print(line)
    return 1 if report.errors else 0


def run_register(args: argparse.Namespace) -> int:
    from bot.register import run

    return run(args)


HTTP_MODULES = ("httpcore", "h11", "jwt")


def _preload_jobs() -> None:
    """Import the job module and the rule catalog once in the worker, so each forked work-horse starts with them loaded.

    A syntax or import error in the job code stops the worker at start instead
    of failing every job; and no job spends its time limit importing rules
    (a limit that struck mid-import would leave that horse a partial catalog).
    """
    import importlib

    from analyzer.registry import all_rules

    all_rules()
    try:
        importlib.import_module(JOBS_MODULE)
        from bot.github import tls_context

        tls_context()
        for module in HTTP_MODULES:  # httpx imports its transport on the first request: 30-45 ms of every job's CPU otherwise
            importlib.import_module(module)
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
