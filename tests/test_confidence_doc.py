"""Tests for analyzer/confidence_doc.py: docs/confidence.md built from the rules' source and the precision audit."""

from __future__ import annotations

import json

import pytest

from analyzer.confidence_doc import confidence_page, load_audit, strength_cases, strength_values, wilson_lower_bound
from analyzer.docs import main as docs_main
from analyzer.engine import ScanOptions, scan_source
from analyzer.registry import all_rules

HOLLOW_SAVE = '''
def save_profile(profile, path):
    data = dict(profile)
    return {"status": "saved"}
'''


def test_strengths_are_read_from_the_rule_source_as_written():
    rules = all_rules()
    assert strength_cases(rules["MISSING_WRITE"]) == ["1.0 if success else 0.9"]
    assert strength_values(strength_cases(rules["MISSING_WRITE"])) == [0.9, 1.0]
    assert strength_cases(rules["SQL_INJECTION"]) == ["1.0"]  # no strength= anywhere: full strength
    assert strength_cases(rules["DEAD_DB_RESULT"])[0] == "1.0"  # some reports keep the default, others are weakened


def test_the_page_range_holds_the_confidence_a_real_finding_gets():
    (finding,) = [f for f in scan_source(HOLLOW_SAVE, "app/profiles.py", ScanOptions()).findings if f.rule_id == "MISSING_WRITE"]
    row = next(line for line in confidence_page(all_rules(), {}).splitlines() if line.startswith("| [MISSING_WRITE]"))
    low, high = (float(x) for x in row.rsplit("|", 2)[1].strip().split("–"))
    assert low <= finding.confidence <= high


def test_every_rule_has_a_row_and_the_audit_is_cited_where_there_is_one():
    rules = all_rules()
    audit = {"DEEP_NESTING": {"findings": 194, "sampled": 12, "true": 11, "false": 1}}
    page = confidence_page(rules, audit)
    assert all(f"| [{rule_id}](rules/{rule_id}.md) |" in page for rule_id in rules)
    assert "audit: 11/12 sampled findings true (0.92; 95% lower bound 0.65) of 194 on the corpus" in page
    assert "no finding on the corpus to audit" in page  # the rules the audit has no entry for
    assert "a prior (no audit recorded)" in confidence_page(rules, {})


@pytest.mark.parametrize("true, sampled, bound", [(12, 12, 0.757), (6, 12, 0.254), (0, 5, 0.0)])
def test_the_wilson_lower_bound(true, sampled, bound):
    assert wilson_lower_bound(true, sampled) == pytest.approx(bound, abs=0.001)


def test_docs_check_fails_on_a_stale_confidence_page_and_passes_once_written(tmp_path):
    audit = tmp_path / "precision.json"
    audit.write_text(json.dumps({"rules": {"DEEP_NESTING": {"findings": 3, "sampled": 3, "true": 3, "false": 0}}}))
    page = tmp_path / "confidence.md"
    args = [str(tmp_path / "rules"), "--confidence", str(page), "--audit", str(audit)]
    assert docs_main(args) == 0
    assert docs_main([*args, "--check"]) == 0
    assert load_audit(audit)["DEEP_NESTING"]["true"] == 3
    page.write_text(page.read_text() + "edited by hand\n")
    assert docs_main([*args, "--check"]) == 1


def test_each_audited_rule_states_the_precision_its_audit_gives():
    from pathlib import Path

    from analyzer.confidence_doc import audited_precision

    audit = load_audit(Path(__file__).resolve().parent.parent / "bench" / "results" / "precision.json")
    if not audit:
        pytest.skip("no precision audit recorded")
    rules = all_rules()
    stated = {rule_id: rules[rule_id].precision for rule_id in audit}
    expected = {rule_id: audited_precision(a["prior"], a["true"], a["sampled"]) for rule_id, a in audit.items()}
    assert stated == expected


def test_the_audited_precision_weighs_the_prior_as_four_findings():
    from analyzer.confidence_doc import audited_precision

    assert audited_precision(0.9, 1, 1) == 0.92
    assert audited_precision(0.6, 8, 12) == 0.65
    assert audited_precision(0.85, 0, 0) == 0.85
