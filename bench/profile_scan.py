"""Where `ainascan scan` spends its time beyond parsing: cProfile (CPU clock) over a slice of the corpus, in one process.

Not part of `make bench`; run it when the speed benchmark says the scan is
far above the parse floor: `python bench/profile_scan.py [--every K] [--top N]`.
It prints the functions with the most own time, then the analyzer's functions
by cumulative time, so a hot spot shows with the rule or walk step it sits in.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time

from analyzer.engine import ScanOptions, scan_source
from corpus import corpus_lines, ensure_corpus, python_files


def profile_scan(every: int) -> tuple[pstats.Stats, int]:
    """Profile scanning every `every`-th corpus file from bytes, as the CLI does; return the stats and lines read."""
    root = ensure_corpus()
    files = python_files(root)[::every]
    blobs = [(str(path.relative_to(root)), path.read_bytes()) for path in files]
    options = ScanOptions()
    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for name, data in blobs:
        scan_source(data, name, options)
    profiler.disable()
    return pstats.Stats(profiler), corpus_lines(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=4, help="profile every K-th file of the corpus (default 4)")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    stats, lines = profile_scan(args.every)
    print(f"{lines:,} lines profiled\n")
    stats.sort_stats("tottime").print_stats(args.top)
    stats.sort_stats("cumulative").print_stats("analyzer", args.top)


if __name__ == "__main__":
    main()
