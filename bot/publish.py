"""What the bot posts, computed from findings, diff lines and configuration alone (pure, no HTTP).

Two products:
- the check run `AINAScan`: conclusion, title ("2 BLOCK · 3 WARN"), a
  Markdown summary (counts, a table by rule linking each rule's page, files
  not analyzed), the findings as text, and every finding as an annotation,
  50 a request;
- one review of inline comments on added lines, each carrying a hidden
  fingerprint (rule, path, normalised code of the flagged line, not its
  number) so that a re-push does not post the same comment twice, and
  edits marking earlier comments whose finding has gone.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Any, Iterable, Sequence

from analyzer.diff import FileChange
from analyzer.model import Finding, Severity
from analyzer.registry import all_rules
from analyzer.report.markdown import comment_body, why_it_matters
from bot.pull_request import Skipped

CHECK_NAME = "AINAScan"
MAX_OUTPUT_CHARS = 65_535
ANNOTATIONS_PER_REQUEST = 50
MAX_ANNOTATION_TITLE = 255
DEFAULT_RULES_DOC_URL = "https://github.com/ainascan/ainascan/blob/main/docs/rules"
RESOLVED_PREFIX = "~~resolved~~"
_FINGERPRINT = re.compile(r"<!-- ainascan:fingerprint=([0-9a-f]{16}) -->")
_ICON = {Severity.BLOCK: "🛑", Severity.WARN: "⚠️"}
_LEVEL = {Severity.BLOCK: "failure", Severity.WARN: "warning"}


# ---------------------------------------------------------------- the check run


@dataclass(frozen=True)
class CheckResult:
    """A completed check run: conclusion and output, with all its annotations."""

    conclusion: str  # success, failure, neutral
    title: str
    summary: str
    text: str = ""
    annotations: tuple[dict[str, Any], ...] = ()
    actions: tuple[dict[str, str], ...] = ()  # buttons (label, description, identifier); GitHub shows at most 3


def count_title(findings: Sequence[Finding]) -> str:
    counts = Counter(f.severity for f in findings)
    if not counts:
        return "No hollow code found"
    return " · ".join(f"{counts[s]} {s.name}" for s in (Severity.BLOCK, Severity.WARN) if counts[s])


def conclusion_for(findings: Sequence[Finding], fail_on: str) -> str:
    """failure when a finding reaches the configured level (block: BLOCK only; warn: any; never: none)."""
    if fail_on == "never":
        return "success"
    threshold = Severity.WARN if fail_on == "warn" else Severity.BLOCK
    return "failure" if any(f.severity >= threshold for f in findings) else "success"


def rule_doc_url(rule_id: str, docs_url: str = DEFAULT_RULES_DOC_URL) -> str:
    return f"{docs_url.rstrip('/')}/{rule_id}.md"


def annotation(finding: Finding) -> dict[str, Any]:
    """One check-run annotation: BLOCK as failure, WARN as warning, the rule id as title."""
    why = why_it_matters(finding.rule_id)
    return {
        "path": finding.path,
        "start_line": finding.line,
        "end_line": max(finding.end_line, finding.line),
        "annotation_level": _LEVEL[finding.severity],
        "title": finding.rule_id[:MAX_ANNOTATION_TITLE],
        "message": f"{finding.message}\n\n{why}" if why else finding.message,
    }


def annotation_key(item: dict[str, Any]) -> tuple:
    """What makes two annotations the same, for appending only those a check run lacks."""
    return (item.get("path"), item.get("start_line"), item.get("end_line"), item.get("annotation_level"), item.get("title"), item.get("message"))


def review_check(
    findings: Sequence[Finding],
    skipped: Sequence[Skipped],
    *,
    files_analyzed: int,
    head_sha: str,
    fail_on: str = "block",
    docs_url: str = DEFAULT_RULES_DOC_URL,
    config_source: str | None = None,
    notes: Sequence[str] = (),
) -> CheckResult:
    """The completed check run of one review; `notes` are said first (say, files GitHub did not list)."""
    summary = _summary(findings, skipped, files_analyzed, head_sha, fail_on, docs_url, config_source)
    if notes:
        summary = "\n".join(f"> **Note:** {note}" for note in notes) + "\n\n" + summary
    return CheckResult(
        conclusion=conclusion_for(findings, fail_on),
        title=count_title(findings),
        summary=truncate(summary),
        text=truncate(_findings_text(findings)),
        annotations=tuple(annotation(f) for f in findings),
    )


def unlisted_note(unlisted: int, listed: int) -> str:
    """What the summary says when GitHub listed only part of a pull request's files."""
    return (
        f"GitHub lists at most {listed:,} changed files of a pull request; the other {unlisted:,} were not reviewed. "
        "Split the pull request, or run a full scan, to have them checked."
    )


