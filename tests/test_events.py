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
    FULL_SCAN,
    RECORD_STAR,
    REVIEW_HEAD_SHA,
    REVIEW_PULL_REQUEST,
    SCAN_HISTORY,
    full_scan_job_id,
    head_review_job_id,
    history_job_id,
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


def test_a_button_that_is_not_ours_is_not_routed(webhook_fixtures):
    payload = load(webhook_fixtures, "check_run__requested_action")
    assert payload["requested_action"]["identifier"] == "lgtm|26764"

    assert jobs_for("check_run", payload) == []
    assert log_fields("check_run", payload)["requested_action"] == "lgtm|26764"


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
    assert set(manifest["default_events"]) == {"pull_request", "check_run", "check_suite", "issue_comment", "star"}
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


# ---------------------------------------------------------------- star-gated commands, the button, star webhooks


def pull_request_comment(webhook_fixtures: Path, body: str) -> dict:
    """The real issue_comment payload, on a pull request (issues carry `pull_request` when they are one)."""
    payload = load(webhook_fixtures, "issue_comment__created.with-installation")
    payload["issue"]["pull_request"] = {"url": payload["issue"]["url"].replace("/issues/", "/pulls/")}
    payload["comment"]["body"] = body
    return payload


def test_a_full_scan_comment_on_a_pull_request_asks_for_one_full_scan_for_its_author(webhook_fixtures):
    payload = pull_request_comment(webhook_fixtures, "Could you look at everything?\n/ainascan full-scan")

    [job] = jobs_for("issue_comment", payload, "d-3")

    assert job.function == FULL_SCAN
    assert job.kwargs == {
        "installation_id": payload["installation"]["id"],
        "repo": payload["repository"]["full_name"],
        "user": payload["comment"]["user"]["login"],
        "number": payload["issue"]["number"],
        "head_sha": None,  # the worker reads the pull request's head when it runs
        "delivery_id": "d-3",
    }
    assert job.job_id == full_scan_job_id(payload["repository"]["full_name"], payload["issue"]["number"], None, payload["comment"]["user"]["login"])
    validate_job_id(job.job_id)


def test_a_history_comment_asks_for_the_history_and_both_commands_ask_for_both(webhook_fixtures):
    payload = pull_request_comment(webhook_fixtures, "/ainascan history\n/ainascan full-scan")

    history, full = jobs_for("issue_comment", payload, "d-4")

    assert (history.function, full.function) == (SCAN_HISTORY, FULL_SCAN)
    assert history.kwargs == {
        "installation_id": payload["installation"]["id"],
        "repo": payload["repository"]["full_name"],
        "number": payload["issue"]["number"],
        "user": payload["comment"]["user"]["login"],
        "delivery_id": "d-4",
    }
    assert history.job_id == history_job_id(payload["repository"]["full_name"], payload["issue"]["number"], payload["comment"]["user"]["login"])


def test_commands_are_ignored_on_issues_from_bots_and_when_edited(webhook_fixtures):
    on_issue = pull_request_comment(webhook_fixtures, "/ainascan full-scan")
    del on_issue["issue"]["pull_request"]
    by_bot = pull_request_comment(webhook_fixtures, "/ainascan full-scan")
    by_bot["comment"]["user"]["type"] = "Bot"
    edited = with_changes(pull_request_comment(webhook_fixtures, "/ainascan full-scan"), action="edited")
    chatter = pull_request_comment(webhook_fixtures, "Looks good; the `/ainascan full-scan` command can wait.")

    for payload in (on_issue, by_bot, edited, chatter):
        assert jobs_for("issue_comment", payload) == []


