"""`python -m analyzer`: the analyzer's commands without the bot."""

import sys

from analyzer.cli import main

sys.exit(main())
