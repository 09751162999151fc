"""UNKNOWN_SUPPRESSION: an `# ainascan: ignore[...]` comment names a rule that does not exist.

What it does:
    Flags a suppression comment `# ainascan: ignore[RULE_ID, ...]` that names
    a rule id the catalog does not know, usually a typo or a rule that was
    renamed, and suggests the closest known id when there is one.

Why it matters:
    A suppression with a misspelled id suppresses nothing, silently: the
    author believes a finding is acknowledged, and the next change that
    touches the line fails review for a reason nobody can see in the comment.
    Worse, a correct-looking but unknown id hides the real rule's name from
    anyone who later wants to find every place that rule was waived.

Example:
    def save_draft(draft):  # ainascan: ignore[MISSING_WRTIE]
        return {"status": "saved"}

Use instead:
    def save_draft(draft):  # ainascan: ignore[MISSING_WRITE]
        return {"status": "saved"}
"""

from __future__ import annotations

import difflib
import re
from typing import Iterator

from analyzer.facts import ModuleFacts
from analyzer.model import Fix, Severity
from analyzer.registry import MODULE, Report, all_rules, rule
from analyzer.suppression import ALL

# The bracketed id list of a suppression comment, to rewrite it in a suggested fix.
_ID_LIST = re.compile(r"(#\s*ainascan:\s*ignore\[)([^\]]*)(\])", re.IGNORECASE)


@rule("UNKNOWN_SUPPRESSION", Severity.WARN, on=MODULE, precision=1.0)
def check(module: ModuleFacts, ctx) -> Iterator[Report]:
    if not ctx.suppressions:
        return
    known = all_rules()
    for line, suppression in sorted(ctx.suppressions.items()):
        unknown = sorted(rule_id for rule_id in suppression.rule_ids if rule_id != ALL and rule_id not in known)
        if not unknown:
            continue
        guesses = {rule_id: _closest(rule_id, known) for rule_id in unknown}
        named = ", ".join(f"`{rule_id}`" for rule_id in unknown)
        hints = "; ".join(f"did you mean `{guess}`?" for guess in guesses.values() if guess)
        yield Report(
            line=line,
            message=f"suppression names unknown rule id{'s' if len(unknown) > 1 else ''} {named}, so it suppresses nothing"
            + (f" ({hints})" if hints else "; `ainascan rules` lists the known ones"),
            evidence=(line,),
            fix=_corrected(ctx.line_text(line), line, suppression.column, guesses),
        )


def _closest(rule_id: str, known) -> str | None:
    matches = difflib.get_close_matches(rule_id, list(known), n=1, cutoff=0.8)
    return matches[0] if matches else None


def _corrected(text: str, line: int, column: int, guesses: dict[str, str | None]) -> Fix | None:
    """The line with every unknown id replaced by its closest known id, when each has one."""
    if not all(guesses.values()):
        return None
    match = _ID_LIST.search(text, column)
    if match is None:
        return None
    ids = [part.strip() for part in match.group(2).split(",") if part.strip()]
    fixed_ids = ", ".join(guesses.get(rule_id.upper()) or rule_id for rule_id in ids)
    fixed = text[: match.start(2)] + fixed_ids + text[match.end(2) :]
    return Fix(line, line, fixed, "name the rule that was meant")
