"""Inline suppressions: which comments count, what they cover, and the warning for an id no rule has."""

from __future__ import annotations

import ast

from analyzer.engine import ScanOptions, scan_source
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, Rule, all_rules
from analyzer.suppression import ALL, parse_suppressions


def make_rule(rule_id: str, check, on) -> Rule:
    return Rule(rule_id, Severity.BLOCK, check, on if isinstance(on, tuple) else (on,), 1.0, __name__)


def flag_def_line(fn, ctx):
    yield Report(line=fn.line, message=f"`{fn.name}` flagged on its def line")


def flag_return_line(node, ctx):
    yield Report(line=node.lineno, message="return flagged")


DEF_RULE = make_rule("TEST_DEF", flag_def_line, FUNCTION)
RETURN_RULE = make_rule("TEST_RETURN", flag_return_line, ast.Return)
OPTIONS = ScanOptions(rules=[DEF_RULE, RETURN_RULE])


def flagged(source: str, options: ScanOptions = OPTIONS) -> list[tuple[str, int]]:
    result = scan_source(source, "app.py", options)
    assert result.error is None, result.error
    return [(f.rule_id, f.line) for f in result.findings]


# ---------------------------------------------------------------- parsing the comments


def test_parse_bare_and_listed_ids():
    source = "a = 1  # ainascan: ignore\nb = 2  # ainascan: ignore[missing_write, SILENT_FAILURE ]\nc = 3\n"
    found = parse_suppressions(source)
    assert sorted(found) == [1, 2]
    assert found[1].rule_ids == frozenset({ALL})
    assert found[2].rule_ids == frozenset({"MISSING_WRITE", "SILENT_FAILURE"})
    assert found[2].column == source.splitlines()[1].index("#")


def test_marker_is_case_and_space_tolerant():
    assert parse_suppressions("a = 1  #ainascan:ignore[X]\n")[1].rule_ids == frozenset({"X"})
    assert parse_suppressions("a = 1  # AINASCAN:  Ignore\n")[1].rule_ids == frozenset({ALL})


def test_text_inside_strings_is_not_a_suppression():
    source = 'a = "# ainascan: ignore"\nb = """\n# ainascan: ignore[X]\n"""\n'
    assert parse_suppressions(source) == {}


def test_other_comments_are_not_suppressions():
    assert parse_suppressions("a = 1  # ainascan ignore\nb = 2  # ainascan: check this\n") == {}


def test_untokenizable_source_has_no_suppressions():
    assert parse_suppressions("def f(:\n    '''unterminated # ainascan: ignore\n") == {}


def test_covers():
    bare, listed = parse_suppressions("a  # ainascan: ignore\nb  # ainascan: ignore[A, B]\n").values()
    assert bare.covers("ANY_RULE")
    assert listed.covers("A") and listed.covers("B") and not listed.covers("C")


# ---------------------------------------------------------------- what the engine suppresses

BASE = "def save(x):\n    return x\n"


def test_unsuppressed_baseline():
    assert flagged(BASE) == [("TEST_DEF", 1), ("TEST_RETURN", 2)]


def test_rule_id_on_the_flagged_line_suppresses_that_rule_only():
    source = "def save(x):\n    return x  # ainascan: ignore[TEST_RETURN]\n"
    assert flagged(source) == [("TEST_DEF", 1)]


def test_bare_ignore_on_the_flagged_line_suppresses_every_rule_there():
    source = "def save(x):  # ainascan: ignore\n    return x\n"
    # The def line's comment covers the def-line finding and, through the function, the return too.
    assert flagged(source) == []
    source = "def save(x):\n    return x  # ainascan: ignore\n"
    assert flagged(source) == [("TEST_DEF", 1)]


def test_rule_id_on_the_def_line_covers_findings_inside_the_function():
    source = "def save(x):  # ainascan: ignore[TEST_RETURN]\n    y = x\n    return y\n"
    assert flagged(source) == [("TEST_DEF", 1)]


def test_def_line_of_an_enclosing_function_covers_nested_functions():
    source = "def outer():  # ainascan: ignore[TEST_RETURN]\n    def inner(x):\n        return x\n    return inner\n"
    assert flagged(source) == [("TEST_DEF", 1), ("TEST_DEF", 2)]


def test_def_line_suppression_does_not_leak_to_the_next_function():
    source = "def a(x):  # ainascan: ignore\n    return x\n\n\ndef b(x):\n    return x\n"
    assert flagged(source) == [("TEST_DEF", 5), ("TEST_RETURN", 6)]


