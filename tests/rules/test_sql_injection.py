"""SQL_INJECTION beyond its fixture: severity by what is spliced, evidence lines, statements that take no parameters."""

from __future__ import annotations

from analyzer.engine import ScanOptions, scan_source
from analyzer.model import Severity
from analyzer.registry import all_rules


def findings(source: str):
    result = scan_source(source, "app/db.py", ScanOptions(rules=[all_rules()["SQL_INJECTION"]]))
    assert result.error is None, result.error
    return result.findings


def test_a_plain_value_blocks_and_a_computed_one_warns():
    [plain] = findings("def f(cur, name):\n    cur.execute(f\"SELECT * FROM t WHERE name = '{name}'\")\n")
    assert plain.severity is Severity.BLOCK
    assert "`name`" in plain.message and "WHERE name = '{name}'" in plain.message
    [computed] = findings("def f(cur, name):\n    cur.execute(f\"SELECT * FROM t WHERE name = '{name.strip()}'\")\n")
    assert computed.severity is Severity.WARN


def test_sql_built_in_a_variable_names_both_lines():
    source = "def f(cur, status):\n    sql = 'SELECT * FROM t WHERE 1=1'\n    sql += f\" AND status = '{status}'\"\n    cur.execute(sql)\n"
    [finding] = findings(source)
    assert finding.line == 4 and finding.evidence == (3, 4)
    assert "(`sql`, built on line 3)" in finding.message


def test_statements_without_parameters_and_module_level_sql_are_left_alone():
    assert findings("def f(cur, name):\n    cur.execute(f\"SET search_path = '{name}'\")\n") == []
    assert findings("def f(cur, name):\n    cur.execute(f\"SHOW VARIABLES LIKE '{name}'\")\n") == []
