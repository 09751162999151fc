"""TLS_VERIFY_DISABLED beyond its fixture: the fix that removes `verify=False`, and when none is offered."""

from __future__ import annotations

import pytest

from analyzer.engine import ScanOptions, scan_source
from analyzer.registry import all_rules


def findings(source: str):
    result = scan_source(source, "app/client.py", ScanOptions(rules=[all_rules()["TLS_VERIFY_DISABLED"]]))
    assert result.error is None, result.error
    return result.findings


@pytest.mark.parametrize(
    ("line", "fixed"),
    [
        ("r = requests.get(url, verify=False)", "r = requests.get(url)"),
        ("r = requests.get(url, verify=False, timeout=5)", "r = requests.get(url, timeout=5)"),
        ("r = requests.get(url,verify = False ,timeout=5)", "r = requests.get(url,timeout=5)"),
        ("c = httpx.Client(verify=False, timeout=5)", "c = httpx.Client(timeout=5)"),
        ("c = httpx.Client(verify=False)", "c = httpx.Client()"),
        ("r = requests.post('https://é.example', json={'a': 1}, verify=False)  # note", "r = requests.post('https://é.example', json={'a': 1})  # note"),
    ],
)
def test_fix_removes_the_keyword_and_its_comma(line, fixed):
    [finding] = findings(line + "\n")
    assert finding.fix is not None
    assert (finding.fix.start_line, finding.fix.end_line, finding.fix.replacement) == (1, 1, fixed)


def test_no_fix_for_a_call_over_several_lines():
    [finding] = findings("r = requests.get(\n    url,\n    verify=False,\n)\n")
    assert finding.fix is None and finding.line == 1


def test_tests_are_not_judged():
    result = scan_source("requests.get(url, verify=False)\n", "tests/test_client.py", ScanOptions(rules=[all_rules()["TLS_VERIFY_DISABLED"]]))
    assert result.findings == []
