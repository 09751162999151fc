"""Tests for bot/full_scan.py: star-gated full scans and history replies against a stand-in GitHub behind respx, with a real Redis."""

from __future__ import annotations

import io
import random
import stat
import zipfile

import pytest
from githubkit.exception import GitHubException

from bot import gate
from bot.full_scan import run_full_scan, run_history, scan_history
from bot.full_scan_report import FULL_SCAN_CHECK_NAME
from bot.github import installation_client
from bot.history import FULL_SCAN, REVIEW, ScanHistory, scan_record
from bot.settings import load_settings
from standin_gated import CODELOAD, GatedStandin, mounted, zipball_of

BASE = "https://api.github.test"
REPO = "octo/shop"
STAR_REPO = "ainascan/ainascan"
CONFIG = "select: [MISSING_WRITE]\n"

PROFILES = '''import json


def load_profile(path):
    with open(path) as handle:
        return json.load(handle)
'''
# A hollow function in a file no pull request of these tests touches.
BILLING = '''def save_invoice(invoice_id, invoice):
    validated = dict(invoice)
    return {"status": "saved", "id": invoice_id}
'''
BILLING_LINE = 1


@pytest.fixture
def settings(app_key, app_id, redis_conn, redis_url):
    return load_settings(
        app_id=app_id, private_key=app_key[0], webhook_secret="hook-secret", github_api_url=BASE, redis_url=redis_url,
        star_repo=STAR_REPO, full_scan_jobs=1,
    )


@pytest.fixture
def standin(app_key, app_id):
    state = GatedStandin(app_id, app_key[1], BASE)
    state.add_repo(REPO, {"app/profiles.py": PROFILES, "legacy/billing.py": BILLING, "README.md": "shop\n", ".github/ainascan.yml": CONFIG})
    state.add_repo(STAR_REPO, {"README.md": "AINAScan\n"})
    with mounted(state):
        yield state


@pytest.fixture
def gh(settings, standin):
    with installation_client(settings, 1) as client:
        yield client


@pytest.fixture
def pull(standin) -> str:
    """Pull request 7 touches app/profiles.py only; returns its head SHA."""
    return standin.add_pull(REPO, 7, {"app/profiles.py": PROFILES + "\nVERSION = 2\n"})


def full_runs(standin: GatedStandin, head: str) -> list[dict]:
    return [run for run in standin.runs_for(head) if run["name"] == FULL_SCAN_CHECK_NAME]


def build_zip(members) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


# ---------------------------------------------------------------- the gate


def test_a_user_without_the_star_gets_one_pointer_and_no_scan(gh, settings, redis_conn, standin, pull):
    outcome = run_full_scan(gh, settings, redis_conn, REPO, "mona", number=7)

    assert outcome["status"] == "locked"
    (comment,) = standin.comments_on(REPO, 7)
    assert "@mona" in comment and "full-repository scan" in comment
    assert f"[{STAR_REPO}]({BASE}/{STAR_REPO})" in comment  # named, with a link
    assert "`/ainascan full-scan`" in comment  # how to unlock: star, then ask again
    assert full_runs(standin, pull) == []
    assert standin.codeload_requests == [] and not any("/zipball/" in r.path for r in standin.requests)
    assert ScanHistory(redis_conn).recent(REPO) == []


def test_a_failed_star_check_says_so_and_neither_scans_nor_claims_a_missing_star(gh, settings, redis_conn, standin, pull, monkeypatch):
    monkeypatch.setattr("githubkit.core.time.sleep", lambda seconds: None)
    for _ in range(4):  # the first try and three retries
        standin.fail_next("GET", r"^/users/mona/starred$", 502, message="Bad Gateway")

    outcome = run_full_scan(gh, settings, redis_conn, REPO, "mona", number=7)

    assert outcome["status"] == "unknown"
    (comment,) = standin.comments_on(REPO, 7)
    assert "could not check" in comment and "502" in comment and "says nothing about your star" in comment
    assert "not starred" not in comment and "does not show it" not in comment
    assert full_runs(standin, pull) == []
    assert gate.cached_star(redis_conn, STAR_REPO, "mona") is None  # a failure is not remembered as an answer


