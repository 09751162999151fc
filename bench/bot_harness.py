"""What the two bot benchmarks (bot_calls.py, ingest.py) share: processes, signatures, Redis, the machine's description.

The bot runs as it does in production: `ainascan serve` (uvicorn) and
`ainascan worker` (RQ) as separate processes, bound to 127.0.0.1, on a real
Redis server. Benchmarks use their own Redis database (BENCH_REDIS_URL, db 10
unless AINASCAN_BENCH_REDIS_URL says otherwise) and empty only that one;
run them one after the other, not at the same time.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import redis

PROJECT_ROOT = Path(__file__).resolve().parent.parent

RESULTS_DIR = PROJECT_ROOT / "bench" / "results"
BENCH_REDIS_URL = os.environ.get("AINASCAN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10")
WEBHOOK_FIXTURES = PROJECT_ROOT.parent / "shared" / "fixtures" / "github-webhooks"
PACKAGES = ("fastapi", "starlette", "uvicorn", "h11", "httptools", "uvloop", "redis", "hiredis", "rq", "githubkit", "httpx", "pydantic")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def signature(secret: str, body: bytes) -> str:
    """GitHub's X-Hub-Signature-256 of `body`."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def bench_redis(url: str = BENCH_REDIS_URL) -> redis.Redis:
    """The benchmarks' own Redis database, emptied; refuses database 0, where a real deployment keeps its queue."""
    database = int((urlsplit(url).path or "/0").lstrip("/") or 0)
    if database == 0:
        raise SystemExit(f"bench: refusing to empty Redis database 0 ({url}); set AINASCAN_BENCH_REDIS_URL to a spare database")
    connection = redis.Redis.from_url(url)
    try:
        connection.ping()
    except redis.ConnectionError:
        raise SystemExit(f"bench: no Redis server at {url} (scripts/ensure-redis starts one)") from None
    connection.flushdb()
    return connection


def ainascan_command() -> list[str]:
    script = Path(sys.executable).with_name("ainascan")
    return [str(script)] if script.exists() else [shutil.which("ainascan") or "ainascan"]


def bot_environment(app_id: int, private_key: str, webhook_secret: str, github_url: str, queue_name: str, redis_url: str = BENCH_REDIS_URL) -> dict[str, str]:
    """The environment `ainascan serve` and `ainascan worker` read their settings from."""
    env = {
        **os.environ,
        "AINASCAN_APP_ID": str(app_id),
        "AINASCAN_PRIVATE_KEY": private_key,
        "AINASCAN_WEBHOOK_SECRET": webhook_secret,
        "AINASCAN_GITHUB_API_URL": github_url,
        "AINASCAN_REDIS_URL": redis_url,
        "AINASCAN_QUEUE_NAME": queue_name,
        "NO_PROXY": "127.0.0.1,localhost",
    }
    env.pop("AINASCAN_PRIVATE_KEY_PATH", None)
    return env


class Process:
    """A child process whose output goes to a log file (never a pipe nobody reads, which would stall it)."""

    def __init__(self, name: str, command: Sequence[str], env: dict[str, str], log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("wb")
        self.popen = subprocess.Popen(list(command), env=env, cwd=log_dir, stdout=self._log, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def check_alive(self) -> None:
        if self.popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text("utf-8", "replace").splitlines()[-lines:])

    def cpu_seconds(self) -> float:
        """User + system CPU time the process has used so far (Linux /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def reaped_children_cpu_seconds(self) -> float:
        """User + system CPU time of the children it has reaped (an RQ worker's work-horses, one per job)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)
        self._log.close()


def wait_until(predicate: Callable[[], object], what: str, timeout: float, processes: Sequence[Process] = (), interval: float = 0.005):
    """Poll `predicate` until it returns something true; fail naming `what` on timeout or when a process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        for process in processes:
            process.check_alive()
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")


def wait_ready(base_url: str, path: str, processes: Sequence[Process], timeout: float = 30.0) -> None:
    def ready() -> bool:
        try:
            return httpx.get(base_url + path, timeout=1, trust_env=False).status_code == 200
        except httpx.HTTPError:
            return False

    wait_until(ready, f"{base_url}{path} to answer 200", timeout, processes, interval=0.1)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def spread(values: Sequence[float], scale: float = 1.0, digits: int = 0) -> str:
    """'median (min–max)' of `values` times `scale`."""
    return f"{median(values) * scale:,.{digits}f} ({min(values) * scale:,.{digits}f}–{max(values) * scale:,.{digits}f})"


def passed(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def machine_description(redis_connection: redis.Redis) -> dict[str, str]:
    """What the figures were measured on: CPU, cores, memory, Python, the packages that matter, Redis, the date."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), platform.processor())
    meminfo = Path("/proc/meminfo").read_text()
    mem_kib = int(next(line.split()[1] for line in meminfo.splitlines() if line.startswith("MemTotal")))
    versions = []
    for package in PACKAGES:
        try:
            versions.append(f"{package} {metadata.version(package)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{package} (not installed)")
    git = ("git", "-C", str(PROJECT_ROOT))
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "analyzer", "bot"], capture_output=True, text=True).stdout.strip()
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": model,
        "cores": str(os.cpu_count()),
        "memory": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "ainascan": f"{metadata.version('ainascan')} (commit {commit or 'unknown'}{', with uncommitted changes in analyzer/ or bot/' if dirty else ''})",
        "packages": ", ".join(versions),
        "Redis server": str(redis_connection.info("server").get("redis_version")),
    }


def load_average() -> str:
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def machine_table(machine: dict[str, str]) -> list[str]:
    return ["| | |", "|---|---|", *[f"| {key} | {value} |" for key, value in machine.items()]]


def write_result(name: str, text: str) -> Path:
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / name
    path.write_text(text, encoding="utf-8")
    return path
