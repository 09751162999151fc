"""ASSERT_AS_VALIDATION: `assert` used to check a public function's input.

What it does:
    Flags an `assert` that checks a parameter of a public function. Examples
    are `assert amount > 0` and `assert user.is_admin` in a public function
    of a non-test, non-private module. Type-narrowing asserts
    (`assert isinstance(x, T)`, `assert x is not None`) are not findings: they
    serve the type checker, not the caller.

Why it matters:
    `python -O` (and PYTHONOPTIMIZE, which some images set) strips every
    `assert`. The negative transfer goes through, the non-admin deletes the
    project, and nothing in the code says the check is gone. Validation that
    must hold in production has to raise an exception of its own.

Example:
    def transfer(source, target, amount):
        assert amount > 0, "amount must be positive"
        assert source.owner == target.owner
        source.balance -= amount
        target.balance += amount

Use instead:
    def transfer(source, target, amount):
        if amount <= 0:
            raise ValueError("amount must be positive")
        if source.owner != target.owner:
            raise PermissionError("accounts belong to different owners")
        source.balance -= amount
        target.balance += amount
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.model import Severity
from analyzer.registry import Report, rule
from analyzer.rules._statements import one_line

_SECURITY_WORDS = re.compile(r"perm|auth|admin|owner|role|allowed|token|password|secret|staff|superuser|access", re.IGNORECASE)
_NARROWING_CALLS = frozenset({"isinstance", "issubclass", "callable", "hasattr"})


@rule("ASSERT_AS_VALIDATION", Severity.WARN, on=ast.Assert, precision=0.65)
def check(node: ast.Assert, ctx) -> Iterator[Report]:
    function = ctx.function
    if function is None or ctx.is_test_file or not _is_public(function, ctx):
        return
    if _narrows_type(node.test):
        return
    params = {p.name for p in function.params}
    if function.is_method and function.params and not function.has_decorator("staticmethod"):
        params.discard(function.params[0].name)
    if not params:
        return
    read = sorted({n.id for n in ast.walk(node.test) if n.__class__ is ast.Name and n.id in params})
    if not read:
        return
    names = ", ".join(f"`{name}`" for name in read)
    security = bool(_SECURITY_WORDS.search(ast.unparse(node.test)))
    yield Report(
        line=node.lineno,
        end_line=node.end_lineno,
        message=f"`assert {one_line(node.test, 50)}` checks {names} of public `{function.name}()`; `python -O` strips asserts, so the check vanishes in optimized runs",
        evidence=(node.lineno,),
        strength=1.0 if security else 0.85,
    )


def _is_public(function, ctx) -> bool:
    if function.parent is not None:
        return False  # a nested helper is not an entry point
    name = function.name
    if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
        return False
    if function.class_name is not None and function.class_name.startswith("_"):
        return False
    # `_internal/`, `_compat.py`: a private module's functions are not an API either.
    return not any(part.startswith("_") and not part.startswith("__") for part in ctx.path.split("/"))


def _narrows_type(test: ast.expr) -> bool:
    """`isinstance(x, T)`, `x is not None`, `x is None`, and `and`/`or` chains of those."""
    if isinstance(test, ast.BoolOp):
        return all(_narrows_type(value) for value in test.values)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _narrows_type(test.operand)
    if isinstance(test, ast.Call) and isinstance(test.func, ast.Name):
        return test.func.id in _NARROWING_CALLS
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], (ast.Is, ast.IsNot)):
        comparator = test.comparators[0]
        return isinstance(comparator, ast.Constant) and comparator.value is None
    return False
