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
from analyzer.vocabulary import (
    SUCCESS_WORDS,
    is_abstract_or_overload,
    is_default_implementation,
    is_documented_no_op,
    is_interface_method,
    is_pure_call,
    is_stub_body,
    is_write_call,
    success_signature,
)

_PERSISTENCE_NAME = re.compile(r"^_*(save|store|persist|write|insert|upsert|record)_[a-z0-9]")
_PERSISTENCE_METHODS = frozenset({"save", "store", "persist"})
# Names that read as nouns, not verbs: `record_count()`, `store_path()`, `insert_statement()`.
_NOUN_SUFFIXES = ("_path", "_dir", "_directory", "_name", "_count", "_id", "_key", "_url", "_type", "_mode", "_format",
                  "_size", "_location", "_filename", "_enabled", "_statement", "_stmt", "_sql", "_clause", "_template",
                  "_class", "_cls", "_factory", "_kwargs", "_args", "_schema", "_timeout", "_limit", "_interval",
                  "_backend", "_dtype")
# `record_*` and `write_*` functions may do their job through a log call or print().
_LOGGING_VERBS = ("record", "write")
# Verbs of calls that act on the world even when their result is kept.
_EFFECT_PREFIXES = ("run", "call", "invoke", "exec", "apply", "perform", "dispatch", "trigger", "transmit", "submit",
                    "schedule", "notify", "request", "transact", "do_", "sync", "push", "save", "store", "persist")
# A call whose callee is one of these, or a name bound in the function, may do anything.
_KNOWN_HARMLESS = frozenset({"isinstance", "issubclass", "hasattr", "getattr", "len", "str", "int", "float", "bool", "repr",
                             "dict", "list", "tuple", "set", "frozenset", "sorted", "min", "max", "sum", "abs", "round",
                             "enumerate", "zip", "range", "format", "type", "id", "super"})


@rule("MISSING_WRITE", Severity.BLOCK, on=FUNCTION, precision=0.9)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    if not _promises_persistence(fn) or is_abstract_or_overload(fn) or is_stub_body(fn):
        return None
    if any(d.endswith(("property", "setter", "fixture", "contextmanager")) for d in fn.decorators):
        return None
    if fn.has_yield or fn.globals_declared or _writes_somewhere(fn):
        return None
    return _findings(fn, ctx)


def _findings(fn: FunctionFacts, ctx) -> Iterator[Report]:
    returns = [r for r in fn.returns if r.value is not None]
    if not all(_hollow_result(fn, r.value) for r in returns):
        return  # returns something it computed or read: more likely a builder or a snapshot than a hollow writer
    if is_documented_no_op(fn, ctx) or (fn.class_name is not None and is_default_implementation(fn, ctx)):
        return
    success = next((sig for r in returns if (sig := success_signature(r.value)) is not None), None)
    weak = fn.class_name is not None and is_interface_method(fn, ctx)
    claim = f", yet line {next(r.line for r in returns if success_signature(r.value))} reports `{success}`" if success else ""
    evidence = (fn.line, *(r.line for r in returns))
    note = "; it may be an override whose base class writes" if weak else ""
    yield Report(
        line=fn.line,
        end_line=fn.line,
        message=(
            f"`{fn.name}()` promises to persist data but contains no write "
            f"(no database call, file write, delegation or state change){claim}{note}"
        ),
        evidence=evidence,
        strength=1.0 if success else 0.9,
        severity=Severity.WARN if weak else None,
    )


def _promises_persistence(fn: FunctionFacts) -> bool:
    name = fn.name
    # The verb first: most names have none, and testing the noun endings costs more.
    if _PERSISTENCE_NAME.match(name) or (fn.class_name is not None and name in _PERSISTENCE_METHODS):
        return not name.endswith(_NOUN_SUFFIXES)
    return False


def _hollow_result(fn: FunctionFacts, node: ast.AST) -> bool:
    """What a function that did nothing would return: a flag, a success message, or its own inputs echoed back."""
    if success_signature(node) is not None:
        return True
    if isinstance(node, ast.Constant):
        return not isinstance(node.value, (str, bytes)) or node.value.strip().lower() in SUCCESS_WORDS
    if isinstance(node, (ast.Dict, ast.List, ast.Tuple, ast.Set)):
        leaves = [v for v in ast.iter_child_nodes(node) if isinstance(v, ast.expr)]
        return all(_echoes_input_or_constant(fn, leaf) for leaf in leaves)
    return False


def _echoes_input_or_constant(fn: FunctionFacts, node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return fn.param(node.id) is not None and node.id not in ("self", "cls")
    return False


def _writes_somewhere(fn: FunctionFacts) -> bool:
    logging_verb = fn.name.lstrip("_").startswith(_LOGGING_VERBS)
    for call in fn.calls:
        if call.is_log:
            if logging_verb:
                return True  # `write_output(msg)` -> logger.info(msg): the log is where it writes
            continue
        if is_write_call(call) or _may_write(fn, call):
            return True
    for store in fn.stores:
        if store.root is None or not fn.holds_fresh_value(store.root):
            return True
    return False


def _may_write(fn: FunctionFacts, call) -> bool:
    """A call we cannot rule out as a write: delegation, or a callable obtained at run time."""
    if call.name in _KNOWN_HARMLESS or is_pure_call(call):
        return False
    if call.discarded:
        return True  # called for its effect: delegation
    if call.attr.lstrip("_").lower().startswith(_EFFECT_PREFIXES):
        return True  # `result = conn.run(sql)`: kept result, but the call acts
    func = call.node.func
    if isinstance(func, ast.Name) and func.id in fn.assigned:
        return True  # `script = load_script(); script(keys=...)`
    return not isinstance(func, (ast.Name, ast.Attribute))
