"""Tests for bot/repo_config.py: parsing .github/ainascan.yml (pure), and reading it from the default branch or the owner's .github repository."""

from __future__ import annotations

import json

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


def _blob(text: str) -> dict:
    return {"file": {"text": text, "isBinary": False, "byteSize": len(text.encode())}}


def _answer(own: dict | None = None, shared: dict | None = None, *, shared_exists: bool = True) -> dict:
    """GitHub's answer to the configuration query: a repository without the file gives `file: null`, a missing one an error."""
    data = {"own": own or {"file": None}, "shared": (shared or {"file": None}) if shared_exists else None}
    if shared_exists:
        return {"data": data}
    return {"data": data, "errors": [{"type": "NOT_FOUND", "path": ["shared"], "message": "Could not resolve to a Repository with the name 'octo/.github'."}]}


def _variables(route) -> dict:
    return json.loads(route.calls.last.request.content)["variables"]


@pytest.fixture
def github():
    return GitHub("test-token", base_url=BASE, http_cache=False, auto_retry=False)


@respx.mock(base_url=BASE)
def test_the_repository_file_is_read_from_the_default_branch_in_one_query(respx_mock, github):
    query = respx_mock.post("/graphql").respond(json=_answer(_blob("fail_on: never\n"), _blob("fail_on: warn\n")))
    config = load_repo_config(github, "octo/shop", "trunk")
    assert config.fail_on == "never" and config.source == "octo/shop:.github/ainascan.yml"
    assert query.call_count == 1
    variables = _variables(query)
    assert (variables["owner"], variables["name"], variables["own"]) == ("octo", "shop", "trunk:.github/ainascan.yml")
    assert (variables["shared_name"], variables["shared"]) == (".github", "HEAD:.github/ainascan.yml")  # its own default branch


@respx.mock(base_url=BASE)
def test_the_owners_dot_github_repository_is_the_fallback(respx_mock, github):
    respx_mock.post("/graphql").respond(json=_answer(shared=_blob("drafts: review\n")))
    config = load_repo_config(github, "octo/shop", "main")
    assert config.drafts == "review" and config.source == "octo/.github:.github/ainascan.yml"


@respx.mock(base_url=BASE)
def test_no_file_anywhere_gives_the_defaults(respx_mock, github):
    respx_mock.post("/graphql").respond(json=_answer())
    assert load_repo_config(github, "octo/shop", "main") is DEFAULT_CONFIG


@respx.mock(base_url=BASE)
def test_an_owner_without_a_dot_github_repository_is_not_an_error(respx_mock, github):
    respx_mock.post("/graphql").respond(json=_answer(shared_exists=False))
    assert load_repo_config(github, "octo/shop", "main") is DEFAULT_CONFIG
    respx_mock.post("/graphql").respond(json=_answer(_blob("fail_on: warn\n"), shared_exists=False))
    assert load_repo_config(github, "octo/shop", "main").fail_on == "warn"


@respx.mock(base_url=BASE)
def test_the_dot_github_repository_itself_reads_only_its_own_file(respx_mock, github):
    query = respx_mock.post("/graphql").respond(json={"data": {"own": _blob("fail_on: never\n")}})
    config = load_repo_config(github, "octo/.github", "main")
    assert config.fail_on == "never" and config.source == "octo/.github:.github/ainascan.yml"
    assert "shared" not in _variables(query) and "shared:" not in json.loads(query.calls.last.request.content)["query"]


@respx.mock(base_url=BASE)
def test_a_malformed_file_raises_config_error_not_a_crash(respx_mock, github):
    respx_mock.post("/graphql").respond(json=_answer(_blob("fail_on: [block\n")))
    with pytest.raises(ConfigError, match="octo/shop:.github/ainascan.yml: not valid YAML"):
        load_repo_config(github, "octo/shop", "main")


@pytest.mark.parametrize(
    "own, problem",
    [
        ({"file": {}}, "is not a file"),  # a directory of that name: not a Blob
        ({"file": {"text": None, "isBinary": True, "byteSize": 10}}, "is not UTF-8 text"),
        ({"file": {"text": None, "isBinary": False, "byteSize": 900_000}}, "over 64 KB"),
    ],
)
@respx.mock(base_url=BASE)
def test_a_path_that_is_no_readable_file_is_a_config_error(respx_mock, github, own, problem):
    respx_mock.post("/graphql").respond(json=_answer(own))
    with pytest.raises(ConfigError, match=problem):
        load_repo_config(github, "octo/shop", "main")


@respx.mock(base_url=BASE)
def test_a_server_error_is_not_mistaken_for_an_absent_file(respx_mock, github):
    respx_mock.post("/graphql").respond(500, json={"message": "boom"})
    from githubkit.exception import RequestFailed

    with pytest.raises(RequestFailed):
        load_repo_config(github, "octo/shop", "main")


@respx.mock(base_url=BASE)
def test_a_graphql_error_other_than_not_found_is_raised(respx_mock, github):
    from githubkit.exception import GraphQLFailed

    respx_mock.post("/graphql").respond(json={"data": None, "errors": [{"type": "INTERNAL", "message": "Something went wrong"}]})
    with pytest.raises(GraphQLFailed):
        load_repo_config(github, "octo/shop", "main")
