"""GitHub clients for the worker: the App (a JWT made with PyJWT) and one installation, with our retry policy.

One base URL serves REST and GraphQL: `https://api.github.com` (GraphQL at
`/graphql`), GitHub Enterprise Server's `https://HOST/api/v3` (GraphQL at
`https://HOST/api/graphql`; githubkit rewrites it) and the local stand-in of
the end-to-end tests. Installation tokens are cached in Redis, so the forked
work-horse of each RQ job reuses the token of the one before instead of
minting a new one. The retry policy never sleeps for long inside a worker:
when GitHub's hourly budget is spent it raises `RateLimited`, and the job is
rescheduled for the reset time.

Only requests that are safe to send twice are retried here (reads, GraphQL
queries, token minting, edits that set a value): GitHub may have carried out
a write whose answer was lost (a timeout, a reset connection, a 502 after the
fact). A write that creates something (a check run, a review) or appends
(annotations) is instead repeated by its caller through `reconciled`, which
reads GitHub's state again first, so nothing is ever created twice.
"""

from __future__ import annotations

import json
import logging
import re
import ssl
import time
from dataclasses import dataclass
from functools import lru_cache
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Iterator, TypeVar

import httpx
import redis
from githubkit import AppAuthStrategy, GitHub
from githubkit.cache import RedisCacheStrategy
from githubkit.exception import (
    GitHubException,
    GraphQLFailed,
    PrimaryRateLimitExceeded,
    RequestError,
    RequestFailed,
    RequestTimeout,
    SecondaryRateLimitExceeded,
)
from githubkit.typing import RetryOption

from bot.metrics import github_event_hooks
from bot.settings import Settings

log = logging.getLogger("ainascan.github")

USER_AGENT = "AINAScan"
TOKEN_CACHE_PREFIX = "ainascan:githubkit"
# The longest a worker sleeps before one retry; anything longer reschedules the job.
MAX_RETRY_SLEEP = timedelta(seconds=60)
WRITE_ATTEMPTS = 4
# Writes that set a value (the same request twice leaves the same state): safe to repeat blindly.
_REPEATABLE_WRITES = (
    ("POST", re.compile(r".*/graphql$")),  # the bot's GraphQL is queries only
    ("POST", re.compile(r".*/app/installations/\d+/access_tokens$")),
    ("PATCH", re.compile(r".*/pulls/comments/\d+$")),
)
T = TypeVar("T")


class RateLimited(Exception):
    """GitHub's budget is spent (or asks for a longer pause than a worker may sleep): retry at `retry_at`."""

    def __init__(self, retry_at: datetime, kind: str):
        super().__init__(f"GitHub {kind} rate limit: retry at {retry_at.isoformat(timespec='seconds')}")
        self.retry_at = retry_at
        self.kind = kind


@dataclass
class RetryPolicy:
    """githubkit's `auto_retry=`: which failed requests to retry, after how long, and when to give up to the scheduler.

    - 5xx answers, timeouts and dropped connections: retried `max_retries`
      times, sleeping 1, 2, 4 ... seconds, when the request is repeatable;
      other writes are left to their caller's `reconciled` loop.
    - secondary rate limits: retried after `retry-after` when that is at most
      `max_sleep`; a longer wait raises RateLimited.
    - the primary (hourly) limit spent: RateLimited at once, for the reset time.
    """

    max_retries: int = 3
    max_sleep: timedelta = MAX_RETRY_SLEEP
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)

    def __call__(self, exc: GitHubException, retry_count: int) -> RetryOption:
        exc = unwrap(exc)
        # A rate-limited request was refused before GitHub did anything: repeating it is always safe.
        if isinstance(exc, PrimaryRateLimitExceeded):
            raise RateLimited(self.clock() + exc.retry_after, "primary") from None
        if isinstance(exc, SecondaryRateLimitExceeded):
            wait = max(exc.retry_after, timedelta(seconds=1))
            if wait > self.max_sleep or retry_count >= self.max_retries:
                raise RateLimited(self.clock() + wait, "secondary") from None
            log.warning("secondary rate limit on %s %s; retrying in %ss", exc.request.method, exc.request.url.path, int(wait.total_seconds()))
            return RetryOption(True, wait)
        if retry_count >= self.max_retries or not is_transient(exc):
            return RetryOption(False)
        request = request_of(exc)
        if request is None or not is_repeatable(request):
            return RetryOption(False)  # the caller reconciles: GitHub may have done it already
        wait = min(timedelta(seconds=2**retry_count), self.max_sleep)
        log.warning("%s; retry %d in %ss", describe_error(exc), retry_count + 1, int(wait.total_seconds()))
        return RetryOption(True, wait)


