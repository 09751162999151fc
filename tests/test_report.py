"""Renderers: text, JSON and the Markdown of a review, on a hand-built scan result (SARIF has its own test file)."""

from __future__ import annotations

import json
import re

import pytest

from analyzer.model import FileError, Finding, Fix, ScanResult, Severity
from analyzer.registry import all_rules
from analyzer.report import FORMATS, render
from analyzer.report.as_json import result_dict
from analyzer.report.as_text import render_text, summary_line
from analyzer.report.markdown import comment_body, render_review, why_it_matters

FIX = Fix(12, 12, "    app.run(debug=False)", "turn debug mode off")
BLOCK = Finding("MISSING_WRITE", Severity.BLOCK, "pkg/a.py", 3, 4, "Store.save", "`save()` writes nothing", 0.9, (3, 4))
WARN = Finding("INPUT_OUTPUT_DISCONNECTED", Severity.WARN, "pkg/b.py", 7, 7, None, "parameter `x` is unused", 0.6)
FIXED = Finding("DEBUG_MODE_RISK", Severity.BLOCK, "app.py", 12, 12, None, "`app.run(debug=True)` turns on debug mode", 0.95, (12,), FIX)
ERROR = FileError("pkg/bad.py", "syntax-error", "invalid syntax (line 1)", 1)


def first_sentence_of_why(rule_id: str) -> str:
    text = " ".join(all_rules()[rule_id].doc_section("Why it matters").split())
    return text[: text.index(". ") + 1] if ". " in text else text


@pytest.fixture
def result() -> ScanResult:
    return ScanResult(findings=[FIXED, BLOCK, WARN], errors=[ERROR], files_scanned=4, lines_scanned=1234).sort()


# ---------------------------------------------------------------- text


def test_text_has_one_line_per_finding_then_errors_then_the_summary(result):
    lines = render_text(result).splitlines()
    assert lines[0] == "app.py:12: BLOCK DEBUG_MODE_RISK: `app.run(debug=True)` turns on debug mode [confidence 0.95]"
    assert lines[1] == "    fix (turn debug mode off): app.run(debug=False)"
    assert lines[2] == "pkg/a.py:3: BLOCK MISSING_WRITE in Store.save(): `save()` writes nothing [confidence 0.90]"
    assert lines[3] == "pkg/b.py:7: WARN INPUT_OUTPUT_DISCONNECTED: parameter `x` is unused"  # no confidence for WARN
    assert lines[4] == "pkg/bad.py:1: ERROR syntax-error: invalid syntax (line 1)"
    assert lines[5] == "2 BLOCK, 1 WARN in 4 files (1,234 lines); 1 file could not be analyzed"
    assert len(lines) == 6


def test_text_summary_counts_and_plurals():
    assert summary_line(ScanResult(files_scanned=1, lines_scanned=3)) == "0 BLOCK, 0 WARN in 1 file (3 lines)"
    two_errors = ScanResult(errors=[ERROR, ERROR], files_scanned=2)
    assert summary_line(two_errors).endswith("; 2 files could not be analyzed")


def test_text_color_only_when_asked(result):
    assert "\033[" not in render_text(result)
    colored = render_text(result, color=True)
    assert "\033[1;31mBLOCK\033[0m" in colored and "\033[33mWARN\033[0m" in colored


# ---------------------------------------------------------------- json


def test_json_carries_every_field_and_the_counts(result):
    data = json.loads(render(result, "json"))
    assert data["version"] == 1
    assert data["summary"] == {
        "files": 4,
        "lines": 1234,
        "block": 2,
        "warn": 1,
        "errors": 1,
        "by_rule": {"DEBUG_MODE_RISK": 1, "INPUT_OUTPUT_DISCONNECTED": 1, "MISSING_WRITE": 1},
    }
    first, second, third = data["findings"]
    assert first["fix"] == {"start_line": 12, "end_line": 12, "replacement": "    app.run(debug=False)", "description": "turn debug mode off"}
    assert second == {
        "rule_id": "MISSING_WRITE",
        "severity": "BLOCK",
        "path": "pkg/a.py",
        "line": 3,
        "end_line": 4,
        "function": "Store.save",
        "message": "`save()` writes nothing",
        "confidence": 0.9,
        "evidence": [3, 4],
        "fix": None,
    }
    assert third["evidence"] == [7]  # evidence defaults to the finding's lines
    assert data["errors"] == [{"path": "pkg/bad.py", "kind": "syntax-error", "message": "invalid syntax (line 1)", "line": 1}]


def test_json_of_an_empty_scan():
    assert result_dict(ScanResult())["summary"]["by_rule"] == {}


# ---------------------------------------------------------------- markdown


def test_block_comment_body_has_severity_rule_message_why_and_confidence():
    body = comment_body(BLOCK)
    header = body.splitlines()[0]
    assert "BLOCK" in header and "`MISSING_WRITE`" in header and "confidence 0.90" in header
    assert "`save()` writes nothing" in body
    why = first_sentence_of_why("MISSING_WRITE")
    assert why and f"_Why it matters:_ {why}" in body
    assert "```suggestion" not in body


def test_warn_comment_body_has_no_confidence():
    body = comment_body(WARN)
    assert "WARN" in body and "`INPUT_OUTPUT_DISCONNECTED`" in body
    assert "confidence" not in body
    assert first_sentence_of_why("INPUT_OUTPUT_DISCONNECTED") in body


def test_a_fix_becomes_a_suggestion_block_of_exactly_the_replacement():
    body = comment_body(FIXED)
    match = re.search(r"```suggestion\n(.*?)\n```", body, re.DOTALL)
    assert match is not None and match.group(1) == FIX.replacement
    assert body.count("```suggestion") == 1


def test_why_it_matters_is_one_sentence_on_one_line():
    for rule_id in all_rules():
        why = why_it_matters(rule_id)
        assert why and "\n" not in why and why.endswith((".", "!", "?")), rule_id
    assert why_it_matters("NO_SUCH_RULE") == ""
    unknown = Finding("NO_SUCH_RULE", Severity.WARN, "a.py", 1, 1, None, "m", 0.5)
    assert "Why it matters" not in comment_body(unknown)


def test_review_has_each_comment_under_its_file_and_line_then_errors_and_summary(result):
    review = render_review(result)
    for finding in result.findings:
        heading = f"#### `{finding.path}` line {finding.line}"
        assert heading in review
        assert comment_body(finding) in review.split(heading, 1)[1]
    assert "> **Not analyzed:** `pkg/bad.py`: syntax-error: invalid syntax (line 1)" in review
    assert review.rstrip().endswith("**AINAScan:** 2 BLOCK · 1 WARN in 4 files")


# ---------------------------------------------------------------- dispatch


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_names_the_error_and_every_finding(result, fmt):
    text = render(result, fmt)
    assert "pkg/bad.py" in text and "syntax-error" in text
    for finding in result.findings:
        assert finding.rule_id in text and finding.path in text


def test_unknown_format_is_refused(result):
    with pytest.raises(ValueError, match="unknown format"):
        render(result, "xml")
