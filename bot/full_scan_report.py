"""The `AINAScan full scan` check run: a whole repository's findings at one commit, computed from the scan alone (pure).

Summary: what was scanned, counts by severity and by rule, the worst files,
the files not analyzed. Text: the code structure report (functions, danger
sinks, call graph), cut at a line to fit GitHub's 65,535 characters.
Annotations: every finding, BLOCK first, sent 50 a request by
bot.check_run.complete_check_run; past MAX_ANNOTATIONS the summary says how
many more there are. The run informs and never blocks a merge (`neutral`
when something is found): the `AINAScan` check judges what a pull request
adds, and a full scan reports code the pull request may not have touched.
"""

from __future__ import annotations

from collections import Counter
from typing import Sequence

from analyzer.archive_scan import ArchiveScan
from analyzer.model import Finding, Severity
from analyzer.registry import all_rules
from analyzer.structure import FileStructure, render_structure_text
from bot.publish import DEFAULT_RULES_DOC_URL, MAX_OUTPUT_CHARS, CheckResult, annotation, count_title, rule_doc_url, truncate

FULL_SCAN_CHECK_NAME = "AINAScan full scan"
MAX_ANNOTATIONS = 1000  # 20 requests: GitHub allows 80 content-creating requests a minute per installation
WORST_FILES = 10
MAX_LISTED_ERRORS = 50
_ICON = {Severity.BLOCK: "🛑", Severity.WARN: "⚠️"}


def full_scan_check(
    scanned: ArchiveScan,
    structures: Sequence[FileStructure],
    *,
    repo: str,
    head_sha: str,
    requested_by: str,
    seconds: float,
    docs_url: str = DEFAULT_RULES_DOC_URL,
    config_source: str | None = None,
) -> CheckResult:
    """The completed `AINAScan full scan` run of one scan."""
    findings = scanned.result.findings
    annotated = sorted(findings, key=lambda f: (-int(f.severity), *f.sort_key()))[:MAX_ANNOTATIONS]
    files = scanned.result.files_scanned
    return CheckResult(
        conclusion="neutral" if findings else "success",
        title=f"{count_title(findings)} · {files:,} Python {'file' if files == 1 else 'files'}",
        summary=truncate(_summary(scanned, repo, head_sha, requested_by, seconds, docs_url, config_source)),
        text=structure_report(structures),
        annotations=tuple(annotation(f) for f in annotated),
    )


def refused_check(title: str, reason: str, *, repo: str, head_sha: str) -> CheckResult:
    """A full scan that could not start (archive refused or too large, configuration invalid): say why, judge nothing."""
    summary = f"AINAScan did not scan `{repo}` at `{head_sha[:7]}`: {reason}.\n\nNothing in the repository was run or written to disk."
    return CheckResult("neutral", title, truncate(summary))


