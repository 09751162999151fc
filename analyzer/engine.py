"""Scan one file: decode, parse once, walk once, dispatch each node to the rules that want it.

The walk also gathers the per-function facts of `analyzer.facts`, so that
function rules run once a function's body is complete and node rules can see
the facts of the function they sit in. A file that cannot be decoded or
parsed, or is too deep or too large, becomes a FileError; it never stops a
scan of many files. The analyzer never imports, executes or evaluates the
code it reads.
"""

from __future__ import annotations

import ast
import codecs
import gc
import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Callable

from analyzer.complexity import BLOCK_KEYWORDS, Nesting, has_elif, match_decisions
from analyzer.facts import (
    AssignFact,
    CallFact,
    FunctionFacts,
    HandlerFact,
    LOG_METHODS,
    ModuleFacts,
    Param,
    ReturnFact,
    StoreFact,
    TryFact,
    dotted_name,
    is_log_call,
)
from analyzer.model import FileError, FileResult, Finding, Severity
from analyzer.project import ProjectContext
from analyzer.registry import FUNCTION, MODULE, STRING, Report, Rule, select_rules
from analyzer.suppression import Suppression, parse_suppressions

DEFAULT_MAX_BYTES = 10 * 1024 * 1024

# CPython reports its fixed nesting limits as syntax errors; such a file is valid Python, only too deep.
_NESTING_LIMITS = frozenset({"too many nested parentheses", "too many levels of indentation"})

_TEST_PATH = re.compile(r"(^|/)(tests?|testing)/|(^|/)test_[^/]*\.py$|_test\.py$|(^|/)conftest\.py$")


@dataclass
class ScanOptions:
    """What to run and how: the rules, severity overrides, size cap and optional project context."""

    rules: list[Rule] = field(default_factory=select_rules)
    severity_overrides: dict[str, Severity] = field(default_factory=dict)
    max_bytes: int = DEFAULT_MAX_BYTES
    project: ProjectContext | None = None
    # Dispatch tables by the identities of the rules a file is given (`rules`, or those whose `needs` it meets).
    _dispatch: dict[tuple[int, ...], "_Dispatch"] = field(default_factory=dict, init=False, repr=False, compare=False)

    def dispatch_for(self, source: str) -> "_Dispatch":
        """Which of the rules see what in a file of this text (built once per distinct selection)."""
        rules = _rules_for(self.rules, source)
        key = tuple(map(id, rules))
        dispatch = self._dispatch.get(key)
        if dispatch is None:
            dispatch = self._dispatch[key] = _Dispatch.of(rules)
        return dispatch


@dataclass
class FileContext:
    """What a check may know about the file it is looking at, besides the node or facts it is given."""

    path: str
    source: str
    module: ModuleFacts
    project: ProjectContext | None
    suppressions: dict[int, Suppression]
    tree: ast.Module | None = None
    parents: list[ast.AST] = field(default_factory=list)
    function: FunctionFacts | None = None
    class_stack: list[ast.ClassDef] = field(default_factory=list)
    _lines: list[str] | None = None
    # A plain field, not a property: dozens of checks per function ask it.
    is_test_file: bool = field(init=False)

    def __post_init__(self) -> None:
        self.is_test_file = bool(_TEST_PATH.search(self.path))

    @property
    def lines(self) -> list[str]:
        if self._lines is None:
            self._lines = self.source.splitlines()
        return self._lines

    def mentions(self, word: str) -> bool:
        """Whether the file's text holds `word`: searched once per file, however many nodes ask."""
        return self.module.memoized(("mentions", word), self.source.__contains__, word)

    def line_text(self, line: int) -> str:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""

    @property
    def filename(self) -> str:
        return self.path.rsplit("/", 1)[-1]

    @property
    def parent(self) -> ast.AST | None:
        return self.parents[-1] if self.parents else None


# ---------------------------------------------------------------- decoding


def decode_source(data: bytes, path: str) -> tuple[str | None, FileError | None]:
    """Bytes to text following PEP 263 (coding cookie, BOM), or a FileError saying why not."""
    if b"\x00" in data:
        return None, FileError(path, "null-bytes", "file contains null bytes; not Python source")
    try:
        encoding = "utf-8" if _plainly_utf8(data) else tokenize.detect_encoding(io.BytesIO(data).readline)[0]
    except SyntaxError as exc:
        return None, FileError(path, "encoding", f"cannot determine encoding: {exc.msg if hasattr(exc, 'msg') else exc}")
    try:
        text = data.decode(encoding)
    except (UnicodeError, LookupError) as exc:  # some codecs (punycode, undefined) raise plain UnicodeError
        return None, FileError(path, "encoding", f"cannot decode as {encoding}: {exc}")
    if text.startswith(codecs.BOM_UTF8.decode("utf-8")):
        text = text[1:]
    return text, None


def _plainly_utf8(data: bytes) -> bool:
    """No BOM and no coding cookie in the first two lines: PEP 263 says UTF-8 (most files; spares detect_encoding)."""
    if data.startswith(codecs.BOM_UTF8):
        return False
    second_line_end = data.find(b"\n", data.find(b"\n") + 1)
    head = data if second_line_end < 0 else data[:second_line_end]
    return b"coding" not in head and head.isascii()


# ---------------------------------------------------------------- the walk

# Fields that never hold child nodes (names, flags, operators, contexts).
_SKIP_FIELDS = frozenset({"ctx", "op", "ops", "type_comment", "kind", "id", "attr", "arg", "name", "asname", "module", "level", "is_async", "conversion", "kwd_attrs", "rest", "names", "simple", "tag"})


