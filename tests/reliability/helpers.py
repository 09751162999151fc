"""Helpers of the reliability suite: sample sources, quick settings, waiting, and worker processes to kill."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.settings import load_settings

BASE = "https://api.github.test"
REPO = "octo/shop"
SECRET = "whsec-reliability-7c1d9e-never-log-me"
CONFIG = "select: [MISSING_WRITE]\n"
BEFORE = '''import json


def load_profile(path):
    with open(path) as handle:
        return json.load(handle)
'''
REAL_SLEEP = time.sleep


def hollow(name: str) -> str:
    """A function MISSING_WRITE flags (BLOCK) on its `def` line: it validates and never saves."""
    return f'''

def save_{name}(user_id, record):
    validated = dict(record)
    return {{"status": "saved", "user_id": user_id}}
'''


def with_hollow(*names: str, before: str = BEFORE) -> str:
    return before + "".join(hollow(name) for name in names)


def def_line(source: str, name: str) -> int:
    """The line number of `def save_<name>` in `source`."""
    return next(number for number, line in enumerate(source.splitlines(), 1) if line.startswith(f"def save_{name}("))


def quick_settings(app_key, app_id, redis_url, **overrides):
    """Settings as in production, but with intervals short enough for a test to see a whole recovery."""
    values = dict(
        app_id=app_id,
        private_key=app_key[0],
        webhook_secret=SECRET,
        github_api_url=BASE,
        redis_url=redis_url,
        queue_name=f"ainascan-reliability-{app_id}",
        job_timeout_seconds=60,
        job_retries=2,
        job_retry_intervals=[0],
        worker_heartbeat_seconds=1,
        worker_maintenance_seconds=1,
        abandoned_after_seconds=3,
        github_timeout_seconds=5.0,
    )
    values.update(overrides)
    return load_settings(**values)


def settings_environment(settings, app_key) -> dict[str, str]:
    """The settings as the AINASCAN_* variables a worker process reads."""
    return {
        "AINASCAN_APP_ID": str(settings.app_id),
        "AINASCAN_PRIVATE_KEY": app_key[0],
        "AINASCAN_WEBHOOK_SECRET": settings.webhook_secret.get_secret_value(),
        "AINASCAN_GITHUB_API_URL": settings.github_api_url,
        "AINASCAN_REDIS_URL": settings.redis_url,
        "AINASCAN_QUEUE_NAME": settings.queue_name,
        "AINASCAN_JOB_TIMEOUT_SECONDS": str(settings.job_timeout_seconds),
        "AINASCAN_JOB_RETRIES": str(settings.job_retries),
        "AINASCAN_JOB_RETRY_INTERVALS": json.dumps(settings.job_retry_intervals),
        "AINASCAN_WORKER_HEARTBEAT_SECONDS": str(settings.worker_heartbeat_seconds),
        "AINASCAN_WORKER_MAINTENANCE_SECONDS": str(settings.worker_maintenance_seconds),
        "AINASCAN_ABANDONED_AFTER_SECONDS": str(settings.abandoned_after_seconds),
        "AINASCAN_GITHUB_TIMEOUT_SECONDS": str(settings.github_timeout_seconds),
        "AINASCAN_SCAN_BUDGET_SECONDS": str(settings.scan_budget_seconds),
    }


def wait_for(predicate, what: str, timeout: float = 30.0, interval: float = 0.1, processes=()):
    """Poll `predicate` until it is truthy; fail naming `what` (and any process that died) on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        for process in processes:
            if process.poll() is not None:
                pytest.fail(f"{what}: process {process.args} exited early with {process.returncode}")
        REAL_SLEEP(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {what}")


def ainascan_command() -> list[str]:
    script = Path(sys.executable).with_name("ainascan")
    return [str(script)] if script.exists() else [shutil.which("ainascan") or "ainascan"]


def start_worker(settings, app_key, api_url: str, log_path: Path, **extra_env) -> subprocess.Popen:
    """`ainascan worker` as its own process (and process group), logging to `log_path`."""
    env = {**os.environ, **settings_environment(settings, app_key), "AINASCAN_GITHUB_API_URL": api_url, "NO_PROXY": "127.0.0.1,localhost"}
    env.pop("AINASCAN_PRIVATE_KEY_PATH", None)
    env.update({key: str(value) for key, value in extra_env.items()})
    with open(log_path, "ab") as log:
        return subprocess.Popen([*ainascan_command(), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def children_of(pid: int) -> list[int]:
    """The live child processes of `pid` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def work_horse_of(worker_pid: int) -> int | None:
    """The worker's work-horse: RQ forks it into a process group of its own (the scheduler stays in the worker's)."""
    for child in children_of(worker_pid):
        try:
            if os.getpgid(child) == child:
                return child
        except ProcessLookupError:
            continue
    return None


def stop(process: subprocess.Popen) -> None:
    """Stop a worker started by start_worker (its group; a SIGKILL when it does not stop in time)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, 15)
        except ProcessLookupError:
            pass
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait(timeout=5)


def drain(queue, timeout: float = 60.0) -> None:
    """Run the queue's jobs in this process (SimpleWorker) until none is queued or scheduled, moving due scheduled ones.

    This stands in for RQ's scheduler, so retries and rescheduled reviews run as soon as they are due.
    """
    from rq import SimpleWorker
    from rq.exceptions import NoSuchJobError
    from rq.job import Job
    from rq.registry import ScheduledJobRegistry

    registry = ScheduledJobRegistry(queue=queue)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for job_id in registry.get_jobs_to_schedule(int(time.time()) + 1):
            try:
                job = Job.fetch(job_id, connection=queue.connection)
            except NoSuchJobError:
                continue
            registry.remove(job)
            queue.enqueue_job(job)
        if len(queue):
            SimpleWorker([queue], connection=queue.connection).work(burst=True)
            continue
        if not registry.count:
            return
        REAL_SLEEP(0.2)
    pytest.fail(f"the queue did not drain in {timeout}s")
