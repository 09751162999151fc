"""RETURN_IN_FINALLY: a `return`, `break` or `continue` inside a `finally` block.

What it does:
    Flags a `return`, `break` or `continue` that leaves a `finally` block, as
    PEP 765 does. A `break`/`continue` of a loop nested inside the `finally`
    is not a finding.

Why it matters:
    Leaving a `finally` block this way discards the exception in flight:
    the failed payment, the lost connection, even KeyboardInterrupt vanish,
    and the function returns as if all went well. It also replaces a value
    the `try` block already returned. Nothing is logged, so the failure is
    invisible.

Example:
    def charge(order):
        try:
            gateway.charge(order.total)
        finally:
            order.save()
            return {"status": "ok"}

Use instead:
    def charge(order):
        try:
            gateway.charge(order.total)
        finally:
            order.save()
        return {"status": "ok"}
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.model import Severity
from analyzer.registry import Report, rule
from analyzer.rules._statements import LOOP_NODES, SCOPE_NODES

_TRY_NODES = (ast.Try, ast.TryStar) if hasattr(ast, "TryStar") else (ast.Try,)
_WORDS = {ast.Return: "return", ast.Break: "break", ast.Continue: "continue"}


@rule("RETURN_IN_FINALLY", Severity.BLOCK, on=_TRY_NODES, precision=0.9)
def check(node: ast.Try, ctx) -> Iterator[Report]:
    if not node.finalbody:
        return
    for jump in _leaving_jumps(node.finalbody):
        word = _WORDS[jump.__class__]
        yield Report(
            line=jump.lineno,
            end_line=jump.end_lineno,
            message=f"`{word}` inside the `finally` of the `try` on line {node.lineno} silently discards any exception raised in it",
            evidence=(node.lineno, jump.lineno),
        )


def _leaving_jumps(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Return/break/continue under `body` that leave it: not inside nested scopes, loop jumps not inside inner loops."""
    stack: list[tuple[ast.AST, bool]] = [(stmt, False) for stmt in reversed(body)]
    while stack:
        node, in_loop = stack.pop()
        if isinstance(node, SCOPE_NODES):
            continue
        if isinstance(node, ast.Return) or (isinstance(node, (ast.Break, ast.Continue)) and not in_loop):
            yield node
            continue
        if isinstance(node, LOOP_NODES):
            stack.extend((stmt, in_loop) for stmt in reversed(node.orelse))  # a loop's else is outside the loop
            stack.extend((stmt, True) for stmt in reversed(node.body))
            continue
        for child in reversed(list(ast.iter_child_nodes(node))):
            if isinstance(child, (ast.ExceptHandler, ast.match_case)):
                stack.extend((stmt, in_loop) for stmt in reversed(child.body))
            elif isinstance(child, ast.stmt):
                stack.append((child, in_loop))
