"""The rule catalog: the `@rule` decorator that registers a check, and the lookup the engine dispatches from.

A rule module declares what it looks at and who it is, as Bandit plugins do:

    @rule("MISSING_WRITE", Severity.BLOCK, on=FUNCTION, precision=0.95)
    def check(fn: FunctionFacts, ctx: FileContext) -> Iterator[Report]: ...

`on` is an AST node class (or a tuple of them) for node rules, STRING for
the string literals (the ast.Constant nodes that hold a str: most constants
are, but numbers, None and bytes are not handed over), FUNCTION for rules
that judge one function's facts once its body has been walked, or MODULE
for rules that judge the whole file at the end of the walk.

`needs` names words the rule cannot fire without (`needs=("async",)`): the
engine skips the rule for a file whose text contains none of them. Only
words the rule requires as identifiers or keywords qualify, never the
content of a string literal (escapes and implicit concatenation can spell
a string without its text appearing in the source).
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import sys
import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Iterable

from analyzer.model import Fix, Severity

FUNCTION = "function"
MODULE = "module"
STRING = "string"


@dataclass(frozen=True, slots=True)
class Report:
    """What a check yields; the engine turns it into a Finding (adding id, path, function, confidence)."""

    line: int
    message: str
    end_line: int | None = None
    evidence: tuple[int, ...] = ()
    fix: Fix | None = None
    # How strong this instance's evidence is, in [0, 1]; multiplied by the rule's precision.
    strength: float = 1.0
    # A rule may lower (never raise) its severity for weaker evidence.
    severity: Severity | None = None
    # Overrides the enclosing function's name where the finding is about another one.
    function: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    severity: Severity
    check: Callable[[Any, Any], Iterable[Report]]
    targets: tuple  # AST classes and STRING, or (FUNCTION,), or (MODULE,)
    precision: float
    module: str
    # For `on=ast.Call` rules: the callee last names (`execute` for `cur.execute(...)`) the rule
    # wants; the engine then skips every other call. None means every call.
    calls: frozenset[str] | None = None
    # Words the rule cannot fire without: a file whose text holds none of them is not given to it.
    needs: tuple[str, ...] | None = None

    @property
    def doc(self) -> str:
        return (sys.modules[self.module].__doc__ or "").strip()

    @property
    def summary(self) -> str:
        """The first sentence under 'What it does', on one line."""
        paragraph = " ".join(self.doc_section("What it does").split("\n\n")[0].split())
        if not paragraph:
            return self.doc.splitlines()[0].strip() if self.doc else self.id
        end = paragraph.find(". ")
        return paragraph if end < 0 else paragraph[: end + 1]

    def doc_section(self, title: str) -> str:
        """The text under one heading of the docstring ('Why it matters', ...)."""
        out: list[str] = []
        inside = False
        for line in self.doc.splitlines():
            stripped = line.strip().lower().rstrip(":")
            if stripped in _SECTION_TITLES:
                inside = stripped == title.lower()
                continue
            if inside:
                out.append(line)
        return textwrap.dedent("\n".join(out)).strip("\n").rstrip()


_SECTION_TITLES = {"what it does", "why it matters", "example", "use instead", "notes"}

_RULES: dict[str, Rule] = {}


def rule(rule_id: str, severity: Severity, *, on: Any, precision: float, calls: Iterable[str] | None = None, needs: Iterable[str] | None = None) -> Callable:
    """Register the decorated function as the check of rule `rule_id`.

    When `on` includes ast.Call, `calls` names the callees' last names the rule looks at
    (`{"execute", "executemany"}`); the engine dispatches only those calls to it,
    which keeps a large catalog cheap. `needs` names identifiers or keywords the rule
    cannot fire without (`{"random"}`); the engine skips files that contain none of them.
    """
    targets = on if isinstance(on, tuple) else (on,)
    for target in targets:
        if target not in (FUNCTION, MODULE, STRING) and not (isinstance(target, type) and issubclass(target, ast.AST)):
            raise TypeError(f"{rule_id}: 'on' takes AST classes, STRING, FUNCTION or MODULE, not {target!r}")
    if not 0.0 < precision <= 1.0:
        raise ValueError(f"{rule_id}: precision must be in (0, 1]")
    if calls is not None and ast.Call not in targets:
        raise TypeError(f"{rule_id}: 'calls' filters ast.Call nodes; add ast.Call to 'on'")
    callee_names = frozenset(calls) if calls is not None else None
    words = _needed_words(rule_id, needs)

    def register(check: Callable) -> Callable:
        if rule_id in _RULES and _RULES[rule_id].module != check.__module__:
            raise ValueError(f"rule {rule_id} is registered twice ({_RULES[rule_id].module}, {check.__module__})")
        _RULES[rule_id] = Rule(rule_id, severity, check, targets, precision, check.__module__, callee_names, words)
        return check

    return register


def _needed_words(rule_id: str, needs: Iterable[str] | None) -> tuple[str, ...] | None:
    if needs is None:
        return None
    words = tuple(sorted(needs))
    if not words or not all(word and word.isascii() and word.strip() == word for word in words):
        raise ValueError(f"{rule_id}: 'needs' takes ASCII words, at least one")
    return words


_loaded = False


def all_rules() -> dict[str, Rule]:
    """Every rule of the catalog, by id, importing the rule modules on first use."""
    global _loaded
    if not _loaded:
        _load_rule_modules()  # an interrupted load is simply done again: imports that finished are cached
        _loaded = True
    return dict(sorted(_RULES.items()))


def _load_rule_modules() -> None:
    import analyzer.rules as package

    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{package.__name__}.{info.name}")


def select_rules(select: Iterable[str] = (), ignore: Iterable[str] = ()) -> list[Rule]:
    """The rules to run: all of them, or only `select`, minus `ignore`. Unknown ids raise ValueError."""
    catalog = all_rules()
    select, ignore = list(select), list(ignore)
    unknown = [rule_id for rule_id in (*select, *ignore) if rule_id not in catalog]
    if unknown:
        raise ValueError(f"unknown rule id(s): {', '.join(unknown)}")
    chosen = select or list(catalog)
    return [catalog[rule_id] for rule_id in chosen if rule_id not in set(ignore)]
