"""The bot's settings (bot.settings): read from AINASCAN_* variables, one clear line for a bad one, secrets kept secret."""

from __future__ import annotations

import os

import pytest

from bot.settings import Settings, SettingsError, load_settings

SECRET = "whsec-do-not-print-2b9e"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEsecretbody\n-----END RSA PRIVATE KEY-----\n"


@pytest.fixture
def env(monkeypatch):
    """A clean AINASCAN_* environment with a complete configuration; tests delete or change one variable."""
    for name in list(os.environ):
        if name.startswith("AINASCAN_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AINASCAN_APP_ID", "12345")
    monkeypatch.setenv("AINASCAN_PRIVATE_KEY", PEM.replace("\n", "\\n"))
    monkeypatch.setenv("AINASCAN_WEBHOOK_SECRET", SECRET)
    return monkeypatch


def test_a_complete_environment_loads_with_the_documented_defaults(env):
    settings = load_settings()

    assert settings.app_id == 12345
    assert settings.webhook_secret.get_secret_value() == SECRET
    assert settings.github_api_url == "https://api.github.com"
    assert settings.redis_url == "redis://localhost:6379/0"
    assert settings.queue_name == "ainascan"
    assert settings.review_drafts is False


def test_every_setting_is_read_from_its_variable(env):
    env.setenv("AINASCAN_GITHUB_API_URL", "https://ghe.example.com/api/v3")
    env.setenv("AINASCAN_REDIS_URL", "redis://redis:6379/2")
    env.setenv("AINASCAN_QUEUE_NAME", "reviews")
    env.setenv("AINASCAN_REVIEW_DRAFTS", "true")

    settings = load_settings()

    assert (settings.github_api_url, settings.redis_url, settings.queue_name, settings.review_drafts) == (
        "https://ghe.example.com/api/v3",
        "redis://redis:6379/2",
        "reviews",
        True,
    )


def test_escaped_newlines_in_the_private_key_become_real_ones(env):
    assert load_settings().private_key_pem() == PEM


def test_the_private_key_can_come_from_a_file(env, tmp_path):
    key_file = tmp_path / "app.pem"
    key_file.write_text(PEM, encoding="utf-8")
    env.delenv("AINASCAN_PRIVATE_KEY")
    env.setenv("AINASCAN_PRIVATE_KEY_PATH", str(key_file))

    assert load_settings().private_key_pem() == PEM


def test_a_blank_private_key_is_unset_so_the_key_file_is_used(env, tmp_path):
    key_file = tmp_path / "app.pem"
    key_file.write_text(PEM, encoding="utf-8")
    env.setenv("AINASCAN_PRIVATE_KEY", "")  # as deploy/.env.example leaves it
    env.setenv("AINASCAN_PRIVATE_KEY_PATH", str(key_file))

    assert load_settings().private_key_pem() == PEM
    env.setenv("AINASCAN_PRIVATE_KEY_PATH", "  ")
    with pytest.raises(SettingsError, match="AINASCAN_PRIVATE_KEY"):
        load_settings()


def test_an_unreadable_private_key_file_is_named(env, tmp_path):
    env.delenv("AINASCAN_PRIVATE_KEY")
    env.setenv("AINASCAN_PRIVATE_KEY_PATH", str(tmp_path / "missing.pem"))

    with pytest.raises(SettingsError) as raised:
        load_settings().private_key_pem()

    assert "AINASCAN_PRIVATE_KEY_PATH" in str(raised.value)


@pytest.mark.parametrize("name", ["AINASCAN_APP_ID", "AINASCAN_WEBHOOK_SECRET"])
def test_a_missing_variable_is_named_in_one_line(env, name):
    env.delenv(name)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    message = str(raised.value)
    assert name in message and "missing" in message
    assert "\n" not in message


def test_a_missing_private_key_names_both_ways_to_give_it(env):
    env.delenv("AINASCAN_PRIVATE_KEY")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert "AINASCAN_PRIVATE_KEY" in str(raised.value)
    assert "AINASCAN_PRIVATE_KEY_PATH" in str(raised.value)


@pytest.mark.parametrize("value", ["abc", "0", "-3", "1.5"])
def test_a_malformed_app_id_is_named_without_echoing_secrets(env, value):
    env.setenv("AINASCAN_APP_ID", value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    message = str(raised.value)
    assert "AINASCAN_APP_ID" in message and "invalid" in message
    assert SECRET not in message and "secretbody" not in message


def test_a_settings_error_exits_the_process_with_a_failure_status(env):
    env.delenv("AINASCAN_APP_ID")

    with pytest.raises(SystemExit) as raised:
        load_settings()

    assert raised.value.code not in (0, None)


def test_secrets_are_hidden_in_the_settings_repr(env):
    settings = load_settings()

    assert SECRET not in repr(settings) and SECRET not in str(settings)
    assert "secretbody" not in repr(settings)


def test_overrides_take_precedence_over_the_environment(env):
    settings = load_settings(redis_url="redis://127.0.0.1:6379/15", app_id=7)

    assert (settings.redis_url, settings.app_id) == ("redis://127.0.0.1:6379/15", 7)
    assert isinstance(settings, Settings)
