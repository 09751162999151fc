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

Notes:
    A flag set under an `if` that reads the environment, arguments or
    settings is a runtime choice, not a finding. `X.debug = True` counts only
    when `X` names an application (`app`, `self.app`, `flask_app`). Where
    nothing says the object is a web application (no framework import, a
    receiver not named like one, a bare `config[...]`), the finding is a
    WARN. Files under a dev/local/test settings name are never Django
    production settings.
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
_CONFIG_UPDATES = frozenset({"update", "from_mapping"})
_WATCHED_CALLS = _APP_CONSTRUCTORS | _RUN_METHODS | _CONFIG_UPDATES | {"run_simple"}
_DEBUGGER = "serves tracebacks and the interactive debugger, which runs any Python typed into the browser"
_TRACEBACKS = "serves tracebacks, local variables and settings to anyone who triggers an error"
_WEB_FRAMEWORKS = ("flask", "quart", "fastapi", "starlette", "sanic", "litestar", "dash", "werkzeug", "bottle",
                   "flask_socketio", "aiohttp", "tornado", "falcon", "django", "uvicorn", "hypercorn", "connexion")
# Receivers that name a web application or its server.
_APP_LIKE = re.compile(r"app|server|socketio|api\b|^api|uvicorn|bottle|web|site|dash", re.IGNORECASE)
_DEV_SETTINGS = re.compile(r"^(settings_?)?(dev|development|local|test|tests|testing|debug|ci)(_?settings)?\.py$", re.IGNORECASE)
_RUNTIME_CHOICE = re.compile(r"environ|getenv|argv|\bargs\b|option|opts|debug|\benv\b|settings|config|dev|local|test|flags|verbose", re.IGNORECASE)


@rule("DEBUG_MODE_RISK", Severity.BLOCK, on=(ast.Call, ast.Assign), precision=0.95, calls=_WATCHED_CALLS)
def check(node: ast.Call | ast.Assign, ctx) -> Iterator[Report] | None:
    if type(node) is _ASSIGN:  # exact classes by type(): cheaper than reading `__class__`, an attribute lookup
        if type(value := node.value) is not _CONSTANT or value.value is not True:
            return None  # the common case, decided before anything costs (`_is_true`, inlined)
    elif not _may_turn_debug_on(node):
        return None  # most `run()` and `update()` calls: no flag to look into
    if ctx.is_test_file:
        return None
    return _findings(node, ctx)


_ASSIGN, _CONSTANT = ast.Assign, ast.Constant
# The keyword that turns debug mode on, by kind of call `_debug_call` looks at; any of them, for the first test.
_RUN_FLAG, _CONFIG_FLAG, _RUN_SIMPLE_FLAG = "debug", "DEBUG", "use_debugger"
_DEBUG_FLAGS = frozenset({_RUN_FLAG, _CONFIG_FLAG, _RUN_SIMPLE_FLAG})


def _may_turn_debug_on(call: ast.Call) -> bool:
    """A debug flag given `True`, or a dict argument (`app.config.update({"DEBUG": True})`): all `_debug_call` reports."""
    return any(keyword.arg in _DEBUG_FLAGS and _is_true(keyword.value) for keyword in call.keywords) or any(
        isinstance(argument, ast.Dict) for argument in call.args
    )


def _findings(node: ast.Call | ast.Assign, ctx) -> Iterator[Report]:
    reports = list(_debug_call(node, ctx) if isinstance(node, ast.Call) else _debug_assignment(node, ctx))
    if reports and not _guarded_by_runtime_choice(ctx):
        yield from reports


