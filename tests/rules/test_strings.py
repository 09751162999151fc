"""analyzer.rules._strings: the values spliced into a built string, the text around them, and locals traced back."""

from __future__ import annotations

import ast

from analyzer.engine import ScanOptions, scan_source
from analyzer.registry import FUNCTION, Rule
from analyzer.model import Severity
from analyzer.rules._strings import MARK, assigned_values, excerpt, splices, template_text


def expr(source: str) -> ast.expr:
    return ast.parse(source, mode="eval").body


def shown(source: str) -> list[tuple[str, str, str, bool]]:
    return [(ast.unparse(s.value), s.before, s.after, s.numeric) for s in splices(expr(source))]


def test_fstring_splices_carry_the_text_around_them():
    assert shown("f\"SELECT * FROM t WHERE a = '{a}' AND b = {b:d}\"") == [
        ("a", "SELECT * FROM t WHERE a = '", f"' AND b = {MARK}", False),
        ("b", f"SELECT * FROM t WHERE a = '{MARK}' AND b = ", "", True),
    ]


def test_percent_format_maps_specs_to_values_and_skips_escaped_percents():
    assert shown("'%s = %%s AND n > %d' % (col, n)") == [("col", "", " = %s AND n > " + MARK, False), ("n", f"{MARK} = %s AND n > ", "", True)]
    assert shown("'id = %(id)s' % {'id': user_id}") == [("user_id", "id = ", "", False)]
    assert shown("'id = %s' % user_id") == [("user_id", "id = ", "", False)]


def test_format_calls_follow_positions_and_names():
    assert shown("'{} = {name}'.format(col, name=value)") == [("col", "", f" = {MARK}", False), ("value", f"{MARK} = ", "", False)]
    assert splices(expr("'{}'.format(*args)")) is None


def test_concatenation_needs_literal_text_and_expands_inner_fstrings():
    assert shown("'a = ' + x + f' and b = {y}'") == [("x", "a = ", f" and b = {MARK}", False), ("y", f"a = {MARK} and b = ", "", False)]
    assert splices(expr("a + b")) is None


def test_constants_spliced_in_are_text_not_values():
    assert shown("f\"state = '{'active'}'\"") == []
    assert template_text(expr("'x = %s' % 5")) == "x = 5"


def test_plain_names_and_constants_build_nothing():
    assert splices(expr("query")) is None
    assert splices(expr("'SELECT 1'")) is None


def test_excerpt_starts_on_a_whole_word():
    [splice] = splices(expr("f\"SELECT id, name FROM users WHERE email = '{email}'\""))
    assert excerpt(splice) == "FROM users WHERE email = '{email}'"


def test_assigned_values_follow_a_local_back_before_the_line():
    captured = {}

    def capture(fn, ctx):
        captured["values"] = [(line, ast.unparse(value)) for line, value in assigned_values(fn, "sql", 5)]
        captured["unpacked"] = assigned_values(fn, "a", 5)
        return iter(())

    source = "def f(x):\n    sql = 'SELECT 1'\n    sql += f' WHERE x = {x}'\n    a, b = 1, 2\n    run(sql)\n    sql = 'late'\n"
    rule = Rule("TEST_CAPTURE", Severity.WARN, capture, (FUNCTION,), 1.0, __name__)
    scan_source(source, "m.py", ScanOptions(rules=[rule]))
    assert captured["values"] == [(2, "'SELECT 1'"), (3, "f' WHERE x = {x}'")]
    assert captured["unpacked"] == []
