"""TOO_MANY_PARAMETERS: a function takes more than seven positional parameters.

What it does:
    Flags a function that takes more than seven positional parameters. The
    count is of parameters a caller can pass by position: `self` and `cls`
    of methods, `*args`, `**kwargs` and keyword-only parameters are not
    counted. The finding sits on the `def` line.

Why it matters:
    A call such as `create_user("ann", "a@x.io", "pw", 31, "Oslo", "NO",
    True, False)` is unreadable, and swapping two arguments of the same type
    is a silent bug that no test of the happy path catches. A long list
    also says the function does several jobs, or that a value object is
    missing.

Example:
    def create_user(name, email, password, age, city, country, is_admin, send_welcome):
        ...

Use instead:
    def create_user(profile: UserProfile, *, is_admin=False, send_welcome=True):
        ...

Notes:
    Keyword-only parameters (after `*`) are named at every call site, so
    option-rich APIs (`def request(url, *, timeout=..., headers=..., ...)`)
    are not findings. Test functions (pytest fixtures arrive as parameters),
    `@overload` stubs and functions decorated as routes or CLI commands
    (frameworks fill their parameters by name) are not reported.
"""

from __future__ import annotations

from typing import Iterator

from analyzer.facts import FunctionFacts
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule

MAX_POSITIONAL = 7
_FILLED_BY_NAME = ("overload", "command", "option", "argument", "fixture", "route", "get", "post", "put", "patch", "delete", "task", "validator", "field_validator", "model_validator")


@rule("TOO_MANY_PARAMETERS", Severity.WARN, on=FUNCTION, precision=0.95)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    if ctx.is_test_file or len(fn.params) <= MAX_POSITIONAL:
        return None
    return _findings(fn, ctx)


def _findings(fn: FunctionFacts, ctx) -> Iterator[Report]:
    positional = [p for p in fn.params if p.kind == "positional"]
    if fn.class_name is not None and fn.parent is None and positional and positional[0].name in ("self", "cls", "mcs", "metacls"):
        positional = positional[1:]
    if len(positional) <= MAX_POSITIONAL or fn.has_decorator(*_FILLED_BY_NAME):
        return
    names = ", ".join(p.name for p in positional)
    yield Report(
        line=fn.line,
        message=f"`{fn.name}()` takes {len(positional)} positional parameters ({names}): callers can swap two without noticing; "
        "group related ones into an object, or make the options keyword-only (`*,`)",
        evidence=(fn.line,),
    )
