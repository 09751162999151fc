"""`make bench`: GitHub API calls per review, and the time from webhook to completed check run, by pull request size.

Everything runs as in production but GitHub: `ainascan serve` and one
`ainascan worker` as processes, a real Redis (bench/bot_harness.py), and the
stand-in GitHub of the tests (tests/standin_github.py) served on 127.0.0.1,
which records every request. Each review is a fresh pull request whose head
changes 0 (a README only), 1, 10, 60 or 300 real Python files of about 300
lines from the benchmark corpus (bench/corpus.py): the middle 40 lines of each
file are new, and one hollow function (a MISSING_WRITE, BLOCK) is appended to
each, so the review also annotates, comments and fails the check. The same
pull requests without the hollow functions are reviewed once more to count
their calls.

The worker is warm: a first review mints the installation token (cached in
Redis, as in production) and the measured ones reuse it; token calls are
counted apart. Rounds are interleaved, RUNS of them; the baseline of each
round is the analysis alone of the same files in a warm process of its own
(`analyzer.engine.scan_source`, as the worker calls it). Writes
bench/results/bot_calls.md.

    python bench/bot_calls.py
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import re
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from analyzer.engine import scan_source
from bot.events import review_job_id
from bot.gate import star_key
from bot.repo_config import DEFAULT_CONFIG
from bot.web import WEBHOOK_PATH

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root: bench.*, tests.*

from bench.bot_harness import (  # noqa: E402
    BENCH_REDIS_URL,
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
    signature,
    spread,
    wait_ready,
    wait_until,
    write_result,
)
from bench.corpus import count_lines, ensure_corpus, python_files  # noqa: E402
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))  # the stand-ins import each other by their plain names
from standin_gated import GatedStandin  # noqa: E402
from standin_github import StandinServer, generate_app_key  # noqa: E402

SIZES = (0, 1, 10, 60, 300)  # changed Python files; 0 is a pull request that changes only README.md
RUNS = 5
FILE_LINES = 300  # corpus files closest to this many lines
NEW_BLOCK_LINES = 40  # lines each pull request adds in the middle of each file
CALL_TARGET = 12  # at most, for a 60-file pull request (token calls apart)
TARGET_SIZE = 60
GROWTH_LIMIT = 0.05  # calls per extra file between 60 and 300 files: batches of 50-100, never one per file
REVIEW_TIMEOUT = 300.0
STAR_REPO = "ainascan/ainascan"  # the star gate is on, as in production; the author has not starred it
AUTHOR = "octocat"

REPO = "bench/shop"
INSTALLATION_ID = 4242
SECRET = "bench-webhook-secret"
QUEUE = "ainascan-bench-calls"
HOLLOW = '''

def save_record_{index}(record_id, record):
    validated = dict(record)
    return {{"status": "saved", "record_id": record_id}}
'''


# ---------------------------------------------------------------- the pull requests


def corpus_sample(count: int) -> tuple[Path, list[Path]]:
    """The corpus root and `count` of its files closest to FILE_LINES lines, in a fixed shuffled order (each size a sample)."""
    root = ensure_corpus()
    closest = sorted(python_files(root), key=lambda path: (abs(count_lines(path) - FILE_LINES), str(path)))[:count]
    chosen = sorted(closest)
    random.Random(0).shuffle(chosen)
    return root, chosen


def base_text(text: str) -> str:
    """The file before the pull request: without its middle NEW_BLOCK_LINES lines."""
    lines = text.splitlines(keepends=True)
    start = len(lines) // 2
    return "".join(lines[:start] + lines[start + NEW_BLOCK_LINES :])


@dataclass(frozen=True)
class Change:
    """One pull request's changed files: path -> new text."""

    files: dict[str, str]

    @property
    def python_files(self) -> int:
        return sum(path.endswith(".py") for path in self.files)

    @property
    def lines(self) -> int:
        return sum(text.count("\n") for path, text in self.files.items() if path.endswith(".py"))


def changes(sources: dict[str, str], size: int, hollow: bool) -> Change:
    """The first `size` files of `sources` as a pull request changes them (a README edit when size is 0)."""
    if size == 0:
        return Change({"README.md": "# shop\n\nNow with a benchmark.\n"})
    chosen = list(sources.items())[:size]
    return Change({path: text + (HOLLOW.format(index=index) if hollow else "") for index, (path, text) in enumerate(chosen)})


