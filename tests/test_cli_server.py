"""`ainascan serve` and `ainascan worker` (bot.cli) as real processes: settings errors, a live server, a burst worker."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from rq import Queue
from rq.job import Job, JobStatus

SECRET = "whsec-cli-3c1d-never-printed"
PEM_BODY = "MIIEcliSecretKeyBody"
PEM = f"-----BEGIN RSA PRIVATE KEY-----\\n{PEM_BODY}\\n-----END RSA PRIVATE KEY-----"
SCRIPT = Path(sys.executable).with_name("ainascan")


def command(*args: str) -> list[str]:
    if SCRIPT.exists():
        return [str(SCRIPT), *args]
    return [sys.executable, "-m", "bot.cli", *args]


def bot_env(**variables: str | None) -> dict[str, str]:
    """The parent's environment without any AINASCAN_* variable, plus a complete test configuration and `variables`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("AINASCAN_")}
    env.update({"AINASCAN_APP_ID": "4242", "AINASCAN_PRIVATE_KEY": PEM, "AINASCAN_WEBHOOK_SECRET": SECRET})
    for name, value in variables.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run(args: list[str], env: dict[str, str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(command(*args), env=env, capture_output=True, text=True, timeout=timeout)


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        assert SECRET not in text
        assert PEM_BODY not in text


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("args", [["serve"], ["worker", "--burst"]])
def test_a_missing_app_id_stops_the_process_with_one_line_naming_it(args):
    result = run(args, bot_env(AINASCAN_APP_ID=None))

    assert result.returncode != 0
    assert "AINASCAN_APP_ID" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert_no_secret(result.stdout, result.stderr)


@pytest.mark.parametrize(
    ("args", "variables", "named"),
    [
        (["serve", "--port", "0"], {"AINASCAN_APP_ID": "not-a-number"}, "AINASCAN_APP_ID"),
        (["serve", "--port", "0"], {"AINASCAN_REDIS_URL": "localhost:6379"}, "AINASCAN_REDIS_URL"),
        (["worker", "--burst"], {"AINASCAN_WEBHOOK_SECRET": None}, "AINASCAN_WEBHOOK_SECRET"),
        (["worker", "--burst"], {"AINASCAN_PRIVATE_KEY": None}, "AINASCAN_PRIVATE_KEY"),
        (["worker", "--burst"], {"AINASCAN_REDIS_URL": "localhost:6379"}, "AINASCAN_REDIS_URL"),
    ],
)
def test_a_bad_setting_is_named_and_no_secret_is_printed(args, variables, named):
    result = run(args, bot_env(**variables))

    assert result.returncode != 0
    assert named in result.stderr
    assert "Traceback" not in result.stderr
    assert_no_secret(result.stdout, result.stderr)


def test_the_worker_says_so_in_one_line_when_redis_is_unreachable():
    result = run(["worker", "--burst"], bot_env(AINASCAN_REDIS_URL=f"redis://127.0.0.1:{free_port()}/0"))

    assert result.returncode != 0
    assert "cannot reach Redis" in result.stderr
    assert "Traceback" not in result.stderr
    assert_no_secret(result.stdout, result.stderr)


def test_a_burst_worker_on_an_empty_queue_exits_0(redis_url, redis_conn):
    result = run(["worker", "--burst"], bot_env(AINASCAN_REDIS_URL=redis_url))

    assert result.returncode == 0, result.stderr
    assert_no_secret(result.stdout, result.stderr)


def test_a_burst_worker_runs_the_jobs_of_the_configured_queue(redis_url, redis_conn, unique_id):
    queue_name = f"ainascan-test-{unique_id}"
    job = Queue(queue_name, connection=redis_conn).enqueue_call("json.dumps", kwargs={"obj": {"ran": True}}, job_id=f"cli-{unique_id}")

    result = run(["worker", "--burst"], bot_env(AINASCAN_REDIS_URL=redis_url, AINASCAN_QUEUE_NAME=queue_name))

    assert result.returncode == 0, result.stderr
    finished = Job.fetch(job.id, connection=redis_conn)
    assert finished.get_status() == JobStatus.FINISHED
    assert json.loads(finished.return_value()) == {"ran": True}
    log_lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert log_lines, "the worker logs JSON lines"
    assert_no_secret(result.stdout, result.stderr)


def test_serve_answers_health_readiness_and_a_signed_webhook(redis_url, redis_conn, webhook_fixtures):
    port = free_port()
    body = (webhook_fixtures / "pull_request__opened.json").read_bytes()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    server = subprocess.Popen(
        command("serve", "--host", "127.0.0.1", "--port", str(port)),
        env=bot_env(AINASCAN_REDIS_URL=redis_url),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        health = _wait_for(f"{base}/healthz", server)
        ready = httpx.get(f"{base}/readyz", timeout=5)
        started = time.perf_counter()
        accepted = httpx.post(
            f"{base}/api/github/webhooks",
            content=body,
            headers={"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "live-1", "X-Hub-Signature-256": signature},
            timeout=5,
        )
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        stdout, stderr = server.communicate(timeout=20)

    assert health.status_code == 200
    assert ready.status_code == 200
    assert accepted.status_code == 202, accepted.text
    assert elapsed < 2.0
    [job] = Queue("ainascan", connection=redis_conn).jobs
    assert job.kwargs["delivery_id"] == "live-1"
    webhook_lines = [json.loads(line) for line in stderr.splitlines() if '"delivery_id"' in line]
    assert [line["head_sha"] for line in webhook_lines] == [json.loads(body)["pull_request"]["head"]["sha"]]
    assert_no_secret(stdout, stderr)


def served_by(pid: int) -> list[int]:
    """The worker processes of `ainascan serve --workers N` (uvicorn spawns them; a resource tracker runs beside them)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in children if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes()]


def test_serve_with_two_workers_queues_each_webhook_once_and_their_counts_add_up_at_shutdown(redis_url, redis_conn, webhook_fixtures):
    from bot.metrics import MetricsStore, render
    from prometheus_client.parser import text_string_to_metric_families

    port = free_port()
    template = json.loads((webhook_fixtures / "pull_request__opened.json").read_bytes())
    server = subprocess.Popen(
        command("serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"),
        env=bot_env(AINASCAN_REDIS_URL=redis_url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

    def deliver(number: int) -> httpx.Response:
        payload = {**template, "pull_request": {**template["pull_request"], "head": {**template["pull_request"]["head"], "sha": f"{number:040x}"}}}
        body = json.dumps(payload).encode()
        signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        headers = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": f"two-{number}", "X-Hub-Signature-256": signature}
        return httpx.post(f"http://127.0.0.1:{port}/api/github/webhooks", content=body, headers=headers, timeout=10)  # a new connection each

    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz", server)
        workers = served_by(server.pid)
        with ThreadPoolExecutor(8) as senders:
            answers = list(senders.map(deliver, range(40)))
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as kept_alive:
            started = time.perf_counter()
            for _ in range(30):
                assert kept_alive.get("/healthz").status_code == 200
            thirty_answers = time.perf_counter() - started
    finally:
        server.terminate()
        _stdout, stderr = server.communicate(timeout=30)

    assert len(workers) == 2
    assert [(answer.status_code, answer.json()["status"]) for answer in answers] == [(202, "queued")] * 40
    assert len(Queue("ainascan", connection=redis_conn)) == 40
    counted = {
        sample.labels["outcome"]: sample.value
        for family in text_string_to_metric_families(render(MetricsStore(redis_conn)).decode())
        for sample in family.samples
        if sample.name == "ainascan_webhooks_received_total"
    }
    assert counted == {"queued": 40}
    # Nagle's algorithm left on would hold each kept-alive answer for the client's delayed ACK (~40 ms each).
    assert thirty_answers < 0.6, f"30 kept-alive answers took {thirty_answers:.2f} s"
    assert server.returncode == 0, stderr[-2000:]
    assert_no_secret(stderr)


@pytest.mark.parametrize("workers", ["-1", "two", "1.5"])
def test_serve_refuses_a_number_of_workers_that_is_not_a_whole_number(workers, capsys):
    from bot.cli import main

    with pytest.raises(SystemExit) as raised:
        main(["serve", "--workers", workers])

    assert raised.value.code == 2
    assert "--workers" in capsys.readouterr().err


def _wait_for(url: str, server: subprocess.Popen, timeout: float = 20) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"serve exited with {server.returncode}: {server.stderr.read()}")
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
    pytest.fail(f"serve did not answer {url} within {timeout} s")


def test_the_console_script_mounts_serve_and_worker_beside_the_analyzer_commands(capsys):
    from bot.cli import main

    for args in (["--help"], ["serve", "--help"], ["worker", "--help"]):
        with pytest.raises(SystemExit) as raised:
            main(args)
        assert raised.value.code == 0
    shown = capsys.readouterr().out

    assert all(word in shown for word in ("scan", "serve", "worker", "--host", "--port", "--workers", "--burst"))


def test_importing_the_console_script_loads_no_server_library():
    code = (
        "import sys, bot.cli\n"
        "loaded = [m for m in ('fastapi', 'uvicorn', 'rq', 'redis', 'githubkit', 'bot.web') if m in sys.modules]\n"
        "print(loaded); sys.exit(bool(loaded))"
    )

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stdout + result.stderr
