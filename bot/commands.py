"""What users can ask the bot for on a pull request: `/ainascan ...` comment commands and the check run's button (pure).

    /ainascan full-scan    scan every Python file of the repository at the pull request's head
    /ainascan history      list the recent scans of the pull request and the repository, with the trend

A command is a line of its own that starts with `/ainascan` (case does not
matter, leading spaces are allowed). Lines inside fenced code blocks and
quoted lines (`> /ainascan ...`, as a reply quotes them) are not commands,
so quoting someone's request does not repeat it. The `AINAScan` check run
carries a "Full scan" button whose click GitHub delivers as `check_run`
`requested_action` with the identifier `full-scan`.
"""

from __future__ import annotations

import enum
import re


class Command(enum.Enum):
    FULL_SCAN = "full-scan"
    HISTORY = "history"


FULL_SCAN_IDENTIFIER = Command.FULL_SCAN.value

# The button on the `AINAScan` check run (GitHub: label <= 20, description <= 40, identifier <= 20 characters).
FULL_SCAN_ACTION = {
    "label": "Full scan",
    "description": "Scan every file of the repository",
    "identifier": FULL_SCAN_IDENTIFIER,
}

_COMMAND_LINE = re.compile(r"^[ \t]{0,3}/ainascan(?:[ \t]+(?P<word>\S+))?", re.IGNORECASE)
_FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")
_ALIASES = {"full-scan": Command.FULL_SCAN, "fullscan": Command.FULL_SCAN, "full_scan": Command.FULL_SCAN, "history": Command.HISTORY}


def parse_commands(body: str | None) -> list[Command]:
    """The commands a comment gives, in order, each at most once; unknown `/ainascan` words are ignored."""
    commands: list[Command] = []
    fence: str | None = None
    for line in (body or "").splitlines():
        opening = _FENCE.match(line)
        if opening:
            marker = opening.group(1)
            fence = None if fence == marker else (fence or marker)
            continue
        if fence is not None:
            continue
        match = _COMMAND_LINE.match(line)
        if match is None:
            continue
        command = _ALIASES.get((match.group("word") or "").lower())
        if command is not None and command not in commands:
            commands.append(command)
    return commands
