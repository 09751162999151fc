"""EXCEPTION_NOT_RAISED: an exception is built and thrown away because `raise` is missing.

What it does:
    Flags a statement that only constructs an exception, such as
    `ValueError("amount must be positive")`, where `raise` was meant.

Why it matters:
    The object is created and discarded, and execution carries on past the
    check that was supposed to stop it: a negative amount is charged, a
    missing record is treated as found. Nothing fails, so nothing tells you.

Example:
    def withdraw(account, amount):
        if amount <= 0:
            ValueError(f"amount must be positive, got {amount}")
        account.balance -= amount

Use instead:
    def withdraw(account, amount):
        if amount <= 0:
            raise ValueError(f"amount must be positive, got {amount}")
        account.balance -= amount
"""

from __future__ import annotations

import ast
import builtins
import re
from typing import Iterator

from analyzer.model import Fix, Severity
from analyzer.registry import Report, rule
from analyzer.vocabulary import callee_parts

_BUILTIN_EXCEPTIONS = frozenset(
    name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)
)
# CamelCase names that end like an exception class: ValidationError, PaymentException.
_EXCEPTION_NAME = re.compile(r"^_?[A-Z][A-Za-z0-9]*(Error|Exception|Exit|Interrupt)$")
_EXCEPTION_ENDINGS = ("Error", "Exception", "Exit", "Interrupt")


@rule("EXCEPTION_NOT_RAISED", Severity.BLOCK, on=ast.Expr, precision=0.9)
def check(stmt: ast.Expr, ctx) -> Iterator[Report] | None:
    call = stmt.value
    if not isinstance(call, ast.Call) or ctx.is_test_file:
        return None  # tests build exceptions to exercise their constructors
    func = call.func  # the callee's last name first, as callee_parts gives it: most calls are plainly no exception
    last = func.attr if func.__class__ is ast.Attribute else func.id if func.__class__ is ast.Name else callee_parts(call)[1]
    if not last or not (last in _BUILTIN_EXCEPTIONS or (last.endswith(_EXCEPTION_ENDINGS) and _EXCEPTION_NAME.match(last))):
        return None
    name, last = callee_parts(call)
    if last.endswith("Warning") or f"def {last}(" in ctx.source:
        return None  # a warning class alone, or a function that happens to be named like a class
    return _findings(stmt, name, last, ctx)


def _findings(stmt: ast.Expr, name: str, last: str, ctx) -> Iterator[Report]:
    yield Report(
        line=stmt.lineno,
        end_line=stmt.end_lineno,
        message=f"`{name or last}(...)` is created on line {stmt.lineno} and discarded: `raise` is missing",
        evidence=(stmt.lineno,),
        fix=_prefix_raise(stmt, ctx),
    )


def _prefix_raise(stmt: ast.Expr, ctx) -> Fix | None:
    first = ctx.line_text(stmt.lineno)
    indent = len(first) - len(first.lstrip())
    if stmt.col_offset != indent:
        return None  # not alone at the start of its line (`x = 1; ValueError()`)
    lines = [ctx.line_text(n) for n in range(stmt.lineno, (stmt.end_lineno or stmt.lineno) + 1)]
    lines[0] = first[:indent] + "raise " + first[indent:]
    return Fix(stmt.lineno, stmt.end_lineno or stmt.lineno, "\n".join(lines), "add the missing `raise`")
