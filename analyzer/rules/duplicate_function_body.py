"""DUPLICATE_FUNCTION_BODY: two functions in one file have the same body, statement for statement.

What it does:
    Flags a function whose body repeats an earlier function's in the same
    file. Bodies (docstring aside) of at least five statements are compared
    as syntax trees, so formatting and comments do not matter but every name
    does.

Why it matters:
    Copies drift: the next bug fix lands in one of them, and the other keeps
    the bug. AI assistants produce these when asked for "the same for
    orders" and rename only the function. One function with a parameter, or
    a shared helper, keeps the behaviour in one place.

Example:
    def export_users(rows):
        out = []
        for row in rows:
            out.append(row.to_dict())
        write_csv(out)
        return len(out)

    def export_orders(rows):
        out = []
        for row in rows:
            out.append(row.to_dict())
        write_csv(out)
        return len(out)

Use instead:
    def export(rows):
        out = [row.to_dict() for row in rows]
        write_csv(out)
        return len(out)

Notes:
    Short bodies (fewer than five statements: getters, delegations,
    `raise NotImplementedError`) repeat by nature and are not compared.
    Tests, where spelled-out repetition is often deliberate, are skipped.
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import FunctionFacts, ModuleFacts
from analyzer.model import Severity
from analyzer.registry import MODULE, Report, rule
from analyzer.rules._statements import COMPOUND_STATEMENTS, same_code

MIN_STATEMENTS = 5


@rule("DUPLICATE_FUNCTION_BODY", Severity.WARN, on=MODULE, precision=0.96)
def check(module: ModuleFacts, ctx) -> Iterator[Report]:
    if ctx.is_test_file or len(module.functions) < 2:
        return
    for group in _same_shape_groups(module.functions):
        firsts: list[FunctionFacts] = []  # the first function of each distinct body, in line order
        for fn in sorted(group, key=lambda f: f.line):
            if _statement_count(fn.body, stop_at=MIN_STATEMENTS) < MIN_STATEMENTS:
                continue
            first = next((earlier for earlier in firsts if same_code(earlier.body, fn.body)), None)
            if first is None:
                firsts.append(fn)
            else:
                yield Report(
                    line=fn.line,
                    message=f"`{fn.qualname}()` repeats the body of `{first.qualname}()` (line {first.line}) statement for statement "
                    f"({_statement_count(fn.body)} statements): a fix to one will miss the other; share one function",
                    evidence=(fn.line,),
                    function=fn.qualname,
                )


def _same_shape_groups(functions: list[FunctionFacts]) -> list[list[FunctionFacts]]:
    """Functions grouped by cheap shapes (statement count and span, then statement kinds), so only collisions are compared."""
    by_size: dict[tuple[int, int], list[FunctionFacts]] = {}
    for fn in functions:
        body = fn.body
        if len(body) >= 2 or (body and hasattr(body[0], "body")):
            node = fn.node  # `fn.end_line`, inlined: every function of the file comes here
            by_size.setdefault((len(body), (node.end_lineno or node.lineno) - body[0].lineno), []).append(fn)
    by_shape: dict[tuple, list[FunctionFacts]] = {}
    for size, group in by_size.items():
        if len(group) > 1:
            for fn in group:
                by_shape.setdefault((size, tuple(map(type, fn.body))), []).append(fn)
    return [group for group in by_shape.values() if len(group) > 1]


def _statement_count(body: list[ast.stmt], stop_at: int | None = None) -> int:
    """The statements in `body`, nested ones included; counting stops at `stop_at` when given."""
    count = len(body)
    if stop_at is not None and count >= stop_at:
        return count
    count = 0
    stack = list(body)
    while stack:
        stmt = stack.pop()
        count += 1
        if count == stop_at:
            return count
        if stmt.__class__ not in COMPOUND_STATEMENTS:
            continue
        for field in ("body", "orelse", "finalbody"):
            block = getattr(stmt, field, None)
            if isinstance(block, list):
                stack.extend(block)
        for handler in getattr(stmt, "handlers", ()) or ():
            stack.extend(handler.body)
        for case in getattr(stmt, "cases", ()) or ():
            stack.extend(case.body)
    return count
