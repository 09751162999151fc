"""How a string is built: the values spliced into it by f-strings, `%`, `.format()` and `+`.

The injection rules (SQL, shell commands) ask the same questions of the text
they are handed: which non-constant values were spliced into it, and what
text stands right before and after each one. `splices()` answers them for
one expression; `assigned_values()` follows a plain name back to the
assignments that built it, using the function's facts.
"""

from __future__ import annotations

import ast
import itertools
import re
import string
from dataclasses import dataclass
from typing import Iterator

from analyzer.facts import FunctionFacts, dotted_name

# Stands for an already spliced value in the text around a later one.
MARK = "\x00"

_PERCENT_SPEC = re.compile(r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<type>[diouxXeEfFgGcrsab%])")
_NUMERIC_TYPES = frozenset("diouxXeEfFgGn")


@dataclass(frozen=True, slots=True)
class Splice:
    """One value spliced into a string, with the literal text around it."""

    value: ast.expr
    before: str  # the template text before the value (earlier splices shown as MARK)
    after: str
    numeric: bool  # formatted as a number (%d, {:d}), so it cannot carry text
    style: str  # "f-string", "%-format", ".format()", "concatenation"


def splices(expr: ast.expr) -> list[Splice] | None:
    """The values spliced into a string-building expression, or None when `expr` does not build a string.

    A plain constant or name is not "building": None. An f-string whose parts
    are all constants gives [].
    """
    parts = _parts(expr)
    if parts is None:
        return None
    texts = [part if isinstance(part, str) else MARK for part, _, _ in parts]
    found: list[Splice] = []
    for index, (part, numeric, style) in enumerate(parts):
        if isinstance(part, str):
            continue
        before = "".join(texts[:index])
        after = "".join(texts[index + 1 :])
        found.append(Splice(part, before, after, numeric, style))
    return found


def template_text(expr: ast.expr) -> str | None:
    """The literal text of a string-building expression, spliced values shown as MARK; None if it builds none."""
    parts = _parts(expr)
    if parts is None:
        return None
    return "".join(part if isinstance(part, str) else MARK for part, _, _ in parts)


# One part of a built string: literal text, or a spliced expression with (numeric?, style).
_Part = tuple[str | ast.expr, bool, str]


def _parts(expr: ast.expr) -> list[_Part] | None:
    if isinstance(expr, ast.JoinedStr):
        return _fstring_parts(expr)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Mod) and _is_str(expr.left):
        return _percent_parts(expr.left.value, expr.right)
    if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
        return _concatenation_parts(expr)
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "format"
        and _is_str(expr.func.value)
    ):
        return _format_parts(expr.func.value.value, expr)
    return None


