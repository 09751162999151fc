"""`make bench`: how fast `ainascan scan` is next to the parse floor, ruff, bandit, pylint and vulture.

One run on this machine times every command several times as a subprocess
(wall time; CPU time and peak resident memory of the child and the workers it
reaped, from os.wait4), rounds interleaved so that a burst of load elsewhere
hits every command alike. It then times one pull request's analysis in
process, and writes the tables to bench/results/analyzer_speed.md. The corpus
comes from bench/corpus.py; the other tools live in their own pinned venv
under bench/.tools, never in the project's dependencies.
"""

from __future__ import annotations

import ast
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from analyzer import __version__ as ainascan_version
from analyzer.engine import ScanOptions, scan_source
from corpus import PINS, corpus_lines, count_lines, ensure_corpus, python_files

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results" / "analyzer_speed.md"
TOOLS_VENV = BENCH / ".tools" / "venv"
TOOL_PINS = ("ruff==0.17.6", "bandit==1.9.4", "pylint==4.1.4", "vulture==2.16")

RUNS = 5
# bandit and vulture take 15-40 s of CPU a run on the whole corpus, pylint over
# ten minutes: five runs of each would keep `make bench` past its 15 minutes. They
# run on whole packages of the corpus instead, next to `ainascan` and the parse
# floor on the same packages, so every ratio still compares like with like.
TOOLS_SUBSET = ("flask", "requests", "click", "jinja2", "werkzeug", "fastapi", "pydantic")  # all but Django and SQLAlchemy
PYLINT_SUBSET = ("flask", "requests")
TOOLS = "tools subset: "
PYLINT = "pylint subset: "

PR_FILES = 10
PR_FILE_LINES = 300
PR_REPETITIONS = 50

FLOOR_LIMIT = 2.0
BANDIT_MARGIN = 5.0
PYLINT_MARGIN = 30.0
MEMORY_LIMIT_MB = 200.0


@dataclass(frozen=True)
class Run:
    """One timed execution of a command."""

    wall: float
    cpu: float
    peak_mb: float
    load: float  # the machine's 1-minute load average as the run started


@dataclass(frozen=True)
class Command:
    """A command to time: what it reads, with how many processes, and which floor it is held against."""

    label: str
    argv: tuple[str, ...]
    processes: str
    lines: int
    floor: str | None
    ok_codes: frozenset[int] = frozenset({0})
    runs: int = RUNS
    cwd: Path | None = None


@dataclass(frozen=True)
class Measurement:
    """A command and its runs, summarised by medians."""

    command: Command
    runs: tuple[Run, ...]

    @property
    def walls(self) -> list[float]:
        return [run.wall for run in self.runs]

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def cpu(self) -> float:
        return statistics.median(run.cpu for run in self.runs)

    @property
    def peak_mb(self) -> float:
        return max(run.peak_mb for run in self.runs)

    @property
    def lines_per_second(self) -> float:
        return self.command.lines / self.wall


@dataclass(frozen=True)
class PullRequestCost:
    """In-process timings of one pull request's files, (wall, CPU) seconds per repetition: full scan, `ast.parse` alone."""

    files: tuple[tuple[str, int], ...]
    scan_seconds: tuple[tuple[float, float], ...]
    parse_seconds: tuple[tuple[float, float], ...]

    @property
    def lines(self) -> int:
        return sum(lines for _, lines in self.files)

    def per_line_us(self, seconds: tuple[tuple[float, float], ...], clock: int) -> float:
        """Median microseconds per line on the wall clock (0) or the CPU clock (1)."""
        return statistics.median(pair[clock] for pair in seconds) / self.lines * 1e6


# ---------------------------------------------------------------- running


def run_once(command: Command) -> Run:
    """Run a command once with its output discarded; its exit code must be one it is allowed."""
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile() as stderr:
        start = time.perf_counter()
        process = subprocess.Popen(command.argv, cwd=command.cwd, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode not in command.ok_codes:
            stderr.seek(0)
            tail = stderr.read()[-2000:].decode("utf-8", "replace")
            raise RuntimeError(f"{command.label} exited {process.returncode}:\n{tail}")
    # ru_maxrss (KiB) of wait4 is the largest single process among the child and its reaped workers.
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, load)