def _node_types(base: type = ast.AST) -> list[type]:
    return [sub for direct in base.__subclasses__() for sub in (direct, *_node_types(direct))]


# The fields of each node type that may hold child nodes; () for leaves (a Constant's value is no node, nor is
# a MatchSingleton's). Every other field holds a node, a list of nodes or None: the walk looks up no other type.
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {
    node_type: () if node_type in (ast.Constant, ast.MatchSingleton) else tuple(f for f in node_type._fields if f not in _SKIP_FIELDS)
    for node_type in _node_types()
}


class _Scope:
    """The walk's state inside one function (or the module, where facts is None)."""

    __slots__ = ("facts", "enclosing", "loaded", "binding", "handlers", "try_bodies")

    def __init__(self, facts: FunctionFacts | None, enclosing: list[FunctionFacts]):
        self.facts = facts
        # The facts of the functions around this one, whose names a read here keeps alive.
        self.enclosing = enclosing
        # Every name read here, in order: what a sink (a call's arguments, a return value) reads is the slice
        # appended while it was walked, so a read is one append however many sinks are open around it.
        self.loaded: list[str] = []
        self.binding: list[_Binding] = []
        self.handlers: list[HandlerFact] = []
        self.try_bodies: list[TryFact] = []


class _Measure:
    """Complexity and block nesting of one function's own body, counted as the walk passes its nodes.

    The same definitions as `analyzer.complexity` (tests hold the two equal); the
    headers and bodies of nested functions and classes count into a throwaway measure.
    """

    __slots__ = ("complexity", "deepest", "blocks")

    def __init__(self, complexity: int, deepest: Nesting):
        self.complexity = complexity
        self.deepest = deepest
        self.blocks: list[str] = []  # keywords of the blocks around the node being walked

    @classmethod
    def throwaway(cls) -> "_Measure":
        return cls(1, _NOTHING_NESTED)


_NOTHING_NESTED = Nesting(0, 0, ())  # immutable, so every throwaway measure can start from it


def _open_block(measure: _Measure, node: ast.stmt) -> None:
    blocks = measure.blocks
    blocks.append(BLOCK_KEYWORDS[node.__class__])
    if len(blocks) > measure.deepest.depth:
        measure.deepest = Nesting(len(blocks), node.lineno, tuple(blocks))


def _is_elif(node: ast.If, parents: list[ast.AST]) -> bool:
    parent = parents[-1] if parents else None
    return parent.__class__ is ast.If and has_elif(parent) and parent.orelse[0] is node


class _Binding:
    """One statement that binds names: what it stores, and what it reads on the way."""

    __slots__ = ("start", "names", "stores")

    def __init__(self, start: int):
        self.start = start  # where its reads begin in the scope's `loaded`
        self.names: list[str] = []
        self.stores: list[StoreFact] = []


def _leaf(w: "_Walker", node: object) -> None:
    """Nothing below a leaf (a constant, a name string) to walk."""


@dataclass(frozen=True, slots=True)
class _Dispatch:
    """Which rules see what: built once per selection of rules, shared by every file scanned with it."""

    rules: list[Rule]  # kept alive, so that no other rule takes one of their ids while the table is cached
    node_rules: dict[type, list[Rule]]
    # Call rules that named the callees they care about, by callee's last name.
    call_rules_by_name: dict[str, list[Rule]]
    function_rules: list[Rule]
    module_rules: list[Rule]
    # What the walk does with a node of each type: its node rules, then its fact handler or a plain descent.
    handlers: dict[type, Callable[["_Walker", ast.AST], None]]

    @classmethod
    def of(cls, rules: list[Rule]) -> "_Dispatch":
        dispatch = cls(list(rules), {}, {}, [], [], {})
        for rule in rules:
            for target in rule.targets:
                if target == FUNCTION:
                    dispatch.function_rules.append(rule)
                elif target == MODULE:
                    dispatch.module_rules.append(rule)
                elif target is ast.Call and rule.calls is not None:
                    for callee in rule.calls:
                        dispatch.call_rules_by_name.setdefault(callee, []).append(rule)
                else:
                    dispatch.node_rules.setdefault(target, []).append(rule)
        for node_type in _CHILD_FIELDS:
            dispatch.handlers[node_type] = _handler(node_type, dispatch.node_rules.get(node_type))
        string_rules = dispatch.node_rules.get(STRING)
        if string_rules:
            dispatch.handlers[ast.Constant] = _with_string_rules(dispatch.handlers[ast.Constant], _handler(ast.Constant, string_rules))
        for value_type in _PLAIN_VALUES:
            dispatch.handlers[value_type] = _leaf
        return dispatch


# What a field the walk descends into may hold besides nodes: None (a dict literal's `**` entry has None for its
# key, an optional field is None when absent), and plain values no ast version in use has put there yet.
_PLAIN_VALUES = (type(None), str, bytes, int, float, complex, bool, type(...))


def _handler(node_type: type, rules: list[Rule] | None) -> Callable[["_Walker", ast.AST], None]:
    """One function per node type, called with the walker and the node: no lookup or bound method per node."""
    descend = _SPECIAL.get(node_type) or _DESCENTS[node_type]
    if not rules:
        return descend
    checks = tuple((rule, rule.check) for rule in rules)

    # Walker.run's loop written out here: this runs for most nodes, and a call less per node is measurable.
    def check_then_descend(w: "_Walker", node: ast.AST) -> None:
        ctx = w.ctx
        for rule, check in checks:
            try:
                reports = check(node, ctx)
                if reports is not None:
                    for report in reports:
                        w.emit(rule, report, ctx.function)
            except RecursionError:
                raise
            except Exception as exc:  # a bug in one rule must not cost the other rules' findings
                w.rule_failed(rule, node, exc)
        descend(w, node)
    return check_then_descend


