"""The star-gated jobs a pull request can ask for: the full-repository scan and the scan history.

`/ainascan full-scan` (or the "Full scan" button of the `AINAScan` check
run) downloads the repository's zipball at the pull request's head, scans
every Python file of it in memory across processes, and completes a
separate check run, `AINAScan full scan`, on that head. `/ainascan history`
answers with a comment of the recent scans and their trend. Both first ask
the star gate (bot/gate.py); a locked or failed gate gets one reply on the
pull request and no work.

The web process enqueues these by dotted path ("bot.full_scan.full_scan",
"bot.full_scan.scan_history"). The RQ entry points build the installation
client and a Redis connection and call `run_full_scan` / `run_history`,
which take both as arguments so tests can hand them a stand-in GitHub.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import datetime, timezone
from typing import Any

import redis
from githubkit.exception import RequestFailed

from analyzer.archive import ArchiveError, ArchiveLimits
from analyzer.archive_scan import ArchiveScan, scan_archive_bytes
from analyzer.scanner import DEFAULT_EXCLUDES, ExcludeRules
from analyzer.structure import file_structure
from bot import gate
from bot.check_run import complete_check_run
from bot.commands import Command
from bot.full_scan_report import FULL_SCAN_CHECK_NAME, full_scan_check, refused_check
from bot.github import RateLimited, describe_error, installation_client, paginate
from bot.history import FULL_SCAN, ScanHistory, history_comment, scan_record
from bot.logs import fields
from bot.publish import DEFAULT_RULES_DOC_URL, CheckResult, neutral_check
from bot.pull_request import get_pull_request, open_pull_requests_for
from bot.repo_config import ConfigError, RepoConfig, load_repo_config
from bot.settings import Settings, get_settings
from bot.zipball import DownloadTooLarge, download_zipball

log = logging.getLogger("ainascan.full_scan")

# What each command unlocks, in the words of the replies.
FEATURES = {
    Command.FULL_SCAN: ("the full-repository scan", "/ainascan full-scan"),
    Command.HISTORY: ("the scan history", "/ainascan history"),
}


# ---------------------------------------------------------------- RQ entry points


def full_scan(installation_id: int, repo: str, user: str, number: int | None = None, head_sha: str | None = None, delivery_id: str | None = None) -> dict[str, Any]:
    """RQ job: scan the whole of `repo` at pull request `number`'s head (or at `head_sha`) for `user`, if the gate allows."""
    settings = get_settings()
    context = fields(delivery_id=delivery_id, repo=repo, pr=number, head_sha=head_sha, installation_id=installation_id, user=user)
    conn = redis.Redis.from_url(settings.redis_url)
    try:
        with installation_client(settings, installation_id) as gh:
            return run_full_scan(gh, settings, conn, repo, user, number=number, head_sha=head_sha, delivery_id=delivery_id)
    except RateLimited as exc:
        from bot.jobs import reschedule

        return reschedule(exc, context)
    finally:
        conn.close()


def scan_history(installation_id: int, repo: str, number: int, user: str, delivery_id: str | None = None) -> dict[str, Any]:
    """RQ job: answer `/ainascan history` on pull request `number` for `user`, if the gate allows."""
    settings = get_settings()
    context = fields(delivery_id=delivery_id, repo=repo, pr=number, installation_id=installation_id, user=user)
    conn = redis.Redis.from_url(settings.redis_url)
    try:
        with installation_client(settings, installation_id) as gh:
            return run_history(gh, settings, conn, repo, number, user, delivery_id=delivery_id)
    except RateLimited as exc:
        from bot.jobs import reschedule

        return reschedule(exc, context)
    finally:
        conn.close()


# ---------------------------------------------------------------- the gate's replies


def gate_reply(verdict: gate.Verdict, settings: Settings, user: str, command: Command) -> str | None:
    """The comment for a request the gate did not unlock, or None when it did."""
    if verdict.unlocked:
        return None
    feature, typed = FEATURES[command]
    star_repo = settings.star_repo or ""
    star_url = f"{gate.web_url(settings.github_api_url)}/{star_repo}"
    if verdict.access is gate.Access.UNKNOWN:
        return gate.unknown_comment(user, feature, typed, star_repo, star_url, verdict.reason)
    return gate.locked_comment(user, feature, typed, star_repo, star_url, settings.star_min_repo_stars)


