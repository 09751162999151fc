"""Ask GitHub to deliver again the webhooks that failed: `ainascan redeliver --since 1h`, and a periodic job.

GitHub never retries a failed delivery by itself (REFERENCE.md): when Redis
or the web process was down, the web process answered 503 or nothing, and
the pull request would wait forever for its check. The App's webhook
deliveries API lists the last few days of deliveries, newest first, paged
with a cursor (`GET /app/hook/deliveries`); a failed one is requested again
with `POST /app/hook/deliveries/{id}/attempts`. Both are called as the App
(a JWT), not as an installation.

A delivery is redelivered when no attempt with its GUID succeeded: the GUID
is what the web process deduplicates on, so a webhook that did arrive once
is never processed twice. A GUID already tried `max_attempts` times is left
alone, so a periodic job does not hammer an endpoint that stays down.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

from githubkit.exception import GitHubException

from bot.github import app_client, describe_error, paginate
from bot.settings import Settings, get_settings

log = logging.getLogger("ainascan.redeliver")

DELIVERIES_PATH = "/app/hook/deliveries"
MAX_ATTEMPTS = 5
_DURATION = re.compile(r"(\d+)\s*([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(text: str) -> timedelta:
    """'90s', '30m', '1h', '2d', '1h30m' -> timedelta; ValueError naming what is wrong."""
    compact = text.strip().lower()
    parts = _DURATION.findall(compact)
    if not parts or _DURATION.sub("", compact).strip():
        raise ValueError(f"{text!r} is not a duration like 30m, 1h or 2d")
    total = timedelta()
    for amount, unit in parts:
        total += timedelta(**{_UNITS[unit]: int(amount)})
    if total <= timedelta(0):
        raise ValueError(f"{text!r} is not a positive duration")
    return total


def delivered_at(delivery: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(delivery["delivered_at"]).replace("Z", "+00:00"))


def succeeded(delivery: dict[str, Any]) -> bool:
    code = delivery.get("status_code")
    return isinstance(code, int) and 200 <= code < 300


def to_redeliver(deliveries: Iterable[dict[str, Any]], max_attempts: int = MAX_ATTEMPTS) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(latest failed attempt of each GUID to redeliver, those given up after `max_attempts`), oldest first. Pure.

    A GUID with any successful attempt, original or redelivery, is done.
    """
    attempts: dict[str, list[dict[str, Any]]] = {}
    for delivery in deliveries:
        attempts.setdefault(str(delivery.get("guid")), []).append(delivery)
    again, given_up = [], []
    for tries in attempts.values():
        if any(succeeded(d) for d in tries):
            continue
        latest = max(tries, key=delivered_at)
        (given_up if len(tries) >= max_attempts else again).append(latest)
    again.sort(key=delivered_at)
    given_up.sort(key=delivered_at)
    return again, given_up


def recent_deliveries(gh, since: datetime) -> list[dict[str, Any]]:
    """The App's deliveries since `since`, reading pages (newest first) only as far back as needed."""
    found = []
    for delivery in paginate(gh, DELIVERIES_PATH, max_pages=1000):
        if delivered_at(delivery) < since:
            break
        found.append(delivery)
    return found


@dataclass
class RedeliveryReport:
    """What one redelivery pass found and did."""

    requested: list[dict[str, Any]] = field(default_factory=list)
    given_up: list[dict[str, Any]] = field(default_factory=list)
    examined: int = 0
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False

    def lines(self) -> list[str]:
        verb = "would redeliver" if self.dry_run else "redelivered"
        out = [f"{verb} {_describe(d)}" for d in self.requested]
        out += [f"gave up on {_describe(d)} after {MAX_ATTEMPTS} attempts" for d in self.given_up]
        out += [f"error: {error}" for error in self.errors]
        out.append(f"{len(self.requested)} {verb}, {len(self.given_up)} given up, {self.examined} deliveries examined")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "requested": [d.get("guid") for d in self.requested],
            "given_up": [d.get("guid") for d in self.given_up],
            "examined": self.examined,
            "errors": self.errors,
        }


def _describe(delivery: dict[str, Any]) -> str:
    event = delivery.get("event") or "?"
    action = f".{delivery['action']}" if delivery.get("action") else ""
    return f"delivery {delivery.get('id')} ({event}{action}, guid {delivery.get('guid')}, status {delivery.get('status_code')})"


def redeliver_failed(settings: Settings, window: timedelta, *, dry_run: bool = False, now: datetime | None = None, max_attempts: int = MAX_ATTEMPTS) -> RedeliveryReport:
    """Request a new attempt for every delivery of the last `window` that never succeeded."""
    report = RedeliveryReport(dry_run=dry_run)
    since = (now or datetime.now(timezone.utc)) - window
    with app_client(settings) as gh:
        try:
            deliveries = recent_deliveries(gh, since)
        except GitHubException as exc:
            report.errors.append(f"could not list deliveries: {describe_error(exc)}")
            return report
        report.examined = len(deliveries)
        again, report.given_up = to_redeliver(deliveries, max_attempts)
        for delivery in again:
            if not dry_run:
                try:
                    gh.request("POST", f"{DELIVERIES_PATH}/{int(delivery['id'])}/attempts")
                except GitHubException as exc:
                    report.errors.append(f"could not redeliver {_describe(delivery)}: {describe_error(exc)}")
                    continue
            report.requested.append(delivery)
    log.info("redelivery: %d requested, %d given up, %d errors", len(report.requested), len(report.given_up), len(report.errors))
    return report


def redeliver_job(since_minutes: int = 60) -> dict[str, Any]:
    """RQ job queued by the workers' maintenance every `redeliver_every_minutes`."""
    return redeliver_failed(get_settings(), timedelta(minutes=since_minutes)).as_dict()