def _is_str(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _fstring_parts(node: ast.JoinedStr) -> list[_Part]:
    parts: list[_Part] = []
    for value in node.values:
        if isinstance(value, ast.Constant):
            parts.append((str(value.value), False, "f-string"))
        elif isinstance(value, ast.FormattedValue):
            spec = ""
            if isinstance(value.format_spec, ast.JoinedStr):
                spec = "".join(str(v.value) for v in value.format_spec.values if isinstance(v, ast.Constant))
            numeric = value.conversion == -1 and bool(spec) and spec[-1] in _NUMERIC_TYPES
            if _is_str(value.value):
                parts.append((value.value.value, False, "f-string"))
            else:
                parts.append((value.value, numeric, "f-string"))
    return parts


def _percent_parts(template: str, right: ast.expr) -> list[_Part] | None:
    if isinstance(right, ast.Tuple):
        positional: list[ast.expr] = list(right.elts)
    elif isinstance(right, ast.Dict):
        positional = []
    else:
        positional = [right]
    if any(isinstance(item, ast.Starred) for item in positional):
        return None
    by_key = {}
    if isinstance(right, ast.Dict):
        by_key = {key.value: value for key, value in zip(right.keys, right.values) if key is not None and _is_str(key)}
    parts: list[_Part] = []
    position = 0
    cursor = 0
    for match in _PERCENT_SPEC.finditer(template):
        kind = match.group("type")
        parts.append((template[cursor : match.start()], False, "%-format"))
        cursor = match.end()
        if kind == "%":
            parts.append(("%", False, "%-format"))
            continue
        key = match.group("key")
        if key is not None:
            value = by_key.get(key, right)  # a dict we cannot read: the whole right-hand side
        elif position < len(positional):
            value = positional[position]
            position += 1
        else:
            value = right
        parts.append(_literal_or_value(value, kind in _NUMERIC_TYPES, "%-format"))
    parts.append((template[cursor:], False, "%-format"))
    return parts


def _format_parts(template: str, call: ast.Call) -> list[_Part] | None:
    if any(isinstance(arg, ast.Starred) for arg in call.args) or any(k.arg is None for k in call.keywords):
        return None
    try:
        fields = list(string.Formatter().parse(template))
    except ValueError:
        return None
    keywords = {k.arg: k.value for k in call.keywords}
    numbering = itertools.count()  # `{}` fields take the positional arguments in turn
    parts: list[_Part] = []
    for literal, field, spec, conversion in fields:
        if literal:
            parts.append((literal, False, ".format()"))
        if field is None:
            continue
        value = _format_argument(field, call.args, keywords, numbering)
        if value is None:
            return None  # a field we cannot match to an argument
        numeric = not conversion and bool(spec) and spec[-1] in _NUMERIC_TYPES
        parts.append(_literal_or_value(value, numeric, ".format()"))
    return parts


def _format_argument(field: str, args: list[ast.expr], keywords: dict, numbering: Iterator[int]) -> ast.expr | None:
    """The argument a `.format()` field names: `{}`, `{0}`, `{name}`, `{0.attr}`, `{name[key]}`."""
    root = re.split(r"[.\[]", field, maxsplit=1)[0] or str(next(numbering))
    if root.isdigit():
        return args[int(root)] if int(root) < len(args) else None
    return keywords.get(root)


def _concatenation_parts(expr: ast.BinOp) -> list[_Part] | None:
    operands: list[ast.expr] = []
    node: ast.expr = expr
    while isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        operands.append(node.right)
        node = node.left
    operands.append(node)
    operands.reverse()
    parts: list[_Part] = []
    has_text = False
    for operand in operands:
        if _is_str(operand):
            parts.append((operand.value, False, "concatenation"))
            has_text = True
        elif (inner := _parts(operand)) is not None:
            parts.extend(inner)
            has_text = True
        else:
            parts.append((operand, False, "concatenation"))
    return parts if has_text else None


def _literal_or_value(value: ast.expr, numeric: bool, style: str) -> _Part:
    if _is_str(value):
        return (value.value, False, style)
    if isinstance(value, ast.Constant):
        return (str(value.value), False, style)
    return (value, numeric, style)


def assigned_values(fn: FunctionFacts | None, name: str, before_line: int) -> list[tuple[int, ast.expr]]:
    """(line, value) of every assignment to plain `name` in `fn` before `before_line`, `+=` included."""
    if fn is None:
        return []
    found = []
    for assign in fn.assigns:
        if assign.line >= before_line or assign.value is None or name not in assign.targets:
            continue
        node = assign.node
        if isinstance(node, ast.Assign) and not all(isinstance(t, ast.Name) for t in node.targets):
            continue  # tuple unpacking: we cannot tell which part is `name`
        found.append((assign.line, assign.value))
    return found


def callee_text(call: ast.Call) -> str:
    """How to show a callee in a message: `cursor.execute`, or the unparsed expression."""
    return dotted_name(call.func) or ast.unparse(call.func)


def excerpt(splice: Splice, width: int = 30) -> str:
    """A short view of the text around a splice: `... WHERE id = {user_id}'`."""
    before = splice.before.replace(MARK, "{...}")
    if len(before) > width:
        before = before[-width:].split(" ", 1)[-1]  # start on a whole word
    before = before.lstrip()
    after = re.split(r"\s", splice.after.replace(MARK, "{...}"), maxsplit=1)[0][:10]
    shown = ast.unparse(splice.value)
    if len(shown) > 30:
        shown = shown[:27] + "..."
    return " ".join(f"{before}{{{shown}}}{after}".split())
