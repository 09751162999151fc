"""UNUSED_CALL_RESULT: a value is computed, bound to a name, and never read.

What it does:
    Flags an assignment whose right-hand side only computes (a string method
    such as `.strip()` or `.replace()`, `sorted()`, `os.path.join()`,
    `re.match()`, `len()`, `json.dumps()` ...) to a local name that the
    function never reads.

Why it matters:
    The computed value was meant to be used: the cleaned string, the sorted
    list, the match to test. The function goes on with the raw input instead,
    so the cleaning, sorting or checking silently does not happen. A test that
    feeds already-clean input passes.

Example:
    def find_user(users, email):
        normalized = email.strip().lower()
        return users.get(email)

Use instead:
    def find_user(users, email):
        normalized = email.strip().lower()
        return users.get(normalized)
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import FunctionFacts, dotted_name
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.rules._pure_calls import pure_call_text

# Pure calls that are only worth judging when their result is bound (as statements they are rare or idioms).
_BOUND_PURE_CALLS = frozenset(
    """len repr abs round min max sum any all str
    json.dumps re.match re.search re.fullmatch re.findall re.finditer re.sub re.subn re.split re.escape
    textwrap.dedent textwrap.indent textwrap.fill shlex.quote shlex.join urllib.parse.urlencode urllib.parse.quote
    urlencode quote""".split()
)
# Functions whose locals are read by name, invisibly to the facts.
_READS_LOCALS = frozenset({"locals", "vars", "eval", "exec", "currentframe"})


@rule("UNUSED_CALL_RESULT", Severity.WARN, on=FUNCTION, precision=0.8)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    if not fn.assigns or fn.reads_every_bound_name() or ctx.is_test_file:
        return None
    return _findings(fn, ctx)


def _findings(fn: FunctionFacts, ctx) -> Iterator[Report]:
    reads_locals = None
    for assign in fn.assigns:
        if not isinstance(assign.node, ast.Assign) or len(assign.targets) != 1 or len(assign.node.targets) != 1:
            continue
        name = assign.targets[0]
        if name in fn.reads or name.startswith("_") or name in fn.globals_declared or not isinstance(assign.node.targets[0], ast.Name):
            continue
        value = assign.value
        if not isinstance(value, ast.Call):
            continue
        shown = pure_call_text(value, ctx.source) or _bound_pure_call(value)
        if shown is None or _inside_try_body(fn, assign.line):
            continue
        if reads_locals is None:
            reads_locals = any(call.name in _READS_LOCALS or call.attr in _READS_LOCALS for call in fn.calls)
        if reads_locals:
            return
        yield Report(
            line=assign.line,
            end_line=assign.node.end_lineno or assign.line,
            message=f"`{name}` is computed with `{shown}` on line {assign.line} and never read",
            evidence=(assign.line,),
        )


def _bound_pure_call(call: ast.Call) -> str | None:
    name = dotted_name(call.func)
    if name in _BOUND_PURE_CALLS and (call.args or call.keywords):
        return f"{name}(...)"
    return None


def _inside_try_body(fn: FunctionFacts, line: int) -> bool:
    """A computation in a `try` body may be there for the exception it raises (`str(value)` as a check)."""
    for try_fact in fn.tries:
        body = try_fact.node.body
        if body and body[0].lineno <= line <= (body[-1].end_lineno or body[-1].lineno):
            return True
    return False
