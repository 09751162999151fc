"""HTTP_ERROR_AS_SUCCESS: a web handler answers an error with HTTP status 200.

What it does:
    Flags a response whose body says error and whose status says 200 OK.
    It blocks on an explicit 200 (`return jsonify({"error": ...}), 200`,
    `JSONResponse({"error": ...}, status_code=200)`,
    `JsonResponse({"success": False}, status=200)`), and warns when a view's
    `except` branch returns an error body with no status, which frameworks
    send as 200.

Why it matters:
    Clients, retries, load balancers, monitoring and alerting all read the
    status code, not the body. A failed order answered with 200 is counted
    as a success: the client does not retry, the error rate stays at zero,
    and nobody is paged while every request fails.

Example:
    @app.post("/orders")
    def create_order():
        try:
            order = place_order(request.json)
        except Exception as exc:
            return jsonify({"error": str(exc)}), 200
        return jsonify(order.to_dict()), 201

Use instead:
    @app.post("/orders")
    def create_order():
        try:
            order = place_order(request.json)
        except OrderError as exc:
            return jsonify({"error": str(exc)}), 400
        return jsonify(order.to_dict()), 201
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import dotted_name
from analyzer.model import Severity
from analyzer.registry import Report, rule
from analyzer.rules._statements import SCOPE_NODES, one_line

RESPONSE_CALLS = frozenset(
    {"JSONResponse", "JsonResponse", "ORJSONResponse", "UJSONResponse", "Response", "HttpResponse", "make_response", "jsonify", "PlainTextResponse"}
)
_STATUS_KEYWORDS = ("status", "status_code")
_ERROR_KEYS = frozenset({"error", "errors", "error_message", "error_msg", "err", "exception", "error_code"})
_FLAG_KEYS = frozenset({"success", "ok", "succeeded"})
_FAILURE_STATUS = frozenset({"error", "fail", "failed", "failure", "ko"})
_ROUTE_DECORATORS = frozenset({"route", "get", "post", "put", "patch", "delete", "api_route", "api_view", "action", "view_config", "websocket"})
_BARE_ROUTE_DECORATORS = frozenset({"route", "api_view", "view_config", "action"})
_JSON_WRAPPERS = frozenset({"jsonify", "dict", "JSONResponse", "JsonResponse", "ORJSONResponse", "UJSONResponse", "make_response", "Response"})


@rule("HTTP_ERROR_AS_SUCCESS", Severity.BLOCK, on=(ast.Return, ast.Call), calls=RESPONSE_CALLS, precision=0.85)
def check(node: ast.Return | ast.Call, ctx) -> Iterator[Report] | None:
    if ctx.function is None or ctx.is_test_file:
        return None
    # Exact classes by type(), which costs less than isinstance().
    if type(node) is ast.Call:
        return _explicit_status_keyword(node)
    value = node.value
    if value is None:
        return None
    if type(value) is ast.Tuple and len(value.elts) >= 2:
        return _error_with_status_200(node, value, ctx)
    if not ctx.function.tries or not _in_except_handler(ctx):
        return None  # most returns (an except clause of this function is in one of its tries)
    return _error_without_status(node, value, ctx)


def _error_with_status_200(node: ast.Return, value: ast.Tuple, ctx) -> Iterator[Report]:
    body = value.elts[0]
    is_response = _is_view(ctx.function) or (isinstance(body, ast.Call) and dotted_name(body.func).rsplit(".", 1)[-1] in _JSON_WRAPPERS)
    if is_response and _is_ok_status(value.elts[1]) and error_shape(body):
        yield _report(node.lineno, node.end_lineno, value.elts[0], "status 200")


def _error_without_status(node: ast.Return, value: ast.expr, ctx) -> Iterator[Report]:
    if _is_view(ctx.function) and not _has_status(value):
        shape = error_shape(value)
        if shape:
            yield Report(
                line=node.lineno,
                end_line=node.end_lineno,
                message=f"the `except` branch of view `{ctx.function.name}()` returns an error body (`{shape}`) with no status code, so it is sent as 200 OK",
                evidence=(node.lineno,),
                severity=Severity.WARN,
                strength=0.8,
            )


def _explicit_status_keyword(call: ast.Call) -> Iterator[Report]:
    for keyword in call.keywords:
        if keyword.arg in _STATUS_KEYWORDS and _is_ok_status(keyword.value):
            body = call.args[0] if call.args else next((k.value for k in call.keywords if k.arg in ("content", "data")), None)
            if body is not None and error_shape(body):
                yield _report(call.lineno, call.end_lineno, body, f"`{keyword.arg}=200`")
            return


def _report(line: int, end_line: int | None, body: ast.expr, how: str) -> Report:
    return Report(
        line=line,
        end_line=end_line,
        message=f"the response body says error (`{error_shape(body)}`) but is sent with {how}: clients, retries and monitoring will count it as a success",
        evidence=(line,),
    )


def error_shape(node: ast.AST) -> str | None:
    """A short text for an error-shaped body (`{'error': ...}`, `success=False`), or None."""
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values):
            shape = _error_entry(key.value if isinstance(key, ast.Constant) else None, value)
            if shape:
                return shape
        return None
    if isinstance(node, ast.Call) and dotted_name(node.func).rsplit(".", 1)[-1] in _JSON_WRAPPERS:
        for keyword in node.keywords:
            shape = _error_entry(keyword.arg, keyword.value)
            if shape:
                return shape
        if node.args:
            return error_shape(node.args[0])
    return None


def _error_entry(key, value: ast.expr) -> str | None:
    if not isinstance(key, str):
        return None
    lowered = key.lower()
    if lowered in _ERROR_KEYS and not _is_empty_or_count(value):
        return f"{key!r}: {one_line(value, 30)}"
    if lowered in _FLAG_KEYS and isinstance(value, ast.Constant) and value.value is False:
        return f"{key!r}: False"
    if lowered == "status" and isinstance(value, ast.Constant) and isinstance(value.value, str) and value.value.lower() in _FAILURE_STATUS:
        return f"{key!r}: {value.value!r}"
    return None


def _is_empty_or_count(value: ast.expr) -> bool:
    """`None`, `""`, `0`, `len(failed)`: an error field that reports no error, or a tally."""
    if isinstance(value, ast.Constant):
        return value.value in (None, False, "") or isinstance(value.value, (int, float))
    return isinstance(value, ast.Call) and dotted_name(value.func) in ("len", "sum", "count")


def _is_ok_status(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return node.value == 200 and not isinstance(node.value, bool)
    name = dotted_name(node)
    return name.endswith(("HTTP_200_OK", "HTTPStatus.OK"))


def _has_status(value: ast.expr) -> bool:
    """A response built with an explicit status (keyword or second positional argument)."""
    if not isinstance(value, ast.Call):
        return False
    if any(keyword.arg in _STATUS_KEYWORDS for keyword in value.keywords):
        return True
    return len(value.args) >= 2


def _in_except_handler(ctx) -> bool:
    for parent in reversed(ctx.parents):
        if isinstance(parent, ast.ExceptHandler):
            return True
        if isinstance(parent, SCOPE_NODES):
            return False
    return False


def _is_view(function) -> bool:
    """A route-decorated function, or a Django-style view taking `request` first."""
    if function.parent is not None:
        return False
    for decorator in function.decorators:
        last = decorator.rsplit(".", 1)[-1]
        if last in _ROUTE_DECORATORS and ("." in decorator or last in _BARE_ROUTE_DECORATORS):
            return True
    params = function.params[1:] if function.is_method else function.params
    return bool(params) and params[0].name in ("request", "req")