def neutral_check(title: str, summary: str) -> CheckResult:
    """A check run that concludes without judging (draft, superseded head, bad configuration)."""
    return CheckResult("neutral", title, truncate(summary))


def _summary(findings, skipped, files_analyzed, head_sha, fail_on, docs_url, config_source) -> str:
    lines: list[str] = []
    if files_analyzed == 0 and not skipped:
        lines.append(f"This pull request changes no Python lines at `{head_sha[:7]}`: nothing to review.")
    else:
        files = "file" if files_analyzed == 1 else "files"
        lines.append(f"AINAScan read the lines this pull request adds to {files_analyzed} Python {files} at `{head_sha[:7]}`.")
    if findings:
        counts = Counter(f.severity for f in findings)
        lines += ["", "| severity | introduced |", "|---|---|"]
        lines += [f"| {_ICON[s]} {s.name} | {counts[s]} |" for s in (Severity.BLOCK, Severity.WARN)]
        lines += ["", "| rule | severity | findings | what it catches |", "|---|---|---|---|"]
        catalog = all_rules()
        by_rule: dict[str, Counter] = {}
        for finding in findings:
            by_rule.setdefault(finding.rule_id, Counter())[finding.severity] += 1
        for rule_id in sorted(by_rule, key=lambda r: (-max(by_rule[r]), r)):
            severities = " / ".join(s.name for s in (Severity.BLOCK, Severity.WARN) if by_rule[rule_id][s])
            rule = catalog.get(rule_id)
            what = _cell(rule.summary) if rule else ""
            lines.append(f"| [`{rule_id}`]({rule_doc_url(rule_id, docs_url)}) | {severities} | {sum(by_rule[rule_id].values())} | {what} |")
    elif files_analyzed:
        lines += ["", "No hollow code among the lines this pull request adds."]
    lines += ["", _gate_sentence(fail_on)]
    if skipped:
        lines += ["", f"### Not analyzed ({len(skipped)})", ""]
        lines += [f"- `{s.path}`: {s.reason}" for s in skipped]
    lines += ["", f"Configuration: `{config_source}`." if config_source else "Configuration: defaults (no `.github/ainascan.yml`)."]
    return "\n".join(lines)


def _gate_sentence(fail_on: str) -> str:
    if fail_on == "never":
        return "This check never fails (`fail_on: never`)."
    if fail_on == "warn":
        return "This check fails on any finding (`fail_on: warn`)."
    return "This check fails on BLOCK findings; WARN findings are listed but pass."


