"""PATH_TRAVERSAL: a file is opened, sent or deleted at a path the client chose.

What it does:
    Flags a file opened, sent or deleted at a path a web client chose. The
    sinks are `open()`, `send_file()`, `FileResponse()`, `os.remove()`,
    `shutil.rmtree()` and `Path(...).read_text()`-style calls; the path
    comes from request data, a route's path parameter, a Django view's URL
    capture, or a local built from one (`os.path.join` included), with no
    sign of confinement in the function: `secure_filename`, `safe_join`,
    `os.path.basename`, or a containment check (`startswith`,
    `is_relative_to`, `commonpath`).

Why it matters:
    `os.path.join(UPLOADS, "../../etc/passwd")` is `/etc/passwd`, and
    `os.path.join(UPLOADS, "/etc/passwd")` is too: a client who picks the
    file name can read the server's secrets and source, overwrite files, or
    delete them.

Example:
    @app.get("/download")
    def download():
        return send_file(os.path.join(UPLOAD_DIR, request.args["name"]))

Use instead:
    @app.get("/download")
    def download():
        return send_from_directory(UPLOAD_DIR, request.args["name"])

Notes:
    `send_from_directory` and Django's `static.serve` confine the path
    themselves and are not sinks. A value passed through `int()` cannot
    carry a path and is not followed.
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import dotted_name
from analyzer.model import Severity
from analyzer.registry import Report, rule
from analyzer.rules._web import origin
from analyzer.sinks import sink_kind, sink_names, sink_path_argument

_CONFINING_CALLS = frozenset(
    {"secure_filename", "safe_join", "basename", "get_valid_filename", "startswith", "is_relative_to", "commonpath", "relative_to"}
)


@rule("PATH_TRAVERSAL", Severity.BLOCK, on=ast.Call, precision=0.9, calls=sink_names("filesystem"))
def check(call: ast.Call, ctx) -> Iterator[Report] | None:
    if sink_kind(call) != "filesystem" or ctx.is_test_file:
        return None  # most calls: no generator is even created
    return _findings(call, ctx)


def _findings(call: ast.Call, ctx) -> Iterator[Report]:
    path = sink_path_argument(call)
    if path is None or isinstance(path, ast.Constant):
        return
    if isinstance(path, ast.Call) and sink_kind(path) == "filesystem":
        return  # FileResponse(open(path)): the inner open() is judged on its own
    source = origin(path, ctx.function, call.lineno)
    if source is None or _confined(path, ctx.function):
        return
    name = dotted_name(call.func) or ast.unparse(call.func)
    yield Report(
        line=call.lineno,
        end_line=call.end_lineno,
        message=f"`{name}()` uses a path from {source}: `../` or an absolute path reaches any file the server can; "
        "confine it (`send_from_directory`, `safe_join`, `secure_filename`, or resolve and check it stays in the folder)",
        evidence=(call.lineno,),
    )


def _confined(path: ast.expr, fn) -> bool:
    """A confining call in the path expression, or anywhere in the function so far."""
    for node in ast.walk(path):
        if isinstance(node, ast.Call) and _is_confining(node):
            return True
    if fn is None:
        return False
    return any(call.attr in _CONFINING_CALLS for call in fn.calls)


def _is_confining(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
    return name in _CONFINING_CALLS