def _with_string_rules(
    constant_handler: Callable[["_Walker", ast.Constant], None], string_handler: Callable[["_Walker", ast.Constant], None]
) -> Callable[["_Walker", ast.Constant], None]:
    """A constant's handler that also hands the constants holding a str to the STRING rules (the others never see one)."""
    if constant_handler is _leaf:  # no rule looks at every constant: the usual case

        def strings_only(w: "_Walker", node: ast.Constant) -> None:
            if node.value.__class__ is str:
                string_handler(w, node)
        return strings_only

    def every_constant_then_strings(w: "_Walker", node: ast.Constant) -> None:
        constant_handler(w, node)
        if node.value.__class__ is str:
            string_handler(w, node)
    return every_constant_then_strings


def _rules_for(rules: list[Rule], source: str) -> list[Rule]:
    """The rules that can fire on `source`: each rule's `needs`, if it has any, met by the text."""
    if not source.isascii():
        return rules  # identifiers are NFKC-normalized: a non-ASCII spelling may name what a rule needs
    found: dict[str, bool] = {}
    chosen = []
    for rule in rules:
        needs = rule.needs
        if needs is not None:
            for word in needs:
                present = found.get(word)
                if present is None:
                    present = found[word] = word in source
                if present:
                    break
            else:
                continue
        chosen.append(rule)
    return chosen


class _Walker:
    def __init__(self, ctx: FileContext, dispatch: "_Dispatch", emit: Callable[[Rule, Report, FunctionFacts | None], None]):
        self.ctx = ctx
        self.parents = ctx.parents  # the same list: rules read it as ctx.parents
        self.emit = emit
        self.handlers = dispatch.handlers
        self.node_rules = dispatch.node_rules
        self.call_rules_by_name = dispatch.call_rules_by_name
        self.function_rules = dispatch.function_rules
        self.module_rules = dispatch.module_rules
        self.scope = _Scope(None, [])  # the innermost function's (or the module's)
        self.scope_kinds: list[str] = []  # "class" / "function", innermost last
        self.class_bases: list[list[str]] = []  # the dotted base names of each class around, innermost last
        # What headers (decorators, defaults, annotations, class bases) and class bodies count goes here, unread.
        self.throwaway = _Measure.throwaway()
        self.measures: list[_Measure] = [self.throwaway]
        self.pending_store: list[tuple[StoreFact, set[str], FunctionFacts]] = []
        self.rule_errors: list[str] = []
        self.callee_names = ctx.module.callee_names
        self.signature_rules = ast.arguments in dispatch.node_rules or ast.arg in dispatch.node_rules

    # -- dispatch

    def visit(self, node: ast.AST) -> None:
        self.handlers[node.__class__](self, node)

    def visit_list(self, nodes: list, parent: ast.AST) -> None:
        parents = self.parents
        parents.append(parent)
        handlers = self.handlers
        for item in nodes:
            handlers[item.__class__](self, item)
        parents.pop()

    def visit_one(self, node: ast.AST | None, parent: ast.AST) -> None:
        if node is not None:
            parents = self.parents
            parents.append(parent)
            self.handlers[node.__class__](self, node)
            parents.pop()

    def run(self, rules: list[Rule], subject, function: FunctionFacts | None) -> None:
        """Each rule's check on one subject; the reports become findings of `function`."""
        ctx, emit = self.ctx, self.emit
        for rule in rules:
            try:
                reports = rule.check(subject, ctx)
                if reports is not None:
                    for report in reports:
                        emit(rule, report, function)
            except RecursionError:
                raise
            except Exception as exc:  # a bug in one rule must not cost the other rules' findings
                self.rule_failed(rule, subject, exc)

    def rule_failed(self, rule: Rule, subject, exc: Exception) -> None:
        line = getattr(subject, "lineno", None) or getattr(subject, "line", None)
        self.rule_errors.append(f"rule {rule.id} failed at line {line}: {type(exc).__name__}: {exc}")

    # -- collecting names into sinks

    def visit_as_effect(self, node: ast.AST | None, parent: ast.AST) -> None:
        """Visit `node`; whatever it reads is an effect of the function (a condition, a caught class)."""
        loaded = self.scope.loaded
        start = len(loaded)
        self.visit_one(node, parent)
        facts = self.scope.facts
        if facts is not None:
            facts.effect_names.update(loaded[start:])

    def visit_list_as_effect(self, nodes: list, parent: ast.AST) -> None:
        """Visit `nodes`; whatever they read is an effect (decorators, class bases)."""
        loaded = self.scope.loaded
        start = len(loaded)
        self.visit_list(nodes, parent)
        facts = self.scope.facts
        if facts is not None:
            facts.effect_names.update(loaded[start:])


# ---------------------------------------------------------------- special handlers


def _descend_any(w: _Walker, node: ast.AST) -> None:
    """Walk the child nodes of `node`, field by field, with `node` on top of the parents."""
    _descend_fields(w, node, _CHILD_FIELDS[node.__class__])


def _descend_fields(w: _Walker, node: ast.AST, fields: tuple[str, ...]) -> None:
    """Walk the child nodes in the given fields of `node`, with `node` on top of the parents."""
    parents = w.parents
    parents.append(node)
    handlers = w.handlers
    for name in fields:
        value = getattr(node, name)
        if value.__class__ is list:
            for item in value:
                handlers[item.__class__](w, item)
        elif value is not None:
            handlers[value.__class__](w, value)
    parents.pop()


