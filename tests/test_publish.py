"""Tests for bot/publish.py: the check run and the review comments, computed from findings and diff lines alone."""

from __future__ import annotations

from analyzer.diff import FileChange
from analyzer.model import Finding, Fix, Severity
from analyzer.report.markdown import comment_body
from bot.publish import (
    MAX_OUTPUT_CHARS,
    RESOLVED_PREFIX,
    CheckResult,
    PostedComment,
    already_published,
    annotation,
    annotation_key,
    check_run_updates,
    comments_to_post,
    conclusion_for,
    count_title,
    fingerprint_of,
    fingerprints,
    inline_comments,
    marker,
    neutral_check,
    place,
    posted_comment,
    resolved_edits,
    review_check,
    review_payload,
    truncate,
)
from bot.pull_request import Skipped

HEAD = "0123456789abcdef0123456789abcdef01234567"


def finding(rule_id="MISSING_WRITE", severity=Severity.BLOCK, path="app/users.py", line=4, end_line=None, evidence=(), fix=None, message="`save()` writes nothing"):
    return Finding(rule_id, severity, path, line, end_line or line, "f", message, 0.9, tuple(evidence), fix)


def change(path="app/users.py", added=(), context=()):
    return FileChange(path, frozenset(added), frozenset(added) | frozenset(context))


# ---------------------------------------------------------------- the check run


def test_title_counts_by_severity():
    assert count_title([finding(), finding(line=9), finding("SILENT_FAILURE", Severity.WARN)]) == "2 BLOCK · 1 WARN"
    assert count_title([finding("UNUSED_CALL_RESULT", Severity.WARN)]) == "1 WARN"
    assert count_title([]) == "No hollow code found"


def test_conclusion_follows_fail_on():
    block, warn = finding(), finding("UNUSED_CALL_RESULT", Severity.WARN)
    assert conclusion_for([block, warn], "block") == "failure"
    assert conclusion_for([warn], "block") == "success"
    assert conclusion_for([warn], "warn") == "failure"
    assert conclusion_for([block], "never") == "success"
    assert conclusion_for([], "warn") == "success"


def test_annotations_carry_level_and_rule_id():
    block = annotation(finding(line=4, end_line=6))
    assert block == {
        "path": "app/users.py",
        "start_line": 4,
        "end_line": 6,
        "annotation_level": "failure",
        "title": "MISSING_WRITE",
        "message": block["message"],
    }
    assert block["message"].startswith("`save()` writes nothing\n\n")  # followed by why it matters
    assert annotation(finding("UNUSED_CALL_RESULT", Severity.WARN))["annotation_level"] == "warning"


def test_summary_counts_links_rules_and_names_skipped_files():
    findings = [finding(), finding(line=10), finding("UNUSED_CALL_RESULT", Severity.WARN, line=12)]
    skipped = [Skipped("big.py", "too large to read through GitHub's API (2,000,000 bytes)")]
    result = review_check(findings, skipped, files_analyzed=2, head_sha=HEAD, docs_url="https://docs.example/rules/", config_source="octo/shop:.github/ainascan.yml")
    assert result.conclusion == "failure" and result.title == "2 BLOCK · 1 WARN"
    assert "| 🛑 BLOCK | 2 |" in result.summary and "| ⚠️ WARN | 1 |" in result.summary
    assert "[`MISSING_WRITE`](https://docs.example/rules/MISSING_WRITE.md) | BLOCK | 2 |" in result.summary
    assert "[`UNUSED_CALL_RESULT`](https://docs.example/rules/UNUSED_CALL_RESULT.md) | WARN | 1 |" in result.summary
    assert "- `big.py`: too large to read through GitHub's API" in result.summary
    assert "`octo/shop:.github/ainascan.yml`" in result.summary
    assert "2 Python files at `0123456`" in result.summary
    assert "line 10" in result.text and "### `app/users.py`" in result.text
    assert len(result.annotations) == 3


