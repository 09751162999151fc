"""HIGH_COMPLEXITY: a function has more independent paths than a reader can hold (cyclomatic complexity over 15).

What it does:
    Flags a function whose cyclomatic complexity is above 15. The count is
    McCabe's: one, plus one for each `if`/`elif`, conditional expression,
    loop, `except` handler, `case`, extra `and`/`or` operand and
    comprehension clause in its own body (nested functions are measured on
    their own).

Why it matters:
    Each decision doubles the situations the function can be in; past
    fifteen or so nobody can check them all, tests cover a fraction, and the
    branch that handles the rare case is the one that is wrong. AI-written
    code grows this way: one more `elif` per request, never a refactor.

Example:
    def price(order):
        if order.kind == "retail":
            ...
        elif order.kind == "wholesale":
            ...
        # ... fifteen more branches, each with its own conditions

Use instead:
    PRICING = {"retail": retail_price, "wholesale": wholesale_price}

    def price(order):
        return PRICING[order.kind](order)

Notes:
    The number is computed by `analyzer.complexity.cyclomatic_complexity`,
    the same function the `structure` report shows, so the two always
    agree. The finding sits on the `def` line, so a pull request is told
    when it adds such a function, not every time it touches one.
"""

from __future__ import annotations

from typing import Iterator

from analyzer.complexity import COMPLEXITY_THRESHOLD, complexity_upper_bound, cyclomatic_complexity
from analyzer.facts import FunctionFacts
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule


@rule("HIGH_COMPLEXITY", Severity.WARN, on=FUNCTION, precision=0.9)
def check(fn: FunctionFacts, ctx) -> Iterator[Report]:
    body = fn.body
    if not body:
        return
    text = "\n".join(ctx.lines[body[0].lineno - 1 : fn.end_line])  # after the docstring: prose says "if" a lot
    if complexity_upper_bound(text) <= COMPLEXITY_THRESHOLD:
        return  # fewer decision keywords than the threshold: no need to walk
    complexity = cyclomatic_complexity(fn.node)
    if complexity <= COMPLEXITY_THRESHOLD:
        return
    yield Report(
        line=fn.line,
        message=f"`{fn.name}()` has cyclomatic complexity {complexity} (over {COMPLEXITY_THRESHOLD}): "
        f"{complexity} independent paths to reason about and test; split it or replace branches with a table",
        evidence=(fn.line,),
    )
