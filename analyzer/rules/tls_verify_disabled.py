"""TLS_VERIFY_DISABLED: TLS certificate checking is switched off.

What it does:
    Flags code that switches off TLS certificate checking. That is
    `verify=False` on an HTTP call or client (`requests.get`, `session.post`,
    `httpx.Client`, ...), `ssl._create_unverified_context()`,
    `cert_reqs=ssl.CERT_NONE`, aiohttp's `ssl=False` / `verify_ssl=False`
    connector, and the assignments `ctx.check_hostname = False`,
    `ctx.verify_mode = ssl.CERT_NONE`, `session.verify = False` and
    `ssl._create_default_https_context = ssl._create_unverified_context`.

Why it matters:
    Without certificate checks, anyone on the network path (public Wi-Fi, a
    compromised router, a cloud neighbour) can pose as the server, read the
    credentials and tokens the program sends, and feed it forged answers.
    The switch is usually flipped to get past a local error and then ships.

Example:
    def fetch_invoices(token):
        return requests.get(API_URL, headers={"Authorization": token}, verify=False, timeout=10)

Use instead:
    def fetch_invoices(token):
        return requests.get(API_URL, headers={"Authorization": token}, timeout=10)
        # a private CA: verify="/etc/ssl/certs/internal-ca.pem"

Notes:
    A `verify` value read from configuration or an argument is not a
    finding; only the literal `False`. An assignment under an `if` (a
    library honouring its `insecure`/`verify` option), on `self` (a class
    that emulates an SSL context), or whose old value the function saves to
    restore it, is not a finding either. The fix removes `verify=False` when
    it is a plain keyword on a one-line call.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.facts import dotted_name
from analyzer.model import Fix, Severity
from analyzer.registry import Report, rule
from analyzer.sinks import sink_kind, sink_names

_TLS_ATTRIBUTES = frozenset({"check_hostname", "verify_mode", "verify", "_create_default_https_context"})
_SESSION_LIKE = re.compile(r"session|client|http|^s$", re.IGNORECASE)


# Each case names a keyword or attribute (verify, verify_mode, ssl, cert_reqs, check_hostname) or the unverified context.
@rule(
    "TLS_VERIFY_DISABLED",
    Severity.BLOCK,
    on=(ast.Call, ast.Assign),
    precision=0.9,
    calls=sink_names("http") | sink_names("tls"),
    needs={"verify", "ssl", "cert_reqs", "check_hostname", "_create_unverified_context"},
)
def check(node: ast.Call | ast.Assign, ctx) -> Iterator[Report] | None:
    if type(node) is ast.Call:
        if sink_kind(node) not in ("http", "tls"):
            return None
        reports = list(_call(node, ctx))
    elif not _sets_tls_attribute(node):
        return None  # most assignments: no generator is even created
    else:
        reports = list(_assignment(node))
        if reports and _honours_a_setting(node, ctx):
            return None
    if not reports or ctx.is_test_file:
        return None
    return iter(reports)


def _call(call: ast.Call, ctx) -> Iterator[Report]:
    kind = sink_kind(call)
    name = dotted_name(call.func) or ast.unparse(call.func)
    if name.endswith("_create_unverified_context"):
        yield _report(call, f"`{name}()` builds an SSL context that accepts any certificate")
        return
    for keyword in call.keywords:
        value = keyword.value
        if keyword.arg == "verify" and _is_false(value):
            yield _report(call, f"`{name}(..., verify=False)` accepts any certificate, so anyone on the network can pose as the server", _remove_keyword_fix(call, keyword, ctx))
        elif keyword.arg in ("ssl", "verify_ssl") and _is_false(value) and kind == "tls":
            yield _report(call, f"`{name}({keyword.arg}=False)` turns off certificate checks for every request through it")
        elif keyword.arg == "cert_reqs" and _is_cert_none(value):
            yield _report(call, f"`{name}(cert_reqs={ast.unparse(value)})` accepts any certificate")


def _sets_tls_attribute(assign: ast.Assign) -> bool:
    """Whether a target is an attribute `_assignment` looks at."""
    for target in assign.targets:
        if type(target) is ast.Attribute and target.attr in _TLS_ATTRIBUTES:
            return True
    return False


def _assignment(assign: ast.Assign) -> Iterator[Report]:
    value = assign.value
    for target in assign.targets:
        if type(target) is not ast.Attribute or target.attr not in _TLS_ATTRIBUTES:
            continue
        shown = ast.unparse(target)
        if target.attr == "check_hostname" and _is_false(value):
            yield _report(assign, f"`{shown} = False` accepts a certificate issued for any host name")
        elif target.attr == "verify_mode" and _is_cert_none(value):
            yield _report(assign, f"`{shown} = {ast.unparse(value)}` accepts any certificate")
        elif target.attr == "verify" and _is_false(value) and _SESSION_LIKE.search(dotted_name(target.value).rsplit(".", 1)[-1] or ""):
            yield _report(assign, f"`{shown} = False` turns off certificate checks for every request of this session")
        elif target.attr == "_create_default_https_context" and dotted_name(value).endswith("_create_unverified_context"):
            yield _report(assign, f"`{shown} = {ast.unparse(value)}` turns off certificate checks for every HTTPS request of the process")


def _honours_a_setting(assign: ast.Assign, ctx) -> bool:
    """Library code that implements an option: under an `if`, on `self` (a context class), or saved and restored."""
    for parent in reversed(ctx.parents):
        if isinstance(parent, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
            break
        if isinstance(parent, (ast.If, ast.IfExp, ast.Match)):
            return True
    target = assign.targets[0]
    if isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self":
        return True
    fn = ctx.function
    if fn is not None and isinstance(target, ast.Attribute):
        body = "\n".join(ctx.lines[fn.line - 1 : fn.end_line])
        return re.search(rf"=\s*{re.escape(ast.unparse(target))}\s*$", body, re.MULTILINE) is not None
    return False


def _report(node: ast.AST, message: str, fix: Fix | None = None) -> Report:
    return Report(line=node.lineno, end_line=node.end_lineno, message=message, evidence=(node.lineno,), fix=fix)


def _is_false(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is False


def _is_cert_none(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return node.value == "CERT_NONE"
    return dotted_name(node).endswith("CERT_NONE")


def _remove_keyword_fix(call: ast.Call, keyword: ast.keyword, ctx) -> Fix | None:
    """The call's line without `verify=False` and the comma that joined it, when the call fits on one line."""
    if call.lineno != call.end_lineno or keyword.lineno != call.lineno:
        return None
    items = sorted([*call.args, *call.keywords], key=lambda item: item.col_offset)
    index = next(i for i, item in enumerate(items) if item is keyword)
    encoded = ctx.line_text(call.lineno).encode("utf-8")
    if index + 1 < len(items):
        start, end = keyword.col_offset, items[index + 1].col_offset  # "verify=False, "
    elif index > 0:
        start, end = items[index - 1].end_col_offset, keyword.end_col_offset  # ", verify=False" at the end
    else:
        start, end = keyword.col_offset, keyword.end_col_offset
    removed = encoded[start:end].decode("utf-8", "replace")
    if removed.replace(" ", "").strip(",") != "verify=False":
        return None
    fixed = (encoded[:start] + encoded[end:]).decode("utf-8")
    return Fix(call.lineno, call.lineno, fixed, "remove verify=False")