def test_warnings_alone_pass_and_are_still_listed():
    result = review_check([finding("UNUSED_CALL_RESULT", Severity.WARN)], [], files_analyzed=1, head_sha=HEAD)
    assert result.conclusion == "success"
    assert "UNUSED_CALL_RESULT" in result.summary and result.annotations[0]["annotation_level"] == "warning"


def test_no_python_changes_still_concludes_success():
    result = review_check([], [], files_analyzed=0, head_sha=HEAD)
    assert result.conclusion == "success"
    assert "changes no Python lines" in result.summary and result.annotations == ()


def test_truncate_cuts_at_a_line_and_says_so():
    text = "\n".join(f"- line {n}: something long enough to matter" for n in range(5000))
    cut = truncate(text)
    assert len(cut) <= MAX_OUTPUT_CHARS
    kept, note = cut.split("\n\n… truncated: ")
    assert text.startswith(kept) and text[len(kept)] == "\n"  # ends on a whole line
    assert note.startswith(f"{len(text) - len(kept)} more characters")
    assert truncate("short") == "short"


def test_a_huge_summary_fits_the_limit():
    findings = [finding(path=f"pkg/module_{n:05d}.py", line=1) for n in range(3000)]
    skipped = [Skipped(f"pkg/huge_{n:05d}.py", "binary file") for n in range(3000)]
    result = review_check(findings, skipped, files_analyzed=3000, head_sha=HEAD)
    assert len(result.summary) <= MAX_OUTPUT_CHARS and len(result.text) <= MAX_OUTPUT_CHARS
    assert "truncated" in result.summary and "truncated" in result.text


def test_annotations_go_fifty_a_request_and_the_last_request_completes():
    result = review_check([finding(line=n) for n in range(1, 121)], [], files_analyzed=1, head_sha=HEAD)
    bodies = check_run_updates(result)
    assert [len(b["output"].get("annotations", [])) for b in bodies] == [50, 50, 20]
    assert all("status" not in b for b in bodies[:-1])
    assert bodies[-1]["status"] == "completed" and bodies[-1]["conclusion"] == "failure"
    assert all(b["output"]["title"] == "120 BLOCK" and b["output"]["summary"] == result.summary for b in bodies)
    sent = [a["start_line"] for b in bodies for a in b["output"].get("annotations", [])]
    assert sent == list(range(1, 121))


def test_buttons_are_sent_once_with_the_request_that_completes_the_run():
    from dataclasses import replace

    button = {"label": "Full scan", "description": "Scan every file of the repository", "identifier": "full-scan"}
    result = replace(review_check([finding(line=n) for n in range(1, 61)], [], files_analyzed=1, head_sha=HEAD), actions=(button,))
    bodies = check_run_updates(result)
    assert [b.get("actions") for b in bodies] == [None, [button]]
    assert "actions" not in check_run_updates(review_check([], [], files_analyzed=1, head_sha=HEAD))[-1]


def test_annotations_a_run_already_shows_are_not_appended_again():
    result = review_check([finding(line=n) for n in range(1, 4)], [], files_analyzed=1, head_sha=HEAD)
    present = {annotation_key(a) for a in result.annotations[:2]}
    bodies = check_run_updates(result, present)
    assert len(bodies) == 1 and [a["start_line"] for a in bodies[0]["output"]["annotations"]] == [3]


def test_a_neutral_check_has_no_annotations():
    bodies = check_run_updates(neutral_check("Draft pull request: skipped", "Drafts are reviewed when ready."))
    assert bodies == [{"status": "completed", "conclusion": "neutral", "output": {"title": "Draft pull request: skipped", "summary": "Drafts are reviewed when ready."}}]


