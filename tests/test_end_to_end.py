"""End to end: `ainascan serve` and `ainascan worker` as processes, a real Redis, and a stand-in GitHub on 127.0.0.1.

A signed `pull_request` webhook for a pull request that adds a hollow
function must end in a failing `AINAScan` check run and an inline comment on
the function's line; the same head sent again (a new delivery) must post
nothing new.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from standin_github import StandinGitHub, StandinServer, generate_app_key

REPO = "octo/shop"
NUMBER = 12
INSTALLATION_ID = 77
SECRET = "e2e-webhook-secret"
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
HOLLOW_LINE = 9


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ainascan() -> list[str]:
    script = Path(sys.executable).with_name("ainascan")
    return [str(script)] if script.exists() else [shutil.which("ainascan") or "ainascan"]


def _wait_for(predicate, what: str, timeout: float = 45.0, processes=()):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        for process in processes:
            if process.poll() is not None:
                pytest.fail(f"{what}: a process exited early with {process.returncode}")
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def _signed(payload: dict, event: str) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload).encode("utf-8")
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-GitHub-Event": event, "X-GitHub-Delivery": str(uuid.uuid4()), "X-Hub-Signature-256": signature, "Content-Type": "application/json"}
    return body, headers


def _stop(process: subprocess.Popen) -> str:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    return process.stdout.read().decode("utf-8", "replace") if process.stdout else ""


def test_a_webhook_ends_in_a_failing_check_and_an_inline_comment_once(redis_conn, redis_url, tmp_path):
    from rq.job import Job

    from bot.events import review_job_id
    from bot.web import WEBHOOK_PATH

    private_key, public_key = generate_app_key()
    app_id = random.randint(10**6, 10**9)
    github = StandinGitHub(app_id, public_key)
    github.add_repo(REPO, {"app/profiles.py": BEFORE, ".github/ainascan.yml": "select: [MISSING_WRITE]\n"})
    head = github.add_pull(REPO, NUMBER, {"app/profiles.py": HOLLOW})

    with StandinServer(github) as server:
        port = _free_port()
        env = {
            **os.environ,
            "AINASCAN_APP_ID": str(app_id),
            "AINASCAN_PRIVATE_KEY": private_key,
            "AINASCAN_WEBHOOK_SECRET": SECRET,
            "AINASCAN_GITHUB_API_URL": server.url,
            "AINASCAN_REDIS_URL": redis_url,
            "AINASCAN_QUEUE_NAME": f"ainascan-e2e-{app_id}",
            "NO_PROXY": "127.0.0.1,localhost",
        }
        env.pop("AINASCAN_PRIVATE_KEY_PATH", None)
        launch = {"env": env, "cwd": tmp_path, "stdout": subprocess.PIPE, "stderr": subprocess.STDOUT}
        web = subprocess.Popen([*_ainascan(), "serve", "--host", "127.0.0.1", "--port", str(port)], **launch)
        worker = subprocess.Popen([*_ainascan(), "worker"], **launch)
        processes = (web, worker)
        logs = ""
        try:
            base = f"http://127.0.0.1:{port}"

            def ready() -> bool:
                try:
                    return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
                except httpx.HTTPError:
                    return False

            _wait_for(ready, "the web process to be ready", processes=processes)
            payload = {
                "action": "opened",
                "number": NUMBER,
                "pull_request": github.repos[REPO].pulls[NUMBER],
                "repository": {"full_name": REPO, "name": "shop", "owner": {"login": "octo"}, "default_branch": "main"},
                "installation": {"id": INSTALLATION_ID},
            }
            body, headers = _signed(payload, "pull_request")
            answer = httpx.post(f"{base}{WEBHOOK_PATH}", content=body, headers=headers, timeout=10)
            assert answer.status_code == 202, answer.text

            _wait_for(lambda: github.reviews and github.runs_for(head) and github.runs_for(head)[0]["status"] == "completed", "the review", processes=processes)
            (run,) = github.runs_for(head)
            assert (run["name"], run["conclusion"], run["output"]["title"]) == ("AINAScan", "failure", "1 BLOCK")
            (comment,) = github.comments
            assert (comment["path"], comment["line"], comment["side"]) == ("app/profiles.py", HOLLOW_LINE, "RIGHT")
            assert "MISSING_WRITE" in comment["body"]
            writes = len(github.writes())

            # The same head again, as a new delivery: the job runs again and posts nothing.
            body, headers = _signed({**payload, "action": "synchronize"}, "pull_request")
            answer = httpx.post(f"{base}{WEBHOOK_PATH}", content=body, headers=headers, timeout=10)
            assert answer.status_code == 202, answer.text
            job_id = review_job_id(REPO, NUMBER, head)

            def second_job_done() -> bool:
                pulls_read = [r for r in github.requests if r.method == "GET" and r.path == f"/repos/{REPO}/pulls/{NUMBER}"]
                if len(pulls_read) < 2:
                    return False
                return Job.fetch(job_id, connection=redis_conn).get_status(refresh=True) == "finished"

            _wait_for(second_job_done, "the second review", processes=processes)
            assert github.writes()[writes:] == []
            assert len(github.check_runs) == 1 and len(github.reviews) == 1 and len(github.comments) == 1
        finally:
            logs = _stop(worker) + _stop(web)
        for secret in [line for line in private_key.splitlines() if "PRIVATE KEY" not in line] + list(github.tokens):
            assert secret not in logs
        assert github.tokens  # the worker did authenticate as the installation
