"""Tests for bot/commands.py: which pull request comments are `/ainascan` commands, and the check run's button."""

from __future__ import annotations

import pytest

from bot.commands import FULL_SCAN_ACTION, Command, parse_commands


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("/ainascan full-scan", [Command.FULL_SCAN]),
        ("/ainascan history", [Command.HISTORY]),
        ("/AINAScan Full-Scan please", [Command.FULL_SCAN]),
        ("Thanks!\n\n  /ainascan history\n", [Command.HISTORY]),
        ("/ainascan history\r\n/ainascan full-scan", [Command.HISTORY, Command.FULL_SCAN]),
        ("/ainascan full-scan\n/ainascan full-scan", [Command.FULL_SCAN]),
        ("/ainascan fullscan", [Command.FULL_SCAN]),
    ],
)
def test_commands_on_their_own_lines_are_recognised(body, expected):
    assert parse_commands(body) == expected


@pytest.mark.parametrize(
    "body",
    [
        None,
        "",
        "/ainascan",
        "/ainascan deploy",
        "please run /ainascan full-scan",  # not at the start of a line
        "> /ainascan full-scan",  # a quoted request is not a new one
        "```\n/ainascan full-scan\n```",
        "~~~text\n/ainascan history\n~~~",
        "    /ainascan history",  # indented four spaces: a Markdown code block
        "/ainascanfull-scan",
        "`/ainascan full-scan`",
    ],
)
def test_other_text_is_not_a_command(body):
    assert parse_commands(body) == []


def test_a_command_after_a_closed_fence_counts():
    assert parse_commands("```\n/ainascan history\n```\n/ainascan full-scan") == [Command.FULL_SCAN]


def test_the_full_scan_button_fits_githubs_limits():
    assert FULL_SCAN_ACTION["identifier"] == "full-scan"
    assert len(FULL_SCAN_ACTION["label"]) <= 20 and len(FULL_SCAN_ACTION["description"]) <= 40 and len(FULL_SCAN_ACTION["identifier"]) <= 20
