"""Per-repository configuration: `.github/ainascan.yml` on the default branch, else the owner's `.github` repository.

    select: [MISSING_WRITE, SILENT_FAILURE]   # run only these rules (default: all)
    ignore: [DEBUG_MODE_RISK]                 # never run these
    severity: {SILENT_FAILURE: warn}          # severity overrides (block | warn)
    exclude: ["migrations/", "legacy/**"]     # .gitignore-style paths not to review
    fail_on: block                            # block | warn | never: what fails the check
    max_inline_comments: 10                   # inline comments per review; the rest stay in the check run
    drafts: skip                              # review | skip draft pull requests

The file is read from the default branch, never from the pull request's head,
so a pull request cannot switch its own review off. Parsing is pure; a file
that is not valid raises ConfigError listing every problem, and the check run
says so instead of the job crashing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from analyzer.engine import ScanOptions
from analyzer.model import Severity
from analyzer.registry import all_rules, select_rules
from analyzer.scanner import ExcludeRules
from bot.github import graphql_allowing_absent

CONFIG_PATH = ".github/ainascan.yml"
MAX_CONFIG_BYTES = 64 * 1024
FAIL_ON = ("block", "warn", "never")
DRAFTS = ("review", "skip")
MAX_INLINE_LIMIT = 100
_KEYS = ("select", "ignore", "severity", "exclude", "fail_on", "max_inline_comments", "drafts")


class ConfigError(ValueError):
    """The configuration file exists but is not valid; the message says what is wrong, one problem a line."""

    def __init__(self, source: str, problems: list[str]):
        super().__init__(f"{source}: " + "; ".join(problems))
        self.source = source
        self.problems = problems


@dataclass(frozen=True)
class RepoConfig:
    """What one repository asked for. `None` means "not set here": the App's settings decide."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: tuple[tuple[str, Severity], ...] = ()
    exclude: tuple[str, ...] = ()
    fail_on: str = "block"
    max_inline_comments: int | None = None
    drafts: str | None = None
    source: str | None = None  # "owner/repo:.github/ainascan.yml", or None for the defaults
    _excludes: ExcludeRules = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_excludes", ExcludeRules(self.exclude))

    def scan_options(self) -> ScanOptions:
        return ScanOptions(rules=select_rules(self.select, self.ignore), severity_overrides=dict(self.severity))

    def excludes(self, path: str) -> bool:
        return bool(self.exclude) and self._excludes.excludes(path, is_dir=False)

    def review_drafts(self, default: bool) -> bool:
        return default if self.drafts is None else self.drafts == "review"

    def inline_limit(self, default: int) -> int:
        return default if self.max_inline_comments is None else self.max_inline_comments


DEFAULT_CONFIG = RepoConfig()


def parse_config(text: str, source: str) -> RepoConfig:
    """The YAML text of a configuration file to a RepoConfig, or ConfigError naming every problem."""
    if len(text.encode("utf-8")) > MAX_CONFIG_BYTES:
        raise ConfigError(source, [f"the file is over {MAX_CONFIG_BYTES // 1024} KB"])
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(source, [f"not valid YAML{where}: {getattr(exc, 'problem', None) or exc}"]) from None
    if data is None:
        return RepoConfig(source=source)
    if not isinstance(data, dict):
        raise ConfigError(source, [f"expected a mapping of settings, found {_kind(data)}"])
    problems: list[str] = []
    unknown = [str(key) for key in data if key not in _KEYS]
    if unknown:
        problems.append(f"unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(_KEYS)})")
    catalog = all_rules()
    select = _rule_ids(data.get("select"), "select", catalog, problems)
    ignore = _rule_ids(data.get("ignore"), "ignore", catalog, problems)
    severity = _severities(data.get("severity"), catalog, problems)
    exclude = _strings(data.get("exclude"), "exclude", problems)
    fail_on = _choice(data.get("fail_on"), "fail_on", FAIL_ON, problems) or "block"
    drafts = _choice(data.get("drafts"), "drafts", DRAFTS, problems)
    limit = data.get("max_inline_comments")
    if limit is not None and (type(limit) is not int or not 0 <= limit <= MAX_INLINE_LIMIT):
        problems.append(f"max_inline_comments must be a whole number from 0 to {MAX_INLINE_LIMIT}, not {limit!r}")
        limit = None
    if select and not set(select) - set(ignore):
        problems.append("select and ignore leave no rule to run")
    if problems:
        raise ConfigError(source, problems)
    return RepoConfig(select, ignore, severity, exclude, fail_on, limit, drafts, source)


