"""DISCARDED_PURE_CALL: the result of a call that only computes a new value is thrown away.

What it does:
    Flags a statement that calls a function or method which returns a new
    value and changes nothing, such as `name.strip()`, `text.replace("a", "b")`,
    `sorted(items)`, `when.replace(tzinfo=utc)` or `os.path.join(base, name)`,
    so that its result is lost.

Why it matters:
    Strings, datetimes and tuples are immutable: `name.strip()` does not strip
    `name`, it returns a stripped copy that nobody keeps. The code reads as if
    the input were cleaned, and the raw value flows on into comparisons, keys
    and database rows. Lazy builtins such as `map()` and `filter()` as a
    statement do not even run.

Example:
    def normalize_email(email):
        email.strip()
        email.lower()
        return email

Use instead:
    def normalize_email(email):
        email = email.strip()
        email = email.lower()
        return email
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.model import Fix, Severity
from analyzer.registry import Report, rule
from analyzer.rules._pure_calls import LAZY_BUILTINS, METHODS_JUDGED, PURE_BUILTINS, REBINDABLE_STR_METHODS, pure_call_text


@rule("DISCARDED_PURE_CALL", Severity.BLOCK, on=ast.Expr, precision=0.9)
def check(stmt: ast.Expr, ctx) -> Iterator[Report] | None:
    call = stmt.value
    if call.__class__ is not _CALL:
        return None
    func = call.func  # the callee's last name rules out most calls without calling pure_call_text
    if func.__class__ is _ATTRIBUTE and func.attr not in METHODS_JUDGED or func.__class__ is _NAME and func.id not in PURE_BUILTINS:
        return None
    if ctx.is_test_file:
        return None  # tests call things for their exceptions (`with pytest.raises(...): sorted(x)`)
    shown = pure_call_text(call, ctx.source)
    if shown is None:
        return None
    return _findings(stmt, call, shown, ctx)


_CALL, _ATTRIBUTE, _NAME = ast.Call, ast.Attribute, ast.Name


def _findings(stmt: ast.Expr, call: ast.Call, shown: str, ctx) -> Iterator[Report]:
    if isinstance(call.func, ast.Name) and call.func.id in LAZY_BUILTINS:
        message = f"`{shown}` on line {stmt.lineno} is lazy and its result is discarded: it never runs"
    else:
        message = f"the result of `{shown}` is discarded on line {stmt.lineno}: it returns a new value and changes nothing"
    yield Report(
        line=stmt.lineno,
        end_line=stmt.end_lineno,
        message=message,
        evidence=(stmt.lineno,),
        fix=_rebind_fix(stmt, call, ctx),
    )


def _rebind_fix(stmt: ast.Expr, call: ast.Call, ctx) -> Fix | None:
    """`name.strip()` -> `name = name.strip()`, `sorted(items)` -> `items = sorted(items)`: one-line statements on a local name.

    Attribute receivers (`post.title.strip()`) get no fix: rebinding them would change an object others may hold.
    """
    if stmt.end_lineno != stmt.lineno:
        return None
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in REBINDABLE_STR_METHODS and isinstance(func.value, ast.Name):
        target = func.value.id
    elif isinstance(func, ast.Name) and func.id == "sorted" and call.args and isinstance(call.args[0], ast.Name):
        target = call.args[0].id
    else:
        return None
    text = ctx.line_text(stmt.lineno)
    indent = len(text) - len(text.lstrip())
    if stmt.col_offset != indent:
        return None
    return Fix(stmt.lineno, stmt.lineno, f"{text[:indent]}{target} = {text[indent:]}", f"keep the result in `{target}`")

