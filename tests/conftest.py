"""Shared test fixtures: where ../shared is, and a real Redis server for the bot's tests."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = PROJECT_ROOT.parent / "shared"


@pytest.fixture
def shared_dir() -> Path:
    """../shared, read in place; tests that need it skip on a fresh clone where it is absent."""
    if not SHARED_DIR.is_dir():
        pytest.skip("../shared is absent (a fresh clone has none)")
    return SHARED_DIR


@pytest.fixture
def webhook_fixtures(shared_dir: Path) -> Path:
    return shared_dir / "fixtures" / "github-webhooks"


@pytest.fixture
def redis_url() -> str:
    """A real Redis server (scripts/ensure-redis starts one); each test gets its own key prefix via redis_db."""
    return os.environ.get("AINASCAN_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


@pytest.fixture
def redis_conn(redis_url: str):
    """A connection to a real Redis database that is emptied before and after the test."""
    import redis

    conn = redis.Redis.from_url(redis_url)
    try:
        conn.ping()
    except redis.exceptions.ConnectionError:
        pytest.fail(f"no Redis server at {redis_url}: run scripts/ensure-redis")
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


@pytest.fixture
def unique_id() -> str:
    return uuid.uuid4().hex[:12]


@pytest.fixture(scope="session")
def app_key() -> tuple[str, str]:
    """A GitHub App's RSA key pair (private PEM, public PEM), made once: generating one is slow."""
    from standin_github import generate_app_key

    return generate_app_key()


@pytest.fixture
def app_id() -> int:
    """An App id of this test alone: cached tokens are keyed by it, and other test runs may share the Redis database."""
    import random

    return random.randint(10**6, 10**9)
