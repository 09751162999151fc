"""LOOP_RESULT_DISCARDED: a loop builds a collection or a total that nothing ever reads.

What it does:
    Flags a collection or total that a loop fills and nothing ever reads.
    The local starts empty (`[]`, `{}`, `set()`, `0`, `""`), is filled inside
    a loop (`results.append(...)`, `seen.add(...)`, `counts[k] = ...`,
    `total += ...`), and is never returned, passed on or tested. It blocks
    when the function returns nothing it computed, and warns otherwise.

Why it matters:
    The loop does the work and the function throws it away: it returns the
    input unchanged, a constant, or nothing, and the validation errors, the
    converted rows or the computed total are lost. It reads as finished code
    and passes tests that only check that nothing raised.

Example:
    def validate_rows(rows):
        errors = []
        for row in rows:
            if not row.get("email"):
                errors.append(f"row {row['id']}: missing email")
        return {"valid": True}

Use instead:
    def validate_rows(rows):
        errors = []
        for row in rows:
            if not row.get("email"):
                errors.append(f"row {row['id']}: missing email")
        return {"valid": not errors, "errors": errors}
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import AssignFact, FunctionFacts, dotted_name
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.rules._statements import LOOP_NODES, SCOPE_NODES

# Methods that only put something into a collection; calling them is not a read of its content.
FILLING_METHODS = frozenset({"append", "extend", "add", "update", "insert", "appendleft", "extendleft", "setdefault", "write"})
_EMPTY_CONSTRUCTORS = frozenset({"list", "dict", "set", "str", "int", "float", "OrderedDict", "Counter", "deque", "defaultdict", "collections.OrderedDict", "collections.Counter", "collections.deque", "collections.defaultdict", "io.StringIO", "StringIO"})
_EMPTY_LAST_NAMES = frozenset(name.rsplit(".", 1)[-1] for name in _EMPTY_CONSTRUCTORS)
_INTROSPECTION = frozenset({"locals", "vars", "eval", "exec"})


@rule("LOOP_RESULT_DISCARDED", Severity.BLOCK, on=FUNCTION, precision=0.93)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    candidates = _empty_starts(fn)
    if not candidates:
        return None
    return _findings(fn, candidates)


def _findings(fn: FunctionFacts, candidates: dict[str, ast.stmt]) -> Iterator[Report]:
    loops: list[ast.AST] | None = None
    hollow: bool | None = None
    introspects: bool | None = None  # asked at the first finding: most candidates are read somewhere
    for name, start in candidates.items():
        fills = _fills_only(fn, name)
        if fills is None:
            continue
        if loops is None:
            loops = _loops(fn.node)
        in_loop = [line for line in fills if any(loop.lineno <= line <= (loop.end_lineno or loop.lineno) for loop in loops)]
        if not in_loop:
            continue
        if introspects is None:
            introspects = any(call.name in _INTROSPECTION for call in fn.calls)
        if introspects:
            return  # `locals()` and the like read every local
        if hollow is None:
            hollow = _returns_nothing_computed(fn)
        yield Report(
            line=start.lineno,
            end_line=start.end_lineno,
            message=f"`{name}` is filled inside a loop (line {in_loop[0]}) and never read: the loop's result is thrown away",
            evidence=(start.lineno, *in_loop),
            severity=None if hollow else Severity.WARN,
            strength=1.0 if hollow else 0.8,
        )


def _returns_nothing_computed(fn: FunctionFacts) -> bool:
    """Every return gives back nothing, a literal, or a parameter: the loop's work was the only candidate result."""
    for ret in fn.returns:
        value = ret.value
        if value is None or isinstance(value, (ast.Constant, ast.Dict, ast.List, ast.Tuple, ast.Set, ast.JoinedStr)):
            if not ret.names - {p.name for p in fn.params}:
                continue
        elif isinstance(value, ast.Name) and fn.param(value.id) is not None:
            continue
        return False
    return True


def _empty_starts(fn: FunctionFacts) -> dict[str, ast.stmt]:
    """Plain locals first bound to an empty collection, zero or empty string, by their first assignment."""
    starts: dict[str, ast.stmt] = {}
    for assign in fn.assigns:
        value = assign.value
        if value.__class__ not in _MAY_BE_EMPTY or not _is_empty(value):
            continue  # most values (names, attributes, operations) are told apart by their class alone
        if not _binds_one_name(assign):
            continue
        name = assign.targets[0]
        if name in starts or name.startswith("_") or name in fn.globals_declared or fn.param(name) is not None:
            continue
        if min(fn.assigned.get(name, (assign.line,))) < assign.line:
            continue
        starts[name] = assign.node
    return starts


