"""RETRY_WITHOUT_LIMIT: a retry loop with no attempt limit or deadline.

What it does:
    Flags a retry loop that has no attempt limit or deadline. That is a
    `while True:` whose `try` leaves the loop on success (`return`/`break`)
    while a handler swallows the error and goes round again, with no other
    way out (no counter that breaks or raises, no deadline); it blocks when
    the handler catches everything and logs nothing. Tenacity's `@retry`
    without `stop=`, which retries forever, is a warning.
    Only handlers that wait, log, count or do nothing count as retrying; a
    handler that moves on to other data is a loop, not a retry. Polling for
    a queue item, retrying on EINTR, and interactive prompts are not
    findings.

Why it matters:
    When the failure is permanent (a revoked key, a dropped table, a host
    that is gone) the loop never ends: the worker hangs, holds its locks and
    connections, and hammers the failing service. Nothing is raised, so
    nothing alerts. Tests pass because the mock succeeds on the first try.

Example:
    def fetch_rates():
        while True:
            try:
                return requests.get(RATES_URL, timeout=5).json()
            except Exception:
                time.sleep(2)

Use instead:
    def fetch_rates(attempts=5):
        for attempt in range(attempts):
            try:
                return requests.get(RATES_URL, timeout=5).json()
            except requests.RequestException:
                if attempt == attempts - 1:
                    raise
                time.sleep(2 ** attempt)
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import dotted_name, is_log_call
from analyzer.model import Severity
from analyzer.registry import Report, rule
from analyzer.rules._statements import catches_broadly, caught_names, clause_text, exits, walk_local

# Waiting for these is polling or an interrupted system call, not a retry of a failing operation.
_POLLING_EXCEPTIONS = frozenset(
    """Empty Full queue.Empty queue.Full asyncio.QueueEmpty InterruptedError BlockingIOError TimeoutError
    socket.timeout asyncio.TimeoutError FileExistsError StopIteration KeyboardInterrupt EOFError""".split()
)
_INTERACTIVE_CALLS = frozenset({"input", "getpass", "getpass.getpass", "prompt", "click.prompt", "raw_input"})
_WAIT_CALLS = frozenset({"sleep", "wait", "print", "print_exc", "warn"})
_EXIT_CALLS = frozenset({"sys.exit", "exit", "os._exit", "quit"})


@rule("RETRY_WITHOUT_LIMIT", Severity.BLOCK, on=(ast.While, ast.FunctionDef, ast.AsyncFunctionDef), precision=0.85)
def check(node: ast.While | ast.FunctionDef | ast.AsyncFunctionDef, ctx) -> Iterator[Report] | None:
    if isinstance(node, ast.While):
        return _endless_retry_loop(node, ctx)
    if node.decorator_list and ctx.mentions("tenacity") and any(module == "tenacity" or module.startswith("tenacity.") for module, _ in ctx.module.imports):
        return _tenacity_without_stop(node)
    return None


def _endless_retry_loop(loop: ast.While, ctx) -> Iterator[Report]:
    if not (isinstance(loop.test, ast.Constant) and loop.test.value) or loop.orelse:
        return
    for stmt in loop.body:
        if not isinstance(stmt, ast.Try) or not _leaves_on_success(stmt):
            continue
        tried = {n.id for n in walk_local(stmt.body) if isinstance(n, ast.Name)}
        retrying = [h for h in stmt.handlers if _goes_round_again(h) and _only_waits(h.body, tried)]
        if not retrying or _calls_interactive(loop.body):
            continue
        others = [s for s in loop.body if s is not stmt] + [s for h in stmt.handlers for s in h.body] + stmt.finalbody
        if exits(others) or _calls_exit(others):
            continue  # a counter, a deadline or a give-up path leaves the loop
        handler = retrying[0]
        silent = catches_broadly(handler) and not any(isinstance(n, ast.Call) and is_log_call(n) for n in walk_local(handler.body))
        yield Report(
            line=loop.lineno,
            end_line=handler.lineno,
            message=f"`while True` retries the `try` on line {stmt.lineno} after every `{clause_text(handler)}` (line {handler.lineno}) with no attempt limit or deadline: a permanent failure loops forever"
            + (" without a trace" if silent else ""),
            evidence=(loop.lineno, handler.lineno),
            severity=None if silent else Severity.WARN,
            strength=1.0 if silent else 0.8,
        )
        return


def _leaves_on_success(try_node: ast.Try) -> bool:
    return any(isinstance(jump, (ast.Return, ast.Break)) for jump in exits([*try_node.body, *try_node.orelse]))


def _goes_round_again(handler: ast.ExceptHandler) -> bool:
    if exits(handler.body) or _calls_exit(handler.body):
        return False
    names = caught_names(handler)
    return not names or not all(name in _POLLING_EXCEPTIONS or name.rsplit(".", 1)[-1] in _POLLING_EXCEPTIONS for name in names)


def _only_waits(body: list[ast.stmt], tried: set[str]) -> bool:
    """The handler only waits, logs, counts or does nothing: it changes nothing the `try` reads, so the same call is retried.

    A handler that moves on to other input (`path = path[e.end:]`, `cursor.nextset()`) is a loop over data, not a retry.
    """
    for stmt in body:
        if isinstance(stmt, (ast.Pass, ast.Continue)):
            continue
        if isinstance(stmt, ast.Expr):
            value = stmt.value.value if isinstance(stmt.value, ast.Await) else stmt.value
            if isinstance(value, ast.Constant):
                continue
            if isinstance(value, ast.Call) and (is_log_call(value) or dotted_name(value.func).rsplit(".", 1)[-1] in _WAIT_CALLS):
                continue
            return False
        elif isinstance(stmt, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            if any(isinstance(n, ast.Name) and n.id in tried for target in targets for n in ast.walk(target)):
                return False
            if not all(isinstance(target, ast.Name) for target in targets):
                return False
        elif isinstance(stmt, ast.If):
            if not (_only_waits(stmt.body, tried) and _only_waits(stmt.orelse, tried)):
                return False
        else:
            return False
    return True


def _calls_interactive(body: list[ast.stmt]) -> bool:
    return any(isinstance(n, ast.Call) and dotted_name(n.func) in _INTERACTIVE_CALLS for n in walk_local(body))


def _calls_exit(body: list[ast.stmt]) -> bool:
    return any(isinstance(n, ast.Call) and dotted_name(n.func) in _EXIT_CALLS for n in walk_local(body))


def _tenacity_without_stop(function: ast.FunctionDef | ast.AsyncFunctionDef) -> Iterator[Report]:
    for decorator in function.decorator_list:
        name = dotted_name(decorator)
        if name not in ("retry", "tenacity.retry"):
            continue
        if isinstance(decorator, ast.Call) and any(keyword.arg == "stop" or keyword.arg is None for keyword in decorator.keywords):
            continue
        shown = ast.unparse(decorator)
        yield Report(
            line=decorator.lineno,
            end_line=decorator.end_lineno,
            message=f"`@{shown}` on `{function.name}()` has no `stop=`: tenacity retries forever by default",
            evidence=(decorator.lineno,),
            severity=Severity.WARN,
            strength=0.8,
        )
