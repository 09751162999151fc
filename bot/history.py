"""The scan history: every pull request review and full scan of a repository, kept in Redis, newest first, bounded.

Each repository has one Redis list (`ainascan:history:owner/name`, lower
case) of scans as JSON; a push and a trim in one transaction keep the newest
AINASCAN_HISTORY_RETENTION of them (500 by default). Durability is Redis's
own persistence. Nothing serves the history over HTTP: it is shown only in
pull request comments and check runs, where GitHub's permissions apply.

The rendering is pure: the `/ainascan history` comment, the sparkline, and
the trend line that ends the `AINAScan` check summary. A trend has one point
per head SHA (its latest scan), so re-running the check on the same head
draws the same line.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Sequence

import redis

from analyzer.model import Finding, Severity

KEY_PREFIX = "ainascan:history:"
DEFAULT_RETENTION = 500
REVIEW = "review"
FULL_SCAN = "full-scan"
SPARK_CHARS = "▁▂▃▄▅▆▇█"
TREND_POINTS = 20
PULL_ROWS = 10
REPO_ROWS = 15


@dataclass(frozen=True)
class ScanRecord:
    """One scan: what was scanned, when, how long it took, what it found and how the check concluded."""

    kind: str  # review | full-scan
    repo: str
    number: int | None  # the pull request, when there is one
    head_sha: str
    started_at: str  # ISO 8601, UTC
    duration_seconds: float
    conclusion: str
    severity_counts: dict[str, int] = field(default_factory=dict, hash=False)  # {"BLOCK": n, "WARN": n}
    rule_counts: dict[str, int] = field(default_factory=dict, hash=False)
    files: int = 0

    @property
    def block(self) -> int:
        return self.severity_counts.get(Severity.BLOCK.name, 0)

    @property
    def warn(self) -> int:
        return self.severity_counts.get(Severity.WARN.name, 0)

    @property
    def total(self) -> int:
        return self.block + self.warn

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> "ScanRecord":
        data = json.loads(text)
        return cls(
            kind=str(data["kind"]),
            repo=str(data["repo"]),
            number=data.get("number"),
            head_sha=str(data["head_sha"]),
            started_at=str(data["started_at"]),
            duration_seconds=float(data.get("duration_seconds", 0.0)),
            conclusion=str(data.get("conclusion", "")),
            severity_counts={str(k): int(v) for k, v in (data.get("severity_counts") or {}).items()},
            rule_counts={str(k): int(v) for k, v in (data.get("rule_counts") or {}).items()},
            files=int(data.get("files", 0)),
        )


def scan_record(
    kind: str,
    repo: str,
    number: int | None,
    head_sha: str,
    findings: Iterable[Finding],
    conclusion: str,
    *,
    started_at: datetime,
    duration_seconds: float,
    files: int = 0,
) -> ScanRecord:
    """The record of one scan from its findings."""
    findings = list(findings)
    severities = Counter(f.severity.name for f in findings)
    return ScanRecord(
        kind=kind,
        repo=repo,
        number=number,
        head_sha=head_sha,
        started_at=started_at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        duration_seconds=round(duration_seconds, 3),
        conclusion=conclusion,
        severity_counts={name: severities[name] for name in (Severity.BLOCK.name, Severity.WARN.name)},
        rule_counts=dict(sorted(Counter(f.rule_id for f in findings).items())),
        files=files,
    )


class ScanHistory:
    """The history store on one Redis connection."""

    def __init__(self, conn: redis.Redis, retention: int = DEFAULT_RETENTION):
        if retention < 1:
            raise ValueError("retention must keep at least one scan")
        self.conn = conn
        self.retention = retention

    @staticmethod
    def key(repo: str) -> str:
        return KEY_PREFIX + repo.lower()

    def record(self, scan: ScanRecord) -> None:
        """Add a scan, dropping the oldest beyond the retention."""
        key = self.key(scan.repo)
        with self.conn.pipeline(transaction=True) as pipe:
            pipe.lpush(key, scan.to_json())
            pipe.ltrim(key, 0, self.retention - 1)
            pipe.execute()

    def recent(self, repo: str, *, number: int | None = None, kind: str | None = None, limit: int | None = None) -> list[ScanRecord]:
        """The repository's scans, newest first; only pull request `number` or one `kind` when given."""
        scans = []
        for raw in self.conn.lrange(self.key(repo), 0, self.retention - 1):
            try:
                scan = ScanRecord.from_json(raw)
            except (ValueError, KeyError, TypeError):
                continue  # one damaged entry does not hide the rest
            if (number is None or scan.number == number) and (kind is None or scan.kind == kind):
                scans.append(scan)
                if limit is not None and len(scans) >= limit:
                    break
        return scans


