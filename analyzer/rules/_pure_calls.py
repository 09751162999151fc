"""Calls that only compute: they return a new value and change nothing, so a lost result is a lost effect.

Shared by DISCARDED_PURE_CALL (the result is thrown away as a statement) and
UNUSED_CALL_RESULT (the result is bound to a name nobody reads).
"""

from __future__ import annotations

import ast

from analyzer.facts import dotted_name

# Methods of str (and bytes) that return a new value of the same type: rebinding the receiver is the fix.
REBINDABLE_STR_METHODS = frozenset(
    """strip lstrip rstrip lower upper title capitalize casefold swapcase zfill center ljust rjust
    expandtabs removeprefix removesuffix replace format format_map translate""".split()
)
# Methods of str that answer a question or split; their result has another type.
STR_QUERY_METHODS = frozenset(
    """split rsplit splitlines partition rpartition startswith endswith isdigit isalpha isalnum isnumeric
    isdecimal isspace islower isupper istitle isidentifier isascii isprintable""".split()
)
LAZY_BUILTINS = frozenset({"map", "filter", "zip"})
PURE_BUILTINS = frozenset({"sorted", "reversed"}) | LAZY_BUILTINS
PURE_MODULE_FUNCTIONS = frozenset(
    f"{module}.{function}"
    for module in ("os.path", "posixpath", "ntpath")
    for function in "join abspath basename dirname normpath normcase splitext split expanduser expandvars relpath realpath commonpath exists isfile isdir isabs".split()
) | {"copy.copy", "copy.deepcopy", "dataclasses.replace"}
# Every method name pure_call_text may judge pure, whatever the receiver.
METHODS_JUDGED = (
    frozenset(name.rsplit(".", 1)[-1] for name in PURE_MODULE_FUNCTIONS)
    | REBINDABLE_STR_METHODS | STR_QUERY_METHODS | {"join", "encode", "decode"}
)
# Receivers whose `replace(a, b)` moves files rather than building a string.
FILE_MOVERS = frozenset({"os", "shutil", "posix", "nt"})


def pure_call_text(call: ast.Call, source: str) -> str | None:
    """How to show `call` in a message if it only computes a value (`email.strip()`), else None.

    `source` is the file's text: a method that a class of the same file defines
    (`def lower(self): ...`) may act, so it is not judged pure.
    """
    func = call.func
    if isinstance(func, ast.Name):
        return f"{func.id}(...)" if func.id in PURE_BUILTINS and call.args else None
    if not isinstance(func, ast.Attribute):
        return None
    method = func.attr
    if method not in METHODS_JUDGED:
        return None  # most calls: a method this module knows nothing of
    receiver = func.value
    full = dotted_name(func)
    if full in PURE_MODULE_FUNCTIONS:
        return f"{full}(...)"
    if isinstance(receiver, ast.Constant) and isinstance(receiver.value, (str, bytes)):
        if method in REBINDABLE_STR_METHODS or method in STR_QUERY_METHODS or method in ("join", "encode", "decode"):
            return f"{ast.unparse(receiver)[:20]}.{method}(...)"
        return None
    if method not in REBINDABLE_STR_METHODS and method not in STR_QUERY_METHODS:
        return None
    if f"def {method}(" in source:
        return None
    if method == "replace" and not _string_or_value_replace(call, receiver):
        return None
    if method in ("format", "format_map") and not call.args and not call.keywords:
        return None
    shown = dotted_name(receiver) or ast.unparse(receiver)
    if len(shown) > 30:
        shown = shown[:27] + "..."
    return f"{shown}.{method}({'...' if call.args or call.keywords else ''})"


def _string_or_value_replace(call: ast.Call, receiver: ast.expr) -> bool:
    """`s.replace(old, new)` or `when.replace(tzinfo=...)`; not `os.replace(src, dst)`, `path.replace(target)`, `inplace=True`."""
    if isinstance(receiver, ast.Name) and receiver.id in FILE_MOVERS:
        return False
    if any(k.arg == "inplace" or k.arg is None for k in call.keywords):
        return False
    if call.args:
        return len(call.args) >= 2 and not call.keywords
    return bool(call.keywords)