def _summary(scanned: ArchiveScan, repo: str, head_sha: str, requested_by: str, seconds: float, docs_url: str, config_source: str | None) -> str:
    result = scanned.result
    findings = result.findings
    lines = [
        f"AINAScan scanned every Python file of `{repo}` at `{head_sha[:7]}`: {result.files_scanned:,} files, "
        f"{result.lines_scanned:,} lines, in {seconds:.1f} s, at the request of @{requested_by}.",
        "",
        "This scan covers the whole repository, including files the pull request does not touch. It informs and never "
        "blocks a merge: the `AINAScan` check judges the lines a pull request adds.",
    ]
    if findings:
        counts = Counter(f.severity for f in findings)
        lines += ["", "| severity | findings |", "|---|---|"]
        lines += [f"| {_ICON[s]} {s.name} | {counts[s]:,} |" for s in (Severity.BLOCK, Severity.WARN)]
        lines += ["", "### By rule", "", "| rule | severity | findings | what it catches |", "|---|---|---|---|"]
        lines += _rule_rows(findings, docs_url)
        lines += ["", "### Worst files", "", "| file | BLOCK | WARN |", "|---|---|---|"]
        lines += [f"| `{path}` | {block:,} | {warn:,} |" for path, block, warn in worst_files(findings)]
        if len(findings) > MAX_ANNOTATIONS:
            lines += ["", f"The first {MAX_ANNOTATIONS:,} findings, BLOCK first, are annotations here; {len(findings) - MAX_ANNOTATIONS:,} more are not. "
                      "`ainascan scan` on a checkout lists them all."]
    else:
        lines += ["", "No hollow code found in the repository."]
    if result.errors:
        lines += ["", f"### Not analyzed ({len(result.errors):,})", ""]
        lines += [f"- `{e.path}`: {e.kind}: {_cell(e.message, 300)}" for e in result.errors[:MAX_LISTED_ERRORS]]
        if len(result.errors) > MAX_LISTED_ERRORS:
            lines.append(f"- … and {len(result.errors) - MAX_LISTED_ERRORS:,} more")
    if scanned.excluded:
        lines += ["", f"{len(scanned.excluded):,} Python files were left out by the exclude patterns (virtual environments, vendored packages, `exclude:` of the configuration)."]
    lines += ["", f"Configuration: `{config_source}`." if config_source else "Configuration: defaults (no `.github/ainascan.yml`)."]
    lines += ["", "The code structure report (functions, danger sinks, call graph) follows the findings below."]
    return "\n".join(lines)


def _rule_rows(findings: Sequence[Finding], docs_url: str) -> list[str]:
    catalog = all_rules()
    by_rule: dict[str, Counter] = {}
    for finding in findings:
        by_rule.setdefault(finding.rule_id, Counter())[finding.severity] += 1
    rows = []
    for rule_id in sorted(by_rule, key=lambda r: (-max(by_rule[r]), -sum(by_rule[r].values()), r)):
        severities = " / ".join(s.name for s in (Severity.BLOCK, Severity.WARN) if by_rule[rule_id][s])
        rule = catalog.get(rule_id)
        what = _cell(rule.summary) if rule else ""
        rows.append(f"| [`{rule_id}`]({rule_doc_url(rule_id, docs_url)}) | {severities} | {sum(by_rule[rule_id].values()):,} | {what} |")
    return rows


def worst_files(findings: Sequence[Finding], limit: int = WORST_FILES) -> list[tuple[str, int, int]]:
    """(path, BLOCK, WARN) of the files with the most BLOCK findings, then the most WARN."""
    counts: dict[str, Counter] = {}
    for finding in findings:
        counts.setdefault(finding.path, Counter())[finding.severity] += 1
    ranked = sorted(counts.items(), key=lambda item: (-item[1][Severity.BLOCK], -item[1][Severity.WARN], item[0]))
    return [(path, c[Severity.BLOCK], c[Severity.WARN]) for path, c in ranked[:limit]]


def structure_report(structures: Sequence[FileStructure], limit: int = MAX_OUTPUT_CHARS) -> str:
    """The structure report as check-run text: a heading, its totals, and the report in a code block cut at a line to fit `limit`."""
    functions = sum(len(s.functions) for s in structures)
    sinks = [sink for s in structures for sink in s.sinks]
    flagged = sum(1 for sink in sinks if sink.flagged_by)
    head = (
        "## Code structure\n\n"
        f"{len(structures):,} files, {functions:,} functions, {len(sinks):,} danger sinks ({flagged:,} flagged by a rule). "
        "`ainascan structure` prints the same report for a checkout.\n\n```text\n"
    )
    tail = "\n```"
    body = render_structure_text(list(structures)).rstrip("\n").replace("```", "`\u200b``")
    room = limit - len(head) - len(tail)
    if len(body) > room:
        note = "\n… {:,} more lines not shown"
        cut = body.rfind("\n", 0, room - len(note.format(10**9)))
        cut = max(cut, 0)
        hidden = body.count("\n", cut) + (1 if cut == 0 else 0)
        body = body[:cut] + note.format(hidden)
    return head + body + tail


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + " …"
    return text.replace("|", "\\|")
