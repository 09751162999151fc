"""Post a pull request's new inline comments exactly once, and mark the ones whose finding has gone.

Exactly once, whatever GitHub does:
- the comments already on the pull request are read first, by their
  fingerprints, and never posted again (a retried job, a re-push);
- a review whose answer was lost (a timeout, a reset connection, a 502 after
  the fact) is not sent blindly again: the comments are read again and only
  those still missing are posted (`bot.github.reconciled`);
- GitHub refuses a whole review (422) for one comment it does not accept, so
  a refused review is split in halves and each half posted on its own, down
  to the single comments GitHub refuses: those are dropped and logged, every
  other comment is posted. A head that moved meanwhile ends the attempt (the
  new head's job comments on it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from githubkit.exception import RequestFailed

from bot.github import paginate, reconciled
from bot.publish import InlineComment, PostedComment, posted_comment, resolved_edits, review_payload

log = logging.getLogger("ainascan.inline_review")


@dataclass
class ReviewOutcome:
    """What became of the comments chosen for one review."""

    posted: list[InlineComment] = field(default_factory=list)
    refused: list[InlineComment] = field(default_factory=list)
    head_moved: bool = False


def posted_comments(gh, repo: str, number: int) -> list[PostedComment]:
    """Our review comments already on the pull request, found by their fingerprint marker."""
    items = paginate(gh, f"/repos/{repo}/pulls/{number}/comments")
    return [comment for comment in map(posted_comment, items) if comment is not None]


def standing_fingerprints(posted: list[PostedComment]) -> set[str]:
    return {comment.fingerprint for comment in posted if not comment.resolved}


def post_review(gh, repo: str, number: int, head_sha: str, chosen: list[InlineComment], introduced: int, context: dict[str, Any] | None = None) -> ReviewOutcome:
    """Post `chosen` (comments not yet on the pull request) as one review, or as few as GitHub accepts."""
    outcome = ReviewOutcome()
    attempts = 0

    def attempt() -> ReviewOutcome:
        nonlocal attempts
        remaining = [c for c in chosen if c not in outcome.refused and c not in outcome.posted]
        if attempts:  # an earlier attempt may have posted some of them before its answer was lost
            standing = standing_fingerprints(posted_comments(gh, repo, number))
            outcome.posted += [c for c in remaining if c.fingerprint in standing]
            remaining = [c for c in remaining if c.fingerprint not in standing]
        attempts += 1
        _post_halving(gh, repo, number, head_sha, remaining, introduced=introduced, outcome=outcome, context=context or {})
        return outcome

    return reconciled(attempt, f"posting the review of {repo}#{number}")


def _post_halving(gh, repo: str, number: int, head_sha: str, batch: list[InlineComment], *, introduced: int, outcome: ReviewOutcome, context: dict[str, Any]) -> None:
    payload = review_payload(batch, head_sha, introduced)
    if payload is None or outcome.head_moved:
        return
    try:
        gh.request("POST", f"/repos/{repo}/pulls/{number}/reviews", json=payload)
    except RequestFailed as exc:
        if exc.response.status_code != 422:
            raise
        if len(batch) == 1 or _head_moved(gh, repo, number, head_sha):
            if len(batch) > 1:
                outcome.head_moved = True
            for comment in batch:
                log.warning(
                    "GitHub refused the comment on %s line %d: %s",
                    comment.path,
                    comment.line,
                    _message(exc),
                    extra=context,
                )
            outcome.refused += batch
            return
        middle = len(batch) // 2
        for half in (batch[:middle], batch[middle:]):
            _post_halving(gh, repo, number, head_sha, half, introduced=introduced, outcome=outcome, context=context)
        return
    outcome.posted += batch


def _head_moved(gh, repo: str, number: int, head_sha: str) -> bool:
    pull = gh.request("GET", f"/repos/{repo}/pulls/{number}").json()
    return ((pull.get("head") or {}).get("sha")) != head_sha


def _message(exc: RequestFailed) -> str:
    try:
        body = exc.response.json()
    except ValueError:
        return exc.response.text[:300]
    if isinstance(body, dict):
        errors = body.get("errors")
        return f"{body.get('message', '')} {errors if errors else ''}".strip()[:300]
    return str(body)[:300]


def mark_resolved(gh, repo: str, posted: list[PostedComment], current: set[str], unexamined: set[str], head_sha: str) -> int:
    """Edit our standing comments whose finding is gone at `head_sha` (editing is safe to repeat); returns how many."""
    edits = resolved_edits(posted, current, unexamined, head_sha)
    for comment_id, body in edits:
        gh.request("PATCH", f"/repos/{repo}/pulls/comments/{comment_id}", json={"body": body})
    return len(edits)