def measure(commands: list[Command]) -> dict[str, Measurement]:
    """Time every command, one round after another, so that load elsewhere spreads over all of them."""
    runs: dict[str, list[Run]] = {command.label: [] for command in commands}
    for round_number in range(max(command.runs for command in commands)):
        for command in commands:
            if round_number < command.runs:
                runs[command.label].append(run_once(command))
                print(f"round {round_number + 1}: {command.label}: {runs[command.label][-1].wall:.2f} s", file=sys.stderr)
    return {command.label: Measurement(command, tuple(runs[command.label])) for command in commands}


def ensure_tools(venv: Path = TOOLS_VENV, pins: tuple[str, ...] = TOOL_PINS) -> Path:
    """A venv holding the pinned comparison tools; reinstalled when the pins change. Returns its bin folder."""
    stamp = venv / "bench-pins.txt"
    wanted = "\n".join(pins)
    if not stamp.is_file() or stamp.read_text() != wanted:
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", *pins], check=True)
        stamp.write_text(wanted)
    return venv / "bin"


def precompile_project() -> None:
    """Write the bytecode of analyzer/ and bot/, as an installed package has it.

    PYTHONDONTWRITEBYTECODE (set in some environments) would otherwise make
    every timed `ainascan` run compile its ~75 modules again.
    """
    root = BENCH.parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", "analyzer", "bot"], cwd=root, check=True)


def commands_for(corpus: Path, tools: Path, lines: int, tools_lines: int, pylint_lines: int, jobs: int) -> list[Command]:
    """The commands of the benchmark: each floor first, then what is held against it."""
    python, ainascan, floor = sys.executable, str(Path(sys.executable).with_name("ainascan")), str(BENCH / "parse_floor.py")
    quiet_scan = ("--fail-on", "never", "--format", "json", "-o", os.devnull)
    tools_subset = tuple(str(corpus / package) for package in TOOLS_SUBSET)
    pylint_subset = tuple(str(corpus / package) for package in PYLINT_SUBSET)
    many = str(jobs)
    return [
        Command("parse floor, 1 process", (python, floor, "--jobs", "1", str(corpus)), "1", lines, None),
        Command(f"parse floor, {jobs} processes", (python, floor, "--jobs", many, str(corpus)), many, lines, None),
        Command("ainascan scan --jobs 1", (ainascan, "scan", str(corpus), "--jobs", "1", *quiet_scan), "1", lines, "parse floor, 1 process"),
        Command(f"ainascan scan --jobs {jobs}", (ainascan, "scan", str(corpus), "--jobs", many, *quiet_scan), many, lines, f"parse floor, {jobs} processes"),
        Command("ruff check --select ALL --no-cache", (str(tools / "ruff"), "check", "--select", "ALL", "--no-cache", str(corpus)), f"{many} threads", lines, f"parse floor, {jobs} processes", frozenset({0, 1})),
        Command(f"{TOOLS}parse floor, 1 process", (python, floor, "--jobs", "1", *tools_subset), "1", tools_lines, None),
        Command(f"{TOOLS}ainascan scan --jobs 1", (ainascan, "scan", *tools_subset, "--jobs", "1", *quiet_scan), "1", tools_lines, f"{TOOLS}parse floor, 1 process"),
        Command(f"{TOOLS}bandit -r -q", (str(tools / "bandit"), "-r", "-q", *tools_subset), "1", tools_lines, f"{TOOLS}parse floor, 1 process", frozenset({0, 1})),
        Command(f"{TOOLS}vulture", (str(tools / "vulture"), *tools_subset), "1", tools_lines, f"{TOOLS}parse floor, 1 process", frozenset({0, 3})),
        Command(f"{PYLINT}parse floor, {jobs} processes", (python, floor, "--jobs", many, *pylint_subset), many, pylint_lines, None),
        Command(f"{PYLINT}ainascan scan --jobs {jobs}", (ainascan, "scan", *pylint_subset, "--jobs", many, *quiet_scan), many, pylint_lines, f"{PYLINT}parse floor, {jobs} processes"),
        # pylint's exit code is a bit mask of the message kinds it found; 32 means it could not run.
        Command(f"{PYLINT}pylint -j {jobs}", (str(tools / "pylint"), "-j", many, *PYLINT_SUBSET), many, pylint_lines, f"{PYLINT}parse floor, {jobs} processes", frozenset(range(32)), RUNS, corpus),
    ]


