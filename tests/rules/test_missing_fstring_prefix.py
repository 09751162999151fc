"""MISSING_FSTRING_PREFIX beyond its fixture: the fix, and a quieter verdict where the callee may fill the template."""

from __future__ import annotations

from analyzer.engine import ScanOptions, scan_source
from analyzer.model import Severity
from analyzer.registry import all_rules

RULE = all_rules()["MISSING_FSTRING_PREFIX"]


def findings(source: str):
    return scan_source(source, "app/messages.py", ScanOptions(rules=[RULE])).findings


def test_fix_adds_the_prefix_and_silences_the_rule():
    source = "def greet(name):\n    return 'Hello {name}!'\n"
    [finding] = findings(source)
    assert finding.severity is Severity.BLOCK
    assert finding.fix.replacement == "    return f'Hello {name}!'"
    assert findings(source.replace("'Hello", "f'Hello")) == []


def test_no_fix_for_a_raw_or_implicitly_joined_string():
    [raw] = findings("def greet(name):\n    return r'Hello {name}'\n")
    assert raw.fix is None
    [joined] = findings("def greet(name):\n    return ('Hello {name}' 'and more')\n")
    assert joined.fix is None


def test_a_call_given_more_than_the_string_only_warns():
    [finding] = findings("def fail(field, context):\n    raise AppError('bad {field}', context)\n")
    assert finding.severity is Severity.WARN


def test_module_level_strings_are_not_judged():
    assert findings("name = 'x'\nGREETING = 'Hello {name}'\n") == []