def test_suppression_for_a_different_rule_does_not_suppress():
    source = "def save(x):\n    return x  # ainascan: ignore[MISSING_WRITE]\n"
    assert flagged(source) == [("TEST_DEF", 1), ("TEST_RETURN", 2)]


def test_suppression_text_inside_a_string_does_not_suppress():
    source = 'def save(x):\n    return x + "# ainascan: ignore"\n'
    assert flagged(source) == [("TEST_DEF", 1), ("TEST_RETURN", 2)]


def test_suppression_on_another_line_does_not_suppress():
    source = "def save(x):\n    # ainascan: ignore\n    return x\n"
    assert flagged(source) == [("TEST_DEF", 1), ("TEST_RETURN", 3)]


def test_real_rule_suppressed_on_its_def_line():
    hollow = 'def save_user_preferences(user_id, preferences):{comment}\n    return {{"status": "saved"}}\n'
    options = ScanOptions(rules=[all_rules()["MISSING_WRITE"]])
    assert flagged(hollow.format(comment=""), options) == [("MISSING_WRITE", 1)]
    assert flagged(hollow.format(comment="  # ainascan: ignore[MISSING_WRITE]"), options) == []
    assert flagged(hollow.format(comment="  # ainascan: ignore[SILENT_FAILURE]"), options) == [("MISSING_WRITE", 1)]


# ---------------------------------------------------------------- unknown ids are reported, not ignored


def unknown_findings(source: str):
    result = scan_source(source, "app.py", ScanOptions(rules=[all_rules()["UNKNOWN_SUPPRESSION"]]))
    assert result.error is None, result.error
    return result.findings


def test_unknown_rule_id_is_a_warning_on_its_line():
    (finding,) = unknown_findings("a = 1\nb = 2  # ainascan: ignore[NO_SUCH_RULE]\n")
    assert (finding.rule_id, finding.severity, finding.line) == ("UNKNOWN_SUPPRESSION", Severity.WARN, 2)
    assert "NO_SUCH_RULE" in finding.message


def test_every_unknown_id_on_a_line_is_named_once():
    (finding,) = unknown_findings("b = 2  # ainascan: ignore[NOPE_ONE, MISSING_WRITE, NOPE_TWO]\n")
    assert "NOPE_ONE" in finding.message and "NOPE_TWO" in finding.message
    assert "`MISSING_WRITE`" not in finding.message


def test_known_ids_and_bare_ignores_are_not_reported():
    source = "a = 1  # ainascan: ignore\nb = 2  # ainascan: ignore[missing_write]\nc = 'x  # ainascan: ignore[NOPE]'\n"
    assert unknown_findings(source) == []


def test_a_misspelled_id_gets_the_closest_known_id_as_a_fix():
    (finding,) = unknown_findings("def save(x):  # ainascan: ignore[MISSING_WRTIE]\n    return x\n")
    assert "MISSING_WRITE" in finding.message
    assert finding.fix is not None
    assert (finding.fix.start_line, finding.fix.end_line) == (1, 1)
    assert finding.fix.replacement == "def save(x):  # ainascan: ignore[MISSING_WRITE]"


def test_an_id_like_no_rule_gets_no_fix():
    (finding,) = unknown_findings("x = 1  # ainascan: ignore[B101]\n")
    assert finding.fix is None


def test_the_fix_rewrites_the_comment_not_a_string_before_it():
    line = 'x = "# ainascan: ignore[SILENT_FAILUER]"  # ainascan: ignore[SILENT_FAILUER]'
    (finding,) = unknown_findings(line + "\n")
    assert finding.fix.replacement == 'x = "# ainascan: ignore[SILENT_FAILUER]"  # ainascan: ignore[SILENT_FAILURE]'


def test_unknown_id_does_not_suppress_the_real_finding():
    source = 'def save_user_preferences(user_id, preferences):  # ainascan: ignore[MISSING_WRTIE]\n    return {"status": "saved"}\n'
    result = scan_source(source, "app.py", ScanOptions(rules=[all_rules()["MISSING_WRITE"], all_rules()["UNKNOWN_SUPPRESSION"]]))
    assert sorted((f.rule_id, f.severity) for f in result.findings) == [
        ("MISSING_WRITE", Severity.BLOCK),
        ("UNKNOWN_SUPPRESSION", Severity.WARN),
    ]
