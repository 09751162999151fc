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

Notes:
    Narrow "already done" exceptions are not failures: FileNotFoundError on
    delete, KeyError on a pop, DoesNotExist, IntegrityError on a duplicate
    insert. A handler next to another that returns a failure value or
    raises was chosen to mean success. A handler that records the failure (stores it, calls something
    named for failure or error) is not silent. A swallowed narrow exception
    followed by success, and a handler whose comment says it is deliberate
    (`# best effort`, `# fail open`), are WARN: they read as a decision
    someone made.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.facts import FunctionFacts, HandlerFact, TryFact
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.vocabulary import success_signature

# Exceptions that mean "already done" or "nothing to do", where carrying on is correct.
_BENIGN = frozenset(
    """FileNotFoundError FileExistsError KeyError ProcessLookupError NotADirectoryError StopIteration
    StopAsyncIteration ImportError ModuleNotFoundError DoesNotExist ObjectDoesNotExist NoResultFound
    AlreadyExists Http404 NotFound IntegrityError GeneratorExit""".split()
)
_BROAD = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})
_REPORTING_CALLS = frozenset(
    """exception print_exc format_exc capture_exception captureException capture_message captureMessage
    print_exception report notify warn warning error critical alert abort fail""".split()
)
_DELIBERATE = re.compile(
    r"ignor|best[ -]effort|fail[ -]?(open|safe)|intention|deliberate|on purpose|expected|ok to|okay|safe to|"
    r"non-?critical|not critical|optional|harmless|don'?t care|doesn'?t matter|already|by design|fine",
    re.IGNORECASE,
)
# Parts of callee names that record a failure: `mark_failed(job)`, `self._record_error(...)`.
_FAILURE_WORDS = ("fail", "error", "retry", "alert", "abort", "report", "notify", "dead_letter", "quarantine")


@rule("SILENT_FAILURE", Severity.BLOCK, on=FUNCTION, precision=0.92)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    if not fn.tries:
        return None  # most functions: no generator is even created
    return _findings(fn, ctx)


def _findings(fn: FunctionFacts, ctx) -> Iterator[Report]:
    for try_fact in fn.tries:
        # Only a handler's returns are compared with the success path's, and most handlers return nothing.
        success_shapes = _success_shapes(try_fact) if any(handler.returns for handler in try_fact.handlers) else set()
        reports_failure = None
        for handler in try_fact.handlers:
            if not _may_answer_success(try_fact, handler, success_shapes):
                continue  # most handlers: the costlier questions below cannot matter
            if reports_failure is None:
                reports_failure = _some_handler_reports_failure(try_fact)
            if reports_failure:
                break  # the function knows how to say "failed": the handlers that say "ok" chose to
            if _benign(handler) or handler.raises or _reports(handler) or _records_failure(handler):
                continue
            for ret in handler.returns:
                shape = success_signature(ret.value)
                if shape is not None and shape in success_shapes:
                    explained = _has_comment(handler.node, ctx)
                    because = "; the comment in the handler suggests it is deliberate" if explained else ""
                    yield Report(
                        line=ret.line,
                        end_line=ret.node.end_lineno or ret.line,
                        message=(
                            f"`{_caught(handler)}` (line {handler.node.lineno}) returns `{shape}` like the success path "
                            f"on line {_first_line(try_fact, shape)}: the failure is reported as success{because}"
                        ),
                        evidence=(handler.node.lineno, ret.line),
                        severity=Severity.WARN if explained else None,
                        strength=0.7 if explained else 1.0,
                    )
                    break
            else:
                yield from _falls_through_to_success(fn, try_fact, handler, ctx)


def _success_shapes(try_fact: TryFact) -> set[str]:
    """The success signatures the try's body returns."""
    return {sig for r in try_fact.body_returns if (sig := success_signature(r.value)) is not None}


def _may_answer_success(try_fact: TryFact, handler: HandlerFact, success_shapes: set[str]) -> bool:
    """What either finding needs first: a return to compare with the success path's, or (no return anywhere
    in the try) a handler that only swallows and falls through to what follows."""
    if handler.returns:
        return bool(success_shapes)
    return not try_fact.body_returns and _only_swallows(handler.node)


def _falls_through_to_success(fn: FunctionFacts, try_fact: TryFact, handler: HandlerFact, ctx) -> Iterator[Report]:
    """`except Exception: pass` followed by `return {"ok": True}`."""
    if handler.returns or not _only_swallows(handler.node) or try_fact.body_returns:
        return
    following = _statement_after(fn.node, try_fact.node)
    if not isinstance(following, ast.Return):
        return
    shape = success_signature(following.value)
    if shape is None:
        return
    explained = _has_comment(handler.node, ctx)
    broad = not handler.caught or any(name in _BROAD for name in handler.caught)
    weak = explained or not broad
    why = ""
    if explained:
        why = "; the comment in the handler suggests it is deliberate"
    elif not broad:
        why = "; a narrow exception may be an expected outcome"
    yield Report(
        line=handler.node.lineno,
        end_line=following.lineno,
        message=f"`{_caught(handler)}` swallows the error and the function goes on to return `{shape}` on line {following.lineno}{why}",
        evidence=(handler.node.lineno, following.lineno),
        severity=Severity.WARN if weak else None,
        strength=0.7 if weak else 1.0,
    )


def _some_handler_reports_failure(try_fact: TryFact) -> bool:
    """`except RequestRedirect: pass` next to `except HTTPException: return False`."""
    return any(
        handler.raises or any(success_signature(r.value) is None for r in handler.returns)
        for handler in try_fact.handlers
    ) and len(try_fact.handlers) > 1


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
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                continue
            for field in ("body", "orelse", "finalbody"):
                inner = getattr(stmt, field, None)
                if isinstance(inner, list) and inner and isinstance(inner[0], ast.stmt):
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


def _records_failure(handler: HandlerFact) -> bool:
    """The handler writes the failure down: a store (`job.status = "failed"`), or a call named for failure."""
    if any(any(word in call.attr.lower() for word in _FAILURE_WORDS) for call in handler.calls):
        return True
    for stmt in handler.node.body:
        for node in ast.walk(stmt):
            if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.ctx, ast.Store):
                return True
    return False


def _has_comment(handler: ast.ExceptHandler, ctx) -> bool:
    """A comment in the handler that says the swallowing is on purpose (`# best effort`, `# fail open`)."""
    for number in range(handler.lineno, (handler.end_lineno or handler.lineno) + 1):
        text = ctx.line_text(number)
        comment = text[text.index("#"):] if "#" in text else ""
        if comment and _DELIBERATE.search(comment):
            return True
    return False


def _caught(handler: HandlerFact) -> str:
    """The handler's clause as written: `except ValueError, KeyError` or a bare `except`."""
    if not handler.caught:
        return "except"
    names = ", ".join(handler.caught)
    return f"except ({names})" if len(handler.caught) > 1 else f"except {names}"


def _first_line(try_fact: TryFact, shape: str) -> int:
    return next(r.line for r in try_fact.body_returns if success_signature(r.value) == shape)
