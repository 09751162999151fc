"""PLACEHOLDER_VALUE: a placeholder ("TODO", "changeme", "lorem ipsum", "user@example.com") returned or assigned as a real value.

What it does:
    Flags a string that is plainly a placeholder — `"TODO"`, `"FIXME"`,
    `"changeme"`, `"your-api-key-here"`, `"lorem ipsum ..."`, an address at
    `example.com`, `"John Doe"`, or `"xxxx"` / `"dummy"` as a key, token or
    password — when it is returned, assigned, or passed as a keyword argument
    in production code. Test files, docstrings, form placeholders, help texts
    and examples are left alone.

Why it matters:
    Scaffolding that was meant to be replaced ships: invoices go to
    `billing@example.com`, the API client authenticates with `"changeme"`,
    customers see "Lorem ipsum" in their receipts. Nothing fails, because a
    placeholder is a perfectly valid string.

Example:
    def support_contact():
        return {"email": "support@example.com", "phone": "TODO"}

Use instead:
    def support_contact():
        return {"email": settings.SUPPORT_EMAIL, "phone": settings.SUPPORT_PHONE}
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.facts import dotted_name
from analyzer.model import Severity
from analyzer.registry import Report, rule

# Cheap first test of one string: every placeholder contains one of these (in lower case).
_MARKERS = ("todo", "fixme", "tbd", "change", "replace", "your", "lorem", "example.", "doe", "xxx", "dummy", "placeholder")
_MARKER = re.compile("|".join(map(re.escape, _MARKERS)))  # one search of the lower-cased text for any of them
_PLACEHOLDERS: tuple[tuple[re.Pattern, str], ...] = (
    (re.compile(r"^\s*(TODO|FIXME|TBD)\b"), "a TODO marker"),
    (re.compile(r"\b(change[-_ ]?me|replace[-_ ]?me)\b", re.IGNORECASE), "a change-me placeholder"),
    (re.compile(r"^<?your[-_][\w-]+>?$|^<your [\w ]{1,30}>$", re.IGNORECASE), "a your-value-here placeholder"),
    (re.compile(r"\blorem ipsum\b", re.IGNORECASE), "lorem ipsum filler"),
    (re.compile(r"^(mailto:)?[\w.+-]+@example\.(com|org|net)$|^https?://([\w-]+\.)*example\.(com|org|net)\b", re.IGNORECASE), "an example.com address"),
    (re.compile(r"^(john|jane) doe$", re.IGNORECASE), "a sample name"),
)
# Secret-looking names whose value is only placeholder noise: "xxxx", "sk-xxxx", "dummy".
_SECRET_NAME = re.compile(r"(key|token|secret|password|passwd|pwd|credential|auth|api)", re.IGNORECASE)
_NOISE_SECRET = re.compile(r"^([\w-]*[-_])?(x{3,}|X{3,}|dummy|placeholder)([-_][\w-]*)?$")
# Names, dict keys and keywords whose strings are examples or UI text by design.
_EXAMPLE_CONTEXT = re.compile(r"(placeholder|example|sample|help|hint|description|doc|usage|title|label|template|default_text|demo|fixture|test)", re.IGNORECASE)


@rule("PLACEHOLDER_VALUE", Severity.WARN, on=(ast.Return, ast.Assign, ast.AnnAssign), precision=0.8)
def check(node: ast.Return | ast.Assign | ast.AnnAssign, ctx) -> Iterator[Report] | None:
    # A plain function, not a generator, for the values it can tell at once hold no placeholder. Exact classes by
    # type(), which costs less than reading `__class__` (an attribute lookup), and each field read once.
    value = node.value
    value_type = type(value)
    if value_type is _CONSTANT:
        if not _is_marked(value.value):
            return None  # most constants: no string, or one plain string
    elif value_type not in _MAY_HOLD_STRINGS:
        return None
    elif value_type is _CALL and not value.keywords:
        return None  # of a call, only keyword arguments are looked into
    elif not _holds_marked_string(value):
        return None  # most containers and calls: no string in them may be a placeholder
    return _reports(node, value, ctx)


_CONSTANT, _CALL, _DICT, _LIST, _TUPLE, _SET = ast.Constant, ast.Call, ast.Dict, ast.List, ast.Tuple, ast.Set


def _reports(node: ast.Return | ast.Assign | ast.AnnAssign, value: ast.AST, ctx) -> Iterator[Report]:
    context = None  # the statement's name, worked out only for a string that may be a placeholder
    for constant, name, keys in _marked_strings(value, None, ()):
        if context is None:
            context = _statement_name(node, ctx)
        kind = _placeholder_kind(constant.value, name or context)
        if kind is None:
            continue
        if ctx.is_test_file or any(_EXAMPLE_CONTEXT.search(key) for key in (context, *keys)):
            return
        shown = constant.value if len(constant.value) <= 40 else constant.value[:37] + "..."
        via = f" (as `{name}`)" if name and name != context else ""
        if isinstance(node, ast.Return):
            where = f"returned by `{context}()`" if context else "returned"
        else:
            where = f"assigned to `{context}`"
        yield Report(
            line=constant.lineno,
            end_line=constant.end_lineno,
            message=f"{kind} `{shown!r}` is {where}{via} on line {constant.lineno}",
            evidence=(constant.lineno,),
        )
        return  # one finding per statement is enough to send the reader there


# The only values `_marked_strings` looks into (a call for its keyword arguments).
_MAY_HOLD_STRINGS = frozenset({ast.Constant, ast.Dict, ast.List, ast.Tuple, ast.Set, ast.Call})


def _statement_name(node: ast.Return | ast.Assign | ast.AnnAssign, ctx) -> str:
    """The returning function's name, or the assigned targets (`STRIPE_API_KEY`, `self.url`)."""
    if isinstance(node, ast.Return):
        return ctx.function.name if ctx.function is not None else ""
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return " ".join(dotted_name(t) or "value" for t in targets)


