"""Tests for bot/analysis.py: analyzing head contents and keeping only what the pull request introduced."""

from __future__ import annotations

from analyzer.diff import patch_changes
from analyzer.engine import ScanOptions
from bot.analysis import analyze
from bot.pull_request import Blob, ReviewPlan, Skipped
from standin_github import github_patch

OLD = '''def save_profile(user_id, profile):
    validated = dict(profile)
    return {"status": "saved", "user_id": user_id}
'''
NEW = OLD + '''

def save_order(user_id, order):
    validated = dict(order)
    return {"status": "saved", "user_id": user_id}
'''


def _plan(path: str, before: str, after: str, skipped=()) -> ReviewPlan:
    return ReviewPlan({path: patch_changes(path, github_patch(before, after))}, tuple(skipped))


def test_only_findings_on_added_lines_are_kept():
    analysis = analyze(_plan("app/store.py", OLD, NEW), {"app/store.py": Blob(NEW, byte_size=len(NEW))}, ScanOptions())
    assert [(f.rule_id, f.line) for f in analysis.findings] == [("MISSING_WRITE", 6)]  # save_profile was there before
    assert analysis.files_analyzed == 1 and analysis.sources["app/store.py"][5] == "def save_order(user_id, order):"
    assert analysis.skipped == []


def test_files_that_cannot_be_read_are_named_with_a_reason():
    paths = ["bin.py", "big.py", "huge.py", "gone.py", "bad.py"]
    plan = ReviewPlan({p: patch_changes(p, github_patch("", "x = 1\n")) for p in paths}, (Skipped("ex.py", "excluded"),))
    blobs = {
        "bin.py": Blob(None, is_binary=True, byte_size=10),
        "big.py": Blob(None, byte_size=2_000_000),
        "huge.py": Blob("x = 1\n", byte_size=50),
        "gone.py": None,
        "bad.py": Blob("def broken(:\n", byte_size=13),
    }
    analysis = analyze(plan, blobs, ScanOptions(max_bytes=40))
    reasons = {s.path: s.reason for s in analysis.skipped}
    assert reasons["ex.py"] == "excluded"
    assert reasons["bin.py"] == "binary file"
    assert reasons["big.py"].startswith("2,000,000 bytes is over the analyzer's 40-byte limit")
    assert reasons["huge.py"] == "50 bytes is over the analyzer's 40-byte limit"
    assert reasons["gone.py"] == "not a file at the head commit"
    assert reasons["bad.py"].startswith("syntax-error")
    assert analysis.files_analyzed == 0 and analysis.findings == []


def test_text_the_api_would_not_give_is_named_as_too_large():
    plan = _plan("a.py", "", "x = 1\n")
    analysis = analyze(plan, {"a.py": Blob(None, byte_size=900_000)}, ScanOptions())
    assert analysis.skipped == [Skipped("a.py", "too large to read through GitHub's API (900,000 bytes)")]
