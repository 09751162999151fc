"""EXCEPTION_CONTEXT_LOST: a new exception raised in an `except` handler without `from` and without the original.

What it does:
    Flags a new exception raised in an `except` handler without `from`, when
    the handler never looks at the caught exception. It applies where the
    handler catches everything (`except Exception`, bare `except`) or the
    new exception is a generic one (`Exception`, `RuntimeError`). Translating one specific error into another
    (`except KeyError: raise AttributeError(name)`) is not a finding. The fix
    adds `from <name>` when the handler binds the exception on the
    same `except ... as <name>` clause.

Why it matters:
    The new exception is what gets logged and shown; the original one, the
    one that says which row, which host, which key, is only implicit context
    that many error trackers and `logger.error(str(exc))` drop. The on-call
    engineer sees "payment failed" with nothing to say why. `raise ... from
    exc` keeps the cause explicit; `from None` says it was dropped on purpose.

Example:
    def sync_orders(client):
        try:
            return client.fetch_orders()
        except Exception:
            raise RuntimeError("order sync failed")

Use instead:
    def sync_orders(client):
        try:
            return client.fetch_orders()
        except Exception as exc:
            raise RuntimeError("order sync failed") from exc
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.model import Fix, Severity
from analyzer.registry import Report, rule
from analyzer.facts import dotted_name
from analyzer.rules._statements import SCOPE_NODES, catches_broadly, clause_text, one_line, reads_name

# Exceptions that say nothing of their own: raising one in place of the caught error loses what went wrong.
GENERIC_EXCEPTIONS = frozenset({"Exception", "BaseException", "RuntimeError"})
_TRAILING = re.compile(r"^\s*(#.*)?$")


@rule("EXCEPTION_CONTEXT_LOST", Severity.WARN, on=ast.Raise, precision=0.91)
def check(node: ast.Raise, ctx) -> Iterator[Report] | None:
    if node.exc is None or node.cause is not None or ctx.is_test_file:
        return None
    if not isinstance(node.exc, ast.Call):
        return None  # `raise err`: an existing exception object, not a new one
    handler = _enclosing_handler(ctx.parents)
    if handler is None:
        return None  # most raises: not inside an except clause
    return _findings(node, handler, ctx)


def _findings(node: ast.Raise, handler: ast.ExceptHandler, ctx) -> Iterator[Report]:
    raised = dotted_name(node.exc.func).rsplit(".", 1)[-1]
    if not catches_broadly(handler) and raised not in GENERIC_EXCEPTIONS:
        return  # `except KeyError: raise AttributeError(name)`: a deliberate translation of a specific error
    if handler.name and reads_name(handler.body, handler.name):
        return  # the handler uses the exception (message, attribute, logging)
    if any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr in ("exc_info", "format_exc") for n in ast.walk(node.exc)):
        return
    yield Report(
        line=node.lineno,
        end_line=node.end_lineno,
        message=f"`raise {one_line(node.exc, 50)}` inside `{clause_text(handler)}` (line {handler.lineno}) replaces the caught exception without chaining it: add `from {handler.name or 'exc'}` (or `from None` to drop it on purpose)",
        evidence=(handler.lineno, node.lineno),
        fix=_from_fix(ctx, node, handler),
    )


def _enclosing_handler(parents: list[ast.AST]) -> ast.ExceptHandler | None:
    for parent in reversed(parents):
        if isinstance(parent, ast.ExceptHandler):
            return parent
        if isinstance(parent, SCOPE_NODES):
            return None
    return None


def _from_fix(ctx, node: ast.Raise, handler: ast.ExceptHandler) -> Fix | None:
    """Append ` from <name>` to a one-line raise, when the handler binds the exception."""
    if not handler.name or node.end_lineno != node.lineno:
        return None
    text = ctx.line_text(node.lineno).encode("utf-8")
    end = node.end_col_offset
    if end is None or not _TRAILING.match(text[end:].decode("utf-8", "replace")):
        return None
    fixed = (text[:end] + f" from {handler.name}".encode("utf-8") + text[end:]).decode("utf-8")
    return Fix(node.lineno, node.lineno, fixed, f"chain the new exception to `{handler.name}`")
