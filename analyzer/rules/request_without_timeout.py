"""REQUEST_WITHOUT_TIMEOUT: an HTTP request is made with no timeout, so it can wait forever.

What it does:
    Flags an HTTP request made without a timeout. That is `requests.get`,
    `post`, `put`, `patch`, `delete`, `head`, `options`, `requests.request`
    and `urllib.request.urlopen` called with no `timeout`.

Why it matters:
    Neither library times out by default. A server that accepts the
    connection and never answers (overloaded, half-dead, behind a broken
    proxy) holds the calling thread or worker forever; a few of those and
    the whole service stops answering, with nothing in the logs.

Example:
    def exchange_rate(currency):
        return requests.get(f"{RATES_URL}/{currency}").json()["rate"]

Use instead:
    def exchange_rate(currency):
        return requests.get(f"{RATES_URL}/{currency}", timeout=10).json()["rate"]

Notes:
    A call that passes `**kwargs` may carry a timeout and is not reported.
    `requests.Session` methods are not reported: a session's calls cannot be
    told from other objects' `get`/`post` by name, and sessions are often
    given a default timeout by an adapter. httpx has a default timeout and
    is never reported. No fix is offered: the right timeout is a choice.
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import dotted_name
from analyzer.model import Severity
from analyzer.registry import Report, rule
from analyzer.sinks import sink_kind, sink_names

_URLOPEN_TIMEOUT_POSITION = 2  # urlopen(url, data=None, timeout=...)


@rule("REQUEST_WITHOUT_TIMEOUT", Severity.WARN, on=ast.Call, precision=0.85, calls=sink_names("http"))
def check(call: ast.Call, ctx) -> Iterator[Report] | None:
    if sink_kind(call) != "http" or ctx.is_test_file:
        return None  # most calls: no generator is even created
    return _findings(call, ctx)


def _findings(call: ast.Call, ctx) -> Iterator[Report]:
    name = dotted_name(call.func)
    receiver, _, method = name.rpartition(".")
    is_urlopen = method == "urlopen"
    if receiver != "requests" and not is_urlopen:
        return
    if any(k.arg == "timeout" or k.arg is None for k in call.keywords):
        return
    if is_urlopen and len(call.args) > _URLOPEN_TIMEOUT_POSITION:
        return
    if any(isinstance(arg, ast.Starred) for arg in call.args):
        return
    yield Report(
        line=call.lineno,
        end_line=call.end_lineno,
        message=f"`{name}()` has no `timeout`: if the server never answers, this call waits forever; pass `timeout=` (seconds)",
        evidence=(call.lineno,),
    )