def test_already_published_only_when_everything_matches():
    result = review_check([finding()], [], files_analyzed=1, head_sha=HEAD)
    run = {"status": "completed", "conclusion": "failure", "output": {"title": result.title, "summary": result.summary}}
    present = {annotation_key(a) for a in result.annotations}
    assert already_published(result, run, present)
    assert not already_published(result, run, set())
    assert not already_published(result, {**run, "status": "in_progress"}, present)
    assert not already_published(result, {**run, "conclusion": "success"}, present)
    assert not already_published(CheckResult("failure", result.title, "other summary"), run, present)


# ---------------------------------------------------------------- fingerprints


def test_fingerprint_survives_a_line_shift_and_reindentation():
    before = fingerprints([finding(line=2)], {"app/users.py": ["", "def save_user(u):"]})
    after = fingerprints([finding(line=5)], {"app/users.py": ["", "", "", "", "    def   save_user(u):"]})
    assert list(before.values()) == list(after.values())


def test_fingerprint_differs_by_rule_path_and_code():
    source = {"a.py": ["x()", "y()"], "b.py": ["x()"]}
    ids = fingerprints(
        [finding(path="a.py", line=1), finding("SILENT_FAILURE", path="a.py", line=1), finding(path="a.py", line=2), finding(path="b.py", line=1)],
        source,
    )
    assert len(set(ids.values())) == 4


def test_identical_lines_get_distinct_fingerprints():
    source = {"a.py": ["except Exception: pass", "", "except Exception: pass"]}
    ids = fingerprints([finding(path="a.py", line=1), finding(path="a.py", line=3)], source)
    assert len(set(ids.values())) == 2


# ---------------------------------------------------------------- placing comments on the diff


def test_a_comment_sits_on_its_anchor_when_the_diff_shows_it():
    assert place(finding(line=4), change(added={4, 5})) == (4, None, False)
    assert place(finding(line=4), change(added={5}, context={4})) == (4, None, False)


def test_an_anchor_outside_the_hunks_moves_to_an_added_evidence_line():
    moved = finding(line=2, evidence=(2, 30, 31))
    assert place(moved, change(added={31, 30}, context={29})) == (30, None, False)


def test_a_finding_with_no_commentable_line_stays_in_the_check_run():
    assert place(finding(line=2, evidence=(2, 9)), change(added={20})) is None
    assert place(finding(line=2), None) is None
    assert inline_comments([finding(line=2)], {"app/users.py": change(added={20})}, {}) == []


def test_a_multi_line_fix_comments_on_exactly_the_lines_it_replaces():
    fix = Fix(10, 12, "raise ValueError(\n    'x',\n)", "add the missing `raise`")
    spot = place(finding("EXCEPTION_NOT_RAISED", line=10, end_line=12, fix=fix), change(added={10, 11, 12}))
    assert spot == (12, 10, True)
    (comment,) = inline_comments([finding("EXCEPTION_NOT_RAISED", line=10, end_line=12, fix=fix)], {"app/users.py": change(added={10, 11, 12})}, {})
    assert comment.payload() == {"path": "app/users.py", "line": 12, "side": "RIGHT", "body": comment.body, "start_line": 10, "start_side": "RIGHT"}
    assert "```suggestion\nraise ValueError(\n    'x',\n)\n```" in comment.body


def test_a_fix_reaching_outside_the_hunk_loses_its_suggestion_not_its_comment():
    fix = Fix(10, 12, "raise ValueError()", "add the missing `raise`")
    target = finding("EXCEPTION_NOT_RAISED", line=10, end_line=12, fix=fix)
    (comment,) = inline_comments([target], {"app/users.py": change(added={10, 11})}, {})
    assert (comment.line, comment.start_line) == (10, None)
    assert "```suggestion" not in comment.body
    assert "start_line" not in comment.payload()


def test_a_single_line_fix_has_no_start_line():
    fix = Fix(7, 7, "app.run(debug=False)", "turn debug mode off")
    (comment,) = inline_comments([finding("DEBUG_MODE_RISK", line=7, fix=fix)], {"app/users.py": change(added={7})}, {})
    assert comment.payload() == {"path": "app/users.py", "line": 7, "side": "RIGHT", "body": comment.body}
    assert "```suggestion\napp.run(debug=False)\n```" in comment.body


