"""INPUT_OUTPUT_DISCONNECTED: parameters that never reach the result or any effect.

What it does:
    Flags parameters whose value reaches neither the function's return value
    nor any side effect (a call, a store, a raise, a condition). A parameter
    used only in a log call does not count as reaching. Functions whose
    signature is imposed by someone else are left alone: overrides, abstract
    methods, default implementations meant to be overridden, callbacks with
    fixed signatures, functions registered or passed by name.

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

Notes:
    BLOCK when most of the judged parameters are disconnected and every
    return value is built from constants and parameters alone; WARN
    otherwise, because an ignored parameter next to real work is often a
    deliberate, documented no-op kept for compatibility.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.facts import FunctionFacts, Param
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.vocabulary import (
    docstring_of,
    is_abstract_or_overload,
    is_default_implementation,
    is_defined_more_than_once,
    is_documented_no_op,
    is_interface_method,
    is_referenced_by_name,
    is_stub_body,
    only_returns_a_literal,
    shares_signature_with_siblings,
    only_raises,
)

# Names that fixed-signature callbacks receive whether they need them or not.
_CALLBACK_PARAMS = frozenset(
    """request req response resp event context ctx sender signal instance created raw using update_fields
    environ start_response exc_type exc_val exc_value exc_tb traceback tb frame signum sig args kwargs
    app config node visitor parent parser options opts settings info root obj self cls args_ kwargs_
    message msg record handler timeout""".split()
)
_CALLBACK_NAME_PARTS = ("handler", "callback", "hook", "listener", "receiver", "visit_", "on_", "handle", "process_", "__", "pytest_")
_CALLBACK_NAME = re.compile("|".join(map(re.escape, _CALLBACK_NAME_PARTS)))  # one search for any of them
# Methods of protocols that Python itself calls with a fixed signature.
_PROTOCOL_METHODS = frozenset(
    """find_spec find_module load_module exec_module create_module get_resource_reader invalidate_caches
    connection_made connection_lost data_received eof_received datagram_received error_received
    emit filter format formatTime formatException log_message default shutdown makefile wrap_socket
    get_template get_source""".split()
)
# Functions whose job is to log: what they log is their output.
_LOGGING_NAME_PARTS = ("log", "warn", "report", "notify", "print", "debug", "trace", "audit", "emit", "show", "display", "echo")
_LOGGING_NAME = re.compile("|".join(map(re.escape, _LOGGING_NAME_PARTS)))  # one search for any of them
_CALLBACK_DOC = re.compile(r"\b(hook|callback|called by|calls (it|this)|invoked by|handler for|signal receiver)\b", re.IGNORECASE)
_NO_FLOW_ANALYSIS_CALLS = frozenset({"locals", "vars", "eval", "exec", "currentframe", "signature", "getcallargs", "_getframe"})
_SIMPLE_DECORATORS = frozenset({"staticmethod", "classmethod", "cache", "lru_cache", "functools.cache", "functools.lru_cache", "cached_property", "property"})
_FRESH_VALUES = (ast.Dict, ast.List, ast.Set, ast.Tuple, ast.Constant, ast.DictComp, ast.ListComp, ast.SetComp, ast.JoinedStr)
_CONSTANT_NODES = (ast.Constant, ast.Dict, ast.List, ast.Tuple, ast.Set, ast.BinOp, ast.UnaryOp, ast.BoolOp, ast.Compare,
                   ast.IfExp, ast.JoinedStr, ast.FormattedValue, ast.Name, ast.Load, ast.operator, ast.unaryop,
                   ast.boolop, ast.cmpop, ast.Starred)


@rule("INPUT_OUTPUT_DISCONNECTED", Severity.BLOCK, on=FUNCTION, precision=0.78)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    # Most functions use every parameter, most of them directly in a return or an effect, and most
    # that do not leave out only `self`, `*args` or a callback's `request`: decide that first,
    # choosing the judged parameters, the closure and the exemptions cost more.
    direct, effects = fn.return_names, fn.effect_names
    for param in fn.params:
        name = param.name
        if name in effects or name in direct or name in _CALLBACK_PARAMS:  # effects first: most parameters reach one
            continue  # used, or never judged (`self`, `cls`, `request` are callback parameters)
        if param.kind in _JUDGED_KINDS and not name.startswith("_"):  # `_may_be_judged`, inlined
            return _findings(fn, ctx)
    return None


def _findings(fn: FunctionFacts, ctx) -> Iterator[Report]:
    direct, effects = fn.return_names, fn.effect_names
    candidates = _judged_params(fn)
    if not candidates or all(p.name in effects or p.name in direct for p in candidates):
        return
    if _exempt(fn, ctx):
        return  # most functions that come this far (stubs, callbacks, dunders): before the flow closure
    reaching = fn.names_reaching_output()
    if all(p.name in reaching for p in candidates):
        return
    reaching = reaching | _reaching_shared_state(fn)
    if _LOGGING_NAME.search(fn.name.lower()):
        reaching = reaching | fn.logged_names
    disconnected = [p for p in candidates if p.name not in reaching and not _read_where_flow_is_unknown(fn, p.name)]
    if not disconnected or _signature_is_imposed(fn, ctx) or shares_signature_with_siblings(fn, ctx, [p.name for p in disconnected]):
        return
    most = len(disconnected) * 2 > len(candidates)
    values = [r.value for r in fn.returns]
    judged = {p.name for p in candidates}
    constant_result = bool(values) and all(v is not None and _built_from_constants(fn, v, judged, set()) for v in values)
    block = most and constant_result
    names = ", ".join(f"`{p.name}`" for p in disconnected)
    plural = len(disconnected) > 1
    logged = [p.name for p in disconnected if p.name in fn.logged_names]
    detail = f"; {', '.join(f'`{n}`' for n in logged)} only reach{'' if len(logged) > 1 else 'es'} a log call" if logged else ""
    param_lines = sorted({p.line for p in disconnected})
    lines = ", ".join(map(str, param_lines))
    if block:
        returned = ", ".join(str(r.line) for r in fn.returns)
        outcome = f"; the result on line{'s' if len(fn.returns) > 1 else ''} {returned} is built from constants"
    else:
        outcome = ""
    yield Report(
        line=fn.line,
        end_line=fn.line,
        message=(
            f"parameter{'s' if plural else ''} {names} of `{fn.name}()` (line{'s' if len(param_lines) > 1 else ''} {lines}) "
            f"never reach{'' if plural else 'es'} its result or any side effect{detail}{outcome}"
        ),
        evidence=(fn.line, *(p.line for p in disconnected), *(r.line for r in fn.returns)),
        severity=None if block else Severity.WARN,
        strength=1.0 if block else 0.8,
    )


def _may_be_judged(param: Param) -> bool:
    """What `_judged_params` asks of each parameter, short of the method's first one."""
    return param.kind in _JUDGED_KINDS and param.name not in _CALLBACK_PARAMS and not param.name.startswith("_")


