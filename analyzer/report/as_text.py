"""Plain text: one line a finding, like a compiler, then the unreadable files and a summary."""

from __future__ import annotations

from analyzer.model import ScanResult, Severity

_COLORS = {Severity.BLOCK: "\033[1;31m", Severity.WARN: "\033[33m"}
_RESET = "\033[0m"


def summary_line(result: ScanResult) -> str:
    blocks, warns = result.count(Severity.BLOCK), result.count(Severity.WARN)
    text = f"{blocks} BLOCK, {warns} WARN in {result.files_scanned} file{'s' if result.files_scanned != 1 else ''} ({result.lines_scanned:,} lines)"
    if result.errors:
        text += f"; {len(result.errors)} file{'s' if len(result.errors) != 1 else ''} could not be analyzed"
    return text


def render_text(result: ScanResult, *, color: bool = False) -> str:
    out: list[str] = []
    for finding in result.findings:
        severity = finding.severity.name
        if color:
            severity = f"{_COLORS[finding.severity]}{severity}{_RESET}"
        where = f" in {finding.function}()" if finding.function else ""
        confidence = f" [confidence {finding.confidence:.2f}]" if finding.severity is Severity.BLOCK else ""
        out.append(f"{finding.path}:{finding.line}: {severity} {finding.rule_id}{where}: {finding.message}{confidence}")
        if finding.fix is not None:
            out.append(f"    fix ({finding.fix.description}): {finding.fix.replacement.strip()}")
    for error in result.errors:
        at = f":{error.line}" if error.line else ""
        out.append(f"{error.path}{at}: ERROR {error.kind}: {error.message}")
    out.append(summary_line(result))
    return "\n".join(out) + "\n"