# ---------------------------------------------------------------- the stand-in, timed


@dataclass(frozen=True)
class Call:
    at: float  # time.perf_counter() when the stand-in answered
    method: str
    path: str
    status: int


class TimedStandin(GatedStandin):
    """The tests' stand-in GitHub (with users' stars), also noting when it answered each request and when each check run completed."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.timeline: list[Call] = []
        self.completed: dict[str, float] = {}  # head SHA -> when its check run was completed
        self._completion = threading.Condition()

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes):
        answer = super().handle(method, url, headers, body)
        with self._lock:
            self.timeline.append(Call(time.perf_counter(), method, urlsplit(url).path, answer[0]))
        return answer

    def _apply(self, run: dict[str, Any], payload: dict[str, Any], creating: bool) -> None:
        super()._apply(run, payload, creating)
        if run["status"] == "completed" and run["head_sha"] not in self.completed:
            with self._completion:
                self.completed[run["head_sha"]] = time.perf_counter()
                self._completion.notify_all()

    def wait_completed(self, head_sha: str, timeout: float) -> float:
        with self._completion:
            if not self._completion.wait_for(lambda: head_sha in self.completed, timeout):
                raise TimeoutError(f"no completed check run for {head_sha[:7]} after {timeout:.0f} s")
            return self.completed[head_sha]


def endpoint(call: Call) -> str:
    """The request's endpoint with its variable parts named ({repo}, {n}, {sha}, {path}, {user})."""
    path = call.path.replace(f"/repos/{REPO}/", "/repos/{repo}/")
    path = re.sub(r"^/repos/[^/]+/\.github/", "/repos/{owner}/.github/", path)
    path = re.sub(r"/contents/.+", "/contents/{path}", path)
    path = re.sub(r"^/users/[^/]+/", "/users/{user}/", path)
    path = re.sub(r"\b[0-9a-f]{40}\b", "{sha}", path)
    path = re.sub(r"/\d+(?=/|$)", "/{n}", path)
    return f"{call.method} {path}"


def kind(call: Call) -> str:
    if call.path.endswith("/access_tokens"):
        return "token"
    if call.path == "/graphql":
        return "graphql"
    return "read" if call.method == "GET" else "write"


# ---------------------------------------------------------------- one review, end to end


@dataclass
class Review:
    size: int
    hollow: bool
    to_check_seconds: float  # webhook sent -> check run completed
    to_done_seconds: float  # webhook sent -> the job's last GitHub call
    horse_cpu_seconds: float  # CPU time of the work-horse that ran the review
    calls: list[Call]
    outcome: dict[str, Any]
    conclusion: str | None

    def count(self, of_kind: str | None = None) -> int:
        return sum(1 for call in self.calls if (kind(call) == of_kind if of_kind else kind(call) != "token"))


