"""Fixtures of the reliability suite: an App key, settings with short intervals, the stand-in GitHub behind respx.

Every test here injects a fault (a dead worker, a failing GitHub, a hostile
body or source) against a real Redis (AINASCAN_TEST_REDIS_URL, emptied around
each test) and the stand-in GitHub of tests/standin_github.py.
"""

from __future__ import annotations


import pytest
import respx

from bot.settings import get_settings
from reliability.helpers import BASE, BEFORE, CONFIG, REPO, quick_settings, settings_environment
from standin_github import StandinGitHub


@pytest.fixture
def settings(app_key, app_id, redis_conn, redis_url):
    return quick_settings(app_key, app_id, redis_url)


@pytest.fixture
def as_environment(settings, app_key, monkeypatch):
    """The settings as AINASCAN_* variables, for code that reads get_settings() (RQ jobs run in-process)."""
    for name, value in settings_environment(settings, app_key).items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AINASCAN_PRIVATE_KEY_PATH", raising=False)
    get_settings.cache_clear()
    yield settings
    get_settings.cache_clear()


@pytest.fixture
def standin(app_key, app_id):
    """The stand-in GitHub behind respx, with REPO holding BEFORE and a configuration selecting MISSING_WRITE."""
    state = StandinGitHub(app_id, app_key[1], BASE)
    state.add_repo(REPO, {"app/profiles.py": BEFORE, "README.md": "shop\n", ".github/ainascan.yml": CONFIG})
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        mock.route().mock(side_effect=state.respx_handler)
        yield state


@pytest.fixture
def no_sleep(monkeypatch) -> list[float]:
    """githubkit's and our retry sleeps, recorded instead of slept (the waits are asserted, not endured)."""
    slept: list[float] = []
    monkeypatch.setattr("time.sleep", slept.append)
    return slept