def _kind(value: Any) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number", bool: "true/false"}.get(type(value), type(value).__name__)


def _strings(value: Any, key: str, problems: list[str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        problems.append(f"{key} must be a list of strings, not {_kind(value)}")
        return ()
    return tuple(item.strip() for item in value if item.strip())


def _rule_ids(value: Any, key: str, catalog: dict, problems: list[str]) -> tuple[str, ...]:
    ids = tuple(item.upper() for item in _strings(value, key, problems))
    unknown = [rule_id for rule_id in ids if rule_id not in catalog]
    if unknown:
        problems.append(f"{key}: unknown rule id(s) {', '.join(unknown)}")
        return ()
    return ids


def _severities(value: Any, catalog: dict, problems: list[str]) -> tuple[tuple[str, Severity], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        problems.append(f"severity must map rule ids to block or warn, not {_kind(value)}")
        return ()
    out: list[tuple[str, Severity]] = []
    for rule_id, level in value.items():
        rule_id = str(rule_id).upper()
        if rule_id not in catalog:
            problems.append(f"severity: unknown rule id {rule_id}")
            continue
        try:
            out.append((rule_id, Severity.parse(str(level))))
        except ValueError:
            problems.append(f"severity of {rule_id} must be block or warn, not {level!r}")
    return tuple(sorted(out))


def _choice(value: Any, key: str, choices: tuple[str, ...], problems: list[str]) -> str | None:
    if value is None:
        return None
    if value is False and key == "fail_on":  # YAML reads a bare `no`/`off` as false
        value = "never"
    text = str(value).strip().lower()
    if text not in choices:
        problems.append(f"{key} must be one of {' | '.join(choices)}, not {value!r}")
        return None
    return text


# ---------------------------------------------------------------- reading it from GitHub

SHARED_REPO_NAME = ".github"


def config_query(with_shared: bool) -> str:
    """One GraphQL query for the configuration file of the repository and, when asked, of the owner's `.github` repository."""
    blob = "file: object(expression: $%s) { ... on Blob { text isBinary byteSize } }"
    own = f"own: repository(owner: $owner, name: $name) {{ {blob % 'own'} }}"
    if not with_shared:
        return f"query($owner: String!, $name: String!, $own: String!) {{ {own} }}"
    shared = f"shared: repository(owner: $owner, name: $shared_name) {{ {blob % 'shared'} }}"
    return f"query($owner: String!, $name: String!, $own: String!, $shared_name: String!, $shared: String!) {{ {own} {shared} }}"


def load_repo_config(gh, repo: str, default_branch: str) -> RepoConfig:
    """The configuration that applies to `repo`: its own file on the default branch, else the owner's, else defaults.

    Both places are read in one GraphQL query (one API call per review, not
    two). The owner's `.github` repository is read at its own default branch
    (`HEAD`); when it does not exist, or the installation cannot see it,
    GitHub answers NOT_FOUND for that field alone.
    """
    owner, name = repo.split("/", 1)
    with_shared = name != SHARED_REPO_NAME
    variables = {"owner": owner, "name": name, "own": f"{default_branch}:{CONFIG_PATH}"}
    if with_shared:
        variables.update(shared_name=SHARED_REPO_NAME, shared=f"HEAD:{CONFIG_PATH}")
    data = graphql_allowing_absent(gh, config_query(with_shared), variables)
    places = [("own", repo)] + ([("shared", f"{owner}/{SHARED_REPO_NAME}")] if with_shared else [])
    for field_name, source_repo in places:
        source = f"{source_repo}:{CONFIG_PATH}"
        text = config_text((data.get(field_name) or {}).get("file"), source)
        if text is not None:
            return parse_config(text, source)
    return DEFAULT_CONFIG


def config_text(blob: dict[str, Any] | None, source: str) -> str | None:
    """The text of the configuration blob GraphQL returned, None when there is no such path; ConfigError when it is no text file."""
    if blob is None:
        return None
    if "isBinary" not in blob:  # the path names a directory or a submodule
        raise ConfigError(source, ["is not a file"])
    if int(blob.get("byteSize") or 0) > MAX_CONFIG_BYTES:
        raise ConfigError(source, [f"the file is over {MAX_CONFIG_BYTES // 1024} KB"])
    if blob["isBinary"] or blob.get("text") is None:
        raise ConfigError(source, ["is not UTF-8 text"])
    return blob["text"]
