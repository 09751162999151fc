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

from analyzer.facts import dotted_name
from analyzer.model import Fix, Severity
from analyzer.registry import Report, rule

# Methods of str (and bytes) that return a new value; the ones in _REBINDABLE keep the type.
_REBINDABLE = frozenset(
    """strip lstrip rstrip lower upper title capitalize casefold swapcase zfill center ljust rjust
    expandtabs removeprefix removesuffix replace format format_map translate""".split()
)
_STR_QUERIES = frozenset(
    """split rsplit splitlines partition rpartition startswith endswith isdigit isalpha isalnum isnumeric
    isdecimal isspace islower isupper istitle isidentifier isascii isprintable""".split()
)
_PURE_BUILTINS = frozenset({"sorted", "reversed", "map", "filter", "zip"})
_PURE_MODULE_FUNCTIONS = frozenset(
    f"{module}.{function}"
    for module in ("os.path", "posixpath", "ntpath")
    for function in "join abspath basename dirname normpath normcase splitext split expanduser expandvars relpath realpath commonpath exists isfile isdir isabs".split()
) | {"copy.copy", "copy.deepcopy", "dataclasses.replace"}
# Receivers whose `replace(a, b)` moves files rather than building a string.
_FILE_MOVERS = frozenset({"os", "shutil", "posix", "nt"})


@rule("DISCARDED_PURE_CALL", Severity.BLOCK, on=ast.Expr, precision=0.95)
def check(stmt: ast.Expr, ctx) -> Iterator[Report]:
    call = stmt.value
    if not isinstance(call, ast.Call) or ctx.is_test_file:
        return  # tests call things for their exceptions (`with pytest.raises(...): sorted(x)`)
    func = call.func
    if isinstance(func, ast.Name):
        shown = _pure_builtin(call, func.id)
    elif isinstance(func, ast.Attribute):
        shown = _pure_method(call, func, ctx)
    else:
        return
    if shown is None:
        return
    if shown.startswith(("map(", "filter(", "zip(")):
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


def _pure_builtin(call: ast.Call, name: str) -> str | None:
    if name in _PURE_BUILTINS and call.args:
        return f"{name}(...)"
    return None


def _pure_method(call: ast.Call, func: ast.Attribute, ctx) -> str | None:
    method = func.attr
    receiver = func.value
    full = dotted_name(func)
    if full in _PURE_MODULE_FUNCTIONS:
        return f"{full}(...)"
    literal_receiver = isinstance(receiver, ast.Constant) and isinstance(receiver.value, (str, bytes))
    if literal_receiver and method in _REBINDABLE | _STR_QUERIES | {"join", "encode", "decode"}:
        return f"{ast.unparse(receiver)[:20]}.{method}(...)"
    if method not in _REBINDABLE and method not in _STR_QUERIES:
        return None
    if f"def {method}(" in ctx.source:
        return None  # a class of this file defines its own method of that name
    if method == "replace" and not _string_or_value_replace(call, receiver):
        return None
    if method in ("format", "format_map") and not call.args and not call.keywords:
        return None
    shown = dotted_name(receiver) or "..."
    return f"{shown}.{method}({'...' if call.args or call.keywords else ''})"


def _string_or_value_replace(call: ast.Call, receiver: ast.expr) -> bool:
    """`s.replace(old, new)` or `when.replace(tzinfo=...)`; not `os.replace(src, dst)`, `path.replace(target)`, `inplace=True`."""
    if isinstance(receiver, ast.Name) and receiver.id in _FILE_MOVERS:
        return False
    if any(k.arg == "inplace" or k.arg is None for k in call.keywords):
        return False
    if call.args:
        return len(call.args) >= 2 and not call.keywords
    return bool(call.keywords)


def _rebind_fix(stmt: ast.Expr, call: ast.Call, ctx) -> Fix | None:
    """`name.strip()` -> `name = name.strip()`, `sorted(items)` -> `items = sorted(items)`: one-line statements on a local name.

    Attribute receivers (`post.title.strip()`) get no fix: rebinding them would change an object others may hold.
    """
    if stmt.end_lineno != stmt.lineno:
        return None
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr in _REBINDABLE and isinstance(func.value, ast.Name):
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

