"""SILENT_FAILURE beyond its fixture: which handlers block and which only warn."""

from __future__ import annotations

from analyzer.engine import ScanOptions, scan_source
from analyzer.model import Severity
from analyzer.registry import all_rules


def findings(source: str):
    result = scan_source(source, "app/payments.py", ScanOptions(rules=[all_rules()["SILENT_FAILURE"]]))
    assert result.error is None, result.error
    return result.findings


SAME_SUCCESS = """\
def charge(amount):
    try:
        gateway.charge(amount)
        return {"success": True}
    except Exception:
<comment>        return {"success": True}
"""


def test_same_success_value_in_a_handler_blocks_and_names_both_lines():
    [finding] = findings(SAME_SUCCESS.replace("<comment>", ""))
    assert finding.severity is Severity.BLOCK
    assert finding.line == 6
    assert "`except Exception` (line 5)" in finding.message and "line 4" in finding.message
    assert finding.function == "charge"


def test_a_comment_saying_it_is_deliberate_makes_it_a_warning():
    [finding] = findings(SAME_SUCCESS.replace("<comment>", "        # best effort: the charge is retried nightly\n"))
    assert finding.severity is Severity.WARN
    assert "deliberate" in finding.message


def test_a_comment_that_says_nothing_of_intent_keeps_it_blocking():
    [finding] = findings(SAME_SUCCESS.replace("<comment>", "        # charge the card\n"))
    assert finding.severity is Severity.BLOCK


SWALLOWED = """\
def publish(event):
    try:
        broker.publish(event)
    except {caught}:
        pass
    return True
"""


def test_broad_swallow_then_success_blocks():
    for caught in ("Exception", "BaseException"):
        [finding] = findings(SWALLOWED.format(caught=caught))
        assert finding.severity is Severity.BLOCK
        assert finding.line == 4 and "line 6" in finding.message


def test_narrow_swallow_then_success_warns():
    [finding] = findings(SWALLOWED.format(caught="(ConnectionError, TimeoutError)"))
    assert finding.severity is Severity.WARN
    assert "except (ConnectionError, TimeoutError)" in finding.message


def test_already_done_exceptions_are_not_failures():
    assert findings(SWALLOWED.format(caught="FileNotFoundError")) == []
    assert findings(SWALLOWED.format(caught="(KeyError, FileExistsError)")) == []
