"""A review GitHub refuses (422) for one comment: only the offending comments are dropped, the rest are posted."""

from __future__ import annotations

import logging

from bot.jobs import review
from bot.github import installation_client
from reliability.helpers import REPO, def_line, with_hollow

NAMES = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf")


def test_one_refused_comment_is_dropped_and_every_other_is_posted(settings, standin, caplog):
    source = with_hollow(*NAMES)
    head = standin.add_pull(REPO, 7, {"app/profiles.py": source})
    refused_line = def_line(source, "delta")
    standin.refuse_comments(lambda comment: comment["line"] == refused_line)
    caplog.set_level(logging.WARNING)
    with installation_client(settings, 1) as gh:
        outcome = review(gh, settings, REPO, 7, head)

    posted = sorted(c["line"] for c in standin.comments)
    assert posted == sorted(def_line(source, name) for name in NAMES if name != "delta")
    assert outcome["comments_posted"] == 6 and outcome["comments_refused"] == 1
    assert f"GitHub refused the comment on app/profiles.py line {refused_line}" in caplog.text
    attempts = [r for r in standin.requests if r.method == "POST" and r.path.endswith("/reviews")]
    assert len(attempts) <= 1 + 2 * 3  # halving: the whole, then at most two halves a level down to one comment
    assert standin.runs_for(head)[0]["conclusion"] == "failure"  # the verdict does not depend on comments


def test_several_refused_comments_cost_only_themselves(settings, standin):
    source = with_hollow(*NAMES)
    head = standin.add_pull(REPO, 7, {"app/profiles.py": source})
    refused = {def_line(source, "alpha"), def_line(source, "golf"), def_line(source, "charlie")}
    standin.refuse_comments(lambda comment: comment["line"] in refused)
    with installation_client(settings, 1) as gh:
        outcome = review(gh, settings, REPO, 7, head)
    assert sorted(c["line"] for c in standin.comments) == sorted(def_line(source, n) for n in NAMES if def_line(source, n) not in refused)
    assert outcome["comments_refused"] == 3


def test_a_head_that_moved_while_posting_stops_the_halving(settings, standin):
    source = with_hollow(*NAMES)
    head = standin.add_pull(REPO, 7, {"app/profiles.py": source})

    def moved(comment) -> bool:  # a push lands after the review was read: GitHub now refuses comments on the old diff
        standin.push(REPO, 7, {"app/profiles.py": source + "\n"}, seed="moved")
        return True

    standin.refuse_comments(moved)
    with installation_client(settings, 1) as gh:
        outcome = review(gh, settings, REPO, 7, head)
    assert standin.comments == [] and outcome["comments_refused"] == len(NAMES)
    assert len([r for r in standin.requests if r.method == "POST" and r.path.endswith("/reviews")]) == 1