def post_comment(gh, repo: str, number: int, body: str) -> dict[str, Any]:
    """One comment on the pull request's conversation."""
    return gh.request("POST", f"/repos/{repo}/issues/{number}/comments", json={"body": body}).json()


def _gated(gh, settings: Settings, conn: redis.Redis, repo: str, number: int | None, user: str, command: Command, context: dict[str, Any]) -> dict[str, Any] | None:
    """None when `user` may go on; otherwise the job's outcome, after the one reply on the pull request."""
    verdict = gate.check(gh, conn, settings, user, repo)
    reply = gate_reply(verdict, settings, user, command)
    if reply is None:
        return None
    if number is not None:
        post_comment(gh, repo, number, reply)
    log.info("%s refused by the gate: %s", command.value, verdict.reason, extra=context)
    return {"status": verdict.access.value, "reason": verdict.reason}


# ---------------------------------------------------------------- the full scan


def run_full_scan(
    gh,
    settings: Settings,
    conn: redis.Redis,
    repo: str,
    user: str,
    *,
    number: int | None = None,
    head_sha: str | None = None,
    delivery_id: str | None = None,
) -> dict[str, Any]:
    """Gate, download, scan and report one full-repository scan; the outcome as a dict for the job's result."""
    context = fields(delivery_id=delivery_id, repo=repo, pr=number, head_sha=head_sha, user=user)
    pull = _pull_request(gh, repo, number, head_sha)
    if pull is not None:
        number = pull["number"]
        head_sha = head_sha or (pull.get("head") or {}).get("sha")
    if not head_sha:
        log.warning("full scan asked for without a head to scan", extra=context)
        return {"status": "no-head"}
    refused = _gated(gh, settings, conn, repo, number, user, Command.FULL_SCAN, context)
    if refused is not None:
        return refused

    started_at, started = datetime.now(timezone.utc), time.monotonic()
    run = start_full_scan_run(gh, repo, head_sha)
    try:
        result, scanned = _scan(gh, settings, repo, head_sha, user, pull, started)
    except RateLimited:
        raise  # the run stays in progress; the rescheduled job completes it
    except Exception as exc:
        log.exception("full scan failed: %s", describe_error(exc), extra=context)
        failed = neutral_check("AINAScan could not finish the full scan", f"The full scan stopped with an error ({describe_error(exc)}). It will be retried.")
        try:
            complete_check_run(gh, repo, run, failed)
        except Exception as second:  # the original error matters more
            log.warning("could not conclude the full-scan check run: %s", describe_error(second), extra=context)
        raise
    complete_check_run(gh, repo, run, result)
    if scanned is None:
        log.info("full scan refused: %s", result.title, extra=context)
        return {"status": "refused", "title": result.title, "check_run_id": run["id"]}
    record = scan_record(
        FULL_SCAN, repo, number, head_sha, scanned.result.findings, result.conclusion,
        started_at=started_at, duration_seconds=time.monotonic() - started, files=scanned.result.files_scanned,
    )
    record_safely(conn, settings, record, context)
    log.info("full scan: %s", result.title, extra=context)
    return {
        "status": "scanned",
        "conclusion": result.conclusion,
        "title": result.title,
        "findings": len(scanned.result.findings),
        "files": scanned.result.files_scanned,
        "check_run_id": run["id"],
    }


def _pull_request(gh, repo: str, number: int | None, head_sha: str | None) -> dict[str, Any] | None:
    """The pull request asked about: by number, else the first open one whose head is `head_sha` (a fork's button)."""
    if number is not None:
        return get_pull_request(gh, repo, number)
    if head_sha:
        pulls = sorted(open_pull_requests_for(gh, repo, head_sha), key=lambda p: p["number"])
        return pulls[0] if pulls else None
    return None


