"""The star gate: the full-repository scan and the scan history unlock for users who starred AINASCAN_STAR_REPO.

The answer comes from GitHub's public lists, read with the installation's
token: first the user's own stars, newest first (a star given a minute ago
is on the first page), then, when that list is too long to page through,
the star repository's stargazers. It is cached in Redis for
AINASCAN_STAR_CACHE_TTL_SECONDS; a "not starred" answer only for a minute,
so a user who stars and asks again is not kept waiting when the `star`
webhook does not reach us. `star` created/deleted webhooks for the star
repository overwrite the cache at once (`record_star`, an RQ job).

Optionally (AINASCAN_STAR_MIN_REPO_STARS) a repository with that many stars
of its own is unlocked for everyone. With no AINASCAN_STAR_REPO set there
is no gate: a self-hosted App unlocks everything.

When the check itself fails (GitHub errors, lists too long) the verdict is
UNKNOWN: the request is neither granted nor answered with "you have not
starred", and the reply says that the check failed.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from typing import Any

import redis
from githubkit.exception import GitHubException

from bot.github import describe_error, paginate
from bot.logs import fields
from bot.settings import Settings

log = logging.getLogger("ainascan.gate")

STAR_KEY_PREFIX = "ainascan:gate:star:"
REPO_STARS_KEY_PREFIX = "ainascan:gate:repo-stars:"
NOT_STARRED_TTL_SECONDS = 60
MAX_STAR_PAGES = 30  # 3,000 entries, 100 a page, per list


class Access(enum.Enum):
    UNLOCKED = "unlocked"
    LOCKED = "locked"
    UNKNOWN = "unknown"  # the check failed: neither granted nor refused


@dataclass(frozen=True)
class Verdict:
    """The gate's answer for one user and repository, with the reason in words."""

    access: Access
    reason: str

    @property
    def unlocked(self) -> bool:
        return self.access is Access.UNLOCKED


# ---------------------------------------------------------------- the cache


def star_key(star_repo: str, user: str) -> str:
    return f"{STAR_KEY_PREFIX}{star_repo.lower()}:{user.lower()}"


def remember_star(conn: redis.Redis, star_repo: str, user: str, starred: bool, ttl_seconds: int) -> None:
    """Cache whether `user` starred `star_repo`: a star for `ttl_seconds`, its absence for a minute at most."""
    ttl = ttl_seconds if starred else min(ttl_seconds, NOT_STARRED_TTL_SECONDS)
    conn.set(star_key(star_repo, user), b"1" if starred else b"0", ex=ttl)


def cached_star(conn: redis.Redis, star_repo: str, user: str) -> bool | None:
    """The cached answer, or None when there is none."""
    value = conn.get(star_key(star_repo, user))
    return None if value is None else value == b"1"


def record_star(star_repo: str, user: str, starred: bool, delivery_id: str | None = None) -> dict[str, Any]:
    """RQ job for a `star` webhook: overwrite the cached answer for `user` when `star_repo` is the configured star repository."""
    from bot.settings import get_settings

    settings = get_settings()
    if not settings.star_repo or settings.star_repo.lower() != star_repo.lower():
        return {"status": "ignored", "reason": f"{star_repo} is not the star repository"}
    conn = redis.Redis.from_url(settings.redis_url)
    try:
        remember_star(conn, settings.star_repo, user, starred, settings.star_cache_ttl_seconds)
    finally:
        conn.close()
    log.info("star %s by %s", "given" if starred else "taken back", user, extra=fields(delivery_id=delivery_id, repo=star_repo, user=user))
    return {"status": "recorded", "user": user, "starred": starred}


# ---------------------------------------------------------------- asking GitHub


def starred_by(gh, star_repo: str, user: str, max_pages: int = MAX_STAR_PAGES, *, stargazers: bool = True) -> bool | None:
    """Whether `user` starred `star_repo` by GitHub's public lists; None when the lists read are too long to read through.

    With stargazers=False only the user's own list is read.

    Raises githubkit's errors when GitHub does not answer.
    """
    wanted = star_repo.lower()
    seen = 0
    for starred in paginate(gh, f"/users/{user}/starred", {"sort": "created", "direction": "desc"}, max_pages=max_pages):
        seen += 1
        if isinstance(starred, dict) and str(starred.get("full_name", "")).lower() == wanted:
            return True
    if seen < max_pages * 100:
        return False
    if not stargazers:
        return None
    login = user.lower()
    seen = 0
    for stargazer in paginate(gh, f"/repos/{star_repo}/stargazers", max_pages=max_pages):
        seen += 1
        if isinstance(stargazer, dict) and str(stargazer.get("login", "")).lower() == login:
            return True
    return False if seen < max_pages * 100 else None


