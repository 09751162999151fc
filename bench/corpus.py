"""The benchmark corpus: real, pinned PyPI packages installed (never imported) into bench/.corpus/site.

The six packages of the brief come to about 463,000 lines of Python; Flask's
own dependencies Werkzeug, Jinja2 and click, pinned at versions of the same
month, bring the corpus past half a million. Every benchmark that imports this
module reads the same files: `ensure_corpus()` installs what is missing and
returns the folder, `python_files()` lists it, `count_lines()` sizes it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PINS: tuple[str, ...] = (
    "Django==5.1.4",
    "Flask==3.1.0",
    "requests==2.32.3",
    "SQLAlchemy==2.0.36",
    "fastapi==0.115.6",
    "pydantic==2.10.4",
    "Werkzeug==3.1.3",
    "Jinja2==3.1.5",
    "click==8.1.8",
)

CORPUS_ROOT = Path(__file__).resolve().parent / ".corpus" / "site"


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def installed_pins(root: Path) -> set[str]:
    """The `name==version` pins whose .dist-info folder is in `root`, names normalized."""
    found = set()
    for dist_info in root.glob("*.dist-info"):
        name, _, version = dist_info.name.removesuffix(".dist-info").partition("-")
        found.add(f"{_normalized(name)}=={version}")
    return found


def missing_pins(root: Path, pins: tuple[str, ...] = PINS) -> list[str]:
    """The pins not yet installed in `root`, in their given order."""
    present = installed_pins(root) if root.is_dir() else set()
    missing = []
    for pin in pins:
        name, _, version = pin.partition("==")
        if f"{_normalized(name)}=={version}" not in present:
            missing.append(pin)
    return missing


def ensure_corpus(root: Path = CORPUS_ROOT, pins: tuple[str, ...] = PINS) -> Path:
    """Install the pins that are missing into `root` (without their dependencies) and return `root`."""
    missing = missing_pins(root, pins)
    if missing:
        root.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(root), *missing],
            check=True,
        )
    return root


def python_files(root: Path) -> list[Path]:
    """Every .py file under `root`, in a stable order, outside __pycache__ (the files `ainascan scan` reads)."""
    return sorted(path for path in root.rglob("*.py") if "__pycache__" not in path.parts)


def count_lines(path: Path) -> int:
    """Physical lines in one file, counted as the analyzer counts them (a last line without newline counts)."""
    data = path.read_bytes()
    return data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)


def corpus_lines(files: list[Path]) -> int:
    """Physical lines in all the given files."""
    return sum(count_lines(path) for path in files)


if __name__ == "__main__":
    corpus = ensure_corpus()
    files = python_files(corpus)
    print(f"{corpus}: {len(files):,} files, {corpus_lines(files):,} lines")
