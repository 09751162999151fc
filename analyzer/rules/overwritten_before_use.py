"""OVERWRITTEN_BEFORE_USE: a computed value is replaced before anything reads it.

What it does:
    Flags a local assigned the result of a call and then assigned again, later
    in the same block, with no read of the first value in between.

Why it matters:
    The first computation is wasted, and usually it was the one that mattered:
    the validated payload is replaced by the raw one, the converted amount by
    a default, the query result by a fresh query. The code runs, the tests
    pass, and the function quietly works on the wrong value.

Example:
    def update_profile(user, payload):
        data = validate_profile(payload)
        data = payload
        user.update(**data)

Use instead:
    def update_profile(user, payload):
        data = validate_profile(payload)
        user.update(**data)
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import AssignFact, FunctionFacts
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.rules._statements import COMPOUND_STATEMENTS, SCOPE_NODES, child_blocks, one_line, reads_name, same_code
from analyzer.vocabulary import callee_parts, is_pure_call

_INTROSPECTION = frozenset({"locals", "vars", "eval", "exec"})


@rule("OVERWRITTEN_BEFORE_USE", Severity.BLOCK, on=FUNCTION, precision=0.88)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    if ctx.is_test_file or len(fn.assigns) < 2:
        return None  # a pair takes two assignments
    pairs = _unread_pairs(fn)
    if not pairs or any(call.attr in _INTROSPECTION for call in fn.calls):
        return None
    return _findings(fn, pairs)


def _findings(fn: FunctionFacts, pairs: list[tuple[str, AssignFact, AssignFact]]) -> Iterator[Report]:
    blocks = _blocks_by_statement(fn.node)
    for name, first, second in pairs:
        placed, other = blocks.get(id(first.node)), blocks.get(id(second.node))
        if placed is None or other is None or placed[1] is not other[1]:
            continue  # not straight-line code of one block
        owner, block = placed
        if isinstance(owner, ast.Try) and block is owner.body and reads_name([*owner.handlers, *owner.finalbody], name):
            continue  # the handler may see the first value when the second computation raises
        call = _call_of(first.value)
        repeated = same_code(first.value, second.value)
        pure = call is not None and _looks_pure(call, fn) and not repeated
        how = "computed again" if repeated else "overwritten"
        yield Report(
            line=second.line,
            end_line=second.node.end_lineno,
            message=f"`{name}` is assigned `{one_line(first.value)}` on line {first.line} and {how} on line {second.line} before it is read",
            evidence=(first.line, second.line),
            severity=None if pure else Severity.WARN,
            strength=1.0 if pure else 0.75,
        )


def _unread_pairs(fn: FunctionFacts) -> list[tuple[str, AssignFact, AssignFact]]:
    """(name, first, second): consecutive plain assignments to `name` with no read of it in between."""
    pairs: list[tuple[str, AssignFact, AssignFact]] = []
    # The names worth pairing: bound more than once, not private, not global. Most names are bound once.
    rebound = {name for name, lines in fn.assigned.items() if len(lines) > 1 and not name.startswith("_")} - fn.globals_declared
    if not rebound:
        return pairs
    by_name: dict[str, list[AssignFact]] = {}
    for assign in fn.assigns:
        targets = assign.targets
        if not targets or targets[0] not in rebound:
            continue
        node = assign.node
        node_type = node.__class__
        if node_type is ast.Assign:
            if len(node.targets) != 1 or node.targets[0].__class__ is not ast.Name:
                continue
        elif not (node_type is ast.AnnAssign and node.value is not None and node.target.__class__ is ast.Name):
            continue
        by_name.setdefault(targets[0], []).append(assign)
    for name, assigns in by_name.items():
        reads = fn.reads.get(name, ())
        for first, second in zip(assigns, assigns[1:]):
            if _call_of(first.value) is None:
                continue
            first_end = first.node.end_lineno or first.line
            second_end = second.node.end_lineno or second.line
            if first_end >= second.line:
                continue  # same line: `a = f(); a = g(a)` reads we cannot tell apart
            if _any_line_within(reads, first_end, second_end):
                continue
            if any(first_end < line < second.line for line in fn.assigned.get(name, ())):
                continue  # rebound in between (a loop target, a with-item): another pair
            pairs.append((name, first, second))
    return pairs


def _any_line_within(lines, after: int, upto: int) -> bool:
    """Some line in `after < line <= upto`: a plain loop, not any() over a generator, asked for every pair."""
    for line in lines:
        if after < line <= upto:
            return True
    return False


def _call_of(value: ast.AST | None) -> ast.Call | None:
    if isinstance(value, ast.Await):
        value = value.value
    return value if isinstance(value, ast.Call) else None


def _looks_pure(call: ast.Call, fn: FunctionFacts) -> bool:
    """A call made for its value (parse, validate, compute), so losing the value loses the point of the call."""
    for fact in fn.calls:
        if fact.node is call:
            return is_pure_call(fact)
    name, last = callee_parts(call)
    return bool(last) and last.lstrip("_").lower().startswith(("validate", "parse", "compute", "calculate", "normalize", "clean"))


def _blocks_by_statement(function: ast.AST) -> dict[int, tuple[ast.AST, list[ast.stmt]]]:
    """id(statement) -> (the statement or function holding its block, the block), for the function's own statements."""
    placed: dict[int, tuple[ast.AST, list[ast.stmt]]] = {}
    stack: list[tuple[ast.AST, list[ast.stmt]]] = [(function, function.body)]
    while stack:
        owner, block = stack.pop()
        for stmt in block:
            placed[id(stmt)] = (owner, block)
            if stmt.__class__ in COMPOUND_STATEMENTS and not isinstance(stmt, SCOPE_NODES):
                for inner in child_blocks(stmt):
                    stack.append((stmt, inner))
    return placed
