"""Big and odd pull requests: each ends with a concluded check run, and what was not reviewed is named with a reason."""

from __future__ import annotations

import json
import time

import pytest

from bot.github import installation_client
from bot.jobs import review, review_head
from reliability.helpers import BEFORE, CONFIG, REPO, def_line, with_hollow


@pytest.fixture
def gh(settings, standin):
    with installation_client(settings, 1) as client:
        yield client


def only_run(standin, head):
    (run,) = standin.runs_for(head)
    assert run["status"] == "completed"
    return run


def test_more_than_a_hundred_changed_files_are_paged_and_all_reviewed(gh, settings, standin):
    files = {f"pkg/module_{n:03}.py": with_hollow(f"item_{n}") for n in range(130)}
    head = standin.add_pull(REPO, 7, files)
    outcome = review(gh, settings, REPO, 7, head)
    assert outcome["findings"] == 130 and outcome["skipped"] == []
    pages = [r for r in standin.requests if r.path.endswith("/pulls/7/files")]
    assert [r.query.get("page", "1") for r in pages] == ["1", "2"]
    blob_queries = [r for r in standin.requests if r.path == "/graphql" and "$e0" in r.body["query"]]
    assert len(blob_queries) == 3  # 50 files a query
    assert len(only_run(standin, head)["annotations"]) == 130
    assert len(standin.comments) == settings.max_inline_comments


def test_the_3000_file_listing_cap_is_said_in_the_summary(gh, settings, standin):
    files = {f"assets/file_{n:04}.txt": f"{n}\n" for n in range(3040)}
    files["app/profiles.py"] = with_hollow("profile")  # sorts before assets/: listed
    head = standin.add_pull(REPO, 7, files)
    assert standin.repos[REPO].pulls[7]["changed_files"] == 3041
    outcome = review(gh, settings, REPO, 7, head)
    run = only_run(standin, head)
    assert run["conclusion"] == "failure" and outcome["findings"] == 1
    assert "GitHub lists at most 3,000 changed files of a pull request; the other 41 were not reviewed" in run["output"]["summary"]


def test_files_without_a_patch_are_named_not_dropped(gh, settings, standin):
    standin.patch_limit = 2000  # GitHub sends no patch for a diff this large
    head = standin.add_pull(REPO, 7, {"app/profiles.py": with_hollow("profile"), "app/big.py": "VALUE = 1\n" * 500})
    outcome = review(gh, settings, REPO, 7, head)
    assert outcome["skipped"] == ["app/big.py"]
    assert "- `app/big.py`: GitHub sent no diff for it (binary, or the diff is too large)" in only_run(standin, head)["output"]["summary"]


def test_a_file_over_one_megabyte_is_read_with_the_raw_media_type_and_reviewed(gh, settings, standin):
    filler = "".join(f"# {n:06} " + "generated documentation " * 4 + "\n" for n in range(10_000))  # about 1.1 MB
    source = with_hollow("profile", before=BEFORE + filler)
    assert len(source.encode()) > 1024 * 1024
    head = standin.add_pull(REPO, 7, {"app/profiles.py": source})
    outcome = review(gh, settings, REPO, 7, head)
    assert outcome["skipped"] == [] and outcome["findings"] == 1
    (raw,) = [r for r in standin.requests if r.path == f"/repos/{REPO}/contents/app/profiles.py"]
    assert raw.query == {"ref": head}
    assert [c["line"] for c in standin.comments] == [def_line(source, "profile")]


