"""The `ainascan` console script: the analyzer's commands, plus the bot's server commands.

Server imports are lazy so that `ainascan scan` starts fast.
"""

from __future__ import annotations

import sys

from analyzer.cli import build_parser, dispatch


def main(argv: list[str] | None = None) -> int:
    parser, _subparsers = build_parser("ainascan")
    return dispatch(parser, argv)


if __name__ == "__main__":
    sys.exit(main())
