"""Structure metrics of one function: cyclomatic complexity and how deeply its blocks nest.

Pure functions of a function's AST node, shared by the HIGH_COMPLEXITY and
DEEP_NESTING rules and by the `structure` report, so that a number the report
shows and a finding a rule makes are always the same number. Nested functions
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
import re
from dataclasses import dataclass

COMPLEXITY_THRESHOLD = 15  # HIGH_COMPLEXITY flags complexity above this
NESTING_THRESHOLD = 4  # DEEP_NESTING flags blocks nested deeper than this

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
_BRANCHES = (ast.If, ast.IfExp, ast.For, ast.AsyncFor, ast.While, ast.ExceptHandler)
_BLOCKS = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.With, ast.AsyncWith, ast.Try, ast.Match)
if hasattr(ast, "TryStar"):
    _BLOCKS = (*_BLOCKS, ast.TryStar)
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
# Every decision point above is written with one of these keywords, so their count bounds the complexity.
_DECISION_KEYWORDS = re.compile(r"\b(?:if|elif|for|while|and|or|except|case)\b")


def complexity_upper_bound(source: str) -> int:
    """1 + the number of decision keywords in `source`: never below the complexity of the code it holds.

    Cheap (one regex pass), so a caller can skip the walk for the many
    functions that cannot reach a threshold.
    """
    return 1 + len(_DECISION_KEYWORDS.findall(source))


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
            complexity += len(node.cases) - (1 if node.cases and _is_wildcard(node.cases[-1]) else 0)
        for name in _CHILD_FIELDS.get(node_type, ()):
            value = getattr(node, name, None)
            if type(value) is list:
                stack.extend(value)  # a list of names (`global a, b`) costs a pop each, nothing more
            elif isinstance(value, ast.AST):
                stack.append(value)
    return complexity


def _is_wildcard(case: ast.match_case) -> bool:
    return isinstance(case.pattern, ast.MatchAs) and case.pattern.pattern is None and case.guard is None


@dataclass(frozen=True, slots=True)
class Nesting:
    """The most deeply nested block of a function: its level, line, and the blocks around it, outermost first."""

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
        path = (*around, _keyword(stmt))
        if len(path) > best.depth:
            best = Nesting(len(path), stmt.lineno, path)
        children: list[tuple[ast.stmt, tuple[str, ...]]] = []
        for block, continues in _inner_blocks(stmt):
            children.extend((child, around if continues else path) for child in block)
        stack.extend(reversed(children))
    return best


def _keyword(stmt: ast.stmt) -> str:
    if isinstance(stmt, (ast.AsyncFor, ast.AsyncWith)):
        return "async " + ("for" if isinstance(stmt, ast.AsyncFor) else "with")
    return {ast.If: "if", ast.For: "for", ast.While: "while", ast.With: "with", ast.Match: "match"}.get(type(stmt), "try")


def _inner_blocks(stmt: ast.stmt):
    """The statement lists inside a compound statement, each with whether it continues the statement's own level."""
    if isinstance(stmt, ast.Match):
        for case in stmt.cases:
            yield case.body, False
        return
    yield stmt.body, False
    for handler in getattr(stmt, "handlers", ()):
        yield handler.body, False
    orelse = getattr(stmt, "orelse", [])
    is_elif = isinstance(stmt, ast.If) and len(orelse) == 1 and isinstance(orelse[0], ast.If) and orelse[0].col_offset == stmt.col_offset
    yield orelse, is_elif  # `elif` continues its `if`; any other else-block is one level in
    yield getattr(stmt, "finalbody", []), False
