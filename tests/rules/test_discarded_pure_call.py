"""DISCARDED_PURE_CALL beyond its fixture: the rebinding fix, and where no fix is offered."""

from __future__ import annotations

import pytest

from analyzer.engine import ScanOptions, scan_source
from analyzer.registry import all_rules

RULE = all_rules()["DISCARDED_PURE_CALL"]


def findings(source: str, path: str = "app/users.py"):
    return scan_source(source, path, ScanOptions(rules=[RULE])).findings


@pytest.mark.parametrize(
    "statement, fixed",
    [
        ("email.strip()", "email = email.strip()"),
        ("when.replace(tzinfo=utc)", "when = when.replace(tzinfo=utc)"),
        ("sorted(scores, reverse=True)", "scores = sorted(scores, reverse=True)"),
    ],
)
def test_fix_keeps_the_result_in_the_local_name(statement, fixed):
    source = f"def f(email, when, scores, utc):\n    {statement}\n    return email\n"
    [finding] = findings(source)
    assert finding.fix.replacement == f"    {fixed}"
    assert findings(source.replace(statement, fixed)) == []


@pytest.mark.parametrize("statement", ["user.name.strip()", "os.path.join(base, name)", "email.split('@')"])
def test_no_fix_where_rebinding_is_not_the_obvious_repair(statement):
    [finding] = findings(f"import os\ndef f(user, base, name, email):\n    {statement}\n")
    assert finding.fix is None


def test_test_files_may_call_for_the_exception():
    assert findings("def test_sorting():\n    sorted([1, 'a'])\n", "tests/test_sorting.py") == []