def _debug_call(call: ast.Call, ctx) -> Iterator[Report]:
    name, last = callee_parts(call)
    receiver = name.rsplit(".", 1)[0] if "." in name else ""
    if last in _RUN_METHODS:
        if receiver.startswith(("asyncio", "loop", "trio", "anyio")) or (not receiver and _imports_name(ctx, "asyncio", last)):
            return  # asyncio debug mode is a development aid, not a web debugger
        flags = (_RUN_FLAG,)
        web = _APP_LIKE.search(receiver or name) is not None or _imports_web_framework(ctx)
    elif last in _APP_CONSTRUCTORS:
        flags, web = (_RUN_FLAG,), True
    elif last in _CONFIG_UPDATES and receiver.endswith("config"):
        flags = (_CONFIG_FLAG,)
        web = _APP_LIKE.search(receiver.rsplit(".", 1)[0] if "." in receiver else "") is not None
    elif last == "run_simple":
        flags, web = (_RUN_SIMPLE_FLAG,), True
    else:
        return
    for keyword in call.keywords:
        if keyword.arg in flags and _is_true(keyword.value):
            shown = f"{name or last}({keyword.arg}=True)"
            harm = _DEBUGGER if last in _RUN_METHODS or last == "run_simple" else _TRACEBACKS
            yield _report(keyword.value, ctx, f"`{shown}` on line {keyword.value.lineno} turns on debug mode, which {harm}", web)
    if last in _CONFIG_UPDATES and receiver.endswith("config"):
        for argument in call.args:
            if isinstance(argument, ast.Dict):
                for key, value in zip(argument.keys, argument.values):
                    if _constant(key) == _CONFIG_FLAG and _is_true(value):
                        yield _report(value, ctx, f"`{name}({{'DEBUG': True}})` on line {value.lineno} turns on debug mode, which {_TRACEBACKS}", web)


def _debug_assignment(assign: ast.Assign, ctx) -> Iterator[Report]:
    if not _is_true(assign.value):
        return
    for target in assign.targets:
        what, web, where = None, True, ""
        if isinstance(target, ast.Attribute) and target.attr == "debug":
            owner = ast.unparse(target.value)
            if "app" in owner.rsplit(".", 1)[-1].lower():
                what = f"{ast.unparse(target)} = True"
        elif isinstance(target, ast.Subscript) and _constant(target.slice) == "DEBUG":
            owner = ast.unparse(target.value)
            if owner.endswith("config"):
                what = f"{ast.unparse(target)} = True"
                web = "." in owner and _APP_LIKE.search(owner.rsplit(".", 1)[0]) is not None
        elif isinstance(target, ast.Name) and target.id == "DEBUG" and ctx.function is None and not ctx.class_stack and _is_django_settings(ctx):
            what = "DEBUG = True"
            where = " in a Django settings module"
        if what:
            yield _report(assign.value, ctx, f"`{what}` on line {assign.lineno}{where} turns on debug mode, which {_TRACEBACKS}", web, end_line=assign.end_lineno)


def _report(value: ast.Constant, ctx, message: str, web: bool, end_line: int | None = None) -> Report:
    if not web:
        message += "; nothing here says it is a web application, so this is a warning"
    return Report(
        line=value.lineno,
        end_line=end_line or value.end_lineno,
        message=message,
        evidence=(value.lineno,),
        fix=_flip_to_false(ctx, value),
        severity=None if web else Severity.WARN,
        strength=1.0 if web else 0.6,
    )


def _guarded_by_runtime_choice(ctx) -> bool:
    """Inside `if os.environ.get("ENV") == "dev":` or `if args.debug:`: someone chose at run time."""
    for parent in ctx.parents:
        if isinstance(parent, (ast.If, ast.IfExp)):
            test = ast.unparse(parent.test)
            if "__name__" not in test and _RUNTIME_CHOICE.search(test):
                return True
    return False


def _imports_web_framework(ctx) -> bool:
    return any(module.split(".", 1)[0] in _WEB_FRAMEWORKS for module, _ in ctx.module.imports)


def _imports_name(ctx, module: str, name: str) -> bool:
    return re.search(rf"^\s*from\s+{module}\s+import\s+[^#\n]*\b{name}\b", ctx.source, re.MULTILINE) is not None


def _is_django_settings(ctx) -> bool:
    filename = ctx.filename
    if _DEV_SETTINGS.match(filename):
        return False
    in_settings = filename == "settings.py" or "/settings/" in f"/{ctx.path}"
    return in_settings or ("INSTALLED_APPS" in ctx.source and "ROOT_URLCONF" in ctx.source)


def _is_true(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _constant(node: ast.AST | None):
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
