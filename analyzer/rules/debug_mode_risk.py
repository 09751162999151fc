"""DEBUG_MODE_RISK: a web application's debug mode switched on in code.

What it does:
    Flags `app.run(debug=True)` (Flask and alike), `FastAPI(debug=True)` and
    `Starlette(debug=True)`, `app.debug = True`, `app.config["DEBUG"] = True`,
    `app.config.update(DEBUG=True)`, `DEBUG = True` in a Django settings module,
    and Werkzeug's `run_simple(..., use_debugger=True)`. A value read from the
    environment or from arguments is not a finding.

Why it matters:
    Debug mode serves stack traces, settings and source to anyone who triggers
    an error, and Werkzeug's debugger runs arbitrary Python typed into the
    browser. Left on in code, it ships to production with the next deploy.

Example:
    if __name__ == "__main__":
        app.run(host="0.0.0.0", port=8000, debug=True)

Use instead:
    if __name__ == "__main__":
        app.run(host="0.0.0.0", port=8000, debug=os.environ.get("FLASK_DEBUG") == "1")
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.model import Fix, Severity
from analyzer.registry import Report, rule
from analyzer.vocabulary import callee_parts

_APP_CONSTRUCTORS = frozenset({"FastAPI", "Starlette", "Quart", "Sanic", "Litestar"})
_RUN_METHODS = frozenset({"run", "run_server", "run_app"})
_DEV_SETTINGS = re.compile(r"(dev|local|test|debug)[^/]*\.py$", re.IGNORECASE)


@rule("DEBUG_MODE_RISK", Severity.BLOCK, on=(ast.Call, ast.Assign), precision=0.95)
def check(node: ast.Call | ast.Assign, ctx) -> Iterator[Report]:
    if ctx.is_test_file:
        return
    if isinstance(node, ast.Call):
        yield from _debug_call(node, ctx)
    else:
        yield from _debug_assignment(node, ctx)


def _debug_call(call: ast.Call, ctx) -> Iterator[Report]:
    name, last = callee_parts(call)
    if name.startswith("asyncio."):
        return  # asyncio debug mode is a development aid, not a web debugger
    if last in _RUN_METHODS or last in _APP_CONSTRUCTORS or name.endswith("config.update"):
        flags = ("debug", "DEBUG")
    elif last == "run_simple":
        flags = ("use_debugger",)
    else:
        return
    for keyword in call.keywords:
        if keyword.arg in flags and _is_true(keyword.value):
            shown = f"{name or last}({keyword.arg}=True)"
            yield Report(
                line=keyword.value.lineno,
                end_line=keyword.value.end_lineno,
                message=f"`{shown}` turns on debug mode, which exposes tracebacks and an interactive debugger",
                evidence=(keyword.value.lineno,),
                fix=_flip_to_false(ctx, keyword.value),
            )


def _debug_assignment(assign: ast.Assign, ctx) -> Iterator[Report]:
    if not _is_true(assign.value):
        return
    for target in assign.targets:
        what = None
        if isinstance(target, ast.Attribute) and target.attr == "debug":
            what = f"{ast.unparse(target)} = True"
        elif isinstance(target, ast.Subscript) and _constant(target.slice) == "DEBUG" and ast.unparse(target.value).endswith("config"):
            what = f"{ast.unparse(target)} = True"
        elif isinstance(target, ast.Name) and target.id == "DEBUG" and ctx.function is None and _is_django_settings(ctx):
            what = "DEBUG = True in a Django settings module"
        if what:
            yield Report(
                line=assign.lineno,
                end_line=assign.end_lineno,
                message=f"`{what}` turns on debug mode, which exposes tracebacks and settings",
                evidence=(assign.lineno,),
                fix=_flip_to_false(ctx, assign.value),
            )


def _is_django_settings(ctx) -> bool:
    if _DEV_SETTINGS.search(ctx.path):
        return False
    filename = ctx.filename
    in_settings = filename == "settings.py" or "/settings/" in f"/{ctx.path}"
    return in_settings or ("INSTALLED_APPS" in ctx.source and "ROOT_URLCONF" in ctx.source)


def _is_true(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _constant(node: ast.AST):
    return node.value if isinstance(node, ast.Constant) else None


def _flip_to_false(ctx, value: ast.Constant) -> Fix | None:
    """Replace the literal `True` with `False` on its line, when it is a one-line literal."""
    if value.end_lineno != value.lineno:
        return None
    text = ctx.line_text(value.lineno)
    line_bytes = text.encode("utf-8")
    start, end = value.col_offset, value.end_col_offset
    if line_bytes[start:end] != b"True":
        return None
    fixed = (line_bytes[:start] + b"False" + line_bytes[end:]).decode("utf-8")
    return Fix(value.lineno, value.lineno, fixed, "turn debug mode off")
