"""MISSING_WRITE beyond its fixture: the message quotes the success claim; overrides only warn."""

from __future__ import annotations

from analyzer.engine import ScanOptions, scan_source
from analyzer.model import Severity
from analyzer.registry import all_rules


def findings(source: str):
    result = scan_source(source, "app/prefs.py", ScanOptions(rules=[all_rules()["MISSING_WRITE"]]))
    assert result.error is None, result.error
    return result.findings


def test_message_quotes_the_success_it_reports():
    source = "def save_prefs(user_id, prefs):\n    ok = validate(prefs)\n    return {'status': 'saved'}\n"
    [finding] = findings(source)
    assert finding.severity is Severity.BLOCK
    assert "`save_prefs()`" in finding.message and "line 3 reports `{'status': 'saved'}`" in finding.message
    assert set(finding.evidence_lines) == {1, 3}


def test_an_override_of_a_base_class_from_elsewhere_only_warns():
    source = "class Form(forms.ModelForm):\n    def save(self, commit=True):\n        cleaned = self.clean()\n        return True\n"
    [finding] = findings(source)
    assert finding.severity is Severity.WARN
    assert "override" in finding.message


def test_writing_anywhere_in_the_function_clears_it():
    source = "def save_prefs(user_id, prefs):\n    if prefs:\n        db.commit()\n    return {'status': 'saved'}\n"
    assert findings(source) == []
