"""Cyclomatic complexity and nesting depth: what each construct adds, what is measured apart, and the cheap bound."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from analyzer.complexity import complexity_upper_bound, cyclomatic_complexity, deepest_block


def function(source: str) -> ast.FunctionDef:
    node = ast.parse(textwrap.dedent(source)).body[0]
    assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
    return node


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("return x", 1),
        ("if a:\n    pass", 2),
        ("if a:\n    pass\nelif b:\n    pass\nelse:\n    pass", 3),
        ("return a if b else c", 2),
        ("for x in y:\n    pass\nelse:\n    pass", 2),
        ("while x:\n    pass", 2),
        ("try:\n    pass\nexcept A:\n    pass\nexcept B:\n    pass\nfinally:\n    pass", 3),
        ("return a and b and c", 3),
        ("return a or (b and c)", 3),
        ("return [x for x in y if x if x > 1]", 4),
        ("return {k: v for k in a for v in b}", 3),
        ("match x:\n    case 1:\n        pass\n    case 2:\n        pass\n    case _:\n        pass", 3),
        ("match x:\n    case 1:\n        pass\n    case _ if y:\n        pass", 3),
        ("with a:\n    pass\nassert b", 1),
        ("f = lambda v: v if v else 0", 2),
    ],
)
def test_each_decision_point_adds_one(body, expected):
    fn = function("def f(x):\n" + textwrap.indent(body, "    "))
    assert cyclomatic_complexity(fn) == expected


def test_nested_functions_and_classes_are_measured_on_their_own():
    fn = function(
        """
        def outer(x):
            if x:
                pass
            def inner(y):
                if y and x:
                    pass
            class Local:
                def method(self):
                    for _ in self:
                        pass
            return inner
        """
    )
    assert cyclomatic_complexity(fn) == 2
    inner = fn.body[1]
    assert cyclomatic_complexity(inner) == 3


def test_the_keyword_bound_never_falls_below_the_complexity():
    root = Path(__file__).resolve().parent.parent / "analyzer"
    checked = 0
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                text = "\n".join(lines[node.lineno - 1 : node.end_lineno])
                assert complexity_upper_bound(text) >= cyclomatic_complexity(node), f"{path}:{node.lineno}"
                checked += 1
    assert checked > 100


def test_depth_counts_blocks_inside_blocks_with_their_path():
    fn = function(
        """
        def f(rows):
            for row in rows:
                if row:
                    with row.lock:
                        try:
                            while row.busy:
                                row.wait()
                        except OSError:
                            pass
        """
    )
    nesting = deepest_block(fn)
    assert (nesting.depth, nesting.line) == (5, 7)
    assert nesting.path == ("for", "if", "with", "try", "while")


def test_elif_continues_its_if_but_an_if_under_else_is_deeper():
    elif_chain = function("def f(x):\n    if x == 1:\n        pass\n    elif x == 2:\n        pass\n    elif x == 3:\n        pass\n")
    assert deepest_block(elif_chain).depth == 1
    else_if = function("def f(x):\n    if x == 1:\n        pass\n    else:\n        if x == 2:\n            pass\n")
    assert deepest_block(else_if).depth == 2
    assert deepest_block(else_if).line == 5


def test_a_function_without_blocks_has_depth_zero_at_its_def_line():
    fn = function("def f(x):\n    return x\n")
    nesting = deepest_block(fn)
    assert (nesting.depth, nesting.line, nesting.path) == (0, 1, ())


def test_nested_functions_do_not_deepen_the_outer_one():
    fn = function(
        """
        def outer(x):
            if x:
                def inner(y):
                    for a in y:
                        for b in a:
                            if b:
                                pass
                return inner
        """
    )
    assert deepest_block(fn).depth == 1
    inner = fn.body[0].body[0]
    assert deepest_block(inner).depth == 3
