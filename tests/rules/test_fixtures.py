"""Every rule against its fixture: lines marked `# expect: RULE_ID` must be flagged, every other line must not.

A fixture is `tests/rules/fixtures/RULE_ID.py`: positives and near-misses
that read as documentation. A marker names the line where the finding is
anchored (Finding.line). Several rules may be expected on one line:
`# expect: RULE_A, RULE_B`.

A fixture for a rule that needs project context (HALLUCINATED_IMPORT) states
it in one comment line, and the scan is given that context:
`# fixture-project: dependencies=fastapi, pyyaml; modules=app`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analyzer.engine import ScanOptions, scan_source
from analyzer.project import ProjectContext, normalize_distribution
from analyzer.registry import all_rules

FIXTURES = Path(__file__).parent / "fixtures"
_EXPECT = re.compile(r"#\s*expect:\s*([A-Z0-9_, ]+)")
_PROJECT = re.compile(r"^#\s*fixture-project:\s*(.*)$", re.MULTILINE)


def fixture_project(source: str) -> ProjectContext | None:
    """The project context a fixture declares in a `# fixture-project:` line, or None."""
    match = _PROJECT.search(source)
    if match is None:
        return None
    fields = dict(part.strip().partition("=")[::2] for part in match.group(1).split(";") if "=" in part)

    def listed(key: str) -> frozenset[str]:
        return frozenset(item.strip() for item in fields.get(key, "").split(",") if item.strip())

    dependencies = frozenset(normalize_distribution(name) for name in listed("dependencies"))
    return ProjectContext(dependencies, listed("modules"), has_dependency_files=True)


def expected_lines(source: str, rule_id: str) -> set[int]:
    lines = set()
    for number, text in enumerate(source.splitlines(), start=1):
        match = _EXPECT.search(text)
        if match and rule_id in {part.strip() for part in match.group(1).split(",")}:
            lines.add(number)
    return lines


@pytest.mark.parametrize("rule_id", sorted(all_rules()))
def test_rule_has_fixture_with_positives_and_near_misses(rule_id):
    path = FIXTURES / f"{rule_id}.py"
    assert path.is_file(), f"missing fixture {path.relative_to(FIXTURES.parent.parent.parent)}"
    source = path.read_text(encoding="utf-8")
    assert expected_lines(source, rule_id), f"{rule_id} fixture marks no positive line"
    assert "near-miss" in source.lower(), f"{rule_id} fixture has no near-miss section"


@pytest.mark.parametrize("rule_id", sorted(all_rules()))
def test_rule_flags_exactly_the_marked_lines(rule_id):
    path = FIXTURES / f"{rule_id}.py"
    if not path.is_file():
        pytest.fail(f"missing fixture for {rule_id}")
    source = path.read_text(encoding="utf-8")
    rule = all_rules()[rule_id]
    result = scan_source(source, f"app/{rule_id.lower()}.py", ScanOptions(rules=[rule], project=fixture_project(source)))
    assert result.error is None, result.error
    flagged = {f.line for f in result.findings}
    expected = expected_lines(source, rule_id)
    missed = sorted(expected - flagged)
    noisy = sorted(flagged - expected)
    assert not missed and not noisy, f"{rule_id}: missed lines {missed}, false alarms on lines {noisy}"


@pytest.mark.parametrize("rule_id", sorted(all_rules()))
def test_rule_documents_itself(rule_id):
    rule = all_rules()[rule_id]
    for section in ("What it does", "Why it matters", "Example", "Use instead"):
        assert rule.doc_section(section), f"{rule_id} docstring lacks '{section}'"
