"""One pull request as the review needs it: its state, its changed files with their patches, and their contents at the head.

Contents come from GraphQL, up to 50 files a query (`object(expression:
"SHA:path") { ... on Blob { text } }`), so a pull request of 200 files costs
4 requests, not 200. GraphQL gives no text for big blobs, and replaces bytes
that are not UTF-8; those few files are read again as raw bytes (the contents
API with the raw media type serves up to 100 MB) and decoded the way Python
does (PEP 263 coding cookie, BOM). Which files to read is decided by a pure
function, `plan_review`, that also says why each skipped file was skipped.
GitHub lists at most 3,000 files of a pull request: `unlisted_files` says how
many it left out, and the check run says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable
from urllib.parse import quote

from analyzer.diff import DiffError, FileChange, patch_changes
from analyzer.engine import DEFAULT_MAX_BYTES, decode_source
from bot.github import graphql, paginate, split_repo
from bot.repo_config import RepoConfig

BLOBS_PER_QUERY = 50
MAX_FILE_PAGES = 30  # GitHub lists at most 3,000 files, 100 a page
MAX_LISTED_FILES = 3000
RAW_MEDIA_TYPE = "application/vnd.github.raw+json"


@dataclass(frozen=True)
class ChangedFile:
    """One entry of GET /repos/{o}/{r}/pulls/{n}/files."""

    path: str
    status: str  # added, removed, modified, renamed, copied, changed, unchanged
    patch: str | None
    changes: int = 0
    previous_path: str | None = None

    @classmethod
    def from_api(cls, item: dict[str, Any]) -> "ChangedFile":
        return cls(item["filename"], item.get("status", "modified"), item.get("patch"), item.get("changes", 0), item.get("previous_filename"))


@dataclass(frozen=True)
class Skipped:
    """A changed Python file the review did not analyze, and why; the check run lists these."""

    path: str
    reason: str


@dataclass(frozen=True)
class ReviewPlan:
    """Which files to read and analyze (with their diff lines), and which Python files were skipped."""

    changes: dict[str, FileChange]
    skipped: tuple[Skipped, ...]


@dataclass(frozen=True)
class Blob:
    """A file's contents at the head commit, as GraphQL gives it (text is None for binary or large blobs)."""

    text: str | None
    is_binary: bool = False
    byte_size: int = 0
    is_truncated: bool = False
    problem: str | None = None  # why it cannot be analyzed, when reading it said so (say, an undecodable encoding)

    @property
    def needs_raw_read(self) -> bool:
        """GraphQL gave no text for a text blob (too big), or replaced bytes that are not UTF-8."""
        if self.is_binary or self.problem:
            return False
        return self.text is None or self.is_truncated or "\ufffd" in self.text


def is_python(path: str) -> bool:
    return path.endswith(".py")


def plan_review(files: Iterable[ChangedFile], config: RepoConfig) -> ReviewPlan:
    """The Python files worth analyzing. Deleted and non-Python files are out silently; the rest are named with a reason."""
    changes: dict[str, FileChange] = {}
    skipped: list[Skipped] = []
    for changed in files:
        if not is_python(changed.path) or changed.status == "removed":
            continue
        if changed.status == "renamed" and changed.changes == 0:
            continue  # moved without an edit: nothing was added
        if config.excludes(changed.path):
            skipped.append(Skipped(changed.path, f"excluded by {config.source or 'the configuration'}"))
            continue
        if not changed.patch:
            skipped.append(Skipped(changed.path, "GitHub sent no diff for it (binary, or the diff is too large)"))
            continue
        try:
            change = patch_changes(changed.path, changed.patch)
        except DiffError as exc:
            skipped.append(Skipped(changed.path, f"unreadable diff: {exc}"))
            continue
        if change.added:
            changes[change.path] = change
    return ReviewPlan(changes, tuple(skipped))


# ---------------------------------------------------------------- fetching


def get_pull_request(gh, repo: str, number: int) -> dict[str, Any]:
    return gh.request("GET", f"/repos/{repo}/pulls/{number}").json()


def list_files(gh, repo: str, number: int) -> list[ChangedFile]:
    """Every changed file of the pull request, 100 a page."""
    return [ChangedFile.from_api(item) for item in paginate(gh, f"/repos/{repo}/pulls/{number}/files", max_pages=MAX_FILE_PAGES)]


def unlisted_files(pull: dict[str, Any], listed: int) -> int:
    """How many changed files GitHub left out of the listing (it lists at most 3,000)."""
    changed = pull.get("changed_files")
    return max(0, changed - listed) if isinstance(changed, int) else 0


def open_pull_requests_for(gh, repo: str, head_sha: str) -> list[dict[str, Any]]:
    """The open pull requests of `repo` whose head is `head_sha` (pull requests from forks included)."""
    return [pr for pr in paginate(gh, f"/repos/{repo}/pulls", {"state": "open"}) if pr.get("head", {}).get("sha") == head_sha]


def blob_query(count: int) -> str:
    """A GraphQL query reading `count` blobs of one repository, aliased f0, f1, ...; expressions are variables, never spliced in."""
    params = "".join(f", $e{i}: String!" for i in range(count))
    fields = " ".join(
        f"f{i}: object(expression: $e{i}) {{ ... on Blob {{ text isBinary byteSize isTruncated }} }}" for i in range(count)
    )
    return f"query($owner: String!, $name: String!{params}) {{ repository(owner: $owner, name: $name) {{ {fields} }} }}"


def read_blobs(gh, repo: str, sha: str, paths: Iterable[str], batch_size: int = BLOBS_PER_QUERY, max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, Blob | None]:
    """The contents of `paths` at commit `sha`, `batch_size` files a query; None for a path that is not a file there.

    Blobs GraphQL could not give as text (see `Blob.needs_raw_read`) are read
    again as raw bytes when they are at most `max_bytes` (the analyzer's limit).
    """
    owner, name = split_repo(repo)
    paths = list(paths)
    blobs: dict[str, Blob | None] = {}
    for start in range(0, len(paths), batch_size):
        batch = paths[start : start + batch_size]
        variables: dict[str, Any] = {"owner": owner, "name": name}
        variables.update({f"e{i}": f"{sha}:{path}" for i, path in enumerate(batch)})
        repository = graphql(gh, blob_query(len(batch)), variables).get("repository") or {}
        for i, path in enumerate(batch):
            node = repository.get(f"f{i}")
            blobs[path] = (
                None
                if not node or "isBinary" not in node
                else Blob(node.get("text"), bool(node["isBinary"]), int(node.get("byteSize") or 0), bool(node.get("isTruncated")))
            )
    for path, blob in blobs.items():
        if blob is not None and blob.needs_raw_read and blob.byte_size <= max_bytes:
            blobs[path] = read_raw_blob(gh, repo, sha, path)
    return blobs


def read_raw_blob(gh, repo: str, sha: str, path: str) -> Blob:
    """A file's exact bytes at `sha` (contents API, raw media type: up to 100 MB), decoded as Python decodes source."""
    response = gh.request("GET", f"/repos/{repo}/contents/{quote(path)}", params={"ref": sha}, headers={"Accept": RAW_MEDIA_TYPE})
    raw = response.content
    text, error = decode_source(raw, path)
    if error is not None:
        return Blob(None, False, len(raw), False, problem=f"{error.kind}: {error.message}")
    return Blob(text, False, len(raw), False)
