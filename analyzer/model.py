"""The analyzer's vocabulary: severities, findings, fixes, per-file errors and scan results."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Severity(enum.IntEnum):
    """How sure we are that a finding is a real bug. BLOCK fails the check; WARN informs."""

    WARN = 1
    BLOCK = 2

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r} (expected BLOCK or WARN)") from None

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class Fix:
    """Replacement text for lines start_line..end_line (1-based, inclusive) of the file."""

    start_line: int
    end_line: int
    replacement: str
    description: str


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in one file.

    `line` is where a reviewer should look (the anchor of an inline comment);
    `evidence` are the lines that make the case, used to decide whether a
    change introduced the finding.
    """

    rule_id: str
    severity: Severity
    path: str
    line: int
    end_line: int
    function: str | None
    message: str
    confidence: float
    evidence: tuple[int, ...] = ()
    fix: Fix | None = None

    @property
    def evidence_lines(self) -> tuple[int, ...]:
        return self.evidence or tuple(range(self.line, self.end_line + 1))

    def sort_key(self) -> tuple:
        return (self.path, self.line, -int(self.severity), self.rule_id)

    def to_dict(self) -> dict:
        return {
            "rule_id": self.rule_id,
            "severity": self.severity.name,
            "path": self.path,
            "line": self.line,
            "end_line": self.end_line,
            "function": self.function,
            "message": self.message,
            "confidence": round(self.confidence, 2),
            "evidence": list(self.evidence_lines),
            "fix": None
            if self.fix is None
            else {
                "start_line": self.fix.start_line,
                "end_line": self.fix.end_line,
                "replacement": self.fix.replacement,
                "description": self.fix.description,
            },
        }


@dataclass(frozen=True, slots=True)
class FileError:
    """A file the analyzer could not read or parse; the rest of the scan goes on."""

    path: str
    kind: str  # syntax-error, null-bytes, encoding, too-deep, too-large, unreadable
    message: str
    line: int | None = None

    def to_dict(self) -> dict:
        return {"path": self.path, "kind": self.kind, "message": self.message, "line": self.line}


@dataclass(slots=True)
class FileResult:
    """What scanning one file produced."""

    path: str
    findings: list[Finding] = field(default_factory=list)
    error: FileError | None = None
    lines: int = 0


@dataclass(slots=True)
class ScanResult:
    """What scanning many files produced, in a stable order."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    files_scanned: int = 0
    lines_scanned: int = 0

    def add(self, result: FileResult) -> None:
        self.files_scanned += 1
        self.lines_scanned += result.lines
        self.findings.extend(result.findings)
        if result.error is not None:
            self.errors.append(result.error)

    def sort(self) -> "ScanResult":
        self.findings.sort(key=Finding.sort_key)
        self.errors.sort(key=lambda e: e.path)
        return self

    def count(self, severity: Severity) -> int:
        return sum(1 for f in self.findings if f.severity == severity)
