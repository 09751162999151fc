"""The analyzer's commands: scan, rules, explain. Mounted by `ainascan`, also runnable as `python -m analyzer`.

Exit codes of `scan`: 1 when a finding at or above --fail-on exists, 0
otherwise, 2 on usage errors (unknown rule, missing path, unreadable diff).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from analyzer.engine import DEFAULT_MAX_BYTES, ScanOptions
from analyzer.model import ScanResult, Severity
from analyzer.project import project_context_for
from analyzer.registry import all_rules, select_rules
from analyzer.report import FORMATS, render
from analyzer.scanner import DEFAULT_EXCLUDES, ExcludeRules, discover, scan_blobs, scan_paths

if TYPE_CHECKING:
    from analyzer.archive_scan import ArchiveScan
    from analyzer.diff import DiffScope

# Archives (zipfile), diffs (unidiff) and git (subprocess) are imported by the functions that use them: together
# they are a third of the start-up of a plain `ainascan scan PATH`, which needs none of them.


class UsageError(Exception):
    """Bad arguments: printed as one line, exit code 2."""


def add_analyzer_commands(subparsers: argparse._SubParsersAction) -> None:
    scan = subparsers.add_parser("scan", help="scan Python files, folders or ZIP archives for hollow code")
    scan.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or .zip archives")
    scan.add_argument("--format", choices=FORMATS, default="text")
    scan.add_argument("--fail-on", choices=("block", "warn", "never"), default="block", help="exit 1 when a finding at or above this severity exists (default: block)")
    scan.add_argument("--select", default="", metavar="RULE,...", help="run only these rules")
    scan.add_argument("--ignore", default="", metavar="RULE,...", help="do not run these rules")
    scan.add_argument("--exclude", action="append", default=[], metavar="PATTERN", help=".gitignore-style pattern of paths to skip (repeatable)")
    scope = scan.add_mutually_exclusive_group()
    scope.add_argument("--diff", metavar="FILE", help="keep only findings a unified diff introduced ('-' reads stdin)")
    scope.add_argument("--base", metavar="REV", help="keep only findings introduced since REV (inside a git work tree)")
    scan.add_argument("--jobs", type=int, default=0, help="processes to scan with (default: all cores)")
    scan.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, help=argparse.SUPPRESS)
    scan.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")
    scan.set_defaults(handler=run_scan)

    rules = subparsers.add_parser("rules", help="list the rule catalog")
    rules.add_argument("--format", choices=("text", "json"), default="text")
    rules.set_defaults(handler=run_rules)

    structure = subparsers.add_parser("structure", help="report functions, danger sinks and the call graph")
    structure.add_argument("paths", nargs="+", metavar="PATH", help="files, folders or .zip archives")
    structure.add_argument("--format", choices=("text", "json"), default="text")
    structure.add_argument("--exclude", action="append", default=[], metavar="PATTERN")
    structure.add_argument("--jobs", type=int, default=0)
    structure.set_defaults(handler=run_structure)

    explain = subparsers.add_parser("explain", help="print one rule's documentation")
    explain.add_argument("rule_id", metavar="RULE")
    explain.set_defaults(handler=run_explain)


def _rule_list(text: str) -> list[str]:
    return [part.strip().upper() for part in text.split(",") if part.strip()]


def run_scan(args: argparse.Namespace) -> int:
    try:
        rules = select_rules(_rule_list(args.select), _rule_list(args.ignore))
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    diff_scope = _diff_scope(args)
    archives = [p for p in args.paths if p.endswith(".zip") and Path(p).is_file()]
    plain = [p for p in args.paths if p not in archives]
    excludes = ExcludeRules(DEFAULT_EXCLUDES + tuple(args.exclude))
    try:
        files = list(discover(plain, excludes))
    except FileNotFoundError as exc:
        raise UsageError(str(exc)) from exc
    first_dir = next((Path(p) for p in plain if Path(p).is_dir()), Path.cwd())
    options = ScanOptions(rules=rules, max_bytes=args.max_bytes, project=project_context_for(first_dir, files))
    jobs = args.jobs or os.cpu_count() or 1

    result = ScanResult()
    with _progress(len(files)) as advance:
        file_result = scan_paths(files, options, jobs=jobs, on_progress=advance)
    _merge(result, file_result)
    for archive in archives:
        _merge(result, _scan_archive(archive, options, excludes, jobs).result)
    if diff_scope is not None:
        root = _git_root() or os.getcwd()
        result.findings = [f for f in result.findings if diff_scope.introduced_at(_relative_to(f.path, root), f)]
    result.sort()
    color = args.format == "text" and args.output is None and sys.stdout.isatty()
    report = render(result, args.format, color=color)
    if args.output:
        Path(args.output).write_text(report, encoding="utf-8")
    else:
        sys.stdout.write(report)
    return _exit_code(result, args.fail_on)


def _merge(into: ScanResult, other: ScanResult) -> None:
    into.findings.extend(other.findings)
    into.errors.extend(other.errors)
    into.files_scanned += other.files_scanned
    into.lines_scanned += other.lines_scanned


def _scan_archive(path: str, options: ScanOptions, excludes: ExcludeRules, jobs: int) -> ArchiveScan:
    from analyzer.archive import ArchiveError, ArchiveLimits
    from analyzer.archive_scan import scan_archive_bytes

    try:
        data = Path(path).read_bytes()
        limits = ArchiveLimits(max_file_bytes=options.max_bytes)
        return scan_archive_bytes(data, options, limits=limits, jobs=jobs, prefix=f"{path}!/", excludes=excludes)
    except (ArchiveError, OSError) as exc:
        raise UsageError(f"{path}: {exc}") from exc


def _exit_code(result: ScanResult, fail_on: str) -> int:
    if fail_on == "never":
        return 0
    threshold = Severity.BLOCK if fail_on == "block" else Severity.WARN
    return 1 if any(f.severity >= threshold for f in result.findings) else 0


def _diff_scope(args: argparse.Namespace) -> DiffScope | None:
    if not args.diff and not args.base:
        return None
    from analyzer.diff import DiffError, parse_diff

    if args.diff:
        try:
            text = sys.stdin.read() if args.diff == "-" else Path(args.diff).read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise UsageError(f"cannot read diff {args.diff}: {exc.strerror}") from exc
    else:
        import subprocess

        try:
            text = subprocess.run(
                ["git", "diff", "--no-color", "--no-ext-diff", args.base, "--"],
                capture_output=True, text=True, check=True,
            ).stdout
        except FileNotFoundError as exc:
            raise UsageError("--base needs git on the PATH") from exc
        except subprocess.CalledProcessError as exc:
            raise UsageError(f"git diff {args.base} failed: {exc.stderr.strip()}") from exc
    try:
        scope = parse_diff(text)
    except DiffError as exc:
        raise UsageError(str(exc)) from exc
    if args.base:
        _add_untracked(scope)
    return scope


def _git_root() -> str | None:
    import subprocess

    try:
        return subprocess.run(["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=True).stdout.strip()
    except (FileNotFoundError, subprocess.CalledProcessError):
        return None


def _relative_to(path: str, root: str) -> str:
    """Diff paths are relative to the repository root (or the current folder outside git)."""
    if "!/" in path:  # a member of a scanned archive is never in a work-tree diff
        return path
    return os.path.relpath(os.path.abspath(path), root).replace(os.sep, "/")


def _add_untracked(scope: DiffScope) -> None:
    """`git diff REV` leaves out files git does not track yet: every line of a new .py file is added."""
    import subprocess

    from analyzer.diff import FileChange

    root = _git_root()
    if root is None:
        return
    listed = subprocess.run(["git", "-C", root, "ls-files", "--others", "--exclude-standard", "-z", "--", "*.py"], capture_output=True, text=True)
    for relative in filter(None, listed.stdout.split("\0")):
        try:
            data = Path(root, relative).read_bytes()
        except OSError:
            continue
        lines = frozenset(range(1, data.count(b"\n") + 2))
        scope.files[relative] = FileChange(relative, lines, lines, status="added")


class _progress:
    """A rich progress bar on a terminal; nothing when stderr is piped."""

    def __init__(self, total: int):
        self.total = total
        self.bar = None

    def __enter__(self):
        if self.total < 50 or not sys.stderr.isatty():
            return None
        from rich.progress import Progress

        self.bar = Progress(transient=True)
        self.bar.start()
        task = self.bar.add_task("scanning", total=self.total)
        return lambda n: self.bar.advance(task, n)

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.stop()


def run_structure(args: argparse.Namespace) -> int:
    from analyzer.structure import file_structure, render_structure_text, structure_dict

    archives = [p for p in args.paths if p.endswith(".zip") and Path(p).is_file()]
    excludes = ExcludeRules(DEFAULT_EXCLUDES + tuple(args.exclude))
    jobs = args.jobs or os.cpu_count() or 1
    try:
        files = list(discover([p for p in args.paths if p not in archives], excludes))
        sources = [(path[2:] if path.startswith("./") else path, Path(path).read_bytes()) for path in files]
    except (FileNotFoundError, OSError) as exc:
        raise UsageError(str(exc)) from exc
    result = scan_blobs(sources, ScanOptions(), jobs=jobs)
    for archive in archives:
        scanned = _scan_archive(archive, ScanOptions(), excludes, jobs)
        sources += scanned.sources
        _merge(result, scanned.result)
    findings_by_path: dict[str, list] = {}
    for finding in result.findings:
        findings_by_path.setdefault(finding.path, []).append(finding)
    structures = [file_structure(data, name, findings_by_path.get(name, [])) for name, data in sources]
    if args.format == "json":
        sys.stdout.write(json.dumps(structure_dict(structures), indent=2) + "\n")
    else:
        sys.stdout.write(render_structure_text(structures))
    return 0


def run_rules(args: argparse.Namespace) -> int:
    catalog = all_rules()
    if args.format == "json":
        payload = [{"id": r.id, "severity": r.severity.name, "summary": r.summary, "precision": r.precision} for r in catalog.values()]
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")
        return 0
    width = max(len(rule_id) for rule_id in catalog)
    for rule in catalog.values():
        sys.stdout.write(f"{rule.id:<{width}}  {rule.severity.name:<5}  {rule.summary}\n")
    sys.stdout.write(f"\n{len(catalog)} rules. `ainascan explain RULE` prints one in full.\n")
    return 0


def run_explain(args: argparse.Namespace) -> int:
    rule = all_rules().get(args.rule_id.upper())
    if rule is None:
        raise UsageError(f"unknown rule {args.rule_id!r}; `ainascan rules` lists them")
    sys.stdout.write(f"{rule.id} ({rule.severity.name}, measured precision {rule.precision:.2f})\n\n{rule.doc}\n")
    return 0


def build_parser(prog: str = "ainascan") -> tuple[argparse.ArgumentParser, argparse._SubParsersAction]:
    parser = argparse.ArgumentParser(prog=prog, description="AINAScan: find hollow code that looks right and does nothing.")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_analyzer_commands(subparsers)
    return parser, subparsers


def dispatch(parser: argparse.ArgumentParser, argv: list[str] | None) -> int:
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except UsageError as exc:
        sys.stderr.write(f"{parser.prog}: error: {exc}\n")
        return 2
    except BrokenPipeError:
        return 0


def main(argv: list[str] | None = None) -> int:
    parser, _ = build_parser("python -m analyzer")
    return dispatch(parser, argv)
