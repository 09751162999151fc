"""The reviews under way, kept in Redis with a deadline, so that a check run never stays `in_progress`.

A review job records its head here before it opens the check run and
forgets it once the run is concluded, whatever the verdict. An entry whose
deadline (start + job timeout + grace, or the rate-limit reset for a
rescheduled job) has passed belongs to a review that died without a word:
the worker's maintenance (bot/worker.py) hands it to the reaper job, which
concludes the run `neutral` with an explanation and queues the review again.
GitHub offers no way to list a GitHub App's unfinished check runs, hence this list.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass

import redis

PENDING_KEY = "ainascan:pending-runs"  # sorted set: member -> deadline (unix seconds)
DETAILS_KEY = "ainascan:pending-runs:details"  # hash: member -> JSON of PendingReview
REAPING_KEY_PREFIX = "ainascan:reaping:"


@dataclass(frozen=True)
class PendingReview:
    """A review of one head: enough to conclude its check run and to queue it again."""

    installation_id: int
    repo: str
    head_sha: str
    number: int | None = None  # None: the head's pull requests are found by the job (forks)
    reaped: int = 0  # how many times the reaper has queued it again

    @property
    def member(self) -> str:
        return f"{self.repo}@{self.head_sha}"


class PendingReviews:
    """The set of reviews under way, by head, with their deadlines."""

    def __init__(self, connection: redis.Redis) -> None:
        self.connection = connection

    def expect(self, review: PendingReview, deadline: float) -> None:
        """Record that `review` is under way and should have concluded by `deadline`; keeps the reap count."""
        known = self.get(review.member)
        if known is not None and known.reaped > review.reaped:
            review = PendingReview(**{**asdict(review), "reaped": known.reaped})
        with self.connection.pipeline() as pipe:
            pipe.zadd(PENDING_KEY, {review.member: deadline})
            pipe.hset(DETAILS_KEY, review.member, json.dumps(asdict(review)))
            pipe.execute()

    def postpone(self, member: str, deadline: float) -> None:
        """Move the deadline of a review that is still expected (a rescheduled job waits for a rate-limit reset)."""
        self.connection.zadd(PENDING_KEY, {member: deadline}, xx=True)

    def done(self, repo: str, head_sha: str) -> None:
        """The head's check run has concluded: nothing left to watch."""
        member = f"{repo}@{head_sha}"
        with self.connection.pipeline() as pipe:
            pipe.zrem(PENDING_KEY, member)
            pipe.hdel(DETAILS_KEY, member)
            pipe.execute()

    def get(self, member: str) -> PendingReview | None:
        raw = self.connection.hget(DETAILS_KEY, member)
        return PendingReview(**json.loads(raw)) if raw else None

    def deadline(self, member: str) -> float | None:
        return self.connection.zscore(PENDING_KEY, member)

    def overdue(self, now: float | None = None, limit: int = 50) -> list[PendingReview]:
        """Reviews past their deadline, oldest first."""
        now = time.time() if now is None else now
        members = self.connection.zrangebyscore(PENDING_KEY, "-inf", now, start=0, num=limit)
        found = []
        for raw in members:
            review = self.get(raw.decode() if isinstance(raw, bytes) else raw)
            if review is not None:
                found.append(review)
            else:  # details lost: nothing to act on
                self.connection.zrem(PENDING_KEY, raw)
        return found

    def claim(self, review: PendingReview, hold_seconds: int) -> bool:
        """Whether this process may reap `review` now: one worker of many, once per `hold_seconds`."""
        return bool(self.connection.set(REAPING_KEY_PREFIX + review.member, 1, nx=True, ex=max(1, hold_seconds)))