def repo_stars(gh, conn: redis.Redis, repo: str, ttl_seconds: int) -> int:
    """How many stars `repo` has (cached); raises githubkit's errors when GitHub does not answer."""
    key = f"{REPO_STARS_KEY_PREFIX}{repo.lower()}"
    try:
        cached = conn.get(key)
    except redis.RedisError:
        cached = None
    if cached is not None:
        return int(cached)
    count = int(gh.request("GET", f"/repos/{repo}").json().get("stargazers_count") or 0)
    try:
        conn.set(key, count, ex=ttl_seconds)
    except redis.RedisError as exc:
        log.warning("could not cache the star count of %s: %s", repo, exc)
    return count


def check(gh, conn: redis.Redis, settings: Settings, user: str, repo: str, *, quick: bool = False) -> Verdict:
    """Whether `user` may run a full scan of `repo` or read its history.

    A `quick` check (a review's trend line, which must not cost a review
    more than one API call) reads only the first page of the user's stars
    when the cache has no answer: a user with more than a hundred stars, none
    of them the star repository, gets UNKNOWN rather than a longer search.
    Raises bot.github.RateLimited when GitHub's budget is spent, so the job is
    rescheduled rather than answered.
    """
    star_repo = settings.star_repo
    if not star_repo:
        return Verdict(Access.UNLOCKED, "no star repository is configured")
    if user.lower().endswith("[bot]"):
        return Verdict(Access.LOCKED, f"{user} is an app, which cannot star {star_repo}")
    if settings.star_min_repo_stars:
        try:
            stars = repo_stars(gh, conn, repo, settings.star_cache_ttl_seconds)
        except GitHubException as exc:
            log.warning("could not read the star count of %s: %s", repo, describe_error(exc), extra=fields(repo=repo))
        else:
            if stars >= settings.star_min_repo_stars:
                return Verdict(Access.UNLOCKED, f"{repo} has {stars:,} stars")
    try:
        cached = cached_star(conn, star_repo, user)
    except redis.RedisError as exc:
        log.warning("star cache unavailable: %s", exc, extra=fields(repo=repo, user=user))
        cached = None
    if cached is not None:
        return _verdict(cached, user, star_repo)
    try:
        starred = starred_by(gh, star_repo, user, 1, stargazers=False) if quick else starred_by(gh, star_repo, user, MAX_STAR_PAGES)
    except GitHubException as exc:
        return Verdict(Access.UNKNOWN, describe_error(exc))
    if starred is None:
        return Verdict(Access.UNKNOWN, f"GitHub's lists of {user}'s stars and of {star_repo}'s stargazers are too long to read through")
    try:
        remember_star(conn, star_repo, user, starred, settings.star_cache_ttl_seconds)
    except redis.RedisError as exc:
        log.warning("could not cache a star: %s", exc, extra=fields(repo=repo, user=user))
    return _verdict(starred, user, star_repo)


def _verdict(starred: bool, user: str, star_repo: str) -> Verdict:
    if starred:
        return Verdict(Access.UNLOCKED, f"{user} starred {star_repo}")
    return Verdict(Access.LOCKED, f"{user} has not starred {star_repo}")


# ---------------------------------------------------------------- the replies


def web_url(api_url: str) -> str:
    """The web address of the GitHub an API address belongs to (github.com, or a GitHub Enterprise Server host)."""
    base = api_url.rstrip("/")
    if base in ("https://api.github.com", "http://api.github.com"):
        return "https://github.com"
    return base.removesuffix("/api/v3")


def locked_comment(user: str, feature: str, command: str, star_repo: str, star_url: str, min_repo_stars: int = 0) -> str:
    """The one reply to a user who has not starred: what is locked, which repository unlocks it, and how."""
    link = f"[{star_repo}]({star_url})"
    lines = [
        f"🔒 **AINAScan: {feature} is unlocked by a star.**",
        "",
        f"@{user}, the full-repository scan and the scan history are free for everyone who has starred {link} on GitHub, "
        "and GitHub's public list of your stars does not show it yet.",
        "",
        f"To unlock them: star {link}, then comment `{command}` on this pull request again.",
    ]
    if min_repo_stars:
        lines += ["", f"Repositories with at least {min_repo_stars:,} stars of their own are unlocked for everyone."]
    lines += ["", "Nothing was run for this request. Pull request reviews stay free and need no star."]
    return "\n".join(lines)


def unknown_comment(user: str, feature: str, command: str, star_repo: str, star_url: str, reason: str) -> str:
    """The reply when the star could not be checked: say so, claim nothing about the user's star."""
    return "\n".join(
        [
            f"⚠️ **AINAScan could not check the star that unlocks {feature}.**",
            "",
            f"@{user}, asking GitHub whether you have starred [{star_repo}]({star_url}) failed ({reason}), "
            "so nothing was run. This says nothing about your star.",
            "",
            f"Please comment `{command}` again in a few minutes.",
        ]
    )
