"""The five patterns of the product brief (../shared/examples/seed_patterns.py), scanned in place.

Each `# RULE_ID` comment line in that file names the rule that must flag the
statement right below it: a function (the finding's `function` is its name)
or a module-level block such as `if __name__ == "__main__":` (a finding with
no function, inside the block). The expectations are read from the file, so
the test follows it if the brief's examples change.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from analyzer.engine import ScanOptions, scan_source
from analyzer.model import Severity
from analyzer.registry import all_rules

_RULE_COMMENT = re.compile(r"^#\s*([A-Z][A-Z0-9_]+)\s*$")


@dataclass(frozen=True)
class Expectation:
    rule_id: str
    function: str | None  # None: a module-level statement
    first_line: int
    last_line: int


def expectations(source: str) -> list[Expectation]:
    """One expectation per `# RULE_ID` comment: the top-level statement that follows it."""
    tree = ast.parse(source)
    lines = source.splitlines()
    found = []
    for number, text in enumerate(lines, start=1):
        match = _RULE_COMMENT.match(text.strip())
        if not match:
            continue
        statement = next((s for s in tree.body if _first_line(s) > number), None)
        assert statement is not None, f"`# {match.group(1)}` on line {number} is followed by no statement"
        name = statement.name if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)) else None
        found.append(Expectation(match.group(1), name, statement.lineno, statement.end_lineno or statement.lineno))
    return found


def _first_line(statement: ast.stmt) -> int:
    decorators = getattr(statement, "decorator_list", None) or []
    return min([statement.lineno, *(d.lineno for d in decorators)])


@pytest.fixture
def seed_source(shared_dir: Path) -> str:
    path = shared_dir / "examples" / "seed_patterns.py"
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    return path.read_text(encoding="utf-8")


def test_the_seed_file_names_five_known_rules(seed_source):
    found = expectations(seed_source)
    assert len(found) == 5
    unknown = {e.rule_id for e in found} - set(all_rules())
    assert not unknown, f"rules named in the seed file but not in the catalog: {sorted(unknown)}"


def test_each_seed_pattern_is_flagged_by_its_rule_at_its_function(seed_source):
    result = scan_source(seed_source, "examples/seed_patterns.py")
    assert result.error is None, result.error
    missing = []
    for expected in expectations(seed_source):
        hits = [
            f
            for f in result.findings
            if f.rule_id == expected.rule_id
            and f.function == expected.function
            and expected.first_line <= f.line <= expected.last_line
        ]
        if not hits:
            missing.append(f"{expected.rule_id} at {expected.function or 'module level'} (lines {expected.first_line}-{expected.last_line})")
        else:
            assert any(f.severity is Severity.BLOCK for f in hits), f"{expected.rule_id} is only a warning on the brief's own example"
    assert not missing, "not flagged: " + "; ".join(missing)


def test_no_seed_rule_fires_on_another_seed_function(seed_source):
    """Each of the five rules flags its own pattern and none of the other four."""
    named = expectations(seed_source)
    rules = [all_rules()[e.rule_id] for e in named]
    result = scan_source(seed_source, "examples/seed_patterns.py", ScanOptions(rules=rules))
    for finding in result.findings:
        owner = next((e for e in named if e.first_line <= finding.line <= e.last_line), None)
        assert owner is not None and owner.rule_id == finding.rule_id, (
            f"{finding.rule_id} fired on line {finding.line}, which belongs to "
            f"{owner.rule_id if owner else 'no seed pattern'}"
        )
