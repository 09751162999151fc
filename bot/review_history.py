"""What a pull request review adds to the scan history, and the trend line that then ends its `AINAScan` check summary.

The review job calls `after_review` once it has the check's result and
before it completes the run. The review is recorded whoever opened the pull
request; the trend line is added only when the star gate unlocks the
history for the pull request's author (or the repository), and never at
the cost of the review: a Redis or GitHub failure here leaves the result
as it was.
"""

from __future__ import annotations

import logging
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, Sequence

import redis

from analyzer.model import Finding
from bot import gate
from bot.github import RateLimited
from bot.history import REVIEW, ScanHistory, scan_record, trend_line
from bot.logs import fields
from bot.publish import MAX_OUTPUT_CHARS, CheckResult, truncate
from bot.settings import Settings

log = logging.getLogger("ainascan.history")


def after_review(
    gh,
    settings: Settings,
    repo: str,
    pull: dict[str, Any],
    head_sha: str,
    findings: Sequence[Finding],
    result: CheckResult,
    *,
    files_analyzed: int,
    started: float,
    conn: redis.Redis | None = None,
) -> CheckResult:
    """Record this review (`started` is its time.monotonic() at the start) and return `result`, with the trend line when unlocked."""
    number = int(pull["number"])
    context = fields(repo=repo, pr=number, head_sha=head_sha)
    duration = time.monotonic() - started
    record = scan_record(
        REVIEW, repo, number, head_sha, findings, result.conclusion,
        started_at=datetime.now(timezone.utc) - timedelta(seconds=duration), duration_seconds=duration, files=files_analyzed,
    )
    own_connection = conn is None
    conn = conn if conn is not None else redis.Redis.from_url(settings.redis_url)
    try:
        store = ScanHistory(conn, settings.history_retention)
        store.record(record)
        author = str((pull.get("user") or {}).get("login") or "")
        if not author or not gate.check(gh, conn, settings, author, repo, quick=True).unlocked:
            return result
        line = trend_line(store.recent(repo, number=number))
    except (redis.RedisError, RateLimited) as exc:
        log.warning("history or trend skipped: %s", exc, extra=context)
        return result
    finally:
        if own_connection:
            conn.close()
    return with_trend_line(result, line)


def with_trend_line(result: CheckResult, line: str | None) -> CheckResult:
    """`result` with `line` ending its summary, the summary cut before it if both would not fit."""
    if not line:
        return result
    room = MAX_OUTPUT_CHARS - len(line) - 2
    return replace(result, summary=f"{truncate(result.summary, room)}\n\n{line}")
