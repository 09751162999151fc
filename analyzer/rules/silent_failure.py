"""SILENT_FAILURE: an exception handler that reports success.

What it does:
    Flags an `except` handler that answers with the same success-shaped value
    as the `try` path (`True`, `{"success": True}`, `{"status": "ok"}`, a
    success response) without re-raising, logging the exception, or returning
    a failure value; and a handler that swallows the error so that the
    function falls through to its success return.

Why it matters:
    The payment failed and the caller is told it succeeded. Nothing is
    logged, so nobody finds out until the money or the data is missing. Tests
    that mock the happy path never run the handler.

Example:
    def process_payment(amount, card_token):
        try:
            result = payment_gateway.charge(amount, card_token)
            return {"success": True, "transaction_id": result["id"]}
        except Exception:
            return {"success": True, "transaction_id": None}

Use instead:
    def process_payment(amount, card_token):
        try:
            result = payment_gateway.charge(amount, card_token)
            return {"success": True, "transaction_id": result["id"]}
        except PaymentError as exc:
            logger.exception("charge failed")
            return {"success": False, "error": str(exc)}
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import FunctionFacts, HandlerFact, TryFact
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.vocabulary import success_signature

# Exceptions that mean "already done" or "nothing to do", where carrying on is correct.
_BENIGN = frozenset(
    """FileNotFoundError FileExistsError KeyError ProcessLookupError NotADirectoryError StopIteration
    StopAsyncIteration ImportError ModuleNotFoundError DoesNotExist ObjectDoesNotExist NoResultFound
    AlreadyExists Http404 NotFound IntegrityError""".split()
)
_REPORTING_CALLS = frozenset({"exception", "print_exc", "format_exc", "capture_exception", "captureException", "print_exception", "report", "notify", "warn", "warning", "error", "critical"})


@rule("SILENT_FAILURE", Severity.BLOCK, on=FUNCTION, precision=0.9)
def check(fn: FunctionFacts, ctx) -> Iterator[Report]:
    for try_fact in fn.tries:
        success_shapes = {sig for r in try_fact.body_returns if (sig := success_signature(r.value)) is not None}
        for handler in try_fact.handlers:
            if _benign(handler) or handler.raises or _reports(handler):
                continue
            for ret in handler.returns:
                shape = success_signature(ret.value)
                if shape is not None and shape in success_shapes:
                    yield Report(
                        line=ret.line,
                        end_line=ret.node.end_lineno or ret.line,
                        message=f"`{_caught(handler)}` returns `{shape}` like the success path on line {_first_line(try_fact, shape)}: the failure is reported as success",
                        evidence=(handler.node.lineno, ret.line),
                    )
                    break
            else:
                yield from _falls_through_to_success(fn, try_fact, handler)


def _falls_through_to_success(fn: FunctionFacts, try_fact: TryFact, handler: HandlerFact) -> Iterator[Report]:
    """`except Exception: pass` followed by `return {"ok": True}`."""
    if handler.returns or not _only_swallows(handler.node) or try_fact.body_returns:
        return
    following = _statement_after(fn.node, try_fact.node)
    if not isinstance(following, ast.Return):
        return
    shape = success_signature(following.value)
    if shape is None:
        return
    yield Report(
        line=handler.node.lineno,
        end_line=following.lineno,
        message=f"`{_caught(handler)}` swallows the error and the function goes on to return `{shape}` on line {following.lineno}",
        evidence=(handler.node.lineno, following.lineno),
    )


def _only_swallows(handler: ast.ExceptHandler) -> bool:
    return all(isinstance(stmt, (ast.Pass, ast.Continue)) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant)) for stmt in handler.body)


def _statement_after(func: ast.AST, target: ast.stmt) -> ast.stmt | None:
    """The statement that follows `target` in the block that holds it (a shallow search of blocks)."""
    blocks = [func.body]
    while blocks:
        block = blocks.pop()
        for index, stmt in enumerate(block):
            if stmt is target:
                return block[index + 1] if index + 1 < len(block) else None
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt) and not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    blocks.append(inner)
            for handler in getattr(stmt, "handlers", ()):
                blocks.append(handler.body)
    return None


def _benign(handler: HandlerFact) -> bool:
    return bool(handler.caught) and all(name.rsplit(".", 1)[-1] in _BENIGN for name in handler.caught)


def _reports(handler: HandlerFact) -> bool:
    if handler.reads_bound_name:
        return True
    return any(call.is_log or call.attr in _REPORTING_CALLS for call in handler.calls)


def _caught(handler: HandlerFact) -> str:
    """The handler's clause as written: `except ValueError, KeyError` or a bare `except`."""
    return "except " + ", ".join(handler.caught) if handler.caught else "except"


def _first_line(try_fact: TryFact, shape: str) -> int:
    return next(r.line for r in try_fact.body_returns if success_signature(r.value) == shape)
