"""Tests for bot/budget.py: the per-file CPU budget around the analyzer."""

from __future__ import annotations

import signal
import threading

from analyzer.engine import ScanOptions
from bot.budget import cpu_budget, scan_within

HEAVY = "".join(f"FIELD_{n} = {{'id': {n}, 'tags': [{n}, {n + 1}]}}\n" for n in range(6_000))


def test_a_small_file_is_scanned_normally():
    result = scan_within("def f(x):\n    return x\n", "small.py", ScanOptions(), 5.0)
    assert result.error is None and result.lines == 2


def test_a_file_over_its_budget_becomes_a_time_budget_error_and_the_timer_is_restored():
    previous = signal.getsignal(signal.SIGVTALRM)
    result = scan_within(HEAVY, "heavy.py", ScanOptions(), 0.05)
    assert result.error is not None and result.error.kind == "time-budget" and result.findings == []
    assert signal.getitimer(signal.ITIMER_VIRTUAL) == (0.0, 0.0)
    assert signal.getsignal(signal.SIGVTALRM) == previous


def test_no_budget_off_the_main_thread_but_the_scan_still_runs():
    results = []
    thread = threading.Thread(target=lambda: results.append(scan_within(HEAVY, "heavy.py", ScanOptions(), 0.05)))
    thread.start()
    thread.join()
    assert results[0].error is None


def test_a_budget_of_zero_is_no_budget():
    with cpu_budget(0) as budget:
        sum(range(10_000))
    assert budget.exceeded is False
