"""Tests for bot/jobs.py: whole reviews against a stateful stand-in GitHub behind respx, with the token cache in a real Redis."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import respx
from githubkit.exception import GitHubException

from bot.github import installation_client
from bot.jobs import review, review_head
from bot.publish import RESOLVED_PREFIX, fingerprint_of
from bot.settings import load_settings
from standin_github import StandinGitHub

BASE = "https://api.github.test"
REPO = "octo/shop"

BEFORE = '''import json


def load_profile(path):
    with open(path) as handle:
        return json.load(handle)
'''
HOLLOW = BEFORE + '''

def save_profile(user_id, profile):
    validated = dict(profile)
    return {"status": "saved", "user_id": user_id}
'''
HOLLOW_LINE = 9  # `def save_profile(...)` in HOLLOW
# Only the rule these samples are about: the catalog grows, and a new rule may flag them too.
CONFIG = "select: [MISSING_WRITE]\n"


@pytest.fixture
def settings(app_key, app_id, redis_conn, redis_url):
    return load_settings(app_id=app_id, private_key=app_key[0], webhook_secret="hook-secret", github_api_url=BASE, redis_url=redis_url)


@pytest.fixture
def standin(app_key, app_id):
    state = StandinGitHub(app_id, app_key[1], BASE)
    state.add_repo(REPO, {"app/profiles.py": BEFORE, "README.md": "shop\n", ".github/ainascan.yml": CONFIG})
    with respx.mock(base_url=BASE) as mock:
        mock.route().mock(side_effect=state.respx_handler)
        yield state


@pytest.fixture
def gh(settings, standin):
    with installation_client(settings, 1) as client:
        yield client


def _only_run(standin: StandinGitHub, head: str) -> dict:
    (run,) = standin.runs_for(head)
    return run


# ---------------------------------------------------------------- the review


def test_a_hollow_function_fails_the_check_and_gets_a_comment_on_its_line(gh, settings, standin):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW, "README.md": "shop, now with profiles\n"})
    outcome = review(gh, settings, REPO, 7, head)
    run = _only_run(standin, head)
    assert run["name"] == "AINAScan" and run["status"] == "completed" and run["conclusion"] == "failure"
    assert run["output"]["title"] == "1 BLOCK"
    assert "MISSING_WRITE" in run["output"]["summary"]
    assert [(a["path"], a["start_line"], a["annotation_level"], a["title"]) for a in run["annotations"]] == [("app/profiles.py", HOLLOW_LINE, "failure", "MISSING_WRITE")]
    created = next(r for r in standin.requests if r.method == "POST" and r.path.endswith("/check-runs"))
    assert created.body["status"] == "in_progress" and created.body["head_sha"] == head
    (posted,) = standin.reviews
    assert posted["event"] == "COMMENT" and posted["commit_id"] == head
    (comment,) = standin.comments
    assert (comment["path"], comment["line"], comment["side"]) == ("app/profiles.py", HOLLOW_LINE, "RIGHT")
    assert "`MISSING_WRITE`" in comment["body"] and fingerprint_of(comment["body"])
    assert outcome == {
        "status": "reviewed",
        "conclusion": "failure",
        "title": "1 BLOCK",
        "findings": 1,
        "comments_posted": 1,
        "comments_resolved": 0,
        "skipped": [],
    }


def test_the_same_head_again_posts_nothing(gh, settings, standin):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW})
    review(gh, settings, REPO, 7, head)
    writes = len(standin.writes())
    again = review(gh, settings, REPO, 7, head)
    assert standin.writes()[writes:] == []
    assert again["comments_posted"] == 0 and len(standin.check_runs) == 1 and len(standin.comments) == 1


def test_an_unfinished_run_of_the_same_head_is_reused(gh, settings, standin):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW})
    standin.check_runs.append(
        {"id": 1, "repo": REPO, "name": "AINAScan", "head_sha": head, "status": "in_progress", "conclusion": None, "started_at": "2030-01-01T00:00:00Z",
         "completed_at": None, "output": {"title": None, "summary": None, "annotations_count": 0}, "app": {"id": standin.app_id}, "annotations": []}
    )
    review(gh, settings, REPO, 7, head)
    assert [(r["id"], r["status"], r["conclusion"]) for r in standin.runs_for(head)] == [(1, "completed", "failure")]


def test_a_completed_run_is_updated_in_place_never_reopened(gh, settings, standin):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW}, draft=True)
    review(gh, settings, REPO, 7, head)
    assert _only_run(standin, head)["conclusion"] == "neutral"
    standin.set_draft(REPO, 7, False)  # ready for review: same head, now reviewed
    review(gh, settings, REPO, 7, head)
    run = _only_run(standin, head)
    assert (run["conclusion"], run["output"]["title"]) == ("failure", "1 BLOCK")


def test_a_push_that_only_moves_the_finding_does_not_repeat_the_comment(gh, settings, standin):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW})
    review(gh, settings, REPO, 7, head)
    moved = HOLLOW.replace("import json\n", "import json\nimport os\n\nDATA = os.environ.get('DATA', 'data')\n")
    new_head = standin.push(REPO, 7, {"app/profiles.py": moved})
    outcome = review(gh, settings, REPO, 7, new_head)
    assert outcome["findings"] == 1 and outcome["comments_posted"] == 0
    assert len(standin.reviews) == 1
    assert _only_run(standin, new_head)["annotations"][0]["start_line"] == HOLLOW_LINE + 3


def test_a_push_that_removes_the_finding_marks_the_comment_resolved_once(gh, settings, standin):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW})
    review(gh, settings, REPO, 7, head)
    fixed = HOLLOW.replace("    validated = dict(profile)\n", "    validated = dict(profile)\n    DB.write(user_id, validated)\n")
    fixed_head = standin.push(REPO, 7, {"app/profiles.py": fixed}, seed="fix")
    outcome = review(gh, settings, REPO, 7, fixed_head)
    assert outcome["comments_resolved"] == 1 and outcome["conclusion"] == "success"
    (comment,) = standin.comments
    assert comment["body"].startswith(f"{RESOLVED_PREFIX} This finding no longer appears at {fixed_head[:7]}.")
    later = standin.push(REPO, 7, {"app/profiles.py": fixed + "\n# touched\n"}, seed="later")
    assert review(gh, settings, REPO, 7, later)["comments_resolved"] == 0
    assert comment["body"].count(RESOLVED_PREFIX) == 1


def test_no_python_changes_still_completes_a_successful_check(gh, settings, standin):
    head = standin.add_pull(REPO, 7, {"README.md": "new words\n"})
    outcome = review(gh, settings, REPO, 7, head)
    run = _only_run(standin, head)
    assert (run["status"], run["conclusion"]) == ("completed", "success")
    assert "changes no Python lines" in run["output"]["summary"]
    assert standin.reviews == [] and outcome["findings"] == 0


def test_warnings_alone_pass_with_the_warnings_listed(gh, settings, standin):
    standin.add_repo(REPO, {"app/profiles.py": BEFORE, ".github/ainascan.yml": CONFIG + "severity: {MISSING_WRITE: warn}\n"})
    head = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW})
    review(gh, settings, REPO, 7, head)
    run = _only_run(standin, head)
    assert (run["conclusion"], run["output"]["title"]) == ("success", "1 WARN")
    assert run["annotations"][0]["annotation_level"] == "warning"
    assert "⚠️ **WARN**" in standin.comments[0]["body"]


def test_annotations_beyond_fifty_are_appended_and_inline_comments_capped(gh, settings, standin):
    many = BEFORE + "".join(
        f"\n\ndef save_item_{n}(user_id, item):\n    validated = dict(item)\n    return {{'status': 'saved', 'user_id': user_id}}\n" for n in range(60)
    )
    head = standin.add_pull(REPO, 7, {"app/profiles.py": many})
    outcome = review(gh, settings, REPO, 7, head)
    run = _only_run(standin, head)
    assert outcome["findings"] == 60 and len(run["annotations"]) == 60  # the stand-in refuses more than 50 a request
    patches = [r for r in standin.requests if r.method == "PATCH" and "/check-runs/" in r.path]
    assert [len(p.body["output"].get("annotations", [])) for p in patches] == [50, 10]
    assert "status" not in patches[0].body and patches[1].body["conclusion"] == "failure"
    assert len(standin.comments) == settings.max_inline_comments == 25
    assert "check run" in standin.reviews[0]["body"]


def test_the_repository_can_lower_the_inline_cap(gh, settings, standin):
    standin.add_repo(REPO, {"app/profiles.py": BEFORE, ".github/ainascan.yml": CONFIG + "max_inline_comments: 2\n"})
    many = BEFORE + "".join(f"\n\ndef save_item_{n}(user_id, item):\n    validated = dict(item)\n    return {{'status': 'saved', 'user_id': user_id}}\n" for n in range(5))
    head = standin.add_pull(REPO, 7, {"app/profiles.py": many})
    assert review(gh, settings, REPO, 7, head)["comments_posted"] == 2
    # A re-push posts the next ones, not the same two again.
    again = standin.push(REPO, 7, {"app/profiles.py": many + "\n"}, seed="again")
    assert review(gh, settings, REPO, 7, again)["comments_posted"] == 2
    assert len({fingerprint_of(c["body"]) for c in standin.comments}) == 4


def test_files_graphql_gives_no_text_for_are_read_raw_and_analyzed(gh, settings, standin):
    standin.graphql_text_limit = 200
    head = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW, "app/generated.py": "VALUE = 1\n" * 100})
    outcome = review(gh, settings, REPO, 7, head)
    assert outcome["skipped"] == [] and outcome["conclusion"] == "failure"
    raw_reads = [r.path for r in standin.requests if "/contents/app/" in r.path]
    assert sorted(raw_reads) == [f"/repos/{REPO}/contents/app/generated.py", f"/repos/{REPO}/contents/app/profiles.py"]


# ---------------------------------------------------------------- neutral conclusions


def test_a_draft_is_skipped_with_a_neutral_check(gh, settings, standin):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW}, draft=True)
    assert review(gh, settings, REPO, 7, head) == {"status": "draft"}
    run = _only_run(standin, head)
    assert (run["conclusion"], run["output"]["title"]) == ("neutral", "Draft pull request: skipped")
    assert standin.reviews == []


def test_drafts_are_reviewed_when_the_settings_or_the_repository_say_so(gh, settings, standin):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW}, draft=True)
    review(gh, settings.model_copy(update={"review_drafts": True}), REPO, 7, head)
    assert _only_run(standin, head)["conclusion"] == "failure"
    standin.add_repo(REPO, {"app/profiles.py": BEFORE, ".github/ainascan.yml": CONFIG + "drafts: review\n"})
    other = standin.add_pull(REPO, 8, {"app/profiles.py": HOLLOW}, draft=True)
    review(gh, settings, REPO, 8, other)
    assert _only_run(standin, other)["conclusion"] == "failure"


def test_a_job_for_an_old_head_concludes_superseded(gh, settings, standin):
    old = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW})
    new = standin.push(REPO, 7, {"app/profiles.py": HOLLOW + "\n"}, seed="newer")
    assert review(gh, settings, REPO, 7, old) == {"status": "superseded", "by": new}
    run = _only_run(standin, old)
    assert (run["status"], run["conclusion"], run["output"]["title"]) == ("completed", "neutral", f"Superseded by {new[:7]}")
    assert standin.runs_for(new) == [] and standin.reviews == []


def test_a_malformed_configuration_concludes_neutral_and_says_what_is_wrong(gh, settings, standin):
    standin.add_repo(REPO, {"app/profiles.py": BEFORE, ".github/ainascan.yml": "fail_on: sometimes\nignore: [NOPE]\n"})
    head = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW})
    outcome = review(gh, settings, REPO, 7, head)
    assert outcome["status"] == "config-error"
    run = _only_run(standin, head)
    assert (run["conclusion"], run["output"]["title"]) == ("neutral", "Configuration error")
    assert "fail_on must be one of block | warn | never, not 'sometimes'" in run["output"]["summary"]
    assert "unknown rule id(s) NOPE" in run["output"]["summary"]


def test_configuration_comes_from_the_default_branch_never_the_head(gh, settings, standin):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW, ".github/ainascan.yml": "ignore: [MISSING_WRITE]\nfail_on: never\n"})
    review(gh, settings, REPO, 7, head)
    assert _only_run(standin, head)["conclusion"] == "failure"
    assert standin.config_reads(REPO) == ["main"]


def test_the_owners_dot_github_configuration_applies(gh, settings, standin):
    standin.add_repo(REPO, {"app/profiles.py": BEFORE})
    standin.add_repo("octo/.github", {".github/ainascan.yml": CONFIG + "exclude: ['app/']\n"})
    head = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW})
    review(gh, settings, REPO, 7, head)
    run = _only_run(standin, head)
    assert run["conclusion"] == "success"
    assert "- `app/profiles.py`: excluded by octo/.github:.github/ainascan.yml" in run["output"]["summary"]


def test_an_unexpected_failure_concludes_the_check_and_is_raised(gh, settings, standin, monkeypatch):
    monkeypatch.setattr("githubkit.core.time.sleep", lambda seconds: None)
    head = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW})
    for _ in range(4):
        standin.fail_next("GET", r"/pulls/7/files$", 500, message="boom")
    with pytest.raises(GitHubException) as raised:
        review(gh, settings, REPO, 7, head)
    run = _only_run(standin, head)
    assert (run["conclusion"], run["output"]["title"]) == ("neutral", "AINAScan could not finish")
    assert "GitHub answered 500 to GET /repos/octo/shop/pulls/7/files" in run["output"]["summary"]
    for token in standin.tokens:
        assert token not in run["output"]["summary"] and token not in repr(raised.value)


def test_a_failure_while_commenting_leaves_the_verdict_standing(gh, settings, standin, monkeypatch):
    monkeypatch.setattr("githubkit.core.time.sleep", lambda seconds: None)
    head = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW})
    for _ in range(4):
        standin.fail_next("POST", r"/pulls/7/reviews$", 502)
    with pytest.raises(GitHubException):
        review(gh, settings, REPO, 7, head)
    assert _only_run(standin, head)["conclusion"] == "failure"
    # The retry finds the check already showing this result and posts only the review.
    writes = len(standin.writes())
    assert review(gh, settings, REPO, 7, head)["comments_posted"] == 1
    assert [(w.method, w.path) for w in standin.writes()[writes:]] == [("POST", f"/repos/{REPO}/pulls/7/reviews")]


def test_a_refused_review_is_logged_not_retried_forever(gh, settings, standin, caplog):
    head = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW})
    standin.fail_next("POST", r"/pulls/7/reviews$", 422, message="Line could not be resolved")
    outcome = review(gh, settings, REPO, 7, head)
    assert outcome["comments_posted"] == 0 and outcome["conclusion"] == "failure"
    assert _only_run(standin, head)["conclusion"] == "failure"
    assert "Line could not be resolved" in caplog.text


# ---------------------------------------------------------------- real webhook payloads


def test_the_pull_request_of_a_real_opened_webhook(app_key, app_id, settings, webhook_fixtures):
    payload = json.loads((webhook_fixtures / "pull_request__opened.json").read_text())
    pull = payload["pull_request"]
    repo, number, head_sha = payload["repository"]["full_name"], pull["number"], pull["head"]["sha"]
    state = StandinGitHub(app_id, app_key[1], BASE)
    state.add_repo(repo, {"app/profiles.py": BEFORE, ".github/ainascan.yml": CONFIG}, default_branch=payload["repository"]["default_branch"])
    state.add_pull(repo, number, {"app/profiles.py": HOLLOW}, head_sha=head_sha, pull_json=pull)
    with respx.mock(base_url=BASE) as mock:
        mock.route().mock(side_effect=state.respx_handler)
        with installation_client(settings, payload["installation"]["id"]) as gh:
            outcome = review(gh, settings, repo, number, head_sha)
    assert outcome["conclusion"] == "failure"
    assert state.runs_for(head_sha)[0]["conclusion"] == "failure"
    assert state.config_reads(repo) == ["master"]


def test_a_check_suite_without_pull_requests_finds_them_by_head(app_key, app_id, settings, webhook_fixtures):
    payload = json.loads((webhook_fixtures / "check_suite__requested.json").read_text())
    suite = payload["check_suite"]
    assert suite["pull_requests"] == []  # what a fork's push looks like
    repo, head_sha = payload["repository"]["full_name"], suite["head_sha"]
    state = StandinGitHub(app_id, app_key[1], BASE)
    state.add_repo(repo, {"app/profiles.py": BEFORE, ".github/ainascan.yml": CONFIG}, default_branch=payload["repository"]["default_branch"])
    state.add_pull(repo, 3, {"app/profiles.py": HOLLOW}, head_sha=head_sha)
    state.add_pull(repo, 4, {"app/profiles.py": BEFORE + "\n"})
    with respx.mock(base_url=BASE) as mock:
        mock.route().mock(side_effect=state.respx_handler)
        with installation_client(settings, payload["installation"]["id"]) as gh:
            outcome = review_head(gh, settings, repo, head_sha)
            nothing = review_head(gh, settings, repo, "f" * 40)
    assert [r["conclusion"] for r in outcome["pull_requests"]] == ["failure"]
    assert [c["pull_number"] for c in state.comments] == [3]
    assert nothing == {"status": "no-pull-request", "head_sha": "f" * 40}
    assert state.runs_for("f" * 40) == []  # no check run opened for a commit no pull request heads


# ---------------------------------------------------------------- under RQ


def test_a_spent_rate_limit_reschedules_the_job_for_the_reset(app_key, app_id, redis_conn, redis_url, standin, monkeypatch):
    from rq import Queue, SimpleWorker
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    from bot.settings import get_settings

    monkeypatch.setenv("AINASCAN_APP_ID", str(app_id))
    monkeypatch.setenv("AINASCAN_PRIVATE_KEY", app_key[0])
    monkeypatch.setenv("AINASCAN_WEBHOOK_SECRET", "hook-secret")
    monkeypatch.setenv("AINASCAN_GITHUB_API_URL", BASE)
    monkeypatch.setenv("AINASCAN_REDIS_URL", redis_url)
    get_settings.cache_clear()
    try:
        head = standin.add_pull(REPO, 7, {"app/profiles.py": HOLLOW})
        reset = datetime.now(timezone.utc) + timedelta(minutes=30)
        standin.fail_next("GET", r"/pulls/7/files$", 403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(reset.timestamp()))})
        queue = Queue(f"ainascan-test-{app_id}", connection=redis_conn)
        job = queue.enqueue("bot.jobs.review_pull_request", kwargs={"installation_id": 1, "repo": REPO, "number": 7, "head_sha": head}, job_id=f"review-test-{app_id}")
        SimpleWorker([queue], connection=redis_conn).work(burst=True)
        job.refresh()
        result = job.return_value()
        assert job.get_status() == "finished" and result["status"] == "rescheduled"
        registry = ScheduledJobRegistry(queue=queue)
        assert registry.get_job_ids() == [result["job_id"]]
        scheduled = Job.fetch(result["job_id"], connection=redis_conn)
        assert scheduled.func_name == "bot.jobs.review_pull_request" and scheduled.kwargs["head_sha"] == head
        assert abs(registry.get_scheduled_time(scheduled).timestamp() - (reset.timestamp() + 5)) <= 2
        assert _only_run(standin, head)["status"] == "in_progress"  # the rescheduled job completes it
    finally:
        get_settings.cache_clear()
