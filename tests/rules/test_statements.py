"""same_code answers what comparing two `ast.dump` strings answers, without building them."""

from __future__ import annotations

import ast
import itertools

import pytest

from analyzer.rules._statements import same_code

EXPRESSIONS = [
    "x", "y", "x.a", "x.b", "x[0]", "x[0.0]", "x[-0.0]", "x[1]", "x[1.0]", "x[True]", "x[1j]", "x['1']", "x[b'1']",
    "f(a, b=1)", "f(a, b=2)", "f(a, c=1)", "f(*a)", "{**a, 'k': 1}", "{'k': 1, **a}", "[x for x in y if x]",
    "[x for x in y]", "lambda a=1: a", "lambda a=2: a", "a if b else c", "a and b", "a or b", "not a", "-a", "...",
    "None", "f'{x!r:>4}'", "f'{x!s:>4}'", "float('nan')", "x == y", "x is y",
]


@pytest.mark.parametrize(("left", "right"), list(itertools.product(EXPRESSIONS, repeat=2)))
def test_same_code_agrees_with_dump(left, right):
    a, b = ast.parse(left, mode="eval").body, ast.parse(right, mode="eval").body
    assert same_code(a, b) == (ast.dump(a) == ast.dump(b))


def test_positions_do_not_matter_and_statement_lists_compare_item_by_item():
    first = ast.parse("if a:\n    x = f(1)\n    return x\n").body
    second = ast.parse("\n\nif a:  # moved\n    x = f( 1 )\n    return x\n").body
    assert same_code(first, second)
    assert not same_code(first, first + second)