@dataclass
class Bench:
    """The stand-in, the two bot processes and Redis, and the next pull request number."""

    standin: TimedStandin
    web_url: str
    processes: list[Process]
    redis_connection: Any
    next_number: int = 100
    client: httpx.Client = field(default_factory=lambda: httpx.Client(trust_env=False, timeout=10))

    def review(self, change: Change, size: int, hollow: bool) -> Review:
        """Open a pull request with `change`, send its `opened` webhook, and wait for the review to finish."""
        from rq.job import Job

        number = self.next_number
        self.next_number += 1
        head = self.standin.add_pull(REPO, number, change.files, seed=uuid.uuid4().hex, pull_json={"user": {"login": AUTHOR, "type": "User"}})
        self.redis_connection.delete(star_key(STAR_REPO, AUTHOR))  # each review pays its star check, as a first push does
        payload = {
            "action": "opened",
            "number": number,
            "pull_request": self.standin.repos[REPO].pulls[number],
            "repository": {"full_name": REPO, "name": REPO.split("/")[1], "owner": {"login": REPO.split("/")[0]}, "default_branch": "main"},
            "installation": {"id": INSTALLATION_ID},
        }
        body = json.dumps(payload).encode("utf-8")
        headers = {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": str(uuid.uuid4()), "X-Hub-Signature-256": signature(SECRET, body), "Content-Type": "application/json"}
        worker = self.processes[1]
        horses_cpu = worker.reaped_children_cpu_seconds()
        first_call = len(self.standin.timeline)
        sent = time.perf_counter()
        answer = self.client.post(self.web_url + WEBHOOK_PATH, content=body, headers=headers)
        if answer.status_code != 202 or answer.json().get("status") != "queued":
            raise RuntimeError(f"the webhook was not queued: {answer.status_code} {answer.text}")
        completed = self.standin.wait_completed(head, REVIEW_TIMEOUT)
        job_id = review_job_id(REPO, number, head)

        def finished() -> Job | None:
            job = Job.fetch(job_id, connection=self.redis_connection)
            status = job.get_status(refresh=True)
            if status in ("failed", "stopped", "canceled"):
                raise RuntimeError(f"review job {job_id} {status}:\n" + "\n".join(p.log_tail() for p in self.processes))
            return job if status == "finished" else None

        job = wait_until(finished, f"review job {job_id}", REVIEW_TIMEOUT, self.processes)
        calls = self.standin.timeline[first_call:]
        (run,) = self.standin.runs_for(head)
        # The worker reaps the horse just after the job ends; a horse uses at least a clock tick, so its CPU then shows.
        horse_cpu = wait_until(lambda: max(0.0, worker.reaped_children_cpu_seconds() - horses_cpu), "the work-horse to be reaped", 30, self.processes)
        review = Review(size, hollow, completed - sent, calls[-1].at - sent, horse_cpu, calls, job.return_value() or {}, run["conclusion"])
        check_review(review)
        return review


def check_review(review: Review) -> None:
    """A review that did not do its whole work would make every figure meaningless: stop the benchmark instead."""
    if review.outcome.get("status") != "reviewed":
        raise RuntimeError(f"the {review.size}-file review ended {review.outcome!r}")
    if review.hollow and review.size and (review.conclusion != "failure" or review.outcome.get("findings", 0) < review.size):
        raise RuntimeError(f"the {review.size}-file review missed the hollow functions: {review.conclusion}, {review.outcome!r}")


def start_bench(log_dir: Path, sources: dict[str, str]) -> tuple[Bench, StandinServer]:
    private_key, public_key = generate_app_key()
    app_id = random.randint(10**6, 10**9)
    standin = TimedStandin(app_id, public_key)
    standin.add_repo(REPO, {"README.md": "# shop\n", **{path: base_text(text) for path, text in sources.items()}})
    server = StandinServer(standin).__enter__()
    redis_connection = bench_redis()
    env = {**bot_environment(app_id, private_key, SECRET, server.url, QUEUE), "AINASCAN_STAR_REPO": STAR_REPO}
    port = free_port()
    web = Process("serve", [*ainascan_command(), "serve", "--host", "127.0.0.1", "--port", str(port)], env, log_dir)
    worker = Process("worker", [*ainascan_command(), "worker"], env, log_dir)
    bench = Bench(standin, f"http://127.0.0.1:{port}", [web, worker], redis_connection)
    wait_ready(bench.web_url, "/readyz", bench.processes)
    return bench, server


def analysis_seconds(python_files: list[tuple[str, str]]) -> tuple[float, float]:
    """(wall, CPU) seconds of the analyzer alone on (path, text) pairs with the options the worker uses; run in the baseline process."""
    options = DEFAULT_CONFIG.scan_options()
    started, cpu = time.perf_counter(), time.process_time()
    for path, text in python_files:
        scan_source(text, path, options)
    return time.perf_counter() - started, time.process_time() - cpu


def python_sources(change: Change) -> list[tuple[str, str]]:
    return [(path, text) for path, text in change.files.items() if path.endswith(".py")]


# ---------------------------------------------------------------- the report


def calls_table(reviews: dict[tuple[int, bool], Review]) -> list[str]:
    rows = [
        "| changed Python files | pull request | findings introduced | inline comments | token calls | REST reads | GraphQL queries | writes | calls (without token) | target |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (size, hollow), review in sorted(reviews.items(), key=lambda item: (item[0][0], not item[0][1])):
        target = passed(review.count() <= CALL_TARGET) + f" (≤ {CALL_TARGET})" if size == TARGET_SIZE else ""
        label = "corpus code + 1 hollow function a file" if hollow else "corpus code only"
        if size == 0:
            label = "README.md only"
        rows.append(
            f"| {size} | {label} | {review.outcome.get('findings', 0)} | {review.outcome.get('comments_posted', 0)} | {review.count('token')} | "
            f"{review.count('read')} | {review.count('graphql')} | {review.count('write')} | **{review.count()}** | {target} |"
        )
    return rows


def endpoint_table(reviews: list[Review]) -> list[str]:
    """Calls per endpoint (and answer), one column per pull request size: which ones grow with the size."""
    counts = [Counter(f"{endpoint(call)} → {call.status}" for call in review.calls) for review in reviews]
    names = sorted(set().union(*counts), key=lambda name: (name.split(" ")[1], name))
    rows = ["| endpoint → answer, by changed Python files: | " + " | ".join(str(r.size) for r in reviews) + " |", "|---|" + "---|" * len(reviews)]
    rows += [f"| `{name}` | " + " | ".join(str(count[name]) for count in counts) + " |" for name in names]
    rows.append("| **all** | " + " | ".join(f"**{len(r.calls)}**" for r in reviews) + " |")
    return rows


def growth(reviews: dict[tuple[int, bool], Review], hollow: bool) -> float:
    small, large = reviews[(TARGET_SIZE, hollow)], reviews[(SIZES[-1], hollow)]
    return (large.count() - small.count()) / (SIZES[-1] - TARGET_SIZE)


def timing_table(timed: dict[int, list[Review]], analysis: dict[int, list[tuple[float, float]]], lines: dict[int, int]) -> list[str]:
    rows = [
        "| changed Python files | lines analyzed | webhook → check run completed, ms | webhook → review posted, ms | analysis alone, ms | × analysis | "
        "work-horse CPU, ms | analysis alone, CPU ms | × analysis, CPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for size in SIZES:
        check = [r.to_check_seconds for r in timed[size]]
        done = [r.to_done_seconds for r in timed[size]]
        horse = [r.horse_cpu_seconds for r in timed[size]]
        wall, cpu = [w for w, _ in analysis[size]], [c for _, c in analysis[size]]
        if size:
            alone = f"{spread(wall, 1000, 1)} | {median(check) / median(wall):.2f}× | {spread(horse, 1000)} | {spread(cpu, 1000, 1)} | {median(horse) / median(cpu):.2f}× |"
        else:
            alone = f"— | — | {spread(horse, 1000)} | — | — |"
        rows.append(f"| {size if size else '0 (README.md only)'} | {lines[size]:,} | {spread(check, 1000)} | {spread(done, 1000)} | {alone}")
    return rows


def render(machine: dict[str, str], facts: dict[str, str], reviews: dict[tuple[int, bool], Review], timed: dict[int, list[Review]], analysis, lines, warmup: Review, runs: int) -> str:
    at_target = reviews[(TARGET_SIZE, True)]
    slope_hollow, slope_clean = growth(reviews, True), growth(reviews, False)
    return "\n".join(
        [
            "# The bot: GitHub API calls per review, and webhook to check run",
            "",
            "Generated by `make bench` (`bench/bot_calls.py`); do not edit by hand.",
            "",
            "## Machine",
            "",
            *machine_table({**machine, **facts}),
            "",
            "## Targets",
            "",
            "| target | measured | |",
            "|---|---|---|",
            f"| at most {CALL_TARGET} GitHub API calls for a {TARGET_SIZE}-file pull request (token calls apart) | "
            f"{at_target.count()} (with a BLOCK in every file), {reviews[(TARGET_SIZE, False)].count()} (corpus code only) | "
            f"{passed(max(at_target.count(), reviews[(TARGET_SIZE, False)].count()) <= CALL_TARGET)} |",
            f"| the number does not grow with each file: extra calls per extra file, {TARGET_SIZE} → {SIZES[-1]} files, at most {GROWTH_LIMIT} | "
            f"{slope_hollow:.3f} (with a BLOCK in every file), {slope_clean:.3f} (corpus code only) | {passed(max(slope_hollow, slope_clean) <= GROWTH_LIMIT)} |",
            "",
            "## GitHub API calls per review",
            "",
            f"One review each, worker warm. Token calls are the installation tokens minted during the review: the warm-up review minted "
            f"{warmup.count('token')}, and every later review reused it from Redis (tokens live an hour).",
            "",
            *calls_table(reviews),
            "",
            "### By endpoint, with a BLOCK in every file",
            "",
            *endpoint_table([reviews[(size, True)] for size in SIZES if size]),
            "",
            "The configuration is one GraphQL query (the repository's `.github/ainascan.yml` and the owner's `.github` repository's; the",
            "bench repository has neither), so a review makes one GraphQL query more than it reads blobs in. The star gate is on",
            f"(`AINASCAN_STAR_REPO={STAR_REPO}`) and the author has not starred it: `GET /users/{{user}}/starred` is the quick gate check behind",
            "the trend line, one page at most; its answer is cached, and the cache is emptied before each review so that every review pays it.",
            "File listings come 100 a page, blob contents 50 a GraphQL query, annotations 50 a check run update:",
            "each further 50 findings add one check run update whatever the number of files (GitHub takes at most 50 annotations a request).",
            "",
            f"## Webhook to completed check run ({runs} runs each, one worker, warm)",
            "",
            *timing_table(timed, analysis, lines),
            "",
            "- *webhook → check run completed*: from sending the signed `pull_request` webhook to `ainascan serve` until the stand-in GitHub",
            "  applied the update that completed the `AINAScan` check run; *→ review posted*: until the job's last GitHub call (the inline review).",
            "- *analysis alone*: `scan_source` on the same files in a warm process of its own, measured in the same rounds, wall and CPU time;",
            "  *× analysis* is the review's median over the analysis's. *work-horse CPU* is the CPU time of the process the worker forked for the",
            "  review (read from the worker's reaped children): everything the review did, analysis included. The README-only pull request has",
            "  nothing to analyze: its figures are the bot's fixed cost (queue, fork, GitHub calls, publishing).",
            "- On a busy machine wall times vary with the load; CPU times much less, and *× analysis, CPU* is the steadier measure of the bot's overhead.",
            "- Each size is a new pull request per run, with the hollow function in each file; medians (min–max) of the runs, rounds interleaved.",
            "",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help=f"timed reviews of each size (default {RUNS})")
    runs = parser.parse_args().runs
    root, files = corpus_sample(max(SIZES))
    sources = {str(path.relative_to(root)): path.read_text("utf-8") for path in files}
    # The baseline runs in a process of its own, as the worker's work-horse does: this one holds the stand-in's growing state.
    with tempfile.TemporaryDirectory(prefix="ainascan-bench-calls-") as scratch, multiprocessing.get_context("spawn").Pool(1) as baseline:
        baseline.apply(analysis_seconds, (python_sources(changes(sources, 1, hollow=True)),))  # warm: rule catalog, first calls
        bench, server = start_bench(Path(scratch), sources)
        load_before = load_average()
        try:
            machine = machine_description(bench.redis_connection)
            warmup = bench.review(changes(sources, 1, hollow=True), 1, True)
            timed: dict[int, list[Review]] = {size: [] for size in SIZES}
            analysis: dict[int, list[tuple[float, float]]] = {size: [] for size in SIZES}
            for run in range(runs):
                for size in SIZES:
                    change = changes(sources, size, hollow=True)
                    timed[size].append(bench.review(change, size, True))
                    analysis[size].append(baseline.apply(analysis_seconds, (python_sources(change),)))
                    print(f"run {run + 1}/{runs}, {size} files: {timed[size][-1].to_check_seconds * 1000:,.0f} ms, {timed[size][-1].count()} calls", flush=True)
            reviews = {(size, True): timed[size][-1] for size in SIZES}
            for size in SIZES[1:]:
                reviews[(size, False)] = bench.review(changes(sources, size, hollow=False), size, False)
            for size in SIZES:
                counts = {review.count() for review in timed[size]}
                if len(counts) != 1:
                    raise RuntimeError(f"the {size}-file review made a different number of calls from run to run: {sorted(counts)}")
        finally:
            for process in bench.processes:
                process.stop()
            server.__exit__(None, None, None)
            bench.redis_connection.flushdb()
    lines = {size: changes(sources, size, True).lines for size in SIZES}
    facts = {
        "corpus files": f"{len(files)} files of {min(count_lines(p) for p in files)}–{max(count_lines(p) for p in files)} lines from bench/corpus.py",
        "Redis database": BENCH_REDIS_URL,
        "load average (1/5/15 min) before": load_before,
        "load average (1/5/15 min) after": load_average(),
    }
    report = render(machine, facts, reviews, timed, analysis, lines, warmup, runs)
    path = write_result("bot_calls.md", report)
    print(report)
    print(f"written to {path}")


if __name__ == "__main__":
    main()
