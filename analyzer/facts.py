"""Per-function facts, gathered once during the engine's single walk and shared by every rule.

For each function: its parameters, the names it assigns and reads (with
lines), its calls, its return expressions, the shape of its try/except
blocks, and which names flow into its returns and into its side effects.
Rules ask questions of these facts instead of walking the tree again.

Flow is a small, deliberately generous data-flow: a name "reaches" a sink
when it is read inside the sink's expression, or inside the right-hand side
of an assignment to a name that reaches it. Sinks are return values and
side effects: arguments and receivers of calls (log calls excepted), stores
into attributes and subscripts, raise, yield, await, conditions and loop
iterables (they decide what happens), and reads from nested functions.
Generous flow means fewer false alarms, which is what the rules need.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from analyzer.complexity import Nesting

LOG_RECEIVERS = frozenset({"log", "logger", "logging", "LOG", "LOGGER", "_log", "_logger", "warnings", "structlog"})
LOG_METHODS = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "fatal", "msg"})


# Expressions and constructors that make a new container or value nobody else holds.
FRESH_VALUE_NODES = (ast.Dict, ast.List, ast.Set, ast.Tuple, ast.Constant, ast.DictComp, ast.ListComp, ast.SetComp, ast.JoinedStr)
FRESH_CONSTRUCTORS = frozenset({"dict", "list", "set", "tuple", "bytearray", "defaultdict", "OrderedDict", "Counter", "deque"})


def dotted_name(node: ast.AST) -> str:
    """`a.b.c` for Name/Attribute chains, `a.b()` parts become `a.b`; '' for anything else."""
    # Exact classes, not isinstance: parsed trees hold no subclasses, and rules call this for most calls.
    parts: list[str] = []
    while True:
        node_type = node.__class__
        if node_type is _ATTRIBUTE:
            parts.append(node.attr)
            node = node.value
        elif node_type is _NAME:
            if not parts:
                return node.id
            parts.append(node.id)
            break
        elif node_type is _CALL:
            node = node.func
        else:
            return ""
    return ".".join(reversed(parts))


_ATTRIBUTE, _NAME, _CALL = ast.Attribute, ast.Name, ast.Call


def root_name(node: ast.AST) -> str | None:
    """The variable at the root of `x.a[1].b`, if it is a plain name."""
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def is_log_call(call: ast.Call) -> bool:
    """`logger.info(...)`, `logging.warning(...)`, `print(...)`, `self.log.debug(...)`."""
    func = call.func
    func_type = func.__class__
    if func_type is ast.Name:
        return func.id in ("print", "log")
    if func_type is ast.Attribute and func.attr in LOG_METHODS:
        receiver = func.value
        receiver_type = receiver.__class__
        if receiver_type is ast.Attribute:
            return receiver.attr in LOG_RECEIVERS
        if receiver_type is ast.Name:
            return receiver.id in LOG_RECEIVERS
        if receiver_type is ast.Call:  # logging.getLogger(__name__).info(...)
            return dotted_name(receiver.func).endswith("getLogger")
    return False


@dataclass(slots=True)
class Param:
    name: str
    kind: str  # positional, vararg, keyword, kwarg
    line: int
    default: ast.expr | None = None
    annotation: ast.expr | None = None


class CallFact:
    """One call in a function: its callee's names, its line, and whether its result is thrown away."""

    __slots__ = ("node", "attr", "line", "discarded", "is_log", "_name")

    def __init__(self, node: ast.Call, attr: str, line: int, discarded: bool, is_log: bool):
        self.node = node
        self.attr = attr  # last part of the callee name ("execute" for cur.execute), '' if none
        self.line = line
        self.discarded = discarded  # the call is a statement of its own
        self.is_log = is_log
        self._name: str | None = None

    @property
    def name(self) -> str:
        """The dotted callee name (`db.session.execute`), '' when the callee is not a name chain."""
        if self._name is None:
            self._name = dotted_name(self.node.func)
        return self._name

    def __repr__(self) -> str:
        return f"CallFact({self.name or self.attr!r}, line={self.line})"


@dataclass(slots=True)
class ReturnFact:
    node: ast.Return
    value: ast.expr | None
    line: int
    names: set[str]


@dataclass(slots=True)
class AssignFact:
    node: ast.stmt
    targets: list[str]  # plain names bound by this statement
    value: ast.expr | None
    line: int


@dataclass(slots=True)
class StoreFact:
    """An assignment into an attribute or subscript: `self.x = v`, `d[k] = v`."""

    root: str | None
    target: ast.expr
    line: int


@dataclass(slots=True)
class HandlerFact:
    node: ast.ExceptHandler
    caught: list[str]  # dotted names of the caught exception classes; [] for a bare except
    bound_name: str | None
    returns: list[ReturnFact] = field(default_factory=list)
    calls: list[CallFact] = field(default_factory=list)
    raises: bool = False
    reads_bound_name: bool = False


@dataclass(slots=True)
class TryFact:
    node: ast.Try
    body_returns: list[ReturnFact] = field(default_factory=list)
    handlers: list[HandlerFact] = field(default_factory=list)


