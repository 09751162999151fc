"""UNREACHABLE_CODE: statements after a `return`, `raise`, `continue` or `break` in the same block.

What it does:
    Flags a statement that can never run because it follows a `return`,
    `raise`, `continue` or `break` in the same block. A lone `yield` after a
    `return`/`raise` (the idiom that makes a function an empty generator) is
    not a finding.

Why it matters:
    The code was written to run and does not: the audit record after the
    early `return`, the cleanup after the `raise`, the counter update after
    the `continue`. Nothing fails, so nobody notices that the work it was
    meant to do never happens.

Example:
    def close_account(account):
        account.active = False
        return account.save()
        audit_log.record("account closed", account.id)

Use instead:
    def close_account(account):
        account.active = False
        audit_log.record("account closed", account.id)
        return account.save()
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.model import Severity
from analyzer.registry import Report, rule
from analyzer.rules._statements import block_holding

_JUMP_WORDS = {ast.Return: "return", ast.Raise: "raise", ast.Continue: "continue", ast.Break: "break"}


@rule("UNREACHABLE_CODE", Severity.BLOCK, on=(ast.Return, ast.Raise, ast.Continue, ast.Break), precision=0.9)
def check(node: ast.stmt, ctx) -> Iterator[Report] | None:
    parents = ctx.parents  # `ctx.parent`, without the property call
    parent = parents[-1] if parents else None
    body = getattr(parent, "body", None)
    if body and body[-1] is node:
        return None  # the common case: the jump ends its block
    return _findings(node, parent, ctx)


def _findings(node: ast.stmt, parent: ast.AST | None, ctx) -> Iterator[Report]:
    placed = block_holding(parent, node)
    if placed is None:
        return
    block, index = placed
    if index == len(block) - 1:
        return
    following = block[index + 1 :]
    if all(_is_generator_marker(stmt) for stmt in following):
        return
    first = following[0]
    last = following[-1]
    word = _JUMP_WORDS[node.__class__]
    yield Report(
        line=first.lineno,
        end_line=last.end_lineno or last.lineno,
        message=f"{_describe(first)} on line {first.lineno} never runs: it follows the `{word}` on line {node.lineno}",
        evidence=(node.lineno, first.lineno),
    )


def _is_generator_marker(stmt: ast.stmt) -> bool:
    """`yield` / `yield from ...` / `return` left to make the function a generator or to end it explicitly."""
    if isinstance(stmt, ast.Expr) and isinstance(stmt.value, (ast.Yield, ast.YieldFrom)):
        return True
    return isinstance(stmt, ast.Pass)


def _describe(stmt: ast.stmt) -> str:
    text = ast.unparse(stmt).split("\n", 1)[0].strip()
    if len(text) > 50:
        text = text[:47] + "..."
    return f"`{text}`"