def _descents(node_types: tuple[type, ...]) -> dict[type, Callable[[_Walker, ast.AST], None]]:
    """`_descend_any` for each of the given node types, its fields written out as attribute reads.

    Written out, because this is the walk's innermost loop: the loop over field names
    with getattr() costs twice as much per node. The source is made from the ast
    module's own field names, nothing from the code being scanned.
    """
    lines = []
    for node_type in node_types:
        lines += [f"def descend_{node_type.__name__}(w, node):", "    parents = w.parents", "    parents.append(node)", "    handlers = w.handlers"]
        for name in _CHILD_FIELDS[node_type]:
            lines += [
                f"    value = node.{name}",
                "    if value.__class__ is list:",
                "        for item in value:",
                "            handlers[item.__class__](w, item)",
                "    elif value is not None:",
                "        handlers[value.__class__](w, value)",
            ]
        lines.append("    parents.pop()")
    namespace: dict[str, Callable[[_Walker, ast.AST], None]] = {}
    exec(compile("\n".join(lines), "<analyzer.engine descents>", "exec"), namespace)  # noqa: S102
    return {node_type: namespace[f"descend_{node_type.__name__}"] for node_type in node_types}


# The node types that make up 98% of the descents on the benchmark corpus get one written out; compiling
# one for every type would cost more at startup than the rare ones save.
_COMMON_DESCENTS = (
    ast.Call, ast.Assign, ast.Subscript, ast.Expr, ast.Tuple, ast.arg, ast.keyword, ast.Compare, ast.arguments,
    ast.BinOp, ast.BoolOp, ast.UnaryOp, ast.List, ast.Raise, ast.AnnAssign, ast.Dict, ast.FormattedValue,
    ast.comprehension, ast.JoinedStr, ast.Starred, ast.ListComp, ast.Module, ast.AugAssign, ast.GeneratorExp,
)
_DESCENTS: dict[type, Callable[[_Walker, ast.AST], None]] = {
    node_type: _descend_any if fields else _leaf for node_type, fields in _CHILD_FIELDS.items()
}
_DESCENTS.update(_descents(_COMMON_DESCENTS))


_LOAD, _STORE, _NAME, _ATTRIBUTE, _CALL, _EXPR = ast.Load, ast.Store, ast.Name, ast.Attribute, ast.Call, ast.Expr


def _name(w: _Walker, node: ast.Name) -> None:
    scope = w.scope
    facts = scope.facts
    if facts is None:
        return
    ctx_type = node.ctx.__class__
    if ctx_type is _LOAD:
        name = node.id
        reads = facts.reads.get(name)
        if reads is None:
            facts.reads[name] = [node.lineno]
        else:
            reads.append(node.lineno)
        scope.loaded.append(name)
        if scope.enclosing:
            # A read from a nested function keeps the outer name alive.
            for outer in scope.enclosing:
                outer.reads.setdefault(name, []).append(node.lineno)
                outer.effect_names.add(name)
    elif ctx_type is _STORE:
        name = node.id
        lines = facts.assigned.get(name)
        if lines is None:
            facts.assigned[name] = [node.lineno]
        else:
            lines.append(node.lineno)
        if scope.binding:
            scope.binding[-1].names.append(name)
    else:  # Del
        facts.effect_names.add(node.id)


def _record_store(scope: _Scope, node: ast.Attribute | ast.Subscript) -> None:
    """`x.a = ...`, `x[k] = ...`, `del x.a`: a store into the object `x` holds."""
    root = node.value
    while root.__class__ is ast.Attribute or root.__class__ is ast.Subscript:
        root = root.value
    store = StoreFact(root.id if root.__class__ is _NAME else None, node, node.lineno)
    scope.facts.stores.append(store)
    if scope.binding:
        scope.binding[-1].stores.append(store)
    # Names inside the target (the subscript index, the root) count as read by the statement.


def _attribute(w: _Walker, node: ast.Attribute) -> None:
    if node.ctx.__class__ is not _LOAD and w.scope.facts is not None:
        _record_store(w.scope, node)
    parents = w.parents  # its one child, without a loop over fields
    parents.append(node)
    value = node.value
    w.handlers[value.__class__](w, value)
    parents.pop()


def _subscript(w: _Walker, node: ast.Subscript) -> None:
    if node.ctx.__class__ is not _LOAD and w.scope.facts is not None:
        _record_store(w.scope, node)
    parents = w.parents  # its two children, without a loop over fields
    parents.append(node)
    handlers = w.handlers
    value, index = node.value, node.slice
    handlers[value.__class__](w, value)
    handlers[index.__class__](w, index)
    parents.pop()


def _arg(w: _Walker, node: ast.arg) -> None:
    annotation = node.annotation
    if annotation is not None:  # most parameters have none: nothing below them to walk
        parents = w.parents
        parents.append(node)
        w.handlers[annotation.__class__](w, annotation)
        parents.pop()


def _open_binding(scope: _Scope) -> _Binding:
    """Start collecting what one binding statement (or part of one) stores and reads."""
    binding = _Binding(len(scope.loaded))
    scope.binding.append(binding)
    return binding