def test_a_file_over_the_analyzers_limit_is_named_and_never_downloaded(gh, settings, standin, monkeypatch):
    from analyzer.engine import ScanOptions
    from bot.repo_config import RepoConfig

    limit = 50_000  # the analyzer's limit (10 MB by default), lowered so the test stays small
    monkeypatch.setattr(RepoConfig, "scan_options", lambda self: ScanOptions(max_bytes=limit))
    standin.graphql_text_limit = 20_000
    huge = BEFORE + "X = 1\n" * (limit // 6 + 100)
    head = standin.add_pull(REPO, 7, {"app/profiles.py": with_hollow("profile"), "app/huge.py": huge})
    outcome = review(gh, settings, REPO, 7, head)
    assert "app/huge.py" in outcome["skipped"]
    assert "bytes is over the analyzer's" in only_run(standin, head)["output"]["summary"]
    assert not [r for r in standin.requests if r.path.endswith("/contents/app/huge.py")]


def test_binary_files_are_left_out_and_a_binary_python_file_is_named(gh, settings, standin):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": with_hollow("profile"), "static/logo.png": b"\x89PNG\r\n\x1a\n\x00\x00binary", "app/blob.py": b"\x00\x01\x02"})
    outcome = review(gh, settings, REPO, 7, head)
    summary = only_run(standin, head)["output"]["summary"]
    assert outcome["findings"] == 1 and "logo.png" not in summary
    assert "- `app/blob.py`: GitHub sent no diff for it (binary, or the diff is too large)" in summary


def test_a_renamed_file_is_reviewed_at_its_new_path_and_a_pure_rename_is_not(gh, settings, standin):
    standin.add_repo(REPO, {"app/profiles.py": BEFORE, "app/old_name.py": "X = 1\n", ".github/ainascan.yml": CONFIG})
    moved = with_hollow("profile")
    head = standin.add_pull(REPO, 7, {"app/accounts.py": moved, "app/new_name.py": "X = 1\n"}, renames={"app/accounts.py": "app/profiles.py", "app/new_name.py": "app/old_name.py"})
    statuses = {entry["filename"]: (entry["status"], entry.get("previous_filename")) for entry in standin.repos[REPO].pull_files[7]}
    assert statuses == {"app/accounts.py": ("renamed", "app/profiles.py"), "app/new_name.py": ("renamed", "app/old_name.py")}
    outcome = review(gh, settings, REPO, 7, head)
    assert outcome["findings"] == 1 and outcome["skipped"] == []
    assert [(c["path"], c["line"]) for c in standin.comments] == [("app/accounts.py", def_line(moved, "profile"))]


def test_a_deleted_file_is_not_reviewed_and_the_check_still_concludes(gh, settings, standin):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": None, "README.md": "gone\n"})
    outcome = review(gh, settings, REPO, 7, head)
    run = only_run(standin, head)
    assert run["conclusion"] == "success" and outcome["findings"] == 0 and outcome["skipped"] == []
    assert not [r for r in standin.requests if r.path == "/graphql" and "$e0" in r.body["query"]]  # no blob was read


def test_a_pull_request_from_a_fork_is_read_in_the_base_repository_with_the_base_configuration(gh, settings, standin, webhook_fixtures):
    suite = json.loads((webhook_fixtures / "check_suite__requested.json").read_text())["check_suite"]
    assert suite["pull_requests"] == []  # a fork's push: GitHub names no pull request
    source = with_hollow("profile")
    head = standin.add_pull(REPO, 7, {"app/profiles.py": source, ".github/ainascan.yml": "fail_on: never\n"}, fork="mallory/shop")
    assert standin.repos[REPO].pulls[7]["head"]["repo"]["full_name"] == "mallory/shop"
    outcome = review_head(gh, settings, REPO, head)
    assert [pull["conclusion"] for pull in outcome["pull_requests"]] == ["failure"]  # the fork's fail_on: never is not read
    assert not [r for r in standin.requests if "mallory" in r.path]
    assert set(standin.config_reads(REPO)) == {"main"}


def test_a_latin1_source_with_a_coding_cookie_is_decoded_as_python_does(gh, settings, standin):
    text = "# -*- coding: latin-1 -*-\n" + with_hollow("profile").replace('"saved"', '"sauvegardé"')
    head = standin.add_pull(REPO, 7, {"app/profiles.py": text.encode("latin-1")})
    outcome = review(gh, settings, REPO, 7, head)
    assert outcome["findings"] == 1 and outcome["skipped"] == []
    assert [c["line"] for c in standin.comments] == [def_line(text, "profile")]
    assert [r.path for r in standin.requests if "/contents/app/" in r.path] == [f"/repos/{REPO}/contents/app/profiles.py"]


def test_a_source_that_is_not_utf8_and_says_no_encoding_is_named_with_the_reason(gh, settings, standin):
    text = with_hollow("profile").replace('"saved"', '"sauvegardé"')
    head = standin.add_pull(REPO, 7, {"app/profiles.py": with_hollow("account"), "app/legacy.py": text.encode("latin-1")})
    outcome = review(gh, settings, REPO, 7, head)
    assert outcome["skipped"] == ["app/legacy.py"] and outcome["findings"] == 1
    assert "- `app/legacy.py`: encoding: " in only_run(standin, head)["output"]["summary"]


def test_a_50000_line_generated_file_is_reviewed_within_its_budget(gh, settings, standin):
    generated = "# Generated by protoc. DO NOT EDIT.\n" + "".join(f"FIELD_{n} = {n}\n" for n in range(50_000))
    head = standin.add_pull(REPO, 7, {"app/profiles.py": with_hollow("profile"), "app/generated_pb2.py": generated})
    started = time.process_time()
    outcome = review(gh, settings, REPO, 7, head)
    spent = time.process_time() - started
    assert only_run(standin, head)["conclusion"] == "failure" and outcome["findings"] == 1
    assert spent < settings.scan_budget_seconds + 10


def test_a_file_over_the_cpu_budget_is_named_and_the_review_goes_on(gh, settings, standin):
    generated = "".join(f"FIELD_{n} = {{'id': {n}, 'tags': [{n}, {n + 1}]}}\n" for n in range(60_000))  # about 2 CPU seconds, 10x the budget
    head = standin.add_pull(REPO, 7, {"app/profiles.py": with_hollow("profile"), "app/generated_pb2.py": generated})
    tight = settings.model_copy(update={"scan_budget_seconds": 0.2})
    started = time.monotonic()
    outcome = review(gh, tight, REPO, 7, head)
    assert time.monotonic() - started < 30
    assert outcome["skipped"] == ["app/generated_pb2.py"] and outcome["findings"] == 1
    assert "- `app/generated_pb2.py`: time-budget: analysis took more than 0.2 CPU seconds" in only_run(standin, head)["output"]["summary"]
