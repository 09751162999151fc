"""DEBUG_MODE_RISK beyond its fixture: which files are Django settings, when evidence is only a warning, the fix."""

from __future__ import annotations

import pytest

from analyzer.engine import ScanOptions, scan_source
from analyzer.model import Severity
from analyzer.registry import all_rules


def findings(source: str, path: str):
    result = scan_source(source, path, ScanOptions(rules=[all_rules()["DEBUG_MODE_RISK"]]))
    assert result.error is None, result.error
    return result.findings


@pytest.mark.parametrize("path", ["mysite/settings.py", "mysite/settings/production.py", "mysite/settings/base.py"])
def test_debug_true_in_a_settings_module_blocks(path):
    [finding] = findings("SECRET_KEY = 'x'\nDEBUG = True\n", path)
    assert finding.severity is Severity.BLOCK
    assert finding.line == 2 and "Django settings" in finding.message


@pytest.mark.parametrize(
    "path",
    ["mysite/settings/dev.py", "mysite/settings/local.py", "mysite/settings_test.py", "mysite/local_settings.py", "mysite/development.py"],
)
def test_dev_and_test_settings_may_turn_debug_on(path):
    assert findings("DEBUG = True\n", path) == []


def test_debug_true_in_an_ordinary_module_is_not_a_setting():
    assert findings("DEBUG = True\nVERBOSE = True\n", "tools/report.py") == []


def test_a_module_with_django_settings_names_is_a_settings_module():
    source = "INSTALLED_APPS = []\nROOT_URLCONF = 'x.urls'\nDEBUG = True\n"
    [finding] = findings(source, "config/common.py")
    assert finding.line == 3


def test_run_debug_without_any_sign_of_a_web_app_is_a_warning():
    [finding] = findings("pipeline.run(debug=True)\n", "jobs/nightly.py")
    assert finding.severity is Severity.WARN
    assert "nothing here says it is a web application" in finding.message


def test_run_debug_on_an_app_blocks_even_without_a_framework_import():
    [finding] = findings("from myproject import create_app\napp = create_app()\napp.run(debug=True)\n", "run.py")
    assert finding.severity is Severity.BLOCK
    assert "interactive debugger" in finding.message


def test_the_fix_turns_the_literal_off_and_keeps_the_line():
    source = "from flask import Flask\napp = Flask(__name__)\napp.run(host='0.0.0.0', debug=True)  # local\n"
    [finding] = findings(source, "app.py")
    assert finding.fix is not None
    assert finding.fix.replacement == "app.run(host='0.0.0.0', debug=False)  # local"
    assert (finding.fix.start_line, finding.fix.end_line) == (3, 3)


def test_test_files_are_not_judged():
    assert findings("from flask import Flask\napp = Flask(__name__)\napp.debug = True\n", "tests/conftest.py") == []