def _close_binding(w: _Walker, scope: _Scope, binding: _Binding) -> set[str]:
    """Each name bound depends on what the statement read; a global bound, or a store into an object, is an effect.

    Returns the names the statement read."""
    scope.binding.pop()
    loads = set(scope.loaded[binding.start:])
    facts = scope.facts
    depends_on = facts.depends_on
    # The set itself can be a name's dependencies when nothing else holds it: one name bound, no store pending.
    shared = len(binding.names) > 1 or bool(binding.stores)
    for name in binding.names:
        depends = depends_on.get(name)
        if depends is None:
            depends_on[name] = set(loads) if shared else loads
        else:
            depends |= loads
        if name in facts.globals_declared:
            facts.effect_names |= loads  # assigning a global is a side effect
    for store in binding.stores:
        w.pending_store.append((store, loads, facts))
    return loads


def _binding_statement(w: _Walker, node: ast.AST) -> None:
    """AugAssign, AnnAssign, NamedExpr, comprehension generators, imports (and Assign, in `_assign`)."""
    scope = w.scope
    facts = scope.facts
    if facts is None:
        _DESCENTS[node.__class__](w, node)
        return
    binding = _open_binding(scope)
    _DESCENTS[node.__class__](w, node)
    loads = _close_binding(w, scope, binding)
    node_type = node.__class__
    if node_type is ast.AugAssign:
        for name in binding.names:
            facts.depends_on[name].add(name)
    if node_type in _ASSIGNMENTS:
        facts.assigns.append(AssignFact(node, binding.names, node.value, node.lineno))
    elif node_type is ast.comprehension:
        # The iterable decides what the comprehension does.
        facts.effect_names |= loads
        w.measures[-1].complexity += 1 + len(node.ifs)
    elif node_type is ast.Import or node_type is ast.ImportFrom:
        for alias in node.names:
            bound = alias.asname or alias.name.split(".")[0]
            facts.assigned.setdefault(bound, []).append(node.lineno)


_ASSIGNMENTS = frozenset({ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr})


def _assign(w: _Walker, node: ast.Assign) -> None:
    """`a = b = value`, the commonest binding statement: `_binding_statement` with the descent written out."""
    scope = w.scope
    facts = scope.facts
    binding = _open_binding(scope) if facts is not None else None
    value = node.value
    parents = w.parents
    parents.append(node)
    handlers = w.handlers
    for target in node.targets:
        handlers[target.__class__](w, target)
    handlers[value.__class__](w, value)
    parents.pop()
    if binding is not None:
        _close_binding(w, scope, binding)
        facts.assigns.append(AssignFact(node, binding.names, value, node.lineno))


def _for(w: _Walker, node: ast.For | ast.AsyncFor) -> None:
    # Only target and iterable bind; the body is ordinary statements.
    scope = w.scope
    if scope.facts is None:
        _DESCENTS[node.__class__](w, node)
        return
    measure = w.measures[-1]
    measure.complexity += 1
    _open_block(measure, node)
    binding = _open_binding(scope)
    w.visit_one(node.target, node)
    w.visit_one(node.iter, node)
    scope.facts.effect_names |= _close_binding(w, scope, binding)  # the iterable decides what the loop does
    w.visit_list(node.body, node)
    w.visit_list(node.orelse, node)
    measure.blocks.pop()


def _with(w: _Walker, node: ast.With | ast.AsyncWith) -> None:
    scope = w.scope
    if scope.facts is None:
        _DESCENTS[node.__class__](w, node)
        return
    measure = w.measures[-1]
    _open_block(measure, node)
    for item in node.items:
        binding = _open_binding(scope)
        w.visit_one(item, node)
        scope.facts.effect_names |= _close_binding(w, scope, binding)
    w.visit_list(node.body, node)
    measure.blocks.pop()


def _return(w: _Walker, node: ast.Return) -> None:
    scope = w.scope
    facts = scope.facts
    if facts is None:
        _DESCENTS[node.__class__](w, node)
        return
    value = node.value
    if value is None:
        names: set[str] = set()
    else:  # Walker.collect written out: a return is among the commonest statements
        loaded = scope.loaded
        start = len(loaded)
        parents = w.parents
        parents.append(node)
        w.handlers[value.__class__](w, value)
        parents.pop()
        names = set(loaded[start:])
    facts.return_names |= names
    fact = ReturnFact(node, value, node.lineno, names)
    facts.returns.append(fact)
    if scope.handlers:
        scope.handlers[-1].returns.append(fact)
    elif scope.try_bodies:
        scope.try_bodies[-1].body_returns.append(fact)


def _call(w: _Walker, node: ast.Call) -> None:
    scope = w.scope
    facts = scope.facts
    func = node.func
    func_type = func.__class__
    attr = func.attr if func_type is _ATTRIBUTE else func.id if func_type is _NAME else ""
    w.callee_names.add(attr)
    named_rules = w.call_rules_by_name.get(attr)
    if named_rules:
        w.run(named_rules, node, w.ctx.function)
    if facts is None:
        _descend_call(w, node)
        return
    log = attr in _LOG_CALLEES and is_log_call(node)
    loaded = scope.loaded
    start = len(loaded)
    # The descent written out, with the callee already in hand: a call is the commonest node with children.
    parents = w.parents
    parents.append(node)
    handlers = w.handlers
    handlers[func_type](w, func)
    for arg in node.args:
        handlers[arg.__class__](w, arg)
    for keyword in node.keywords:
        handlers[keyword.__class__](w, keyword)
    parents.pop()
    (facts.logged_names if log else facts.effect_names).update(loaded[start:])
    parent_type = parents[-1].__class__ if parents else None
    discarded = parent_type is _EXPR or (parent_type is ast.Await and len(parents) > 1 and parents[-2].__class__ is _EXPR)
    handler = scope.handlers[-1] if scope.handlers else None
    fact = CallFact(node, attr, node.lineno, discarded, log)
    facts.calls.append(fact)
    if handler is not None:
        handler.calls.append(fact)


