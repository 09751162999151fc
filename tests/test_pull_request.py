"""Tests for bot/pull_request.py: which changed files to analyze (pure), and reading files and blobs from GitHub in few requests."""

from __future__ import annotations

import pytest
import respx
from githubkit import GitHub

from bot.pull_request import ChangedFile, blob_query, list_files, open_pull_requests_for, plan_review, read_blobs
from bot.repo_config import DEFAULT_CONFIG, parse_config
from standin_github import StandinGitHub, generate_app_key

BASE = "https://api.github.test"
PATCH = "@@ -1 +1,4 @@\n import os\n+\n+def save_user(u):\n+    return True\n"


def test_plan_keeps_python_files_with_added_lines():
    plan = plan_review([ChangedFile("app/users.py", "modified", PATCH)], DEFAULT_CONFIG)
    assert list(plan.changes) == ["app/users.py"]
    assert plan.changes["app/users.py"].added == frozenset({2, 3, 4})
    assert plan.skipped == ()


def test_deleted_and_non_python_files_are_left_out_silently():
    files = [
        ChangedFile("app/gone.py", "removed", "@@ -1 +0,0 @@\n-x = 1\n"),
        ChangedFile("README.md", "modified", PATCH),
        ChangedFile("app/moved.py", "renamed", None, changes=0, previous_path="app/old.py"),
        ChangedFile("app/only_deletions.py", "modified", "@@ -1,2 +1 @@\n x = 1\n-y = 2\n"),
    ]
    plan = plan_review(files, DEFAULT_CONFIG)
    assert plan.changes == {} and plan.skipped == ()


def test_python_files_that_cannot_be_reviewed_are_named():
    config = parse_config('exclude: ["migrations/"]\n', "octo/shop:.github/ainascan.yml")
    files = [
        ChangedFile("app/migrations/0001.py", "added", PATCH),
        ChangedFile("app/huge.py", "modified", None, changes=40000),
        ChangedFile("app/broken.py", "modified", "this is not a diff"),
    ]
    plan = plan_review(files, config)
    assert plan.changes == {}
    reasons = {s.path: s.reason for s in plan.skipped}
    assert reasons["app/migrations/0001.py"] == "excluded by octo/shop:.github/ainascan.yml"
    assert "no diff" in reasons["app/huge.py"]
    assert reasons["app/broken.py"].startswith("unreadable diff")


def test_blob_query_reads_every_path_through_variables():
    query = blob_query(3)
    assert "$e0: String!" in query and "$e2: String!" in query and "$e3" not in query
    assert query.count("object(expression: $e") == 3
    assert "... on Blob { text isBinary byteSize isTruncated }" in query


# ---------------------------------------------------------------- against a stand-in GitHub (through respx)


@pytest.fixture
def standin():
    _private, public = generate_app_key()
    return StandinGitHub(42, public, BASE)


@pytest.fixture
def github(standin):
    token = "ghs_test"
    from datetime import datetime, timedelta, timezone

    standin.tokens[token] = datetime.now(timezone.utc) + timedelta(hours=1)
    with respx.mock(base_url=BASE) as mock:
        mock.route().mock(side_effect=standin.respx_handler)
        yield GitHub(token, base_url=BASE, http_cache=False, auto_retry=False)


def test_files_are_listed_a_hundred_a_page(standin, github):
    standin.add_repo("octo/shop", {})
    standin.add_pull("octo/shop", 5, {f"pkg/m{n:03d}.py": f"x = {n}\n" for n in range(250)})
    files = list_files(github, "octo/shop", 5)
    assert len(files) == 250 and files[0].path == "pkg/m000.py" and files[0].status == "added"
    pages = [r for r in standin.requests if r.path.endswith("/pulls/5/files")]
    assert [r.query.get("page", "1") for r in pages] == ["1", "2", "3"]
    assert all(r.query["per_page"] == "100" for r in pages)


def test_blobs_are_read_fifty_a_query(standin, github):
    head_files = {f"pkg/m{n:03d}.py": f"value = {n}\n" for n in range(60)}
    standin.add_repo("octo/shop", {})
    head = standin.add_pull("octo/shop", 5, head_files)
    blobs = read_blobs(github, "octo/shop", head, list(head_files) + ["pkg/absent.py"])
    queries = [r for r in standin.requests if r.path == "/graphql"]
    assert len(queries) == 2
    assert blobs["pkg/m059.py"].text == "value = 59\n"
    assert blobs["pkg/absent.py"] is None
    sent = queries[0].body["variables"]
    assert sent["owner"] == "octo" and sent["name"] == "shop" and sent["e0"] == f"{head}:pkg/m000.py"


def test_binary_blobs_have_no_text_and_blobs_too_big_for_graphql_are_read_raw(standin, github):
    standin.add_repo("octo/shop", {})
    standin.graphql_text_limit = 100
    head = standin.add_pull("octo/shop", 5, {"a.py": "x = 1\n" * 50, "b.py": b"\x00\x01binary"})
    blobs = read_blobs(github, "octo/shop", head, ["a.py", "b.py"])
    assert blobs["a.py"].text == "x = 1\n" * 50 and blobs["a.py"].byte_size == 300 and not blobs["a.py"].is_binary
    assert blobs["b.py"].is_binary and blobs["b.py"].text is None
    (raw,) = [r for r in standin.requests if r.path.endswith("/contents/a.py")]
    assert raw.query == {"ref": head}


def test_blobs_over_the_analyzers_limit_are_not_downloaded(standin, github):
    standin.add_repo("octo/shop", {})
    standin.graphql_text_limit = 100
    head = standin.add_pull("octo/shop", 5, {"a.py": "x = 1\n" * 50})
    blobs = read_blobs(github, "octo/shop", head, ["a.py"], max_bytes=200)
    assert blobs["a.py"].text is None and blobs["a.py"].byte_size == 300
    assert not [r for r in standin.requests if "/contents/" in r.path]


def test_open_pull_requests_are_found_by_their_head(standin, github):
    standin.add_repo("octo/shop", {"a.py": "x = 1\n"})
    head = standin.add_pull("octo/shop", 5, {"a.py": "x = 2\n"})
    standin.add_pull("octo/shop", 6, {"a.py": "x = 3\n"})
    assert [pr["number"] for pr in open_pull_requests_for(github, "octo/shop", head)] == [5]
    assert open_pull_requests_for(github, "octo/shop", "f" * 40) == []

