"""Tests for bot/history.py: the Redis store with its retention, the records, the sparkline, the trend and the history comment."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from analyzer.model import Finding, Severity
from bot.history import (
    FULL_SCAN,
    REVIEW,
    ScanHistory,
    ScanRecord,
    history_comment,
    scan_record,
    sparkline,
    trend_line,
    trend_points,
)

REPO = "octo/shop"
T0 = datetime(2030, 3, 1, 9, 30, tzinfo=timezone.utc)


def finding(rule_id: str, severity: Severity, path: str = "app.py", line: int = 1) -> Finding:
    return Finding(rule_id, severity, path, line, line, None, "message", 0.9)


def scan(head: str, *, number: int | None = 7, block: int = 0, warn: int = 0, kind: str = REVIEW, minutes: int = 0, repo: str = REPO) -> ScanRecord:
    findings = [finding("MISSING_WRITE", Severity.BLOCK)] * block + [finding("SILENT_FAILURE", Severity.WARN)] * warn
    conclusion = "failure" if block else "success"
    return scan_record(kind, repo, number, head, findings, conclusion, started_at=T0 + timedelta(minutes=minutes), duration_seconds=1.25, files=3)


# ---------------------------------------------------------------- records and the store


def test_a_record_counts_findings_by_severity_and_rule():
    findings = [finding("MISSING_WRITE", Severity.BLOCK), finding("MISSING_WRITE", Severity.WARN), finding("SILENT_FAILURE", Severity.WARN)]

    record = scan_record(REVIEW, REPO, 7, "f" * 40, findings, "failure", started_at=T0, duration_seconds=2.3456, files=4)

    assert (record.block, record.warn, record.total) == (1, 2, 3)
    assert record.rule_counts == {"MISSING_WRITE": 2, "SILENT_FAILURE": 1}
    assert (record.started_at, record.duration_seconds, record.files, record.conclusion) == ("2030-03-01T09:30:00Z", 2.346, 4, "failure")
    assert ScanRecord.from_json(record.to_json()) == record


def test_the_store_returns_scans_newest_first_filtered_by_pull_request_and_kind(redis_conn):
    store = ScanHistory(redis_conn)
    store.record(scan("a" * 40, number=7))
    store.record(scan("b" * 40, number=8, minutes=1))
    store.record(scan("c" * 40, number=7, kind=FULL_SCAN, minutes=2))

    assert [s.head_sha[0] for s in store.recent(REPO)] == ["c", "b", "a"]
    assert [s.head_sha[0] for s in store.recent("OCTO/Shop", number=7)] == ["c", "a"]  # names are case-insensitive
    assert [s.head_sha[0] for s in store.recent(REPO, kind=REVIEW)] == ["b", "a"]
    assert [s.head_sha[0] for s in store.recent(REPO, limit=1)] == ["c"]
    assert store.recent("octo/other") == []


def test_retention_keeps_only_the_newest_scans_of_each_repository(redis_conn):
    store = ScanHistory(redis_conn, retention=3)
    for i in range(5):
        store.record(scan(f"{i}" * 40, minutes=i))
    store.record(scan("9" * 40, repo="octo/other"))

    assert [s.head_sha[0] for s in store.recent(REPO)] == ["4", "3", "2"]
    assert redis_conn.llen(ScanHistory.key(REPO)) == 3
    assert len(store.recent("octo/other")) == 1
    with pytest.raises(ValueError):
        ScanHistory(redis_conn, retention=0)


def test_a_damaged_entry_does_not_hide_the_others(redis_conn):
    store = ScanHistory(redis_conn)
    store.record(scan("a" * 40))
    redis_conn.lpush(ScanHistory.key(REPO), b"{not json")

    assert [s.head_sha for s in store.recent(REPO)] == ["a" * 40]


# ---------------------------------------------------------------- sparkline and trend


def test_the_sparkline_scales_from_zero_to_the_largest_value():
    assert sparkline([]) == ""
    assert sparkline([0, 0, 0]) == "▁▁▁"
    assert sparkline([0, 7, 14]) == "▁▅█"
    assert sparkline([1, 100]) == "▂█"  # any finding at all rises above the floor
    assert len(sparkline(list(range(30)))) == 30


def test_the_trend_has_one_point_per_head_its_newest_scan_in_first_seen_order():
    newest_first = [
        scan("a" * 40, block=0, minutes=30),  # a re-run of head a: its point changes, its place does not
        scan("c" * 40, block=1, minutes=20),
        scan("b" * 40, block=4, minutes=10),
        scan("a" * 40, block=2, minutes=0),
    ]

    points = trend_points(newest_first)

    assert [(p.head_sha[0], p.total) for p in points] == [("a", 0), ("b", 4), ("c", 1)]
    assert len(trend_points([scan(f"{i:040d}", minutes=i) for i in range(30)][::-1], limit=20)) == 20


def test_the_trend_line_needs_two_reviewed_heads_and_ignores_full_scans():
    assert trend_line([scan("a" * 40, block=3)]) is None
    assert trend_line([scan("b" * 40, block=9, kind=FULL_SCAN, minutes=1), scan("a" * 40, block=3)]) is None

    line = trend_line([scan("b" * 40, warn=1, minutes=1), scan("a" * 40, block=3, warn=1)])

    assert line is not None and "`█▃` 4 → 1" in line and "2 heads" in line


def test_the_same_head_reviewed_again_draws_the_same_trend_line():
    history = [scan("b" * 40, block=1, minutes=1), scan("a" * 40, block=2)]

    assert trend_line([scan("b" * 40, block=1, minutes=5)] + history) == trend_line(history)


# ---------------------------------------------------------------- the comment


def test_the_history_comment_lists_scans_by_short_sha_with_counts_and_trends():
    pull_scans = [scan("c" * 40, block=0, warn=1, minutes=20), scan("b" * 40, block=2, warn=1, minutes=10), scan("a" * 40, block=3, warn=3)]
    full = [scan("e" * 40, block=9, kind=FULL_SCAN, number=None, minutes=40), scan("d" * 40, block=12, kind=FULL_SCAN, number=8, minutes=30)]
    repo_scans = full + pull_scans

    body = history_comment(REPO, 7, pull_scans, repo_scans, retention=500)

    assert "| review | `ccccccc` | 2030-03-01 09:50 | 0 | 1 | success |" in body
    assert "| review | `aaaaaaa` | 2030-03-01 09:30 | 3 | 3 | failure |" in body
    assert "`█▅▂` 6 → 1" in body  # this pull request's reviewed heads, oldest first
    assert "| full scan | — | `eeeeeee` |" in body and "| full scan | #8 | `ddddddd` |" in body
    assert "`█▆` 12 → 9" in body  # the repository's full scans
    assert "last 500 scans" in body


def test_the_history_comment_of_a_pull_request_never_scanned():
    body = history_comment(REPO, 7, [], [scan("a" * 40, number=3)])

    assert "no recorded scans yet" in body and "#3" in body


def test_long_histories_show_the_latest_rows():
    pull_scans = [scan(f"{i:07x}" + "0" * 33, minutes=i) for i in range(30)][::-1]

    body = history_comment(REPO, 7, pull_scans, pull_scans)
    pull_part, repo_part = body.split("**The repository**")

    assert "the last 10 of 30 scans" in pull_part
    assert f"`{29:07x}`" in pull_part and f"`{20:07x}`" in pull_part and f"`{19:07x}`" not in pull_part
    assert f"`{15:07x}`" in repo_part and f"`{14:07x}`" not in repo_part


def test_records_are_frozen_values():
    record = scan("a" * 40)
    with pytest.raises(AttributeError):
        record.head_sha = "b"  # type: ignore[misc]
    assert replace(record, head_sha="b" * 40).head_sha == "b" * 40