def is_transient(exc: BaseException) -> bool:
    """A failure that may pass if the request is made again: 5xx, a timeout, a dropped or refused connection."""
    exc = unwrap(exc)
    if isinstance(exc, RequestFailed):
        return exc.response.status_code >= 500
    if isinstance(exc, RequestError):  # RequestTimeout included
        return isinstance(exc.exc, httpx.TransportError)
    return False


def request_of(exc: BaseException) -> httpx.Request | None:
    """The HTTP request a GitHub error is about, when it is known."""
    exc = unwrap(exc)
    if isinstance(exc, RequestFailed):
        return exc.request
    inner = getattr(exc, "exc", None)
    try:
        return inner.request if isinstance(inner, httpx.RequestError) else None
    except RuntimeError:  # httpx raises when an error carries no request
        return None


def is_repeatable(request: httpx.Request) -> bool:
    """Whether sending `request` twice leaves GitHub as sending it once would (reads, queries, value-setting edits)."""
    if request.method in ("GET", "HEAD"):
        return True
    path = request.url.path
    if any(request.method == method and pattern.match(path) for method, pattern in _REPEATABLE_WRITES):
        return True
    if request.method == "PATCH" and "/check-runs/" in path:
        return not _appends_annotations(request)
    return False


def _appends_annotations(request: httpx.Request) -> bool:
    try:
        body = json.loads(request.content or b"{}")
    except (ValueError, httpx.RequestNotRead):
        return True
    return bool(isinstance(body, dict) and (body.get("output") or {}).get("annotations"))


def reconciled(write: Callable[[], T], what: str, attempts: int = WRITE_ATTEMPTS) -> T:
    """Run `write` until it succeeds, at most `attempts` times, after transient failures only.

    `write` must read GitHub's state before it changes anything, so that a
    second run does only what the first did not (GitHub may have carried out
    a request whose answer was lost).
    """
    for attempt in range(attempts):
        try:
            return write()
        except GitHubException as exc:
            if attempt + 1 >= attempts or not is_transient(exc):
                raise
            wait = min(2**attempt, MAX_RETRY_SLEEP.total_seconds())
            log.warning("%s while %s; reading GitHub again and retrying in %ss", describe_error(exc), what, wait)
            time.sleep(wait)
    raise AssertionError("unreachable")


def unwrap(exc: BaseException) -> BaseException:
    """The GitHub error inside a RequestError: a failure while minting a token comes wrapped that way."""
    inner = getattr(exc, "exc", None)
    return inner if type(exc) is RequestError and isinstance(inner, GitHubException) else exc


def describe_error(exc: BaseException) -> str:
    """A one-line account of a failed request that names method, path and status, never headers or tokens."""
    exc = unwrap(exc)
    if isinstance(exc, RequestFailed):
        return f"GitHub answered {exc.response.status_code} to {exc.request.method} {exc.request.url.path}"
    if isinstance(exc, RequestTimeout):
        return f"GitHub did not answer {exc.request.method} {exc.request.url.path} in time"
    request = request_of(exc)
    if isinstance(exc, RequestError) and request is not None:
        return f"the connection to GitHub failed during {request.method} {request.url.path} ({type(exc.exc).__name__})"
    if isinstance(exc, RequestError) and getattr(exc, "exc", None) is not None:
        return f"{type(exc.exc).__name__} during a GitHub request"
    return type(exc).__name__


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """httpx's default TLS context, built once: loading the CA bundle costs ~0.1 s of CPU, and every job makes a client.

    The worker builds it before forking (bot/cli.py), so each work-horse inherits it.
    """
    return httpx.create_ssl_context()