def _cell(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rsplit(" ", 1)[0] + " …"
    return text.replace("|", "\\|")


def _findings_text(findings: Sequence[Finding]) -> str:
    out: list[str] = []
    path = None
    for finding in findings:
        if finding.path != path:
            path = finding.path
            out += ["", f"### `{path}`", ""]
        out.append(f"- line {finding.line} · {_ICON[finding.severity]} {finding.severity.name} · `{finding.rule_id}`: {_cell(finding.message, 1000)}")
    return "\n".join(out).strip()


def truncate(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    """`text` cut at a line boundary to fit `limit` characters, ending with a note of what was cut."""
    if len(text) <= limit:
        return text
    note = "\n\n… truncated: {} more characters (every finding is also an annotation)."
    room = limit - len(note.format(len(text)))
    cut = text.rfind("\n", 0, room)
    cut = cut if cut > 0 else room
    return text[:cut] + note.format(len(text) - cut)


def check_run_updates(result: CheckResult, present: Iterable[tuple] = (), batch: int = ANNOTATIONS_PER_REQUEST) -> list[dict[str, Any]]:
    """The PATCH bodies that complete a check run with `result`: annotations it lacks, 50 a request, completing on the last."""
    known = set(present)
    fresh = [a for a in result.annotations if annotation_key(a) not in known]
    output = {"title": result.title, "summary": result.summary}
    if result.text:
        output["text"] = result.text
    batches = [fresh[i : i + batch] for i in range(0, len(fresh), batch)] or [[]]
    bodies: list[dict[str, Any]] = [{"output": {**output, "annotations": chunk}} for chunk in batches[:-1]]
    last: dict[str, Any] = {**output}
    if batches[-1]:
        last["annotations"] = batches[-1]
    completing: dict[str, Any] = {"status": "completed", "conclusion": result.conclusion, "output": last}
    if result.actions:
        completing["actions"] = [dict(action) for action in result.actions]
    bodies.append(completing)
    return bodies


def already_published(result: CheckResult, check_run: dict[str, Any], present: Iterable[tuple]) -> bool:
    """Whether a completed check run already shows exactly this result (a repeated job has nothing to send).

    Actions are not compared: GitHub does not return them, and a run that
    concluded the same way was completed with the same buttons.
    """
    output = check_run.get("output") or {}
    known = set(present)
    return (
        check_run.get("status") == "completed"
        and check_run.get("conclusion") == result.conclusion
        and output.get("title") == result.title
        and output.get("summary") == result.summary
        and all(annotation_key(a) in known for a in result.annotations)
    )


# ---------------------------------------------------------------- review comments


@dataclass(frozen=True)
class InlineComment:
    """One review comment on the RIGHT side of the diff: `line`, or `start_line`..`line` for a multi-line suggestion."""

    path: str
    line: int
    body: str
    fingerprint: str
    severity: Severity
    start_line: int | None = None

    def payload(self) -> dict[str, Any]:
        comment: dict[str, Any] = {"path": self.path, "line": self.line, "side": "RIGHT", "body": self.body}
        if self.start_line is not None and self.start_line < self.line:
            comment.update(start_line=self.start_line, start_side="RIGHT")
        return comment


@dataclass(frozen=True)
class PostedComment:
    """One of our earlier review comments on this pull request."""

    id: int
    path: str
    body: str
    fingerprint: str

    @property
    def resolved(self) -> bool:
        return self.body.startswith(RESOLVED_PREFIX)


def normalised_code(line: str) -> str:
    return " ".join(line.split())


def fingerprints(findings: Sequence[Finding], sources: dict[str, list[str]]) -> dict[Finding, str]:
    """A stable id per finding: rule, path, normalised code of its line, and which occurrence of that code it is."""
    seen: Counter = Counter()
    out: dict[Finding, str] = {}
    for finding in sorted(findings, key=Finding.sort_key):
        lines = sources.get(finding.path, [])
        code = normalised_code(lines[finding.line - 1]) if 0 < finding.line <= len(lines) else ""
        key = (finding.rule_id, finding.path, code)
        occurrence = seen[key]
        seen[key] += 1
        digest = hashlib.sha256("\0".join((*key, str(occurrence))).encode("utf-8")).hexdigest()
        out[finding] = digest[:16]
    return out


def marker(fingerprint: str) -> str:
    return f"<!-- ainascan:fingerprint={fingerprint} -->"


def fingerprint_of(body: str) -> str | None:
    match = _FINGERPRINT.search(body or "")
    return match.group(1) if match else None


def place(finding: Finding, change: FileChange | None) -> tuple[int, int | None, bool] | None:
    """Where a comment on `finding` may sit: (line, start_line, keep the suggestion), or None when no line is commentable.

    A suggestion replaces exactly the commented lines, so a finding with a fix
    is commented on the fix's lines when they all sit in one hunk. Otherwise
    the anchor line is used, else the first added evidence line.
    """
    if change is None:
        return None
    fix = finding.fix
    if fix is not None and all(line in change.commentable for line in range(fix.start_line, fix.end_line + 1)):
        return fix.end_line, (fix.start_line if fix.start_line < fix.end_line else None), True
    if finding.line in change.commentable:
        return finding.line, None, False
    for line in sorted(finding.evidence_lines):
        if line in change.added and line in change.commentable:
            return line, None, False
    return None


def inline_comments(findings: Sequence[Finding], changes: dict[str, FileChange], sources: dict[str, list[str]]) -> list[InlineComment]:
    """A comment for every finding that has a commentable line, each validated against the diff hunks."""
    ids = fingerprints(findings, sources)
    comments: list[InlineComment] = []
    for finding in findings:
        spot = place(finding, changes.get(finding.path))
        if spot is None:
            continue
        line, start_line, keep_fix = spot
        body = comment_body(finding if keep_fix else replace(finding, fix=None))
        comments.append(InlineComment(finding.path, line, f"{body}\n\n{marker(ids[finding])}", ids[finding], finding.severity, start_line))
    return comments


def comments_to_post(comments: Sequence[InlineComment], posted: Iterable[PostedComment], limit: int) -> list[InlineComment]:
    """The comments not already standing on the pull request, BLOCK first, at most `limit`."""
    standing = {p.fingerprint for p in posted if not p.resolved}
    fresh = [c for c in comments if c.fingerprint not in standing]
    fresh.sort(key=lambda c: (-int(c.severity), c.path, c.line))
    return fresh[: max(limit, 0)]


def review_payload(comments: Sequence[InlineComment], head_sha: str, introduced: int) -> dict[str, Any] | None:
    """One COMMENT review with the inline comments, or None when there is nothing new to post."""
    if not comments:
        return None
    counts = Counter(c.severity for c in comments)
    tally = " · ".join(f"{counts[s]} {s.name}" for s in (Severity.BLOCK, Severity.WARN) if counts[s])
    body = f"**AINAScan** at `{head_sha[:7]}`: {tally} on the lines this pull request adds."
    if introduced > len(comments):
        body += " Every finding, including those not commented inline, is in the `AINAScan` check run."
    return {"commit_id": head_sha, "event": "COMMENT", "body": body, "comments": [c.payload() for c in comments]}


def posted_comment(item: dict[str, Any]) -> PostedComment | None:
    """A review comment from the API as one of ours (it carries our fingerprint and a bot wrote it), else None."""
    body = item.get("body") or ""
    fingerprint = fingerprint_of(body)
    user = item.get("user") or {}
    if fingerprint is None or body.lstrip().startswith(">") or user.get("type", "Bot") != "Bot":
        return None
    return PostedComment(int(item["id"]), item.get("path", ""), body, fingerprint)


def resolved_edits(posted: Iterable[PostedComment], current: Iterable[str], unexamined: Iterable[str], head_sha: str) -> list[tuple[int, str]]:
    """(comment id, new body) for each standing comment of ours whose finding is gone at `head_sha`.

    A comment on a file this run could not examine (skipped, unreadable) is
    left alone: its finding may still be there. A comment already marked is
    never marked twice.
    """
    current, unexamined = set(current), set(unexamined)
    edits = []
    for comment in posted:
        if comment.resolved or comment.fingerprint in current or comment.path in unexamined:
            continue
        edits.append((comment.id, f"{RESOLVED_PREFIX} This finding no longer appears at {head_sha[:7]}.\n\n{comment.body}"))
    return edits
