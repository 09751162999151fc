"""SELF_ASSIGNMENT: a name, attribute or item is assigned to itself.

What it does:
    Flags a name, attribute or item assigned to itself: `x = x`,
    `a, b = a, b`, `self.total = self.total`, `d[k] = d[k]`. In a class body `x = x` is not a finding: it deliberately copies a name
    from the enclosing scope into the class namespace.

Why it matters:
    The assignment changes nothing, and it almost always stands where a
    different value was meant: `self.total = self.total` instead of
    `self.total = total`, so the constructor ignores its argument. Inside a
    function, `x = x` on a name bound nowhere else makes `x` local and raises
    UnboundLocalError; that case blocks. The others are warnings: a no-op on
    a parameter is harmless, a property setter or a "mark as modified"
    `__setitem__` can make `self.a = self.a` deliberate, and a module-level
    `x = x` is a re-export idiom.

Example:
    class Invoice:
        def __init__(self, total, currency):
            self.total = self.total
            self.currency = currency

Use instead:
    class Invoice:
        def __init__(self, total, currency):
            self.total = total
            self.currency = currency
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.model import Severity
from analyzer.registry import Report, rule
from analyzer.rules._statements import one_line

_CANDIDATES = frozenset({ast.Name, ast.Attribute, ast.Subscript, ast.Tuple, ast.List})  # exact classes: every assignment comes here


@rule("SELF_ASSIGNMENT", Severity.BLOCK, on=ast.Assign, precision=0.94)
def check(node: ast.Assign, ctx) -> Iterator[Report] | None:
    # Exact classes by type(), which costs less than reading `__class__` (an attribute lookup).
    value = node.value
    value_type = type(value)
    if value_type not in _CANDIDATES:
        return None
    for target in node.targets:
        # Only a tuple or list may be written as the other (`a, b = [a, b]`); most targets differ in class.
        if (type(target) is value_type or value_type is _TUPLE or value_type is _LIST) and _same(target, value):
            return _findings(node, value, ctx)
    return None  # most assignments of a name or attribute: another one


_NAME, _ATTRIBUTE, _SUBSCRIPT, _TUPLE, _LIST = ast.Name, ast.Attribute, ast.Subscript, ast.Tuple, ast.List


def _findings(node: ast.Assign, value: ast.expr, ctx) -> Iterator[Report]:
    for target in node.targets:
        if not _same(target, value):
            continue
        names = [n.id for n in _elements(target) if isinstance(n, ast.Name)]
        names_only = len(names) == len(_elements(target))
        if names_only and isinstance(ctx.parent, ast.ClassDef):
            return  # `x = x` in a class body copies an outer name into the class
        unbound = names_only and ctx.function is not None and any(_unbound_here(ctx, node, name) for name in names)
        detail = ": the name is bound nowhere else in the function, so this raises UnboundLocalError" if unbound else ": the statement changes nothing"
        yield Report(
            line=node.lineno,
            end_line=node.end_lineno,
            message=f"`{one_line(target, 40)}` is assigned to itself{detail}",
            evidence=(node.lineno,),
            severity=None if unbound else Severity.WARN,
            strength=1.0 if unbound else 0.7,
        )
        return


def _elements(node: ast.expr) -> list[ast.expr]:
    return list(node.elts) if isinstance(node, (ast.Tuple, ast.List)) else [node]


def _same(target: ast.expr, value: ast.expr) -> bool:
    """Whether the target is written exactly as the value (cheap tests first); `a, b = a, b` element-wise."""
    target_type = type(target)
    if target_type is _NAME:
        return type(value) is _NAME and target.id == value.id
    if target_type is _ATTRIBUTE:
        return type(value) is _ATTRIBUTE and _same_attribute(target, value)
    if target_type is _SUBSCRIPT:
        return type(value) is _SUBSCRIPT and _same_root(target, value) and ast.unparse(target) == ast.unparse(value)
    if isinstance(target, (ast.Tuple, ast.List)) and isinstance(value, (ast.Tuple, ast.List)):
        return len(target.elts) == len(value.elts) and all(
            not isinstance(t, (ast.Tuple, ast.List, ast.Starred)) and _same(t, v) for t, v in zip(target.elts, value.elts)
        )
    return False


def _same_attribute(target: ast.Attribute, value: ast.Attribute) -> bool:
    """Whether the two unparse alike: name chains (`self.a.b`) compared part by part, as unparsing them
    costs more than the rest of the rule; anything else as text."""
    receiver, other = target, value
    while type(receiver) is _ATTRIBUTE and type(other) is _ATTRIBUTE:
        if receiver.attr != other.attr:
            return False  # the texts differ in this part, whatever comes before it
        receiver, other = receiver.value, other.value
    if type(receiver) is _NAME and type(other) is _NAME:
        return receiver.id == other.id
    return _same_root(target, value) and ast.unparse(target) == ast.unparse(value)


def _same_root(target: ast.expr, value: ast.expr) -> bool:
    """False when the two subscript or attribute chains hang off different names (`a[i] = b[i]`), which unparse
    differently: each text starts with its name followed by `[` or `.`. Spares unparsing most such pairs."""
    while type(target) is _SUBSCRIPT or type(target) is _ATTRIBUTE:
        target = target.value
    while type(value) is _SUBSCRIPT or type(value) is _ATTRIBUTE:
        value = value.value
    return not (type(target) is _NAME and type(value) is _NAME and target.id != value.id)


def _unbound_here(ctx, node: ast.Assign, name: str) -> bool:
    """True when `name` has no other binding in the function: `x = x` then reads a local that was never set."""
    function = ctx.function
    if function.param(name) is not None or name in function.globals_declared or name in function.assigned:
        return False
    for other in ast.walk(function.node):
        if other is node:
            continue
        if isinstance(other, ast.Name) and other.id == name and not isinstance(other.ctx, ast.Load):
            if other not in node.targets and not any(other is element for element in _elements(node.targets[0])):
                return False
        elif isinstance(other, (ast.Global, ast.Nonlocal)) and name in other.names:
            return False
        elif isinstance(other, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and other.name == name and other is not function.node:
            return False
        elif isinstance(other, ast.alias) and (other.asname or other.name.split(".")[0]) == name:
            return False
    return True
