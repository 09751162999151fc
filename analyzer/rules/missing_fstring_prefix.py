"""MISSING_FSTRING_PREFIX: a string names variables in braces but lacks the `f` prefix.

What it does:
    Flags a plain string literal such as `"Hello {name}"` inside a function
    where every name in braces is a parameter or a variable assigned earlier,
    and the string is not formatted later (`.format()`, `.format_map()`, `%`,
    a logging or templating call, a translation), not a docstring, and not a
    regular expression or JSON.

Why it matters:
    The user receives "Dear {customer.name}, your order {order_id} has
    shipped" with the braces in it; a SQL query or URL carries the literal
    text `{user_id}` and matches nothing. It passes review because it reads
    exactly like the f-string it was meant to be.

Example:
    def shipped_message(customer, order_id):
        return "Dear {customer.name}, your order {order_id} has shipped"

Use instead:
    def shipped_message(customer, order_id):
        return f"Dear {customer.name}, your order {order_id} has shipped"
"""

from __future__ import annotations

import ast
import io
import re
import string
import tokenize
from typing import Iterator

from analyzer.facts import FunctionFacts, dotted_name, is_log_call
from analyzer.model import Fix, Severity
from analyzer.registry import STRING, Report, rule

_FIELD = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)([.\[][^{}]*)?$")
_FORMATTING_CALLEE = re.compile(r"format|template|render|gettext|translat|lazy|compile|^_$|^re\.|regex|pattern|sql|text$", re.IGNORECASE)
_FORMATTER = string.Formatter()
_TRIVIA = (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.INDENT, tokenize.DEDENT)


@rule("MISSING_FSTRING_PREFIX", Severity.BLOCK, on=STRING, precision=0.85)
def check(node: ast.Constant, ctx) -> Iterator[Report] | None:
    value = node.value  # a str: the rule looks at string literals (STRING)
    if "{" not in value or ctx.function is None:
        return None  # most constants: no generator is even created
    return _findings(node, value, ctx)


def _findings(node: ast.Constant, value: str, ctx) -> Iterator[Report]:
    if ctx.is_test_file:
        return  # tests hold templates and expected outputs with braces on purpose
    if "}" not in value or "{{" in value or "\\" in value or "(?" in value or len(value) > 500:
        return
    stripped = value.lstrip()
    if stripped.startswith(("{'", '{"')) or '":' in value:
        return  # JSON
    parent = ctx.parents[-1] if ctx.parents else None
    if isinstance(parent, (ast.JoinedStr, ast.FormattedValue, ast.Expr, ast.Attribute)) or (isinstance(parent, ast.BinOp) and isinstance(parent.op, ast.Mod)):
        return  # part of an f-string, a docstring, the receiver of `.format()`, or %-formatted
    names = _placeholder_names(value)
    if not names:
        return
    if isinstance(parent, ast.Call) and _formatted_by_call(parent, names):
        return
    fn = ctx.function
    if not all(_in_scope(fn, name, node.lineno) for name in names):
        return
    target = _assigned_name(parent)
    if target is not None and re.search(rf"\b{re.escape(target)}\s*(\.\s*format(_map)?\s*\(|%)", ctx.source):
        return  # a template, formatted later
    shown = ", ".join(f"`{n}`" for n in names)
    # A call given more than the string may fill it itself (a context argument): say so less loudly.
    maybe_template = isinstance(parent, ast.Call) and len(parent.args) + len(parent.keywords) > 1
    yield Report(
        line=node.lineno,
        end_line=node.end_lineno,
        message=f"this string uses {shown} in braces on line {node.lineno} but has no `f` prefix: the braces are printed as they are",
        evidence=(node.lineno,),
        fix=_prefix_fix(node, ctx),
        severity=Severity.WARN if maybe_template else None,
        strength=0.8 if maybe_template else 1.0,
    )


def _placeholder_names(text: str) -> list[str]:
    """The variable names in `{name}`, `{user.email}`, `{items[0]!r:>10}`; [] if any field is not one (`{}`, `{0}`)."""
    names: list[str] = []
    try:
        for _, field, _, _ in _FORMATTER.parse(text):
            if field is None:
                continue
            match = _FIELD.match(field)
            if match is None:
                return []
            if match.group(1) not in names:
                names.append(match.group(1))
    except ValueError:
        return []
    return names


def _formatted_by_call(call: ast.Call, names: list[str]) -> bool:
    """The call receiving the string formats it itself: logging (loguru, structlog), templating, translation, or a keyword per placeholder."""
    printed = isinstance(call.func, ast.Name) and call.func.id == "print"
    if (is_log_call(call) and not printed) or _FORMATTING_CALLEE.search(dotted_name(call.func) or getattr(call.func, "attr", "")):
        return True
    keywords = {k.arg for k in call.keywords}
    if None in keywords or any(name in keywords for name in names):
        return True
    # PydanticCustomError("kind", "must be {limit}", {"limit": limit}): the context dict fills the template.
    for arg in call.args:
        if isinstance(arg, ast.Dict) and any(isinstance(k, ast.Constant) and k.value in names for k in arg.keys):
            return True
        if isinstance(arg, ast.Call) and dotted_name(arg.func) == "dict" and any(k.arg in names for k in arg.keywords):
            return True
    return False


def _in_scope(fn: FunctionFacts | None, name: str, line: int) -> bool:
    """A parameter of this or an enclosing function, or a name assigned before `line`."""
    while fn is not None:
        if fn.param(name) is not None or any(n <= line for n in fn.assigned.get(name, ())):
            return True
        fn = fn.parent
    return False


def _assigned_name(parent: ast.AST | None) -> str | None:
    if isinstance(parent, ast.Assign) and len(parent.targets) == 1 and isinstance(parent.targets[0], ast.Name):
        return parent.targets[0].id
    if isinstance(parent, ast.AnnAssign) and isinstance(parent.target, ast.Name):
        return parent.target.id
    return None


def _prefix_fix(node: ast.Constant, ctx) -> Fix | None:
    """Insert `f` before the opening quote, for a one-line literal without a prefix of its own."""
    if node.end_lineno != node.lineno:
        return None
    text = ctx.line_text(node.lineno)
    raw = text.encode("utf-8")
    start = node.col_offset
    if raw[start:start + 1] not in (b'"', b"'"):
        return None  # already prefixed (r, b, u)
    literal = raw[start:node.end_col_offset].decode("utf-8")
    if not _single_string_token(literal):
        return None  # implicitly concatenated pieces: the prefix would reach only the first
    fixed = (raw[:start] + b"f" + raw[start:]).decode("utf-8")
    return Fix(node.lineno, node.lineno, fixed, "add the missing `f` prefix")


def _single_string_token(literal: str) -> bool:
    try:
        tokens = [t for t in tokenize.generate_tokens(io.StringIO(literal).readline) if t.type not in _TRIVIA]
    except (tokenize.TokenError, SyntaxError):
        return False
    return len(tokens) == 1 and tokens[0].type == tokenize.STRING and tokens[0].string == literal