def _marked_strings(node: ast.AST, name: str | None, keys: tuple[str, ...]) -> Iterator[tuple[ast.Constant, str | None, tuple[str, ...]]]:
    """Strings in a value that contain a placeholder marker: itself, container items, call keyword arguments.

    Each comes with the dict key or keyword it is bound to (None: the statement's own name) and the keys above it.
    """
    node_type = type(node)
    if node_type is ast.Constant:
        if _is_marked(node.value):
            yield node, name, keys
    elif node_type is ast.Dict:
        for key, value in zip(node.keys, node.values):
            key_name = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else name
            yield from _marked_strings(value, key_name, (*keys, key_name) if key_name else keys)
    elif node_type in (ast.List, ast.Tuple, ast.Set):
        for element in node.elts:
            yield from _marked_strings(element, name, keys)
    elif node_type is ast.Call:
        for keyword in node.keywords:
            if keyword.arg:
                yield from _marked_strings(keyword.value, keyword.arg, (*keys, keyword.arg))


def _holds_marked_string(value: ast.AST) -> bool:
    """Whether `_marked_strings` finds anything in `value`, without working out names and keys."""
    stack = [value]
    while stack:
        node = stack.pop()
        node_type = type(node)
        if node_type is _CONSTANT:
            text = node.value  # `_is_marked`, inlined: most strings of a container come here
            if type(text) is str and len(text) <= 200 and _MARKER.search(text.lower()) is not None:
                return True
        elif node_type is _DICT:
            stack += node.values
        elif node_type is _LIST or node_type is _TUPLE or node_type is _SET:
            stack += node.elts
        elif node_type is _CALL:
            for keyword in node.keywords:
                if keyword.arg:
                    stack.append(keyword.value)
    return False


def _is_marked(value: object) -> bool:
    return type(value) is str and len(value) <= 200 and _MARKER.search(value.lower()) is not None


def _placeholder_kind(text: str, name: str) -> str | None:
    if "\n" in text.strip():
        return None  # prose and templates, not values
    for pattern, kind in _PLACEHOLDERS:
        if pattern.search(text):
            return kind
    if _SECRET_NAME.search(name) and _NOISE_SECRET.match(text):
        return "a dummy secret"
    return None
