"""docs/confidence.md, generated: how a finding's confidence is computed, with every number it is built from.

A finding's confidence is `rule precision × evidence strength`, clipped to
[0, 1] and rounded to two decimals (analyzer/engine.py). The precision is the
rule's `precision=`; the strengths are the `strength=` values its checks give
a Report, read here from the rule's own source with `ast` (never imported or
run), so the page cannot drift from the code. Where a hand audit of the
rule's findings on the benchmark corpus exists (bench/results/precision.json,
written with bench/results/precision.md), its sample is shown beside the
precision it supports.
"""

from __future__ import annotations

import ast
import json
import math
import sys
from pathlib import Path
from typing import Any

from analyzer.registry import Rule


def strength_cases(rule: Rule) -> list[str]:
    """The evidence strengths the rule's checks give, as written: `0.8`, or `1.0 if success else 0.9`.

    `1.0` is listed first when some Report of the rule is made without
    `strength=` (full strength, the default).
    """
    source_file = getattr(sys.modules.get(rule.module), "__file__", None)
    if not source_file:
        return ["1.0"]
    tree = ast.parse(Path(source_file).read_text(encoding="utf-8"))
    cases: list[str] = []
    default_strength = False
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == "strength":
            text = ast.unparse(node.value)
            if text not in cases:
                cases.append(text)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Report":
            default_strength = default_strength or not any(keyword.arg == "strength" for keyword in node.keywords)
    return ["1.0", *cases] if default_strength or not cases else cases


def strength_values(cases: list[str]) -> list[float]:
    """The numbers among the cases (the branches of `a if cond else b` included)."""
    values: set[float] = set()
    for case in cases:
        for node in ast.walk(ast.parse(case, mode="eval")):
            if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
                values.add(float(node.value))
    return sorted(values)


def wilson_lower_bound(successes: int, trials: int, z: float = 1.96) -> float:
    """The 95% Wilson score lower bound of a proportion: what the sample supports at the least."""
    if trials == 0:
        return 0.0
    p = successes / trials
    centre = p + z * z / (2 * trials)
    margin = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    return (centre - margin) / (1 + z * z / trials)


PRIOR_WEIGHT = 4  # the precision a rule had before its audit counts as this many audited findings


def audited_precision(prior: float, true: int, sampled: int, weight: int = PRIOR_WEIGHT) -> float:
    """The precision a rule states after its audit: the audit's share, with its prior weighing `weight` findings, rounded to 0.01.

    (A Beta prior's posterior mean: one or two audited findings cannot move a rule to 1.00.)
    """
    return round((true + weight * prior) / (sampled + weight), 2)


def load_audit(path: Path | None) -> dict[str, dict[str, Any]]:
    """Per-rule audit counts from bench/results/precision.json; empty when there is none."""
    if path is None or not path.is_file():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")).get("rules", {}))


def _basis(audited: dict[str, Any] | None, audit_recorded: bool) -> str:
    if not audit_recorded:
        return "a prior (no audit recorded)"
    if audited and audited.get("sampled"):
        sampled, true = int(audited["sampled"]), int(audited["true"])
        prior = f", prior {float(audited['prior']):.2f}" if "prior" in audited else ""
        return (
            f"audit: {true}/{sampled} sampled findings true ({true / sampled:.2f}; 95% lower bound {wilson_lower_bound(true, sampled):.2f}) "
            f"of {int(audited.get('findings', sampled)):,} on the corpus{prior}"
        )
    return "no finding on the corpus to audit: a prior, backed by the fixture and 0 false alarms on the corpus"


def confidence_page(rules: dict[str, Rule], audit: dict[str, dict[str, Any]]) -> str:
    """The whole Markdown page."""
    lines = [
        "# Confidence",
        "",
        "Every finding carries a confidence in [0, 1] (`confidence` in JSON and SARIF; shown on BLOCK comments):",
        "",
        "    confidence = round(clip(rule precision × evidence strength, 0, 1), 2)",
        "",
        "- **Rule precision** is the share of the rule's findings that are true: for a rule with findings on the",
        "  benchmark corpus (509,149 lines of Django, Flask, requests, SQLAlchemy, FastAPI, pydantic, Werkzeug, Jinja2,",
        "  click: [bench/results/noise.md](../bench/results/noise.md)) it is set from a hand audit of a random sample of",
        "  them ([bench/results/precision.md](../bench/results/precision.md), every verdict with its reason), as",
        f"  `(true + {PRIOR_WEIGHT} × prior) / (sampled + {PRIOR_WEIGHT})`: the precision the rule had before the audit counts as {PRIOR_WEIGHT}",
        "  audited findings, so one or two findings cannot move a rule to 1.00 (a Beta prior's posterior mean). A rule",
        "  with no finding there cannot be measured on it; its precision is a prior, and what backs it is its fixture",
        "  (`tests/rules/fixtures/RULE_ID.py`: every positive flagged, no near-miss flagged) and the absence of false",
        "  alarms on the corpus ([bench/results/audit.md](../bench/results/audit.md) lists those met while tuning, all fixed).",
        "- **Evidence strength** is how strong this one finding's evidence is, in [0, 1], given by the rule's check:",
        "  1.0 for the rule's clearest form, less where the same pattern has a weaker reading (a success value returned",
        "  outright, against one merely possible). The table shows each rule's strengths as its source writes them.",
        "",
        "Severity is chosen by precision too: BLOCK only where a finding is almost always a real bug.",
        "",
        "| rule | severity | precision | what the precision rests on | evidence strength | confidence |",
        "|---|---|---|---|---|---|",
    ]
    for rule_id, rule in rules.items():
        cases = strength_cases(rule)
        values = strength_values(cases)
        shown = ", ".join(f"`{case}`" for case in cases)
        low, high = (min(1.0, max(0.0, rule.precision * value)) for value in (values[0], values[-1]))
        confidence = f"{high:.2f}" if low == high else f"{low:.2f}–{high:.2f}"
        lines.append(f"| [{rule_id}](rules/{rule_id}.md) | {rule.severity.name} | {rule.precision:.2f} | {_basis(audit.get(rule_id), bool(audit))} | {shown} | {confidence} |")
    lines += ["", "_Generated by `make docs` (`analyzer/confidence_doc.py`) from the rules' source and the audit; do not edit by hand._", ""]
    return "\n".join(lines)
