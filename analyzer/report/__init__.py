"""Renderers: a ScanResult as text, JSON, SARIF 2.1.0 or the Markdown a pull request review shows."""

from __future__ import annotations

from analyzer.model import ScanResult

FORMATS = ("text", "json", "sarif", "github-markdown")


def render(result: ScanResult, fmt: str, *, color: bool = False) -> str:
    if fmt == "text":
        from analyzer.report.as_text import render_text

        return render_text(result, color=color)
    if fmt == "json":
        from analyzer.report.as_json import render_json

        return render_json(result)
    if fmt == "sarif":
        from analyzer.report.sarif import render_sarif

        return render_sarif(result)
    if fmt == "github-markdown":
        from analyzer.report.markdown import render_review

        return render_review(result)
    raise ValueError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