# ---------------------------------------------------------------- rendering (pure)


def sparkline(values: Sequence[int]) -> str:
    """One character per value, ▁ for zero up to █ for the largest; any non-zero value is at least ▂."""
    if not values:
        return ""
    top = max(values)
    if top <= 0:
        return SPARK_CHARS[0] * len(values)
    steps = len(SPARK_CHARS) - 1
    return "".join(SPARK_CHARS[0] if v <= 0 else SPARK_CHARS[max(1, round(v * steps / top))] for v in values)


def trend_points(scans: Iterable[ScanRecord], limit: int = TREND_POINTS) -> list[ScanRecord]:
    """One scan per head SHA, oldest head first, the last `limit` heads; `scans` come newest first.

    A head's point is its newest scan, placed where the head was first scanned,
    so re-running an old head updates its point instead of moving it. The
    order is the order of recording, not of clocks.
    """
    newest: dict[str, ScanRecord] = {}
    age: dict[str, int] = {}  # the position of the head's oldest scan, counted from the newest
    for position, scan in enumerate(scans):
        newest.setdefault(scan.head_sha, scan)
        age[scan.head_sha] = position
    ordered = sorted(newest.values(), key=lambda s: -age[s.head_sha])
    return ordered[-limit:]


def trend(scans: Iterable[ScanRecord], kind: str = REVIEW) -> str | None:
    """`▁▃█▂` 3 → 2: BLOCK + WARN per head for scans of one kind, oldest first; None with fewer than two heads."""
    points = trend_points(s for s in scans if s.kind == kind)
    if len(points) < 2:
        return None
    totals = [p.total for p in points]
    return f"`{sparkline(totals)}` {totals[0]} → {totals[-1]}"


def trend_line(scans: Iterable[ScanRecord]) -> str | None:
    """The line that ends the `AINAScan` check summary: BLOCK+WARN per reviewed head; None with fewer than two heads."""
    scans = list(scans)
    drawn = trend(scans)
    if drawn is None:
        return None
    heads = len(trend_points(s for s in scans if s.kind == REVIEW))
    return f"**Trend** (BLOCK + WARN introduced, last {heads} heads of this pull request, oldest first): {drawn}."


def history_comment(repo: str, number: int, pull_scans: Sequence[ScanRecord], repo_scans: Sequence[ScanRecord], retention: int = DEFAULT_RETENTION) -> str:
    """The reply to `/ainascan history`: this pull request's recent scans, the repository's, and their trends."""
    lines = [f"### AINAScan scan history of #{number}", ""]
    if pull_scans:
        shown = pull_scans[:PULL_ROWS]
        lines += [f"**This pull request**: the last {len(shown)} of {len(pull_scans)} scans, newest first.", ""]
        lines += ["| scan | head | date (UTC) | BLOCK | WARN | conclusion |", "|---|---|---|---|---|---|"]
        lines += [f"| {_kind(s)} | `{s.head_sha[:7]}` | {_date(s)} | {s.block} | {s.warn} | {s.conclusion} |" for s in shown]
        lines += [""]
        drawn = trend(pull_scans)
        if drawn:
            lines += [f"Trend of the reviewed heads of this pull request (BLOCK + WARN introduced, oldest first): {drawn}.", ""]
    else:
        lines += ["**This pull request** has no recorded scans yet.", ""]
    others = list(repo_scans[:REPO_ROWS])
    if others:
        lines += [f"**The repository** ({repo}): the last {len(others)} scans, newest first.", ""]
        lines += ["| scan | pull request | head | date (UTC) | BLOCK | WARN |", "|---|---|---|---|---|---|"]
        lines += [
            f"| {_kind(s)} | {f'#{s.number}' if s.number is not None else '—'} | `{s.head_sha[:7]}` | {_date(s)} | {s.block} | {s.warn} |"
            for s in others
        ]
        lines += [""]
        drawn = trend(repo_scans, FULL_SCAN)
        if drawn:
            lines += [f"Full scans of the repository (BLOCK + WARN, oldest first): {drawn}.", ""]
    lines.append(f"A review counts the findings a pull request introduces; a full scan counts every finding of the repository. The history keeps the last {retention:,} scans of each repository.")
    return "\n".join(lines)


def _kind(scan: ScanRecord) -> str:
    return "full scan" if scan.kind == FULL_SCAN else "review"


def _date(scan: ScanRecord) -> str:
    return scan.started_at.replace("T", " ").removesuffix("Z")[:16]
