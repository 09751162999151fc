"""Tests for bot/full_scan_report.py: the `AINAScan full scan` check run computed from a scan, within GitHub's limits."""

from __future__ import annotations

from analyzer.archive_scan import ArchiveScan
from analyzer.model import FileError, Finding, ScanResult, Severity
from analyzer.structure import file_structure
from bot.full_scan_report import MAX_ANNOTATIONS, full_scan_check, refused_check, structure_report, worst_files
from bot.publish import MAX_OUTPUT_CHARS

SHA = "0123456789abcdef0123456789abcdef01234567"


def finding(path: str, line: int, severity: Severity = Severity.BLOCK, rule_id: str = "MISSING_WRITE") -> Finding:
    return Finding(rule_id, severity, path, line, line, None, f"message for {path}:{line}", 0.9)


def scanned(findings: list[Finding], files: int = 3, errors: list[FileError] | None = None, excluded: list[str] | None = None) -> ArchiveScan:
    result = ScanResult(findings=sorted(findings, key=Finding.sort_key), errors=errors or [], files_scanned=files, lines_scanned=120)
    return ArchiveScan(result, [], excluded or [])


def check(scan: ArchiveScan, structures=()):
    return full_scan_check(scan, list(structures), repo="octo/shop", head_sha=SHA, requested_by="mona", seconds=2.5, config_source=None)


def test_counts_by_severity_and_rule_and_the_worst_files():
    found = [
        finding("a.py", 1), finding("a.py", 5, Severity.WARN, "SILENT_FAILURE"),
        finding("b.py", 2), finding("b.py", 3), finding("c.py", 9, Severity.WARN, "SILENT_FAILURE"),
    ]

    result = check(scanned(found))

    assert (result.conclusion, result.title) == ("neutral", "3 BLOCK · 2 WARN · 3 Python files")
    assert "| 🛑 BLOCK | 3 |" in result.summary and "| ⚠️ WARN | 2 |" in result.summary
    assert "[`MISSING_WRITE`]" in result.summary and "| BLOCK | 3 |" in result.summary and "| WARN | 2 |" in result.summary
    assert result.summary.index("| `b.py` | 2 | 0 |") < result.summary.index("| `a.py` | 1 | 1 |") < result.summary.index("| `c.py` | 0 | 1 |")
    assert "`0123456`" in result.summary and "@mona" in result.summary and "never blocks a merge" in result.summary
    assert [(a["path"], a["start_line"], a["annotation_level"]) for a in result.annotations][:3] == [("a.py", 1, "failure"), ("b.py", 2, "failure"), ("b.py", 3, "failure")]


def test_a_clean_repository_succeeds():
    result = check(scanned([]))

    assert (result.conclusion, result.title, result.annotations) == ("success", "No hollow code found · 3 Python files", ())
    assert "No hollow code found in the repository." in result.summary


def test_annotations_are_capped_block_first_and_the_summary_says_how_many_more():
    found = [finding(f"w{i:04d}.py", 1, Severity.WARN, "SILENT_FAILURE") for i in range(MAX_ANNOTATIONS)] + [finding("z.py", 1)]

    result = check(scanned(found, files=MAX_ANNOTATIONS + 1))

    assert len(result.annotations) == MAX_ANNOTATIONS
    assert result.annotations[0]["path"] == "z.py"  # the one BLOCK is not the one left out
    assert "1 more are not" in result.summary


def test_files_not_analyzed_and_excluded_are_named_and_the_list_is_bounded():
    errors = [FileError(f"bad{i}.py", "syntax-error", "invalid syntax", 1) for i in range(60)]

    result = check(scanned([], errors=errors, excluded=[".venv/x.py", "vendor/y.py"]))

    assert "### Not analyzed (60)" in result.summary and "- `bad0.py`: syntax-error: invalid syntax" in result.summary
    assert "… and 10 more" in result.summary and "- `bad59.py`" not in result.summary
    assert "2 Python files were left out" in result.summary


def test_the_structure_report_is_in_the_text_in_a_closed_code_block():
    source = "import subprocess\n\n\ndef run(cmd):\n    return subprocess.run(cmd, shell=True)\n\n\ndef main():\n    run('ls')\n"
    structures = [file_structure(source, "tool.py")]

    text = structure_report(structures)

    assert text.startswith("## Code structure") and "1 files, 2 functions, 1 danger sinks" in text
    assert "def run(cmd)" in text and "tool.py::main -> tool.py::run" in text
    assert text.count("```") == 2 and text.endswith("\n```")


def test_a_huge_structure_report_is_cut_at_a_line_and_fits():
    structures = [file_structure("\n\n".join(f"def f{i}(a, b):\n    return g{i}(a)" for i in range(200)), f"pkg/m{n}.py") for n in range(8)]

    text = structure_report(structures)
    small = structure_report(structures, limit=2000)

    assert len(text) <= MAX_OUTPUT_CHARS and text.endswith("\n```") and "more lines not shown" in text
    assert len(small) <= 2000 and small.endswith("\n```")
    body_lines = small.split("```text\n", 1)[1].rsplit("\n```", 1)[0].splitlines()
    assert all(line.startswith(("pkg/", "  def ", "…")) for line in body_lines)  # whole lines only


def test_the_worst_files_rank_by_block_then_warn():
    found = [finding("a.py", 1, Severity.WARN), finding("a.py", 2, Severity.WARN), finding("b.py", 1), finding("c.py", 1)]

    assert worst_files(found, limit=2) == [("b.py", 1, 0), ("c.py", 1, 0)]


def test_a_refusal_says_why_and_judges_nothing():
    result = refused_check("Repository archive refused", "the repository's archive was refused: archive member 'x' is a symbolic link; refused", repo="octo/shop", head_sha=SHA)

    assert (result.conclusion, result.title, result.annotations) == ("neutral", "Repository archive refused", ())
    assert "symbolic link" in result.summary and "`0123456`" in result.summary
