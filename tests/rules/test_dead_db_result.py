"""DEAD_DB_RESULT beyond its fixture: the message names the variable, the read and the line; tests only warn."""

from __future__ import annotations

from analyzer.engine import ScanOptions, scan_source
from analyzer.model import Severity
from analyzer.registry import all_rules

SOURCE = """\
def stats(db, user_id):
    rows = db.execute("SELECT a FROM events WHERE user_id = ?", (user_id,)).fetchall()
    return {"user_id": user_id}
"""


def findings(source: str, path: str):
    result = scan_source(source, path, ScanOptions(rules=[all_rules()["DEAD_DB_RESULT"]]))
    assert result.error is None, result.error
    return result.findings


def test_message_names_the_variable_the_read_and_the_line():
    [finding] = findings(SOURCE, "app/stats.py")
    assert finding.severity is Severity.BLOCK
    assert finding.message == "`rows` holds what `db.execute(...).fetchall()` read on line 2 and is never read"
    assert finding.function == "stats"


def test_in_a_test_file_it_is_only_a_warning():
    [finding] = findings(SOURCE, "tests/test_stats.py")
    assert finding.severity is Severity.WARN


def test_unfetched_select_names_the_cursor():
    source = "def f(conn):\n    cur = conn.cursor()\n    cur.execute('SELECT a FROM t')\n    return 1\n"
    [finding] = findings(source, "app/f.py")
    assert finding.line == 3
    assert "`cur.execute()` runs a SELECT on line 3" in finding.message
