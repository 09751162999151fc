"""GLOBAL_MUTATION: a function changes module-level state: a `global` rebinding, or a module-level list, dict or set mutated in place.

What it does:
    Flags a function that changes module-level state. That is assigning a
    name declared `global`, or mutating a list, dict or set bound at module
    level (`CACHE[key] = value`, `_USERS.append(user)`, `SEEN.add(x)`,
    `REGISTRY.update(...)`, `del CACHE[key]`); reported once per function
    and name.

Why it matters:
    Module state is shared by every request of a web worker, every thread,
    and every test in a run: one user's data shows up in another's
    response, tests pass alone and fail together, and a reload or a second
    worker process silently has a different copy. Functions that read and
    write hidden state cannot be understood from their signature.

Example:
    _sessions = {}

    def login(user):
        _sessions[user.id] = make_token()

Use instead:
    class SessionStore:
        def __init__(self):
            self._sessions = {}

        def login(self, user):
            self._sessions[user.id] = make_token()

Notes:
    Two idioms are not reported: a registration decorator, which records
    the function it decorates and returns it (`REGISTRY[f.__name__] = f;
    return f`), and lazy initialisation of a global under a test of that
    same global (`if _client is None: _client = connect()`). A `global`
    bound by an `import` inside the function (an optional dependency loaded
    on first use), `nonlocal` names and dunders (`__doc__`) are not
    reported either. Mature libraries keep deliberate module caches and
    registries, which this rule reports: it is a review prompt, not a bug
    verdict, hence WARN.
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import FunctionFacts, dotted_name
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule

_MUTATORS = frozenset(
    {"append", "extend", "insert", "remove", "pop", "popitem", "clear", "update", "setdefault", "add", "discard",
     "appendleft", "extendleft", "sort", "reverse", "difference_update", "intersection_update", "symmetric_difference_update"}
)
_CONTAINER_CALLS = frozenset(
    {"list", "dict", "set", "defaultdict", "OrderedDict", "Counter", "deque", "collections.defaultdict",
     "collections.OrderedDict", "collections.Counter", "collections.deque", "WeakValueDictionary", "WeakKeyDictionary",
     "weakref.WeakValueDictionary", "weakref.WeakKeyDictionary", "WeakSet", "weakref.WeakSet"}
)


@rule("GLOBAL_MUTATION", Severity.WARN, on=FUNCTION, precision=0.93)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    if ctx.is_test_file:
        return None
    containers = _containers(ctx)
    if not fn.globals_declared and (not containers or containers.keys().isdisjoint(fn.reads)):
        # Nothing to rebind, and (most files) no module-level list, dict or set to mutate, or none the function
        # names: a mutated container is read (`cache.append`, `cache[k] = v` load `cache`), so it is in `fn.reads`.
        return None
    if _is_decorator(fn):
        return None
    return _findings(fn, containers)


def _containers(ctx) -> dict[str, str]:
    """The module's top-level containers (`_module_containers`), worked out once per file."""
    module = ctx.parents[0] if ctx.parents and isinstance(ctx.parents[0], ast.Module) else None
    if module is None:
        return {}
    return ctx.module.memoized(_module_containers, _module_containers, module)


def _findings(fn: FunctionFacts, containers: dict[str, str]) -> Iterator[Report]:
    yield from _rebound_globals(fn)
    if not containers:
        return
    candidates = _mutated_outer_names(fn, containers)
    for name, (line, how) in sorted(candidates.items(), key=lambda item: item[1][0]):
        if name in containers:
            yield Report(
                line=line,
                message=f"`{fn.name}()` mutates the module-level {containers[name]} `{name}` (`{how}` on line {line}): "
                "state shared by every request, thread and test; pass it in or keep it on an object",
                evidence=(line,),
            )


def _rebound_globals(fn: FunctionFacts) -> Iterator[Report]:
    if not fn.globals_declared:
        return
    declared, imported = _global_statements(fn)
    for name in sorted(declared):
        lines = sorted(fn.assigned.get(name, ()))
        if not lines or (name.startswith("__") and name.endswith("__")) or name in imported or _lazy_initialisation(fn, name):
            continue
        yield Report(
            line=lines[0],
            message=f"`{fn.name}()` rebinds the module global `{name}` (`global {name}`, assigned on line {lines[0]}): "
            "hidden state that every caller shares; return the value, or keep it on an object",
            evidence=(lines[0],),
        )


