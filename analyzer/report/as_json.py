"""JSON: every finding and error with all its fields, and a summary, for tools to consume."""

from __future__ import annotations

import json

from analyzer.model import ScanResult, Severity


def result_dict(result: ScanResult) -> dict:
    by_rule: dict[str, int] = {}
    for finding in result.findings:
        by_rule[finding.rule_id] = by_rule.get(finding.rule_id, 0) + 1
    return {
        "version": 1,
        "summary": {
            "files": result.files_scanned,
            "lines": result.lines_scanned,
            "block": result.count(Severity.BLOCK),
            "warn": result.count(Severity.WARN),
            "errors": len(result.errors),
            "by_rule": dict(sorted(by_rule.items())),
        },
        "findings": [f.to_dict() for f in result.findings],
        "errors": [e.to_dict() for e in result.errors],
    }


def render_json(result: ScanResult) -> str:
    return json.dumps(result_dict(result), indent=2) + "\n"
