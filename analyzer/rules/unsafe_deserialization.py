"""UNSAFE_DESERIALIZATION: bytes are turned back into objects by a loader that can run code.

What it does:
    Flags a load that can run code while it turns bytes back into objects.
    That is `yaml.load` without a safe `Loader` and `yaml.unsafe_load`; and
    `pickle`/`cPickle`/`dill`/`cloudpickle` `load(s)` and `Unpickler`,
    `marshal.load(s)`, `shelve.open`, `jsonpickle.decode`, `joblib.load`,
    `pandas.read_pickle` and `torch.load` without `weights_only=True`, when
    the bytes come from a client or the network.

Why it matters:
    A pickle (and YAML's Python tags, and a PyTorch checkpoint) can name any
    callable to run while it loads: the file, cookie or upload *is* a
    program. Loading one that a user can write or swap runs their code.
    `yaml.load(data)` without a `Loader` is also broken on PyYAML 6, where
    the `Loader` argument is required.

Example:
    def read_config(path):
        with open(path) as handle:
            return yaml.load(handle)

Use instead:
    def read_config(path):
        with open(path) as handle:
            return yaml.safe_load(handle)

Notes:
    Pickle and its relatives are legitimate for data the program wrote
    itself (a cache, a model it trained), and the analyzer cannot tell whose
    bytes a file or a cache holds, so a pickle-style load is reported only
    when the bytes come from a client (request data, a route parameter:
    BLOCK) or from the network (an HTTP response, a socket: WARN). A
    `yaml.load` without a loader is BLOCK with a fix: `yaml.safe_load`.
    `Loader=SafeLoader`, `BaseLoader` and `FullLoader` (which refuses to
    call Python since PyYAML 5.4) are not reported.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.facts import dotted_name
from analyzer.model import Fix, Severity
from analyzer.registry import Report, rule
from analyzer.rules._strings import assigned_values
from analyzer.rules._web import origin
from analyzer.sinks import sink_kind, sink_names

_SOCKET_READS = frozenset({"recv", "recvfrom", "recv_bytes", "recvmsg"})
_SAFE_LOADERS = frozenset({"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader", "FullLoader", "CFullLoader"})


@rule("UNSAFE_DESERIALIZATION", Severity.BLOCK, on=ast.Call, precision=0.9, calls=sink_names("deserialization"))
def check(call: ast.Call, ctx) -> Iterator[Report] | None:
    if sink_kind(call) != "deserialization" or ctx.is_test_file:
        return None  # most calls: no generator is even created
    return _findings(call, ctx)


def _findings(call: ast.Call, ctx) -> Iterator[Report]:
    name = dotted_name(call.func)
    module, _, method = name.rpartition(".")
    module = module.rsplit(".", 1)[-1]
    if module == "yaml":
        if not _yaml_is_a_local_object(ctx, name):
            yield from _yaml(call, name, method, ctx)
        return
    if module == "torch" and _keyword_is_true(call, "weights_only"):
        return
    data = call.args[0] if call.args else None
    if data is None:
        return
    what = "a PyTorch checkpoint without `weights_only=True`" if module == "torch" else "a pickle-style stream"
    source = origin(data, ctx.function, call.lineno)
    if source is not None:
        message, severity = f"`{name}()` loads {what} from {source}: the client chooses what code runs while it loads", None
    elif (network := _network_origin(data, ctx.function, call.lineno, 0)) is not None:
        message, severity = f"`{name}()` loads {what} received over the network ({network}): the sender chooses what code runs", Severity.WARN
    else:
        return
    yield Report(line=call.lineno, end_line=call.end_lineno, message=message, evidence=(call.lineno,), severity=severity)


def _network_origin(expr: ast.expr, fn, line: int, depth: int) -> str | None:
    """An HTTP response or socket read inside `expr`, or in what a local in it was assigned."""
    for node in ast.walk(expr):
        if isinstance(node, ast.Call) and (sink_kind(node) == "http" or (isinstance(node.func, ast.Attribute) and node.func.attr in _SOCKET_READS)):
            return f"`{ast.unparse(node)[:60]}`"
        if isinstance(node, ast.Name) and depth < 3:
            for _, value in assigned_values(fn, node.id, line):
                found = _network_origin(value, fn, line, depth + 1)
                if found is not None:
                    return found
    return None


def _yaml(call: ast.Call, name: str, method: str, ctx) -> Iterator[Report]:
    if method in ("load", "load_all"):
        loader = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "Loader"), None)
        if loader is not None and (dotted_name(loader) or "").rsplit(".", 1)[-1] in _SAFE_LOADERS:
            return
        if loader is None:
            message = f"`{name}()` without a `Loader` builds arbitrary Python objects on old PyYAML and raises on PyYAML 6; use `yaml.safe_{method}()`"
        else:
            message = f"`{name}()` with `Loader={ast.unparse(loader)}` builds arbitrary Python objects from the document; use `yaml.safe_{method}()`"
    else:
        message = f"`{name}()` builds arbitrary Python objects from the document; use `yaml.safe_{method.removeprefix('unsafe_')}()`"
        loader = call  # never fixed: the safe form may not parse the same documents
    yield Report(
        line=call.lineno,
        end_line=call.end_lineno,
        message=message,
        evidence=(call.lineno,),
        fix=_safe_load_fix(call, ctx) if loader is None else None,
    )


def _safe_load_fix(call: ast.Call, ctx) -> Fix | None:
    """`yaml.load(x)` -> `yaml.safe_load(x)`, when the call is exactly that, on one line."""
    func = call.func
    if call.keywords or len(call.args) != 1 or call.end_lineno != call.lineno or not isinstance(func, ast.Attribute):
        return None
    text = ctx.line_text(call.lineno)
    encoded = text.encode("utf-8")
    start, end = func.value.end_col_offset, func.end_col_offset
    if encoded[start:end] not in (b".load", b".load_all"):
        return None
    fixed = (encoded[:start] + b".safe_" + encoded[start + 1 : end] + encoded[end:]).decode("utf-8")
    return Fix(call.lineno, call.lineno, fixed, f"use yaml.safe_{func.attr}()")


def _yaml_is_a_local_object(ctx, name: str) -> bool:
    """`yaml = YAML()` (ruamel) in the function or the module: its `load` is not PyYAML's."""
    receiver = name.rsplit(".", 1)[0]
    if "." in receiver:
        return False
    if ctx.function is not None and receiver in ctx.function.assigned:
        return True
    return re.search(rf"^{re.escape(receiver)}\s*(?::[^=]*)?=[^=]", ctx.source, re.MULTILINE) is not None


def _keyword_is_true(call: ast.Call, keyword_name: str) -> bool:
    return any(k.arg == keyword_name and isinstance(k.value, ast.Constant) and k.value.value is True for k in call.keywords)
