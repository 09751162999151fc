"""Scan many files: find the Python files under the given paths and analyze them across processes."""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from analyzer.engine import ScanOptions, scan_source
from analyzer.model import FileError, FileResult, ScanResult
from analyzer.project import relative_path

# Hidden folders (.git, .venv, .tox, caches), virtual environments and installed packages: never a project's own code.
DEFAULT_EXCLUDES = (".*/", "venv/", "__pycache__/", "node_modules/", "site-packages/")


@dataclass(frozen=True)
class ExcludeRules:
    """`.gitignore`-style patterns: `name` matches any path component, `dir/` only directories,
    a pattern with a slash is anchored at the scanned root, `*` stays within one folder, `**` spans folders."""

    patterns: tuple[str, ...] = DEFAULT_EXCLUDES

    def excludes(self, relative: str, is_dir: bool) -> bool:
        parts = relative.replace(os.sep, "/").strip("/").split("/")
        for raw in self.patterns:
            pattern = raw.strip()
            if not pattern or pattern.startswith("#"):
                continue
            dir_only = pattern.endswith("/")
            pattern = pattern.rstrip("/")
            # A file is excluded when it or one of its folders matches; a dir-only pattern matches folders only.
            candidates = len(parts) if is_dir or not dir_only else len(parts) - 1
            if "/" in pattern:
                anchored = _glob_regex(pattern.lstrip("/"))
                if any(anchored.fullmatch("/".join(parts[:end])) for end in range(1, candidates + 1)):
                    return True
            elif any(fnmatch.fnmatchcase(part, pattern) for part in parts[:candidates]):
                return True
        return False

    def excludes_entry(self, relative: str, is_dir: bool) -> bool:
        """`excludes(relative, is_dir)` for an entry of a folder already known not to be excluded:
        every test on the folders was made when the walk entered them, so only the last part is left."""
        parts = relative.replace(os.sep, "/").strip("/").split("/")
        for raw in self.patterns:
            pattern = raw.strip()
            if not pattern or pattern.startswith("#") or (pattern.endswith("/") and not is_dir):
                continue
            pattern = pattern.rstrip("/")
            if "/" in pattern:
                if _glob_regex(pattern.lstrip("/")).fullmatch("/".join(parts)):
                    return True
            elif fnmatch.fnmatchcase(parts[-1], pattern):
                return True
        return False


@functools.lru_cache(maxsize=256)
def _glob_regex(pattern: str) -> re.Pattern:
    """A gitignore glob as a regex: `*`, `?` and `[...]` match within one folder, `**/` any folders."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 2 :]:
            end = pattern.index("]", i + 2)
            body = pattern[i + 1 : end].replace("\\", "\\\\").replace("[", "\\[")
            out.append("[" + ("^/" + body[1:] if body[0] in "!^" else body) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def discover(paths: Iterable[str], excludes: ExcludeRules = ExcludeRules()) -> Iterator[str]:
    """Python files under the given paths, in a stable order. Named files are always included."""
    for given in paths:
        root = Path(given)
        if root.is_file():
            yield given
            continue
        if not root.is_dir():
            raise FileNotFoundError(f"no such file or folder: {given}")
        top = os.fspath(root)
        for folder, dirnames, filenames in os.walk(top):
            folder_rel = relative_path(folder, top)
            folder_rel = "" if folder_rel == "." else folder_rel
            dirnames[:] = sorted(
                d for d in dirnames if not excludes.excludes_entry(os.path.join(folder_rel, d), is_dir=True)
            )
            for filename in sorted(filenames):
                if filename.endswith(".py") and not excludes.excludes_entry(os.path.join(folder_rel, filename), is_dir=False):
                    yield os.path.join(folder, filename)


def scan_file(path: str, options: ScanOptions) -> FileResult:
    """Read one file from disk and scan it; unreadable files become errors."""
    display = path[2:] if path.startswith("./") else path
    try:
        size = os.path.getsize(path)
        if size > options.max_bytes:
            return FileResult(display, error=FileError(display, "too-large", f"{size:,} bytes is over the {options.max_bytes:,}-byte limit"))
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return FileResult(display, error=FileError(display, "unreadable", exc.strerror or str(exc)))
    return scan_source(data, display, options)


_WORKER_OPTIONS: ScanOptions | None = None


def _init_worker(options: ScanOptions) -> None:
    global _WORKER_OPTIONS
    _WORKER_OPTIONS = options


def _scan_file_chunk(paths: list[str]) -> list[FileResult]:
    assert _WORKER_OPTIONS is not None
    return [scan_file(path, _WORKER_OPTIONS) for path in paths]


def _scan_blob_chunk(blobs: list[tuple[str, bytes]]) -> list[FileResult]:
    assert _WORKER_OPTIONS is not None
    return [scan_source(data, name, _WORKER_OPTIONS) for name, data in blobs]


def scan_paths(
    files: list[str],
    options: ScanOptions,
    jobs: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ScanResult:
    """Scan files on disk, in parallel across `jobs` processes when there are enough of them."""
    return _scan_parallel(files, _scan_file_chunk, options, jobs, on_progress)


def scan_blobs(
    blobs: list[tuple[str, bytes]],
    options: ScanOptions,
    jobs: int | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ScanResult:
    """Scan (path, contents) pairs held in memory, such as the members of an archive."""
    return _scan_parallel(blobs, _scan_blob_chunk, options, jobs, on_progress)


def _scan_parallel(items: list, scan_chunk: Callable[[list], list[FileResult]], options: ScanOptions, jobs: int | None, on_progress: Callable[[int], None] | None) -> ScanResult:
    result = ScanResult()
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1 or len(items) < 8:
        _init_worker(options)
        for item in items:
            result.add(scan_chunk([item])[0])
            if on_progress:
                on_progress(1)
        return result.sort()
    chunk_size = max(1, min(32, len(items) // (jobs * 4) or 1))
    chunks = [items[i : i + chunk_size] for i in range(0, len(items), chunk_size)]
    from concurrent.futures import ProcessPoolExecutor  # here, not at the top: multiprocessing costs a one-process scan ~10 ms to import

    with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(options,)) as pool:
        for results in pool.map(scan_chunk, chunks):
            for file_result in results:
                result.add(file_result)
            if on_progress:
                on_progress(len(results))
    return result.sort()
