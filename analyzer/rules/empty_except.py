"""EMPTY_EXCEPT: an `except` that catches everything and does nothing.

What it does:
    Flags an `except` that catches everything and only says `pass`. That is
    `except:`, `except Exception:` or `except BaseException:` whose body is
    `pass` or `...`. Narrow handlers such as
    `except FileNotFoundError: pass` are not findings, nor are handlers in
    best-effort teardown (`__del__`, `__exit__`, `close`, `dispose`, `__repr__`). A handler that swallows the
    error and lets the function return success is SILENT_FAILURE's finding,
    not this one.

Why it matters:
    Every failure in the `try` block disappears: the database is down, the
    file is corrupt, a typo raises NameError, and the program carries on with
    half-done work and no trace of why. Tests that mock the happy path never
    reach the handler.

Example:
    def sync_inventory(store):
        try:
            store.push(load_stock())
        except Exception:
            pass

Use instead:
    def sync_inventory(store):
        try:
            store.push(load_stock())
        except ConnectionError:
            logger.warning("inventory sync skipped: store unreachable", exc_info=True)
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.model import Severity
from analyzer.registry import Report, rule
from analyzer.rules._statements import block_holding, catches_broadly, clause_text, is_pass_only, walk_local
from analyzer.vocabulary import success_signature

# Best-effort teardown and display, where an error has nowhere useful to go.
TEARDOWN_FUNCTIONS = frozenset({"__del__", "__exit__", "__aexit__", "__repr__", "close", "aclose", "dispose", "cleanup", "shutdown", "teardown", "tearDown", "terminate"})
_TRY_NODES = (ast.Try, ast.TryStar) if hasattr(ast, "TryStar") else (ast.Try,)


@rule("EMPTY_EXCEPT", Severity.WARN, on=_TRY_NODES, precision=0.8)
def check(node: ast.Try, ctx) -> Iterator[Report]:
    if ctx.function is not None and ctx.function.name in TEARDOWN_FUNCTIONS:
        return
    for handler in node.handlers:
        if not is_pass_only(handler.body) or not catches_broadly(handler):
            continue
        if ctx.function is not None and _falls_through_to_success(node, ctx):
            continue  # SILENT_FAILURE reports this handler
        what = "every exception, KeyboardInterrupt and SystemExit included," if handler.type is None else "every exception"
        yield Report(
            line=handler.lineno,
            end_line=handler.end_lineno,
            message=f"`{clause_text(handler)}: pass` on line {handler.lineno} swallows {what} from the `try` on line {node.lineno} without a trace",
            evidence=(handler.lineno,),
        )


def _falls_through_to_success(node: ast.Try, ctx) -> bool:
    """The `try` has no return of its own and is followed by a success-shaped `return` (SILENT_FAILURE's case)."""
    placed = block_holding(ctx.parent, node)
    if placed is None:
        return False
    block, index = placed
    following = block[index + 1] if index + 1 < len(block) else None
    if not isinstance(following, ast.Return) or success_signature(following.value) is None:
        return False
    return not any(isinstance(inner, ast.Return) for inner in walk_local(node.body))