_descend_call = _DESCENTS[ast.Call]

# The last names of every callee `is_log_call` may accept: most calls are told apart without calling it.
_LOG_CALLEES = LOG_METHODS | {"print", "log"}


def _effect_node(w: _Walker, node: ast.AST) -> None:
    """Raise, Yield, YieldFrom, Await, Delete: whatever they read is an effect."""
    scope = w.scope
    facts = scope.facts
    if facts is None:
        _DESCENTS[node.__class__](w, node)
        return
    start = len(scope.loaded)
    _DESCENTS[node.__class__](w, node)
    facts.effect_names.update(scope.loaded[start:])
    if isinstance(node, (ast.Yield, ast.YieldFrom)):
        facts.has_yield = True
    elif isinstance(node, ast.Await):
        facts.has_await = True
    elif isinstance(node, ast.Raise):
        facts.raises.append(node)
        if scope.handlers:
            scope.handlers[-1].raises = True


def _condition_statement(w: _Walker, node: ast.While | ast.Assert | ast.IfExp | ast.Match) -> None:
    """The test decides what the function does: whatever it reads is an effect. (`if` has its own handler, `_if`.)"""
    if w.scope.facts is None:
        _DESCENTS[node.__class__](w, node)
        return
    measure = w.measures[-1]
    opens_block = _measure_condition(measure, node)
    node_type = node.__class__
    w.visit_as_effect(node.subject if node_type is ast.Match else node.test, node)
    _descend_fields(w, node, _AFTER_CONDITION[node_type])
    if opens_block:
        measure.blocks.pop()


def _if(w: _Walker, node: ast.If) -> None:
    """`_condition_statement` for an `if`, the commonest condition, with its steps written out; an `elif` opens no block."""
    scope = w.scope
    facts = scope.facts
    if facts is None:
        _DESCENTS[ast.If](w, node)
        return
    measure = w.measures[-1]
    measure.complexity += 1
    parents = w.parents
    opens_block = not _is_elif(node, parents)
    if opens_block:
        _open_block(measure, node)
    loaded = scope.loaded
    start = len(loaded)
    parents.append(node)
    handlers = w.handlers
    test = node.test
    handlers[test.__class__](w, test)
    facts.effect_names.update(loaded[start:])
    for statement in node.body:
        handlers[statement.__class__](w, statement)
    for statement in node.orelse:
        handlers[statement.__class__](w, statement)
    parents.pop()
    if opens_block:
        measure.blocks.pop()


# The fields a condition statement holds after its test: bodies, branches, cases, an assertion's message.
_AFTER_CONDITION = {
    node_type: tuple(name for name in _CHILD_FIELDS[node_type] if name not in ("test", "subject"))
    for node_type in (ast.While, ast.Assert, ast.IfExp, ast.Match)
}


def _measure_condition(measure: _Measure, node: ast.While | ast.Assert | ast.IfExp | ast.Match) -> bool:
    """Count the decisions of a condition statement; open its block (a loop's or a match's) and say whether it did."""
    node_type = node.__class__
    if node_type is ast.Match:
        measure.complexity += match_decisions(node)
    elif node_type is not ast.Assert:
        measure.complexity += 1
    opens_block = node_type is ast.While or node_type is ast.Match
    if opens_block:
        _open_block(measure, node)
    return opens_block


def _bool_op(w: _Walker, node: ast.BoolOp) -> None:
    w.measures[-1].complexity += len(node.values) - 1
    _DESCENTS[node.__class__](w, node)


def _global(w: _Walker, node: ast.Global | ast.Nonlocal) -> None:
    facts = w.scope.facts
    if facts is not None:
        facts.globals_declared.update(node.names)


def _try(w: _Walker, node: ast.Try) -> None:
    scope = w.scope
    if scope.facts is None:
        _DESCENTS[node.__class__](w, node)
        return
    measure = w.measures[-1]
    _open_block(measure, node)
    measure.complexity += len(node.handlers)
    fact = TryFact(node)
    scope.facts.tries.append(fact)
    scope.try_bodies.append(fact)
    saved_handlers = scope.handlers
    scope.handlers = []  # a return in a try nested in a handler belongs to the inner try
    w.visit_list(node.body, node)
    scope.handlers = saved_handlers
    scope.try_bodies.pop()
    w.ctx.parents.append(node)
    handler_rules = w.node_rules.get(ast.ExceptHandler, ())
    for handler in node.handlers:
        if handler_rules:  # handlers are walked here, not through visit(): dispatch them too
            w.run(handler_rules, handler, w.ctx.function)
        caught = _caught_names(handler.type)
        handler_fact = HandlerFact(handler, caught, handler.name)
        fact.handlers.append(handler_fact)
        if handler.name:
            scope.facts.assigned.setdefault(handler.name, []).append(handler.lineno)
        scope.handlers.append(handler_fact)
        if handler.type is not None:
            w.visit_as_effect(handler.type, handler)
        before = len(scope.facts.reads.get(handler.name, ())) if handler.name else 0
        w.visit_list(handler.body, handler)
        if handler.name and len(scope.facts.reads.get(handler.name, ())) > before:
            handler_fact.reads_bound_name = True
        scope.handlers.pop()
    w.ctx.parents.pop()
    w.visit_list(node.orelse, node)
    w.visit_list(node.finalbody, node)
    measure.blocks.pop()


def _caught_names(node: ast.expr | None) -> list[str]:
    if node is None:
        return []
    items = node.elts if isinstance(node, ast.Tuple) else [node]
    return [dotted_name(item) or "?" for item in items]


