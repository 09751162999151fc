"""STUB_IMPLEMENTATION: a function with an empty body is called as if it did its job.

What it does:
    Flags a function whose body is only `pass`, `...`, a docstring,
    `return None` or `raise NotImplementedError`, and that the same file calls.
    Abstract methods, overloads, protocols, base and mixin classes, hooks
    documented as meant to be overridden, methods a subclass in the file
    overrides, `raise NotImplementedError` methods (the abstract idiom) and
    deliberately named no-ops (`noop`, `do_nothing`) are left alone.

Why it matters:
    The caller goes on as if the email were sent, the cache invalidated, the
    audit record written. The scaffold was never filled in, and because the
    call site looks complete, a reviewer reading the caller does not notice.

Example:
    def notify_customer(order):
        pass

    def ship(order):
        order.status = "shipped"
        notify_customer(order)

Use instead:
    def notify_customer(order):
        mailer.send(order.customer.email, render("shipped.txt", order=order))

    def ship(order):
        order.status = "shipped"
        notify_customer(order)
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.facts import FunctionFacts, dotted_name
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.rules._constant_answers import _subclassed_in_file, is_deliberate_default, overrides_foreign_method
from analyzer.vocabulary import is_stub_body

_NOOP_NAME = re.compile(r"(^|_)(noop|no_op|nop|dummy|do_nothing|nothing|null|ignore|ignored|pass|passthrough|placeholder|unused|stub)(_|$)")
# Template-method hooks: empty on purpose until a subclass or a user fills them in.
_HOOK_NAME = re.compile(r"^_*(on|before|after|pre|post|handle|setup|teardown|set_up|tear_down|init|start|end|begin|finish|finalize|reset|close|flush|cleanup|clean_up)(_|$)|_hook$|_callback$")
_PLAIN_DECORATORS = frozenset({"staticmethod", "classmethod"})


@rule("STUB_IMPLEMENTATION", Severity.WARN, on=FUNCTION, precision=0.75)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    name = fn.name
    if not is_stub_body(fn) or name.startswith("__") or ctx.is_test_file:
        return None  # most functions: no generator is even created
    if _NOOP_NAME.search(name.lower()) or _HOOK_NAME.search(name) or any(d not in _PLAIN_DECORATORS for d in fn.decorators):
        return None
    return _findings(fn, name, ctx)


def _findings(fn: FunctionFacts, name: str, ctx) -> Iterator[Report]:
    if _raises_not_implemented(fn) or _only_ellipsis(fn):
        return  # fails loudly, or a typing stub (`...` under TYPE_CHECKING, protocols, overloads)
    if any(isinstance(parent, (ast.If, ast.Try)) for parent in ctx.parents):
        return  # a conditional definition: the no-op fallback of a platform or optional dependency
    if fn.class_name is not None and (_returns_none(fn) or overrides_foreign_method(fn, ctx) or _subclassed_in_file(fn.class_name, ctx)):
        return  # a default accessor, an override that deliberately does nothing, or a hook that subclasses fill in
    if is_deliberate_default(fn, ctx):
        return
    call_line = _first_call_line(fn, ctx.source)
    if call_line is None:
        return
    yield Report(
        line=fn.line,
        end_line=fn.end_line,
        message=f"`{name}()` has an empty body ({_describe_body(fn)}) and is called on line {call_line} as if it did its job",
        evidence=(fn.line, call_line),
    )


def _returns_none(fn: FunctionFacts) -> bool:
    return any(isinstance(stmt, ast.Return) for stmt in fn.body)


def _only_ellipsis(fn: FunctionFacts) -> bool:
    body = fn.body
    return len(body) == 1 and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and body[0].value.value is Ellipsis


def _first_call_line(fn: FunctionFacts, source: str) -> int | None:
    """Where the file calls this function: `name(` for functions, `self.name(` / `cls.name(` for methods."""
    # Each pattern starts with a literal, which the regex engine finds fast, and then looks behind it
    # for what must (or may not) stand before it: a pattern that starts with a look-behind is tried at every position.
    name = re.escape(fn.name)
    if fn.class_name is None:
        pattern = rf"{name}(?<![\w.]{name})\("  # `name(`, not `x.name(` nor `other_name(`
    else:
        called_on = "|".join(rf"(?<=\b{receiver}\.{name}\()" for receiver in ("self", "cls", re.escape(fn.class_name)))
        pattern = rf"\.{name}\((?:{called_on})"  # `self.name(`, `cls.name(`, `Class.name(`
    for match in re.finditer(pattern, source):
        start = match.start()  # for a method, the dot after the receiver: the same line, and no `def ` before it
        line_start = source.rfind("\n", 0, start) + 1
        if source[line_start:start].lstrip().startswith("def "):
            continue
        line = source.count("\n", 0, start) + 1
        if not fn.line <= line <= fn.end_line:
            return line
    return None


def _raises_not_implemented(fn: FunctionFacts) -> bool:
    return any(isinstance(stmt, ast.Raise) and stmt.exc is not None for stmt in fn.body) and any(
        dotted_name(stmt.exc).endswith("NotImplementedError") for stmt in fn.body if isinstance(stmt, ast.Raise) and stmt.exc is not None
    )


def _describe_body(fn: FunctionFacts) -> str:
    body = fn.body
    if not body:
        return "only a docstring"
    stmt = body[0]
    if isinstance(stmt, ast.Raise):
        return "`raise NotImplementedError`"
    if isinstance(stmt, ast.Return):
        return "`return None`" if stmt.value is not None else "`return`"
    if isinstance(stmt, ast.Expr):
        return "`...`"
    return "`pass`"
