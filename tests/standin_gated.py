"""The stand-in GitHub (tests/standin_github.py) extended with what the star-gated features call.

A subclass, so the base stand-in stays as its owner wrote it. It adds:
users' starred lists and repositories' stargazers (paginated, public),
repository metadata with a star count, issue comments on pull requests, and
the zipball endpoint, which answers 302 to a separate codeload host the way
GitHub does. The codeload host is served by `codeload_handler` (mount it on
respx for CODELOAD) and records whether a request carried a token.
"""

from __future__ import annotations

import io
import re
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import httpx
import respx

from standin_github import Recorded, Reply, Repo, StandinGitHub

CODELOAD = "https://codeload.standin.test"


@dataclass
class CodeloadRequest:
    path: str
    authorization: str | None


def zipball_of(repo: str, sha: str, files: dict[str, str | bytes]) -> bytes:
    """A ZIP shaped like GitHub's zipball: every file under one `owner-name-sha7/` folder."""
    owner, name = repo.split("/")
    top = f"{owner}-{name}-{sha[:7]}/"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(top, b"")
        for path, data in sorted(files.items()):
            archive.writestr(top + path, data)
    return buffer.getvalue()


class GatedStandin(StandinGitHub):
    """StandinGitHub plus stars, repository metadata, issue comments and zipballs."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.starred: dict[str, list[str]] = {}  # user (lower case) -> repositories, newest star first
        self.repo_stars: dict[str, int] = {}
        self.issue_comments: list[dict[str, Any]] = []
        self.zipballs: dict[str, bytes] = {}  # sha -> archive served instead of the commit's files
        self.chunked_zipballs: bool = False  # serve without Content-Length, in 64 KB chunks
        self.codeload_requests: list[CodeloadRequest] = []
        self.codeload_bytes_sent = 0

    # ------------------------------------------------------------ building state

    def star(self, user: str, repo: str) -> None:
        self.starred.setdefault(user.lower(), []).insert(0, repo)

    def unstar(self, user: str, repo: str) -> None:
        self.starred[user.lower()] = [r for r in self.starred.get(user.lower(), []) if r != repo]

    def comments_on(self, repo: str, number: int) -> list[str]:
        return [c["body"] for c in self.issue_comments if c["repo"] == repo and c["number"] == number]

    def star_requests(self) -> list[Recorded]:
        return [r for r in self.requests if r.path.endswith("/starred") or r.path.endswith("/stargazers")]

    # ------------------------------------------------------------ routing

    def _route(self, method: str, path: str, query: dict[str, str], payload: Any, auth: str):
        match = re.fullmatch(r"/users/([^/]+)/starred", path)
        if match and method == "GET":
            if auth != "token":
                raise Reply(401, "Bad credentials")
            repos = self.starred.get(match.group(1).lower(), [])
            return self._page([{"full_name": name, "name": name.split("/")[1]} for name in repos], query, path)
        return super()._route(method, path, query, payload, auth)

    def _routes(self):
        return super()._routes() + (
            (r"", "GET", self._get_repo),
            (r"/stargazers", "GET", self._stargazers),
            (r"/zipball/([^/]+)", "GET", self._zipball),
            (r"/issues/(\d+)/comments", "POST", self._create_issue_comment),
        )

    def _get_repo(self, repo: Repo, query, payload):
        owner, name = repo.full_name.split("/")
        body = {"full_name": repo.full_name, "name": name, "owner": {"login": owner}, "default_branch": repo.default_branch,
                "stargazers_count": self.repo_stars.get(repo.full_name, 0)}
        return 200, body, {}

    def _stargazers(self, repo: Repo, query, payload):
        users = [{"login": user, "type": "User"} for user, repos in self.starred.items() if repo.full_name in repos]
        return self._page(users, query, f"/repos/{repo.full_name}/stargazers")

    def _zipball(self, repo: Repo, query, payload, ref):
        sha = repo.branches.get(ref, ref)
        if sha not in repo.commits and sha not in self.zipballs:
            raise Reply(404, "Not Found")
        return 302, {}, {"location": f"{CODELOAD}/{repo.full_name}/legacy.zip/{sha}"}

    def _create_issue_comment(self, repo: Repo, query, payload, number):
        if int(number) not in repo.pulls:
            raise Reply(404, "Not Found")
        if not (payload or {}).get("body"):
            raise Reply(422, "body is required")
        comment = {"id": next(self._ids), "repo": repo.full_name, "number": int(number), "body": payload["body"]}
        self.issue_comments.append(comment)
        return 201, {key: comment[key] for key in ("id", "body")}, {}

    # ------------------------------------------------------------ the codeload host

    def codeload_handler(self, request: httpx.Request) -> httpx.Response:
        self.codeload_requests.append(CodeloadRequest(request.url.path, request.headers.get("authorization")))
        match = re.fullmatch(r"/([^/]+/[^/]+)/legacy\.zip/([0-9a-f]+)", request.url.path)
        repo = self.repos.get(match.group(1)) if match else None
        if repo is None:
            return httpx.Response(404)
        sha = match.group(2)
        data = self.zipballs.get(sha)
        if data is None:
            data = zipball_of(repo.full_name, sha, repo.commits[sha])
        if self.chunked_zipballs:
            return httpx.Response(200, headers={"content-type": "application/zip"}, content=self._chunks(data))
        self.codeload_bytes_sent += len(data)
        return httpx.Response(200, headers={"content-type": "application/zip"}, content=data)

    def _chunks(self, data: bytes, size: int = 64 * 1024) -> Iterator[bytes]:
        for start in range(0, len(data), size):
            self.codeload_bytes_sent += len(data[start : start + size])
            yield data[start : start + size]


@contextmanager
def mounted(state: GatedStandin) -> Iterator[GatedStandin]:
    """`state` answering, through respx, every request to its API base URL and to the codeload host."""
    with respx.mock(assert_all_called=False) as mock:
        mock.route(url__startswith=CODELOAD).mock(side_effect=state.codeload_handler)
        mock.route(url__startswith=state.base_url).mock(side_effect=state.respx_handler)
        yield state
