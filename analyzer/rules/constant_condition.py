"""CONSTANT_CONDITION: an `if`, `while`, ternary or `assert` whose condition is decided before the code runs.

What it does:
    Flags an `if`, `while`, ternary or `assert` whose condition is always true
    or always false. It blocks on `x == "a" or "b"`, `if x or True`,
    `if "literal":` and non-empty tuples, lists or f-strings used as a test
    (`assert (ok, "message")`), and warns on toggles such as `if False:`.
    `while True:` loops, `if TYPE_CHECKING:` and `if __debug__:` are not
    findings.

Why it matters:
    The check the code appears to make is not made. `role == "admin" or
    "superuser"` lets every user through, because the non-empty string on the
    right is always true. `assert (balance >= 0, "negative")` never fails.
    `if x or True` is a debugging shortcut that ships: the branch always runs.
    Disabled blocks (`if False:`) hide dead code that still looks maintained.

Example:
    def can_delete(user):
        if user.role == "admin" or "superuser":
            return True
        return False

Use instead:
    def can_delete(user):
        if user.role in ("admin", "superuser"):
            return True
        return False
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.model import Severity
from analyzer.registry import Report, rule
from analyzer.rules._statements import one_line

_KEYWORD = {ast.If: "if", ast.While: "while", ast.IfExp: "if", ast.Assert: "assert"}
# The only expressions `_judge` and `static_truth` can find a fixed truth value in.
_MAY_BE_FIXED = frozenset({ast.Constant, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.JoinedStr, ast.Lambda, ast.UnaryOp, ast.BoolOp})
_UNARY_OP, _BOOL_OP = ast.UnaryOp, ast.BoolOp


@rule("CONSTANT_CONDITION", Severity.BLOCK, on=(ast.If, ast.While, ast.IfExp, ast.Assert), precision=0.92)
def check(node: ast.If | ast.While | ast.IfExp | ast.Assert, ctx) -> Iterator[Report] | None:
    test = node.test
    test_type = test.__class__
    if test_type not in _MAY_BE_FIXED:
        return None  # a name, comparison, call...: its truth depends on the program's state
    # `not x`, `a and b`: fixed only through an operand that may be (most are names, comparisons, calls).
    if test_type is _UNARY_OP and test.operand.__class__ not in _MAY_BE_FIXED:
        return None
    if test_type is _BOOL_OP:
        for operand in test.values:
            if operand.__class__ in _MAY_BE_FIXED:
                break
        else:
            return None
    verdict = _judge(test, node)
    if verdict is None:
        return None
    return _findings(node, test, verdict)


def _findings(node: ast.If | ast.While | ast.IfExp | ast.Assert, test: ast.expr, verdict: tuple[bool, str, bool]) -> Iterator[Report]:
    value, reason, certain = verdict
    keyword = _KEYWORD[node.__class__]
    always = "always true" if value else "always false"
    yield Report(
        line=test.lineno,
        end_line=test.end_lineno,
        message=f"`{keyword} {one_line(test)}` is {always}: {reason}",
        evidence=(test.lineno,),
        severity=None if certain else Severity.WARN,
        strength=1.0 if certain else 0.7,
    )


def _judge(test: ast.expr, node: ast.AST) -> tuple[bool, str, bool] | None:
    """(value, why, is it almost certainly a mistake) for a condition with a fixed value, else None."""
    if isinstance(test, ast.Constant):
        value = bool(test.value)
        if isinstance(node, ast.While) and value:
            return None  # `while True:` is a loop with its exits inside
        if isinstance(node, ast.Assert):
            if isinstance(test.value, str) and test.value:
                return True, "a non-empty string always passes; `assert False, message` was meant", True
            return None  # `assert False` is the deliberate "unreachable" marker
        if isinstance(test.value, str) and test.value:
            return True, "a non-empty string literal is always true", True
        return value, f"`{test.value!r}` is a constant, so the block is {'always' if value else 'never'} run", False
    if isinstance(test, ast.BoolOp):
        for operand in test.values:
            truth = static_truth(operand)
            if isinstance(test.op, ast.Or) and truth is True:
                return True, f"`{one_line(operand, 30)}` is always true, so the `or` never depends on the rest", True
            if isinstance(test.op, ast.And) and truth is False:
                return False, f"`{one_line(operand, 30)}` is always false, so the `and` never depends on the rest", False
        return None
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        inner = static_truth(test.operand)
        if inner is None:
            return None
        return not inner, f"`{one_line(test.operand, 30)}` has a fixed truth value", False
    truth = static_truth(test)
    if truth is None:
        return None
    what = {ast.Tuple: "a non-empty tuple", ast.List: "a non-empty list", ast.Set: "a non-empty set", ast.Dict: "a non-empty dict", ast.JoinedStr: "an f-string with fixed text", ast.Lambda: "a function object"}.get(test.__class__, "a fixed value")
    if isinstance(node, ast.Assert) and isinstance(test, ast.Tuple):
        return truth, "a non-empty tuple always passes; write `assert condition, message`", True
    return truth, f"{what} is always {'true' if truth else 'false'}", truth is True


def static_truth(node: ast.expr) -> bool | None:
    """The truth value an expression has whatever the program state is, or None when it depends on it."""
    if node.__class__ not in _MAY_BE_FIXED:
        return None  # most operands of `and`/`or`/`not`: names, comparisons, calls
    if isinstance(node, ast.Constant):
        return bool(node.value)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        if any(not isinstance(item, ast.Starred) for item in node.elts):
            return True
        return False if not node.elts else None
    if isinstance(node, ast.Dict):
        if any(key is not None for key in node.keys):
            return True
        return False if not node.keys else None
    if isinstance(node, ast.JoinedStr):
        if any(isinstance(part, ast.Constant) and part.value for part in node.values):
            return True
        return None
    if isinstance(node, ast.Lambda):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = static_truth(node.operand)
        return None if inner is None else not inner
    if isinstance(node, ast.BoolOp):
        truths = [static_truth(value) for value in node.values]
        if isinstance(node.op, ast.Or):
            if True in truths:
                return True
            return False if all(t is False for t in truths) else None
        if False in truths:
            return False
        return True if all(t is True for t in truths) else None
    return None
