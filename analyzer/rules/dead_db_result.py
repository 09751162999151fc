"""DEAD_DB_RESULT: rows are read from the database and then thrown away.

What it does:
    Flags a database read whose result is bound to a name that is never read,
    and a cursor that executes a SELECT whose rows are never fetched.

Why it matters:
    The query costs a round trip and the function then answers without the data
    it asked for: a dashboard shows defaults, a permission check ignores the
    rows that should deny access. Tests that mock the database pass, because
    the mock returns whatever they like and nothing asserts it was used.

Example:
    def get_dashboard_stats(user_id):
        rows = db.execute("SELECT type, COUNT(*) FROM events WHERE user_id=?", (user_id,)).fetchall()
        return {"status": "ok", "user_id": user_id}

Use instead:
    def get_dashboard_stats(user_id):
        rows = db.execute("SELECT type, COUNT(*) FROM events WHERE user_id=?", (user_id,)).fetchall()
        return {"status": "ok", "user_id": user_id, "counts": dict(rows)}
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import FunctionFacts
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.vocabulary import describe_db_read, is_select_sql

_CURSOR_UPKEEP = frozenset({"execute", "executemany", "close", "commit", "rollback", "setinputsizes"})


@rule("DEAD_DB_RESULT", Severity.BLOCK, on=FUNCTION, precision=0.95)
def check(fn: FunctionFacts, ctx) -> Iterator[Report]:
    yield from _unread_results(fn)
    yield from _unfetched_selects(fn)


def _unread_results(fn: FunctionFacts) -> Iterator[Report]:
    for assign in fn.assigns:
        if len(assign.targets) != 1 or assign.value is None or not isinstance(assign.node, (ast.Assign, ast.AnnAssign)):
            continue
        name = assign.targets[0]
        if name.startswith("_") or name in fn.reads or name in fn.globals_declared:
            continue
        target = assign.node.targets[0] if isinstance(assign.node, ast.Assign) else assign.node.target
        if not isinstance(target, ast.Name):
            continue
        how = describe_db_read(assign.value)
        if how is None:
            continue
        end = assign.node.end_lineno or assign.line
        yield Report(
            line=assign.line,
            end_line=end,
            message=f"`{name}` is fetched on line {assign.line} ({how}) and never read",
            evidence=(assign.line,),
        )


def _unfetched_selects(fn: FunctionFacts) -> Iterator[Report]:
    for call in fn.calls:
        if not call.discarded or call.attr != "execute" or not isinstance(call.node.func, ast.Attribute):
            continue
        receiver = call.node.func.value
        if not isinstance(receiver, ast.Name) or not call.node.args or not is_select_sql(call.node.args[0]):
            continue
        cursor = receiver.id
        later_reads = fn.reads_after(cursor, call.line)
        upkeep_lines = [
            other.line
            for other in fn.calls
            if other.line > call.line
            and other.attr in _CURSOR_UPKEEP
            and isinstance(other.node.func, ast.Attribute)
            and isinstance(other.node.func.value, ast.Name)
            and other.node.func.value.id == cursor
        ]
        if len(later_reads) > len(upkeep_lines):
            continue  # something else reads the cursor: fetch, iteration, return
        if any(other_line > call.line for other_line in fn.assigned.get(cursor, ())):
            continue
        yield Report(
            line=call.line,
            end_line=call.node.end_lineno or call.line,
            message=f"`{cursor}.execute()` runs a SELECT on line {call.line} and its rows are never fetched",
            evidence=(call.line,),
        )
