"""Cyclomatic complexity and nesting depth: what each construct adds, what is measured apart, and the walk counting the same."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import pytest

from analyzer.complexity import cyclomatic_complexity, deepest_block
from analyzer.engine import ScanOptions, scan_source
from analyzer.model import Severity
from analyzer.registry import MODULE, Rule


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


def walked_functions(source: str):
    """The FunctionFacts the engine's walk gathers for `source`, through a MODULE rule that keeps them."""
    kept = []

    def keep(module, ctx):
        kept.extend(module.functions)

    rule = Rule("KEEP_FACTS", Severity.WARN, keep, (MODULE,), 1.0, __name__)
    result = scan_source(source, "app/module.py", ScanOptions(rules=[rule]))
    assert result.error is None, result.error
    return kept


WALK_CASES = [
    "def f(x):\n    if a and b or c:\n        pass\n    elif [y for y in x if y if y > 1]:\n        pass\n    else:\n        if x:\n            pass\n",
    "def f(x):\n    match x:\n        case 1:\n            pass\n        case _ if x:\n            pass\n    match x:\n        case 1:\n            pass\n        case _:\n            pass\n",
    "async def f(x):\n    async for a in x:\n        async with a:\n            try:\n                while a:\n                    if a:\n                        pass\n            except A:\n                pass\n            except B:\n                pass\n            else:\n                pass\n            finally:\n                pass\n",
    "def outer(x=lambda v: v if v else 0):\n    @deco(a if b else c)\n    def inner(y=[z for z in w if z]) -> (p or q):\n        if y and x:\n            pass\n    class Local(Base if x else Other):\n        if x:\n            for _ in x:\n                pass\n        def method(self):\n            for _ in self:\n                pass\n    return (lambda q: q or x)(inner)\n",
    "def f(x):\n    if x: pass\n    elif x: pass\n    elif x:\n        if x:\n            with x:\n                for i in x:\n                    while i:\n                        if i:\n                            pass\n",
]


@pytest.mark.parametrize("source", WALK_CASES)
def test_the_walk_counts_what_complexity_and_deepest_block_compute(source):
    tree = ast.parse(source)
    by_line = {node.lineno: node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    facts = walked_functions(source)
    assert len(facts) == len(by_line)
    for fn in facts:
        node = by_line[fn.line]
        assert (fn.complexity, fn.nesting) == (cyclomatic_complexity(node), deepest_block(node)), fn.qualname


def test_the_walk_agrees_with_complexity_on_the_analyzer_itself():
    root = Path(__file__).resolve().parent.parent / "analyzer"
    checked = 0
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        for fn in walked_functions(source):
            assert (fn.complexity, fn.nesting) == (cyclomatic_complexity(fn.node), deepest_block(fn.node)), f"{path}:{fn.line}"
            checked += 1
    assert checked > 100
