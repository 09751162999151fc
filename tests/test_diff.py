"""Diff scoping: the lines a diff adds, per file, and keeping only the findings a change introduced."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from analyzer.diff import DiffError, DiffScope, FileChange, parse_diff, patch_changes
from analyzer.engine import ScanOptions, scan_source
from analyzer.model import Finding, Severity
from analyzer.registry import all_rules

HOLLOW_OLD = 'def save_order(order_id, items):\n    return {"status": "saved"}\n'
HOLLOW_NEW = '\n\ndef save_invoice(invoice_id, lines):\n    return {"status": "saved"}\n'


def git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(command, cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git work tree with app/store.py committed (one hollow function) and a second one added since."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    git(tmp_path, "init", "-q")
    (tmp_path / "app").mkdir()
    store = tmp_path / "app" / "store.py"
    store.write_text(HOLLOW_OLD)
    git(tmp_path, "add", "app/store.py")
    git(tmp_path, "commit", "-q", "-m", "first")
    store.write_text(HOLLOW_OLD + HOLLOW_NEW)
    return tmp_path


def finding(path: str, line: int, end_line: int | None = None, evidence: tuple[int, ...] = ()) -> Finding:
    return Finding("RULE", Severity.BLOCK, path, line, end_line or line, None, "m", 1.0, evidence)


def test_real_git_diff_keeps_only_the_new_function(repo):
    scope = parse_diff(git(repo, "diff"))
    assert scope.added_lines("app/store.py") == frozenset({3, 4, 5, 6})
    source = (repo / "app" / "store.py").read_text()
    findings = scan_source(source, "app/store.py", ScanOptions(rules=[all_rules()["MISSING_WRITE"]])).findings
    assert sorted(f.line for f in findings) == [1, 5]  # the old one and the new one
    kept = scope.keep_introduced(findings)
    assert [f.line for f in kept] == [5]
    assert kept[0].function == "save_invoice"


def test_real_git_diff_of_a_new_file_and_a_rename(repo):
    git(repo, "add", "app/store.py")
    git(repo, "commit", "-q", "-m", "second")
    git(repo, "mv", "app/store.py", "app/shop.py")
    (repo / "app" / "fresh.py").write_text("a = 1\nb = 2\n")
    git(repo, "add", "-A")
    scope = parse_diff(git(repo, "diff", "--cached", "-M"))
    assert scope.files["app/fresh.py"].status == "added"
    assert scope.added_lines("app/fresh.py") == frozenset({1, 2})
    renamed = scope.files["app/shop.py"]
    assert (renamed.status, renamed.old_path, renamed.added) == ("renamed", "app/store.py", frozenset())


def test_findings_are_introduced_by_any_added_evidence_line():
    scope = parse_diff("--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,4 @@\n a\n+b\n c\n d\n")
    assert scope.added_lines("m.py") == frozenset({2})
    assert scope.introduced(finding("m.py", 2))
    assert not scope.introduced(finding("m.py", 3))
    assert scope.introduced(finding("m.py", 1, 3))  # evidence defaults to the line span
    assert scope.introduced(finding("m.py", 4, evidence=(2, 4)))
    assert not scope.introduced(finding("m.py", 2, evidence=(3,)))  # explicit evidence wins over the anchor
    assert not scope.introduced(finding("other.py", 2))


def test_finding_paths_are_normalized_before_lookup():
    scope = parse_diff("--- a/pkg/m.py\n+++ b/pkg/m.py\n@@ -0,0 +1 @@\n+x\n")
    assert scope.introduced(finding("./pkg/m.py", 1))
    assert scope.introduced(finding("pkg\\m.py", 1))


def test_context_and_added_lines_are_commentable():
    scope = parse_diff("--- a/m.py\n+++ b/m.py\n@@ -10,3 +10,3 @@\n a\n-b\n+B\n c\n")
    change = scope.files["m.py"]
    assert change.added == frozenset({11})
    assert change.commentable == frozenset({10, 11, 12})
    assert change.status == "modified"


def test_added_deleted_and_binary_files():
    text = (
        "diff --git a/new.py b/new.py\nnew file mode 100644\nindex 0000000..1111111\n--- /dev/null\n+++ b/new.py\n@@ -0,0 +1,2 @@\n+a = 1\n+b = 2\n"
        "diff --git a/gone.py b/gone.py\ndeleted file mode 100644\nindex 1111111..0000000\n--- a/gone.py\n+++ /dev/null\n@@ -1,2 +0,0 @@\n-a = 1\n-b = 2\n"
        "diff --git a/logo.png b/logo.png\nnew file mode 100644\nindex 0000000..2222222\nBinary files /dev/null and b/logo.png differ\n"
    )
    scope = parse_diff(text)
    assert {path: change.status for path, change in scope.files.items()} == {"new.py": "added", "gone.py": "removed", "logo.png": "binary"}
    assert scope.added_lines("new.py") == frozenset({1, 2})
    assert scope.added_lines("gone.py") == frozenset()
    assert scope.added_lines("logo.png") == frozenset()


def test_pure_rename_has_no_added_lines():
    scope = parse_diff("diff --git a/old.py b/new.py\nsimilarity index 100%\nrename from old.py\nrename to new.py\n")
    change = scope.files["new.py"]
    assert (change.status, change.old_path, change.added) == ("renamed", "old.py", frozenset())


def test_rename_with_edits():
    text = (
        "diff --git a/old.py b/new.py\nsimilarity index 80%\nrename from old.py\nrename to new.py\nindex 1111111..2222222 100644\n"
        "--- a/old.py\n+++ b/new.py\n@@ -1,2 +1,3 @@\n a = 1\n+b = 2\n c = 3\n"
    )
    change = parse_diff(text).files["new.py"]
    assert (change.status, change.old_path, change.added) == ("renamed", "old.py", frozenset({2}))


def test_blank_diff_is_an_empty_scope():
    assert parse_diff("").files == {}
    assert parse_diff("\n  \n").files == {}
    assert DiffScope().keep_introduced([finding("a.py", 1)]) == []


@pytest.mark.parametrize(
    "text",
    [
        "this is a commit message, not a diff\n",
        "--- a/m.py\n+++ b/m.py\n@@ -1,2 +1,5 @@\n+only one line\n",  # hunk shorter than its header says
        "--- a/m.py\n+++ b/m.py\n@@ -1,3 +1,3 @@\n a\n-b\n",  # truncated
    ],
)
def test_unreadable_diff_raises(text):
    with pytest.raises(DiffError):
        parse_diff(text)


# ---------------------------------------------------------------- GitHub's header-less per-file patch


def test_github_patch_without_headers():
    patch = "@@ -1,3 +1,4 @@\n def f():\n+    x = 1\n     return 2\n \n@@ -20,2 +21,3 @@ def g():\n     a\n+    b\n     c"
    change = patch_changes("./src/app.py", patch)
    assert change == FileChange("src/app.py", frozenset({2, 22}), frozenset({1, 2, 3, 4, 21, 22, 23}), "modified", None)


def test_github_patch_of_a_new_file():
    change = patch_changes("new.py", "@@ -0,0 +1,2 @@\n+a = 1\n+b = 2\n")
    assert change.added == frozenset({1, 2})
    assert change.status == "added"  # a hunk from line 0 of nothing is a new file


def test_github_file_without_patch_is_binary_or_too_large():
    for patch in (None, ""):
        change = patch_changes("big.py", patch)
        assert (change.status, change.added, change.commentable) == ("binary", frozenset(), frozenset())


@pytest.mark.parametrize("patch", ["not a patch at all", "@@ -1,2 +1,9 @@\n a\n"])
def test_unreadable_github_patch_raises(patch):
    with pytest.raises(DiffError):
        patch_changes("x.py", patch)