_JUDGED_KINDS = ("positional", "keyword")


def _judged_params(fn: FunctionFacts) -> list[Param]:
    params = list(fn.params)
    if fn.is_method and params and not fn.has_decorator("staticmethod"):
        params = params[1:]  # self / cls
    return [p for p in params if _may_be_judged(p)]


def _exempt(fn: FunctionFacts, ctx) -> bool:
    """Cheap exemptions, from the facts alone."""
    name = fn.name
    if name.startswith("__") and name.endswith("__"):
        return True
    if _CALLBACK_NAME.search(name) or (fn.class_name is not None and name in _PROTOCOL_METHODS):
        return True
    if ctx.is_test_file or name.startswith("test_"):
        return True
    if is_abstract_or_overload(fn) or is_stub_body(fn) or only_raises(fn) or fn.has_decorator("override", "fixture"):
        return True
    if any(d not in _SIMPLE_DECORATORS for d in fn.decorators):
        return True  # a decorator may impose the signature (routes, registries, signals)
    if fn.parent is not None:
        return True  # nested functions are usually callbacks handed to someone else
    if any(call.attr in _NO_FLOW_ANALYSIS_CALLS for call in fn.calls):
        return True
    if only_returns_a_literal(fn):
        return True  # a default implementation (`return []`); HARDCODED_RETURN's concern, not ours
    return False


