"""The engine's machinery: bad input becomes a FileError and never stops a scan, rules are isolated, findings are built right.

Rules here are throwaway `Rule` objects passed in ScanOptions(rules=[...]),
so these tests judge the engine, not the catalog's detection logic.
"""

from __future__ import annotations

import ast

import pytest

from analyzer.engine import ScanOptions, decode_source, scan_source
from analyzer.model import Severity
from analyzer.registry import FUNCTION, MODULE, STRING, Report, Rule


def make_rule(rule_id: str, check, on, severity: Severity = Severity.BLOCK, precision: float = 1.0) -> Rule:
    targets = on if isinstance(on, tuple) else (on,)
    return Rule(rule_id, severity, check, targets, precision, __name__)


def flag_every_function(fn, ctx):
    yield Report(line=fn.line, message=f"function `{fn.name}`")


FLAG_FUNCTIONS = make_rule("TEST_FLAG_FUNCTIONS", flag_every_function, FUNCTION)
HOLLOW = "def save_user(user_id):\n    return {'status': 'saved'}\n"


def deep_unary(depth: int) -> str:
    return "x = " + "-" * depth + "1\n"


def deep_binop(terms: int) -> str:
    return "x = " + " + ".join(["a"] * terms) + "\n"


def nested_ifs(depth: int) -> str:
    return "".join("    " * i + f"if x{i}:\n" for i in range(depth)) + "    " * depth + "pass\n"


