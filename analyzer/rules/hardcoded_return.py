"""HARDCODED_RETURN: a function named for a computation or a check gives the same answer whatever its inputs.

What it does:
    Flags a function whose name promises to compute or decide something
    (`calculate_*`, `compute_*`, `validate_*`, `check_*`, `is_*`, `has_*`,
    `score_*` ...), that takes parameters, and that returns one and the same
    constant on every path. Default implementations are left alone: abstract
    methods, base, mixin, protocol and null-object classes, methods overridden
    elsewhere in the file, and functions whose docstring says it is a default.

Why it matters:
    The signature says the answer depends on the inputs; it does not. Every
    order gets the same shipping cost, every password is "strong", every
    address is valid. The code looks finished and a test written against one
    example passes.

Example:
    def calculate_shipping(weight_kg, destination):
        return 4.99

Use instead:
    def calculate_shipping(weight_kg, destination):
        zone = ZONES[destination]
        return zone.base_rate + zone.per_kg * weight_kg
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.facts import FunctionFacts
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.rules._constant_answers import (
    constant_answer,
    docstring,
    has_answer,
    is_deliberate_default,
    judged_params,
    overrides_foreign_method,
)
from analyzer.rules.auth_check_always_passes import is_auth_check

_COMPUTES = re.compile(
    r"^_*(calculate|calc|compute|estimate|evaluate|score|rank|rate|price|measure|predict|classify|detect|determine|assess|analy[sz]e"
    r"|validate|verify|check|is_valid|is_safe|is_strong|is_secure|is_eligible|is_allowed|is_expired|is_duplicate|is_spam|is_fraud"
    r"|has_valid|has_enough|has_sufficient|matches|match|contains|exceeds|within)(_|$)"
)
_FEATURE_FLAG = re.compile(r"(enabled|feature|flag|toggle|supported|available)")


@rule("HARDCODED_RETURN", Severity.WARN, on=FUNCTION, precision=0.8)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    if not _COMPUTES.match(fn.name) or fn.name.endswith("__"):
        return None
    return _findings(fn, ctx)


def _findings(fn: FunctionFacts, ctx) -> Iterator[Report]:
    answer = constant_answer(fn)
    if not has_answer(answer):
        return
    params = judged_params(fn)
    if not params:
        return
    if answer is True and is_auth_check(fn):
        return  # AUTH_CHECK_ALWAYS_PASSES reports it
    if is_deliberate_default(fn, ctx) or overrides_foreign_method(fn, ctx):
        return
    if _FEATURE_FLAG.search(fn.name) and docstring(fn):
        return
    if any(call.discarded and not call.is_log for call in fn.calls) or any(isinstance(s, ast.Assert) for s in fn.body):
        return  # it delegates to something that may raise or act: the constant is a success flag
    shown = ", ".join(f"`{name}`" for name in params)
    lines = tuple(r.line for r in fn.returns)
    yield Report(
        line=fn.line,
        end_line=fn.line,
        message=f"`{fn.name}()` returns `{answer!r}` on every path, whatever {shown} {'are' if len(params) > 1 else 'is'}",
        evidence=(fn.line, *lines),
    )
