"""The one check run named `AINAScan` per head SHA: find it, start it, complete it (the HTTP side of publish.py).

A repeated job for the same head finds the run by name on the commit and
updates it instead of opening a second one. GitHub does not let a completed
run go back to `in_progress`, so a completed run is updated in place when
the job completes; annotations it already shows are not appended twice, and
when it already shows exactly this result nothing is sent at all.

Creating a run and appending annotations are not safe to send twice, so
after a failure whose outcome is unknown (a timeout, a 502) each of these
writes looks at the commit's runs, or the run's annotations, again before it
tries once more (`bot.github.reconciled`).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from bot.github import paginate, reconciled
from bot.publish import CHECK_NAME, CheckResult, already_published, annotation_key, check_run_updates


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def find_check_run(gh, repo: str, head_sha: str, app_id: int | None = None) -> dict[str, Any] | None:
    """Our latest `AINAScan` run on the commit, or None."""
    params: dict[str, Any] = {"check_name": CHECK_NAME, "filter": "latest"}
    if app_id is not None:
        params["app_id"] = app_id
    runs = [run for run in paginate(gh, f"/repos/{repo}/commits/{head_sha}/check-runs", params, max_pages=3) if run.get("name") == CHECK_NAME]
    runs.sort(key=lambda run: (run.get("started_at") or "", run.get("id", 0)), reverse=True)
    return runs[0] if runs else None


def start_check_run(gh, repo: str, head_sha: str, app_id: int | None = None) -> dict[str, Any]:
    """The run this job will complete: a new one `in_progress`, or the existing one (set `in_progress` unless completed)."""

    def start() -> dict[str, Any]:
        run = find_check_run(gh, repo, head_sha, app_id)
        if run is None:
            body = {"name": CHECK_NAME, "head_sha": head_sha, "status": "in_progress", "started_at": _now()}
            return gh.request("POST", f"/repos/{repo}/check-runs", json=body).json()
        if run.get("status") not in ("completed", "in_progress"):
            run = gh.request("PATCH", f"/repos/{repo}/check-runs/{run['id']}", json={"status": "in_progress", "started_at": _now()}).json()
        return run

    return reconciled(start, f"starting the check run of {repo}@{head_sha[:7]}")


def get_check_run(gh, repo: str, run_id: int) -> dict[str, Any]:
    return gh.request("GET", f"/repos/{repo}/check-runs/{run_id}").json()


def annotations_present(gh, repo: str, run: dict[str, Any]) -> set[tuple]:
    """The annotations a run already shows (read only when it has some)."""
    if not (run.get("output") or {}).get("annotations_count"):
        return set()
    return {annotation_key(item) for item in paginate(gh, f"/repos/{repo}/check-runs/{run['id']}/annotations", max_pages=30)}


def complete_check_run(gh, repo: str, run: dict[str, Any], result: CheckResult) -> int:
    """Complete `run` with `result`, 50 annotations a request; returns the number of requests sent (0: already showing it)."""
    seen = {"run": run, "attempts": 0}

    def complete() -> int:
        if seen["attempts"]:  # an earlier attempt may have appended some annotations: look again
            seen["run"] = get_check_run(gh, repo, run["id"])
        seen["attempts"] += 1
        current = seen["run"]
        present = annotations_present(gh, repo, current)
        if already_published(result, current, present):
            return 0
        bodies = check_run_updates(result, present)
        bodies[-1]["completed_at"] = _now()
        for body in bodies:
            gh.request("PATCH", f"/repos/{repo}/check-runs/{run['id']}", json=body)
        return len(bodies)

    return reconciled(complete, f"completing check run {run['id']} of {repo}")


def conclude(gh, repo: str, head_sha: str, result: CheckResult, app_id: int | None = None, *, replace_completed: bool = True) -> dict[str, Any] | None:
    """Conclude the head's run with `result` (creating it completed if there is none).

    With replace_completed=False a run that already completed keeps its
    verdict: a superseded head's real review is worth more than "superseded".
    """

    def find_or_create_completed() -> tuple[dict[str, Any], bool]:
        found = find_check_run(gh, repo, head_sha, app_id)
        if found is not None:
            return found, False
        output = {"title": result.title, "summary": result.summary}
        body = {"name": CHECK_NAME, "head_sha": head_sha, "status": "completed", "conclusion": result.conclusion, "completed_at": _now(), "output": output}
        return gh.request("POST", f"/repos/{repo}/check-runs", json=body).json(), True

    run, created = reconciled(find_or_create_completed, f"concluding {repo}@{head_sha[:7]}")
    if created or (run.get("status") == "completed" and not replace_completed):
        return run
    complete_check_run(gh, repo, run, result)
    return run