def test_comment_body_is_the_analyzers_plus_a_hidden_fingerprint():
    target = finding(line=3)
    (comment,) = inline_comments([target], {"app/users.py": change(added={3})}, {"app/users.py": ["", "", "def save_user(u):"]})
    assert comment.body.startswith(comment_body(target))
    assert comment.body.endswith(marker(comment.fingerprint))
    assert fingerprint_of(comment.body) == comment.fingerprint


# ---------------------------------------------------------------- what to post


def _comments(n, severity=Severity.BLOCK, path="a.py"):
    findings = [finding(severity=severity, path=path, line=line) for line in range(1, n + 1)]
    source = {path: [f"call_{line}()" for line in range(1, n + 1)]}
    return inline_comments(findings, {path: change(path, added=range(1, n + 1))}, source)


def test_comments_already_standing_are_not_posted_again():
    comments = _comments(3)
    posted = [PostedComment(1, "a.py", comments[0].body, comments[0].fingerprint)]
    assert [c.line for c in comments_to_post(comments, posted, 25)] == [2, 3]


def test_a_resolved_comment_does_not_stop_the_finding_coming_back():
    comments = _comments(1)
    posted = [PostedComment(1, "a.py", f"{RESOLVED_PREFIX} gone\n\n{comments[0].body}", comments[0].fingerprint)]
    assert comments_to_post(comments, posted, 25) == comments


def test_the_cap_keeps_block_findings_first():
    warns = _comments(5, Severity.WARN, "w.py")
    blocks = _comments(3, Severity.BLOCK, "z.py")
    chosen = comments_to_post(warns + blocks, [], 4)
    assert [(c.path, c.severity) for c in chosen] == [("z.py", Severity.BLOCK)] * 3 + [("w.py", Severity.WARN)]
    assert comments_to_post(warns, [], 0) == []


def test_review_payload_is_one_comment_review_or_nothing():
    comments = _comments(2)
    payload = review_payload(comments, HEAD, introduced=5)
    assert payload["event"] == "COMMENT" and payload["commit_id"] == HEAD
    assert payload["comments"] == [c.payload() for c in comments]
    assert "2 BLOCK" in payload["body"] and "check run" in payload["body"]
    assert review_payload([], HEAD, introduced=5) is None


def test_only_our_comments_are_recognised():
    body = _comments(1)[0].body
    ours = posted_comment({"id": 7, "path": "a.py", "body": body, "user": {"type": "Bot"}})
    assert ours is not None and ours.id == 7 and ours.fingerprint == fingerprint_of(body)
    assert posted_comment({"id": 8, "path": "a.py", "body": body, "user": {"type": "User"}}) is None
    assert posted_comment({"id": 9, "path": "a.py", "body": "> " + body, "user": {"type": "Bot"}}) is None
    assert posted_comment({"id": 10, "path": "a.py", "body": "looks fine", "user": {"type": "Bot"}}) is None


def test_gone_findings_are_marked_resolved_once():
    standing = PostedComment(1, "a.py", "body one " + marker("aaaaaaaaaaaaaaaa"), "aaaaaaaaaaaaaaaa")
    still_there = PostedComment(2, "a.py", "body two " + marker("bbbbbbbbbbbbbbbb"), "bbbbbbbbbbbbbbbb")
    unexamined = PostedComment(3, "big.py", "body three " + marker("cccccccccccccccc"), "cccccccccccccccc")
    edits = resolved_edits([standing, still_there, unexamined], {"bbbbbbbbbbbbbbbb"}, {"big.py"}, HEAD)
    assert edits == [(1, f"{RESOLVED_PREFIX} This finding no longer appears at 0123456.\n\n{standing.body}")]
    marked = PostedComment(1, "a.py", edits[0][1], standing.fingerprint)
    assert resolved_edits([marked], set(), set(), "f" * 40) == []
