"""Tests for bot/github.py: App and installation clients, the token cache in Redis, the retry policy, and secrets kept out of logs."""

from __future__ import annotations

import logging
import traceback
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest
import respx
from githubkit.exception import GitHubException, PrimaryRateLimitExceeded, RequestFailed, SecondaryRateLimitExceeded
from githubkit.response import Response

from bot.github import RateLimited, RetryPolicy, describe_error, graphql, installation_client, paginate, split_repo
from bot.settings import load_settings
from standin_github import StandinGitHub, generate_app_key

BASE = "https://api.github.test"
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
def settings(app_key, app_id, redis_conn, redis_url):
    return load_settings(app_id=app_id, private_key=app_key[0], webhook_secret="hook-secret", github_api_url=BASE, redis_url=redis_url)


@pytest.fixture
def standin(app_key, app_id):
    state = StandinGitHub(app_id, app_key[1], BASE)
    state.add_repo("octo/shop", {"a.py": "x = 1\n"})
    with respx.mock(base_url=BASE) as mock:
        mock.route().mock(side_effect=state.respx_handler)
        yield state


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """githubkit's sleeps between retries, recorded instead of slept."""
    recorded: list[float] = []
    monkeypatch.setattr("githubkit.core.time.sleep", recorded.append)
    return recorded


def _failure(status: int, headers: dict[str, str] | None = None, cls=RequestFailed, **kwargs: Any):
    request = httpx.Request("GET", f"{BASE}/repos/octo/shop/pulls/1")
    response = Response(httpx.Response(status, headers=headers or {}, request=request), Any)
    return cls(response, **kwargs)


# ---------------------------------------------------------------- the retry policy (pure)


def test_server_errors_are_retried_three_times_with_growing_waits():
    policy = RetryPolicy()
    error = _failure(502)
    decisions = [policy(error, count) for count in range(4)]
    assert [d.do_retry for d in decisions] == [True, True, True, False]
    assert [d.retry_after for d in decisions[:3]] == [timedelta(seconds=1), timedelta(seconds=2), timedelta(seconds=4)]


def test_client_errors_are_not_retried():
    assert RetryPolicy()(_failure(404), 0).do_retry is False
    assert RetryPolicy()(_failure(422), 0).do_retry is False


def test_a_short_secondary_limit_is_slept_through():
    decision = RetryPolicy()(_failure(403, cls=SecondaryRateLimitExceeded, retry_after=timedelta(seconds=30)), 0)
    assert decision.do_retry and decision.retry_after == timedelta(seconds=30)


def test_a_long_secondary_limit_reschedules_instead_of_sleeping():
    policy = RetryPolicy(clock=lambda: NOW)
    with pytest.raises(RateLimited) as raised:
        policy(_failure(403, cls=SecondaryRateLimitExceeded, retry_after=timedelta(minutes=10)), 0)
    assert raised.value.retry_at == NOW + timedelta(minutes=10) and raised.value.kind == "secondary"


def test_a_spent_primary_limit_reschedules_for_the_reset():
    policy = RetryPolicy(clock=lambda: NOW)
    with pytest.raises(RateLimited) as raised:
        policy(_failure(403, cls=PrimaryRateLimitExceeded, retry_after=timedelta(minutes=47)), 0)
    assert raised.value.retry_at == NOW + timedelta(minutes=47) and raised.value.kind == "primary"


def test_waits_never_exceed_the_cap():
    policy = RetryPolicy(max_retries=10, max_sleep=timedelta(seconds=60))
    assert policy(_failure(500), 9).retry_after == timedelta(seconds=60)


def test_split_repo_refuses_what_is_not_owner_slash_name():
    assert split_repo("octo/shop") == ("octo", "shop")
    for bad in ("octo", "octo/", "/shop", "a/b/c"):
        with pytest.raises(ValueError):
            split_repo(bad)


# ---------------------------------------------------------------- clients over HTTP


def test_installation_token_is_minted_once_and_shared_through_redis(settings, standin, redis_conn):
    with installation_client(settings, 1) as first:
        assert first.request("GET", "/repos/octo/shop/pulls").status_code == 200
    # A second client, as the next forked work-horse would build, finds the token in Redis.
    with installation_client(settings, 1) as second:
        second.request("GET", "/repos/octo/shop/pulls")
    mints = [r for r in standin.requests if r.path.endswith("/access_tokens")]
    assert len(mints) == 1 and mints[0].auth == "jwt"  # the stand-in verified the JWT with the App's public key
    assert [r.auth for r in standin.requests if r.path == "/repos/octo/shop/pulls"] == ["token", "token"]
    (token,) = standin.tokens
    cached = [key for key in redis_conn.keys("ainascan:githubkit:*") if redis_conn.get(key) == token.encode()]
    assert len(cached) == 1 and b":installation:1:" in cached[0]


def test_a_server_error_is_retried_then_succeeds(settings, standin, sleeps):
    standin.fail_next("GET", r"/pulls/7$", 502)
    standin.add_pull("octo/shop", 7, {"a.py": "x = 2\n"})
    with installation_client(settings, 1) as gh:
        assert gh.request("GET", "/repos/octo/shop/pulls/7").json()["number"] == 7
    assert sleeps == [1.0]


