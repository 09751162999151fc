"""Structure metrics of one function: cyclomatic complexity and how deeply its blocks nest.

Pure functions of a function's AST node, for the `structure` report. The
engine counts the same two numbers during its single walk for the
HIGH_COMPLEXITY and DEEP_NESTING rules (`FunctionFacts.complexity`,
`.nesting`), from the helpers here; tests hold the walk's numbers equal to
these functions', so a number the report shows and a finding a rule makes are
always the same number. Nested functions
and classes are measured on their own, never as part of the function around
them; lambdas and comprehensions are expressions and count where they sit.

Cyclomatic complexity is McCabe's: 1, plus one for each decision point:
`if` and `elif`, a conditional expression, `for`/`while` (async too), each
`except` handler, each `case` of a `match` but a final `case _:`, each
`and`/`or` beyond the first operand, and each `for` and `if` clause of a
comprehension.

Nesting counts compound statements (`if`, `for`, `while`, `with`, `try`,
`match`, async forms too) inside one another: a statement at the top of the
body is at level 0, the first `if` opens level 1. An `elif` continues its
`if` (it is not a level of its own); `else:` followed by an indented `if` is.
"""

from __future__ import annotations

import ast
from typing import NamedTuple

COMPLEXITY_THRESHOLD = 15  # HIGH_COMPLEXITY flags complexity above this
NESTING_THRESHOLD = 4  # DEEP_NESTING flags blocks nested deeper than this

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_BRANCHES = (ast.If, ast.IfExp, ast.For, ast.AsyncFor, ast.While, ast.ExceptHandler)
# Each compound statement that opens a block, with the keyword a nesting path names it by.
BLOCK_KEYWORDS: dict[type, str] = {
    ast.If: "if",
    ast.For: "for",
    ast.AsyncFor: "async for",
    ast.While: "while",
    ast.With: "with",
    ast.AsyncWith: "async with",
    ast.Try: "try",
    ast.Match: "match",
}
if hasattr(ast, "TryStar"):
    BLOCK_KEYWORDS[ast.TryStar] = "try"
_BLOCKS = tuple(BLOCK_KEYWORDS)
_SCOPE_TYPES = frozenset(_SCOPES)
_BRANCH_TYPES = frozenset(_BRANCHES)


def _all_node_types(base: type = ast.AST) -> list[type]:
    found = []
    for sub in base.__subclasses__():
        found.append(sub)
        found.extend(_all_node_types(sub))
    return found


# The fields of each node type that hold child nodes (not `ctx`, `op`, names or constants), computed once.
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {
    node_type: tuple(f for f in node_type._fields if f not in ("ctx", "op", "type_comment", "kind"))
    for node_type in _all_node_types()
    if node_type._fields and node_type not in (ast.Name, ast.Constant)
}
def cyclomatic_complexity(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> int:
    """McCabe complexity of one function's own body (nested defs and classes excluded)."""
    body = function.body if isinstance(function.body, list) else [function.body]
    complexity = 1
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        node_type = type(node)
        if node_type in _SCOPE_TYPES:
            continue
        if node_type in _BRANCH_TYPES:
            complexity += 1
        elif node_type is ast.BoolOp:
            complexity += len(node.values) - 1
        elif node_type is ast.comprehension:
            complexity += 1 + len(node.ifs)
        elif node_type is ast.Match:
            complexity += match_decisions(node)
        for name in _CHILD_FIELDS.get(node_type, ()):
            value = getattr(node, name, None)
            if type(value) is list:
                stack.extend(value)  # a list of names (`global a, b`) costs a pop each, nothing more
            elif isinstance(value, ast.AST):
                stack.append(value)
    return complexity


def match_decisions(node: ast.Match) -> int:
    """What a `match` adds: one per `case`, but a final `case _:` (the fall-through) adds nothing."""
    cases = node.cases
    return len(cases) - (1 if cases and _is_wildcard(cases[-1]) else 0)


def _is_wildcard(case: ast.match_case) -> bool:
    return isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None and case.guard is None


class Nesting(NamedTuple):
    """The most deeply nested block of a function: its level, line, and the blocks around it, outermost first.

    A named tuple, immutable and cheap to make: the walk makes one per function and per deeper block.
    """

    depth: int
    line: int
    path: tuple[str, ...]  # keywords of the enclosing blocks and the block itself: ("for", "if", "try")


def deepest_block(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Nesting:
    """The most deeply nested compound statement in the function's own body.

    Depth 0 (at the def line) when the body has no compound statement. Of
    several blocks at the deepest level, the first in the source is reported.
    """
    best = Nesting(0, function.lineno, ())
    # (statement, keywords of the blocks around it)
    stack: list[tuple[ast.stmt, tuple[str, ...]]] = [(stmt, ()) for stmt in reversed(function.body)]
    while stack:
        stmt, around = stack.pop()
        if not isinstance(stmt, _BLOCKS):
            continue
        path = (*around, BLOCK_KEYWORDS[type(stmt)])
        if len(path) > best.depth:
            best = Nesting(len(path), stmt.lineno, path)
        children: list[tuple[ast.stmt, tuple[str, ...]]] = []
        for block, continues in _inner_blocks(stmt):
            children.extend((child, around if continues else path) for child in block)
        stack.extend(reversed(children))
    return best


def has_elif(stmt: ast.If) -> bool:
    """The `else` of this `if` is an `elif`: one `if` at the same column, which continues this level."""
    orelse = stmt.orelse
    return len(orelse) == 1 and isinstance(orelse[0], ast.If) and orelse[0].col_offset == stmt.col_offset


def _inner_blocks(stmt: ast.stmt):
    """The statement lists inside a compound statement, each with whether it continues the statement's own level."""
    if isinstance(stmt, ast.Match):
        for case in stmt.cases:
            yield case.body, False
        return
    yield stmt.body, False
    for handler in getattr(stmt, "handlers", ()):
        yield handler.body, False
    yield getattr(stmt, "orelse", []), isinstance(stmt, ast.If) and has_elif(stmt)  # `elif` continues its `if`; any other else-block is one level in
    yield getattr(stmt, "finalbody", []), False
