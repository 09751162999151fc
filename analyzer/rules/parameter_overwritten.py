"""PARAMETER_OVERWRITTEN: a parameter is reassigned before it is ever read.

What it does:
    Flags a parameter that the function unconditionally assigns a new value
    before reading it, so the argument the caller passes is never looked at.
    Normalizations that read the parameter (`x = x or default`,
    `if x is None: x = ...`, `x = list(x)`) are not findings.

Why it matters:
    Every caller gets the same behaviour whatever it passes: the requested
    page size is replaced by 20, the user's locale by "en", the filters by an
    empty dict. The signature documents an input the body ignores, and tests
    that only pass the default never see it.

Example:
    def list_orders(customer_id, limit=50):
        limit = 20
        return Order.objects.filter(customer_id=customer_id)[:limit]

Use instead:
    def list_orders(customer_id, limit=50):
        limit = min(limit, 200)
        return Order.objects.filter(customer_id=customer_id)[:limit]
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import FunctionFacts, Param
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.rules._statements import one_line
from analyzer.vocabulary import is_abstract_or_overload

_INTROSPECTION = frozenset({"locals", "vars", "eval", "exec"})


@rule("PARAMETER_OVERWRITTEN", Severity.BLOCK, on=FUNCTION, precision=0.88)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    assigned_names = fn.assigned
    for param in fn.params:
        if param.name in assigned_names:
            return _findings(fn, ctx)
    return None  # most functions bind none of their parameters


def _findings(fn: FunctionFacts, ctx) -> Iterator[Report]:
    params = _judged_params(fn)
    if not params or is_abstract_or_overload(fn):
        return
    for param in params:
        assigned = fn.assigned.get(param.name)
        if not assigned:
            continue
        first_store = min(assigned)
        reads = fn.reads.get(param.name, ())
        if any(line <= first_store for line in reads):
            continue  # read first (`limit = limit or 10`): most of them, told before finding the statement
        statement = _unconditional_statement_at(fn.node.body, first_store)
        if statement is None or not _binds(statement, param.name):
            continue
        end = statement.end_lineno or statement.lineno
        if any(line <= end for line in reads):
            continue
        if any(call.attr in _INTROSPECTION for call in fn.calls):
            return
        hardcoded = _is_literal(statement.value) and not _may_implement_interface(fn)
        yield Report(
            line=statement.lineno,
            end_line=end,
            message=f"parameter `{param.name}` of `{fn.name}()` is overwritten with `{one_line(statement.value)}` on line {statement.lineno} before it is read: the caller's value is ignored",
            evidence=(param.line, statement.lineno),
            severity=None if hardcoded else Severity.WARN,
            strength=1.0 if hardcoded else 0.7,
        )


def _is_literal(value: ast.AST | None) -> bool:
    """A hard-coded replacement (`20`, `"en"`, `{}`), not None and not a value derived from other state."""
    if isinstance(value, ast.Constant):
        return value.value is not None
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return all(_is_literal(item) for item in value.elts)
    if isinstance(value, ast.Dict):
        return all(key is not None and _is_literal(key) and _is_literal(item) for key, item in zip(value.keys, value.values))
    return False


def _may_implement_interface(fn: FunctionFacts) -> bool:
    """A method of a class with bases, or a dunder: the signature may be imposed by what it overrides."""
    if fn.name.startswith("__") and fn.name.endswith("__"):
        return True
    return fn.class_name is not None and any(base not in ("", "object") for base in fn.class_bases)


def _judged_params(fn: FunctionFacts) -> list[Param]:
    params = list(fn.params)
    if fn.is_method and params and not fn.has_decorator("staticmethod"):
        params = params[1:]  # self / cls
    return [p for p in params if p.kind in ("positional", "keyword") and not p.name.startswith("_")]


def _unconditional_statement_at(body: list[ast.stmt], line: int) -> ast.stmt | None:
    """The statement holding `line` if it runs whenever the function gets there: not inside if/for/while/except."""
    block = body
    while True:
        for stmt in block:
            if stmt.lineno <= line <= (stmt.end_lineno or stmt.lineno):
                break
        else:
            return None
        if isinstance(stmt, (ast.With, ast.AsyncWith)):
            block = stmt.body
        elif isinstance(stmt, ast.Try) and stmt.body and stmt.body[0].lineno <= line <= (stmt.body[-1].end_lineno or line):
            block = stmt.body
        else:
            return stmt


def _binds(stmt: ast.stmt, name: str) -> bool:
    """`name = ...` or `name: T = ...` with a value (tuple targets included)."""
    if isinstance(stmt, ast.Assign):
        targets = stmt.targets
    elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
        targets = [stmt.target]
    else:
        return False
    for target in targets:
        for node in ast.walk(target):
            if node.__class__ is ast.Name and node.id == name and node.ctx.__class__ is ast.Store:
                return True
    return False
