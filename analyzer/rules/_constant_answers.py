"""Functions that answer the same constant on every path, and the classes where that is a deliberate default.

Shared by HARDCODED_RETURN (a computation that always gives one answer) and
AUTH_CHECK_ALWAYS_PASSES (a permission check that always says yes).
"""

from __future__ import annotations

import ast
import re

from analyzer.facts import FunctionFacts
from analyzer.vocabulary import is_abstract_or_overload, named_in_class_bases

_MISSING = object()
# Classes meant to be subclassed or to answer "yes"/"no" for everything on purpose.
_DEFAULT_CLASS = re.compile(
    r"^_*(Base|Abstract|Allow|Default|Null|Dummy|Noop|NoOp|Fake|Mock|Stub|Permissive|Open|Public|Anonymous|Always|Deny|Never|Trivial|Simple|Generic)"
    r"|(Mixin|Protocol|Interface|Base|ABC|Stub|Fake|Dummy|Null)$"
)
_DEFAULT_DOC = re.compile(r"\b(default|override|overridden|subclass|subclasses|always|by design|intentional|hook|no-?op)\b", re.IGNORECASE)
# trans_null.py, backends/dummy.py, fakes/mailer.py: modules that are null implementations on purpose.
_DEFAULT_MODULE = re.compile(r"(^|[_/])(null|dummy|noop|fake|stub|mock|dummies|fakes|stubs|mocks)(\.py$|/)", re.IGNORECASE)
_PROTOCOL_BASES = frozenset({"ABC", "abc.ABC", "Protocol", "typing.Protocol", "typing_extensions.Protocol", "Generic"})


def constant_answer(fn: FunctionFacts):
    """The constant every path of `fn` returns (True, 0, "x"), or _MISSING when paths differ or may fall through.

    None is never an answer: a function returning None everywhere is a procedure or a stub.
    """
    if not fn.returns or fn.raises or fn.has_yield:
        return _MISSING
    first = fn.returns[0].value
    if not isinstance(first, ast.Constant) or first.value is None:
        return _MISSING
    answer = first.value
    for ret in fn.returns[1:]:
        value = ret.value
        if not isinstance(value, ast.Constant) or type(value.value) is not type(answer) or value.value != answer:
            return _MISSING
    if not _always_returns(fn.body):
        return _MISSING
    return answer


def has_answer(value) -> bool:
    return value is not _MISSING


def _always_returns(body: list[ast.stmt]) -> bool:
    """The block cannot fall off its end: it ends in a return, or in an if/else, with/try or match that always does."""
    if not body:
        return False
    last = body[-1]
    if isinstance(last, ast.Return):
        return True
    if isinstance(last, ast.If):
        return _always_returns(last.body) and _always_returns(last.orelse)
    if isinstance(last, (ast.With, ast.AsyncWith)):
        return _always_returns(last.body)
    if isinstance(last, ast.Try):
        return (_always_returns(last.body) or _always_returns(last.orelse)) and all(_always_returns(h.body) for h in last.handlers)
    return False


def judged_params(fn: FunctionFacts) -> list[str]:
    """Parameters an answer could depend on: not self/cls, not `_`-prefixed, not *args/**kwargs."""
    params = list(fn.params)
    if fn.is_method and params and not fn.has_decorator("staticmethod"):
        params = params[1:]
    return [p.name for p in params if p.kind in ("positional", "keyword") and not p.name.startswith("_")]


def docstring(fn: FunctionFacts) -> str:
    return ast.get_docstring(fn.node, clean=False) or ""


def is_deliberate_default(fn: FunctionFacts, ctx) -> bool:
    """A default implementation: abstract, in a base/mixin/protocol/null-object class, documented as such, or overridden in this file."""
    if is_abstract_or_overload(fn) or ctx.is_test_file or fn.name.startswith("test"):
        return True
    if _DEFAULT_DOC.search(docstring(fn)) or _DEFAULT_MODULE.search(ctx.path):
        return True  # documented as a default, or a null/dummy implementation module (trans_null.py)
    if fn.class_name is None:
        if ctx.source.count(f"def {fn.name}(") > 1:
            return True  # defined twice (per platform, per version): one of them is a fallback
    else:
        if ctx.source.count(f"def {fn.name}(") > 1 and _subclassed_in_file(fn.class_name, ctx):
            return True  # a subclass in this file may override it: this one is a default
        if _DEFAULT_CLASS.search(fn.class_name):
            return True
        if any(base in _PROTOCOL_BASES for base in fn.class_bases):
            return True
        class_node = _class_node(fn, ctx)
        if class_node is not None and _DEFAULT_DOC.search(ast.get_docstring(class_node) or ""):
            return True
    return False


def overrides_foreign_method(fn: FunctionFacts, ctx) -> bool:
    """A method of a class with a base that defines it or may: a base from elsewhere, or a local base that has bases of its own."""
    if fn.class_name is None:
        return False
    local = {c.name: c for c in ctx.module.classes}
    for base in fn.class_bases:
        if base in ("object", ""):
            continue
        node = local.get(base)
        if node is None or any(ast.unparse(b) != "object" for b in node.bases):
            return True
        if any(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s.name == fn.name for s in node.body):
            return True
    return False


def _subclassed_in_file(class_name: str, ctx) -> bool:
    """A class of this file names `class_name` among its bases: searched once per class and file, however many of its methods ask."""
    return ctx.module.memoized((_subclassed_in_file, class_name), named_in_class_bases, ctx.source, class_name, _CLASS_HEADER, r"\b")


_CLASS_HEADER = re.compile(r"^\s*class \w+\(", re.MULTILINE)


def _class_node(fn: FunctionFacts, ctx) -> ast.ClassDef | None:
    for node in reversed(ctx.module.classes):
        if node.name == fn.class_name and node.lineno <= fn.line <= (node.end_lineno or node.lineno):
            return node
    return None
