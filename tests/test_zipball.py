"""Tests for bot/zipball.py: the zipball follows GitHub's redirect without the token and stops at the size cap."""

from __future__ import annotations

import random

import pytest
from githubkit.exception import RequestFailed

from bot.github import installation_client
from bot.settings import load_settings
from bot.zipball import DownloadTooLarge, download_zipball
from standin_gated import GatedStandin, mounted, zipball_of

BASE = "https://api.github.test"
REPO = "octo/shop"


@pytest.fixture
def standin(app_key, redis_conn, redis_url):
    settings = load_settings(app_id=random.randint(10**6, 10**9), private_key=app_key[0], webhook_secret="s", github_api_url=BASE, redis_url=redis_url)
    state = GatedStandin(settings.app_id, app_key[1], BASE)
    state.sha = state.add_repo(REPO, {"app/mod.py": "X = 1\n", "README.md": "shop\n"})
    with mounted(state):
        with installation_client(settings, 1) as gh:
            state.gh = gh
            yield state


def test_the_archive_is_read_from_codeload_without_the_token(standin):
    data = download_zipball(standin.gh, REPO, standin.sha, 10 * 1024 * 1024)

    assert data == zipball_of(REPO, standin.sha, standin.repos[REPO].commits[standin.sha])
    zipball_request = next(r for r in standin.requests if "/zipball/" in r.path)
    assert zipball_request.auth == "token"  # GitHub's own endpoint gets the installation token
    assert [r.authorization for r in standin.codeload_requests] == [None]  # the redirect target never does


def test_a_declared_size_over_the_cap_is_refused_before_reading(standin):
    with pytest.raises(DownloadTooLarge, match=r"over the 100-byte download limit \(AINASCAN_FULL_SCAN_MAX_DOWNLOAD_BYTES\)"):
        download_zipball(standin.gh, REPO, standin.sha, 100)


def test_a_streamed_archive_stops_at_the_cap(standin):
    standin.zipballs[standin.sha] = random.randbytes(1024 * 1024)
    standin.chunked_zipballs = True

    with pytest.raises(DownloadTooLarge):
        download_zipball(standin.gh, REPO, standin.sha, 200 * 1024)

    assert standin.codeload_bytes_sent <= 200 * 1024 + 64 * 1024  # one chunk past the cap, not the megabyte


def test_a_missing_commit_is_githubs_error(standin):
    with pytest.raises(RequestFailed) as raised:
        download_zipball(standin.gh, REPO, "0" * 40, 1024)

    assert raised.value.response.status_code == 404