def test_without_a_star_repository_there_is_no_gate(gh, settings, redis_conn, standin, pull):
    open_settings = settings.model_copy(update={"star_repo": None})

    outcome = run_full_scan(gh, open_settings, redis_conn, REPO, "mona", number=7)

    assert outcome["status"] == "scanned" and standin.star_requests() == []


# ---------------------------------------------------------------- the scan


def test_a_user_with_the_star_gets_a_full_scan_check_run_with_findings_outside_the_pull_request(gh, settings, redis_conn, standin, pull):
    standin.star("mona", STAR_REPO)

    outcome = run_full_scan(gh, settings, redis_conn, REPO, "mona", number=7)

    (run,) = full_runs(standin, pull)
    assert (run["status"], run["conclusion"]) == ("completed", "neutral")
    assert run["output"]["title"] == "1 BLOCK · 2 Python files"
    touched = {entry["filename"] for entry in standin.repos[REPO].pull_files[7]}
    assert "legacy/billing.py" not in touched
    assert [(a["path"], a["start_line"], a["annotation_level"], a["title"]) for a in run["annotations"]] == [
        ("legacy/billing.py", BILLING_LINE, "failure", "MISSING_WRITE")
    ]
    summary = run["output"]["summary"]
    assert "2 files" in summary and "@mona" in summary and "MISSING_WRITE" in summary and "`legacy/billing.py`" in summary
    assert "Code structure" in run["output"]["text"] and "save_invoice" in run["output"]["text"]
    assert standin.comments_on(REPO, 7) == []  # the answer is the check run
    assert [r.authorization for r in standin.codeload_requests] == [None]  # the token never left for codeload
    assert outcome["status"] == "scanned" and outcome["findings"] == 1 and outcome["check_run_id"] == run["id"]
    (recorded,) = ScanHistory(redis_conn).recent(REPO)
    assert (recorded.kind, recorded.number, recorded.head_sha, recorded.block, recorded.conclusion) == (FULL_SCAN, 7, pull, 1, "neutral")


def test_a_second_request_gets_a_new_run_and_the_star_is_read_from_the_cache(gh, settings, redis_conn, standin, pull):
    standin.star("mona", STAR_REPO)
    run_full_scan(gh, settings, redis_conn, REPO, "mona", number=7)
    asked = len(standin.star_requests())

    run_full_scan(gh, settings, redis_conn, REPO, "mona", number=7)

    assert len(standin.star_requests()) == asked
    assert [run["status"] for run in full_runs(standin, pull)] == ["completed", "completed"]
    assert all(len(run["annotations"]) == 1 for run in full_runs(standin, pull))


def test_the_button_of_a_fork_finds_its_pull_request_by_head(gh, settings, redis_conn, standin, pull):
    outcome = run_full_scan(gh, settings, redis_conn, REPO, "mona", head_sha=pull)

    assert outcome["status"] == "locked" and len(standin.comments_on(REPO, 7)) == 1


def test_the_repository_configuration_excludes_files_from_the_full_scan(gh, settings, redis_conn, standin):
    standin.add_repo(REPO, {"app/profiles.py": PROFILES, "legacy/billing.py": BILLING, ".github/ainascan.yml": CONFIG + "exclude: [legacy/]\n"})
    head = standin.add_pull(REPO, 8, {"app/new.py": "X = 1\n"})
    standin.star("mona", STAR_REPO)

    run_full_scan(gh, settings, redis_conn, REPO, "mona", number=8)

    (run,) = full_runs(standin, head)
    assert (run["conclusion"], run["annotations"]) == ("success", [])
    assert "1 Python files were left out" in run["output"]["summary"]