class FunctionFacts:
    """Everything rules know about one function, complete once its body has been walked."""

    # A plain class rather than a dataclass: the walk makes one per function, and an __init__ that
    # writes its empty containers as literals costs half as much as dataclass default factories.
    __slots__ = (
        "node", "name", "qualname", "class_name", "class_bases", "decorators", "params", "parent",
        "assigned", "reads", "calls", "returns", "assigns", "stores", "tries", "raises", "globals_declared",
        "has_yield", "has_await", "depends_on", "return_names", "effect_names", "logged_names",
        "complexity", "nesting", "body", "_reaching", "_reaching_returns",
    )

    def __init__(
        self,
        node: ast.FunctionDef | ast.AsyncFunctionDef,
        *,
        name: str,
        qualname: str,
        class_name: str | None,
        class_bases: list[str],
        decorators: list[str],
        params: list[Param],
        parent: "FunctionFacts | None" = None,
    ):
        self.node = node
        self.name = name
        self.qualname = qualname
        self.class_name = class_name
        self.class_bases = class_bases
        self.decorators = decorators
        self.params = params
        self.parent = parent
        self.assigned: dict[str, list[int]] = {}
        self.reads: dict[str, list[int]] = {}
        self.calls: list[CallFact] = []
        self.returns: list[ReturnFact] = []
        self.assigns: list[AssignFact] = []
        self.stores: list[StoreFact] = []
        self.tries: list[TryFact] = []
        self.raises: list[ast.Raise] = []
        self.globals_declared: set[str] = set()
        self.has_yield = False
        self.has_await = False
        # name -> names read on the right-hand side of its assignments
        self.depends_on: dict[str, set[str]] = {}
        # names read directly in return values / in side effects
        self.return_names: set[str] = set()
        self.effect_names: set[str] = set()
        # names read only as arguments of log calls
        self.logged_names: set[str] = set()
        # McCabe complexity and the deepest block of the function's own body, as analyzer.complexity defines them
        self.complexity = 1
        self.nesting: Nesting | None = None
        # The body without a leading docstring; set once, many rules read it.
        body = node.body
        first = body[0] if body else None
        if first.__class__ is ast.Expr and first.value.__class__ is ast.Constant and isinstance(first.value.value, str):
            body = body[1:]
        self.body: list[ast.stmt] = body
        self._reaching: set[str] | None = None
        self._reaching_returns: set[str] | None = None

    def __repr__(self) -> str:
        return f"FunctionFacts({self.qualname!r}, line={self.node.lineno})"

    @property
    def line(self) -> int:
        return self.node.lineno

    @property
    def end_line(self) -> int:
        return self.node.end_lineno or self.node.lineno

    @property
    def is_async(self) -> bool:
        return isinstance(self.node, ast.AsyncFunctionDef)

    @property
    def is_method(self) -> bool:
        return self.class_name is not None and self.parent is None

    def param(self, name: str) -> Param | None:
        for param in self.params:  # a loop, not next() over a generator: rules ask this often
            if param.name == name:
                return param
        return None

    def reads_every_bound_name(self) -> bool:
        """Every name the function binds (assignment targets among them) is read somewhere in it: most functions."""
        return self.reads.keys() >= self.assigned.keys()

    def has_decorator(self, *suffixes: str) -> bool:
        if not self.decorators:
            return False  # most functions: spare building the generator
        return any(d == s or d.endswith("." + s) for d in self.decorators for s in suffixes)

    def _closure(self, seeds: set[str]) -> set[str]:
        reached = set(seeds)
        stack = list(seeds)
        while stack:
            for dep in self.depends_on.get(stack.pop(), ()):
                if dep not in reached:
                    reached.add(dep)
                    stack.append(dep)
        return reached

    def names_reaching_returns(self) -> set[str]:
        if self._reaching_returns is None:
            self._reaching_returns = self._closure(self.return_names)
        return self._reaching_returns

    def names_reaching_output(self) -> set[str]:
        """Names whose value reaches a return value or a side effect."""
        if self._reaching is None:
            self._reaching = self._closure(self.return_names | self.effect_names)
        return self._reaching

    def holds_fresh_value(self, name: str) -> bool:
        """`name` is a local bound only to containers this function made (`{}`, `[]`, `dict()`):
        storing into it changes nothing outside the function."""
        if name not in self.assigned or self.param(name) is not None or name in self.globals_declared:
            return False
        bound = [a for a in self.assigns if name in a.targets]
        if not bound or len(bound) != len(self.assigned[name]):
            return False  # also bound by a for, with, import or except: not a fresh value
        for assign in bound:
            value = assign.value
            if isinstance(value, FRESH_VALUE_NODES):
                continue
            if isinstance(value, ast.Call) and dotted_name(value.func).rsplit(".", 1)[-1] in FRESH_CONSTRUCTORS:
                continue
            return False
        return True

    def is_read(self, name: str) -> bool:
        return name in self.reads

    def reads_after(self, name: str, line: int) -> list[int]:
        return [n for n in self.reads.get(name, ()) if n > line]


@dataclass(slots=True)
class ModuleFacts:
    """File-level facts: imports, top-level assignments, functions and classes."""

    imports: list[tuple[str, int]] = field(default_factory=list)  # (module name, line); top-level only
    functions: list[FunctionFacts] = field(default_factory=list)
    classes: list[ast.ClassDef] = field(default_factory=list)
    callee_names: set[str] = field(default_factory=set)  # the last names of the callees of the file's calls so far
    # What rules derive from the whole file once and ask again for many nodes, keyed by the helper that computes it.
    # It lives and dies with the file: a module-level cache would keep the previous file's tree alive instead.
    memo: dict = field(default_factory=dict)

    def memoized(self, key, compute, *args):
        """`compute(*args)`, worked out once per file under `key` in `memo` and given back to every later ask."""
        value = self.memo.get(key)
        if value is None:
            value = self.memo[key] = compute(*args)
        return value
