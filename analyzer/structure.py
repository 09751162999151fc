"""The code structure report: per file, its functions and danger sinks; across files, the call graph.

`ainascan structure PATH` prints it, and the full-repository scan attaches
it. A sink is listed whether or not a rule flagged it (`flagged` says which
rules did), so a reviewer sees every place where data meets SQL, a shell,
the network or the file system. The call graph links a call to the functions
of the scanned files that bear the callee's name; where several do, it links
to each (static analysis cannot tell which one runs).
"""

from __future__ import annotations

import ast
from dataclasses import asdict, dataclass, field

from analyzer.complexity import cyclomatic_complexity
from analyzer.facts import dotted_name
from analyzer.model import Finding
from analyzer.sinks import SINK_KINDS, sink_kind


@dataclass
class FunctionInfo:
    name: str
    qualname: str
    line: int
    end_line: int
    params: list[str]
    complexity: int
    calls: list[str] = field(default_factory=list)  # callee last names, in order of first appearance


@dataclass
class SinkInfo:
    line: int
    kind: str
    call: str
    function: str | None
    flagged_by: list[str] = field(default_factory=list)


@dataclass
class FileStructure:
    path: str
    functions: list[FunctionInfo] = field(default_factory=list)
    sinks: list[SinkInfo] = field(default_factory=list)
    error: str | None = None


def file_structure(source: str | bytes, path: str, findings: list[Finding] = ()) -> FileStructure:
    """The structure of one file; `findings` for that file mark which sinks a rule flagged."""
    structure = FileStructure(path)
    try:
        tree = ast.parse(source, filename=path)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        structure.error = f"{type(exc).__name__}: {exc}"
        return structure
    flagged: dict[int, list[str]] = {}
    for finding in findings:
        for line in range(finding.line, finding.end_line + 1):
            flagged.setdefault(line, []).append(finding.rule_id)
    _Collector(structure, flagged).visit(tree)
    return structure


class _Collector(ast.NodeVisitor):
    def __init__(self, structure: FileStructure, flagged: dict[int, list[str]]):
        self.structure = structure
        self.flagged = flagged
        self.scope: list[str] = []
        self.functions: list[FunctionInfo] = []

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        qualname = ".".join([*self.scope, node.name])
        args = node.args
        params = [a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)]
        if args.vararg:
            params.append("*" + args.vararg.arg)
        if args.kwarg:
            params.append("**" + args.kwarg.arg)
        info = FunctionInfo(node.name, qualname, node.lineno, node.end_lineno or node.lineno, params, cyclomatic_complexity(node))
        self.structure.functions.append(info)
        self.scope.append(node.name)
        self.functions.append(info)
        self.generic_visit(node)
        self.functions.pop()
        self.scope.pop()

    visit_FunctionDef = _function
    visit_AsyncFunctionDef = _function

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        last = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        current = self.functions[-1] if self.functions else None
        if last and current is not None and last not in current.calls:
            current.calls.append(last)
        kind = sink_kind(node)
        if kind is not None:
            rules: list[str] = []
            for line in range(node.lineno, (node.end_lineno or node.lineno) + 1):
                rules += [r for r in self.flagged.get(line, ()) if r not in rules]
            self.structure.sinks.append(
                SinkInfo(node.lineno, kind, dotted_name(func) or last or "?", current.qualname if current else None, rules)
            )
        self.generic_visit(node)


def call_graph(files: list[FileStructure]) -> dict[str, list[str]]:
    """`path::qualname` -> the `path::qualname`s of scanned functions it may call, by name."""
    by_name: dict[str, list[str]] = {}
    for structure in files:
        for function in structure.functions:
            by_name.setdefault(function.name, []).append(f"{structure.path}::{function.qualname}")
    graph: dict[str, list[str]] = {}
    for structure in files:
        for function in structure.functions:
            caller = f"{structure.path}::{function.qualname}"
            callees = [target for name in function.calls for target in by_name.get(name, ()) if target != caller]
            if callees:
                graph[caller] = sorted(set(callees))
    return graph


def structure_dict(files: list[FileStructure]) -> dict:
    return {
        "files": [asdict(f) for f in files],
        "call_graph": call_graph(files),
        "sink_kinds": SINK_KINDS,
    }


def render_structure_text(files: list[FileStructure]) -> str:
    out: list[str] = []
    for structure in files:
        out.append(structure.path)
        if structure.error:
            out.append(f"  not analyzed: {structure.error}")
            continue
        for function in structure.functions:
            out.append(f"  def {function.qualname}({', '.join(function.params)})  lines {function.line}-{function.end_line}  complexity {function.complexity}")
        for sink in structure.sinks:
            mark = f"  flagged: {', '.join(sink.flagged_by)}" if sink.flagged_by else ""
            where = f" in {sink.function}()" if sink.function else ""
            out.append(f"  sink {sink.kind:<15} line {sink.line:<5} {sink.call}{where}{mark}")
    graph = call_graph(files)
    if graph:
        out += ["", "call graph (within the scanned files):"]
        for caller, callees in graph.items():
            out.append(f"  {caller} -> {', '.join(callees)}")
    sinks = sum(len(f.sinks) for f in files)
    functions = sum(len(f.functions) for f in files)
    out.append(f"\n{len(files)} files, {functions} functions, {sinks} danger sinks ({sum(1 for f in files for s in f.sinks if s.flagged_by)} flagged)")
    return "\n".join(out) + "\n"
