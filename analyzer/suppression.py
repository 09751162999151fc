"""Inline suppressions: `# ainascan: ignore` and `# ainascan: ignore[RULE_ID, ...]` comments."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

_MARKER = re.compile(r"ainascan:", re.IGNORECASE)  # a cheap test before tokenizing
_PATTERN = re.compile(r"#\s*ainascan:\s*ignore(?:\[(?P<ids>[^\]]*)\])?", re.IGNORECASE)

ALL = "*"


@dataclass(frozen=True, slots=True)
class Suppression:
    line: int
    rule_ids: frozenset[str]  # {ALL} for a bare `ignore`
    column: int

    def covers(self, rule_id: str) -> bool:
        return ALL in self.rule_ids or rule_id in self.rule_ids


def parse_suppressions(source: str) -> dict[int, Suppression]:
    """Suppression comments by line. Only real comments count, not text inside strings."""
    if not (("ainascan:" in source.lower()) if source.isascii() else _MARKER.search(source)):
        return {}  # lower() is a fast scan for ASCII text; other text keeps the regex's Unicode case rules
    found: dict[int, Suppression] = {}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return {}
    for token in tokens:
        if token.type != tokenize.COMMENT:
            continue
        match = _PATTERN.search(token.string)
        if not match:
            continue
        ids_text = match.group("ids")
        if ids_text is None:
            ids = frozenset({ALL})
        else:
            ids = frozenset(part.strip().upper() for part in ids_text.split(",") if part.strip())
        found[token.start[0]] = Suppression(token.start[0], ids, token.start[1])
    return found
