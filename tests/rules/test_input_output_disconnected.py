"""INPUT_OUTPUT_DISCONNECTED beyond its fixture: severity by evidence, and a message that names the parameters."""

from __future__ import annotations

from analyzer.engine import ScanOptions, scan_source
from analyzer.model import Severity
from analyzer.registry import all_rules


def findings(source: str, path: str = "app/pricing.py"):
    result = scan_source(source, path, ScanOptions(rules=[all_rules()["INPUT_OUTPUT_DISCONNECTED"]]))
    assert result.error is None, result.error
    return result.findings


def test_block_when_most_parameters_are_ignored_and_the_result_is_constant():
    source = (
        "def calculate_discount(user_tier, purchase_amount, promo_code):\n"
        "    base_discount = 0.10\n"
        '    return {"discount": base_discount, "final": purchase_amount * 0.90}\n'
    )
    [finding] = findings(source)
    assert finding.severity is Severity.BLOCK
    assert "`user_tier`, `promo_code`" in finding.message and "line 1" in finding.message
    assert "line 3 is built from constants" in finding.message
    assert set(finding.evidence_lines) == {1, 3}


def test_warn_when_only_a_minority_is_ignored():
    source = "def monthly(principal, rate, months):\n    return principal * rate\n"
    [finding] = findings(source)
    assert finding.severity is Severity.WARN
    assert "`months`" in finding.message and "`rate`" not in finding.message


def test_warn_when_the_result_comes_from_a_call():
    source = "def recommend(user_id, history):\n    return fetch_bestsellers()\n"
    [finding] = findings(source)
    assert finding.severity is Severity.WARN


def test_a_result_read_from_a_global_is_not_built_from_constants():
    source = "RATE = load_rate()\n\ndef fee(amount, region):\n    return {'fee': RATE}\n"
    [finding] = findings(source)
    assert finding.severity is Severity.WARN


def test_logged_parameters_are_named_as_only_logged():
    source = "def quote(country, weight):\n    log.info('q %s %s', country, weight)\n    return 4.99 if True else 0\n"
    [finding] = findings(source)
    assert "only reach a log call" in finding.message


def test_test_files_are_not_judged():
    source = "def helper(a, b):\n    x = 1\n    return {'x': x}\n"
    assert findings(source, "tests/test_pricing.py") == []
    assert findings(source) != []
