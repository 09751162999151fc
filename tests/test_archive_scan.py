"""Tests for analyzer/archive_scan.py: an archive scanned in memory, with its project context, excludes, names and refusals."""

from __future__ import annotations

import io
import zipfile

import pytest

from analyzer.archive import ArchiveContents, ArchiveError
from analyzer.archive_scan import archive_project_context, scan_archive_bytes
from analyzer.engine import ScanOptions
from analyzer.registry import select_rules
from analyzer.scanner import ExcludeRules

HOLLOW = '''def save_profile(user_id, profile):
    validated = dict(profile)
    return {"status": "saved", "user_id": user_id}
'''
OPTIONS = ScanOptions(rules=select_rules(["MISSING_WRITE"], []))


def build_zip(members) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_findings_carry_the_prefix_and_the_sources_are_kept_for_the_structure_report():
    data = build_zip([("octo-shop-abc1234/pkg/mod.py", HOLLOW), ("octo-shop-abc1234/pkg/ok.py", "X = 1\n")])

    scanned = scan_archive_bytes(data, OPTIONS, jobs=1, prefix="shop.zip!/")

    assert [(f.rule_id, f.path, f.line) for f in scanned.result.findings] == [("MISSING_WRITE", "shop.zip!/pkg/mod.py", 1)]
    assert [name for name, _ in scanned.sources] == ["shop.zip!/pkg/mod.py", "shop.zip!/pkg/ok.py"]
    assert scanned.sources[0][1] == HOLLOW.encode() and scanned.result.files_scanned == 2


def test_excluded_members_are_named_not_scanned():
    data = build_zip([("app/mod.py", HOLLOW), ("vendor/lib.py", HOLLOW), (".venv/site.py", HOLLOW)])

    scanned = scan_archive_bytes(data, OPTIONS, jobs=1, excludes=ExcludeRules((".venv/", "vendor/")))

    assert [f.path for f in scanned.result.findings] == ["app/mod.py"]
    assert sorted(scanned.excluded) == [".venv/site.py", "vendor/lib.py"]


def test_files_over_the_size_cap_are_errors_named_like_the_findings():
    data = build_zip([("app/big.py", "X = 1\n" * 100), ("app/mod.py", HOLLOW)])

    scanned = scan_archive_bytes(data, ScanOptions(rules=OPTIONS.rules, max_bytes=200), jobs=1, prefix="a.zip!/")

    assert [(e.path, e.kind) for e in scanned.result.errors] == [("a.zip!/app/big.py", "too-large")]
    assert [f.path for f in scanned.result.findings] == ["a.zip!/app/mod.py"]


def test_parallel_and_serial_scans_agree():
    members = [(f"pkg/m{i}.py", HOLLOW.replace("save_profile", f"save_{i}")) for i in range(12)]
    data = build_zip(members)

    serial = scan_archive_bytes(data, OPTIONS, jobs=1)
    parallel = scan_archive_bytes(data, OPTIONS, jobs=2)

    assert parallel.result.findings == serial.result.findings and len(serial.result.findings) == 12


def test_the_project_context_comes_from_the_archives_dependency_files():
    contents = ArchiveContents(
        python_files=[("shop/__init__.py", b""), ("manage.py", b"")],
        other_files={"requirements.txt": b"Django>=4\nrequests_oauthlib\n"},
    )

    context = archive_project_context(contents)

    assert context.declared_dependencies == frozenset({"django", "requests-oauthlib"})
    assert context.local_modules == frozenset({"shop", "manage"}) and context.has_dependency_files


@pytest.mark.parametrize(
    ("members", "message"),
    [([("../evil.py", "x = 1\n")], "points outside the archive"), ([("bomb.py", "\0" * (8 * 1024 * 1024))], "zip bomb")],
)
def test_hostile_archives_raise_with_a_message(members, message):
    with pytest.raises(ArchiveError, match=message):
        scan_archive_bytes(build_zip(members), OPTIONS, jobs=1)
