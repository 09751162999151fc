"""Preconditions several FUNCTION rules share (`@rule(..., when=(HAS_TRY,))`).

One object per test, so that the engine evaluates it once per function for
every rule that declares it. A rule's own vocabulary (a name pattern) stays
in its module as a Precondition of its own.
"""

from __future__ import annotations

from operator import attrgetter

from analyzer.registry import OF_FACTS, OF_FILE, Precondition

NOT_IN_TEST_FILE = Precondition("outside test files", OF_FILE, lambda ctx: not ctx.is_test_file)
HAS_TRY = Precondition("has a try statement", OF_FACTS, attrgetter("tries"))
HAS_RETURN = Precondition("has a return statement", OF_FACTS, attrgetter("returns"))
HAS_PARAMS = Precondition("takes parameters", OF_FACTS, attrgetter("params"))
HAS_ASSIGNS = Precondition("assigns a name", OF_FACTS, attrgetter("assigns"))
HAS_CALLS = Precondition("makes a call", OF_FACTS, attrgetter("calls"))