def token_cache(redis_url: str) -> RedisCacheStrategy:
    """Where githubkit keeps app JWTs and installation tokens: Redis, shared by every job of every worker."""
    return RedisCacheStrategy(redis.Redis.from_url(redis_url), prefix=TOKEN_CACHE_PREFIX)


def app_client(settings: Settings, cache: RedisCacheStrategy | None = None, **config: Any) -> GitHub[AppAuthStrategy]:
    """A client authenticated as the App itself (a JWT signed with the App's private key)."""
    config.setdefault("event_hooks", github_event_hooks())
    return GitHub(
        AppAuthStrategy(str(settings.app_id), settings.private_key_pem()),
        base_url=settings.github_api_url,
        user_agent=USER_AGENT,
        cache_strategy=cache or token_cache(settings.redis_url),
        http_cache=False,
        auto_retry=RetryPolicy(),
        timeout=getattr(settings, "github_timeout_seconds", 30.0),
        ssl_verify=tls_context(),
        **config,
    )


def installation_client(settings: Settings, installation_id: int, cache: RedisCacheStrategy | None = None, **config: Any) -> GitHub:
    """A client acting as one installation of the App; its token is minted once and cached in Redis."""
    app = app_client(settings, cache, **{"event_hooks": github_event_hooks(installation_id), **config})
    return app.with_auth(app.auth.as_installation(installation_id))


def split_repo(repo: str) -> tuple[str, str]:
    """"owner/name" -> ("owner", "name")."""
    owner, _, name = repo.partition("/")
    if not owner or not name or "/" in name:
        raise ValueError(f"not an owner/name repository: {repo!r}")
    return owner, name


def paginate(gh: GitHub, url: str, params: dict[str, Any] | None = None, max_pages: int = 100) -> Iterator[Any]:
    """Every item of a paginated REST list, following the `Link: rel="next"` header."""
    next_url: str | None = url
    next_params: dict[str, Any] | None = {"per_page": 100, **(params or {})}
    for _ in range(max_pages):
        if next_url is None:
            return
        response = gh.request("GET", next_url, params=next_params)
        page = response.json()
        if isinstance(page, dict):  # e.g. check-runs: {"total_count": n, "check_runs": [...]}
            page = next((value for value in page.values() if isinstance(value, list)), [])
        yield from page
        link = response.raw_response.links.get("next")
        next_url, next_params = (link["url"], None) if link else (None, None)
    log.warning("stopped paging %s after %d pages", url, max_pages)


def graphql(gh: GitHub, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """One GraphQL query; a RATE_LIMITED answer (HTTP 200 with errors) becomes RateLimited like a REST 403."""
    try:
        return gh.graphql.request(query, variables)
    except PrimaryRateLimitExceeded as exc:
        raise RateLimited(datetime.now(timezone.utc) + exc.retry_after, "GraphQL") from None


ABSENT_ERRORS = frozenset({"NOT_FOUND", "FORBIDDEN"})


def graphql_allowing_absent(gh: GitHub, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """`graphql`, where a field naming a repository that does not exist, or that the installation cannot see, comes back None.

    GitHub answers such a query with the fields it could resolve and one
    NOT_FOUND (or FORBIDDEN) error per field it could not; any other error
    still raises GraphQLFailed.
    """
    try:
        return graphql(gh, query, variables)
    except GraphQLFailed as exc:
        errors = exc.response.errors or []
        if not errors or any(error.type not in ABSENT_ERRORS for error in errors):
            raise
        return dict(exc.response.data or {})
