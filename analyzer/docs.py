"""Generate docs/rules/ from the rules' own docstrings, so the docs can never drift from the code.

    python -m analyzer.docs docs/rules           # write the pages
    python -m analyzer.docs docs/rules --check   # exit 1 when a page is stale or missing

With `--confidence docs/confidence.md --audit bench/results/precision.json`
it also writes (or checks) the confidence page (analyzer/confidence_doc.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from analyzer.confidence_doc import confidence_page, load_audit
from analyzer.registry import Rule, all_rules

_SECTIONS = ("What it does", "Why it matters", "Example", "Use instead")
_CODE_SECTIONS = {"Example", "Use instead"}


def rule_page(rule: Rule) -> str:
    lines = [f"# {rule.id}", "", f"**Severity:** {rule.severity.name} · **Measured precision:** {rule.precision:.2f}", ""]
    for title in _SECTIONS:
        body = rule.doc_section(title)
        lines.append(f"## {title}")
        lines.append("")
        if title in _CODE_SECTIONS:
            lines += ["```python", body, "```"]
        else:
            lines.append(" ".join(body.split()))
        lines.append("")
    lines += [
        "## Suppressing it",
        "",
        f"Add `# ainascan: ignore[{rule.id}]` on the flagged line or on the `def` line of the function.",
        "",
        f"_Generated from `{rule.module.replace('.', '/')}.py` by `make docs`; edit the docstring, not this page._",
        "",
    ]
    return "\n".join(lines)


def index_page(rules: dict[str, Rule]) -> str:
    lines = ["# Rules", "", f"{len(rules)} rules. Each page is generated from the rule's docstring.", "", "| Rule | Severity | What it does |", "|---|---|---|"]
    for rule in rules.values():
        summary = rule.summary.replace("|", "\\|")
        lines.append(f"| [{rule.id}]({rule.id}.md) | {rule.severity.name} | {summary} |")
    return "\n".join(lines) + "\n"


def expected_pages() -> dict[str, str]:
    rules = all_rules()
    pages = {f"{rule_id}.md": rule_page(rule) for rule_id, rule in rules.items()}
    pages["README.md"] = index_page(rules)
    return pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analyzer.docs")
    parser.add_argument("folder", type=Path)
    parser.add_argument("--check", action="store_true", help="fail when the pages are not current")
    parser.add_argument("--confidence", type=Path, help="also the confidence page, at this path")
    parser.add_argument("--audit", type=Path, help="the precision audit it cites (bench/results/precision.json)")
    args = parser.parse_args(argv)
    pages = expected_pages()
    if args.confidence is not None:
        confidence = confidence_page(all_rules(), load_audit(args.audit))
        if args.check and _read(args.confidence) != confidence:
            sys.stderr.write(f"{args.confidence} is not current; run `make docs`\n")
            return 1
        if not args.check:
            args.confidence.write_text(confidence, encoding="utf-8")
    if args.check:
        return _check_pages(args.folder, pages)
    _write_pages(args.folder, pages)
    return 0


def _read(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _check_pages(folder: Path, pages: dict[str, str]) -> int:
    """0 when `folder` holds exactly these pages; else 1, naming the stale and the orphaned ones."""
    stale = [name for name, text in pages.items() if _read(folder / name) != text]
    extra = [p.name for p in folder.glob("*.md") if p.name not in pages] if folder.is_dir() else []
    if stale or extra:
        sys.stderr.write(f"docs/rules is not current (stale: {', '.join(stale) or 'none'}; orphaned: {', '.join(extra) or 'none'}); run `make docs`\n")
        return 1
    return 0


def _write_pages(folder: Path, pages: dict[str, str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        (folder / name).write_text(text, encoding="utf-8")
    for orphan in folder.glob("*.md"):
        if orphan.name not in pages:
            orphan.unlink()


if __name__ == "__main__":
    sys.exit(main())
