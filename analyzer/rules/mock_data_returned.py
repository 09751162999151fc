"""MOCK_DATA_RETURNED: a lookup function returns hard-coded records instead of looking anything up.

What it does:
    Flags a `get_*`, `fetch_*`, `load_*`, `list_*`, `find_*`, `search_*` or
    `query_*` function that takes an id or a query and returns a literal list
    of records (dicts of constants), or filters such a list built inside the
    function, instead of asking a database, an API or a file.

Why it matters:
    Every user sees the same two sample orders; search always finds "Widget".
    Demo data written to make a screen render was never replaced, and tests
    that check the shape of the response pass, because the shape is right.

Example:
    def get_user_orders(user_id):
        return [
            {"id": 1, "item": "Widget", "price": 9.99},
            {"id": 2, "item": "Gadget", "price": 24.50},
        ]

Use instead:
    def get_user_orders(user_id):
        rows = db.execute("SELECT id, item, price FROM orders WHERE user_id = ?", (user_id,)).fetchall()
        return [dict(row) for row in rows]
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.facts import FunctionFacts
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.rules._constant_answers import judged_params
from analyzer.vocabulary import is_abstract_or_overload

_LOOKUP_NAME = re.compile(r"^_*(get|fetch|load|list|find|search|query|lookup|retrieve|read)_[a-z0-9]")
_NOT_A_LOOKUP = re.compile(r"(_choices|_options|_columns|_fields|_fieldsets|_headers|_schema|_examples?|_defaults?|_config|_settings|_urls|_routes|_menu)$")
_SAMPLE_CONTAINER = re.compile(r"mock|fake|dummy|sample|example|demo|fixture|stub|in_?memory", re.IGNORECASE)


@rule("MOCK_DATA_RETURNED", Severity.BLOCK, on=FUNCTION, precision=0.9)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    if not _LOOKUP_NAME.match(fn.name) or _NOT_A_LOOKUP.search(fn.name) or ctx.is_test_file:
        return None
    if not fn.returns or is_abstract_or_overload(fn) or fn.has_decorator("fixture"):
        return None
    return _findings(fn, ctx)


def _findings(fn: FunctionFacts, ctx) -> Iterator[Report]:
    params = judged_params(fn)
    if not params:
        return
    if fn.class_name is not None and _SAMPLE_CONTAINER.search(fn.class_name):
        return  # FakeRepository, MockClient: sample data is their job
    literal_locals = _literal_record_locals(fn)
    for ret in fn.returns:
        if ret.value is None:
            continue
        count = _record_count(ret.value)
        if count:
            yield Report(
                line=ret.line,
                end_line=ret.node.end_lineno or ret.line,
                message=f"`{fn.name}()` returns {count} hard-coded record{'s' if count > 1 else ''} on line {ret.line}, whatever {_shown(params)} {'are' if len(params) > 1 else 'is'}",
                evidence=(fn.line, ret.line),
            )
            return
        used = sorted(ret.names & literal_locals.keys())
        if used:
            name = used[0]
            line, count = literal_locals[name]
            yield Report(
                line=ret.line,
                end_line=ret.node.end_lineno or ret.line,
                message=f"`{fn.name}()` answers from `{name}`, {count} hard-coded record{'s' if count > 1 else ''} built on line {line}, instead of looking {_shown(params)} up",
                evidence=(fn.line, line, ret.line),
                severity=Severity.WARN,
                strength=0.85,
            )
            return


def _shown(params: list[str]) -> str:
    return ", ".join(f"`{p}`" for p in params)


def _literal_record_locals(fn: FunctionFacts) -> dict[str, tuple[int, int]]:
    """Local names bound once to a literal list of records: name -> (line, number of records)."""
    found: dict[str, tuple[int, int]] = {}
    for assign in fn.assigns:
        if len(assign.targets) != 1 or assign.value is None:
            continue
        name = assign.targets[0]
        if len(fn.assigned.get(name, ())) != 1 or fn.param(name) is not None:
            continue
        count = _record_count(assign.value)
        if count:
            found[name] = (assign.line, count)
    return found


def _record_count(node: ast.AST) -> int:
    """How many records a literal `[{"id": 1, "name": "a"}, ...]` holds; 0 when it is not one."""
    if not isinstance(node, (ast.List, ast.Tuple)) or not node.elts:
        return 0
    for element in node.elts:
        if not isinstance(element, ast.Dict) or len(element.keys) < 2:
            return 0
        if not all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in element.keys):
            return 0
        if not all(_is_constant_data(v) for v in element.values):
            return 0
        if all(isinstance(v, ast.Constant) and v.value in (None, "", 0, False) for v in element.values):
            return 0  # an empty template row, not sample data
    return len(node.elts)


def _is_constant_data(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.UnaryOp) and isinstance(node.operand, ast.Constant):
        return True
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return all(_is_constant_data(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(k is not None and _is_constant_data(k) for k in node.keys) and all(_is_constant_data(v) for v in node.values)
    return False
