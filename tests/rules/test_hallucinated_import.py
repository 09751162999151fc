"""HALLUCINATED_IMPORT judges imports only against a known project: without dependency files it stays silent."""

from __future__ import annotations

from analyzer.engine import ScanOptions, scan_source
from analyzer.project import ProjectContext
from analyzer.registry import all_rules

SOURCE = "import fastapi\nimport fastapi_magic_auth\n"


def scan(project: ProjectContext | None):
    rule = all_rules()["HALLUCINATED_IMPORT"]
    return scan_source(SOURCE, "app/main.py", ScanOptions(rules=[rule], project=project)).findings


def test_flags_an_import_no_declared_dependency_provides():
    findings = scan(ProjectContext(frozenset({"fastapi"}), frozenset({"app"}), has_dependency_files=True))
    assert [(f.line, f.rule_id) for f in findings] == [(2, "HALLUCINATED_IMPORT")]
    assert "fastapi_magic_auth" in findings[0].message


def test_silent_without_project_context():
    assert scan(None) == []


def test_silent_when_the_project_has_no_dependency_files():
    assert scan(ProjectContext(frozenset(), frozenset({"app"}), has_dependency_files=False)) == []


def test_a_dependency_declared_later_clears_the_finding():
    declared = ProjectContext(frozenset({"fastapi", "fastapi-magic-auth"}), frozenset(), has_dependency_files=True)
    assert scan(declared) == []
