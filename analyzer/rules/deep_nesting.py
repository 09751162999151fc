"""DEEP_NESTING: blocks are nested more than four deep inside one function.

What it does:
    Flags a function with blocks nested more than four deep. A compound
    statement (`if`, `for`, `while`, `with`, `try`, `match`, async forms)
    inside four others is reported once per function, at the most deeply
    nested one. An `elif` continues its `if` and is not a level of its own;
    nested functions are measured on their own.

Why it matters:
    Each level is one more condition the reader must keep in mind to know
    when a line runs; at five, the `else` that belongs to the third `if` is
    off the screen. Errors hide in the paths nobody can trace, and the
    function cannot be tested one concern at a time.

Example:
    def sync(accounts):
        for account in accounts:
            if account.active:
                for invoice in account.invoices:
                    if invoice.due:
                        try:
                            charge(invoice)
                        except CardError:
                            notify(account)

Use instead:
    def sync(accounts):
        for account in accounts:
            if account.active:
                charge_due_invoices(account)

    def charge_due_invoices(account):
        for invoice in account.invoices:
            if not invoice.due:
                continue
            try:
                charge(invoice)
            except CardError:
                notify(account)

Notes:
    The engine measures the depth during its single walk, by the definition
    of `analyzer.complexity.deepest_block`; tests hold the two equal.
"""

from __future__ import annotations

from typing import Iterator

from analyzer.complexity import NESTING_THRESHOLD
from analyzer.facts import FunctionFacts
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule


@rule("DEEP_NESTING", Severity.WARN, on=FUNCTION, precision=0.97)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    nesting = fn.nesting
    if nesting is None or nesting.depth <= NESTING_THRESHOLD:
        return None
    keyword = nesting.path[-1]
    return iter([
        Report(
            line=nesting.line,
            message=f"`{keyword}` on line {nesting.line} is nested {nesting.depth} blocks deep in `{fn.name}()` "
            f"({' > '.join(nesting.path)}): return early, or move the inner blocks into a function of their own",
            evidence=(nesting.line,),
        )
    ])
