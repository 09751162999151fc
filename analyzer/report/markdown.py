"""The Markdown of a pull request review: one comment body per finding, exactly as the bot posts it."""

from __future__ import annotations

import re

from analyzer.model import Finding, ScanResult, Severity
from analyzer.registry import all_rules

_ICON = {Severity.BLOCK: "🛑", Severity.WARN: "⚠️"}
_FIRST_SENTENCE = re.compile(r"^(.+?[.!?])(\s|$)", re.DOTALL)


def why_it_matters(rule_id: str) -> str:
    """The first sentence of the rule's 'Why it matters', on one line."""
    rule = all_rules().get(rule_id)
    if rule is None:
        return ""
    text = " ".join(rule.doc_section("Why it matters").split())
    match = _FIRST_SENTENCE.match(text)
    return match.group(1) if match else text


def comment_body(finding: Finding) -> str:
    """One inline review comment: severity, rule, message, why, confidence, and a suggestion if there is a fix."""
    header = f"{_ICON[finding.severity]} **{finding.severity.name}** · `{finding.rule_id}`"
    if finding.severity is Severity.BLOCK:
        header += f" · confidence {finding.confidence:.2f}"
    parts = [header, "", finding.message]
    why = why_it_matters(finding.rule_id)
    if why:
        parts += ["", f"_Why it matters:_ {why}"]
    if finding.fix is not None:
        parts += ["", "```suggestion", finding.fix.replacement, "```"]
    return "\n".join(parts)


def render_review(result: ScanResult) -> str:
    """All findings as review comments, each headed by the file and line it would sit on."""
    out: list[str] = []
    for finding in result.findings:
        out += [f"#### `{finding.path}` line {finding.line}", "", comment_body(finding), "", "---", ""]
    for error in result.errors:
        out += [f"> **Not analyzed:** `{error.path}`: {error.kind}: {error.message}", ""]
    blocks, warns = result.count(Severity.BLOCK), result.count(Severity.WARN)
    out.append(f"**AINAScan:** {blocks} BLOCK · {warns} WARN in {result.files_scanned} files")
    return "\n".join(out) + "\n"