BAD_INPUTS = {
    "syntax-error": (b"def broken(:\n    pass\n", "syntax-error"),
    "null-bytes": (b"x = 1\x00\ny = 2\n", "null-bytes"),
    "latin-1 without cookie (line 1)": ("x = 'caf\u00e9'\n".encode("latin-1"), "encoding"),
    "latin-1 without cookie (line 3)": ("a = 1\nb = 2\nx = 'caf\u00e9'\n".encode("latin-1"), "encoding"),
    "unknown coding cookie": (b"# -*- coding: klingon -*-\nx = 1\n", "encoding"),
    "deep nesting at parse time": (deep_unary(100_000).encode(), "too-deep"),
    "too many nested brackets": (("x = " + "[" * 300 + "]" * 300 + "\n").encode(), "too-deep"),
    "too many indentation levels": (nested_ifs(120).encode(), "too-deep"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_becomes_a_file_error_of_its_kind(name):
    data, kind = BAD_INPUTS[name]
    result = scan_source(data, "pkg/bad.py", ScanOptions(rules=[FLAG_FUNCTIONS]))
    assert result.error is not None, name
    assert (result.error.path, result.error.kind) == ("pkg/bad.py", kind), result.error
    assert result.error.message
    assert result.findings == []


def test_syntax_error_carries_its_line():
    result = scan_source(b"x = 1\ny = 2\ndef broken(:\n", "bad.py")
    assert result.error.kind == "syntax-error"
    assert result.error.line == 3


def test_deep_nesting_at_walk_time_becomes_too_deep():
    source = deep_binop(2_000)
    ast.parse(source)  # the parser copes: the walk is what runs out of stack
    result = scan_source(source, "deep.py", ScanOptions(rules=[FLAG_FUNCTIONS]))
    assert result.error is not None and result.error.kind == "too-deep", result.error
    assert "analyze" in result.error.message


def test_deep_nesting_inside_a_function_at_walk_time():
    source = "def f(a):\n    return " + " + ".join(["a"] * 2_000) + "\n"
    ast.parse(source)
    result = scan_source(source, "deep.py", ScanOptions(rules=[FLAG_FUNCTIONS]))
    assert result.error is not None and result.error.kind == "too-deep"


def test_a_scan_goes_on_normally_after_a_recursion_error():
    assert scan_source(deep_binop(2_000), "deep.py", ScanOptions(rules=[FLAG_FUNCTIONS])).error.kind == "too-deep"
    after = scan_source(HOLLOW, "ok.py", ScanOptions(rules=[FLAG_FUNCTIONS]))
    assert after.error is None
    assert [f.line for f in after.findings] == [1]


def test_moderate_nesting_is_analyzed():
    result = scan_source(nested_ifs(50) + HOLLOW, "ok.py", ScanOptions(rules=[FLAG_FUNCTIONS]))
    assert result.error is None
    assert len(result.findings) == 1


@pytest.mark.parametrize("as_bytes", [True, False])
def test_file_over_max_bytes_is_too_large(as_bytes):
    source = HOLLOW * 100
    data = source.encode() if as_bytes else source
    result = scan_source(data, "big.py", ScanOptions(rules=[FLAG_FUNCTIONS], max_bytes=len(HOLLOW) * 10))
    assert result.error is not None and result.error.kind == "too-large"
    assert result.findings == []
    under = scan_source(data, "big.py", ScanOptions(rules=[FLAG_FUNCTIONS], max_bytes=len(source) + 1))
    assert under.error is None and len(under.findings) == 100


def test_latin1_with_coding_cookie_decodes_and_is_scanned():
    data = "# -*- coding: latin-1 -*-\nGREETING = 'caf\u00e9'\n\n\ndef save_user(user_id):\n    return GREETING\n".encode("latin-1")
    text, error = decode_source(data, "cafe.py")
    assert error is None and "caf\u00e9" in text
    result = scan_source(data, "cafe.py", ScanOptions(rules=[FLAG_FUNCTIONS]))
    assert result.error is None
    assert [f.line for f in result.findings] == [5]


def test_decode_refuses_null_bytes_before_guessing_an_encoding():
    text, error = decode_source(b"x = 1\x00\n", "nul.py")
    assert text is None and error.kind == "null-bytes"


def test_utf8_bom_is_dropped():
    text, error = decode_source(b"\xef\xbb\xbfx = 1\n", "bom.py")
    assert error is None and text == "x = 1\n"
    assert scan_source(b"\xef\xbb\xbf" + HOLLOW.encode(), "bom.py", ScanOptions(rules=[FLAG_FUNCTIONS])).error is None


def test_lines_are_counted():
    assert scan_source("a = 1\nb = 2\n", "a.py").lines == 2
    assert scan_source("a = 1\nb = 2", "a.py").lines == 2
    assert scan_source("", "a.py").lines == 0


# ---------------------------------------------------------------- a failing rule


def explode(node, ctx):
    raise KeyError("boom")


def explode_after_one_report(fn, ctx):
    yield Report(line=fn.line, message="before the crash")
    raise ValueError("half way")


@pytest.mark.parametrize("on", [ast.Return, FUNCTION, MODULE])
def test_a_rule_that_raises_costs_no_other_rule_its_findings(on):
    broken = make_rule("TEST_BROKEN", explode, on)
    result = scan_source(HOLLOW + "\n\ndef other():\n    return 2\n", "app.py", ScanOptions(rules=[broken, FLAG_FUNCTIONS]))
    assert [(f.rule_id, f.line) for f in result.findings] == [("TEST_FLAG_FUNCTIONS", 1), ("TEST_FLAG_FUNCTIONS", 5)]
    assert result.error is not None and result.error.kind == "rule-error"
    assert "TEST_BROKEN" in result.error.message and "KeyError" in result.error.message


def test_reports_made_before_a_rule_raised_are_kept():
    rule = make_rule("TEST_HALF", explode_after_one_report, FUNCTION)
    result = scan_source(HOLLOW + "\n\ndef g():\n    pass\n", "app.py", ScanOptions(rules=[rule]))
    assert [f.line for f in result.findings] == [1, 5]
    assert result.error.kind == "rule-error" and "ValueError" in result.error.message


def test_a_rule_that_raises_in_one_file_works_in_the_next():
    def crash_on_marker(fn, ctx):
        if "CRASH" in ctx.source:
            raise RuntimeError("marker")
        yield Report(line=fn.line, message="ok")

    rule = make_rule("TEST_MARKER", crash_on_marker, FUNCTION)
    options = ScanOptions(rules=[rule])
    assert scan_source("def f():\n    pass  # CRASH\n", "a.py", options).error.kind == "rule-error"
    clean = scan_source("def f():\n    pass\n", "b.py", options)
    assert clean.error is None and len(clean.findings) == 1


# ---------------------------------------------------------------- dispatch and the findings it builds


def test_node_rules_see_only_their_node_types_and_the_enclosing_function():
    seen = []

    def record(node, ctx):
        seen.append((type(node).__name__, node.lineno, ctx.function.qualname if ctx.function else None))
        return None

    rule = make_rule("TEST_RECORD", record, (ast.Return, ast.Raise))
    source = "def f(x):\n    if x:\n        raise ValueError(x)\n    return x\n\nclass C:\n    def m(self):\n        return 1\n"
    scan_source(source, "a.py", ScanOptions(rules=[rule]))
    assert seen == [("Raise", 3, "f"), ("Return", 4, "f"), ("Return", 8, "C.m")]


def test_findings_carry_qualified_function_names():
    source = "class Shop:\n    def save(self):\n        def inner():\n            pass\n        return inner\n"
    result = scan_source(source, "a.py", ScanOptions(rules=[FLAG_FUNCTIONS]))
    assert sorted(f.function for f in result.findings) == ["Shop.save", "Shop.save.<locals>.inner"]


def test_confidence_is_precision_times_strength_and_clamped():
    def strengths(fn, ctx):
        yield Report(line=fn.line, message="half", strength=0.5)
        yield Report(line=fn.line + 1, message="over", strength=3.0)

    rule = make_rule("TEST_CONF", strengths, FUNCTION, precision=0.8)
    result = scan_source("def f():\n    pass\n", "a.py", ScanOptions(rules=[rule]))
    assert sorted(f.confidence for f in result.findings) == [0.4, 1.0]


def test_a_report_may_lower_its_rules_severity_but_never_raise_it():
    def both(fn, ctx):
        yield Report(line=fn.line, message="lowered", severity=Severity.WARN)
        yield Report(line=fn.line + 1, message="raised?", severity=Severity.BLOCK)

    block_rule = make_rule("TEST_BLOCK", both, FUNCTION, severity=Severity.BLOCK)
    warn_rule = make_rule("TEST_WARN", both, FUNCTION, severity=Severity.WARN)
    source = "def f():\n    pass\n"
    by_message = {f.message: f.severity for f in scan_source(source, "a.py", ScanOptions(rules=[block_rule])).findings}
    assert by_message == {"lowered": Severity.WARN, "raised?": Severity.BLOCK}
    by_message = {f.message: f.severity for f in scan_source(source, "a.py", ScanOptions(rules=[warn_rule])).findings}
    assert by_message == {"lowered": Severity.WARN, "raised?": Severity.WARN}


def test_severity_overrides_apply_per_rule():
    options = ScanOptions(rules=[FLAG_FUNCTIONS], severity_overrides={"TEST_FLAG_FUNCTIONS": Severity.WARN})
    assert [f.severity for f in scan_source(HOLLOW, "a.py", options).findings] == [Severity.WARN]


def test_end_line_and_evidence_default_sensibly():
    def spans(fn, ctx):
        yield Report(line=2, message="no end")
        yield Report(line=3, end_line=1, message="end before start")
        yield Report(line=4, end_line=6, message="span", evidence=(5,))

    rule = make_rule("TEST_SPAN", spans, FUNCTION)
    findings = {f.message: f for f in scan_source("def f():\n    pass\n", "a.py", ScanOptions(rules=[rule])).findings}
    assert (findings["no end"].end_line, findings["no end"].evidence_lines) == (2, (2,))
    assert findings["end before start"].end_line == 3
    assert (findings["span"].end_line, findings["span"].evidence_lines) == (6, (5,))


def test_findings_come_out_sorted_by_line():
    def backwards(fn, ctx):
        yield Report(line=9, message="late")
        yield Report(line=2, message="early")

    rule = make_rule("TEST_ORDER", backwards, FUNCTION)
    assert [f.line for f in scan_source("def f():\n    pass\n", "a.py", ScanOptions(rules=[rule])).findings] == [2, 9]


def test_module_rules_run_once_after_the_walk_with_every_function_known():
    calls = []

    def count(module, ctx):
        calls.append(sorted(fn.name for fn in module.functions))
        return ()

    rule = make_rule("TEST_MODULE", count, MODULE)
    scan_source("def a():\n    pass\n\ndef b():\n    pass\n", "a.py", ScanOptions(rules=[rule]))
    assert calls == [["a", "b"]]


def test_the_default_options_run_the_whole_catalog():
    from analyzer.registry import all_rules

    assert {rule.id for rule in ScanOptions().rules} == set(all_rules())


def test_except_handlers_reach_node_rules_inside_and_outside_functions():
    seen = []

    def check(node, ctx):
        seen.append((node.lineno, ctx.tree is not None))

    rule = Rule("HANDLER_PROBE", Severity.WARN, check, (ast.ExceptHandler,), 0.5, __name__)
    source = "def f():\n    try:\n        x()\n    except ValueError:\n        pass\ntry:\n    y()\nexcept:\n    pass\n"
    scan_source(source, "a.py", ScanOptions(rules=[rule]))
    assert sorted(seen) == [(4, True), (8, True)]


def test_parameter_rules_see_bare_signatures_that_the_walk_otherwise_skips():
    seen = []

    def check(node, ctx):
        seen.append(node.arg)

    rule = Rule("ARG_PROBE", Severity.WARN, check, (ast.arg,), 0.5, __name__)
    source = "def f(a, b):\n    return a\n\nclass C:\n    def m(self, c: int = 1):\n        return c\n"
    scan_source(source, "a.py", ScanOptions(rules=[rule]))
    assert seen == ["a", "b", "self", "c"]


def test_string_rules_see_the_constants_that_hold_a_str_and_constant_rules_see_all():
    strings, constants = [], []
    string_rule = Rule("STRING_PROBE", Severity.WARN, lambda node, ctx: strings.append(node.value), (STRING,), 0.5, __name__)
    constant_rule = Rule("CONSTANT_PROBE", Severity.WARN, lambda node, ctx: constants.append(node.value), (ast.Constant,), 0.5, __name__)
    source = "x = ['a', 1, None, b'b', 2.5, ...]\ndef f():\n    return f'{x}c'\n"
    scan_source(source, "a.py", ScanOptions(rules=[string_rule]))
    assert strings == ["a", "c"]
    strings.clear()
    scan_source(source, "a.py", ScanOptions(rules=[string_rule, constant_rule]))
    assert strings == ["a", "c"]
    assert constants == ["a", 1, None, b"b", 2.5, ..., "c"]


def test_fields_that_hold_plain_values_are_not_walked_as_nodes():
    # AnnAssign.simple is an int, MatchSingleton.value a constant: the walk must step over both.
    source = "def f(x):\n    y: int = 1\n    match x:\n        case None:\n            return y\n    return 0\n"
    result = scan_source(source, "a.py", ScanOptions(rules=[FLAG_FUNCTIONS]))
    assert result.error is None
    assert [f.line for f in result.findings] == [1]


NEEDS_ASYNC = Rule("TEST_NEEDS_ASYNC", Severity.WARN, flag_every_function, (FUNCTION,), 1.0, __name__, needs=("async", "await"))


@pytest.mark.parametrize(
    "source, runs",
    [
        ("def f():\n    pass\n", False),
        ("async def f():\n    pass\n", True),
        ("def f():\n    return await_reply()\n", True),  # a word in an identifier counts
        ("def f():\n    return 'é'\n", True),  # a non-ASCII file may spell an identifier NFKC-normalizes to the word
    ],
)
def test_a_rule_runs_only_on_files_that_contain_a_word_it_needs(source, runs):
    findings = scan_source(source, "app.py", ScanOptions(rules=[NEEDS_ASYNC, FLAG_FUNCTIONS])).findings
    assert [f.rule_id for f in findings].count("TEST_NEEDS_ASYNC") == (1 if runs else 0)
    assert [f.rule_id for f in findings].count("TEST_FLAG_FUNCTIONS") == 1


def test_one_options_object_dispatches_each_file_by_its_own_text():
    options = ScanOptions(rules=[NEEDS_ASYNC])
    assert scan_source("async def f():\n    pass\n", "a.py", options).findings
    assert not scan_source("def f():\n    pass\n", "b.py", options).findings
    assert scan_source("async def f():\n    pass\n", "c.py", options).findings
