"""DEAD_DB_RESULT: rows are read from the database and then thrown away.

What it does:
    Flags a database read whose result is bound to a name that is never read,
    and a cursor or session that executes a SELECT whose rows are never
    fetched. Reads are DB-API `execute(...).fetch*()` and `cursor.fetch*()`,
    SQLAlchemy `execute`/`scalars`/`scalar`/`all`/`first`/`one`,
    `session.query(...)...` and `session.get(...)`, Django `Model.objects...`,
    and async drivers' `fetch`/`fetchrow`/`fetchval`/`fetch_all`.

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

Notes:
    Reads kept for their side effect are not findings: row locks
    (`select_for_update()`, `with_for_update()`, `FOR UPDATE`), existence
    checks inside a `try` whose handler catches "not found", names starting
    with `_`, and functions that hand `locals()` to a template. In test files
    the finding is a WARN: a test may run a query only to prove it works.
"""

from __future__ import annotations

import ast
from dataclasses import replace

from analyzer.facts import CallFact, FunctionFacts
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.vocabulary import call_chain_text, describe_db_read, is_select_construct, is_select_sql, reads_for_a_lock

_CURSOR_UPKEEP = frozenset({"execute", "executemany", "close", "commit", "rollback", "setinputsizes"})
# Exceptions a read raises when the row is missing (or not unique): catching one makes the read an existence check.
_NOT_FOUND = ("DoesNotExist", "ObjectDoesNotExist", "NoResultFound", "MultipleResultsFound", "MultipleObjectsReturned",
              "Http404", "LookupError", "KeyError", "IndexError", "Exception", "BaseException")
_WHOLE_SCOPE_READERS = frozenset({"locals", "vars"})


@rule("DEAD_DB_RESULT", Severity.BLOCK, on=FUNCTION, precision=0.95)
def check(fn: FunctionFacts, ctx) -> list[Report] | None:
    # Most functions read every name they bind: asked here, that spares calling `_unread_results` for them.
    reports = [] if fn.reads_every_bound_name() else _unread_results(fn)
    if "execute" in ctx.module.callee_names:  # the file's calls so far, this function's among them
        reports += _unfetched_selects(fn)
    if not reports or any(call.attr in _WHOLE_SCOPE_READERS and isinstance(call.node.func, ast.Name) for call in fn.calls):
        return None  # `render(request, "page.html", locals())` reads every local
    if ctx.is_test_file:
        return [replace(report, severity=Severity.WARN, strength=0.7) for report in reports]
    return reports


def _unread_results(fn: FunctionFacts) -> list[Report]:
    found: list[Report] = []
    reads = fn.reads
    for assign in fn.assigns:
        targets = assign.targets
        if len(targets) != 1 or targets[0] in reads:
            continue  # most assignments: their name is read
        if assign.value is None or not isinstance(assign.node, (ast.Assign, ast.AnnAssign)):
            continue
        name = targets[0]
        if name.startswith("_") or name in fn.globals_declared:
            continue
        target = assign.node.targets[0] if isinstance(assign.node, ast.Assign) else assign.node.target
        if not isinstance(target, ast.Name):
            continue
        how = describe_db_read(assign.value)
        if how is None or reads_for_a_lock(assign.value) or _probe_in_try(fn, assign.line, _NOT_FOUND):
            continue
        end = assign.node.end_lineno or assign.line
        found.append(
            Report(
                line=assign.line,
                end_line=end,
                message=f"`{name}` holds what `{call_chain_text(assign.value)}` read on line {assign.line} and is never read",
                evidence=(assign.line,),
            )
        )
    return found


def _probe_in_try(fn: FunctionFacts, line: int, caught: tuple[str, ...] | None) -> bool:
    """The read sits in a `try` whose handler catches `caught` (any, when None): the read is a probe.

    `user = User.objects.get(...)` with `except User.DoesNotExist`, or
    `cur.execute("SELECT 1 FROM t")` with `except DatabaseError`: whether it
    raises is the answer.
    """
    for try_fact in fn.tries:
        body = try_fact.node.body
        if not body or not body[0].lineno <= line <= (body[-1].end_lineno or body[-1].lineno):
            continue
        for handler in try_fact.handlers:
            if caught is None or not handler.caught:
                return True
            if any(name.rsplit(".", 1)[-1].endswith(caught) for name in handler.caught):
                return True
    return False


def _unfetched_selects(fn: FunctionFacts) -> list[Report]:
    found: list[Report] = []
    for call in fn.calls:
        if not call.discarded or call.attr != "execute" or not isinstance(call.node.func, ast.Attribute):
            continue
        receiver = call.node.func.value
        if not isinstance(receiver, ast.Name) or not call.node.args:
            continue
        query = call.node.args[0]
        if not (is_select_sql(query) or is_select_construct(query)) or reads_for_a_lock(query):
            continue
        if _probe_in_try(fn, call.line, None):
            continue
        cursor = receiver.id
        if _read_later(fn, cursor, call):
            continue
        what = "a SELECT" if is_select_sql(query) else "a `select()`"
        found.append(
            Report(
                line=call.line,
                end_line=call.node.end_lineno or call.line,
                message=f"`{cursor}.execute()` runs {what} on line {call.line} and its rows are never fetched",
                evidence=(call.line,),
            )
        )
    return found


def _read_later(fn: FunctionFacts, cursor: str, call: CallFact) -> bool:
    """Something after the execute reads the cursor (fetch, iteration, return, hand-off), or rebinds it."""
    end = call.node.end_lineno or call.line
    later_reads = fn.reads_after(cursor, end)
    upkeep_lines = [
        other.line
        for other in fn.calls
        if other.line > end
        and other.attr in _CURSOR_UPKEEP
        and isinstance(other.node.func, ast.Attribute)
        and isinstance(other.node.func.value, ast.Name)
        and other.node.func.value.id == cursor
    ]
    if len(later_reads) > len(upkeep_lines):
        return True
    if any(line > call.line for line in fn.assigned.get(cursor, ())):
        return True
    # A loop around the execute may fetch on the next turn, from a line above it.
    earlier = [n for n in fn.reads.get(cursor, ()) if n < call.line]
    return any(_inside_loop_with(fn, call.line, n) for n in earlier)


def _inside_loop_with(fn: FunctionFacts, line: int, other: int) -> bool:
    for node in ast.walk(fn.node):
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)) and node.lineno <= other < line <= (node.end_lineno or node.lineno):
            return True
    return False
