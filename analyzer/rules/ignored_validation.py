"""IGNORED_VALIDATION: a validation runs and its verdict is never looked at.

What it does:
    Flags the result of a `validate_*`, `check_*`, `verify_*` or `is_valid*`
    call that is bound to a name the function never reads, and an
    `is_valid*()` predicate called as a bare statement.

Why it matters:
    The code reads as if input were checked, but the answer is dropped: the
    raw, unvalidated data is saved, and invalid input goes through exactly as
    valid input does. Validators that raise on failure and return the cleaned
    value still lose the cleaning. Tests with valid input pass either way.

Example:
    def save_user_preferences(user_id, preferences):
        validated = validate_preferences(preferences)
        db.save(user_id, preferences)

Use instead:
    def save_user_preferences(user_id, preferences):
        validated = validate_preferences(preferences)
        db.save(user_id, validated)
"""

from __future__ import annotations

import ast
import re

from analyzer.facts import FunctionFacts
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule

_VALIDATION_CALL = re.compile(r"^_*(validate|check|verify|is_valid|isvalid|has_valid)(_|$)|^_*(validate|verify|check)[A-Z]|^_*isValid")
# Named like checks, but they run something and raise on failure (subprocess).
_NOT_VERDICTS = frozenset({"check_output", "check_call", "check_returncode"})
# Predicates that only answer: calling one as a statement throws the answer away.
_PREDICATE_CALL = re.compile(r"^_*(is_valid|isvalid|has_valid|is_[a-z0-9_]*valid)[a-z0-9_]*$|^_*isValid")


@rule("IGNORED_VALIDATION", Severity.BLOCK, on=FUNCTION, precision=0.9)
def check(fn: FunctionFacts, ctx) -> list[Report] | None:
    if ctx.is_test_file:
        return None
    # Most functions read every name they bind: asked here, that spares calling `_unread_verdicts` for them.
    verdicts = [] if fn.reads_every_bound_name() else _unread_verdicts(fn)
    return verdicts + _discarded_predicates(fn) or None


def _unread_verdicts(fn: FunctionFacts) -> list[Report]:
    found: list[Report] = []
    reads = fn.reads
    for assign in fn.assigns:
        targets = assign.targets
        if len(targets) != 1 or targets[0] in reads:
            continue  # most assignments: their name is read
        node = assign.node
        if not isinstance(node, (ast.Assign, ast.AnnAssign)):
            continue
        name = targets[0]
        if name.startswith("_") or name in fn.globals_declared:
            continue
        target = node.targets[0] if isinstance(node, ast.Assign) else node.target
        if not isinstance(target, ast.Name) or (isinstance(node, ast.Assign) and len(node.targets) != 1):
            continue
        value = assign.value.value if isinstance(assign.value, ast.Await) else assign.value
        if not isinstance(value, ast.Call):
            continue
        callee = _callee_name(value)
        if callee is None or callee in _NOT_VERDICTS or not _VALIDATION_CALL.search(callee):
            continue
        found.append(
            Report(
                line=assign.line,
                end_line=node.end_lineno or assign.line,
                message=f"`{name}` holds the result of `{callee}()` on line {assign.line} and is never read: the validation's answer is ignored",
                evidence=(assign.line,),
            )
        )
    return found


def _discarded_predicates(fn: FunctionFacts) -> list[Report]:
    found: list[Report] = []
    for call in fn.calls:
        # Every name the pattern matches holds "valid" or "Valid": a substring test spares the match for most calls.
        if not call.discarded or "alid" not in call.attr or not _PREDICATE_CALL.match(call.attr):
            continue
        found.append(
            Report(
                line=call.line,
                end_line=call.node.end_lineno or call.line,
                message=f"`{call.name or call.attr}()` answers whether the input is valid, and the answer is thrown away on line {call.line}",
                evidence=(call.line,),
            )
        )
    return found


def _callee_name(call: ast.Call) -> str | None:
    func = call.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return None
