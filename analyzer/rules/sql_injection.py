"""SQL_INJECTION: a value is spliced into SQL text with an f-string, `%`, `.format()` or `+`.

What it does:
    Flags SQL text that splices a non-constant value where the SQL expects
    a value. The sinks are `cursor.execute`, `executemany`, `Model.objects.raw`,
    `QuerySet.extra`, SQLAlchemy `text()` and `pandas.read_sql`; a value
    counts when it sits inside a quoted SQL string (`'{name}'`), after a
    comparison (`= {user_id}`), or in an `IN (...)` or `VALUES (...)` list,
    whether the text is built on the call or in a variable assigned earlier
    in the function.

Why it matters:
    Whoever controls the value controls the query: `' OR '1'='1` reads every
    row, `'; DROP TABLE users; --` destroys them. Parameters (`%s`, `?`,
    `:name`) are sent apart from the SQL text and cannot change what it does.

Example:
    def find_user(cursor, email):
        cursor.execute(f"SELECT id, name FROM users WHERE email = '{email}'")
        return cursor.fetchone()

Use instead:
    def find_user(cursor, email):
        cursor.execute("SELECT id, name FROM users WHERE email = %s", (email,))
        return cursor.fetchone()

Notes:
    Splicing identifiers (a table or column name after FROM, JOIN, INTO,
    UPDATE or in a select list), values formatted as numbers (`%d`, `{n:d}`),
    values passed through a quoting function (`quote_name`, `literal`,
    `escape`), generated placeholder lists (`", ".join(["%s"] * n)`) and SQL
    fragments named as such (`where_sql`, `clause`) are not findings, nor are
    LIMIT and OFFSET counts.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.model import Severity
from analyzer.registry import Report, rule
from analyzer.rules._strings import Splice, assigned_values, callee_text, excerpt, splices, template_text
from analyzer.sinks import sink_kind, sink_names

_SQL_WORDS = re.compile(r"\b(select|insert|update|delete|replace|merge|with|where|values|set|from)\b", re.IGNORECASE)
_VALUE_OPERATOR = re.compile(r"(?:[=<>]|\blike|\bilike|\bregexp|\bglob|\bis)\s*$", re.IGNORECASE)
_LIST_OPENER = re.compile(r"\b(?:in|values)\s*$", re.IGNORECASE)
_SAFE_CALLS = re.compile(r"quote|escape|literal|adapt|placeholder|sanitize|^(?:int|float|len|bool|qn|round|abs|count)$", re.IGNORECASE)
# Name parts that say a value is SQL text or an identifier, not data: `where_sql`, `subquery`, `other_table`.
_FRAGMENT_PARTS = frozenset(
    "sql clause clauses where condition conditions cond expr expression placeholder placeholders fragment subquery "
    "subselect stmt statement table tbl column col alias".split()
)
_PLACEHOLDER_TEXT = frozenset({"?", "%s", "%%s", ":", "$", "%(", "{}"})
_NO_PARAMETERS = re.compile(
    r"\s*(?:set|show|alter|create|drop|grant|revoke|declare|begin|pragma|comment|truncate|analyze|vacuum|use|lock|savepoint|release|call|exec|execute)\b",
    re.IGNORECASE,
)
_SQL_ARGUMENT_KEYWORDS = ("sql", "query", "statement", "stmt", "operation")
_EXTRA_KEYWORDS = ("where", "select", "tables", "order_by")


@rule("SQL_INJECTION", Severity.BLOCK, on=ast.Call, precision=0.9, calls=sink_names("sql"))
def check(call: ast.Call, ctx) -> Iterator[Report] | None:
    if sink_kind(call) != "sql" or ctx.is_test_file:
        return None  # most calls: no generator is even created
    return _findings(call, ctx)


def _findings(call: ast.Call, ctx) -> Iterator[Report]:
    for argument in _sql_arguments(call):
        if isinstance(argument, ast.Call) and sink_kind(argument) == "sql":
            continue  # `execute(text(f"..."))`: the inner `text()` is judged on its own
        yield from _judge(call, argument, ctx)


def _sql_arguments(call: ast.Call) -> list[ast.expr]:
    func = call.func
    if isinstance(func, ast.Attribute) and func.attr == "extra":
        found = []
        for keyword in call.keywords:
            if keyword.arg in _EXTRA_KEYWORDS:
                value = keyword.value
                if isinstance(value, (ast.List, ast.Tuple)):
                    found.extend(value.elts)
                elif isinstance(value, ast.Dict):
                    found.extend(value.values)
        return found
    if call.args:
        return [call.args[0]]
    return [k.value for k in call.keywords if k.arg in _SQL_ARGUMENT_KEYWORDS]


def _judge(call: ast.Call, argument: ast.expr, ctx) -> Iterator[Report]:
    built, via = _sql_built(call, argument, ctx.function)
    if not built:
        return
    for line, value in built:
        for splice in splices(value) or ():
            position = _value_position(splice)
            if position is None or _safe_value(splice) or _built_here(splice.value, ctx.function, call.lineno):
                continue
            where = f" (`{via}`, built on line {line})" if via else ""
            yield Report(
                line=call.lineno,
                end_line=call.end_lineno,
                message=f"`{callee_text(call)}()` runs SQL{where} that splices `{ast.unparse(splice.value)}` {position} "
                f"with {_article(splice.style)}: `{excerpt(splice)}`; pass it as a query parameter instead",
                evidence=tuple(sorted({line, call.lineno})),
                severity=None if _plain_value(splice.value) else Severity.WARN,
            )
            return  # one finding per call is enough to make the case


def _sql_built(call: ast.Call, argument: ast.expr, fn) -> tuple[list[tuple[int, ast.expr]], str | None]:
    """The expressions that build the SQL text (with their lines) and the variable that carries it; [] when it is not SQL to judge."""
    if isinstance(argument, ast.Name):
        built, via = assigned_values(fn, argument.id, call.lineno), argument.id
    else:
        built, via = [(call.lineno, argument)], None
    is_extra = isinstance(call.func, ast.Attribute) and call.func.attr == "extra"  # its arguments are SQL by contract
    if not built or (not is_extra and not any(_SQL_WORDS.search(_text_of(value)) for _, value in built)):
        return [], via
    if _NO_PARAMETERS.match(_text_of(built[0][1])):
        return [], via  # SET, SHOW, DDL: statements that take no parameters, so they are always built as text
    return built, via


def _text_of(value: ast.expr) -> str:
    if isinstance(value, ast.Constant) and isinstance(value.value, str):
        return value.value
    return template_text(value) or ""


def _value_position(splice: Splice) -> str | None:
    """Where a spliced value sits, when the SQL expects a value there; None for identifiers and fragments."""
    before = splice.before
    if before.count("'") % 2 == 1 and "'" in splice.after:
        return "inside a quoted SQL string"
    stripped = before.rstrip()
    if _VALUE_OPERATOR.search(stripped) and not stripped.endswith(("->", "=>")):
        return f"as the value of `{_last_word(stripped)}`"
    opener = stripped.rfind("(")
    if opener >= 0 and ")" not in stripped[opener:] and _LIST_OPENER.search(stripped[:opener]):
        return f"inside `{_LIST_OPENER.search(stripped[:opener]).group(0).strip().upper()} (...)`"
    return None


def _last_word(text: str) -> str:
    match = re.search(r"([A-Za-z_.]+\s*)?(\S+)$", text)
    return " ".join(match.group(0).split()) if match else text[-10:]


def _safe_value(splice: Splice) -> bool:
    """A value that cannot carry SQL: a number, a quoted or escaped value, a placeholder list, a named fragment."""
    if splice.numeric:
        return True
    value = splice.value
    for node in ast.walk(value):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.strip() in _PLACEHOLDER_TEXT:
            return True  # ", ".join(["%s"] * len(ids))
        if isinstance(node, ast.Call):
            name = callee_text(node).rsplit(".", 1)[-1]
            if _SAFE_CALLS.search(name) or (name == "replace" and _replaces_quote(node)):
                return True
    if isinstance(value, ast.Constant):
        return True
    name = _value_name(value)
    if name and (name.isupper() or not _FRAGMENT_PARTS.isdisjoint(name.lower().strip("_").split("_"))):
        return True
    return False


def _replaces_quote(call: ast.Call) -> bool:
    """`value.replace("'", "''")`: the SQL way of escaping a quote."""
    return bool(call.args) and isinstance(call.args[0], ast.Constant) and call.args[0].value == "'"


def _plain_value(value: ast.expr) -> bool:
    """A name, attribute or subscript: the raw value itself, not something computed from it."""
    while isinstance(value, (ast.Attribute, ast.Subscript)):
        value = value.value
    return isinstance(value, ast.Name)


def _built_here(value: ast.expr, fn, line: int) -> bool:
    """A local name that the function itself assigns only from literals and string templates: a SQL fragment."""
    if not isinstance(value, ast.Name) or fn is None:
        return False
    assigned = assigned_values(fn, value.id, line)
    return bool(assigned) and all(
        isinstance(v, ast.Constant) or splices(v) is not None or (isinstance(v, ast.Call) and _SAFE_CALLS.search(callee_text(v).rsplit(".", 1)[-1]))
        for _, v in assigned
    )


def _value_name(value: ast.expr) -> str:
    if isinstance(value, ast.Name):
        return value.id
    if isinstance(value, ast.Attribute):
        return value.attr
    return ""


def _article(style: str) -> str:
    return {"f-string": "an f-string", "%-format": "`%` formatting", ".format()": "`.format()`"}.get(style, "string concatenation")
