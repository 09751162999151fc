"""CODE_INJECTION: `eval`, `exec` or `compile` runs Python text that comes from outside the function.

What it does:
    Flags `eval`, `exec` or `compile` running Python text that a web client
    supplies. That is request data (`request.args`, `request.json`,
    `request.GET`, ...), a route's path or query parameter, a Django view's
    URL capture, or a local built from one; text read with `input()` is
    reported as WARN. `re.compile` and other methods named `compile` are not
    the builtin.

Why it matters:
    Whoever writes the text runs code with the program's rights:
    `__import__("os").system("...")` reads files, opens a shell, steals keys.
    Restricting `__builtins__` does not help; escapes are well known. A
    calculator, a config value or a "filter expression" is a remote shell.

Example:
    @app.get("/calc")
    def calculate():
        return {"result": eval(request.args["expression"])}

Use instead:
    @app.get("/calc")
    def calculate():
        return {"result": ast.literal_eval(request.args["expression"])}  # literals only

Notes:
    Text that arrives as an ordinary function parameter is not reported:
    libraries and tools (template engines, code generators, shells, test
    runners) execute their caller's code by design, and a finding there
    would be noise. The bug is where a client's text meets `eval`, so that
    is what is reported. `input()` is a WARN: the person at the terminal
    usually already runs the program. `ast.literal_eval` is never reported.
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.model import Severity
from analyzer.registry import Report, rule
from analyzer.rules._strings import assigned_values
from analyzer.rules._web import origin
from analyzer.sinks import sink_kind, sink_names

_SOURCE_KEYWORDS = ("source", "expression", "object", "code")


@rule("CODE_INJECTION", Severity.BLOCK, on=ast.Call, precision=0.92, calls=sink_names("code"))
def check(call: ast.Call, ctx) -> Iterator[Report] | None:
    if sink_kind(call) != "code" or ctx.is_test_file:
        return None  # most calls: no generator is even created
    return _findings(call, ctx)


def _findings(call: ast.Call, ctx) -> Iterator[Report]:
    source = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in _SOURCE_KEYWORDS), None)
    if source is None or isinstance(source, ast.Constant) or _compiled(source, ctx.function, call.lineno):
        return
    found = origin(source, ctx.function, call.lineno)
    severity = None
    if found is None:
        found = _typed_in(source, ctx.function, call.lineno)
        severity = Severity.WARN
    if found is None:
        return
    callee = call.func.id if isinstance(call.func, ast.Name) else ast.unparse(call.func)
    yield Report(
        line=call.lineno,
        end_line=call.end_lineno,
        message=f"`{callee}()` runs Python text from {found}: whoever supplies it runs code; "
        "parse the input (`ast.literal_eval`, `json.loads`) instead of executing it",
        evidence=(call.lineno,),
        severity=severity,
    )


def _compiled(source: ast.expr, fn, line: int) -> bool:
    """`exec(compile(...))` or `exec(code)` with `code = compile(...)`: the compile() call is judged instead."""
    if isinstance(source, ast.Call):
        return isinstance(source.func, ast.Name) and source.func.id == "compile"
    if isinstance(source, ast.Name):
        return any(_compiled(value, None, line) for _, value in assigned_values(fn, source.id, line))
    return False


def _typed_in(source: ast.expr, fn, line: int) -> str | None:
    """`input()` in the expression, or in what a local in it was assigned."""
    for node in ast.walk(source):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "input":
            return "`input()`"
        if isinstance(node, ast.Name):
            for _, value in assigned_values(fn, node.id, line):
                if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "input" for n in ast.walk(value)):
                    return f"`{node.id}`, which holds `input()`"
    return None