def test_files_are_scanned_across_processes(gh, settings, redis_conn, standin):
    many = {f"pkg/module_{i}.py": BILLING.replace("save_invoice", f"save_{i}") for i in range(10)}
    standin.add_repo(REPO, {**many, ".github/ainascan.yml": CONFIG})
    head = standin.add_pull(REPO, 9, {"pkg/__init__.py": ""})
    standin.star("mona", STAR_REPO)

    run_full_scan(gh, settings.model_copy(update={"full_scan_jobs": 2}), redis_conn, REPO, "mona", number=9)

    (run,) = full_runs(standin, head)
    assert sorted(a["path"] for a in run["annotations"]) == sorted(many)


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ([("octo-shop-abc1234/../../etc/evil.py", b"x = 1\n")], "points outside the archive"),
        ([("octo-shop-abc1234/bomb.py", b"\0" * (8 * 1024 * 1024))], "zip bomb"),
    ],
    ids=["traversal", "zip-bomb"],
)
def test_hostile_archives_are_refused_in_the_check_run(gh, settings, redis_conn, standin, pull, members, message):
    standin.star("mona", STAR_REPO)
    standin.zipballs[pull] = build_zip(members)

    outcome = run_full_scan(gh, settings, redis_conn, REPO, "mona", number=7)

    (run,) = full_runs(standin, pull)
    assert (run["status"], run["conclusion"], run["output"]["title"]) == ("completed", "neutral", "Repository archive refused")
    assert message in run["output"]["summary"] and run["annotations"] == []
    assert outcome["status"] == "refused"
    assert ScanHistory(redis_conn).recent(REPO) == []


def test_a_symlink_member_is_named_and_never_followed_while_the_rest_is_scanned(gh, settings, redis_conn, standin, pull):
    standin.star("mona", STAR_REPO)
    hollow = "def save_order(order):\n    data = dict(order)\n    return True\n"
    standin.zipballs[pull] = build_zip([(symlink("octo-shop-abc1234/link.py"), b"/etc/passwd"), ("octo-shop-abc1234/app/orders.py", hollow.encode())])

    outcome = run_full_scan(gh, settings, redis_conn, REPO, "mona", number=7)

    (run,) = full_runs(standin, pull)
    assert run["output"]["title"].startswith("1 BLOCK") and [a["path"] for a in run["annotations"]] == ["app/orders.py"]
    assert "- `link.py`: symlink: a symbolic link: never followed, so not analyzed" in run["output"]["summary"]
    assert outcome["status"] != "refused"


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_an_archive_over_the_download_cap_is_refused_without_reading_it_all(gh, settings, redis_conn, standin, pull, chunked):
    standin.star("mona", STAR_REPO)
    standin.zipballs[pull] = zipball_of(REPO, pull, {f"m{i}.py": random.randbytes(64 * 1024).hex() for i in range(8)})
    standin.chunked_zipballs = chunked
    capped = settings.model_copy(update={"full_scan_max_download_bytes": 200 * 1024})

    run_full_scan(gh, capped, redis_conn, REPO, "mona", number=7)

    (run,) = full_runs(standin, pull)
    assert (run["conclusion"], run["output"]["title"]) == ("neutral", "Repository archive too large")
    assert "204,800-byte download limit" in run["output"]["summary"]
    if chunked:
        assert standin.codeload_bytes_sent < len(standin.zipballs[pull])


def test_a_failure_mid_scan_concludes_the_run_and_is_raised_for_a_retry(gh, settings, redis_conn, standin, pull, monkeypatch):
    monkeypatch.setattr("githubkit.core.time.sleep", lambda seconds: None)
    standin.star("mona", STAR_REPO)
    for _ in range(4):
        standin.fail_next("GET", r"/zipball/", 500, message="boom")

    with pytest.raises(GitHubException):
        run_full_scan(gh, settings, redis_conn, REPO, "mona", number=7)

    (run,) = full_runs(standin, pull)
    assert (run["status"], run["conclusion"]) == ("completed", "neutral")
    assert "500" in run["output"]["summary"]


# ---------------------------------------------------------------- the history


def _earlier_scans(redis_conn) -> list[str]:
    from datetime import datetime, timezone

    store = ScanHistory(redis_conn)
    heads = ["a1" * 20, "b2" * 20, "c3" * 20]
    for day, (head, findings) in enumerate(zip(heads, (3, 1, 0)), start=1):
        record = scan_record(REVIEW, REPO, 7, head, [], "success", started_at=datetime(2030, 1, day, 12, tzinfo=timezone.utc), duration_seconds=1.0)
        store.record(record.__class__(**{**record.__dict__, "severity_counts": {"BLOCK": findings, "WARN": 1}}))
    other = scan_record(REVIEW, REPO, 9, "d4" * 20, [], "success", started_at=datetime(2030, 1, 5, tzinfo=timezone.utc), duration_seconds=1.0)
    store.record(other)
    return heads


