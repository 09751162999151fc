"""Tests for bot/gate.py: the star check against a stand-in GitHub, its Redis cache, the star webhooks that update it, and the replies."""

from __future__ import annotations

import json

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from bot import gate
from bot.events import RECORD_STAR, jobs_for
from bot.gate import Access, cached_star, check, locked_comment, record_star, remember_star, starred_by, unknown_comment, web_url
from bot.github import installation_client
from bot.settings import Settings, get_settings, load_settings
from standin_gated import GatedStandin, mounted

BASE = "https://api.github.test"
REPO = "octo/shop"
STAR_REPO = "ainascan/ainascan"


@pytest.fixture
def settings(app_key, app_id, redis_conn, redis_url) -> Settings:
    return load_settings(app_id=app_id, private_key=app_key[0], webhook_secret="s", github_api_url=BASE, redis_url=redis_url, star_repo=STAR_REPO)


@pytest.fixture
def standin(app_key, app_id):
    state = GatedStandin(app_id, app_key[1], BASE)
    state.add_repo(REPO, {"README.md": "shop\n"})
    state.add_repo(STAR_REPO, {"README.md": "AINAScan\n"})
    with mounted(state):
        yield state


@pytest.fixture
def gh(settings, standin):
    with installation_client(settings, 1) as client:
        yield client


@pytest.fixture
def env_settings(app_key, app_id, redis_url, monkeypatch):
    """The settings the RQ job functions read from the environment."""
    for name, value in {"APP_ID": str(app_id), "PRIVATE_KEY": app_key[0], "WEBHOOK_SECRET": "s", "GITHUB_API_URL": BASE,
                        "REDIS_URL": redis_url, "STAR_REPO": STAR_REPO}.items():
        monkeypatch.setenv(f"AINASCAN_{name}", value)
    get_settings.cache_clear()
    yield get_settings()
    get_settings.cache_clear()


# ---------------------------------------------------------------- the check


def test_a_user_who_starred_is_unlocked_and_the_answer_is_cached(gh, settings, redis_conn, standin):
    standin.star("Mona", "someone/else")
    standin.star("Mona", STAR_REPO.upper())  # GitHub names are case-insensitive

    verdict = check(gh, redis_conn, settings, "mona", REPO)
    again = check(gh, redis_conn, settings, "MONA", REPO)

    assert verdict.access is Access.UNLOCKED and again.access is Access.UNLOCKED
    (asked,) = standin.star_requests()
    assert asked.path == "/users/mona/starred" and asked.auth == "token"
    assert (asked.query["sort"], asked.query["direction"]) == ("created", "desc")  # a fresh star is on the first page
    assert 0 < redis_conn.ttl(gate.star_key(STAR_REPO, "mona")) <= settings.star_cache_ttl_seconds


def test_a_user_who_has_not_starred_is_locked_and_asked_again_after_a_minute(gh, settings, redis_conn, standin):
    standin.star("mona", "someone/else")

    verdict = check(gh, redis_conn, settings, "mona", REPO)

    assert verdict.access is Access.LOCKED and "has not starred" in verdict.reason
    assert cached_star(redis_conn, STAR_REPO, "mona") is False
    assert 0 < redis_conn.ttl(gate.star_key(STAR_REPO, "mona")) <= gate.NOT_STARRED_TTL_SECONDS


def test_a_github_error_is_unknown_never_locked_and_never_cached(gh, settings, redis_conn, standin):
    standin.fail_next("GET", r"/users/mona/starred", 404, message="Not Found")

    verdict = check(gh, redis_conn, settings, "mona", REPO)

    assert verdict.access is Access.UNKNOWN and not verdict.unlocked
    assert "404" in verdict.reason and "/users/mona/starred" in verdict.reason
    assert cached_star(redis_conn, STAR_REPO, "mona") is None


