"""MUTABLE_DEFAULT_ARGUMENT: a list, dict or set default that the function mutates, returns or stores.

What it does:
    Flags a mutable default argument that the function changes or hands out.
    The default is a list, dict or set (`[]`, `{}`, `set()`, `dict()`,
    `defaultdict(...)`, ...); mutating it (`.append`, `.update`, `[k] = ...`,
    `+=`) blocks, returning it or storing it on an object warns. A default
    that is only read is not a finding; neither is a `_cache`/`memo`
    parameter kept on purpose.

Why it matters:
    The default is created once, when the function is defined, and shared by
    every call. Items added for one request show up in the next one: one
    user's cart holds another user's products, a tag list grows forever.
    Tests that call the function once pass.

Example:
    def add_item(item, cart=[]):
        cart.append(item)
        return cart

Use instead:
    def add_item(item, cart=None):
        if cart is None:
            cart = []
        cart.append(item)
        return cart
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import FunctionFacts, Param, dotted_name
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule

MUTATING_METHODS = frozenset(
    {"append", "extend", "insert", "remove", "pop", "clear", "update", "setdefault", "add", "discard", "popitem", "sort", "reverse", "appendleft", "extendleft", "difference_update", "intersection_update", "symmetric_difference_update"}
)
_MUTABLE_FACTORIES = frozenset(
    {"list", "dict", "set", "bytearray", "defaultdict", "OrderedDict", "Counter", "deque", "collections.defaultdict", "collections.OrderedDict", "collections.Counter", "collections.deque"}
)
_DELIBERATE = ("cache", "memo")


@rule("MUTABLE_DEFAULT_ARGUMENT", Severity.BLOCK, on=FUNCTION, precision=0.9)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    for param in fn.params:
        if param.default is not None:
            return _findings(fn)
    return None  # most functions: no default, and no generator is even created


def _findings(fn: FunctionFacts) -> Iterator[Report]:
    for param in fn.params:
        if param.default is None or not _is_mutable(param.default):
            continue
        lowered = param.name.lower()
        if param.name.startswith("_") or any(word in lowered for word in _DELIBERATE):
            continue
        kind = _describe(param.default)
        mutation = _first_mutation(fn, param)
        if mutation is not None:
            line, how = mutation
            yield Report(
                line=line,
                end_line=line,
                message=f"`{param.name}` defaults to a shared {kind} created once at definition time, and `{how}` on line {line} changes it for every later call",
                evidence=(param.line, line),
            )
            continue
        escape = _first_escape(fn, param)
        if escape is not None:
            line, how = escape
            yield Report(
                line=line,
                end_line=line,
                message=f"`{param.name}` defaults to a shared {kind} created once at definition time, and {how} on line {line}: whoever changes it changes the default",
                evidence=(param.line, line),
                severity=Severity.WARN,
                strength=0.7,
            )


def _describe(default: ast.expr) -> str:
    if isinstance(default, ast.Call):
        return f"`{dotted_name(default.func)}()`"
    return {ast.List: "list", ast.ListComp: "list", ast.Dict: "dict", ast.DictComp: "dict", ast.Set: "set", ast.SetComp: "set"}[default.__class__]


def _is_mutable(default: ast.expr) -> bool:
    if isinstance(default, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)):
        return True
    return isinstance(default, ast.Call) and dotted_name(default.func) in _MUTABLE_FACTORIES


def _rebound_before(fn: FunctionFacts, name: str, line: int) -> bool:
    """`cart = list(cart)`, `if cart is None: cart = []`: a fresh object replaces the default first."""
    return any(assigned <= line for assigned in fn.assigned.get(name, ()) if not _is_augmented_at(fn, name, assigned))


def _is_augmented_at(fn: FunctionFacts, name: str, line: int) -> bool:
    return any(isinstance(a.node, ast.AugAssign) and a.line == line and name in a.targets for a in fn.assigns)


def _first_mutation(fn: FunctionFacts, param: Param) -> tuple[int, str] | None:
    name = param.name
    found: list[tuple[int, str]] = []
    for call in fn.calls:
        func = call.node.func
        if func.__class__ is ast.Attribute and func.value.__class__ is ast.Name and func.value.id == name and call.attr in MUTATING_METHODS:
            found.append((call.line, f"{name}.{call.attr}(...)"))
    for store in fn.stores:
        if store.root == name and isinstance(store.target, ast.Subscript):
            found.append((store.line, f"{name}[...] = ..."))
    for assign in fn.assigns:
        if isinstance(assign.node, ast.AugAssign) and name in assign.targets:
            found.append((assign.line, f"{name} {_operator(assign.node)}= ..."))
    for line, how in sorted(found):
        if not _rebound_before(fn, name, line):
            return line, how
    return None


def _first_escape(fn: FunctionFacts, param: Param) -> tuple[int, str] | None:
    name = param.name
    found: list[tuple[int, str]] = []
    for ret in fn.returns:
        if isinstance(ret.value, ast.Name) and ret.value.id == name:
            found.append((ret.line, "it is returned"))
    for assign in fn.assigns:
        node = assign.node
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id == name:
            if any(isinstance(target, (ast.Attribute, ast.Subscript)) for target in node.targets):
                found.append((assign.line, f"it is stored in `{ast.unparse(node.targets[0])}`"))
    for line, how in sorted(found):
        if not _rebound_before(fn, name, line):
            return line, how
    return None


def _operator(node: ast.AugAssign) -> str:
    return {ast.Add: "+", ast.BitOr: "|", ast.BitAnd: "&", ast.Sub: "-"}.get(node.op.__class__, "?")
