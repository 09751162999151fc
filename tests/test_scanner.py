"""Scanning many files: which files are found, gitignore-style excludes, and parallel scans that match serial ones."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from analyzer.engine import ScanOptions
from analyzer.registry import FUNCTION, Report, Rule
from analyzer.model import Severity
from analyzer.scanner import DEFAULT_EXCLUDES, ExcludeRules, discover, scan_blobs, scan_file, scan_paths


def flag_every_function(fn, ctx):
    yield Report(line=fn.line, message=f"function `{fn.name}`")


# Module level, so that worker processes can unpickle it.
FLAG_FUNCTIONS = Rule("TEST_FLAG_FUNCTIONS", Severity.BLOCK, flag_every_function, (FUNCTION,), 1.0, __name__)
OPTIONS = ScanOptions(rules=[FLAG_FUNCTIONS])


def write(root: Path, relative: str, text: str = "def f():\n    pass\n") -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def found(root: Path, *patterns: str) -> list[str]:
    rules = ExcludeRules(DEFAULT_EXCLUDES + patterns)
    return sorted(os.path.relpath(p, root).replace(os.sep, "/") for p in discover([str(root)], rules))


# ---------------------------------------------------------------- discovery and excludes


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for relative in (
        "main.py",
        "notes.txt",
        "pkg/__init__.py",
        "pkg/models.py",
        "pkg/sub/deep.py",
        "pkg/sub/models.py",
        "build/gen.py",
        "pkg/build/gen.py",
        "docs/conf.py",
        ".venv/lib/site.py",
        "node_modules/x/y.py",
        "src/__pycache__/cached.py",
    ):
        write(tmp_path, relative)
    return tmp_path


def test_finds_python_files_and_skips_default_excludes(tree):
    assert found(tree) == [
        "build/gen.py",
        "docs/conf.py",
        "main.py",
        "pkg/__init__.py",
        "pkg/build/gen.py",
        "pkg/models.py",
        "pkg/sub/deep.py",
        "pkg/sub/models.py",
    ]


def test_a_bare_name_matches_at_any_depth(tree):
    assert "pkg/models.py" not in found(tree, "models.py")
    assert "pkg/sub/models.py" not in found(tree, "models.py")
    assert "main.py" in found(tree, "models.py")


def test_a_bare_name_with_a_wildcard(tree):
    assert found(tree, "*.py") == []
    assert found(tree, "m*.py") == ["build/gen.py", "docs/conf.py", "pkg/__init__.py", "pkg/build/gen.py", "pkg/sub/deep.py"]


def test_a_trailing_slash_matches_folders_only_at_any_depth(tree):
    result = found(tree, "build/")
    assert "build/gen.py" not in result and "pkg/build/gen.py" not in result
    write(tree, "pkg/sub/sub.py")
    assert "pkg/sub/sub.py" not in found(tree, "sub/")
    assert "main.py" in found(tree, "main.py/")  # a file named like the pattern is not a folder


def test_a_pattern_with_a_slash_is_anchored_at_the_scanned_root(tree):
    result = found(tree, "/build")
    assert "build/gen.py" not in result and "pkg/build/gen.py" in result
    result = found(tree, "pkg/models.py")
    assert "pkg/models.py" not in result and "pkg/sub/models.py" in result
    result = found(tree, "pkg/sub")
    assert not any(path.startswith("pkg/sub/") for path in result) and "pkg/models.py" in result


def test_a_single_star_stays_within_one_folder(tree):
    result = found(tree, "pkg/*.py")
    assert "pkg/models.py" not in result and "pkg/__init__.py" not in result
    assert "pkg/sub/deep.py" in result and "pkg/sub/models.py" in result


def test_double_star_spans_folders(tree):
    result = found(tree, "pkg/**/models.py")
    assert "pkg/models.py" not in result and "pkg/sub/models.py" not in result
    assert "pkg/sub/deep.py" in result
    result = found(tree, "**/gen.py")
    assert "build/gen.py" not in result and "pkg/build/gen.py" not in result
    result = found(tree, "pkg/**")
    assert not any(path.startswith("pkg/") for path in result) and "main.py" in result


def test_comments_and_blank_patterns_are_ignored(tree):
    assert found(tree, "# main.py", "", "   ") == found(tree)


PATTERN_SETS = [DEFAULT_EXCLUDES, ("migrations", "*_pb2.py"), ("build/",), ("/app/legacy", "docs/*.py"), ("**/gen/**", "src/**/old/"), ("# c", "", "a?c/", "[!x]*.py")]
PATHS = ["a.py", "app/legacy/x.py", "app/legacy", "src/pkg/old/m.py", "x/gen/y/z.py", "abc/d.py", "build", "pkg/build/m.py", "docs/i.py", "q/migrations/0001.py", "api_pb2.py", "xa.py"]


@pytest.mark.parametrize("patterns", PATTERN_SETS)
def test_an_entry_test_agrees_with_the_full_test_once_its_folders_are_in(patterns):
    rules = ExcludeRules(tuple(patterns))
    for path in PATHS:
        parts = path.split("/")
        if any(rules.excludes("/".join(parts[:end]), is_dir=True) for end in range(1, len(parts))):
            continue  # the walk never enters an excluded folder
        for is_dir in (False, True):
            assert rules.excludes_entry(path, is_dir) == rules.excludes(path, is_dir), (patterns, path, is_dir)


def test_named_files_are_always_included(tree):
    named = str(tree / "build" / "gen.py")
    assert list(discover([named], ExcludeRules(("build/", "gen.py")))) == [named]


def test_a_missing_path_raises(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file or folder"):
        list(discover([str(tmp_path / "nope")]))


def test_discovery_order_is_stable(tree):
    first = [os.path.relpath(p, tree) for p in discover([str(tree)])]
    assert first == [os.path.relpath(p, tree) for p in discover([str(tree)])]
    assert first.index("main.py") < first.index(os.path.join("build", "gen.py"))  # a folder's files, then its folders
    assert first.index(os.path.join("pkg", "__init__.py")) < first.index(os.path.join("pkg", "models.py"))


def test_dot_slash_is_dropped_from_display_paths(tmp_path, monkeypatch):
    write(tmp_path, "pkg/a.py")
    monkeypatch.chdir(tmp_path)
    result = scan_paths(list(discover(["./pkg"])), OPTIONS, jobs=1)
    assert [f.path for f in result.findings] == ["pkg/a.py"]


# ---------------------------------------------------------------- scanning files


def test_bad_files_become_errors_and_the_good_ones_are_still_scanned(tmp_path):
    write(tmp_path, "good_a.py", "def a():\n    pass\n")
    write(tmp_path, "good_b.py", "def b():\n    pass\n")
    (tmp_path / "syntax.py").write_bytes(b"def broken(:\n")
    (tmp_path / "nulls.py").write_bytes(b"x = 1\x00\n")
    (tmp_path / "latin.py").write_bytes("x = 'caf\u00e9'\n".encode("latin-1"))
    (tmp_path / "deep.py").write_text("x = " + "-" * 20_000 + "1\n")
    (tmp_path / "huge.py").write_text("x = 1\n" * 10_000)
    options = ScanOptions(rules=[FLAG_FUNCTIONS], max_bytes=50_000)
    result = scan_paths(sorted(str(p) for p in tmp_path.iterdir()), options, jobs=1)
    errors = {Path(e.path).name: e.kind for e in result.errors}
    assert errors == {"syntax.py": "syntax-error", "nulls.py": "null-bytes", "latin.py": "encoding", "deep.py": "too-deep", "huge.py": "too-large"}
    assert [(Path(f.path).name, f.line) for f in result.findings] == [("good_a.py", 1), ("good_b.py", 1)]
    assert result.files_scanned == 7


def test_an_unreadable_file_is_an_error(tmp_path):
    missing = str(tmp_path / "vanished.py")
    result = scan_file(missing, OPTIONS)
    assert result.error is not None and result.error.kind == "unreadable"


def test_a_file_over_max_bytes_is_not_read(tmp_path):
    path = write(tmp_path, "big.py", "x = 1\n" * 100)
    result = scan_file(str(path), ScanOptions(rules=[FLAG_FUNCTIONS], max_bytes=50))
    assert result.error.kind == "too-large" and "600 bytes" in result.error.message


def test_parallel_scan_matches_serial_scan(tmp_path):
    for i in range(12):
        write(tmp_path, f"pkg/m{i:02}.py", "".join(f"def f{j}():\n    pass\n\n" for j in range(i % 3 + 1)))
    write(tmp_path, "pkg/zz_bad.py", "def broken(:\n")
    files = list(discover([str(tmp_path)]))
    progress = []
    serial = scan_paths(files, OPTIONS, jobs=1)
    parallel = scan_paths(files, OPTIONS, jobs=2, on_progress=progress.append)
    assert len(serial.findings) == sum(i % 3 + 1 for i in range(12))
    assert parallel.findings == serial.findings
    assert parallel.errors == serial.errors and len(serial.errors) == 1
    assert (parallel.files_scanned, parallel.lines_scanned) == (serial.files_scanned, serial.lines_scanned) == (13, serial.lines_scanned)
    assert sum(progress) == 13


def test_blobs_are_scanned_like_files():
    blobs = [(f"zip!/m{i}.py", b"def f():\n    pass\n") for i in range(10)] + [("zip!/bad.py", b"\x00")]
    result = scan_blobs(blobs, OPTIONS, jobs=2)
    assert len(result.findings) == 10 and [e.kind for e in result.errors] == ["null-bytes"]
    assert result.findings == sorted(result.findings, key=lambda f: f.sort_key())
