"""Where `ainascan scan` spends its time beyond parsing, in one process over a slice of the corpus.

Not part of `make bench`; run it when the speed benchmark says the scan is
far above the parse floor: `python bench/profile_scan.py [--every K] [--top N]`.
It prints a breakdown in CPU seconds (parse, the engine's walk and facts with
no rule, each rule's own checks less the timer's own cost), then cProfile's functions with the most own
time, so a hot spot shows with the rule or walk step it sits in.
"""

from __future__ import annotations

import argparse
import ast
import cProfile
import dataclasses
import gc
import pstats
import time
from collections import Counter

from analyzer.engine import ScanOptions, scan_source
from analyzer.registry import Rule, select_rules
from corpus import ensure_corpus, python_files

Blobs = list[tuple[str, bytes]]


def corpus_slice(every: int) -> Blobs:
    """(name, bytes) of every `every`-th corpus file."""
    root = ensure_corpus()
    return [(str(path.relative_to(root)), path.read_bytes()) for path in python_files(root)[::every]]


def cpu_seconds(action) -> float:
    start = time.process_time()
    action()
    return time.process_time() - start


def parse_without_gc(data: bytes) -> int:
    """`ast.parse` as `scan_source` runs it, with the cyclic GC paused (it would chase the new nodes for nothing)."""
    gc.disable()
    try:
        return len(ast.parse(data).body)
    finally:
        gc.enable()


def timer_overhead(samples: int = 100_000) -> float:
    """CPU seconds one empty timed interval reads, to take off each timed check."""
    spent = 0.0
    for _ in range(samples):
        start = time.process_time()
        spent += time.process_time() - start
    return spent / samples


def timed_rules(rules: list[Rule], spent: Counter, calls: Counter) -> list[Rule]:
    """The rules with each check wrapped to add its CPU time (reports included) to `spent[rule.id]`."""

    def timed(rule: Rule) -> Rule:
        def check(subject, ctx):
            start = time.process_time()
            reports = rule.check(subject, ctx)
            reports = list(reports) if reports is not None else None
            spent[rule.id] += time.process_time() - start
            calls[rule.id] += 1
            return reports

        return dataclasses.replace(rule, check=check)

    return [timed(rule) for rule in rules]


def breakdown(blobs: Blobs) -> list[tuple[str, float]]:
    """CPU seconds of parsing, of the scan without and with rules, and of each rule's checks, largest first."""
    spent: Counter = Counter()
    calls: Counter = Counter()
    timed_options = ScanOptions(rules=timed_rules(select_rules(), spent, calls))

    def scan_all(options: ScanOptions) -> float:
        return cpu_seconds(lambda: [scan_source(data, name, options).lines for name, data in blobs])

    # Trees are dropped as soon as they are parsed, and the GC is paused while one is, as in a scan.
    parse = cpu_seconds(lambda: [parse_without_gc(data) for _, data in blobs])
    no_rule = scan_all(ScanOptions(rules=[]))
    every_rule = scan_all(ScanOptions())
    scan_all(timed_options)
    overhead = timer_overhead()
    own = Counter({rule_id: max(0.0, seconds - calls[rule_id] * overhead) for rule_id, seconds in spent.items()})
    return [
        ("ast.parse alone (GC paused, as in a scan)", parse),
        ("scan, no rule: decode + parse + walk + facts", no_rule),
        ("scan, every rule", every_rule),
        ("every rule's checks (sum of the rows below)", sum(own.values())),
        *((f"rule {rule_id} ({calls[rule_id]:,} checks)", seconds) for rule_id, seconds in own.most_common()),
    ]


def profile(blobs: Blobs) -> pstats.Stats:
    """cProfile, on the CPU clock, of scanning the blobs with every rule."""
    options = ScanOptions()
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for name, data in blobs:
        scan_source(data, name, options)
    profiler.disable()
    return pstats.Stats(profiler)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=4, help="profile every K-th file of the corpus (default 4)")
    parser.add_argument("--top", type=int, default=25, help="functions to list from cProfile (0: none)")
    args = parser.parse_args()
    blobs = corpus_slice(args.every)
    lines = sum(data.count(b"\n") for _, data in blobs)
    print(f"{len(blobs)} files, {lines:,} lines\n")
    rows = breakdown(blobs)
    parse = rows[0][1]
    for label, seconds in rows:
        print(f"{seconds:8.2f} s  {seconds / parse:6.2f}× parse  {seconds / lines * 1e6:7.1f} µs/line  {label}")
    if args.top:
        print()
        profile(blobs).sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