def check_scan_reads_corpus(corpus: Path, files: int, lines: int) -> int:
    """Scan once untimed (warming the page cache), check it read the files we count; return its finding count."""
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        subprocess.run(
            [str(Path(sys.executable).with_name("ainascan")), "scan", str(corpus), "--fail-on", "never", "--format", "json", "-o", report.name],
            check=True,
        )
        summary = json.loads(Path(report.name).read_text())["summary"]
    if (summary["files"], summary["lines"]) != (files, lines):
        raise RuntimeError(f"ainascan read {summary['files']} files / {summary['lines']} lines, the corpus has {files} / {lines}")
    return summary["block"] + summary["warn"]


# ---------------------------------------------------------------- one pull request


def pull_request_files(files: list[Path]) -> list[Path]:
    """The PR_FILES corpus files closest to PR_FILE_LINES lines, standing in for one pull request's changes."""
    closest = sorted(files, key=lambda path: (abs(count_lines(path) - PR_FILE_LINES), str(path)))
    return sorted(closest[:PR_FILES])


def pull_request_cost(paths: list[Path], root: Path) -> PullRequestCost:
    """Median-ready timings of scanning the files in process, as the bot does, against parsing them alone."""
    blobs = [(str(path.relative_to(root)), path.read_bytes()) for path in paths]
    options = ScanOptions()

    def timed(action) -> tuple[tuple[float, float], ...]:
        action()  # warm-up: first-call caches
        seconds = []
        for _ in range(PR_REPETITIONS):
            wall, cpu = time.perf_counter(), time.process_time()
            action()
            seconds.append((time.perf_counter() - wall, time.process_time() - cpu))
        return tuple(seconds)

    scan = timed(lambda: [scan_source(data, name, options).lines for name, data in blobs])
    parse = timed(lambda: [len(ast.parse(data).body) for _, data in blobs])
    return PullRequestCost(tuple((name, count_lines(root / name)) for name, _ in blobs), scan, parse)


# ---------------------------------------------------------------- the report