def start_full_scan_run(gh, repo: str, head_sha: str) -> dict[str, Any]:
    """An `AINAScan full scan` run in progress on the head: an unfinished one of a retried job, else a new one.

    A completed run is never reused: each request shows its own result, and
    GitHub cannot take back the annotations of an earlier one.
    """
    params = {"check_name": FULL_SCAN_CHECK_NAME, "filter": "latest"}
    for run in paginate(gh, f"/repos/{repo}/commits/{head_sha}/check-runs", params, max_pages=3):
        if run.get("name") == FULL_SCAN_CHECK_NAME and run.get("status") != "completed":
            return run
    started = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"name": FULL_SCAN_CHECK_NAME, "head_sha": head_sha, "status": "in_progress", "started_at": started}
    return gh.request("POST", f"/repos/{repo}/check-runs", json=body).json()


def _scan(gh, settings: Settings, repo: str, head_sha: str, user: str, pull: dict[str, Any] | None, started: float) -> tuple[CheckResult, ArchiveScan | None]:
    """The completed run's result and the scan, or a refusal's result and None."""
    default_branch = (((pull or {}).get("base") or {}).get("repo") or {}).get("default_branch") or _default_branch(gh, repo)
    try:
        config = load_repo_config(gh, repo, default_branch)
    except ConfigError as exc:
        problems = "; ".join(exc.problems)
        return refused_check("Configuration error", f"`{exc.source}` is not valid ({problems})", repo=repo, head_sha=head_sha), None
    try:
        data = download_zipball(gh, repo, head_sha, settings.full_scan_max_download_bytes)
    except DownloadTooLarge as exc:
        return refused_check("Repository archive too large", str(exc), repo=repo, head_sha=head_sha), None
    try:
        scanned = scan_repository_archive(data, config, jobs=settings.full_scan_jobs or os.cpu_count() or 1)
    except ArchiveError as exc:
        return refused_check("Repository archive refused", f"the repository's archive was refused: {exc}", repo=repo, head_sha=head_sha), None
    by_path: dict[str, list] = {}
    for finding in scanned.result.findings:
        by_path.setdefault(finding.path, []).append(finding)
    structures = [file_structure(source, path, by_path.get(path, [])) for path, source in scanned.sources]
    result = full_scan_check(
        scanned,
        structures,
        repo=repo,
        head_sha=head_sha,
        requested_by=user,
        seconds=time.monotonic() - started,
        docs_url=getattr(settings, "rules_doc_url", DEFAULT_RULES_DOC_URL),
        config_source=config.source,
    )
    return result, scanned


def scan_repository_archive(data: bytes, config: RepoConfig, jobs: int) -> ArchiveScan:
    """Scan a repository's zipball with its configuration: its rules and severities, the default and its own excludes."""
    excludes = ExcludeRules(DEFAULT_EXCLUDES + tuple(config.exclude))
    options = config.scan_options()
    return scan_archive_bytes(data, options, limits=ArchiveLimits(max_file_bytes=options.max_bytes), jobs=jobs, excludes=excludes)


def _default_branch(gh, repo: str) -> str:
    try:
        return gh.request("GET", f"/repos/{repo}").json().get("default_branch") or "main"
    except RequestFailed:
        return "main"


def record_safely(conn: redis.Redis, settings: Settings, record, context: dict[str, Any]) -> bool:
    """Add a scan to the history; a Redis failure is logged, never the job's failure."""
    try:
        ScanHistory(conn, settings.history_retention).record(record)
        return True
    except redis.RedisError as exc:
        log.warning("scan not recorded in the history: %s", exc, extra=context)
        return False


# ---------------------------------------------------------------- the history


def run_history(gh, settings: Settings, conn: redis.Redis, repo: str, number: int, user: str, *, delivery_id: str | None = None) -> dict[str, Any]:
    """Gate, then one comment listing the recent scans of the pull request and of the repository."""
    context = fields(delivery_id=delivery_id, repo=repo, pr=number, user=user)
    refused = _gated(gh, settings, conn, repo, number, user, Command.HISTORY, context)
    if refused is not None:
        return refused
    store = ScanHistory(conn, settings.history_retention)
    repo_scans = store.recent(repo)
    pull_scans = [scan for scan in repo_scans if scan.number == number]
    post_comment(gh, repo, number, history_comment(repo, number, pull_scans, repo_scans, settings.history_retention))
    log.info("history posted: %d scan(s) of the pull request, %d of the repository", len(pull_scans), len(repo_scans), extra=context)
    return {"status": "posted", "pull_request_scans": len(pull_scans), "repository_scans": len(repo_scans)}
