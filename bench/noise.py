"""Noise, measured: every rule's findings per 1,000 lines on mature, real packages.

Scans the pinned corpus of bench/corpus.py (real PyPI packages, never
imported), and writes bench/results/noise.md: findings per rule and per
1,000 lines, BLOCK per 1,000 lines against the 0.02 target, and every BLOCK
finding listed for the hand audit kept in bench/results/audit.md.

    python bench/noise.py            # scan, write bench/results/noise.md
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analyzer.engine import ScanOptions  # noqa: E402
from analyzer.model import Severity  # noqa: E402
from analyzer.registry import all_rules  # noqa: E402
from analyzer.scanner import scan_paths  # noqa: E402
from bench.corpus import PINS, ensure_corpus, python_files  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
BLOCK_TARGET_PER_KLOC = 0.02


def measure(root: Path) -> tuple[dict, list]:
    files = [str(p) for p in python_files(root)]
    started = time.perf_counter()
    result = scan_paths(files, ScanOptions(), jobs=os.cpu_count())
    elapsed = time.perf_counter() - started
    prefix = str(root) + os.sep
    findings = [replace(f, path=f.path.removeprefix(prefix)) for f in result.findings]
    return {"files": result.files_scanned, "lines": result.lines_scanned, "errors": len(result.errors), "seconds": elapsed}, findings


def render(stats: dict, findings: list) -> str:
    kloc = stats["lines"] / 1000
    by_rule = Counter(f.rule_id for f in findings)
    block = [f for f in findings if f.severity is Severity.BLOCK]
    block_per_kloc = len(block) / kloc
    verdict = "meets" if block_per_kloc <= BLOCK_TARGET_PER_KLOC else "MISSES"
    lines = [
        "# Noise on real code",
        "",
        f"Measured {date.today().isoformat()} with `python bench/noise.py` on {platform.python_implementation()} {platform.python_version()}.",
        f"Corpus: {', '.join(PINS)} — {stats['files']:,} files, {stats['lines']:,} lines ({stats['errors']} not analyzable).",
        "",
        f"**BLOCK findings: {len(block)}, {block_per_kloc:.4f} per 1,000 lines** — target at most {BLOCK_TARGET_PER_KLOC} ({verdict} it).",
        f"WARN findings: {len(findings) - len(block)}, {(len(findings) - len(block)) / kloc:.3f} per 1,000 lines.",
        "",
        "| Rule | Default severity | BLOCK findings | WARN findings | All per 1,000 lines |",
        "|---|---|---:|---:|---:|",
    ]
    block_by_rule = Counter(f.rule_id for f in block)
    for rule_id, rule in all_rules().items():
        count = by_rule.get(rule_id, 0)
        blocks = block_by_rule.get(rule_id, 0)
        lines.append(f"| {rule_id} | {rule.severity.name} | {blocks} | {count - blocks} | {count / kloc:.4f} |")
    lines += ["", "## Every BLOCK finding (audited by hand in [audit.md](audit.md))", ""]
    if not block:
        lines.append("None.")
    for f in sorted(block, key=lambda f: (f.rule_id, f.path, f.line)):
        lines.append(f"- `{f.rule_id}` {f.path}:{f.line} — {f.message}")
    return "\n".join(lines) + "\n"


def main() -> int:
    root = ensure_corpus()
    stats, findings = measure(root)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "noise.md").write_text(render(stats, findings), encoding="utf-8")
    block = sum(1 for f in findings if f.severity is Severity.BLOCK)
    print(f"noise: {stats['lines']:,} lines, {block} BLOCK, {len(findings) - block} WARN in {stats['seconds']:.1f}s -> bench/results/noise.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
