"""Load and loss: a burst of 1,000 signed webhooks across 200 pull requests, two workers, one killed mid-run.

    python bench/load.py [--pulls 200] [--fault-rate 0.03] [--redis-url redis://127.0.0.1:6379/10]

Runs `ainascan serve` and two `ainascan worker` processes against a real
Redis and the stand-in GitHub of tests/standin_github.py (served on
127.0.0.1, failing a seeded share of requests the ways GitHub does). Each pull
request gets five deliveries, sent by 20 threads at once: `opened`, the same
delivery again (a redelivery), `check_suite requested` for that head, then a
push and `synchronize` for the new head, and its `check_suite requested`.
When a quarter of the reviews are done, the worker that is reviewing is
killed with SIGKILL together with its work-horse and scheduler (a lost node).

It records deliveries acknowledged, reviews completed, duplicates (a second
check run for a head, an annotation or a comment posted twice: must be 0),
lost reviews (a head whose check run never concluded, or a pull request
missing a comment: must be 0), p50/p99 acknowledgement latency and the time
to drain, in bench/results/load.md. The Redis database given (the benchmarks'
own, AINASCAN_BENCH_REDIS_URL, db 10 by default) is emptied first: it must be
used by nothing else while the bench runs.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import httpx
import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from standin_github import FAULT_KINDS, StandinGitHub, StandinServer, generate_app_key  # noqa: E402

from bot.publish import fingerprint_of  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "load.md"
SECRET = "bench-webhook-secret"
REPOS = ("acme/shop", "acme/billing", "acme/search", "acme/auth")
SENDERS = 20
BEFORE = "import json\n\n\ndef load(path):\n    with open(path) as handle:\n        return json.load(handle)\n"


def hollow(name: str) -> str:
    return f'\n\ndef save_{name}(user_id, record):\n    validated = dict(record)\n    return {{"status": "saved", "user_id": user_id}}\n'


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def ainascan() -> list[str]:
    script = Path(sys.executable).with_name("ainascan")
    return [str(script)] if script.exists() else ["ainascan"]


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.app_id = random.randint(10**6, 10**9)
        private_key, public_key = generate_app_key()
        self.private_key = private_key
        self.github = StandinGitHub(self.app_id, public_key)
        self.pulls: list[tuple[str, int]] = []
        self.heads: dict[tuple[str, int], list[str]] = {}
        self.expected: dict[tuple[str, int], set[int]] = {}
        self.latencies: list[float] = []
        self.statuses: Counter = Counter()
        self.lock = threading.Lock()
        self.processes: list[subprocess.Popen] = []
        self.killed: dict[str, object] = {}

    # ------------------------------------------------------------ setup

    def build_pulls(self) -> None:
        for repo in REPOS:
            self.github.add_repo(repo, {"app/base.py": BEFORE, ".github/ainascan.yml": "select: [MISSING_WRITE]\n"})
        for index in range(self.args.pulls):
            repo, number = REPOS[index % len(REPOS)], 100 + index
            first = BEFORE + hollow(f"a{index}") + hollow(f"b{index}")
            head = self.github.add_pull(repo, number, {f"app/module_{index}.py": first, "README.md": f"change {index}\n"}, seed="first")
            self.pulls.append((repo, number))
            self.heads[(repo, number)] = [head]

    def environment(self, api_url: str) -> dict[str, str]:
        env = {
            **os.environ,
            "AINASCAN_APP_ID": str(self.app_id),
            "AINASCAN_PRIVATE_KEY": self.private_key,
            "AINASCAN_WEBHOOK_SECRET": SECRET,
            "AINASCAN_GITHUB_API_URL": api_url,
            "AINASCAN_REDIS_URL": self.args.redis_url,
            "AINASCAN_QUEUE_NAME": "ainascan-bench",
            "AINASCAN_JOB_RETRY_INTERVALS": "[5, 20]",
            "AINASCAN_GITHUB_TIMEOUT_SECONDS": "2",
            "NO_PROXY": "127.0.0.1,localhost",
        }
        env.pop("AINASCAN_PRIVATE_KEY_PATH", None)
        return env

    def start(self, command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
        with open(log, "wb") as out:
            process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT)
        self.processes.append(process)
        return process

    # ------------------------------------------------------------ the burst

    def deliver(self, client: httpx.Client, url: str, event: str, payload: dict, delivery: str) -> None:
        body = json.dumps(payload).encode()
        headers = {
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery,
            "X-Hub-Signature-256": "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest(),
            "Content-Type": "application/json",
        }
        started = time.perf_counter()
        try:
            status = client.post(url, content=body, headers=headers, timeout=10).status_code
        except httpx.HTTPError:
            status = 0
        with self.lock:
            self.latencies.append(time.perf_counter() - started)
            self.statuses[status] += 1

    def pull_request_payload(self, repo: str, number: int, action: str) -> dict:
        owner, name = repo.split("/")
        return {
            "action": action,
            "number": number,
            "pull_request": self.github.repos[repo].pulls[number],
            "repository": {"full_name": repo, "name": name, "owner": {"login": owner}, "default_branch": "main"},
            "installation": {"id": 1 + REPOS.index(repo)},
        }

    def suite_payload(self, repo: str, number: int, head: str) -> dict:
        return {
            "action": "requested",
            "check_suite": {"head_sha": head, "pull_requests": [{"number": number}]},
            "repository": {"full_name": repo},
            "installation": {"id": 1 + REPOS.index(repo)},
        }

    def sequence(self, client: httpx.Client, url: str, repo: str, number: int) -> None:
        tag = f"{repo}#{number}"
        first = self.heads[(repo, number)][0]
        self.deliver(client, url, "pull_request", self.pull_request_payload(repo, number, "opened"), f"{tag}-opened")
        self.deliver(client, url, "pull_request", self.pull_request_payload(repo, number, "opened"), f"{tag}-opened")  # redelivery
        self.deliver(client, url, "check_suite", self.suite_payload(repo, number, first), f"{tag}-suite-1")
        index = number - 100
        second = BEFORE + hollow(f"a{index}") + hollow(f"b{index}") + hollow(f"c{index}")
        with self.github._lock:
            head = self.github.push(repo, number, {f"app/module_{index}.py": second, "README.md": f"change {index}\n"}, seed="second")
        self.heads[(repo, number)].append(head)
        self.expected[(repo, number)] = {line for line, text in enumerate(second.splitlines(), 1) if text.startswith("def save_")}
        self.deliver(client, url, "pull_request", self.pull_request_payload(repo, number, "synchronize"), f"{tag}-sync")
        self.deliver(client, url, "check_suite", self.suite_payload(repo, number, head), f"{tag}-suite-2")

    def burst(self, url: str) -> None:
        order = list(self.pulls)
        random.Random(7).shuffle(order)
        shares = [order[i::SENDERS] for i in range(SENDERS)]

        def send(share) -> None:
            with httpx.Client() as client:
                for repo, number in share:
                    self.sequence(client, url, repo, number)

        threads = [threading.Thread(target=send, args=(share,)) for share in shares]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.burst_done_at = time.monotonic()

    # ------------------------------------------------------------ watching

    def final_heads_concluded(self) -> int:
        with self.github._lock:
            done = 0
            for key, heads in self.heads.items():
                runs = self.github.runs_for(heads[-1]) if len(heads) == 2 else []
                if runs and all(run["status"] == "completed" for run in runs):
                    done += 1
            return done

    def kill_a_reviewing_worker(self, workers: list[subprocess.Popen], patience: float = 60) -> None:
        """SIGKILL a worker caught with a review in flight, then its work-horse and other children: a node lost at once.

        The worker goes first: a worker that outlived its horse even briefly
        would see it die and fail the job itself, which is not a lost node.
        """
        deadline = time.monotonic() + patience
        while time.monotonic() < deadline:
            for worker in workers:
                horses = [child for child in children_of(worker.pid) if os.getpgid(child) == child]
                if not horses:
                    continue
                others = [child for child in children_of(worker.pid) if child not in horses]
                os.kill(worker.pid, signal.SIGKILL)
                in_flight = 0
                for pid in [*horses, *others]:
                    try:
                        os.kill(pid, signal.SIGKILL)
                        in_flight += pid in horses
                    except ProcessLookupError:
                        pass
                worker.wait(timeout=10)
                if not in_flight:  # the review ended just before: the worker is lost all the same
                    workers.remove(worker)
                self.killed = {"pid": worker.pid, "processes": 1 + len(horses) + len(others), "in_flight": in_flight, "at": time.monotonic(), "wall": time.time()}
                return
            time.sleep(0.05)

    def drained(self, connection: redis.Redis) -> bool:
        from rq import Queue
        from rq.registry import ScheduledJobRegistry, StartedJobRegistry

        queue = Queue("ainascan-bench", connection=connection)
        busy = len(queue) + StartedJobRegistry(queue=queue).count + ScheduledJobRegistry(queue=queue).count
        return busy == 0 and self.final_heads_concluded() == len(self.pulls)

    # ------------------------------------------------------------ the run

    def run(self) -> dict:
        connection = redis.Redis.from_url(self.args.redis_url)
        connection.flushdb()
        self.build_pulls()
        self.github.timeout_delay = 2.5
        logs = Path(tempfile.mkdtemp(prefix="ainascan-load-"))  # the processes' logs, kept for a look after the run
        with StandinServer(self.github) as server:
            env = self.environment(server.url)
            port = free_port()
            self.start([*ainascan(), "serve", "--host", "127.0.0.1", "--port", str(port)], env, logs / "web.log")
            workers = [self.start([*ainascan(), "worker"], env, logs / f"worker-{n}.log") for n in (1, 2)]
            base = f"http://127.0.0.1:{port}"
            self.wait(lambda: self.ready(base), 30, "the web process")
            self.wait(lambda: len(self.worker_keys(connection)) == 2, 30, "two workers")
            self.github.inject_faults(self.args.fault_rate, seed=2024, kinds=FAULT_KINDS)
            started = time.monotonic()
            sender = threading.Thread(target=self.burst, args=(f"{base}/api/github/webhooks",))
            sender.start()
            self.wait(lambda: self.final_heads_concluded() >= len(self.pulls) // 4, 300, "a quarter of the reviews")
            done_at_kill = self.final_heads_concluded()
            self.kill_a_reviewing_worker(workers)
            sender.join()
            burst_seconds = self.burst_done_at - started
            self.wait(lambda: self.drained(connection), self.args.drain_timeout, "the queue to drain", fail=False)
            drain_seconds = time.monotonic() - started
            self.github.inject_faults(0.0, seed=0)
            outcome = self.judge(burst_seconds, drain_seconds, started)
            outcome["reclaimed"] = self.reclaims(logs)
            outcome["done_at_kill"] = done_at_kill
            outcome["logs"] = str(logs)
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        return outcome

    def reclaims(self, logs: Path) -> list[float]:
        """Seconds from the kill to each "reclaimed job" line the surviving worker logged."""
        if not self.killed:
            return []
        seconds = []
        for log in logs.glob("worker-*.log"):
            for line in log.read_text(errors="replace").splitlines():
                if "reclaimed job" in line:
                    stamp = json.loads(line)["time"]
                    when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp()
                    seconds.append(when - self.killed["wall"])
        return sorted(seconds)

    @staticmethod
    def ready(base: str) -> bool:
        try:
            return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    @staticmethod
    def worker_keys(connection: redis.Redis) -> list:
        from rq import Queue, Worker

        return Worker.all(queue=Queue("ainascan-bench", connection=connection))

    @staticmethod
    def wait(predicate, timeout: float, what: str, fail: bool = True) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.25)
        if fail:
            raise SystemExit(f"bench: timed out waiting for {what}")
        return False

    # ------------------------------------------------------------ judging

    def judge(self, burst_seconds: float, drain_seconds: float, started: float) -> dict:
        with self.github._lock:
            runs_per_head = Counter(run["head_sha"] for run in self.github.check_runs)
            duplicate_runs = sum(count - 1 for count in runs_per_head.values() if count > 1)
            duplicate_annotations = sum(len(run["annotations"]) - len({json.dumps(a, sort_keys=True) for a in run["annotations"]}) for run in self.github.check_runs)
            fingerprints = Counter((c["repo"], c["pull_number"], fingerprint_of(c["body"])) for c in self.github.comments)
            duplicate_comments = sum(count - 1 for count in fingerprints.values() if count > 1)
            lost, unconcluded_first_heads, reviewed = [], 0, 0
            for key, heads in self.heads.items():
                final = self.github.runs_for(heads[-1])
                lines = {c["line"] for c in self.github.comments if (c["repo"], c["pull_number"]) == key}
                complete = bool(final) and all(r["status"] == "completed" and r["conclusion"] == "failure" for r in final) and lines == self.expected.get(key)
                reviewed += complete
                if not complete:
                    lost.append(f"{key[0]}#{key[1]}")
                first = self.github.runs_for(heads[0])
                unconcluded_first_heads += sum(1 for r in first if r["status"] != "completed")
            first_conclusions = Counter(r["conclusion"] for key, heads in self.heads.items() for r in self.github.runs_for(heads[0]))
            requests = len(self.github.requests)
            faults = dict(self.github.faults_injected)
        latencies = sorted(self.latencies)
        acknowledged = sum(count for status, count in self.statuses.items() if 200 <= status < 300)
        return {
            "pulls": len(self.pulls),
            "webhooks": sum(self.statuses.values()),
            "acknowledged": acknowledged,
            "statuses": dict(sorted(self.statuses.items())),
            "reviewed": reviewed,
            "duplicates": duplicate_runs + duplicate_annotations + duplicate_comments,
            "duplicate_runs": duplicate_runs,
            "duplicate_annotations": duplicate_annotations,
            "duplicate_comments": duplicate_comments,
            "lost": len(lost) + unconcluded_first_heads,
            "lost_pulls": lost[:20],
            "unconcluded_first_heads": unconcluded_first_heads,
            "first_head_conclusions": dict(first_conclusions),
            "p50_ms": statistics.median(latencies) * 1000,
            "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1000,
            "max_ms": latencies[-1] * 1000,
            "burst_seconds": burst_seconds,
            "drain_seconds": drain_seconds,
            "killed_after_seconds": (self.killed.get("at", started) - started) if self.killed else None,
            "killed_processes": self.killed.get("processes", 0),
            "github_requests": requests,
            "faults": faults,
            "fault_rate": self.args.fault_rate,
        }


def report(outcome: dict, args: argparse.Namespace) -> str:
    ok = outcome["duplicates"] == 0 and outcome["lost"] == 0 and outcome["acknowledged"] == outcome["webhooks"]
    faults = ", ".join(f"{kind} {count}" for kind, count in sorted(outcome["faults"].items())) or "none"
    lines = [
        "# Load: 1,000 webhooks, 200 pull requests, two workers, one killed",
        "",
        f"Recorded {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')} by `python bench/load.py` on {os.cpu_count()} cores "
        f"(Python {sys.version.split()[0]}, real Redis, the stand-in GitHub of tests/standin_github.py on 127.0.0.1).",
        "",
        f"Each of {outcome['pulls']} pull requests (4 repositories) got 5 signed deliveries from {SENDERS} concurrent senders: "
        "`opened`, the same delivery again, `check_suite requested`, then a push and `synchronize`, and `check_suite requested` "
        f"for the new head. GitHub failed {args.fault_rate:.0%} of requests (seeded): {faults}. With {outcome['done_at_kill']} of the "
        f"{outcome['pulls']} reviews done, a worker caught with a review in flight was killed with SIGKILL together with its work-horse (and scheduler, if it ran one): "
        f"{outcome['killed_processes']} processes, {outcome['killed_after_seconds']:.1f} s into the run)." if outcome["killed_after_seconds"] is not None else "No worker could be killed (none was reviewing).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| deliveries sent | {outcome['webhooks']} |",
        f"| deliveries acknowledged (2xx) | {outcome['acknowledged']} ({', '.join(f'{k}: {v}' for k, v in outcome['statuses'].items())}) |",
        f"| reviews completed (final head concluded, every comment there) | {outcome['reviewed']} of {outcome['pulls']} |",
        f"| duplicates (must be 0) | {outcome['duplicates']} (check runs {outcome['duplicate_runs']}, annotations {outcome['duplicate_annotations']}, comments {outcome['duplicate_comments']}) |",
        f"| lost reviews (must be 0) | {outcome['lost']} |",
        f"| first heads left in progress | {outcome['unconcluded_first_heads']} (conclusions: {', '.join(f'{k}: {v}' for k, v in sorted(outcome['first_head_conclusions'].items(), key=str))}) |",
        f"| acknowledgement latency p50 / p99 / max | {outcome['p50_ms']:.1f} ms / {outcome['p99_ms']:.1f} ms / {outcome['max_ms']:.1f} ms |",
        f"| burst sent in | {outcome['burst_seconds']:.1f} s |",
        f"| time to drain (first delivery to every head concluded, queue empty) | {outcome['drain_seconds']:.1f} s |",
        f"| jobs of the killed worker reclaimed by the other | {len(outcome['reclaimed'])}, {', '.join(f'{s:.1f} s' for s in outcome['reclaimed'])} after the kill |",
        f"| GitHub requests served | {outcome['github_requests']} |",
        "",
        "Worker settings: production defaults (heartbeat 10 s, maintenance 15 s, a job silent 30 s is reclaimed, 2 retries) "
        "except retry intervals of 5 and 20 s (60 and 300 s in production) and a 2 s GitHub timeout (30 s).",
        "",
        f"Verdict: {'nothing lost, nothing doubled' if ok else 'FAILED: see the counts above'}.",
    ]
    if outcome["lost_pulls"]:
        lines += ["", "Lost: " + ", ".join(outcome["lost_pulls"])]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pulls", type=int, default=200)
    parser.add_argument("--fault-rate", type=float, default=0.03)
    parser.add_argument("--redis-url", default=os.environ.get("AINASCAN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/10"))
    parser.add_argument("--drain-timeout", type=float, default=600)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if redis.Redis.from_url(args.redis_url).connection_pool.connection_kwargs.get("db", 0) == 0:
        raise SystemExit("bench: refusing to empty Redis database 0; pass --redis-url with a spare database")
    outcome = Bench(args).run()
    text = report(outcome, args)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text)
    print(text)
    print(f"process logs: {outcome['logs']}")
    return 0 if outcome["duplicates"] == 0 and outcome["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