def _reaching_shared_state(fn: FunctionFacts) -> set[str]:
    """Names whose value ends up in state others see: a `global`/`nonlocal` name, or an attribute or item
    of a local that holds an object from elsewhere (`wrapper = authenticator.wrap(); wrapper.name = name`)."""
    seeds = set(fn.globals_declared)
    seeds.update(store.root for store in fn.stores if store.root is not None and not _holds_fresh_literal(fn, store.root))
    reached, stack = set(seeds), list(seeds)
    while stack:
        for dep in fn.depends_on.get(stack.pop(), ()):
            if dep not in reached:
                reached.add(dep)
                stack.append(dep)
    return reached


def _read_where_flow_is_unknown(fn: FunctionFacts, name: str) -> bool:
    """The parameter is read somewhere the flow facts do not follow: a nested class's bases
    (`class Manager(superclass):`), a decorator, an `except` clause. Only reads inside assignments
    and log calls are known not to reach."""
    read_lines = fn.reads.get(name, ())
    if not read_lines:
        return False
    spans = [(a.line, a.node.end_lineno or a.line) for a in fn.assigns]
    spans += [(c.line, c.node.end_lineno or c.line) for c in fn.calls if c.is_log]
    return any(not any(start <= line <= end for start, end in spans) for line in read_lines)


def _holds_fresh_literal(fn: FunctionFacts, name: str) -> bool:
    values = [a.value for a in fn.assigns if name in a.targets]
    return bool(values) and all(isinstance(v, _FRESH_VALUES) for v in values)


def _signature_is_imposed(fn: FunctionFacts, ctx) -> bool:
    """Someone else fixed this signature: a base class, a sibling implementation, a caller that passes it around."""
    if _CALLBACK_DOC.search(docstring_of(fn.node)):
        return True  # "The worker's hook for ...", "Called by the scheduler with ..."
    if any(p.kind == "kwarg" and p.name not in fn.reads for p in fn.params):
        return True  # accepts and ignores **kwargs: called by a framework with a fixed set of arguments
    if fn.class_name is not None and (is_interface_method(fn, ctx) or is_default_implementation(fn, ctx)):
        return True
    if is_defined_more_than_once(fn, ctx) or _defined_conditionally(ctx):
        return True  # alternative implementations (version shims) share one signature
    if is_documented_no_op(fn, ctx):
        return True
    return is_referenced_by_name(fn, ctx)


def _defined_conditionally(ctx) -> bool:
    """The def sits under an `if`/`try` at module or class level: one of several versions of a function."""
    for parent in reversed(ctx.parents):
        if isinstance(parent, (ast.If, ast.Try)):
            return True
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Module)):
            return False
    return False


def _built_from_constants(fn: FunctionFacts, node: ast.AST, params: set[str], seen: set[str]) -> bool:
    """The value uses only literals, operators, the judged parameters, and locals that are themselves built so.

    `self` is state, not a constant: `return self` is not built from constants.
    """
    for child in ast.walk(node):
        if not isinstance(child, _CONSTANT_NODES):
            return False
        if isinstance(child, ast.Name) and child.id not in params:
            if fn.param(child.id) is not None:
                return False
            if child.id in seen:
                continue
            seen.add(child.id)
            values = [a.value for a in fn.assigns if child.id in a.targets]
            if not values or child.id not in fn.assigned or len(fn.assigned[child.id]) != len(values):
                return False  # a global, a loop variable, an import: not a constant we can see
            if not all(v is not None and _built_from_constants(fn, v, params, seen) for v in values):
                return False
    return True
