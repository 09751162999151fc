"""Scan a ZIP archive held in memory: read it safely, build its project context, scan its Python files across processes.

One function for `ainascan scan project.zip` and the bot's full-repository
scan of a GitHub zipball, so both read, refuse and scan an archive the same
way. Nothing is written to disk; a hostile or oversized archive raises
analyzer.archive.ArchiveError with a message that says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from analyzer.archive import ArchiveContents, ArchiveLimits, read_archive
from analyzer.engine import ScanOptions
from analyzer.model import FileError, ScanResult
from analyzer.project import ProjectContext, dependencies_from_files, module_names_of
from analyzer.scanner import ExcludeRules, scan_blobs


@dataclass
class ArchiveScan:
    """What scanning an archive produced, the Python files it scanned (named as in the findings), and those excluded."""

    result: ScanResult
    sources: list[tuple[str, bytes]] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)


def archive_project_context(contents: ArchiveContents) -> ProjectContext:
    """The dependencies the archive's top-level dependency files declare, and its top-level modules."""
    declared = dependencies_from_files({name: data.decode("utf-8", "replace") for name, data in contents.other_files.items()})
    local = module_names_of(name for name, _ in contents.python_files)
    return ProjectContext(frozenset(declared), frozenset(local), bool(contents.other_files))


def scan_archive_bytes(
    data: bytes,
    options: ScanOptions,
    *,
    limits: ArchiveLimits | None = None,
    jobs: int | None = None,
    prefix: str = "",
    excludes: ExcludeRules | None = None,
) -> ArchiveScan:
    """Scan every Python file of the ZIP archive `data`; paths in the result are `prefix` + the member's name.

    `limits` default to the archive reader's, with the per-file cap at
    `options.max_bytes`. Members matching `excludes` are left out (and named
    in `excluded`); files too large to read are errors of the result.
    """
    limits = limits or ArchiveLimits(max_file_bytes=options.max_bytes)
    contents = read_archive(data, limits)
    options = replace(options, project=archive_project_context(contents))
    scanned: list[tuple[str, bytes]] = []
    excluded: list[str] = []
    for name, payload in contents.python_files:
        if excludes is not None and excludes.excludes(name, is_dir=False):
            excluded.append(prefix + name)
        else:
            scanned.append((prefix + name, payload))
    result = scan_blobs(scanned, options, jobs=jobs)
    for error in contents.skipped:
        if excludes is not None and excludes.excludes(error.path, is_dir=False):
            excluded.append(prefix + error.path)
        else:
            result.errors.append(FileError(prefix + error.path, error.kind, error.message, error.line))
    result.sort()
    return ArchiveScan(result, scanned, excluded)
