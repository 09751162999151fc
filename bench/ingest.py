"""`make bench`: webhook ingest of `ainascan serve`: acknowledgements a second and p50/p99 latency, 8 concurrent senders.

`ainascan serve` runs as in production (uvicorn, bound to 127.0.0.1), once
with one process (`--workers 1`, the default) and once with two (`--workers
2`), on a real Redis (bench/bot_harness.py). Each of the 8 senders keeps
one HTTP/1.1 connection and sends the next request as soon as the last one is
answered. Every webhook is a real `pull_request` `opened` payload (GitHub's
own example, read in place from ../shared when present) for a new head SHA,
signed, with a new delivery id: the server checks the signature, parses the
JSON, routes it and enqueues a new RQ job each time, and the benchmark checks
each answer says `queued` and that the queue holds one job per answer.

Two baselines run in the same rounds: a bare FastAPI endpoint under uvicorn
that reads the same body and answers 202 with no work (this script, started
with --bare-server), and `/healthz` of the one-process `ainascan serve`. The
load client is asyncio with raw HTTP/1.1 (no client library), so that it
costs little of the machine's CPU; its CPU time is reported. It shares the
machine's 2 cores with the server and Redis. Writes bench/results/ingest.md.

    python bench/ingest.py
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import hashlib
import hmac
import itertools
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from fastapi import FastAPI, Request  # at module level: FastAPI resolves the handler's string annotations here
from fastapi.responses import JSONResponse

from bot.web import WEBHOOK_PATH

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root: bench.*, tests.*

from bench.bot_harness import (  # noqa: E402
    BENCH_REDIS_URL,
    WEBHOOK_FIXTURES,
    Process,
    ainascan_command,
    bench_redis,
    bot_environment,
    free_port,
    load_average,
    machine_description,
    machine_table,
    median,
    passed,
    spread,
    wait_ready,
    write_result,
)

RUNS = 5
DURATION = 3.0  # seconds of load per measurement
WARMUP = 1.0
SENDERS = 8
TARGET_RATE = 1000.0  # acknowledgements a second, at least
TARGET_P99_MS = 50.0
SECRET = "bench-ingest-secret"
QUEUE = "ainascan-bench-ingest"
HEAD_PLACEHOLDER = "@@HEAD_SHA@@"
WORKERS = (1, 2)  # `ainascan serve --workers N` measured
WEBHOOK_WORK = (
    "signature, JSON (orjson), routing, one Redis round trip (delivery dedupe and RQ enqueue: one Lua script), "
    "1 log line, metrics counted in memory"
)


# ---------------------------------------------------------------- the requests


def pull_request_template() -> tuple[bytes, str]:
    """A compact `pull_request` `opened` body with HEAD_PLACEHOLDER as its head SHA, and where it came from."""
    fixture = WEBHOOK_FIXTURES / "pull_request__opened.json"
    if fixture.is_file():
        payload = json.loads(fixture.read_text("utf-8"))
        source = f"GitHub's example `pull_request` `opened` payload ({fixture.name}, octokit/webhooks)"
    else:  # a fresh clone has no ../shared: the fields the bot reads, in GitHub's shape
        repo = {"full_name": "octo/shop", "name": "shop", "owner": {"login": "octo"}, "default_branch": "main"}
        pull = {"number": 7, "state": "open", "draft": False, "head": {"ref": "feature", "sha": "0" * 40, "repo": repo}, "base": {"ref": "main", "repo": repo}}
        payload = {"action": "opened", "number": 7, "pull_request": pull, "repository": repo, "installation": {"id": 1}}
        source = "a minimal `pull_request` `opened` payload (../shared is absent)"
    payload = copy.deepcopy(payload)
    payload["pull_request"]["head"]["sha"] = HEAD_PLACEHOLDER
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    if body.count(HEAD_PLACEHOLDER.encode()) != 1:
        raise RuntimeError("the head SHA placeholder must occur once in the body")
    return body, source


class SignedWebhooks:
    """The i-th request: the template with a head SHA of its own, signed, with a new delivery id (a new job each time).

    The HMAC of the body's fixed prefix is computed once; each request adds only its own bytes.
    """

    def __init__(self, template: bytes, secret: str, port: int):
        self.prefix, self.suffix = template.split(HEAD_PLACEHOLDER.encode())
        self.prefix_mac = hmac.new(secret.encode("utf-8"), self.prefix, hashlib.sha256)
        self.host = f"127.0.0.1:{port}"
        self.run_tag = random.getrandbits(32)

    def __call__(self, serial: int) -> bytes:
        sha = f"{self.run_tag:08x}{serial:032x}".encode("ascii")
        mac = self.prefix_mac.copy()
        mac.update(sha + self.suffix)
        body = self.prefix + sha + self.suffix
        head = (
            f"POST {WEBHOOK_PATH} HTTP/1.1\r\nHost: {self.host}\r\nUser-Agent: GitHub-Hookshot/bench\r\n"
            f"Content-Type: application/json\r\nX-GitHub-Event: pull_request\r\nX-GitHub-Delivery: {uuid.uuid4()}\r\n"
            f"X-Hub-Signature-256: sha256={mac.hexdigest()}\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        return head.encode("ascii") + body


def same_request(request: bytes) -> Callable[[int], bytes]:
    return lambda serial: request


# ---------------------------------------------------------------- the load


@dataclass
class Target:
    """One endpoint under load: how to build its i-th request and what a good answer looks like."""

    name: str
    does: str
    port: int
    request: Callable[[int], bytes]
    status: bytes  # b"202", b"200"
    must_contain: bytes | None = None
    enqueues: bool = False


@dataclass
class Measurement:
    target: str
    seconds: float
    latencies: list[float]
    failures: int
    server_cpu: float
    client_cpu: float
    redis_cpu: float
    busiest_share: float = 1.0  # of the server's CPU, by its busiest process
    jobs_enqueued: int | None = None

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, p: int) -> float:
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]

    @property
    def cpu_per_request_ms(self) -> float:
        return self.server_cpu / len(self.latencies) * 1000

    @property
    def redis_cpu_per_request_ms(self) -> float:
        return self.redis_cpu / len(self.latencies) * 1000


def cpu_by_process(pid: int) -> dict[int, float]:
    """User + system CPU time of a process and of each of its live descendants (uvicorn's worker processes), from /proc."""
    found: dict[int, float] = {}
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        found[pid] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                found.update(cpu_by_process(int(child)))
    except (FileNotFoundError, ProcessLookupError):  # a process that ended meanwhile
        pass
    return found


def busiest_share(before: dict[int, float], after: dict[int, float]) -> float:
    """The share of the server's CPU over a run that its busiest process used (1.0 for one process)."""
    used = [after[pid] - before.get(pid, 0.0) for pid in after]
    return max(used) / sum(used) if sum(used) > 0 else 1.0


def redis_cpu_seconds(redis_connection) -> float:
    """CPU time the Redis server has used so far (all its clients: another benchmark or test suite adds to it)."""
    info = redis_connection.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


async def _answer(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """One HTTP/1.1 response: (status code, body); uvicorn always sends Content-Length for these answers."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    body = await reader.readexactly(length) if length else b""
    return head[9:12], body


async def _sender(target: Target, serials, deadline: float, latencies: list[float], failures: list[str]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", target.port)
    try:
        while time.perf_counter() < deadline:
            request = target.request(next(serials))
            started = time.perf_counter()
            writer.write(request)
            await writer.drain()
            status, body = await _answer(reader)
            latencies.append(time.perf_counter() - started)
            if status != target.status or (target.must_contain is not None and target.must_contain not in body):
                failures.append(f"{status.decode()} {body[:200]!r}")
    finally:
        writer.close()
        await writer.wait_closed()


async def _load(target: Target, seconds: float) -> tuple[float, list[float], list[str]]:
    latencies: list[float] = []
    failures: list[str] = []
    serials = itertools.count()
    started = time.perf_counter()
    await asyncio.gather(*(_sender(target, serials, started + seconds, latencies, failures) for _ in range(SENDERS)))
    return time.perf_counter() - started, latencies, failures


def measure(target: Target, server: Process, seconds: float, redis_connection) -> Measurement:
    """Load `target` for `seconds` with SENDERS connections; for a webhook, check one queued job per answer."""
    from rq import Queue

    queue = Queue(QUEUE, connection=redis_connection)
    server_cpu, client_cpu, redis_cpu = cpu_by_process(server.pid), time.process_time(), redis_cpu_seconds(redis_connection)
    elapsed, latencies, failures = asyncio.run(_load(target, seconds))
    server_cpu_after = cpu_by_process(server.pid)
    measurement = Measurement(
        target.name,
        elapsed,
        latencies,
        len(failures),
        sum(server_cpu_after.values()) - sum(server_cpu.values()),
        time.process_time() - client_cpu,
        redis_cpu_seconds(redis_connection) - redis_cpu,
        busiest_share=busiest_share(server_cpu, server_cpu_after),
    )
    if failures:
        raise RuntimeError(f"{target.name}: {len(failures)} of {len(latencies)} answers were not as expected, first: {failures[0]}")
    if target.enqueues:
        measurement.jobs_enqueued = queue.count
        if measurement.jobs_enqueued != len(latencies):
            raise RuntimeError(f"{target.name}: {len(latencies)} webhooks answered `queued` but the queue holds {measurement.jobs_enqueued} jobs")
        redis_connection.flushdb()  # the benchmark's own database: the next run starts from an empty queue
    return measurement


# ---------------------------------------------------------------- the baseline server


def bare_app():
    """The baseline: FastAPI under uvicorn reading the webhook's body and answering 202 with no work at all."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.post(WEBHOOK_PATH)
    async def webhook(request: Request) -> JSONResponse:
        await request.body()
        return JSONResponse({"status": "queued"}, status_code=202)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def serve_bare(port: int) -> None:
    import uvicorn

    uvicorn.run(bare_app(), host="127.0.0.1", port=port, log_config=None)  # as `ainascan serve` runs uvicorn


# ---------------------------------------------------------------- the report


@dataclass
class Results:
    by_target: dict[str, list[Measurement]] = field(default_factory=dict)

    def add(self, measurement: Measurement) -> None:
        self.by_target.setdefault(measurement.target, []).append(measurement)

    def rate(self, target: str) -> float:
        return median([m.rate for m in self.by_target[target]])

    def p(self, target: str, percentile: int) -> float:
        return median([m.percentile(percentile) for m in self.by_target[target]])


def results_table(results: Results, targets: list[Target]) -> list[str]:
    rows = [
        "| endpoint | what the server does | acknowledgements/s, median (min–max) | p50, ms | p99, ms | throughput ÷ bare | p99 ÷ bare |",
        "|---|---|---|---|---|---|---|",
    ]
    for target in targets:
        runs = results.by_target[target.name]
        rows.append(
            f"| {target.name} | {target.does} | {spread([m.rate for m in runs])} | {spread([m.percentile(50) for m in runs], 1000, 2)} | "
            f"{spread([m.percentile(99) for m in runs], 1000, 2)} | "
            f"{results.rate(target.name) / results.rate('bare'):.2f}× | {results.p(target.name, 99) / results.p('bare', 99):.2f}× |"
        )
    return rows


def cpu_table(results: Results, targets: list[Target]) -> list[str]:
    """CPU per request: steadier than throughput on a shared machine, and what bounds throughput on a quiet one."""
    rows = [
        "| endpoint | server CPU per request, ms | one-core ceiling (1,000 ÷ CPU ms), /s | × bare | server CPU, % of a core | busiest server process's share | Redis server CPU per request, ms | load client CPU, % of a core |",
        "|---|---|---|---|---|---|---|---|",
    ]
    bare = median([m.cpu_per_request_ms for m in results.by_target["bare"]])
    for target in targets:
        runs = results.by_target[target.name]
        cpu = median([m.cpu_per_request_ms for m in runs])
        rows.append(
            f"| {target.name} | {cpu:.2f} | {1000 / cpu:,.0f} | {cpu / bare:.2f}× | {median([m.server_cpu / m.seconds * 100 for m in runs]):.0f} | "
            f"{spread([m.busiest_share * 100 for m in runs])} % | {median([m.redis_cpu_per_request_ms for m in runs]):.3f} | "
            f"{median([m.client_cpu / m.seconds * 100 for m in runs]):.0f} |"
        )
    return rows


def webhook_target(workers: int) -> str:
    return f"webhook, --workers {workers}"


def target_rows(results: Results) -> list[str]:
    rows = []
    for workers in WORKERS:
        name = webhook_target(workers)
        rate, p99 = results.rate(name), results.p(name, 99) * 1000
        rows.append(f"| at least {TARGET_RATE:,.0f} acknowledgements a second | `--workers {workers}` | {rate:,.0f}/s | {passed(rate >= TARGET_RATE)} |")
        rows.append(f"| p99 latency under {TARGET_P99_MS:.0f} ms | `--workers {workers}` | {p99:.1f} ms | {passed(p99 < TARGET_P99_MS)} |")
    return rows


def render(machine: dict[str, str], facts: dict[str, str], results: Results, targets: list[Target], runs: int) -> str:
    enqueued = sum(m.jobs_enqueued or 0 for name in map(webhook_target, WORKERS) for m in results.by_target[name])
    return "\n".join(
        [
            "# The bot: webhook ingest",
            "",
            "Generated by `make bench` (`bench/ingest.py`); do not edit by hand.",
            "",
            "## Machine",
            "",
            *machine_table({**machine, **facts}),
            "",
            "## Target",
            "",
            "| target | `ainascan serve` | measured | |",
            "|---|---|---|---|",
            *target_rows(results),
            "",
            f"## {SENDERS} concurrent senders, {runs} runs of {DURATION:.0f} s each, rounds interleaved",
            "",
            *results_table(results, targets),
            "",
            "### CPU",
            "",
            *cpu_table(results, targets),
            "",
            f"- Every webhook answer was checked (202 and `queued`), and after each run the RQ queue held exactly one job per answer: {enqueued:,} jobs in all.",
            "- Latency is from writing the request to reading the whole answer, on a kept-alive connection; each figure is the median of the",
            "  runs' own percentiles (min–max beside it). Server CPU is the user+system time (/proc) of the server process and of its",
            "  worker processes over the run.",
            "- One `ainascan serve` process runs one event loop: one core is its ceiling, and the one-core ceiling above is what its CPU per",
            "  request allows on a quiet core. `--workers 2` runs two such processes on the same port (uvicorn's supervisor spawns them):",
            "  the kernel gives each new connection to one of them, so the 8 kept-alive connections of a run are split by chance (6 and 2,",
            "  say), and the busiest process's share of the server's CPU (above) shows how evenly. GitHub opens a connection per delivery.",
            "- The machine has 2 cores, shared by the server, Redis and the load client (one Python process): their CPU, given above, is",
            "  CPU the server could not use, so the server can never have both cores to itself here.",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help=f"measurements of each endpoint (default {RUNS})")
    parser.add_argument("--seconds", type=float, default=DURATION, help=f"seconds of load per measurement (default {DURATION})")
    parser.add_argument("--bare-server", type=int, metavar="PORT", help=argparse.SUPPRESS)  # the baseline process
    args = parser.parse_args()
    if args.bare_server:
        serve_bare(args.bare_server)
        return
    from tests.standin_github import generate_app_key

    redis_connection = bench_redis()
    template, source = pull_request_template()
    private_key, _public = generate_app_key()
    with tempfile.TemporaryDirectory(prefix="ainascan-bench-ingest-") as scratch:
        bare_port, serve_ports = free_port(), {workers: free_port() for workers in WORKERS}
        env = bot_environment(random.randint(10**6, 10**9), private_key, SECRET, "http://127.0.0.1:9", QUEUE)
        serves = {
            workers: Process(
                f"serve-{workers}",
                [*ainascan_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)],
                env,
                Path(scratch),
            )
            for workers, port in serve_ports.items()
        }
        bare = Process("bare", [sys.executable, __file__, "--bare-server", str(bare_port)], env, Path(scratch))
        processes = [bare, *serves.values()]
        healthz = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{serve_ports[1]}\r\n\r\n".encode("ascii")
        targets = [
            Target("bare", "FastAPI endpoint: reads the body, answers 202, nothing else", bare_port, SignedWebhooks(template, SECRET, bare_port), b"202"),
            Target("healthz", "`ainascan serve --workers 1` `GET /healthz`", serve_ports[1], same_request(healthz), b"200"),
            *[
                Target(
                    webhook_target(workers),
                    f"`ainascan serve --workers {workers}`: {WEBHOOK_WORK}",
                    port,
                    SignedWebhooks(template, SECRET, port),
                    b"202",
                    b'"status":"queued"',
                    enqueues=True,
                )
                for workers, port in serve_ports.items()
            ],
        ]
        servers = {"bare": bare, "healthz": serves[1], **{webhook_target(workers): serves[workers] for workers in WORKERS}}
        try:
            for port in serve_ports.values():
                wait_ready(f"http://127.0.0.1:{port}", "/readyz", processes)
            wait_ready(f"http://127.0.0.1:{bare_port}", "/healthz", processes)
            machine = machine_description(redis_connection)
            load_before = load_average()
            for target in targets:  # warm-up: connections, first-call caches
                measure(target, servers[target.name], WARMUP, redis_connection)
            results = Results()
            for run in range(args.runs):
                for target in targets:
                    results.add(measure(target, servers[target.name], args.seconds, redis_connection))
                    latest = results.by_target[target.name][-1]
                    print(f"run {run + 1}/{args.runs} {target.name}: {latest.rate:,.0f}/s p99 {latest.percentile(99) * 1000:.1f} ms", flush=True)
        finally:
            for process in processes:
                process.stop()
            redis_connection.flushdb()
    facts = {
        "webhook body": f"{len(template) + 40 - len(HEAD_PLACEHOLDER):,} bytes: {source}",
        "orjson": metadata.version("orjson"),
        "Redis database": BENCH_REDIS_URL,
        "load average (1/5/15 min) before": load_before,
        "load average (1/5/15 min) after": load_average(),
    }
    report = render(machine, facts, results, targets, args.runs)
    path = write_result("ingest.md", report)
    print(report)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
