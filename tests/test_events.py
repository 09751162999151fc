"""Webhook routing (bot.events) on GitHub's real example payloads, and the App manifest that subscribes to them."""

from __future__ import annotations

import copy
import inspect
import json
from pathlib import Path

import pytest
import yaml
from rq.job import validate_job_id

from bot.events import (
    REVIEW_HEAD_SHA,
    REVIEW_PULL_REQUEST,
    head_review_job_id,
    jobs_for,
    log_fields,
    review_job_id,
    routed_events,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def load(webhook_fixtures: Path, name: str) -> dict:
    return json.loads((webhook_fixtures / f"{name}.json").read_text(encoding="utf-8"))


def with_changes(payload: dict, **changes) -> dict:
    edited = copy.deepcopy(payload)
    edited.update(changes)
    return edited


@pytest.mark.parametrize("name", ["pull_request__opened", "pull_request__synchronize"])
def test_a_pull_request_push_asks_for_one_review_of_its_head(webhook_fixtures, name):
    payload = load(webhook_fixtures, name)

    [job] = jobs_for("pull_request", payload, "delivery-1")

    assert job.function == REVIEW_PULL_REQUEST
    assert job.kwargs == {
        "installation_id": payload["installation"]["id"],
        "repo": payload["repository"]["full_name"],
        "number": payload["pull_request"]["number"],
        "head_sha": payload["pull_request"]["head"]["sha"],
        "delivery_id": "delivery-1",
    }
    assert job.job_id == review_job_id(payload["repository"]["full_name"], payload["number"], payload["pull_request"]["head"]["sha"])
    assert f"#{payload['number']}" in job.description


@pytest.mark.parametrize("action", ["reopened", "ready_for_review"])
def test_reopened_and_ready_for_review_are_reviewed_too(webhook_fixtures, action):
    payload = with_changes(load(webhook_fixtures, "pull_request__opened"), action=action)

    [job] = jobs_for("pull_request", payload)

    assert job.function == REVIEW_PULL_REQUEST
    assert job.kwargs["head_sha"] == payload["pull_request"]["head"]["sha"]
    assert job.kwargs["delivery_id"] is None


@pytest.mark.parametrize("action", ["closed", "edited", "labeled", "assigned", "converted_to_draft", "review_requested"])
def test_pull_request_actions_that_change_no_code_are_ignored(webhook_fixtures, action):
    payload = with_changes(load(webhook_fixtures, "pull_request__opened"), action=action)

    assert jobs_for("pull_request", payload) == []


def test_a_draft_is_routed_like_any_pull_request_and_the_worker_decides(webhook_fixtures):
    payload = load(webhook_fixtures, "pull_request__opened")
    payload["pull_request"]["draft"] = True

    [job] = jobs_for("pull_request", payload)

    assert job.function == REVIEW_PULL_REQUEST
    assert job.kwargs["number"] == payload["number"]


def test_a_check_suite_without_pull_requests_reviews_the_head_sha(webhook_fixtures):
    payload = load(webhook_fixtures, "check_suite__requested")
    assert payload["check_suite"]["pull_requests"] == []

    [job] = jobs_for("check_suite", payload, "d-2")

    assert job.function == REVIEW_HEAD_SHA
    assert job.kwargs == {
        "installation_id": payload["installation"]["id"],
        "repo": payload["repository"]["full_name"],
        "head_sha": payload["check_suite"]["head_sha"],
        "delivery_id": "d-2",
    }
    assert job.job_id == head_review_job_id(payload["repository"]["full_name"], payload["check_suite"]["head_sha"])


def test_a_rerequested_check_suite_reviews_each_of_its_pull_requests_at_the_suite_head(webhook_fixtures):
    suite = load(webhook_fixtures, "check_suite__requested")
    listed = load(webhook_fixtures, "check_run__requested_action")["check_run"]["pull_requests"][0]
    payload = with_changes(suite, action="rerequested")
    payload["check_suite"]["pull_requests"] = [dict(listed, number=7), dict(listed, number=5), dict(listed, number=7)]

    jobs = jobs_for("check_suite", payload)

    assert [job.kwargs["number"] for job in jobs] == [5, 7]
    assert {job.function for job in jobs} == {REVIEW_PULL_REQUEST}
    assert {job.kwargs["head_sha"] for job in jobs} == {payload["check_suite"]["head_sha"]}


def test_a_rerequested_check_run_reviews_its_pull_request_again(webhook_fixtures):
    payload = with_changes(load(webhook_fixtures, "check_run__requested_action"), action="rerequested")
    pull_request = payload["check_run"]["pull_requests"][0]

    [job] = jobs_for("check_run", payload)

    assert job.function == REVIEW_PULL_REQUEST
    assert (job.kwargs["number"], job.kwargs["head_sha"]) == (pull_request["number"], payload["check_run"]["head_sha"])
    assert job.kwargs["installation_id"] == payload["installation"]["id"]


def test_a_rerequested_check_run_of_a_fork_reviews_the_head_sha(webhook_fixtures):
    payload = with_changes(load(webhook_fixtures, "check_run__requested_action"), action="rerequested")
    payload["check_run"]["pull_requests"] = []

    [job] = jobs_for("check_run", payload)

    assert job.function == REVIEW_HEAD_SHA
    assert job.kwargs["head_sha"] == payload["check_run"]["head_sha"]


@pytest.mark.parametrize("identifier", ["full-scan", "lgtm|26764"])
def test_check_run_buttons_are_not_routed_yet(webhook_fixtures, identifier):
    payload = load(webhook_fixtures, "check_run__requested_action")
    payload["requested_action"]["identifier"] = identifier

    assert jobs_for("check_run", payload) == []
    assert log_fields("check_run", payload)["requested_action"] == identifier


@pytest.mark.parametrize("action", ["created", "completed"])
def test_our_own_check_runs_being_created_or_completed_trigger_nothing(webhook_fixtures, action):
    payload = with_changes(load(webhook_fixtures, "check_run__requested_action"), action=action)

    assert jobs_for("check_run", payload) == []


def test_a_completed_check_suite_triggers_nothing(webhook_fixtures):
    payload = with_changes(load(webhook_fixtures, "check_suite__requested"), action="completed")

    assert jobs_for("check_suite", payload) == []


@pytest.mark.parametrize(
    ("event", "name"),
    [
        ("installation", "installation__created"),
        ("issue_comment", "issue_comment__created"),
        ("issue_comment", "issue_comment__created.with-installation"),
        ("star", "star__created"),
    ],
)
def test_events_with_nothing_to_review_ask_for_no_job(webhook_fixtures, event, name):
    assert jobs_for(event, load(webhook_fixtures, name)) == []


def test_a_payload_without_an_installation_asks_for_no_job(webhook_fixtures):
    payload = load(webhook_fixtures, "pull_request__opened")
    del payload["installation"]

    assert jobs_for("pull_request", payload) == []


def test_a_pull_request_without_a_head_sha_asks_for_no_job(webhook_fixtures):
    payload = load(webhook_fixtures, "pull_request__opened")
    del payload["pull_request"]["head"]["sha"]

    assert jobs_for("pull_request", payload) == []


def test_log_fields_name_the_repo_pull_request_and_head(webhook_fixtures):
    payload = load(webhook_fixtures, "pull_request__synchronize")

    logged = log_fields("pull_request", payload)

    assert logged["repo"] == payload["repository"]["full_name"]
    assert logged["pr"] == payload["pull_request"]["number"]
    assert logged["head_sha"] == payload["pull_request"]["head"]["sha"]
    assert logged["installation_id"] == payload["installation"]["id"]
    assert (logged["event"], logged["action"]) == ("pull_request", "synchronize")


def test_review_job_ids_collapse_one_head_and_separate_the_rest():
    sha = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"

    assert review_job_id("octo/hello", 2, sha) == review_job_id("octo/hello", 2, sha)
    assert review_job_id("octo/hello", 2, sha) != review_job_id("octo/hello", 2, "f" * 40)
    assert review_job_id("octo/hello", 2, sha) != review_job_id("octo/hello", 3, sha)


def test_review_job_ids_are_accepted_by_rq_and_never_shared_by_two_repositories():
    # Real repository names use letters, digits, '-', '_' and '.', which rq's job ids do not all allow.
    repos = ["a/b_c", "a/b.c", "a/b-c", "a_b/c", "a-b/c", "a/b__c", "a/b_2fc", "a/b", "ab/c"]
    ids = [review_job_id(repo, 1, "abc123") for repo in repos] + [head_review_job_id(repo, "abc123") for repo in repos]

    for job_id in ids:
        validate_job_id(job_id)
    assert len(set(ids)) == len(ids)


def test_the_manifest_subscribes_to_every_routed_event_with_the_permissions_the_bot_needs():
    manifest = yaml.safe_load((PROJECT_ROOT / "app.yml").read_text(encoding="utf-8"))

    assert routed_events() <= set(manifest["default_events"])
    assert set(manifest["default_events"]) == {"pull_request", "check_run", "check_suite", "issue_comment"}
    assert manifest["default_permissions"] == {
        "checks": "write",
        "pull_requests": "write",
        "contents": "read",
        "metadata": "read",
        "issues": "read",
    }
    assert manifest["hook_attributes"]["url"].endswith("/api/github/webhooks")
    assert manifest["name"] and manifest["description"] and manifest["url"]


def test_job_arguments_bind_to_the_worker_functions(webhook_fixtures):
    jobs = pytest.importorskip("bot.jobs", reason="the worker half (bot/jobs.py) is not in this checkout yet")
    pull_request = jobs_for("pull_request", load(webhook_fixtures, "pull_request__opened"), "d")[0]
    head = jobs_for("check_suite", load(webhook_fixtures, "check_suite__requested"), "d")[0]

    for request in (pull_request, head):
        function = getattr(jobs, request.function.rsplit(".", 1)[1])
        inspect.signature(function).bind(**request.kwargs)