def _binds_one_name(assign: AssignFact) -> bool:
    """A plain assignment to one name, and to nothing else."""
    node = assign.node
    if isinstance(node, ast.Assign) and (len(node.targets) != 1 or not isinstance(node.targets[0], ast.Name)):
        return False  # `self.items = items = []`: the collection is shared with someone else
    return isinstance(node, (ast.Assign, ast.AnnAssign)) and len(assign.targets) == 1


_MAY_BE_EMPTY = frozenset({ast.List, ast.Set, ast.Tuple, ast.Dict, ast.Constant, ast.Call})  # what `_is_empty` accepts


def _is_empty(value: ast.AST | None) -> bool:
    value_type = value.__class__  # exact classes: called for every assignment of every function
    if value_type is ast.Call:  # first: most assigned values are calls
        if value.keywords:
            return False
        func = value.func  # the last name first: most calls are no constructor, and naming them costs more
        if func.__class__ is ast.Attribute and func.attr not in _EMPTY_LAST_NAMES or func.__class__ is ast.Name and func.id not in _EMPTY_LAST_NAMES:
            return False
        name = dotted_name(func)
        return name in _EMPTY_CONSTRUCTORS and (not value.args or name.endswith("defaultdict"))
    if value_type is ast.Constant:
        return value.value in (0, "", b"") and value.value is not False
    if value_type is ast.List or value_type is ast.Set or value_type is ast.Tuple:
        return not value.elts
    if value_type is ast.Dict:
        return not value.keys
    return False


def _fills_only(fn: FunctionFacts, name: str) -> list[int] | None:
    """The lines that fill `name`, when every read of it is a fill; None when something reads it."""
    reads = list(fn.reads.get(name, ()))
    fills: list[int] = []
    for call in fn.calls:
        func = call.node.func
        if func.__class__ is ast.Attribute and func.value.__class__ is ast.Name and func.value.id == name:
            if not call.discarded or call.attr not in FILLING_METHODS:
                return None
            fills.append(call.line)
            _consume(reads, func.value.lineno)
    for store in fn.stores:
        if store.root != name:
            continue
        target = store.target
        while isinstance(target, ast.Subscript):
            target = target.value
        if not isinstance(target, ast.Name):
            return None  # `name.attr = ...`: an object we do not understand
        fills.append(store.line)
        _consume(reads, target.lineno)
    rebinds = [assign for assign in fn.assigns if name in assign.targets and assign.value is not None]
    if any(not _on_a_line_of(rebinds, line) for line in reads):
        return None  # read outside every value it is rebound to (`return name`): spares walking those values
    for assign in rebinds:
        if isinstance(assign.node, ast.AugAssign):
            fills.append(assign.line)
            continue
        own_reads = [n.lineno for n in ast.walk(assign.value) if n.__class__ is ast.Name and n.id == name]
        if own_reads and isinstance(assign.node, ast.Assign) and len(assign.node.targets) == 1:
            fills.append(assign.line)  # `total = total + x`
            for line in own_reads:
                _consume(reads, line)
    if reads or not fills:
        return None
    return sorted(fills)


def _on_a_line_of(assigns: list[AssignFact], line: int) -> bool:
    """`line` is one of the lines an assigned value spans, where the read of `total = total + x` sits."""
    return any(assign.value.lineno <= line <= (assign.value.end_lineno or assign.value.lineno) for assign in assigns)


def _consume(reads: list[int], line: int) -> None:
    if line in reads:
        reads.remove(line)


def _loops(function: ast.AST) -> list[ast.AST]:
    """The loop statements of a function's own body (nested functions excluded)."""
    found: list[ast.AST] = []
    stack = list(function.body)
    while stack:
        stmt = stack.pop()
        if isinstance(stmt, SCOPE_NODES):
            continue
        if isinstance(stmt, LOOP_NODES):
            found.append(stmt)
        for child in ast.iter_child_nodes(stmt):
            if isinstance(child, ast.stmt):
                stack.append(child)
            elif isinstance(child, (ast.ExceptHandler, ast.match_case)):
                stack.extend(child.body)
    return found
