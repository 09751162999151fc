"""Statement-level helpers shared by the control-flow rules: blocks, jumps, handler shapes.

Rules get nodes and facts from the engine's single walk; these helpers answer
small questions about one statement or one block (which list holds a node,
is a handler empty, does a block jump out) without walking a whole function.
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import dotted_name

SCOPE_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)
LOOP_NODES = (ast.For, ast.AsyncFor, ast.While)
BROAD_EXCEPTIONS = frozenset({"Exception", "BaseException", "builtins.Exception", "builtins.BaseException"})
_BLOCK_FIELDS = ("body", "orelse", "finalbody")
# The statement classes that hold blocks; `child_blocks` finds none in any other (most statements).
COMPOUND_STATEMENTS = frozenset(
    cls for cls in ast.stmt.__subclasses__() if {*_BLOCK_FIELDS, "handlers", "cases"}.intersection(cls._fields)
)


def child_blocks(stmt: ast.AST) -> Iterator[list[ast.stmt]]:
    """The statement lists directly inside a compound statement: bodies, else, finally, handlers, cases."""
    for name in _BLOCK_FIELDS:
        block = getattr(stmt, name, None)
        if block and isinstance(block, list) and isinstance(block[0], ast.stmt):
            yield block
    for handler in getattr(stmt, "handlers", ()) or ():
        yield handler.body
    for case in getattr(stmt, "cases", ()) or ():
        yield case.body


def block_holding(parent: ast.AST | None, node: ast.stmt) -> tuple[list[ast.stmt], int] | None:
    """The statement list of `parent` that holds `node`, and `node`'s index in it."""
    if parent is None:
        return None
    for block in child_blocks(parent):
        for index, stmt in enumerate(block):
            if stmt is node:
                return block, index
    return None


def is_pass_only(body: list[ast.stmt]) -> bool:
    """A block that does nothing: `pass`, `...`, or bare string constants."""
    return all(
        isinstance(stmt, ast.Pass) or (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant))
        for stmt in body
    )


def caught_names(handler: ast.ExceptHandler) -> list[str]:
    """Dotted names of the classes an `except` clause catches; [] for a bare `except:`."""
    if handler.type is None:
        return []
    items = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return [dotted_name(item) or "?" for item in items]


def catches_broadly(handler: ast.ExceptHandler) -> bool:
    """`except:`, `except Exception:`, `except BaseException:` or a tuple holding one of them."""
    return handler.type is None or any(name in BROAD_EXCEPTIONS for name in caught_names(handler))


def clause_text(handler: ast.ExceptHandler) -> str:
    """The clause as a reader sees it: `except`, `except Exception`, `except (OSError, ValueError)`."""
    if handler.type is None:
        return "except"
    return f"except {ast.unparse(handler.type)}"


def walk_local(nodes: list[ast.AST]) -> Iterator[ast.AST]:
    """Every node under `nodes` that runs in the same scope: nested functions, classes and lambdas are skipped."""
    stack = list(reversed(nodes))
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, SCOPE_NODES):
                stack.append(child)


def reads_name(nodes: list[ast.AST], name: str) -> bool:
    """Whether `name` is loaded anywhere under `nodes`, nested scopes included (closures read it too)."""
    for root in nodes:
        for node in ast.walk(root):
            if node.__class__ is ast.Name and node.id == name and node.ctx.__class__ is ast.Load:
                return True
    return False


def exits(nodes: list[ast.stmt], *, loop_exits: bool = True) -> list[ast.stmt]:
    """`return`, `raise` and (outside inner loops) `break` statements under `nodes`, in the same scope.

    With `loop_exits=False`, `break` is not counted (for asking "does this leave the function").
    """
    found: list[ast.stmt] = []
    stack: list[tuple[ast.AST, bool]] = [(node, False) for node in reversed(nodes)]
    while stack:
        node, in_inner_loop = stack.pop()
        if isinstance(node, (ast.Return, ast.Raise)):
            found.append(node)
        elif isinstance(node, ast.Break) and loop_exits and not in_inner_loop:
            found.append(node)
        if isinstance(node, ast.stmt):
            inner = in_inner_loop or isinstance(node, LOOP_NODES)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt) or isinstance(child, (ast.ExceptHandler, ast.match_case)):
                    stack.append((child, inner))
        elif isinstance(node, (ast.ExceptHandler, ast.match_case)):
            for child in node.body:
                stack.append((child, in_inner_loop))
    return found


def same_code(a: object, b: object) -> bool:
    """`ast.dump(a) == ast.dump(b)` without building either string: the same node types and field values, positions aside.

    Leaves compare as their reprs do: `1` is not `1.0` nor `True`, and `0.0` is not `-0.0`.
    """
    # Loops rather than all() over a generator: this recurses through every node of two bodies.
    if a.__class__ is not b.__class__:
        return False
    if isinstance(a, ast.AST):
        for name in a._fields:
            if not same_code(getattr(a, name, None), getattr(b, name, None)):
                return False
        return True
    if a.__class__ is list:
        if len(a) != len(b):
            return False
        for item_a, item_b in zip(a, b):
            if not same_code(item_a, item_b):
                return False
        return True
    if a.__class__ is float or a.__class__ is complex:
        return repr(a) == repr(b)
    return a == b


def one_line(node: ast.AST, limit: int = 60) -> str:
    """Source-like text of a node, on one line and shortened for a message."""
    text = " ".join(ast.unparse(node).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