def test_a_long_starred_list_falls_back_to_the_stargazers(gh, standin):
    for i in range(250):
        standin.star("mona", f"maker/repo-{i}")
    standin.starred["mona"].append(STAR_REPO)  # starred long ago: past the pages read

    assert starred_by(gh, STAR_REPO, "mona", max_pages=2) is True
    assert [r.path for r in standin.star_requests()][-1] == f"/repos/{STAR_REPO}/stargazers"


def test_lists_too_long_to_read_are_unknown(gh, settings, redis_conn, standin, monkeypatch):
    for i in range(250):
        standin.star("mona", f"maker/repo-{i}")
    for i in range(250):
        standin.star(f"fan-{i}", STAR_REPO)
    monkeypatch.setattr(gate, "MAX_STAR_PAGES", 2)

    assert starred_by(gh, STAR_REPO, "mona", max_pages=2) is None
    verdict = check(gh, redis_conn, settings, "mona", REPO)
    assert verdict.access is Access.UNKNOWN and "too long" in verdict.reason


def test_no_star_repository_means_no_gate(gh, settings, redis_conn, standin):
    verdict = check(gh, redis_conn, settings.model_copy(update={"star_repo": None}), "mona", REPO)

    assert verdict.unlocked and standin.requests == []


def test_apps_are_locked_without_asking(gh, settings, redis_conn, standin):
    assert check(gh, redis_conn, settings, "dependabot[bot]", REPO).access is Access.LOCKED
    assert standin.star_requests() == []


def test_a_repository_with_enough_stars_is_unlocked_when_that_is_switched_on(gh, settings, redis_conn, standin):
    standin.repo_stars[REPO] = 150

    assert check(gh, redis_conn, settings, "mona", REPO).access is Access.LOCKED  # off by default
    popular = settings.model_copy(update={"star_min_repo_stars": 100})
    verdict = check(gh, redis_conn, popular, "someone", REPO)
    stricter = check(gh, redis_conn, settings.model_copy(update={"star_min_repo_stars": 151}), "mona", REPO)

    assert verdict.unlocked and "150 stars" in verdict.reason
    assert stricter.access is Access.LOCKED
    assert [r.path for r in standin.star_requests()] == ["/users/mona/starred"]  # "someone" needed no star check


def test_a_failed_repository_star_count_falls_back_to_the_users_star(gh, settings, redis_conn, standin):
    standin.star("mona", STAR_REPO)
    standin.fail_next("GET", rf"^/repos/{REPO}$", 403, message="Forbidden")

    verdict = check(gh, redis_conn, settings.model_copy(update={"star_min_repo_stars": 10}), "mona", REPO)

    assert verdict.unlocked and "starred" in verdict.reason


def test_an_unreachable_cache_still_asks_github(gh, settings, standin):
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2, retry=Retry(NoBackoff(), 0))
    standin.star("mona", STAR_REPO)

    assert check(gh, dead, settings, "mona", REPO).unlocked


# ---------------------------------------------------------------- star webhooks


def test_star_webhooks_move_the_cache_at_once(gh, settings, env_settings, redis_conn, standin, webhook_fixtures):
    payload = json.loads((webhook_fixtures / "star__created.json").read_text(encoding="utf-8"))
    payload["repository"]["full_name"] = STAR_REPO
    user = payload["sender"]["login"]
    assert check(gh, redis_conn, settings, user, REPO).access is Access.LOCKED
    asked = len(standin.requests)

    for action, expected in (("created", Access.UNLOCKED), ("deleted", Access.LOCKED), ("created", Access.UNLOCKED)):
        payload["action"] = action
        (job,) = jobs_for("star", payload, f"delivery-{action}")
        assert job.function == RECORD_STAR
        record_star(**job.kwargs)
        assert check(gh, redis_conn, settings, user, REPO).access is expected

    assert len(standin.requests) == asked  # every answer after the first came from the webhooks
    assert 0 < redis_conn.ttl(gate.star_key(STAR_REPO, user)) <= env_settings.star_cache_ttl_seconds


