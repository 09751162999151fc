"""Tests for bot/review_history.py: a review is recorded, and its check summary ends with the trend when the author unlocked it."""

from __future__ import annotations

import random
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from analyzer.model import Finding, Severity
from bot.github import installation_client
from bot.history import REVIEW, ScanHistory
from bot.publish import MAX_OUTPUT_CHARS, CheckResult
from bot.review_history import after_review, with_trend_line
from bot.settings import load_settings
from standin_gated import GatedStandin, mounted

BASE = "https://api.github.test"
REPO = "octo/shop"
STAR_REPO = "ainascan/ainascan"
RESULT = CheckResult("failure", "1 BLOCK", "AINAScan read the lines this pull request adds.")


@pytest.fixture
def settings(app_key, redis_conn, redis_url):
    return load_settings(app_id=random.randint(10**6, 10**9), private_key=app_key[0], webhook_secret="s", github_api_url=BASE, redis_url=redis_url, star_repo=STAR_REPO)


@pytest.fixture
def standin(app_key, settings):
    state = GatedStandin(settings.app_id, app_key[1], BASE)
    state.add_repo(REPO, {"README.md": "shop\n"})
    state.add_repo(STAR_REPO, {"README.md": "AINAScan\n"})
    with mounted(state):
        yield state


@pytest.fixture
def gh(settings, standin):
    with installation_client(settings, 1) as client:
        yield client


def findings(block: int, warn: int = 0) -> list[Finding]:
    made = [Finding("MISSING_WRITE", Severity.BLOCK, "app.py", i + 1, i + 1, None, "m", 0.9) for i in range(block)]
    return made + [Finding("SILENT_FAILURE", Severity.WARN, "app.py", 50 + i, 50 + i, None, "m", 0.9) for i in range(warn)]


def review(gh, settings, redis_conn, head: str, found: list[Finding], author: str = "mona") -> CheckResult:
    pull = {"number": 7, "user": {"login": author}}
    return after_review(gh, settings, REPO, pull, head, found, RESULT, files_analyzed=2, started=time.monotonic() - 1.5, conn=redis_conn)


def test_every_review_is_recorded_with_its_counts_and_duration(gh, settings, redis_conn, standin):
    result = review(gh, settings, redis_conn, "a" * 40, findings(1, 2))

    (recorded,) = ScanHistory(redis_conn).recent(REPO)
    assert (recorded.kind, recorded.number, recorded.head_sha, recorded.block, recorded.warn) == (REVIEW, 7, "a" * 40, 1, 2)
    assert (recorded.conclusion, recorded.files, recorded.rule_counts) == ("failure", 2, {"MISSING_WRITE": 1, "SILENT_FAILURE": 2})
    assert 1.5 <= recorded.duration_seconds < 60
    assert result == RESULT  # one head: no trend yet


def test_the_summary_ends_with_the_trend_when_the_author_starred(gh, settings, redis_conn, standin):
    standin.star("mona", STAR_REPO)
    review(gh, settings, redis_conn, "a" * 40, findings(3, 1))

    result = review(gh, settings, redis_conn, "b" * 40, findings(1))

    assert result.summary.startswith(RESULT.summary)
    assert result.summary.endswith("`█▃` 4 → 1.")
    assert (result.conclusion, result.title) == (RESULT.conclusion, RESULT.title)


def test_no_trend_when_the_author_has_not_starred_or_the_check_fails(gh, settings, redis_conn, standin):
    review(gh, settings, redis_conn, "a" * 40, findings(3))
    assert review(gh, settings, redis_conn, "b" * 40, findings(1)) == RESULT

    standin.fail_next("GET", r"/starred$", 404, message="Not Found")
    redis_conn.flushdb()
    review(gh, settings, redis_conn, "a" * 40, findings(3))
    assert review(gh, settings, redis_conn, "b" * 40, findings(1), author="octocat") == RESULT
    assert len(ScanHistory(redis_conn).recent(REPO)) == 2  # recorded all the same


def test_a_rerun_of_the_same_head_shows_the_same_summary(gh, settings, redis_conn, standin):
    standin.star("mona", STAR_REPO)
    review(gh, settings, redis_conn, "a" * 40, findings(2))
    first = review(gh, settings, redis_conn, "b" * 40, findings(1))

    assert review(gh, settings, redis_conn, "b" * 40, findings(1)).summary == first.summary


def test_redis_down_leaves_the_result_alone(gh, settings, standin):
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))

    assert review(gh, settings, dead, "a" * 40, findings(1)) == RESULT


def test_a_full_summary_is_cut_so_the_trend_line_still_fits():
    full = CheckResult("failure", "t", "x\n" * (MAX_OUTPUT_CHARS // 2))
    line = "**Trend** … `▁█` 0 → 9."

    summary = with_trend_line(full, line).summary

    assert len(summary) <= MAX_OUTPUT_CHARS and summary.endswith(line) and "truncated" in summary
    assert with_trend_line(full, None) is full


# ---------------------------------------------------------------- wired into the review job

HOLLOW = '''import json


def save_profile(profile, path):
    data = json.dumps(profile)
    return True
'''


def review_job(gh, settings, standin, files: dict[str, str], author: str = "mona", seed: str = "") -> tuple[str, dict]:
    """A whole review (bot.jobs.review) of pull request 7 at a new head; returns the head and its completed run."""
    from bot.jobs import review as review_pull_request

    head = standin.add_pull(REPO, 7, files, seed=seed, pull_json={"user": {"login": author, "type": "User"}})
    review_pull_request(gh, settings, REPO, 7, head)
    (run,) = standin.runs_for(head)
    return head, run


def test_a_review_job_records_itself_ends_with_the_trend_and_offers_the_full_scan(gh, settings, redis_conn, standin):
    from bot.commands import FULL_SCAN_ACTION

    standin.star("mona", STAR_REPO)
    first, run = review_job(gh, settings, standin, {"app/profiles.py": HOLLOW})
    assert run["actions"] == [FULL_SCAN_ACTION]
    second, run = review_job(gh, settings, standin, {"app/profiles.py": HOLLOW, "app/clean.py": "x = 1\n"}, seed="second")

    recorded = ScanHistory(redis_conn).recent(REPO, number=7)
    assert [(r.head_sha, r.kind, r.block, r.conclusion) for r in recorded] == [(second, REVIEW, 1, "failure"), (first, REVIEW, 1, "failure")]
    totals = [r.block + r.warn for r in reversed(recorded)]
    assert run["output"]["summary"].endswith(f"last 2 heads of this pull request, oldest first): `██` {totals[0]} → {totals[1]}.")
    assert run["actions"] == [FULL_SCAN_ACTION] and run["conclusion"] == "failure"


def test_the_trend_costs_a_review_one_star_call_at_most_and_is_left_out_when_unknown(gh, settings, redis_conn, standin):
    for i in range(150):  # more stars than one page holds, none of them the star repository
        standin.star("octocat", f"maker/repo-{i}")
    review_job(gh, settings, standin, {"app/profiles.py": HOLLOW}, author="octocat")
    standin.requests.clear()

    _head, run = review_job(gh, settings, standin, {"app/profiles.py": HOLLOW}, author="octocat", seed="again")

    star_reads = [r.path for r in standin.requests if r.path.endswith("/starred") or r.path.endswith("/stargazers")]
    assert star_reads == ["/users/octocat/starred"]
    assert "**Trend**" not in run["output"]["summary"] and run["actions"]
    assert len(ScanHistory(redis_conn).recent(REPO, number=7)) == 2  # recorded all the same
