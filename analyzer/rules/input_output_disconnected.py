"""INPUT_OUTPUT_DISCONNECTED: parameters that never reach the result or any effect.

What it does:
    Flags parameters whose value reaches neither the function's return value
    nor any side effect (a call, a store, a raise, a condition). A parameter
    used only in a log call does not count as reaching.

Why it matters:
    The signature promises that the answer depends on these inputs, and it
    does not: every user tier gets the same discount, the promo code is
    ignored. It reads as finished code and passes tests that only check the
    shape of the result.

Example:
    def calculate_discount(user_tier, purchase_amount, promo_code):
        base_discount = 0.10
        return {"discount": base_discount, "final": purchase_amount * 0.90}

Use instead:
    def calculate_discount(user_tier, purchase_amount, promo_code):
        rate = TIER_RATES[user_tier] + PROMO_RATES.get(promo_code, 0)
        return {"discount": rate, "final": purchase_amount * (1 - rate)}
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import FunctionFacts, Param
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.vocabulary import is_abstract_or_overload, is_stub_body

# Names that fixed-signature callbacks receive whether they need them or not.
_CALLBACK_PARAMS = frozenset(
    """request req response resp event context ctx sender signal instance created raw using update_fields
    environ start_response exc_type exc_val exc_value exc_tb traceback tb frame signum sig args kwargs
    app config node visitor parent parser options opts settings info root obj self cls args_ kwargs_
    message msg record handler timeout""".split()
)
_CALLBACK_NAME_PARTS = ("handler", "callback", "hook", "listener", "receiver", "visit_", "on_", "handle", "process_", "__")
_NO_FLOW_ANALYSIS_CALLS = frozenset({"locals", "vars", "eval", "exec", "currentframe", "signature", "getcallargs"})
_SIMPLE_DECORATORS = frozenset({"staticmethod", "classmethod", "cache", "lru_cache", "functools.cache", "functools.lru_cache", "cached_property", "property"})


@rule("INPUT_OUTPUT_DISCONNECTED", Severity.BLOCK, on=FUNCTION, precision=0.85)
def check(fn: FunctionFacts, ctx) -> Iterator[Report]:
    if _exempt(fn, ctx):
        return
    candidates = _judged_params(fn)
    if not candidates:
        return
    reaching = fn.names_reaching_output()
    disconnected = [p for p in candidates if p.name not in reaching]
    if not disconnected:
        return
    most = len(disconnected) * 2 > len(candidates)
    literal_result = bool(fn.returns) and all(
        isinstance(r.value, (ast.Dict, ast.List, ast.Tuple, ast.Constant, ast.Set, ast.JoinedStr)) for r in fn.returns
    )
    names = ", ".join(f"`{p.name}`" for p in disconnected)
    logged = [p.name for p in disconnected if p.name in fn.logged_names]
    detail = " (only logged)" if logged else ""
    verb = "reach" if len(disconnected) > 1 else "reaches"
    block = most and literal_result
    yield Report(
        line=fn.line,
        end_line=fn.line,
        message=f"parameter{'s' if len(disconnected) > 1 else ''} {names} of `{fn.name}()` never {verb} its result or any side effect{detail}",
        evidence=(fn.line, *(p.line for p in disconnected), *(r.line for r in fn.returns)),
        severity=None if block else Severity.WARN,
        strength=1.0 if block else 0.8,
    )


def _judged_params(fn: FunctionFacts) -> list[Param]:
    params = list(fn.params)
    if fn.is_method and params and not fn.has_decorator("staticmethod"):
        params = params[1:]  # self / cls
    return [
        p
        for p in params
        if p.kind in ("positional", "keyword") and not p.name.startswith("_") and p.name not in _CALLBACK_PARAMS
    ]


def _exempt(fn: FunctionFacts, ctx) -> bool:
    name = fn.name
    if name.startswith("__") and name.endswith("__"):
        return True
    if any(part in name for part in _CALLBACK_NAME_PARTS):
        return True
    if ctx.is_test_file or name.startswith("test_"):
        return True
    if is_abstract_or_overload(fn) or is_stub_body(fn) or fn.has_decorator("override", "fixture"):
        return True
    if any(d not in _SIMPLE_DECORATORS for d in fn.decorators):
        return True  # a decorator may impose the signature (routes, registries, signals)
    if fn.class_name is not None and _may_override(fn, ctx):
        return True
    if fn.parent is not None:
        return True  # nested functions are usually callbacks handed to someone else
    if any(call.name in _NO_FLOW_ANALYSIS_CALLS or call.attr in _NO_FLOW_ANALYSIS_CALLS for call in fn.calls):
        return True
    if _only_constant_return(fn):
        return True  # a default implementation; HARDCODED_RETURN's concern, not ours
    return False


def _only_constant_return(fn: FunctionFacts) -> bool:
    body = fn.body
    return len(body) == 1 and isinstance(body[0], ast.Return) and (body[0].value is None or isinstance(body[0].value, ast.Constant))


def _may_override(fn: FunctionFacts, ctx) -> bool:
    """True unless every base class is defined in this file and none of them defines the method."""
    bases = [b for b in fn.class_bases if b not in ("object", "")]
    if not bases:
        return False
    local_classes = {c.name: c for c in ctx.module.classes}
    for base in bases:
        base_node = local_classes.get(base)
        if base_node is None or any(dotted for dotted in map(ast.unparse, base_node.bases) if dotted != "object"):
            return True
        for stmt in base_node.body:
            if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == fn.name:
                return True
    return False
