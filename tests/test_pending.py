"""Tests for bot/pending.py: the reviews under way, with deadlines, on a real Redis."""

from __future__ import annotations

from bot.pending import PendingReview, PendingReviews


def test_a_review_is_overdue_only_after_its_deadline_and_gone_once_done(redis_conn):
    pending = PendingReviews(redis_conn)
    review = PendingReview(1, "octo/shop", "a" * 40, 7)
    pending.expect(review, deadline=100.0)
    assert pending.overdue(now=99.0) == []
    assert pending.overdue(now=100.0) == [review]
    pending.done("octo/shop", "a" * 40)
    assert pending.overdue(now=10**9) == []


def test_postponing_moves_the_deadline_of_a_known_review_only(redis_conn):
    pending = PendingReviews(redis_conn)
    review = PendingReview(1, "octo/shop", "b" * 40)
    pending.expect(review, deadline=100.0)
    pending.postpone(review.member, 500.0)
    pending.postpone("octo/shop@" + "c" * 40, 50.0)  # unknown: not created
    assert pending.deadline(review.member) == 500.0
    assert pending.overdue(now=499.0) == [] and pending.overdue(now=500.0) == [review]


def test_a_new_attempt_keeps_the_reap_count(redis_conn):
    pending = PendingReviews(redis_conn)
    pending.expect(PendingReview(1, "octo/shop", "d" * 40, 7, reaped=2), deadline=1.0)
    pending.expect(PendingReview(1, "octo/shop", "d" * 40, 7), deadline=2.0)
    assert pending.get("octo/shop@" + "d" * 40).reaped == 2


def test_only_one_claim_per_hold(redis_conn):
    pending = PendingReviews(redis_conn)
    review = PendingReview(1, "octo/shop", "e" * 40)
    assert pending.claim(review, 60) is True
    assert pending.claim(review, 60) is False
