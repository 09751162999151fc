"""Tests for bot/repo_config.py: parsing .github/ainascan.yml (pure), and reading it from the default branch or the owner's .github repository."""

from __future__ import annotations

import base64

import pytest
import respx
from githubkit import GitHub

from analyzer.model import Severity
from bot.repo_config import DEFAULT_CONFIG, ConfigError, RepoConfig, load_repo_config, parse_config

SOURCE = "octo/shop:.github/ainascan.yml"


def test_full_file_parses_every_key():
    config = parse_config(
        """
select: [missing_write, SILENT_FAILURE]
ignore: [SILENT_FAILURE]
severity: {MISSING_WRITE: warn}
exclude: ["migrations/", "legacy/**"]
fail_on: warn
max_inline_comments: 7
drafts: review
""",
        SOURCE,
    )
    assert config.select == ("MISSING_WRITE", "SILENT_FAILURE")
    assert config.ignore == ("SILENT_FAILURE",)
    assert dict(config.severity) == {"MISSING_WRITE": Severity.WARN}
    assert config.exclude == ("migrations/", "legacy/**")
    assert (config.fail_on, config.max_inline_comments, config.drafts, config.source) == ("warn", 7, "review", SOURCE)


def test_empty_file_means_defaults_but_names_its_source():
    config = parse_config("# nothing here\n", SOURCE)
    assert config == RepoConfig(source=SOURCE)
    assert config.fail_on == "block" and config.inline_limit(25) == 25 and config.review_drafts(False) is False


def test_scan_options_follow_select_ignore_and_overrides():
    options = parse_config("ignore: [MISSING_WRITE]\nseverity: {SILENT_FAILURE: warn}\n", SOURCE).scan_options()
    ids = {rule.id for rule in options.rules}
    assert "MISSING_WRITE" not in ids and "SILENT_FAILURE" in ids
    assert options.severity_overrides == {"SILENT_FAILURE": Severity.WARN}


def test_exclude_patterns_match_like_gitignore():
    config = parse_config('exclude: ["migrations/", "legacy/**", "*_pb2.py"]\n', SOURCE)
    assert config.excludes("app/migrations/0001_initial.py")
    assert config.excludes("legacy/old/module.py")
    assert config.excludes("proto/user_pb2.py")
    assert not config.excludes("app/models.py")
    assert not DEFAULT_CONFIG.excludes("app/migrations/0001_initial.py")


def test_settings_decide_what_the_file_leaves_unset():
    assert DEFAULT_CONFIG.review_drafts(True) is True
    assert parse_config("drafts: skip\n", SOURCE).review_drafts(True) is False
    assert parse_config("max_inline_comments: 0\n", SOURCE).inline_limit(25) == 0


def test_yaml_false_for_fail_on_means_never():
    assert parse_config("fail_on: no\n", SOURCE).fail_on == "never"


def test_invalid_yaml_names_the_line():
    with pytest.raises(ConfigError) as raised:
        parse_config("select: [MISSING_WRITE\nignore: x\n", SOURCE)
    assert raised.value.source == SOURCE
    assert "not valid YAML at line" in str(raised.value)


def test_a_list_at_the_top_is_refused():
    with pytest.raises(ConfigError, match="expected a mapping of settings, found a list"):
        parse_config("- MISSING_WRITE\n", SOURCE)


def test_every_problem_is_listed_at_once():
    with pytest.raises(ConfigError) as raised:
        parse_config(
            "selec: [MISSING_WRITE]\nignore: [NO_SUCH_RULE]\nseverity: {MISSING_WRITE: fatal}\n"
            "fail_on: sometimes\nmax_inline_comments: -3\ndrafts: maybe\nexclude: 5\n",
            SOURCE,
        )
    text = "\n".join(raised.value.problems)
    assert "unknown key(s) selec" in text
    assert "ignore: unknown rule id(s) NO_SUCH_RULE" in text
    assert "severity of MISSING_WRITE must be block or warn, not 'fatal'" in text
    assert "fail_on must be one of block | warn | never, not 'sometimes'" in text
    assert "max_inline_comments must be a whole number from 0 to 100, not -3" in text
    assert "drafts must be one of review | skip, not 'maybe'" in text
    assert "exclude must be a list of strings, not a number" in text
    assert len(raised.value.problems) == 7


def test_select_and_ignore_that_cancel_out_are_refused():
    with pytest.raises(ConfigError, match="leave no rule to run"):
        parse_config("select: [MISSING_WRITE]\nignore: [MISSING_WRITE]\n", SOURCE)


def test_an_oversized_file_is_refused_before_parsing():
    with pytest.raises(ConfigError, match="over 64 KB"):
        parse_config("# " + "x" * 70_000 + "\n", SOURCE)


# ---------------------------------------------------------------- reading from GitHub

BASE = "https://api.github.test"


def _contents(text: str) -> dict:
    return {"type": "file", "encoding": "base64", "content": base64.b64encode(text.encode()).decode()}


@pytest.fixture
def github():
    return GitHub("test-token", base_url=BASE, http_cache=False, auto_retry=False)


@respx.mock(base_url=BASE, assert_all_called=False)
def test_the_repository_file_is_read_from_the_default_branch(respx_mock, github):
    own = respx_mock.get("/repos/octo/shop/contents/.github/ainascan.yml").respond(json=_contents("fail_on: never\n"))
    org = respx_mock.get("/repos/octo/.github/contents/.github/ainascan.yml").respond(json=_contents("fail_on: warn\n"))
    config = load_repo_config(github, "octo/shop", "trunk")
    assert config.fail_on == "never" and config.source == "octo/shop:.github/ainascan.yml"
    assert own.calls.last.request.url.params["ref"] == "trunk"
    assert not org.called


@respx.mock(base_url=BASE, assert_all_called=False)
def test_the_owners_dot_github_repository_is_the_fallback(respx_mock, github):
    respx_mock.get("/repos/octo/shop/contents/.github/ainascan.yml").respond(404, json={"message": "Not Found"})
    org = respx_mock.get("/repos/octo/.github/contents/.github/ainascan.yml").respond(json=_contents("drafts: review\n"))
    config = load_repo_config(github, "octo/shop", "main")
    assert config.drafts == "review" and config.source == "octo/.github:.github/ainascan.yml"
    assert "ref" not in org.calls.last.request.url.params  # that repository's own default branch


@respx.mock(base_url=BASE)
def test_no_file_anywhere_gives_the_defaults(respx_mock, github):
    respx_mock.get("/repos/octo/shop/contents/.github/ainascan.yml").respond(404, json={"message": "Not Found"})
    respx_mock.get("/repos/octo/.github/contents/.github/ainascan.yml").respond(404, json={"message": "Not Found"})
    assert load_repo_config(github, "octo/shop", "main") is DEFAULT_CONFIG


@respx.mock(base_url=BASE)
def test_a_malformed_file_raises_config_error_not_a_crash(respx_mock, github):
    respx_mock.get("/repos/octo/shop/contents/.github/ainascan.yml").respond(json=_contents("fail_on: [block\n"))
    with pytest.raises(ConfigError, match="octo/shop:.github/ainascan.yml: not valid YAML"):
        load_repo_config(github, "octo/shop", "main")


@respx.mock(base_url=BASE)
def test_a_server_error_is_not_mistaken_for_an_absent_file(respx_mock, github):
    respx_mock.get("/repos/octo/shop/contents/.github/ainascan.yml").respond(500, json={"message": "boom"})
    from githubkit.exception import RequestFailed

    with pytest.raises(RequestFailed):
        load_repo_config(github, "octo/shop", "main")

