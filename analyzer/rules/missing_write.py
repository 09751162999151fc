"""MISSING_WRITE: a function named for saving something writes nothing.

What it does:
    Flags a function whose name promises persistence (`save_*`, `store_*`,
    `persist_*`, `write_*`, `insert_*`, `upsert_*`, `record_*`, and methods named
    `save`, `store`, `persist`) that contains no write at all: no call that
    writes, no delegation, no mutation of state it does not own, no file opened
    for writing.

Why it matters:
    Callers believe the data is stored. It is not, and nothing fails until a
    user comes back for it. Unit tests that mock the storage layer pass,
    because the mock is never called and nobody asserted that it was.

Example:
    def save_user_preferences(user_id, preferences):
        validated = validate_preferences(preferences)
        return {"status": "saved", "user_id": user_id}

Use instead:
    def save_user_preferences(user_id, preferences):
        validated = validate_preferences(preferences)
        db.execute("UPDATE users SET preferences=? WHERE id=?", (json.dumps(validated), user_id))
        db.commit()
        return {"status": "saved", "user_id": user_id}
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.facts import FunctionFacts
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.vocabulary import is_abstract_or_overload, is_pure_call, is_stub_body, is_write_call, success_signature

_PERSISTENCE_NAME = re.compile(r"^_*(save|store|persist|write|insert|upsert|record)_[a-z0-9]")
_PERSISTENCE_METHODS = frozenset({"save", "store", "persist"})
# Names that read as nouns, not verbs: `record_count()`, `store_path()`.
_NOUN_SUFFIXES = ("_path", "_dir", "_directory", "_name", "_count", "_id", "_key", "_url", "_type", "_mode", "_format", "_size", "_location", "_file", "_filename", "_enabled", "_options", "_config", "_settings")
_FRESH_LOCAL_VALUES = (ast.Dict, ast.List, ast.Set, ast.Tuple, ast.Constant, ast.DictComp, ast.ListComp, ast.SetComp, ast.JoinedStr)


@rule("MISSING_WRITE", Severity.BLOCK, on=FUNCTION, precision=0.9)
def check(fn: FunctionFacts, ctx) -> Iterator[Report]:
    if not _promises_persistence(fn) or is_abstract_or_overload(fn) or is_stub_body(fn):
        return
    if fn.has_decorator("property", "cached_property", "setter", "fixture", "contextmanager", "asynccontextmanager"):
        return
    if fn.has_yield or fn.globals_declared or _writes_somewhere(fn):
        return
    returns = [r for r in fn.returns if r.value is not None]
    literal_returns = all(_is_literal_result(r.value) for r in returns)
    if not literal_returns:
        return  # returns something it computed: more likely a helper than a hollow writer
    success = next((success_signature(r.value) for r in returns if success_signature(r.value)), None)
    claim = f" yet reports `{success}`" if success else ""
    evidence = (fn.line, *(r.line for r in returns))
    yield Report(
        line=fn.line,
        end_line=fn.line,
        message=f"`{fn.name}()` promises to persist data but contains no write (no database call, file write, or state change){claim}",
        evidence=evidence,
        strength=1.0 if success else 0.9,
    )


def _promises_persistence(fn: FunctionFacts) -> bool:
    name = fn.name
    if name.endswith(_NOUN_SUFFIXES):
        return False
    if _PERSISTENCE_NAME.match(name):
        return True
    return fn.class_name is not None and name in _PERSISTENCE_METHODS


def _is_literal_result(node: ast.AST) -> bool:
    """None, a constant, a literal dict/list/tuple, or a call building a response from literals."""
    if isinstance(node, (ast.Constant, ast.Dict, ast.List, ast.Tuple, ast.Set, ast.JoinedStr)):
        return True
    return success_signature(node) is not None


def _writes_somewhere(fn: FunctionFacts) -> bool:
    for call in fn.calls:
        if is_write_call(call):
            return True
        if call.discarded and not call.is_log and not is_pure_call(call):
            return True  # called for its effect: delegation
    for store in fn.stores:
        if _is_owned_local(fn, store.root):
            continue
        return True
    return False


def _is_owned_local(fn: FunctionFacts, root: str | None) -> bool:
    """A name bound in this function to a fresh literal: mutating it changes nothing outside."""
    if root is None or root not in fn.assigned or fn.param(root) is not None:
        return False
    for assign in fn.assigns:
        if root in assign.targets and not isinstance(assign.value, _FRESH_LOCAL_VALUES):
            return False
    return True
