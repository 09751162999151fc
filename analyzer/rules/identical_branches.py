"""IDENTICAL_BRANCHES: an `if`/`else` or a ternary whose two branches are the same code.

What it does:
    Flags an `if`/`else` or a ternary whose two branches are the same code.
    It compares the code itself (comments, spacing and positions do not
    count), for `if` statements and for `a if cond else a`.

Why it matters:
    The condition decides nothing. Usually one branch was copied from the
    other and never edited: premium users get the standard price, the error
    path sends the success email. The code looks like it handles both cases,
    and tests that cover only one of them pass. Identical `if`/`else` blocks
    are warnings (mature code keeps some after refactors); an identical
    ternary blocks.

Example:
    def shipping_cost(order):
        if order.customer.is_premium:
            cost = order.weight * STANDARD_RATE
        else:
            cost = order.weight * STANDARD_RATE
        return cost

Use instead:
    def shipping_cost(order):
        if order.customer.is_premium:
            cost = order.weight * PREMIUM_RATE
        else:
            cost = order.weight * STANDARD_RATE
        return cost
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.model import Severity
from analyzer.registry import Report, rule
from analyzer.rules._statements import one_line, same_code


@rule("IDENTICAL_BRANCHES", Severity.BLOCK, on=(ast.If, ast.IfExp), precision=0.93)
def check(node: ast.If | ast.IfExp, ctx) -> Iterator[Report] | None:
    if node.__class__ is _IF:  # the common case first: most `if`s have no `else`
        body, orelse = node.body, node.orelse
        if not orelse or len(body) != len(orelse):
            return None
        for a, b in zip(body, orelse):
            if a.__class__ is not b.__class__:
                return None
        if _span(body) != _span(orelse):
            return None  # copied branches keep their layout; this spares comparing most pairs in full
        if not all(map(same_code, body, orelse)):
            return None
        return iter([
            Report(
                line=node.lineno,
                end_line=node.end_lineno,
                message=f"the `if {one_line(node.test, 40)}` branch and its `else` branch (line {orelse[0].lineno}) run the same code: the condition decides nothing",
                evidence=(node.lineno, orelse[0].lineno),
                # Mature code keeps identical blocks left over from refactors; a ternary has no such excuse.
                severity=Severity.WARN,
                strength=0.85,
            )
        ])
    if not same_code(node.body, node.orelse):
        return None
    return iter([
        Report(
            line=node.lineno,
            end_line=node.end_lineno,
            message=f"both branches of the conditional expression are `{one_line(node.body, 40)}`: `{one_line(node.test, 40)}` decides nothing",
            evidence=(node.lineno,),
        )
    ])


_IF = ast.If


def _span(block: list[ast.stmt]) -> int:
    return (block[-1].end_lineno or block[-1].lineno) - block[0].lineno