def test_history_lists_earlier_scans_by_short_sha_with_the_trend(gh, settings, redis_conn, standin, pull):
    heads = _earlier_scans(redis_conn)
    standin.star("mona", STAR_REPO)

    outcome = run_history(gh, settings, redis_conn, REPO, 7, "mona")

    (comment,) = standin.comments_on(REPO, 7)
    for head in heads:
        assert f"`{head[:7]}`" in comment
    assert "| review | `b2b2b2b` | 2030-01-02 12:00 | 1 | 1 | success |" in comment
    assert "`█▅▃` 4 → 1" in comment  # BLOCK+WARN of the three heads, oldest first
    assert "#9" in comment and "`d4d4d4d`" in comment  # the repository's other scans
    assert outcome == {"status": "posted", "pull_request_scans": 3, "repository_scans": 4}


def test_history_is_locked_without_the_star(gh, settings, redis_conn, standin, pull):
    _earlier_scans(redis_conn)

    outcome = run_history(gh, settings, redis_conn, REPO, 7, "mona")

    (comment,) = standin.comments_on(REPO, 7)
    assert outcome["status"] == "locked"
    assert "scan history" in comment and "`/ainascan history`" in comment and "b2b2b2b" not in comment


def test_the_history_job_runs_from_its_queue_arguments(app_key, app_id, redis_url, redis_conn, standin, pull, monkeypatch):
    from bot.settings import get_settings

    for name, value in {"APP_ID": str(app_id), "PRIVATE_KEY": app_key[0], "WEBHOOK_SECRET": "s", "GITHUB_API_URL": BASE,
                        "REDIS_URL": redis_url, "STAR_REPO": STAR_REPO}.items():
        monkeypatch.setenv(f"AINASCAN_{name}", value)
    get_settings.cache_clear()
    standin.star("mona", STAR_REPO)
    try:
        outcome = scan_history(1, REPO, 7, "mona", delivery_id="d-1")
    finally:
        get_settings.cache_clear()

    assert outcome["status"] == "posted" and "has no recorded scans yet" in standin.comments_on(REPO, 7)[0]


def test_a_full_scan_comment_runs_through_the_queue_to_a_check_run(app_key, app_id, redis_url, redis_conn, standin, pull, webhook_fixtures, monkeypatch):
    import json

    from rq import Queue, SimpleWorker

    from bot.events import jobs_for
    from bot.settings import get_settings

    for name, value in {"APP_ID": str(app_id), "PRIVATE_KEY": app_key[0], "WEBHOOK_SECRET": "s", "GITHUB_API_URL": BASE,
                        "REDIS_URL": redis_url, "STAR_REPO": STAR_REPO, "FULL_SCAN_JOBS": "1"}.items():
        monkeypatch.setenv(f"AINASCAN_{name}", value)
    get_settings.cache_clear()
    payload = json.loads((webhook_fixtures / "issue_comment__created.with-installation.json").read_text(encoding="utf-8"))
    payload["repository"]["full_name"] = REPO
    payload["issue"].update(number=7, pull_request={"url": f"{BASE}/repos/{REPO}/pulls/7"})
    payload["comment"]["body"] = "/ainascan full-scan"
    standin.star(payload["comment"]["user"]["login"], STAR_REPO)
    try:
        (request,) = jobs_for("issue_comment", payload, "d-9")
        queue = Queue(f"ainascan-test-{app_id}", connection=redis_conn)
        job = queue.enqueue_call(func=request.function, kwargs=request.kwargs, job_id=request.job_id)
        SimpleWorker([queue], connection=redis_conn).work(burst=True)
    finally:
        get_settings.cache_clear()

    job.refresh()
    assert job.get_status() == "finished", job.latest_result().exc_string if job.latest_result() else None
    (run,) = full_runs(standin, pull)
    assert run["conclusion"] == "neutral" and [a["path"] for a in run["annotations"]] == ["legacy/billing.py"]
