"""MOCK_DATA_RETURNED beyond its fixture: a literal returned is a block, a literal list filtered is a warning."""

from __future__ import annotations

from analyzer.engine import ScanOptions, scan_source
from analyzer.model import Severity
from analyzer.registry import all_rules

RULE = all_rules()["MOCK_DATA_RETURNED"]


def findings(source: str):
    return scan_source(source, "app/orders.py", ScanOptions(rules=[RULE])).findings


def test_literal_records_returned_block():
    [finding] = findings("def get_orders(user_id):\n    return [{'id': 1, 'item': 'Widget'}, {'id': 2, 'item': 'Gadget'}]\n")
    assert finding.severity is Severity.BLOCK
    assert "2 hard-coded records" in finding.message and "`user_id`" in finding.message


def test_filtering_a_literal_list_built_inside_warns():
    source = (
        "def find_order(order_id):\n"
        "    orders = [{'id': 1, 'item': 'Widget'}]\n"
        "    return [o for o in orders if o['id'] == order_id]\n"
    )
    [finding] = findings(source)
    assert finding.severity is Severity.WARN
    assert "`orders`" in finding.message and "line 2" in finding.message


def test_records_built_from_the_inputs_are_not_mock_data():
    assert findings("def get_rows(user_id):\n    return [{'id': user_id, 'item': 'Widget'}]\n") == []
