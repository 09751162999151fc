"""CODE_INJECTION beyond its fixture: client text blocks, terminal input warns, library code generation is silent."""

from __future__ import annotations

from analyzer.engine import ScanOptions, scan_source
from analyzer.model import Severity
from analyzer.registry import all_rules


def findings(source: str):
    result = scan_source(source, "app/calc.py", ScanOptions(rules=[all_rules()["CODE_INJECTION"]]))
    assert result.error is None, result.error
    return result.findings


def test_request_data_blocks_and_names_its_source():
    [finding] = findings("@app.get('/c')\ndef calc():\n    expr = request.args['e']\n    return eval(expr)\n")
    assert finding.severity is Severity.BLOCK
    assert "`expr`, which holds request data (`request.args`)" in finding.message


def test_terminal_input_warns():
    [finding] = findings("def repl():\n    print(eval(input('> ')))\n")
    assert finding.severity is Severity.WARN and "`input()`" in finding.message


def test_a_plain_parameter_is_a_library_calling_convention_not_a_finding():
    assert findings("def evaluate(expression, namespace):\n    return eval(expression, namespace)\n") == []


def test_exec_of_a_compiled_object_is_judged_at_compile():
    source = "def view(request, code):\n    compiled = compile(code, '<c>', 'exec')\n    exec(compiled)\n"
    [finding] = findings(source)
    assert finding.line == 2