def test_failures_while_minting_a_token_follow_the_same_policy(settings, standin, sleeps):
    standin.fail_next("POST", r"/access_tokens$", 502)
    with installation_client(settings, 1) as gh:
        assert gh.request("GET", "/repos/octo/shop/pulls").status_code == 200
    assert sleeps == [1.0]
    reset = int((datetime.now(timezone.utc) + timedelta(minutes=5)).timestamp())
    standin.fail_next("POST", r"/access_tokens$", 403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)})
    with installation_client(settings, 2) as gh, pytest.raises(RateLimited):
        gh.request("GET", "/repos/octo/shop/pulls")


def test_a_spent_rate_limit_raises_without_sleeping(settings, standin, sleeps):
    reset = int((datetime.now(timezone.utc) + timedelta(minutes=30)).timestamp())
    standin.fail_next("GET", r"/pulls$", 403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset)}, "API rate limit exceeded")
    with installation_client(settings, 1) as gh, pytest.raises(RateLimited) as raised:
        gh.request("GET", "/repos/octo/shop/pulls")
    assert sleeps == []
    assert abs(raised.value.retry_at.timestamp() - reset) <= 2


def test_a_secondary_limit_with_retry_after_is_honoured(settings, standin, sleeps):
    standin.fail_next("GET", r"/pulls$", 403, {"retry-after": "7"}, "You have exceeded a secondary rate limit")
    with installation_client(settings, 1) as gh:
        assert gh.request("GET", "/repos/octo/shop/pulls").status_code == 200
    assert sleeps == [7.0]


def test_graphql_rate_limit_raises_rate_limited(settings, app_key, redis_conn):
    with respx.mock(base_url=BASE) as mock:
        mock.post("/app/installations/1/access_tokens").respond(201, json={"token": "ghs_x", "expires_at": "2099-01-01T00:00:00Z"})
        mock.post("/graphql").respond(200, json={"data": None, "errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]}, headers={"x-ratelimit-reset": str(int(datetime.now(timezone.utc).timestamp()) + 600)})
        with installation_client(settings, 1) as gh, pytest.raises(RateLimited) as raised:
            graphql(gh, "query { viewer { login } }")
    assert raised.value.kind == "GraphQL"


@pytest.mark.parametrize(
    ("api_url", "graphql_url", "rest_url"),
    [
        ("https://api.github.com", "https://api.github.com/graphql", "https://api.github.com/repos/o/r/pulls/1"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com/api/graphql", "https://ghe.example.com/api/v3/repos/o/r/pulls/1"),
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765/graphql", "http://127.0.0.1:8765/repos/o/r/pulls/1"),
    ],
)
def test_one_base_url_serves_rest_and_graphql(settings, api_url, graphql_url, rest_url):
    settings = settings.model_copy(update={"github_api_url": api_url})
    with respx.mock(assert_all_called=True) as mock:
        mock.post(url__regex=r".*/app/installations/1/access_tokens$").respond(201, json={"token": "ghs_y", "expires_at": "2099-01-01T00:00:00Z"})
        rest = mock.get(rest_url).respond(200, json={"number": 1})
        query = mock.post(graphql_url).respond(200, json={"data": {"viewer": {"login": "x"}}})
        with installation_client(settings, 1) as gh:
            gh.request("GET", "/repos/o/r/pulls/1")
            assert graphql(gh, "query { viewer { login } }") == {"viewer": {"login": "x"}}
        assert rest.called and query.called


def test_paginate_follows_link_headers(settings, standin):
    for number in range(1, 131):
        standin.add_pull("octo/shop", number, {"a.py": f"x = {number}\n"})
    with installation_client(settings, 1) as gh:
        numbers = [pr["number"] for pr in paginate(gh, "/repos/octo/shop/pulls", {"state": "open"})]
    assert sorted(numbers) == list(range(1, 131))
    assert len([r for r in standin.requests if r.path == "/repos/octo/shop/pulls"]) == 2


# ---------------------------------------------------------------- secrets stay secret


def test_private_key_and_tokens_never_reach_logs_or_errors(settings, standin, app_key, sleeps, caplog):
    caplog.set_level(logging.DEBUG)
    errors: list[BaseException] = []
    with installation_client(settings, 1) as gh:
        gh.request("GET", "/repos/octo/shop/pulls")
        for _ in range(4):
            standin.fail_next("GET", r"/pulls/99$", 500, message="boom")
        try:
            gh.request("GET", "/repos/octo/shop/pulls/99")
        except RequestFailed as exc:
            errors.append(exc)
    # A client whose key GitHub rejects: the refusal must not echo the key either.
    _other_private, _ = generate_app_key()
    bad = settings.model_copy(update={"private_key": type(settings.private_key)(_other_private), "app_id": 43})
    with installation_client(bad, 2) as gh:
        try:
            gh.request("GET", "/repos/octo/shop/pulls")
        except GitHubException as exc:
            errors.append(exc)
    assert len(errors) == 2
    assert describe_error(errors[0]) == "GitHub answered 500 to GET /repos/octo/shop/pulls/99"
    assert describe_error(errors[1]) == "GitHub answered 401 to POST /app/installations/2/access_tokens"
    secrets = [line for line in app_key[0].splitlines() if "PRIVATE KEY" not in line]
    secrets += [line for line in _other_private.splitlines() if "PRIVATE KEY" not in line]
    secrets += list(standin.tokens)
    assert standin.tokens  # there was a token to leak
    texts = [caplog.text, repr(settings), str(settings.model_dump())]
    for exc in errors:
        texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    for text in texts:
        for secret in secrets:
            assert secret not in text
