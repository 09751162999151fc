"""Project context some rules need: the dependencies a project declares and the modules it has.

The analyzer takes it as an explicit, optional input; the CLI builds it from
the folder it scans (and the bot from the repository), by reading the
dependency files as text, never by running them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def normalize_distribution(name: str) -> str:
    """PEP 503 normal form: `Foo_Bar.baz` -> `foo-bar-baz`."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class ProjectContext:
    declared_dependencies: frozenset[str] = field(default_factory=frozenset)  # normalized distribution names
    local_modules: frozenset[str] = field(default_factory=frozenset)  # top-level module/package names
    has_dependency_files: bool = False


def requirement_names(lines: list[str]) -> set[str]:
    """Distribution names from requirements-style lines (comments, options and URLs skipped)."""
    names = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith(("-", "git+", "http:", "https:", "file:")):
            continue
        match = _REQUIREMENT_NAME.match(line)
        if match:
            names.add(normalize_distribution(match.group(1)))
    return names


def dependencies_from_files(files: dict[str, str]) -> set[str]:
    """Declared dependencies from dependency files given as {relative path: text}."""
    names: set[str] = set()
    for path, text in files.items():
        filename = path.rsplit("/", 1)[-1]
        if filename == "pyproject.toml":
            names |= _pyproject_dependencies(text)
        elif filename.startswith("requirements") and filename.endswith((".txt", ".in")):
            names |= requirement_names(text.splitlines())
        elif filename in ("setup.cfg", "setup.py", "Pipfile", "environment.yml"):
            # Loose: any quoted or listed requirement-looking token counts as declared.
            names |= {normalize_distribution(m) for m in re.findall(r"['\"\s=]([A-Za-z][A-Za-z0-9._-]+)\s*(?:[<>=!~;\[,'\"]|$)", text, re.M)}
    return names


def _pyproject_dependencies(text: str) -> set[str]:
    import tomllib  # here, not at the top: only a project with a pyproject.toml needs it, and it costs 5 ms to import

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return set()
    lines: list[str] = []
    project = data.get("project", {})
    lines += project.get("dependencies", [])
    for group in project.get("optional-dependencies", {}).values():
        lines += group
    for group in data.get("dependency-groups", {}).values():
        lines += [item for item in group if isinstance(item, str)]
    poetry = data.get("tool", {}).get("poetry", {})
    names = requirement_names(lines)
    for section in ("dependencies", "dev-dependencies"):
        names |= {normalize_distribution(n) for n in poetry.get(section, {})}
    for group in poetry.get("group", {}).values():
        names |= {normalize_distribution(n) for n in group.get("dependencies", {})}
    return names


DEPENDENCY_FILE_GLOBS = ("pyproject.toml", "requirements*.txt", "requirements*.in", "setup.cfg", "setup.py", "Pipfile")


def module_names_of(paths: Iterable[str]) -> set[str]:
    """Every name a project's own files can be imported by: each .py file's stem and each folder holding one.

    Scripts that import their siblings (`bench/noise.py` importing `corpus`)
    and packages under any layout (`src/`, `lib/`, nested apps) all count.
    """
    names: set[str] = set()
    for path in paths:
        parts = path.replace("\\", "/").split("/")
        if parts[-1].endswith(".py"):
            names.add(parts[-1][:-3])
        names.update(part for part in parts[:-1] if part.isidentifier())
    names.discard("__init__")
    return names


def relative_path(path: str, root: str) -> str:
    """`os.path.relpath(path, root)` for a path built by joining names onto `root`, without relpath's two abspath calls."""
    if root and not root.endswith(os.sep) and path.startswith(root + os.sep):
        return path[len(root) + 1 :]
    return os.path.relpath(path, root)


def project_context_for(root: Path, scanned: Iterable[str] = ()) -> ProjectContext:
    """Build the context from a folder on disk: its dependency files, and the modules of its top
    level and of the `scanned` Python files (paths)."""
    files: dict[str, str] = {}
    for pattern in DEPENDENCY_FILE_GLOBS:
        for path in root.glob(pattern):
            try:
                files[path.name] = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
    top = os.fspath(root)
    local = module_names_of(relative_path(os.fspath(path), top) for path in scanned)
    for base in (root, root / "src"):
        if not base.is_dir():
            continue
        for child in base.iterdir():
            if child.suffix == ".py":
                local.add(child.stem)
            elif child.is_dir() and not child.name.startswith("."):
                local.add(child.name)
    return ProjectContext(frozenset(dependencies_from_files(files)), frozenset(local), bool(files))
