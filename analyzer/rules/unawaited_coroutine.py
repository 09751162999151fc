"""UNAWAITED_COROUTINE: a coroutine function is called as a statement and never awaited.

What it does:
    Flags a coroutine function called as a bare statement, without `await`.
    It knows the `async def` functions of the same file (module-level ones,
    ones nested in the enclosing function, and methods of the enclosing class
    called through `self.`/`cls.`) and well-known coroutine APIs such as
    `asyncio.sleep`; awaiting, `create_task` and `gather` are not findings.

Why it matters:
    Calling a coroutine function only creates a coroutine object; its body
    never runs. The email is not sent, the row is not written, the sleep does
    not wait, and the only trace is a "coroutine was never awaited" warning
    that nobody reads. Tests that mock the call pass.

Example:
    async def notify_user(user_id):
        ...

    async def checkout(cart):
        charge(cart)
        notify_user(cart.user_id)

Use instead:
    async def checkout(cart):
        charge(cart)
        await notify_user(cart.user_id)
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import dotted_name
from analyzer.model import Fix, Severity
from analyzer.registry import Report, rule

# Library coroutine functions whose bare call is always a mistake.
COROUTINE_APIS = frozenset(
    """asyncio.sleep asyncio.wait_for asyncio.wait asyncio.open_connection asyncio.start_server
    asyncio.open_unix_connection asyncio.start_unix_server asyncio.create_subprocess_exec
    asyncio.create_subprocess_shell asyncio.to_thread""".split()
)
# Decorators that keep an `async def` a coroutine function; any other may wrap it into something else.
_TRANSPARENT_DECORATORS = frozenset(
    {"staticmethod", "classmethod", "abstractmethod", "abc.abstractmethod", "override", "typing.override", "typing_extensions.override"}
)

_API_LAST_NAMES = frozenset(api.rsplit(".", 1)[-1] for api in COROUTINE_APIS)


# Every case needs an `async def` in the file or an `asyncio` callee.
@rule("UNAWAITED_COROUTINE", Severity.BLOCK, on=ast.Expr, precision=0.9, needs={"async"})
def check(node: ast.Expr, ctx) -> Iterator[Report] | None:
    call = node.value
    if call.__class__ is not ast.Call or ctx.function is None:
        return None
    what = _coroutine_called(call, ctx)
    if what is None:
        return None
    return _findings(node, call, what, ctx)


def _findings(node: ast.Expr, call: ast.Call, what: str, ctx) -> Iterator[Report]:
    in_async = ctx.function.is_async
    remedy = "prefix it with `await`" if in_async else "await it from an async function or schedule it with `asyncio.run`/`create_task`"
    yield Report(
        line=node.lineno,
        end_line=node.end_lineno,
        message=f"`{what}()` is a coroutine function called without `await`: its body never runs ({remedy})",
        evidence=(node.lineno,),
        fix=_await_fix(ctx, call) if in_async else None,
    )


def _coroutine_called(call: ast.Call, ctx) -> str | None:
    """The name of the coroutine function `call` calls, when we can tell it is one."""
    func = call.func
    if func.__class__ is ast.Name:
        if not ctx.mentions("async"):
            return None
        name = func.id
        kind = _local_kind(ctx.function.node, name)
        if kind == "async":
            return name
        if kind is None and name not in ctx.function.assigned and name in _module_names(ctx)[0]:
            return name
        return None
    if func.__class__ is not ast.Attribute:
        return None
    return _coroutine_attribute(func, ctx)


def _coroutine_attribute(func: ast.Attribute, ctx) -> str | None:
    """`asyncio.sleep`, or `self.fetch` where the class defines `fetch` only as `async def`."""
    if func.attr in _API_LAST_NAMES:
        dotted = dotted_name(func)
        if dotted in COROUTINE_APIS:
            return dotted
    receiver = func.value
    if receiver.__class__ is ast.Name and receiver.id in ("self", "cls") and ctx.class_stack and ctx.mentions("async"):
        async_methods, sync_methods = _class_names(ctx.class_stack[-1], ctx)
        if func.attr in async_methods and func.attr not in sync_methods:
            return dotted_name(func)
    return None


def _module_names(ctx) -> tuple[frozenset[str], frozenset[str]]:
    """(coroutine function names, every other name bound at module level), worked out once per file."""
    module = ctx.parents[0] if ctx.parents else None
    if not isinstance(module, ast.Module):
        return frozenset(), frozenset()
    return ctx.module.memoized(_module_names, _coroutines_and_others, module.body)


def _coroutines_and_others(body: list[ast.stmt]) -> tuple[frozenset[str], frozenset[str]]:
    coroutines, others = _names_bound_in(body)
    return frozenset(coroutines - others), frozenset(others)


def _class_names(class_node: ast.ClassDef, ctx) -> tuple[set[str], set[str]]:
    return ctx.module.memoized((_class_names, class_node), _names_bound_in, class_node.body)


def _names_bound_in(body: list[ast.stmt]) -> tuple[set[str], set[str]]:
    """Names of plain `async def`s in a block (looking inside if/try), and every other name it binds."""
    coroutines: set[str] = set()
    others: set[str] = set()
    stack = list(body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, ast.AsyncFunctionDef) and all(dotted_name(d) in _TRANSPARENT_DECORATORS for d in stmt.decorator_list):
            coroutines.add(stmt.name)
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            others.add(stmt.name)
        elif isinstance(stmt, (ast.Import, ast.ImportFrom)):
            others.update((alias.asname or alias.name).split(".")[0] for alias in stmt.names)
        elif isinstance(stmt, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            for target in targets:
                if target.__class__ is ast.Name:  # most targets: spare walking them
                    others.add(target.id)
                else:
                    others.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
        elif isinstance(stmt, (ast.If, ast.Try, ast.With)) or stmt.__class__.__name__ == "TryStar":
            stack.extend(stmt.body)
            stack.extend(getattr(stmt, "orelse", ()))
            stack.extend(getattr(stmt, "finalbody", ()))
            for handler in getattr(stmt, "handlers", ()):
                stack.extend(handler.body)
    return coroutines, others


def _local_kind(function: ast.AST, name: str) -> str | None:
    """'async' / 'other' when the enclosing function's own body binds `name`, else None."""
    for stmt in function.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == name:
            if isinstance(stmt, ast.AsyncFunctionDef) and not stmt.decorator_list:
                return "async"
            return "other"
    for arg in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs):
        if arg.arg == name:
            return "other"
    return None


def _await_fix(ctx, call: ast.Call) -> Fix | None:
    """Insert `await ` before the call, keeping the rest of the statement's lines as they are."""
    line = call.lineno
    end = call.end_lineno or line
    text = ctx.line_text(line).encode("utf-8")
    col = call.col_offset
    if col > len(text):
        return None
    first = (text[:col] + b"await " + text[col:]).decode("utf-8")
    rest = [ctx.line_text(n) for n in range(line + 1, end + 1)]
    return Fix(line, end, "\n".join([first, *rest]), "await the coroutine")
