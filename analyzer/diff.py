"""Unified diffs to changed lines, and the findings a change introduced.

Reads whole `git diff` output and GitHub's header-less per-file `patch`
strings alike (unidiff underneath). A finding is introduced by a change when
any of its evidence lines is a line the change added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from analyzer.model import Finding


class DiffError(ValueError):
    """The text is not a unified diff we can read."""


@dataclass(frozen=True)
class FileChange:
    """What a diff does to one file, in the new file's line numbers."""

    path: str  # the new path ("b/" side); the old path for a deleted file
    added: frozenset[int]
    # Lines an inline review comment may sit on: added and context lines of the hunks.
    commentable: frozenset[int]
    status: str = "modified"  # added, modified, removed, renamed, binary
    old_path: str | None = None


@dataclass
class DiffScope:
    """The files of one diff, by new path."""

    files: dict[str, FileChange] = field(default_factory=dict)

    def added_lines(self, path: str) -> frozenset[int]:
        change = self.files.get(_normal(path))
        return change.added if change else frozenset()

    def introduced(self, finding: Finding) -> bool:
        return self.introduced_at(finding.path, finding)

    def introduced_at(self, path: str, finding: Finding) -> bool:
        """Whether the change added one of the finding's evidence lines, the file being `path` in the diff."""
        added = self.added_lines(path)
        return any(line in added for line in finding.evidence_lines)

    def keep_introduced(self, findings: Iterable[Finding]) -> list[Finding]:
        return [f for f in findings if self.introduced(f)]


def _normal(path: str) -> str:
    path = path.replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path


def _strip_prefix(path: str | None) -> str | None:
    if path is None or path == "/dev/null":
        return None
    if path.startswith(("a/", "b/")):
        path = path[2:]
    return _normal(path)


def parse_diff(text: str) -> DiffScope:
    """A whole unified diff (`git diff`, `diff -u`) to the changed lines of each file."""
    if not text.strip():
        return DiffScope()
    try:
        patch = PatchSet(text)
    except (UnidiffParseError, ValueError) as exc:
        raise DiffError(f"not a unified diff: {exc}") from exc
    if not len(patch):
        # Non-blank text with no file section is the wrong file, not an empty change:
        # scoping to it would hide every finding.
        raise DiffError("not a unified diff: no file sections found")
    scope = DiffScope()
    for patched in patch:
        target = _strip_prefix(patched.target_file)
        source = _strip_prefix(patched.source_file)
        path = target or source or _normal(patched.path)
        scope.files[path] = _file_change(patched, path, source)
    return scope


def patch_changes(path: str, patch: str | None) -> FileChange:
    """GitHub's per-file `patch` (hunks without `---`/`+++` headers) to its changed lines."""
    path = _normal(path)
    if not patch:
        return FileChange(path, frozenset(), frozenset(), status="binary")
    text = patch if patch.endswith("\n") else patch + "\n"
    try:
        patched = PatchSet(f"--- a/{path}\n+++ b/{path}\n{text}")
    except (UnidiffParseError, ValueError) as exc:
        raise DiffError(f"{path}: unreadable patch: {exc}") from exc
    if not len(patched) or not len(patched[0]):
        raise DiffError(f"{path}: patch has no hunks")
    return _file_change(patched[0], path, path)


def _file_change(patched, path: str, source: str | None) -> FileChange:
    added: set[int] = set()
    commentable: set[int] = set()
    for hunk in patched:
        for line in hunk:
            if line.is_added:
                added.add(line.target_line_no)
                commentable.add(line.target_line_no)
            elif line.is_context:
                commentable.add(line.target_line_no)
    if patched.is_binary_file:
        status = "binary"
    elif patched.is_added_file:
        status = "added"
    elif patched.is_removed_file:
        status = "removed"
    elif patched.is_rename:
        status = "renamed"
    else:
        status = "modified"
    return FileChange(path, frozenset(added), frozenset(commentable), status, source if source != path else None)
