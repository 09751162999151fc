"""Draw the per-rule sample for the hand audit of precision, and score the audit.

Reads a JSON report of `ainascan scan --format json` over the corpus
(bench/corpus.py) and prints, for every rule with findings, a random sample of
at most K findings (K=12 by default) to open and judge by hand. Each rule is
drawn with its own generator, `random.Random(f"{seed}:{rule_id}")`, from its
findings sorted by (path, line, message), so a rule's sample depends only on
the seed and on that rule's own findings. The verdicts go into
bench/results/precision.json; `--score` reads that file back and prints the
table of bench/results/precision.md with each rule's measured precision and
the 95% Wilson lower bound. Pure: no network, no import of the analyzer.

    python bench/precision_sample.py /tmp/corpus_findings.json            # the sample
    python bench/precision_sample.py --score bench/results/precision.json # the table
"""

from __future__ import annotations

import argparse
import json
import random
from collections import defaultdict

from analyzer.confidence_doc import wilson_lower_bound

SEED = 2026
PER_RULE = 12


def sample(findings: list[dict], seed: int = SEED, per_rule: int = PER_RULE) -> dict[str, list[dict]]:
    """Rule id -> at most `per_rule` of its findings, drawn with a generator seeded by (seed, rule id), in path order."""
    by_rule: dict[str, list[dict]] = defaultdict(list)
    for finding in findings:
        by_rule[finding["rule_id"]].append(finding)
    drawn = {}
    for rule_id in sorted(by_rule):
        pool = sorted(by_rule[rule_id], key=lambda f: (f["path"], f["line"], f["message"]))
        picked = random.Random(f"{seed}:{rule_id}").sample(pool, min(per_rule, len(pool)))
        drawn[rule_id] = sorted(picked, key=lambda f: (f["path"], f["line"]))
    return drawn


def _relative(path: str) -> str:
    marker = "/site/"
    return path.split(marker, 1)[1] if marker in path else path


def print_sample(report_path: str, seed: int, per_rule: int) -> None:
    with open(report_path, encoding="utf-8") as handle:
        findings = json.load(handle)["findings"]
    counts: dict[str, int] = defaultdict(int)
    for finding in findings:
        counts[finding["rule_id"]] += 1
    for rule_id, picked in sample(findings, seed, per_rule).items():
        print(f"## {rule_id}: {len(picked)} of {counts[rule_id]} (seed {seed})")
        for finding in picked:
            print(f"{_relative(finding['path'])}:{finding['line']}  [{finding['severity']}] {finding['message']}")
        print()


def print_score(result_path: str) -> None:
    with open(result_path, encoding="utf-8") as handle:
        rules = json.load(handle)["rules"]
    print("| Rule | Findings | Sampled | True | False | Precision | 95% Wilson lower bound |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for rule_id, row in sorted(rules.items(), key=lambda item: (-item[1]["findings"], item[0])):
        k, t = row["sampled"], row["true"]
        print(f"| {rule_id} | {row['findings']} | {k} | {t} | {row['false']} | {t / k:.2f} | {wilson_lower_bound(t, k):.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", nargs="?", help="JSON report of `ainascan scan --format json`")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--per-rule", type=int, default=PER_RULE)
    parser.add_argument("--score", metavar="PRECISION_JSON", help="print the table from recorded verdicts instead")
    args = parser.parse_args()
    if args.score:
        print_score(args.score)
    elif args.report:
        print_sample(args.report, args.seed, args.per_rule)
    else:
        parser.error("give a report to sample or --score PRECISION_JSON")


if __name__ == "__main__":
    main()
