"""Where web input enters a function: request data, and the parameters a route fills from the URL or body.

The injection and path rules report a value only when it can come from a
client: `request.args["x"]`, `request.GET.get("x")`, `await request.json()`,
a Flask `<name>` or FastAPI `{name}` path parameter, a FastAPI query or body
parameter, or a URL capture of a Django view (`def view(request, slug)`).
`origin()` names such a source inside an expression, following plain local
names back through the assignments the function has made so far, and not
looking inside calls that cleanse a value (`int(...)`, `secure_filename(...)`).
"""

from __future__ import annotations

import ast
import re

from analyzer.facts import FunctionFacts, dotted_name

REQUEST_NAMES = frozenset({"request", "req"})
REQUEST_DATA = frozenset(
    {"args", "form", "values", "json", "data", "GET", "POST", "body", "query_params", "path_params", "cookies",
     "files", "FILES", "get_json", "get_data", "query", "match_info", "query_string", "stream"}
)
_ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete", "api_route", "websocket", "view_config"})
_FLASK_PATH_PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
_FASTAPI_PATH_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
_TYPED_CONVERTERS = frozenset({"int", "float", "uuid"})
# Annotations that FastAPI validates into something that cannot carry text, or that are not client input at all.
_SAFE_ANNOTATIONS = frozenset(
    {"int", "float", "bool", "UUID", "uuid.UUID", "date", "datetime", "time", "timedelta", "Decimal", "Request",
     "Response", "WebSocket", "BackgroundTasks", "Session", "AsyncSession", "HttpRequest", "SecurityScopes", "EmailStr"}
)
_DEPENDENCY_DEFAULTS = frozenset({"Depends", "Security"})


# Calls whose result cannot carry the client's text (or a path out of a folder): their insides are not followed.
CLEANSING_CALLS = frozenset(
    {"int", "float", "bool", "len", "UUID", "uuid.UUID", "secure_filename", "safe_join", "basename", "os.path.basename",
     "get_valid_filename", "quote", "shlex.quote", "escape", "html.escape", "hash", "hashlib.sha256", "hashlib.md5"}
)


def client_walk(node: ast.AST):
    """ast.walk, except that it does not enter the arguments of a cleansing call (`int(request.args["id"])`)."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, ast.Call):
            name = dotted_name(current.func)
            if name in CLEANSING_CALLS or name.rsplit(".", 1)[-1] in CLEANSING_CALLS:
                continue
        stack.extend(ast.iter_child_nodes(current))


def is_request(node: ast.AST) -> bool:
    """`request`, `req`, `self.request`."""
    if isinstance(node, ast.Attribute):
        return node.attr in REQUEST_NAMES
    return isinstance(node, ast.Name) and node.id in REQUEST_NAMES


def request_data(node: ast.AST) -> str | None:
    """`request.args`, `request.GET`, `request.get_json()`... inside `node`, shown as source text, or None."""
    for inner in client_walk(node):
        if isinstance(inner, ast.Attribute) and inner.attr in REQUEST_DATA and is_request(inner.value):
            return ast.unparse(inner)
    return None


def web_parameters(fn: FunctionFacts | None) -> dict[str, str]:
    """Parameters a web framework fills from the client, each with how ("path parameter `<name>`")."""
    if fn is None:
        return {}
    found: dict[str, str] = {}
    for template in _route_templates(fn):
        found.update(_path_parameters(fn, template))
        if _looks_fastapi(fn):
            for param in fn.params:
                if param.name not in found and param.kind in ("positional", "keyword") and param.name not in ("self", "cls") and _client_text(fn, param.name):
                    found[param.name] = f"the request parameter `{param.name}`"
    for name in _view_captures(fn):
        found.setdefault(name, f"the URL capture `{name}` of a view")
    return found


def _route_templates(fn: FunctionFacts) -> list[str]:
    """The path templates of the route decorators on `fn` (`@app.get("/items/{id}")` -> "/items/{id}"); "" when unreadable."""
    templates = []
    for decorator in fn.node.decorator_list:
        call = decorator if isinstance(decorator, ast.Call) else None
        name = dotted_name(decorator.func if call else decorator)
        if "." not in name or name.rsplit(".", 1)[-1] not in _ROUTE_DECORATORS:
            continue
        path = call.args[0] if call and call.args else None
        templates.append(path.value if isinstance(path, ast.Constant) and isinstance(path.value, str) else "")
    return templates


def _path_parameters(fn: FunctionFacts, template: str) -> dict[str, str]:
    """Flask `<name>` and FastAPI `{name}` parameters of a template that can carry text (not `<int:id>`)."""
    found = {}
    for converter, param in _FLASK_PATH_PARAM.findall(template):
        if converter not in _TYPED_CONVERTERS and fn.param(param) is not None:
            found[param] = f"the URL path parameter `<{param}>`"
    for param, converter in _FASTAPI_PATH_PARAM.findall(template):
        if converter not in _TYPED_CONVERTERS and _client_text(fn, param):
            found[param] = f"the URL path parameter `{{{param}}}`"
    return found


def _view_captures(fn: FunctionFacts) -> list[str]:
    """`def view(request, slug)` (or a method `get(self, request, pk)`): the parameters after `request`."""
    positional = [p for p in fn.params if p.kind == "positional"]
    if fn.class_name is not None and positional and positional[0].name in ("self", "cls"):
        positional = positional[1:]
    if positional and positional[0].name == "request":
        return [p.name for p in positional[1:]]
    return []


def _looks_fastapi(fn: FunctionFacts) -> bool:
    """A route whose parameters are annotated: FastAPI fills them from the query string or body."""
    return any(p.annotation is not None for p in fn.params) and not any(p.name == "request" and p.annotation is None for p in fn.params)


def _client_text(fn: FunctionFacts, name: str) -> bool:
    param = fn.param(name)
    if param is None:
        return False
    if param.annotation is not None:
        annotation = dotted_name(param.annotation) or ast.unparse(param.annotation)
        if annotation in _SAFE_ANNOTATIONS or annotation.rsplit(".", 1)[-1] in _SAFE_ANNOTATIONS:
            return False
    default = param.default
    if isinstance(default, ast.Call) and dotted_name(default.func).rsplit(".", 1)[-1] in _DEPENDENCY_DEFAULTS:
        return False
    return True


def origin(expr: ast.AST, fn: FunctionFacts | None, before_line: int) -> str | None:
    """Where the value of `expr` comes from, when a client supplies it; None when it does not (as far as we see)."""
    found = request_data(expr)
    if found is not None:
        return f"request data (`{found}`)"
    if fn is None:
        return None
    return _origin_in(expr, fn, web_parameters(fn), before_line, 0)


def _origin_in(expr: ast.AST, fn: FunctionFacts, params: dict[str, str], before_line: int, depth: int) -> str | None:
    found = request_data(expr)
    if found is not None:
        return f"request data (`{found}`)"
    if depth > 4:
        return None
    for inner in client_walk(expr):
        if not isinstance(inner, ast.Name) or not isinstance(inner.ctx, ast.Load):
            continue
        if inner.id in params:
            return params[inner.id]
        for assign in fn.assigns:
            if assign.line >= before_line or inner.id not in assign.targets or assign.value is None:
                continue
            source = _origin_in(assign.value, fn, params, assign.line, depth + 1)
            if source is not None:
                return f"`{inner.id}`, which holds {source}" if depth == 0 else source
    return None
