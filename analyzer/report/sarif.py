"""SARIF 2.1.0, as GitHub code scanning accepts it: BLOCK is an error, WARN a warning."""

from __future__ import annotations

import json
from urllib.parse import quote

from analyzer import __version__
from analyzer.model import ScanResult, Severity
from analyzer.registry import all_rules

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
DOCS_BASE = "https://github.com/ainascan/ainascan/blob/main/docs/rules/"
_LEVEL = {Severity.BLOCK: "error", Severity.WARN: "warning"}


def artifact_uri(path: str) -> str:
    """A path as the relative URI reference SARIF requires: `/` separators, spaces and the like percent-encoded."""
    return quote(path.replace("\\", "/"), safe="/!$&'()*+,;=@")


def sarif_dict(result: ScanResult) -> dict:
    catalog = all_rules()
    rule_ids = sorted(catalog)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    rules = []
    for rule_id in rule_ids:
        rule = catalog[rule_id]
        rules.append(
            {
                "id": rule_id,
                "name": "".join(part.capitalize() for part in rule_id.split("_")),
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": rule.doc_section("Why it matters") or rule.summary},
                "help": {"text": rule.doc, "markdown": f"```\n{rule.doc}\n```"},
                "helpUri": f"{DOCS_BASE}{rule_id}.md",
                "defaultConfiguration": {"level": _LEVEL[rule.severity]},
                "properties": {"precision": "high" if rule.severity is Severity.BLOCK else "medium"},
            }
        )
    results = []
    for finding in result.findings:
        entry = {
            "ruleId": finding.rule_id,
            "level": _LEVEL[finding.severity],
            "message": {"text": finding.message},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": artifact_uri(finding.path)},
                        "region": {"startLine": finding.line, "endLine": finding.end_line},
                    },
                    **({"logicalLocations": [{"fullyQualifiedName": finding.function, "kind": "function"}]} if finding.function else {}),
                }
            ],
            "properties": {"confidence": finding.confidence},
        }
        if finding.rule_id in index:
            entry["ruleIndex"] = index[finding.rule_id]
        if finding.fix is not None:
            entry["fixes"] = [
                {
                    "description": {"text": finding.fix.description},
                    "artifactChanges": [
                        {
                            "artifactLocation": {"uri": artifact_uri(finding.path)},
                            "replacements": [
                                {
                                    "deletedRegion": {"startLine": finding.fix.start_line, "endLine": finding.fix.end_line},
                                    # A region of whole lines stops before the line break (the default of region.endColumn), so none is added.
                                    "insertedContent": {"text": finding.fix.replacement},
                                }
                            ],
                        }
                    ],
                }
            ]
        results.append(entry)
    notifications = [
        {
            "level": "error",
            "message": {"text": f"{error.kind}: {error.message}"},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": artifact_uri(error.path)}, **({"region": {"startLine": error.line}} if error.line else {})}}],
        }
        for error in result.errors
    ]
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "AINAScan",
                        "version": __version__,
                        "informationUri": "https://github.com/ainascan/ainascan",
                        "rules": rules,
                    }
                },
                "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
                "results": results,
            }
        ],
    }


def render_sarif(result: ScanResult) -> str:
    return json.dumps(sarif_dict(result), indent=2) + "\n"
