"""A CPU-time budget for analyzing one file, so that no source text can hold a review hostage.

The analyzer is linear in the size of what it reads, but a pull request can
bring anything: deep nesting, huge literals, generated files. `scan_within`
runs `analyzer.engine.scan_source` under a CPU-time limit (SIGVTALRM, which
counts the process's own CPU seconds and leaves SIGALRM to RQ's job timeout)
and turns an overrun into a FileError of kind `time-budget`: the file is
reported as not analyzed and the review goes on. Should the analyzer ever
raise (it promises not to), that too becomes a FileError of the file.

The signal interrupts Python code only, and only the analyzer's own frames:
it repeats every 50 ms until it lands in one, so it never raises inside a
finalizer or a logging handler; C code (the parse itself, linear in the
size of the file) finishes first. Signals reach only the main thread;
elsewhere (a thread pool) the scan runs without a budget rather than not at all.
"""

from __future__ import annotations

import os
import signal
import threading
from contextlib import contextmanager
from typing import Iterator

import analyzer
from analyzer.engine import ScanOptions, scan_source
from analyzer.model import FileError, FileResult

DEFAULT_BUDGET_SECONDS = 20.0


class BudgetExceeded(BaseException):
    """Raised inside a scan that used up its CPU time (a BaseException, so the engine's per-rule isolation cannot swallow it)."""


class Budget:
    """Whether the CPU budget of a block ran out (the signal may arrive inside C code, wrapped in another error)."""

    def __init__(self) -> None:
        self.exceeded = False


# After the budget runs out the signal repeats every RETRIGGER seconds, until one lands in the analyzer's code.
RETRIGGER_SECONDS = 0.05
ANALYZER_DIR = os.path.dirname(analyzer.__file__)


@contextmanager
def cpu_budget(seconds: float) -> Iterator[Budget]:
    """Raise BudgetExceeded once this process has spent `seconds` of CPU time in the block, and again until it leaves."""
    budget = Budget()
    if seconds <= 0 or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "ITIMER_VIRTUAL"):
        yield budget
        return

    armed = [True]

    def overrun(signum, frame):
        if not armed[0]:
            return
        budget.exceeded = True
        # Raise only inside the analyzer's own code: never in a finalizer, a logging handler or C code's callback.
        if frame is not None and frame.f_code.co_filename.startswith(ANALYZER_DIR):
            raise BudgetExceeded

    previous = signal.signal(signal.SIGVTALRM, overrun)
    signal.setitimer(signal.ITIMER_VIRTUAL, seconds, RETRIGGER_SECONDS)
    try:
        yield budget
    finally:
        for _attempt in range(100):  # a signal may land in here too: disarm first (later ones do nothing), then retry
            try:
                armed[0] = False
                signal.setitimer(signal.ITIMER_VIRTUAL, 0)
                signal.signal(signal.SIGVTALRM, previous)
                break
            except BudgetExceeded:
                continue


def scan_within(source: str | bytes, path: str, options: ScanOptions, seconds: float = DEFAULT_BUDGET_SECONDS) -> FileResult:
    """`scan_source`, or a `time-budget` FileError when the file takes more than `seconds` of CPU time."""
    result = FileResult(path)
    budget = Budget()
    try:
        with cpu_budget(seconds) as budget:
            scanned = scan_source(source, path, options)
        if not budget.exceeded:
            return scanned
    except BudgetExceeded:
        pass
    except (RecursionError, MemoryError):
        if not budget.exceeded:
            result.error = FileError(path, "too-deep", "the analyzer ran out of stack or memory on this file")
            return result
    except Exception as exc:  # the analyzer promises never to raise; if it does, one file must not sink the review
        if not budget.exceeded:
            result.error = FileError(path, "analyzer-error", f"the analyzer failed on this file ({type(exc).__name__})")
            return result
    result.error = FileError(path, "time-budget", f"analysis took more than {seconds:g} CPU seconds; not analyzed")
    return result