def test_stars_of_other_repositories_are_ignored(env_settings, redis_conn):
    outcome = record_star("someone/else", "mona", True, "d-1")

    assert outcome["status"] == "ignored" and cached_star(redis_conn, STAR_REPO, "mona") is None


def test_remember_star_keeps_a_star_longer_than_its_absence(redis_conn):
    remember_star(redis_conn, STAR_REPO, "mona", True, 3600)
    remember_star(redis_conn, STAR_REPO, "octocat", False, 3600)

    assert redis_conn.ttl(gate.star_key(STAR_REPO, "mona")) > gate.NOT_STARRED_TTL_SECONDS
    assert redis_conn.ttl(gate.star_key(STAR_REPO, "octocat")) <= gate.NOT_STARRED_TTL_SECONDS


# ---------------------------------------------------------------- replies and settings


def test_the_locked_reply_says_what_is_locked_where_to_star_and_how_to_unlock():
    body = locked_comment("mona", "the full-repository scan", "/ainascan full-scan", STAR_REPO, f"https://github.com/{STAR_REPO}")

    assert "@mona" in body and "the full-repository scan" in body
    assert f"[{STAR_REPO}](https://github.com/{STAR_REPO})" in body
    assert "star" in body and "`/ainascan full-scan`" in body and "again" in body
    assert "stars of their own" not in body
    assert "at least 1,000 stars" in locked_comment("mona", "x", "/ainascan history", STAR_REPO, "u", min_repo_stars=1000)


def test_the_unknown_reply_claims_nothing_about_the_star():
    body = unknown_comment("mona", "the scan history", "/ainascan history", STAR_REPO, "u", "GitHub answered 502 to GET /users/mona/starred")

    assert "could not check" in body and "502" in body and "`/ainascan history`" in body
    assert "not starred" not in body and "does not show" not in body


@pytest.mark.parametrize(
    ("api", "web"),
    [("https://api.github.com", "https://github.com"), ("https://ghe.example.com/api/v3", "https://ghe.example.com"), ("http://127.0.0.1:8080/", "http://127.0.0.1:8080")],
)
def test_star_links_point_at_the_web_host_of_the_api(api, web):
    assert web_url(api) == web


def test_the_star_settings_are_read_and_checked(monkeypatch):
    base = {"app_id": 1, "private_key": "k", "webhook_secret": "s"}
    defaults = load_settings(**base)
    assert (defaults.star_repo, defaults.star_min_repo_stars, defaults.history_retention) == (None, 0, 500)
    assert load_settings(**base, star_repo="  ").star_repo is None
    monkeypatch.setenv("AINASCAN_STAR_REPO", "ainascan/ainascan")
    monkeypatch.setenv("AINASCAN_STAR_CACHE_TTL_SECONDS", "120")
    assert (load_settings(**base).star_repo, load_settings(**base).star_cache_ttl_seconds) == ("ainascan/ainascan", 120)
    with pytest.raises(SystemExit, match="AINASCAN_STAR_REPO is invalid"):
        load_settings(**base, star_repo="https://github.com/ainascan/ainascan")


def test_a_quick_check_reads_one_page_of_the_users_stars_and_never_the_stargazers(gh, settings, redis_conn, standin):
    for i in range(150):
        standin.star("mona", f"maker/repo-{i}")
    standin.star("hubot", STAR_REPO)
    for i in range(150):
        standin.star("hubot", f"maker/repo-{i}")  # newer than the star: it sits on the second page
    standin.star("octocat", STAR_REPO)

    assert check(gh, redis_conn, settings, "octocat", REPO, quick=True).unlocked
    reads = len(standin.requests)
    assert check(gh, redis_conn, settings, "mona", REPO, quick=True).access is Access.UNKNOWN
    assert check(gh, redis_conn, settings, "hubot", REPO, quick=True).access is Access.UNKNOWN
    assert [r.path for r in standin.requests[reads:]] == ["/users/mona/starred", "/users/hubot/starred"]
    assert check(gh, redis_conn, settings, "hubot", REPO).unlocked  # a request the user made reads on