def _function(w: _Walker, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
    ctx = w.ctx
    outer = w.scope
    # Each field read once: reading a field of a parsed node costs more than a call to a small function.
    name, line, decorator_list = node.name, node.lineno, node.decorator_list
    params = _params(node.args)
    measures = w.measures
    measures.append(w.throwaway)  # the header counts neither here nor in the enclosing function
    _walk_header(w, node, decorator_list, params)
    measure = measures[-1] = _Measure(1, Nesting(0, line, ()))
    in_class = bool(w.scope_kinds) and w.scope_kinds[-1] == "class"
    class_node = ctx.class_stack[-1] if in_class else None
    parent = outer.facts
    qual_prefix = parent.qualname + ".<locals>." if parent is not None else ""
    if class_node is None:
        class_name, class_bases = None, []
    else:
        class_name, class_bases = class_node.name, list(w.class_bases[-1])
        qual_prefix += class_name + "."
    decorators = [dotted_name(d) for d in decorator_list] if decorator_list else []
    facts = FunctionFacts(
        node,
        name=name,
        qualname=qual_prefix + name,
        class_name=class_name,
        class_bases=class_bases,
        decorators=decorators,
        params=params,
        parent=parent,
    )
    if parent is not None:
        parent.assigned.setdefault(name, []).append(line)
    w.scope = _Scope(facts, [*outer.enclosing, parent] if parent is not None else [])
    w.scope_kinds.append("function")
    saved_function = ctx.function
    ctx.function = facts
    w.visit_list(node.body, node)
    measures.pop()
    facts.complexity = measure.complexity
    facts.nesting = measure.deepest
    _resolve_stores(w, facts)
    ctx.function = saved_function
    w.scope_kinds.pop()
    w.scope = outer
    ctx.module.functions.append(facts)
    w.run(w.function_rules, facts, facts)


def _walk_header(w: _Walker, node: ast.FunctionDef | ast.AsyncFunctionDef, decorator_list: list[ast.expr], params: list[Param]) -> None:
    """Decorators, defaults and annotations run in the enclosing scope; what they read is used."""
    if decorator_list:
        w.visit_list_as_effect(decorator_list, node)
    # A bare signature holds nothing to walk, unless a rule wants its parameters themselves.
    if w.signature_rules or _has_default_or_annotation(params):
        w.visit_one(node.args, node)
    returns = node.returns
    if returns is not None:
        w.visit_one(returns, node)


def _resolve_stores(w: _Walker, facts: FunctionFacts) -> None:
    """`x.a = v` / `x[k] = v`: v flows into x; a side effect unless x holds a container the function made."""
    if not w.pending_store:
        return
    remaining = []
    fresh: dict[str, bool] = {}  # holds_fresh_value() by root: it looks through every assignment of the function
    for store, loads, owner in w.pending_store:
        if owner is not facts:
            remaining.append((store, loads, owner))
            continue
        root = store.root
        if root is None:
            facts.effect_names |= loads
            continue
        facts.depends_on.setdefault(root, set()).update(loads - {root})
        holds_fresh = fresh.get(root)
        if holds_fresh is None:
            holds_fresh = fresh[root] = facts.holds_fresh_value(root)
        if not holds_fresh:
            facts.effect_names |= loads
    w.pending_store = remaining


def _has_default_or_annotation(params: list[Param]) -> bool:
    """Whether a signature holds anything to walk: the walk visits one only for its defaults and annotations."""
    for param in params:
        if param.default is not None or param.annotation is not None:
            return True
    return False


def _params(args: ast.arguments) -> list[Param]:
    positional = args.args if not args.posonlyargs else [*args.posonlyargs, *args.args]
    undefaulted = len(positional) - len(args.defaults)
    params = [Param(arg.arg, "positional", arg.lineno, None, arg.annotation) for arg in positional[:undefaulted]]
    for arg, default in zip(positional[undefaulted:], args.defaults):
        params.append(Param(arg.arg, "positional", arg.lineno, default, arg.annotation))
    if args.vararg:
        params.append(Param(args.vararg.arg, "vararg", args.vararg.lineno, None, args.vararg.annotation))
    for arg, default in zip(args.kwonlyargs, args.kw_defaults):
        params.append(Param(arg.arg, "keyword", arg.lineno, default, arg.annotation))
    if args.kwarg:
        params.append(Param(args.kwarg.arg, "kwarg", args.kwarg.lineno, None, args.kwarg.annotation))
    return params


def _class(w: _Walker, node: ast.ClassDef) -> None:
    w.measures.append(w.throwaway)  # a class is measured apart from the function around it
    w.visit_list_as_effect(node.decorator_list, node)
    w.visit_list_as_effect(node.bases, node)
    w.visit_list(node.keywords, node)
    facts = w.scope.facts
    if facts is not None:
        facts.assigned.setdefault(node.name, []).append(node.lineno)
    w.ctx.module.classes.append(node)
    w.ctx.class_stack.append(node)
    w.class_bases.append([dotted_name(base) for base in node.bases])  # once for all its methods
    w.scope_kinds.append("class")
    w.visit_list(node.body, node)
    w.scope_kinds.pop()
    w.ctx.class_stack.pop()
    w.class_bases.pop()
    w.measures.pop()


def _module_import(w: _Walker, node: ast.Import | ast.ImportFrom) -> None:
    if w.scope.facts is None:
        if isinstance(node, ast.Import):
            for alias in node.names:
                w.ctx.module.imports.append((alias.name, node.lineno))
        elif node.level == 0 and node.module:
            w.ctx.module.imports.append((node.module, node.lineno))
        _DESCENTS[node.__class__](w, node)
    else:
        _binding_statement(w, node)


_SPECIAL: dict[type, Callable[[_Walker, ast.AST], None]] = {
    ast.Name: _name,
    ast.Attribute: _attribute,
    ast.Subscript: _subscript,
    ast.arg: _arg,
    ast.Assign: _assign,
    ast.AugAssign: _binding_statement,
    ast.AnnAssign: _binding_statement,
    ast.NamedExpr: _binding_statement,
    ast.comprehension: _binding_statement,
    ast.For: _for,
    ast.AsyncFor: _for,
    ast.With: _with,
    ast.AsyncWith: _with,
    ast.Return: _return,
    ast.Call: _call,
    ast.Raise: _effect_node,
    ast.Yield: _effect_node,
    ast.YieldFrom: _effect_node,
    ast.Await: _effect_node,
    ast.Delete: _effect_node,
    ast.If: _if,
    ast.While: _condition_statement,
    ast.Assert: _condition_statement,
    ast.IfExp: _condition_statement,
    ast.Match: _condition_statement,
    ast.BoolOp: _bool_op,
    ast.Global: _global,
    ast.Nonlocal: _global,
    ast.Try: _try,
    ast.FunctionDef: _function,
    ast.AsyncFunctionDef: _function,
    ast.ClassDef: _class,
    ast.Import: _module_import,
    ast.ImportFrom: _module_import,
}
if hasattr(ast, "TryStar"):
    _SPECIAL[ast.TryStar] = _try


# ---------------------------------------------------------------- scanning


def scan_source(source: str | bytes, path: str, options: ScanOptions | None = None) -> FileResult:
    """Findings for one file's source text. Never raises for bad input: it returns a FileError instead."""
    # An AST and its facts hold no reference cycles (facts keep no back-references, the walker drops its
    # handlers), so reference counting frees a file as soon as it is done and the cyclic collector would
    # only cost time here (about a third of a scan's CPU, measured in bench/profile_scan.py): pause it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _scan_source(source, path, options)
    finally:
        if collecting:
            gc.enable()


def _scan_source(source: str | bytes, path: str, options: ScanOptions | None) -> FileResult:
    options = options or ScanOptions()
    result = FileResult(path)
    if isinstance(source, bytes):
        if len(source) > options.max_bytes:
            result.error = FileError(path, "too-large", f"{len(source):,} bytes is over the {options.max_bytes:,}-byte limit")
            return result
        text, error = decode_source(source, path)
        if error is not None:
            result.error = error
            return result
        source = text
    elif len(source) > options.max_bytes:
        result.error = FileError(path, "too-large", f"{len(source):,} characters is over the {options.max_bytes:,} limit")
        return result
    result.lines = source.count("\n") + (0 if source.endswith("\n") or not source else 1)
    if "\x00" in source:
        result.error = FileError(path, "null-bytes", "file contains null bytes; not Python source")
        return result
    try:
        tree = ast.parse(source, filename=path)
    except SyntaxError as exc:
        kind = "too-deep" if exc.msg in _NESTING_LIMITS else "syntax-error"
        result.error = FileError(path, kind, f"{exc.msg} (line {exc.lineno})", exc.lineno)
        return result
    except (RecursionError, MemoryError):
        result.error = FileError(path, "too-deep", "nesting too deep to parse")
        return result
    except ValueError as exc:
        result.error = FileError(path, "null-bytes" if "null" in str(exc) else "syntax-error", str(exc))
        return result
    findings, error = _walk(tree, source, path, options)
    result.findings = findings
    result.error = error
    return result


def _walk(tree: ast.Module, source: str, path: str, options: ScanOptions) -> tuple[list[Finding], FileError | None]:
    ctx = FileContext(path, source, ModuleFacts(), options.project, parse_suppressions(source), tree)
    findings: list[Finding] = []
    overrides = options.severity_overrides

    def emit(rule: Rule, report: Report, function: FunctionFacts | None) -> None:
        severity = report.severity if report.severity is not None else rule.severity
        severity = min(severity, rule.severity)
        if rule.id in overrides:
            severity = overrides[rule.id]
        if _suppressed(ctx.suppressions, rule.id, report.line, function):
            return
        findings.append(
            Finding(
                rule_id=rule.id,
                severity=severity,
                path=path,
                line=report.line,
                end_line=max(report.end_line or report.line, report.line),
                function=report.function if report.function is not None else (function.qualname if function else None),
                message=report.message,
                confidence=round(max(0.0, min(1.0, rule.precision * report.strength)), 2),
                evidence=report.evidence,
                fix=report.fix,
            )
        )

    walker = _Walker(ctx, options.dispatch_for(source), emit)
    try:
        walker.visit(tree)
        walker.run(walker.module_rules, ctx.module, None)
    except RecursionError:
        return [], FileError(path, "too-deep", "nesting too deep to analyze")
    findings.sort(key=Finding.sort_key)
    if walker.rule_errors:
        return findings, FileError(path, "rule-error", "; ".join(walker.rule_errors[:3]))
    return findings, None


def _suppressed(suppressions: dict[int, Suppression], rule_id: str, line: int, function: FunctionFacts | None) -> bool:
    if not suppressions:
        return False
    here = suppressions.get(line)
    if here is not None and here.covers(rule_id):
        return True
    while function is not None:
        on_def = suppressions.get(function.line)
        if on_def is not None and on_def.covers(rule_id):
            return True
        function = function.parent
    return False
