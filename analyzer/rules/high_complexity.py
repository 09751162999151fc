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
    The engine counts the number during its single walk, by the definition
    of `analyzer.complexity.cyclomatic_complexity`, the function the
    `structure` report shows; tests hold the two equal. The finding sits on the `def` line, so a pull request is told
    when it adds such a function, not every time it touches one.
"""

from __future__ import annotations

from typing import Iterator

from analyzer.complexity import COMPLEXITY_THRESHOLD
from analyzer.facts import FunctionFacts
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule


@rule("HIGH_COMPLEXITY", Severity.WARN, on=FUNCTION, precision=0.97)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    complexity = fn.complexity
    if complexity <= COMPLEXITY_THRESHOLD:
        return None
    return iter([
        Report(
            line=fn.line,
            message=f"`{fn.name}()` has cyclomatic complexity {complexity} (over {COMPLEXITY_THRESHOLD}): "
            f"{complexity} independent paths to reason about and test; split it or replace branches with a table",
            evidence=(fn.line,),
        )
    ])
