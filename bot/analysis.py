"""Analyze a pull request's Python files at the head and keep what the pull request introduced (pure).

A finding is introduced when one of its evidence lines is a line the pull
request added. Files that could not be analyzed (binary, too large for the
API or the analyzer, unparsable, over the per-file CPU budget) are named with
a reason, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from analyzer.diff import DiffScope, FileChange
from analyzer.engine import ScanOptions
from analyzer.model import Finding
from bot.budget import DEFAULT_BUDGET_SECONDS, scan_within
from bot.pull_request import Blob, ReviewPlan, Skipped


@dataclass
class Analysis:
    """The introduced findings, the diff lines and source lines they refer to, and the files not analyzed."""

    findings: list[Finding] = field(default_factory=list)
    changes: dict[str, FileChange] = field(default_factory=dict)
    sources: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def files_analyzed(self) -> int:
        return len(self.sources)


def analyze(plan: ReviewPlan, blobs: dict[str, Blob | None], options: ScanOptions, budget_seconds: float = DEFAULT_BUDGET_SECONDS) -> Analysis:
    """Scan each planned file's head contents (each within `budget_seconds` of CPU) and keep the findings the pull request added."""
    analysis = Analysis(changes=dict(plan.changes), skipped=list(plan.skipped))
    scope = DiffScope(files=plan.changes)
    for path in sorted(plan.changes):
        blob = blobs.get(path)
        reason = _unreadable(blob, options.max_bytes)
        if reason:
            analysis.skipped.append(Skipped(path, reason))
            continue
        assert blob is not None and blob.text is not None
        result = scan_within(blob.text, path, options, budget_seconds)
        if result.error is not None:
            analysis.skipped.append(Skipped(path, f"{result.error.kind}: {result.error.message}"))
            if result.error.kind != "rule-error":
                continue
        analysis.sources[path] = blob.text.splitlines()
        analysis.findings.extend(scope.keep_introduced(result.findings))
    analysis.findings.sort(key=Finding.sort_key)
    return analysis


def _unreadable(blob: Blob | None, max_bytes: int) -> str | None:
    """Why a blob cannot be analyzed, or None when it can."""
    if blob is None:
        return "not a file at the head commit"
    if blob.problem:
        return blob.problem
    if blob.is_binary:
        return "binary file"
    if blob.byte_size > max_bytes:
        return f"{blob.byte_size:,} bytes is over the analyzer's {max_bytes:,}-byte limit"
    if blob.text is None or blob.is_truncated:
        return f"too large to read through GitHub's API ({blob.byte_size:,} bytes)"
    return None
