"""HIGH_COMPLEXITY and DEEP_NESTING report the numbers analyzer.complexity computes, where the structure report shows them."""

from __future__ import annotations

import ast

from analyzer.complexity import COMPLEXITY_THRESHOLD, cyclomatic_complexity, deepest_block
from analyzer.engine import ScanOptions, scan_source
from analyzer.registry import all_rules


def scan(source: str, rule_id: str):
    result = scan_source(source, "app/logic.py", ScanOptions(rules=[all_rules()[rule_id]]))
    assert result.error is None, result.error
    return result.findings


def test_the_reported_complexity_is_the_computed_one():
    branches = "".join(f"    if x == {i} or x == -{i}:\n        return {i}\n" for i in range(9))
    source = "def pick(x):\n" + branches + "    return None\n"
    expected = cyclomatic_complexity(ast.parse(source).body[0])
    assert expected > COMPLEXITY_THRESHOLD
    [finding] = scan(source, "HIGH_COMPLEXITY")
    assert finding.line == 1 and f"complexity {expected}" in finding.message


def test_a_one_line_boolean_chain_counts_too():
    source = "def ok(v):\n    return " + " and ".join(f"v.f{i}" for i in range(17)) + "\n"
    [finding] = scan(source, "HIGH_COMPLEXITY")
    assert "complexity 17" in finding.message


def test_deep_nesting_names_the_chain_of_blocks():
    source = "def f(a):\n    for x in a:\n        if x:\n            while x:\n                with x:\n                    try:\n                        pass\n                    except E:\n                        pass\n"
    assert deepest_block(ast.parse(source).body[0]).depth == 5
    [finding] = scan(source, "DEEP_NESTING")
    assert finding.line == 6 and "for > if > while > with > try" in finding.message