def _own_statements(fn: FunctionFacts) -> Iterator[ast.stmt]:
    """Every statement of the function's own body, nested blocks included, nested functions and classes not."""
    stack: list[ast.stmt] = list(fn.node.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        yield stmt
        for field in ("body", "orelse", "finalbody"):
            stack.extend(getattr(stmt, field, ()) or ())
        for handler in getattr(stmt, "handlers", ()) or ():
            stack.extend(handler.body)
        for case in getattr(stmt, "cases", ()) or ():
            stack.extend(case.body)


def _global_statements(fn: FunctionFacts) -> tuple[set[str], set[str]]:
    """Names under `global` (the facts mix in `nonlocal`), and names the function binds by importing them."""
    declared: set[str] = set()
    imported: set[str] = set()
    for stmt in _own_statements(fn):
        if isinstance(stmt, ast.Global):
            declared.update(stmt.names)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            imported.update(alias.asname or alias.name.split(".")[0] for alias in stmt.names)
    return declared, imported


def _lazy_initialisation(fn: FunctionFacts, name: str) -> bool:
    """`if _client is None: _client = connect()` ... `return _client`: an `if` tests the global and a return gives it back."""
    tested = any(
        isinstance(stmt, ast.If) and any(isinstance(n, ast.Name) and n.id == name for n in ast.walk(stmt.test))
        for stmt in _own_statements(fn)
    )
    return tested and any(name in ret.names for ret in fn.returns)


def _mutated_outer_names(fn: FunctionFacts, among: dict[str, str]) -> dict[str, tuple[int, str]]:
    """Names of `among` the function mutates in place but never binds itself, with the first line and what it does."""
    found: dict[str, tuple[int, str]] = {}

    def outer(name: str | None) -> bool:
        return bool(name) and name not in fn.assigned and fn.param(name) is None and name not in found

    for call in fn.calls:
        func = call.node.func
        if call.attr in _MUTATORS and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in among and outer(func.value.id):
            found[func.value.id] = (call.line, f"{func.value.id}.{call.attr}(...)")
    for store in fn.stores:
        target = store.target
        if store.root in among and isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and outer(store.root):
            found[store.root] = (store.line, f"{store.root}[...] = ..." if isinstance(target.ctx, ast.Store) else f"del {store.root}[...]")
    return found


def _module_containers(module: ast.Module) -> dict[str, str]:
    """The names the module binds last, at its top level, to a list, dict or set; with the kind (once per file)."""
    found: dict[str, str] = {}
    statements = list(module.body)
    for stmt in module.body:  # one level into top-level `if`/`try` (optional imports, platform switches)
        if isinstance(stmt, (ast.If, ast.Try)):
            statements += [*stmt.body, *getattr(stmt, "orelse", ()), *[s for h in getattr(stmt, "handlers", ()) for s in h.body]]
    for stmt in statements:
        if isinstance(stmt, ast.Assign):
            targets, value = stmt.targets, stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            targets, value = [stmt.target], stmt.value
        else:
            continue
        kind = _container_kind(value)
        for target in targets:
            if isinstance(target, ast.Name):
                if kind is None:
                    found.pop(target.id, None)
                else:
                    found[target.id] = kind
    return found


def _container_kind(value: ast.expr) -> str | None:
    if isinstance(value, (ast.List, ast.ListComp)):
        return "list"
    if isinstance(value, (ast.Dict, ast.DictComp)):
        return "dict"
    if isinstance(value, (ast.Set, ast.SetComp)):
        return "set"
    if isinstance(value, ast.Call):
        name = dotted_name(value.func)
        if name in _CONTAINER_CALLS:
            return name.rsplit(".", 1)[-1]
    return None


def _is_decorator(fn: FunctionFacts) -> bool:
    """A registration decorator: it returns one of its own parameters unchanged (`return func`)."""
    for ret in fn.returns:  # few functions return a bare name
        value = ret.value
        if value.__class__ is ast.Name and fn.param(value.id) is not None:
            return True
    return False