def test_the_full_scan_button_asks_for_a_full_scan_of_the_runs_head_for_whoever_clicked(webhook_fixtures):
    payload = load(webhook_fixtures, "check_run__requested_action")
    payload["requested_action"]["identifier"] = "full-scan"
    pulls = payload["check_run"]["pull_requests"]
    payload["check_run"]["pull_requests"] = [dict(pulls[0], number=9), *pulls]

    [job] = jobs_for("check_run", payload, "d-5")

    assert job.function == FULL_SCAN
    assert job.kwargs == {
        "installation_id": payload["installation"]["id"],
        "repo": payload["repository"]["full_name"],
        "user": payload["sender"]["login"],
        "number": min(9, pulls[0]["number"]),
        "head_sha": payload["check_run"]["head_sha"],
        "delivery_id": "d-5",
    }
    validate_job_id(job.job_id)


def test_the_full_scan_button_of_a_fork_leaves_the_pull_request_to_the_worker(webhook_fixtures):
    payload = load(webhook_fixtures, "check_run__requested_action")
    payload["requested_action"]["identifier"] = "full-scan"
    payload["check_run"]["pull_requests"] = []

    [job] = jobs_for("check_run", payload)

    assert (job.kwargs["number"], job.kwargs["head_sha"]) == (None, payload["check_run"]["head_sha"])


@pytest.mark.parametrize(("action", "starred"), [("created", True), ("deleted", False)])
def test_star_webhooks_ask_for_a_cache_update_even_without_an_installation(webhook_fixtures, action, starred):
    payload = with_changes(load(webhook_fixtures, "star__created"), action=action)
    assert "installation" not in payload  # a plain repository webhook on the star repository sends these

    [job] = jobs_for("star", payload, "d-6")

    assert job.function == RECORD_STAR
    assert job.kwargs == {"star_repo": payload["repository"]["full_name"], "user": payload["sender"]["login"], "starred": starred, "delivery_id": "d-6"}
    validate_job_id(job.job_id)


def test_each_star_delivery_is_its_own_job_so_a_star_and_an_unstar_both_apply(webhook_fixtures):
    starred = load(webhook_fixtures, "star__created")
    unstarred = with_changes(starred, action="deleted")

    ids = {jobs_for("star", starred, "d-7")[0].job_id, jobs_for("star", unstarred, "d-8")[0].job_id, jobs_for("star", starred, "d-9")[0].job_id}

    assert len(ids) == 3


def test_log_fields_name_the_commenter_and_the_pull_request(webhook_fixtures):
    payload = pull_request_comment(webhook_fixtures, "/ainascan history")

    logged = log_fields("issue_comment", payload)

    assert (logged["pr"], logged["user"]) == (payload["issue"]["number"], payload["sender"]["login"])


def test_star_gated_job_arguments_bind_to_their_functions(webhook_fixtures):
    import bot.full_scan
    import bot.gate

    button = load(webhook_fixtures, "check_run__requested_action")
    button["requested_action"]["identifier"] = "full-scan"
    requests = [
        *jobs_for("issue_comment", pull_request_comment(webhook_fixtures, "/ainascan full-scan\n/ainascan history"), "d"),
        *jobs_for("check_run", button, "d"),
        *jobs_for("star", load(webhook_fixtures, "star__created"), "d"),
    ]

    assert {request.function for request in requests} == {FULL_SCAN, SCAN_HISTORY, RECORD_STAR}
    for request in requests:
        module, name = request.function.rsplit(".", 1)
        function = getattr({"bot.full_scan": bot.full_scan, "bot.gate": bot.gate}[module], name)
        inspect.signature(function).bind(**request.kwargs)


def test_a_signed_payload_with_malformed_pull_request_lists_routes_nothing_and_logs():
    from bot.events import jobs_for, log_fields

    for event, key in (("check_suite", "check_suite"), ("check_run", "check_run")):
        payload = {"action": "rerequested", "installation": {"id": 1}, "repository": {"full_name": "o/r"}, key: {"head_sha": "a" * 40, "pull_requests": True}}
        assert log_fields(event, payload)["prs"] == []
        requests = jobs_for(event, payload)
        assert all(r.function.endswith("review_head_sha") for r in requests)
