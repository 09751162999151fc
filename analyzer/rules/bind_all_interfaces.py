"""BIND_ALL_INTERFACES: a server is started on every network interface (`0.0.0.0`, `::`, `""`).

What it does:
    Flags a server bound to every network interface by a literal address.
    That is `sock.bind(("0.0.0.0", port))` (or `""`, `"::"`),
    `app.run(host="0.0.0.0")`, `uvicorn.run(app, host="0.0.0.0")`,
    `HTTPServer(("", 8000), Handler)`, `run_simple("0.0.0.0", ...)`,
    `make_server("0.0.0.0", ...)` and `asyncio.start_server(cb, "0.0.0.0", ...)`.

Why it matters:
    On a laptop, a VM or a host with a public address, "all interfaces"
    means the coffee-shop network or the internet can reach the service,
    often a debug server or an admin endpoint never meant to be exposed.
    Inside a container it is the correct choice, because the container's
    network is already private: hence a WARN, for a reviewer to judge.

Example:
    if __name__ == "__main__":
        uvicorn.run(app, host="0.0.0.0", port=8000)

Use instead:
    if __name__ == "__main__":
        uvicorn.run(app, host=os.environ.get("HOST", "127.0.0.1"), port=8000)

Notes:
    A host read from the environment, settings or arguments is not a
    finding, even with `"0.0.0.0"` as its default: someone made it
    configurable. `127.0.0.1` and `localhost` are never findings.
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import dotted_name
from analyzer.model import Severity
from analyzer.registry import Report, rule
from analyzer.sinks import sink_kind, sink_names

_ALL_INTERFACES = frozenset({"0.0.0.0", "::", "", "[::]"})
# Servers that take the host as a positional argument, and at which position.
_HOST_POSITION = {"run_simple": 0, "make_server": 0, "start_server": 1, "create_server": 1}


@rule("BIND_ALL_INTERFACES", Severity.WARN, on=ast.Call, precision=0.8, calls=sink_names("bind"))
def check(call: ast.Call, ctx) -> Iterator[Report] | None:
    if sink_kind(call) != "bind" or ctx.is_test_file:
        return None  # most calls: no generator is even created
    return _findings(call, ctx)


def _findings(call: ast.Call, ctx) -> Iterator[Report]:
    name = dotted_name(call.func) or ast.unparse(call.func)
    host, in_address_tuple = _host(call, name.rsplit(".", 1)[-1])
    if host is None or not isinstance(host, ast.Constant) or host.value not in _ALL_INTERFACES:
        return
    if host.value == "" and not in_address_tuple:
        return  # only an address tuple ("", port) means "all interfaces"; host="" elsewhere is usually "unset"
    shown = repr(host.value)
    yield Report(
        line=host.lineno,
        end_line=host.end_lineno,
        message=f"`{name}()` listens on all network interfaces ({shown}): anyone who can reach this machine can reach the server; "
        "bind 127.0.0.1 unless it runs in a container, or read the host from configuration",
        evidence=(call.lineno, host.lineno),
    )


def _host(call: ast.Call, last: str) -> tuple[ast.expr | None, bool]:
    """The host the call binds, and whether it sits in an address tuple."""
    for keyword in call.keywords:
        if keyword.arg == "host":
            return keyword.value, False
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Tuple) and first.elts:
        return first.elts[0], True  # bind((host, port)), HTTPServer((host, port), ...)
    position = _HOST_POSITION.get(last)
    if position is not None and len(call.args) > position:
        return call.args[position], False
    return None, False