def machine_description() -> dict[str, str]:
    """What the figures were measured on."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")), platform.processor())
    meminfo = Path("/proc/meminfo").read_text()
    mem_kib = int(next(line.split()[1] for line in meminfo.splitlines() if line.startswith("MemTotal")))
    git = ("git", "-C", str(BENCH.parent))
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "analyzer"], capture_output=True, text=True).stdout.strip()
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "CPU": model,
        "cores": str(os.cpu_count()),
        "memory": f"{mem_kib / 1024 / 1024:.1f} GiB",
        "OS": platform.platform(),
        "Python": platform.python_version(),
        "ainascan": f"{ainascan_version} (commit {commit or 'unknown'}{', analyzer/ with uncommitted changes' if dirty else ''})",
        "tools": ", ".join(TOOL_PINS),
    }


def _ratio(value: float, floor: float) -> str:
    return f"{value / floor:.2f}×"


def _passed(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def timing_table(measurements: list[Measurement], floors: dict[str, Measurement]) -> list[str]:
    """One Markdown row per command: medians, range, memory, throughput and multiples of its floor."""
    rows = [
        "| command | processes | runs | wall, median (min–max) | CPU (user+sys) | peak RSS per process | lines/s | × floor, wall | × floor, CPU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for m in measurements:
        floor = floors.get(m.command.floor) if m.command.floor else None
        rows.append(
            f"| `{m.command.label}` | {m.command.processes} | {len(m.runs)} "
            f"| {m.wall:.2f} s ({min(m.walls):.2f}–{max(m.walls):.2f}) | {m.cpu:.2f} s | {m.peak_mb:.0f} MB "
            f"| {m.lines_per_second:,.0f} | {_ratio(m.wall, floor.wall) if floor else '1.00×'} "
            f"| {_ratio(m.cpu, floor.cpu) if floor else '1.00×'} |"
        )
    return rows


def target_table(results: dict[str, Measurement], jobs: int) -> list[str]:
    """The targets of the issue, judged on wall-time medians and, steadier on a busy machine, on CPU-time medians."""
    one, many = results["ainascan scan --jobs 1"], results[f"ainascan scan --jobs {jobs}"]
    floor_one, floor_many = results["parse floor, 1 process"], results[f"parse floor, {jobs} processes"]
    tools_scan, bandit = results[f"{TOOLS}ainascan scan --jobs 1"], results[f"{TOOLS}bandit -r -q"]
    sub_scan, pylint = results[f"{PYLINT}ainascan scan --jobs {jobs}"], results[f"{PYLINT}pylint -j {jobs}"]
    def at_most(limit: float):
        return lambda ratio: ratio <= limit

    def at_least(limit: float):
        return lambda ratio: ratio >= limit

    targets = [
        (f"ainascan ≤ {FLOOR_LIMIT:g}× parse floor, 1 process", one.wall / floor_one.wall, one.cpu / floor_one.cpu, at_most(FLOOR_LIMIT)),
        (f"ainascan ≤ {FLOOR_LIMIT:g}× parse floor, {jobs} processes", many.wall / floor_many.wall, many.cpu / floor_many.cpu, at_most(FLOOR_LIMIT)),
        (f"bandit ≥ {BANDIT_MARGIN:g}× slower than ainascan, 1 process each, tools subset", bandit.wall / tools_scan.wall, bandit.cpu / tools_scan.cpu, at_least(BANDIT_MARGIN)),
        (f"pylint ≥ {PYLINT_MARGIN:g}× slower than ainascan, {jobs} processes each, pylint subset", pylint.wall / sub_scan.wall, pylint.cpu / sub_scan.cpu, at_least(PYLINT_MARGIN)),
    ]
    rows = ["| target | measured, wall | on wall time | measured, CPU | on CPU time |", "|---|---|---|---|---|"]
    rows += [f"| {name} | {wall:.2f}× | {_passed(judge(wall))} | {cpu:.2f}× | {_passed(judge(cpu))} |" for name, wall, cpu, judge in targets]
    for m in (one, many):
        ok = _passed(m.peak_mb < MEMORY_LIMIT_MB)
        rows.append(f"| `{m.command.label}` peak memory < {MEMORY_LIMIT_MB:.0f} MB per process | {m.peak_mb:.0f} MB | {ok} | | |")
    return rows


def render_report(
    machine: dict[str, str],
    corpus: dict[str, str],
    results: dict[str, Measurement],
    pr: PullRequestCost,
    jobs: int,
) -> str:
    """The whole Markdown page of bench/results/analyzer_speed.md."""
    whole = [m for label, m in results.items() if not label.startswith((TOOLS, PYLINT))]
    tools_subset = [m for label, m in results.items() if label.startswith(TOOLS)]
    pylint_subset = [m for label, m in results.items() if label.startswith(PYLINT)]
    scan_ms = [wall * 1000 for wall, _ in pr.scan_seconds]
    scan_cpu_ms = [cpu * 1000 for _, cpu in pr.scan_seconds]
    loads = [run.load for m in results.values() for run in m.runs]
    lines = [
        "# Analyzer speed",
        "",
        "Generated by `make bench` (`bench/analyzer_speed.py`); do not edit by hand.",
        "",
        "## Machine and corpus",
        "",
        "| | |",
        "|---|---|",
        *[f"| {key} | {value} |" for key, value in {**machine, **corpus}.items()],
        f"| load average (1 min) as each run started | median {statistics.median(loads):.2f}, max {max(loads):.2f} |",
        "",
        "## Targets",
        "",
        *target_table(results, jobs),
        "",
        f"## Whole corpus ({corpus['corpus lines']} lines)",
        "",
        *timing_table(whole, results),
        "",
        f"## Tools subset, for bandit and vulture: {', '.join(TOOLS_SUBSET)} ({corpus['tools subset lines']} lines)",
        "",
        *timing_table(tools_subset, results),
        "",
        f"## pylint subset: {', '.join(PYLINT_SUBSET)} ({corpus['pylint subset lines']} lines)",
        "",
        *timing_table(pylint_subset, results),
        "",
        f"## One pull request: {len(pr.files)} files, {pr.lines:,} lines, in process",
        "",
        f"`analyzer.engine.scan_source` on each file's bytes with one `ScanOptions()`, {PR_REPETITIONS} repetitions after a warm-up.",
        "",
        "| | wall, median (min–max) | CPU, median |",
        "|---|---|---|",
        f"| full scan of the pull request | {statistics.median(scan_ms):.1f} ms ({min(scan_ms):.1f}–{max(scan_ms):.1f}) | {statistics.median(scan_cpu_ms):.1f} ms |",
        f"| full scan, per line | {pr.per_line_us(pr.scan_seconds, 0):.1f} µs | {pr.per_line_us(pr.scan_seconds, 1):.1f} µs |",
        f"| `ast.parse` alone, per line | {pr.per_line_us(pr.parse_seconds, 0):.1f} µs | {pr.per_line_us(pr.parse_seconds, 1):.1f} µs |",
        f"| scan ÷ parse | {pr.per_line_us(pr.scan_seconds, 0) / pr.per_line_us(pr.parse_seconds, 0):.2f}× | {pr.per_line_us(pr.scan_seconds, 1) / pr.per_line_us(pr.parse_seconds, 1):.2f}× |",
        "",
        "Files: " + ", ".join(f"`{name}` ({count})" for name, count in pr.files) + ".",
        "",
        "## How to read this",
        "",
        "- Every command runs as a subprocess with its report discarded; rounds are interleaved.",
        "  Wall time is the median; CPU is user+sys of the child and the workers it reaped (`os.wait4`).",
        "- Peak RSS is `ru_maxrss` from `os.wait4`: the largest single process of the tree, not a sum.",
        "- The project's own modules are byte-compiled (`python -m compileall -q analyzer bot`) before the runs, as an",
        "  installed package's are: `ainascan` runs do not pay for compiling them, whatever PYTHONDONTWRITEBYTECODE says.",
        "- The parse floor (`bench/parse_floor.py`) lists, reads and `ast.parse`s the same files with the",
        "  same process count, in the same interpreter as `ainascan`; every ratio is against the floor of its process count.",
        "- ruff is multi-threaded and uses every core: it is held against the N-process floor.",
        "  bandit and vulture have no parallel mode: they are held against the 1-process floor and `ainascan --jobs 1`.",
        "- bandit and vulture run on the tools subset (every package but Django and SQLAlchemy), pylint on the pylint subset,",
        "  each next to `ainascan` and the floor on the same packages in the same rounds: five runs of bandit on the whole",
        "  corpus alone would take six minutes of the `make bench` budget, and pylint over ten minutes a run.",
        "  pylint's exit code (a bit mask of findings) is ignored.",
        "- The machine may be shared: the load averages above say how busy it was (2 cores: above 2, commands waited",
        "  for a core). Wall times then run long and scatter; CPU-time ratios stay steadier, so targets are judged on both.",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    jobs = os.cpu_count() or 1
    corpus = ensure_corpus()
    files = python_files(corpus)
    lines = corpus_lines(files)
    tools_lines = sum(corpus_lines(python_files(corpus / package)) for package in TOOLS_SUBSET)
    pylint_lines = sum(corpus_lines(python_files(corpus / package)) for package in PYLINT_SUBSET)
    tools = ensure_tools()
    precompile_project()
    load_before = os.getloadavg()
    findings = check_scan_reads_corpus(corpus, len(files), lines)
    results = measure(commands_for(corpus, tools, lines, tools_lines, pylint_lines, jobs))
    pr = pull_request_cost(pull_request_files(files), corpus)
    load_after = os.getloadavg()
    corpus_facts = {
        "corpus": ", ".join(PINS) + " (installed with `pip install --no-deps --target`)",
        "corpus files": f"{len(files):,}",
        "corpus lines": f"{lines:,}",
        "ainascan findings on the corpus": str(findings),
        "tools subset lines": f"{tools_lines:,}",
        "pylint subset lines": f"{pylint_lines:,}",
        "load average (1/5/15 min) before": " / ".join(f"{x:.2f}" for x in load_before),
        "load average (1/5/15 min) after": " / ".join(f"{x:.2f}" for x in load_after),
    }
    report = render_report(machine_description(), corpus_facts, results, pr, jobs)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(report, encoding="utf-8")
    print(report)


if __name__ == "__main__":
    main()
