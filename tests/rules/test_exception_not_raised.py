"""EXCEPTION_NOT_RAISED beyond its fixture: the fix adds `raise` and nothing else."""

from __future__ import annotations

import ast

from analyzer.engine import ScanOptions, scan_source
from analyzer.registry import all_rules

RULE = all_rules()["EXCEPTION_NOT_RAISED"]


def findings(source: str):
    return scan_source(source, "app/payments.py", ScanOptions(rules=[RULE])).findings


def apply(source: str, fix) -> str:
    lines = source.splitlines()
    lines[fix.start_line - 1 : fix.end_line] = fix.replacement.splitlines()
    return "\n".join(lines) + "\n"


def test_fix_raises_the_exception_it_built():
    source = "def pay(amount):\n    if amount <= 0:\n        ValueError(\n            'no'\n        )\n    return amount\n"
    [finding] = findings(source)
    fixed = apply(source, finding.fix)
    statement = ast.parse(fixed).body[0].body[0].body[0]
    assert isinstance(statement, ast.Raise) and ast.unparse(statement.exc) == "ValueError('no')"
    assert findings(fixed) == []


def test_no_fix_when_the_statement_shares_its_line():
    [finding] = findings("def pay(amount):\n    if amount <= 0: ValueError('no')\n    return amount\n")
    assert finding.fix is None
