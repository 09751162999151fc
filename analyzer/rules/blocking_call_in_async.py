"""BLOCKING_CALL_IN_ASYNC: a blocking call made directly inside an `async def`.

What it does:
    Flags a blocking call such as `time.sleep` or `requests.get` made directly
    inside an `async def`. The calls it knows are `time.sleep`, synchronous
    HTTP (`requests.get/post/...`, `httpx.get/...`, `urllib.request.urlopen`),
    `subprocess.run/call/check_call/check_output`, `os.system` and blocking
    socket lookups. Calls inside a lambda or a nested
    function (handed to an executor) are not findings. Subprocess and socket
    calls are warnings.

Why it matters:
    An event loop runs one thing at a time. A blocking call inside a coroutine
    freezes every other request, websocket and timer the process serves until
    it returns: one slow upstream becomes a full outage. Tests that run one
    request at a time never notice.

Example:
    async def fetch_rates():
        time.sleep(1)
        return requests.get(RATES_URL, timeout=5).json()

Use instead:
    async def fetch_rates():
        await asyncio.sleep(1)
        async with httpx.AsyncClient() as client:
            return (await client.get(RATES_URL, timeout=5)).json()
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.facts import dotted_name
from analyzer.model import Fix, Severity
from analyzer.registry import Report, rule

_HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options", "request")
# dotted callee -> (module that must be imported, whether blocking here is almost always a bug)
BLOCKING_CALLS: dict[str, tuple[str, bool]] = {
    "time.sleep": ("time", True),
    **{f"requests.{verb}": ("requests", True) for verb in _HTTP_VERBS},
    **{f"httpx.{verb}": ("httpx", True) for verb in _HTTP_VERBS},
    "urllib.request.urlopen": ("urllib.request", True),
    "subprocess.run": ("subprocess", False),
    "subprocess.call": ("subprocess", False),
    "subprocess.check_call": ("subprocess", False),
    "subprocess.check_output": ("subprocess", False),
    "os.system": ("os", False),
    "socket.create_connection": ("socket", False),
    "socket.gethostbyname": ("socket", False),
    "socket.getaddrinfo": ("socket", False),
}
# Bare names brought in with `from module import name`.
_FROM_IMPORTED = {"sleep": "time.sleep", "urlopen": "urllib.request.urlopen"}
_LAST_NAMES = frozenset({name.rsplit(".", 1)[-1] for name in BLOCKING_CALLS})
_ASYNC_ALTERNATIVE = {
    "time": "`await asyncio.sleep(...)`",
    "requests": "an async client (httpx.AsyncClient, aiohttp) or `await asyncio.to_thread(...)`",
    "httpx": "`httpx.AsyncClient`",
    "urllib.request": "an async client or `await asyncio.to_thread(...)`",
    "subprocess": "`asyncio.create_subprocess_exec` or `await asyncio.to_thread(...)`",
    "os": "`asyncio.create_subprocess_shell`",
    "socket": "`loop.getaddrinfo`/`asyncio.open_connection`",
}


@rule("BLOCKING_CALL_IN_ASYNC", Severity.BLOCK, on=ast.Call, calls=_LAST_NAMES, precision=0.9, needs={"async"})
def check(call: ast.Call, ctx) -> Iterator[Report]:
    function = ctx.function
    if function is None or not function.is_async or ctx.is_test_file:
        return
    name = _blocking_name(call, ctx)
    if name is None or _inside_lambda(ctx, function.node):
        return
    module, always_a_bug = BLOCKING_CALLS[name]
    shown = dotted_name(call.func)
    called = f"`{shown}()`" if shown == name else f"`{shown}()` (`{name}`)"
    yield Report(
        line=call.lineno,
        end_line=call.end_lineno,
        message=f"{called} blocks the event loop inside `async def {function.name}()`; use {_ASYNC_ALTERNATIVE[module]}",
        evidence=(call.lineno,),
        severity=None if always_a_bug else Severity.WARN,
        strength=1.0 if always_a_bug else 0.8,
        fix=_sleep_fix(call, ctx) if name == "time.sleep" else None,
    )


def _blocking_name(call: ast.Call, ctx) -> str | None:
    func = call.func
    if func.__class__ is ast.Name:
        full = _FROM_IMPORTED.get(func.id)
        if full is None or not _imports_name(ctx.source, full):
            return None
        return full
    dotted = dotted_name(func)
    entry = BLOCKING_CALLS.get(dotted)
    if entry is None or not any(module == entry[0] for module, _ in ctx.module.imports):
        return None
    return dotted


def _imports_name(source: str, full: str) -> bool:
    module, name = full.rsplit(".", 1)
    return re.search(rf"^\s*from\s+{re.escape(module)}\s+import\s[^\n]*\b{name}\b", source, re.MULTILINE) is not None


def _inside_lambda(ctx, function_node: ast.AST) -> bool:
    for parent in reversed(ctx.parents):
        if parent is function_node:
            return False
        if parent.__class__ is ast.Lambda:
            return True
    return False


def _sleep_fix(call: ast.Call, ctx) -> Fix | None:
    """`time.sleep(x)` as a statement -> `await asyncio.sleep(x)`, when asyncio is imported."""
    if not isinstance(ctx.parent, ast.Expr) or call.end_lineno != call.lineno:
        return None
    if not any(module == "asyncio" for module, _ in ctx.module.imports):
        return None
    text = ctx.line_text(call.lineno).encode("utf-8")
    callee = ast.unparse(call.func).encode("utf-8")
    start, end = call.func.col_offset, call.func.end_col_offset
    if text[start:end] != callee:
        return None
    fixed = (text[:start] + b"await asyncio.sleep" + text[end:]).decode("utf-8")
    return Fix(call.lineno, call.lineno, fixed, "sleep without blocking the event loop")
