"""BROAD_EXCEPT_SWALLOWED: `except Exception` that carries on as if nothing happened, leaving no trace.

What it does:
    Flags an `except Exception:` handler that falls back silently, leaving no
    trace of the error. The handler (of `Exception` or `BaseException`) does
    something, such as returning a default, `continue`, or assigning a
    placeholder, but neither re-raises (a bare `raise`, or a `with
    safe_reraise():` block), nor logs or reports (a write to `sys.stderr` or
    `wsgi.errors` counts), nor looks at the exception. Empty
    handlers are EMPTY_EXCEPT's, bare `except:` is BARE_EXCEPT's, and a
    handler that answers with the `try` block's success value is
    SILENT_FAILURE's.

Why it matters:
    Catching everything turns every bug into the fallback path: a typo, a
    timeout and a corrupt record all become "no discount" or "skip this
    row", silently. The numbers are wrong and there is no log line to say
    why. Tests pass because the fallback is a valid value.

Example:
    def discount_for(user):
        try:
            return pricing.lookup(user.tier)
        except Exception:
            return 0

Use instead:
    def discount_for(user):
        try:
            return pricing.lookup(user.tier)
        except pricing.UnknownTier:
            logger.warning("no discount table for tier %s", user.tier)
            return 0
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import FunctionFacts, HandlerFact
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.rules import silent_failure
from analyzer.rules.bare_except import reraises
from analyzer.rules._statements import BROAD_EXCEPTIONS, is_pass_only
from analyzer.rules.empty_except import TEARDOWN_FUNCTIONS

_REPORTING_CALLS = frozenset({"exception", "print_exc", "format_exc", "print_exception", "capture_exception", "captureException", "exc_info", "report", "notify", "warn", "warning", "error", "critical", "fail", "abort", "exit", "flash", "set_exception"})
_REPORTING_WORDS = ("error", "fail", "warn", "report", "alert", "notify", "abort", "exception", "traceback")


@rule("BROAD_EXCEPT_SWALLOWED", Severity.WARN, on=FUNCTION, precision=0.78)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    if not fn.tries or fn.name in TEARDOWN_FUNCTIONS or ctx.is_test_file:
        return None
    return _findings(fn, ctx)


def _findings(fn: FunctionFacts, ctx) -> Iterator[Report]:
    owned: set[int] | None = None
    for try_fact in fn.tries:
        for handler in try_fact.handlers:
            if not _swallows_broadly(handler):
                continue
            if owned is None:
                owned = {report.line for report in silent_failure.check(fn, ctx) or ()}
            node = handler.node
            if any(node.lineno <= line <= (node.end_lineno or node.lineno) for line in owned):
                continue  # SILENT_FAILURE reports this handler
            yield Report(
                line=node.lineno,
                end_line=node.lineno,
                message=f"`except {ast.unparse(node.type)}` on line {node.lineno} {_outcome(node)} without logging, re-raising or looking at the exception: every failure, bugs included, takes this path silently",
                evidence=(node.lineno,),
            )


def _swallows_broadly(handler: HandlerFact) -> bool:
    if not handler.caught or not any(name in BROAD_EXCEPTIONS for name in handler.caught):
        return False
    if is_pass_only(handler.node.body) or handler.raises or handler.reads_bound_name or reraises(handler.node):
        return False
    for call in handler.calls:
        if call.is_log or call.attr in _REPORTING_CALLS or _writes_to_error_stream(call.node):
            return False
        if any(word in call.attr.lower() for word in _REPORTING_WORDS):
            return False
    return True


def _writes_to_error_stream(call: ast.Call) -> bool:
    """`sys.stderr.write(...)`, `environ["wsgi.errors"].write(...)`: a report to the error log by another name."""
    func = call.func
    return isinstance(func, ast.Attribute) and func.attr in ("write", "writelines") and "err" in ast.unparse(func.value).lower()


def _outcome(handler: ast.ExceptHandler) -> str:
    last = handler.body[-1]
    if isinstance(last, ast.Return):
        value = "None" if last.value is None else ast.unparse(last.value)
        if len(value) > 30:
            value = value[:27] + "..."
        return f"returns `{value}`"
    if isinstance(last, ast.Continue):
        return "skips to the next iteration"
    if isinstance(last, ast.Break):
        return "leaves the loop"
    return "carries on"
