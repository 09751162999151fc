"""A stand-in for the parts of GitHub's API the bot uses, kept in memory, for tests.

It serves the REST and GraphQL endpoints the worker calls: installation
tokens (checking the App's JWT against its public key), pull requests, their
files with patches computed from real before/after texts, file contents,
blobs through GraphQL, check runs with annotations, reviews and review
comments. It enforces the rules of GitHub that the bot must respect (50
annotations a request, 65,535 characters of summary, review comments only on
lines of a diff hunk, one bad comment refusing the whole review, no way back
from `completed` to `in_progress`) and records every request.

Use it two ways: `StandinServer` runs it as a threaded HTTP server on
127.0.0.1 (end-to-end tests start `ainascan serve` / `ainascan worker`
against it), and `StandinGitHub.respx_handler` answers httpx requests
intercepted by respx.

Faults are injected two ways: `fail_next` answers the next matching request
with a given status, and `inject_faults` makes a seeded share of all requests
fail the ways GitHub does (5xx before or after doing the work, timeouts,
reset connections, secondary and primary rate limits). It also models what
big and odd pull requests look like (no `patch` for binary or huge diffs, the
3,000-file listing cap, renames, forks, non-UTF-8 text, files over 1 MB that
only the raw media type serves) and the App's webhook deliveries API.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import itertools
import json
import random
import re
import secrets
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import httpx
import jwt

BOT_USER = {"login": "ainascan[bot]", "id": 9000, "type": "Bot"}
MAX_SUMMARY = 65_535
GRAPHQL_TEXT_LIMIT = 512 * 1024
MAX_LISTED_FILES = 3000  # GitHub lists at most 3,000 files of a pull request
CONTENTS_JSON_LIMIT = 1024 * 1024  # the contents API sends no content above 1 MB unless asked for the raw media type
FAULT_KINDS = ("5xx", "5xx-after", "timeout", "timeout-after", "reset", "secondary", "secondary-429", "primary")


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    auth: str  # "jwt", "token", "none"


@dataclass
class Repo:
    full_name: str
    default_branch: str = "main"
    commits: dict[str, dict[str, str | bytes]] = field(default_factory=dict)  # sha -> {path: contents}
    branches: dict[str, str] = field(default_factory=dict)  # name -> sha
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    pull_files: dict[int, list[dict[str, Any]]] = field(default_factory=dict)


class TransportFault(Exception):
    """The connection fails instead of answering: "timeout" (no answer in time) or "reset" (dropped)."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


class Reply(Exception):
    """An HTTP answer other than 2xx, raised from inside a handler."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def commit_sha(seed: str) -> str:
    return hashlib.sha1(seed.encode("utf-8")).hexdigest()


def is_binary(data: str | bytes | None) -> bool:
    """Git's rule of thumb: bytes with a NUL are binary; other bytes are text in some encoding."""
    return isinstance(data, bytes) and b"\x00" in data


def as_text(data: str | bytes | None) -> str:
    """Text to diff: bytes are read one byte a character (latin-1), which keeps their lines where they are."""
    return data.decode("latin-1") if isinstance(data, bytes) else (data or "")


def github_patch(before: str, after: str) -> str:
    """GitHub's per-file `patch`: unified hunks with 3 lines of context and no ---/+++ header."""
    lines = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=3))
    return "\n".join(lines[2:])


def commentable_lines(patch: str) -> list[set[int]]:
    """For each hunk, the new-file lines a review comment may sit on (added and context lines)."""
    hunks: list[set[int]] = []
    new_line = 0
    for text in patch.splitlines():
        header = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@", text)
        if header:
            new_line = int(header.group(1))
            hunks.append(set())
        elif hunks and text.startswith(("+", " ")):
            hunks[-1].add(new_line)
            new_line += 1
        elif hunks and text.startswith("\\"):
            continue
    return hunks


class StandinGitHub:
    """GitHub's state for a few repositories, and the handler answering the bot's requests."""

    def __init__(self, app_id: int, public_key_pem: str, base_url: str = "http://standin.invalid"):
        self.app_id = app_id
        self.public_key_pem = public_key_pem
        self.base_url = base_url.rstrip("/")
        self.repos: dict[str, Repo] = {}
        self.requests: list[Recorded] = []
        self.tokens: dict[str, datetime] = {}
        self.check_runs: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []
        self.comments: list[dict[str, Any]] = []
        self.failures: list[tuple] = []  # method, path regex, status (or "timeout"/"reset"), headers, message, after the work?
        self.holds: list[tuple[str, str, threading.Event]] = []  # requests that wait until their event is set
        self.held: Counter = Counter()  # how many requests each hold has caught
        self.graphql_text_limit = GRAPHQL_TEXT_LIMIT
        self.graphql_reads: list[tuple[str, str]] = []  # (repository, `REF:path`) of every object a GraphQL query asked for
        self.patch_limit: int | None = None  # characters above which a file's diff gets no `patch`, as for GitHub's huge diffs
        self.comment_refusals: list[Any] = []  # predicates: a review with a comment matching one is refused with 422
        self.deliveries: list[dict[str, Any]] = []  # the App's webhook deliveries, oldest first
        self.redelivery_requests: list[int] = []
        self.redelivery_status = 202  # status_code of the attempts that redeliveries create
        self.on_redeliver: Any = None  # called with the delivery GitHub is asked to send again
        self.fault_rate = 0.0
        self.fault_kinds: tuple[str, ...] = ()
        self.faults_injected: Counter = Counter()
        self.fault_exempt: re.Pattern | None = None
        self.timeout_delay = 0.0  # seconds a served "timeout" holds the connection (past the client's timeout)
        self.primary_reset_seconds = 2
        self._rng = random.Random(0)
        self._request_headers: dict[str, str] = {}
        self._ids = itertools.count(1000)
        self._lock = threading.RLock()

    # ------------------------------------------------------------ building state

    def add_repo(self, full_name: str, files: dict[str, str | bytes] | None = None, default_branch: str = "main") -> str:
        """A repository whose default branch holds `files`; returns the branch's commit SHA."""
        repo = self.repos.setdefault(full_name, Repo(full_name, default_branch))
        sha = commit_sha(f"{full_name}:{default_branch}:{sorted((files or {}).items())!r}")
        repo.commits[sha] = dict(files or {})
        repo.branches[default_branch] = sha
        return sha

    def add_pull(
        self,
        full_name: str,
        number: int,
        head_files: dict[str, str | bytes | None],
        *,
        draft: bool = False,
        seed: str = "",
        head_sha: str | None = None,
        pull_json: dict[str, Any] | None = None,
        renames: dict[str, str] | None = None,
        fork: str | None = None,
    ) -> str:
        """Pull request `number` changing the default branch's files to `head_files` (None deletes); returns the head SHA.

        `pull_json` (say, the `pull_request` of a real webhook payload) gives the
        pull request's shape; its head and base SHAs are replaced by this state's.
        `renames` maps new paths to the base paths they were moved from (their
        contents are in `head_files`); `fork` names the repository the head
        comes from (its commits are readable in the base repository, as on GitHub).
        """
        repo = self.repos[full_name]
        base_sha = repo.branches[repo.default_branch]
        if fork:
            owner, name = fork.split("/")
            fork_json = {"full_name": fork, "name": name, "owner": {"login": owner}, "fork": True}
            pull_json = {**(pull_json or {}), "head": {"ref": f"patch-{number}", "label": f"{owner}:patch-{number}", "repo": fork_json}}
        return self._set_head(repo, number, base_sha, head_files, draft=draft, seed=seed, head_sha=head_sha, pull_json=pull_json, renames=renames)

    def push(self, full_name: str, number: int, head_files: dict[str, str | bytes | None], seed: str = "push") -> str:
        """A new head for the pull request: the base's files changed to `head_files`; returns the new head SHA."""
        repo = self.repos[full_name]
        pull = repo.pulls[number]
        return self._set_head(repo, number, pull["base"]["sha"], head_files, draft=pull["draft"], seed=seed)

    def set_draft(self, full_name: str, number: int, draft: bool) -> None:
        self.repos[full_name].pulls[number]["draft"] = draft

    def _set_head(self, repo: Repo, number: int, base_sha: str, head_files, *, draft: bool, seed: str, head_sha: str | None = None, pull_json=None, renames=None) -> str:
        base = repo.commits[base_sha]
        tree = dict(base)
        renames = dict(renames or {})
        for old_path in renames.values():
            tree.pop(old_path, None)
        for path, text in head_files.items():
            if text is None:
                tree.pop(path, None)
            else:
                tree[path] = text
        head_sha = head_sha or commit_sha(f"{repo.full_name}#{number}:{seed}:{sorted((k, str(v)) for k, v in tree.items())!r}")
        repo.commits[head_sha] = tree
        entries = []
        for path in sorted(head_files):
            old_path = renames.get(path)
            entry = self._file_entry(path, base.get(old_path or path), tree.get(path), self.patch_limit)
            if old_path:
                entry.update(status="renamed", previous_filename=old_path)
            entries.append(entry)
        repo.pull_files[number] = entries
        owner = repo.full_name.split("/")[0]
        repo_json = {"full_name": repo.full_name, "name": repo.full_name.split("/")[1], "owner": {"login": owner}, "default_branch": repo.default_branch}
        pull = json.loads(json.dumps(pull_json or repo.pulls.get(number) or {}))
        pull.update(number=number, state=pull.get("state", "open"), draft=draft, changed_files=len(entries))
        pull["head"] = {**pull.get("head", {"ref": f"feature-{number}", "repo": repo_json}), "sha": head_sha}
        pull["base"] = {**pull.get("base", {"ref": repo.default_branch}), "sha": base_sha}
        pull["base"]["repo"] = {**pull["base"].get("repo", {}), **repo_json}
        repo.pulls[number] = pull
        return head_sha

    @staticmethod
    def _file_entry(path: str, before, after, patch_limit: int | None = None) -> dict[str, Any]:
        status = "added" if before is None else "removed" if after is None else "modified"
        entry: dict[str, Any] = {"filename": path, "status": status}
        if is_binary(before) or is_binary(after):
            entry["changes"] = 1
            return entry  # binary: GitHub sends no patch
        patch = github_patch(as_text(before), as_text(after))
        entry["changes"] = sum(1 for line in patch.splitlines() if line[:1] in "+-" and not line.startswith("@@"))
        entry["additions"] = sum(1 for line in patch.splitlines() if line.startswith("+"))
        if patch and (patch_limit is None or len(patch) <= patch_limit):
            entry["patch"] = patch  # a diff too large gets none, as on GitHub
        return entry

    def fail_next(self, method: str, path_pattern: str, status: int, headers: dict[str, str] | None = None, message: str = "failure", *, after: bool = False) -> None:
        """Answer the next request matching `method` and `path_pattern` (a regex) with `status` (after doing its work, with `after`)."""
        with self._lock:
            self.failures.append((method, path_pattern, status, headers or {}, message, after))

    def drop_next(self, method: str, path_pattern: str, kind: str = "timeout", *, after: bool = False) -> None:
        """Fail the next matching request at the connection: "timeout" or "reset" (after doing its work, with `after`)."""
        assert kind in ("timeout", "reset")
        with self._lock:
            self.failures.append((method, path_pattern, kind, {}, kind, after))

    def hold(self, method: str, path_pattern: str) -> threading.Event:
        """Make matching requests wait until the returned event is set (a job caught mid-review); `held` counts them."""
        release = threading.Event()
        with self._lock:
            self.holds.append((method, path_pattern, release))
        return release

    def wait_if_held(self, method: str, path: str) -> None:
        """Called before a request is handled, outside the lock, so that a held request stops nothing else."""
        for want_method, pattern, release in list(self.holds):
            if want_method == method and re.search(pattern, urlsplit(path).path) and not release.is_set():
                with self._lock:
                    self.held[pattern] += 1
                release.wait()

    def inject_faults(self, rate: float, seed: int, kinds: tuple[str, ...] = FAULT_KINDS, exempt: str | None = None) -> None:
        """Make a seeded share `rate` of requests (those whose path does not match `exempt`) fail one of `kinds`:

        5xx          a 502/503/500 before anything is done
        5xx-after    the work is done, then a 502 (the client cannot know it was)
        timeout      no answer in time (before the work); timeout-after: after it
        reset        the connection is dropped before the work
        secondary    403 with retry-after (a secondary rate limit); secondary-429: 429 with retry-after
        primary      403 with x-ratelimit-remaining 0 and a reset `primary_reset_seconds` ahead
        """
        unknown = set(kinds) - set(FAULT_KINDS)
        assert not unknown, unknown
        with self._lock:
            self.fault_rate, self.fault_kinds = rate, tuple(kinds)
            self.fault_exempt = re.compile(exempt) if exempt else None
            self._rng = random.Random(seed)

    def refuse_comments(self, predicate) -> None:
        """Refuse (422, whole review) any review holding a comment for which `predicate(comment)` is true."""
        self.comment_refusals.append(predicate)

    def add_delivery(self, guid: str, status_code: int, *, event: str = "pull_request", action: str | None = "opened", delivered_at: datetime | None = None, redelivery: bool = False, payload: Any = None) -> dict[str, Any]:
        """One attempt at delivering a webhook, as the App's deliveries API lists it."""
        when = delivered_at or datetime.now(timezone.utc)
        delivery = {
            "id": next(self._ids),
            "guid": guid,
            "delivered_at": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "redelivery": redelivery,
            "duration": 0.1,
            "status": "OK" if 200 <= status_code < 300 else f"Invalid HTTP Response: {status_code}",
            "status_code": status_code,
            "event": event,
            "action": action,
            "installation_id": 1,
            "repository_id": 1,
            "payload": payload,
        }
        with self._lock:
            self.deliveries.append(delivery)
        return delivery

    # ------------------------------------------------------------ queries for assertions

    def config_reads(self, repo: str | None = None) -> list[str]:
        """The refs at which `.github/ainascan.yml` was asked for (of `repo`, or of any repository)."""
        return [expr.partition(":")[0] for name, expr in self.graphql_reads if expr.endswith(":.github/ainascan.yml") and repo in (None, name)]

    def runs_for(self, head_sha: str) -> list[dict[str, Any]]:
        return [run for run in self.check_runs if run["head_sha"] == head_sha]

    def writes(self) -> list[Recorded]:
        """Requests that changed state (everything but reads and token minting)."""
        return [r for r in self.requests if r.method != "GET" and r.path != "/graphql" and not r.path.endswith("/access_tokens")]

    # ------------------------------------------------------------ the handler

    def handle(self, method: str, url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Answer one request; raises TransportFault when the connection is to fail instead."""
        parts = urlsplit(url)
        path = parts.path
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        payload = json.loads(body) if body else None
        with self._lock:
            auth = self._auth(path, headers)
            self.requests.append(Recorded(method, path, query, payload, auth))
            self._request_headers = {k.lower(): v for k, v in headers.items()}
            fault = self._draw_fault(path)
            try:
                if fault in ("timeout", "reset"):
                    raise TransportFault(fault)
                planned = self._injected_failure(method, path)
                self._rate_limit_fault(fault)
                if fault == "5xx":
                    raise Reply(self._rng.choice((500, 502, 503)), "Server Error")
                status, result, extra = self._route(method, path, query, payload, auth)
                if planned is not None:
                    planned()
                if fault == "5xx-after":
                    raise Reply(502, "Bad Gateway")
                if fault == "timeout-after":
                    raise TransportFault("timeout")
            except Reply as reply:
                status, result, extra = reply.status, {"message": reply.message}, reply.headers
        if isinstance(result, bytes):
            return status, {"content-type": "application/vnd.github.raw", **extra}, result
        return status, {"content-type": "application/json", **extra}, json.dumps(result).encode("utf-8")

    def respx_handler(self, request: httpx.Request) -> httpx.Response:
        self.wait_if_held(request.method, str(request.url))
        try:
            status, headers, content = self.handle(request.method, str(request.url), dict(request.headers), request.content)
        except TransportFault as fault:
            if fault.kind == "timeout":
                raise httpx.ReadTimeout("stand-in: no answer in time", request=request) from None
            raise httpx.RemoteProtocolError("stand-in: server disconnected without sending a response", request=request) from None
        return httpx.Response(status, headers=headers, content=content)

    def _draw_fault(self, path: str) -> str | None:
        if not self.fault_rate or (self.fault_exempt is not None and self.fault_exempt.search(path)):
            return None
        if self._rng.random() >= self.fault_rate:
            return None
        kind = self._rng.choice(self.fault_kinds)
        self.faults_injected[kind] += 1
        return kind

    def _rate_limit_fault(self, fault: str | None) -> None:
        if fault == "secondary":
            raise Reply(403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.", {"retry-after": "1"})
        if fault == "secondary-429":
            raise Reply(429, "Too Many Requests", {"retry-after": "1"})
        if fault == "primary":
            reset = int(time.time()) + self.primary_reset_seconds
            raise Reply(403, "API rate limit exceeded for installation.", {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(reset), "x-ratelimit-limit": "5000"})

    def _injected_failure(self, method: str, path: str):
        """Fail now a planned failure of this request, or return it (a callable) to fail after the work is done."""
        for index, (want_method, pattern, status, headers, message, after) in enumerate(self.failures):
            if want_method == method and re.search(pattern, path):
                del self.failures[index]

                def fail() -> None:
                    if status in ("timeout", "reset"):
                        raise TransportFault(status)
                    raise Reply(status, message, headers)

                if after:
                    return fail
                fail()
        return None

    def _auth(self, path: str, headers: dict[str, str]) -> str:
        value = {k.lower(): v for k, v in headers.items()}.get("authorization", "")
        if value.startswith("Bearer "):
            try:
                claims = jwt.decode(value[7:], self.public_key_pem, algorithms=["RS256"])
            except jwt.PyJWTError:
                return "bad-jwt"
            return "jwt" if str(claims.get("iss")) == str(self.app_id) else "bad-jwt"
        if value.startswith("token "):
            expires = self.tokens.get(value[6:])
            return "token" if expires and expires > datetime.now(timezone.utc) else "bad-token"
        return "none"

    def _route(self, method: str, path: str, query: dict[str, str], payload: Any, auth: str) -> tuple[int, Any, dict[str, str]]:
        match = re.fullmatch(r"/app/installations/(\d+)/access_tokens", path)
        if match and method == "POST":
            if auth != "jwt":
                raise Reply(401, "A JSON web token could not be decoded")
            token = "ghs_" + secrets.token_hex(18)
            expires = datetime.now(timezone.utc) + timedelta(hours=1)
            self.tokens[token] = expires
            return 201, {"token": token, "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"), "permissions": {}}, {}
        if path.startswith("/app/hook/deliveries"):
            if auth != "jwt":
                raise Reply(401, "A JSON web token could not be decoded")
            return self._deliveries(method, path, query)
        if auth != "token":
            raise Reply(401, "Bad credentials")
        if path == "/graphql" and method == "POST":
            return 200, self._graphql(payload), {}
        match = re.fullmatch(r"/repos/([^/]+/[^/]+)(/.*)?", path)
        if not match:
            raise Reply(404, "Not Found")
        repo = self.repos.get(match.group(1))
        if repo is None:
            raise Reply(404, "Not Found")
        rest = match.group(2) or ""
        for pattern, handler_method, handler in self._routes():
            found = re.fullmatch(pattern, rest)
            if found and handler_method == method:
                return handler(repo, query, payload, *found.groups())
        raise Reply(404, "Not Found")

    def _routes(self):
        return (
            (r"/pulls", "GET", self._list_pulls),
            (r"/pulls/(\d+)", "GET", self._get_pull),
            (r"/pulls/(\d+)/files", "GET", self._list_files),
            (r"/pulls/(\d+)/comments", "GET", self._list_comments),
            (r"/pulls/(\d+)/reviews", "POST", self._create_review),
            (r"/pulls/comments/(\d+)", "PATCH", self._edit_comment),
            (r"/contents/(.+)", "GET", self._get_contents),
            (r"/commits/([0-9a-f]+)/check-runs", "GET", self._list_check_runs),
            (r"/check-runs", "POST", self._create_check_run),
            (r"/check-runs/(\d+)", "PATCH", self._update_check_run),
            (r"/check-runs/(\d+)", "GET", self._get_check_run),
            (r"/check-runs/(\d+)/annotations", "GET", self._list_annotations),
        )

    # ------------------------------------------------------------ endpoints

    def _page(self, items: list[Any], query: dict[str, str], path: str) -> tuple[int, Any, dict[str, str]]:
        per_page = min(int(query.get("per_page", 30)), 100)
        page = int(query.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            next_query = {**query, "page": str(page + 1), "per_page": str(per_page)}
            headers["link"] = f'<{self.base_url}{path}?{urlencode(next_query)}>; rel="next"'
        return 200, chunk, headers

    def _list_pulls(self, repo: Repo, query, payload):
        state = query.get("state", "open")
        pulls = [p for p in repo.pulls.values() if state == "all" or p["state"] == state]
        return self._page(pulls, query, f"/repos/{repo.full_name}/pulls")

    def _get_pull(self, repo: Repo, query, payload, number):
        pull = repo.pulls.get(int(number))
        if pull is None:
            raise Reply(404, "Not Found")
        return 200, pull, {}

    def _list_files(self, repo: Repo, query, payload, number):
        listed = repo.pull_files.get(int(number), [])[:MAX_LISTED_FILES]
        return self._page(listed, query, f"/repos/{repo.full_name}/pulls/{number}/files")

    def _list_comments(self, repo: Repo, query, payload, number):
        mine = [c for c in self.comments if c["repo"] == repo.full_name and c["pull_number"] == int(number)]
        return self._page([self._public(c) for c in mine], query, f"/repos/{repo.full_name}/pulls/{number}/comments")

    @staticmethod
    def _public(item: dict[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in item.items() if key not in ("repo", "annotations", "actions")}

    def _create_review(self, repo: Repo, query, payload, number):
        pull = repo.pulls.get(int(number))
        if pull is None:
            raise Reply(404, "Not Found")
        if payload.get("event") not in ("COMMENT", "APPROVE", "REQUEST_CHANGES"):
            raise Reply(422, "event must be COMMENT, APPROVE or REQUEST_CHANGES")
        files = {entry["filename"]: entry for entry in repo.pull_files.get(int(number), [])}
        for comment in payload.get("comments", []):
            self._check_comment(files, comment)
            if any(refuse(comment) for refuse in self.comment_refusals):
                raise Reply(422, f"Unprocessable Entity: pull_request_review_thread.line {comment.get('line')} of {comment.get('path')!r} could not be resolved")
        review = {"id": next(self._ids), "body": payload.get("body", ""), "event": payload["event"], "commit_id": payload.get("commit_id"), "user": BOT_USER}
        self.reviews.append({**review, "repo": repo.full_name, "pull_number": int(number)})
        for comment in payload.get("comments", []):
            self.comments.append(
                {
                    "id": next(self._ids),
                    "repo": repo.full_name,
                    "pull_number": int(number),
                    "pull_request_review_id": review["id"],
                    "path": comment["path"],
                    "line": comment["line"],
                    "start_line": comment.get("start_line"),
                    "side": comment.get("side", "RIGHT"),
                    "body": comment["body"],
                    "commit_id": payload.get("commit_id"),
                    "user": BOT_USER,
                }
            )
        return 200, review, {}

    @staticmethod
    def _check_comment(files: dict[str, dict[str, Any]], comment: dict[str, Any]) -> None:
        entry = files.get(comment.get("path"))
        if entry is None or "patch" not in entry:
            raise Reply(422, f"Unprocessable Entity: path {comment.get('path')!r} is not part of the diff")
        if comment.get("side", "RIGHT") != "RIGHT":
            raise Reply(422, "the stand-in only knows RIGHT-side comments")
        line, start = comment.get("line"), comment.get("start_line")
        hunk = next((h for h in commentable_lines(entry["patch"]) if line in h), None)
        if hunk is None:
            raise Reply(422, f"Unprocessable Entity: line {line} of {comment['path']} is not part of the diff")
        if start is not None and (start >= line or any(n not in hunk for n in range(start, line + 1))):
            raise Reply(422, f"Unprocessable Entity: start_line {start} must be before line {line} in the same hunk")
        if not comment.get("body"):
            raise Reply(422, "body is required")

    def _edit_comment(self, repo: Repo, query, payload, comment_id):
        comment = next((c for c in self.comments if c["id"] == int(comment_id) and c["repo"] == repo.full_name), None)
        if comment is None:
            raise Reply(404, "Not Found")
        comment["body"] = payload["body"]
        return 200, self._public(comment), {}

    def _get_contents(self, repo: Repo, query, payload, path):
        path = unquote(path)
        sha = repo.branches.get(query.get("ref") or repo.default_branch) or query.get("ref")
        tree = repo.commits.get(sha)
        if tree is None or path not in tree:
            raise Reply(404, "Not Found")
        data = tree[path]
        raw = data if isinstance(data, bytes) else data.encode("utf-8")
        if "raw" in self._request_headers.get("accept", ""):
            return 200, raw, {}
        if len(raw) > CONTENTS_JSON_LIMIT:  # GitHub: 1-100 MB files come without content unless asked for raw
            return 200, {"type": "file", "path": path, "encoding": "none", "content": "", "size": len(raw)}, {}
        return 200, {"type": "file", "path": path, "encoding": "base64", "content": base64.b64encode(raw).decode("ascii"), "size": len(raw)}, {}

    def _graphql(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Queries of `[alias: ]repository(owner: $v, name: $v) { alias: object(expression: $v) { ... on Blob {...} } }` fields."""
        query, variables = payload.get("query", ""), payload.get("variables") or {}
        fields = list(re.finditer(r"(?:(\w+): )?repository\(owner: \$(\w+), name: \$(\w+)\)", query))
        data: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for i, field_match in enumerate(fields):
            alias = field_match.group(1) or "repository"
            full_name = f"{variables.get(field_match.group(2))}/{variables.get(field_match.group(3))}"
            body = query[field_match.end() : fields[i + 1].start() if i + 1 < len(fields) else len(query)]
            objects = [(name, str(variables.get(variable, ""))) for name, variable in re.findall(r"(\w+): object\(expression: \$(\w+)\)", body)]
            self.graphql_reads.extend((full_name, expression) for _name, expression in objects)
            repo = self.repos.get(full_name)
            if repo is None:
                data[alias] = None
                errors.append({"type": "NOT_FOUND", "path": [alias], "message": f"Could not resolve to a Repository with the name '{full_name}'."})
                continue
            data[alias] = {name: self._graphql_blob(repo, expression) for name, expression in objects}
        return {"data": data, "errors": errors} if errors else {"data": data}

    def _graphql_blob(self, repo: Repo, expression: str) -> dict[str, Any] | None:
        """`REF:path` as GitHub's `object(expression:)` resolves it: REF a commit SHA, a branch, or HEAD (the default branch)."""
        ref, _, path = expression.partition(":")
        ref = repo.default_branch if ref == "HEAD" else ref
        data = repo.commits.get(repo.branches.get(ref, ref), {}).get(path)
        if data is None:
            return None
        raw = data if isinstance(data, bytes) else data.encode("utf-8")
        binary = is_binary(data)
        text = None if binary or len(raw) > self.graphql_text_limit else raw.decode("utf-8", "replace")
        return {"text": text, "isBinary": binary, "byteSize": len(raw), "isTruncated": False}

    def _list_check_runs(self, repo: Repo, query, payload, sha):
        runs = [r for r in self.check_runs if r["repo"] == repo.full_name and r["head_sha"] == sha]
        if "check_name" in query:
            runs = [r for r in runs if r["name"] == query["check_name"]]
        if "app_id" in query:
            runs = [r for r in runs if str(r["app"]["id"]) == query["app_id"]]
        status, page, headers = self._page([self._public(r) for r in runs], query, f"/repos/{repo.full_name}/commits/{sha}/check-runs")
        return status, {"total_count": len(runs), "check_runs": page}, headers

    def _create_check_run(self, repo: Repo, query, payload):
        if not payload.get("name") or not payload.get("head_sha"):
            raise Reply(422, "name and head_sha are required")
        run = {
            "id": next(self._ids),
            "repo": repo.full_name,
            "name": payload["name"],
            "head_sha": payload["head_sha"],
            "status": "queued",
            "conclusion": None,
            "started_at": payload.get("started_at") or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "completed_at": None,
            "output": {"title": None, "summary": None, "text": None, "annotations_count": 0},
            "app": {"id": self.app_id},
            "annotations": [],
        }
        self._apply(run, payload, creating=True)
        self.check_runs.append(run)
        return 201, self._public(run), {}

    def _update_check_run(self, repo: Repo, query, payload, run_id):
        run = next((r for r in self.check_runs if r["id"] == int(run_id) and r["repo"] == repo.full_name), None)
        if run is None:
            raise Reply(404, "Not Found")
        self._apply(run, payload, creating=False)
        return 200, self._public(run), {}

    def _apply(self, run: dict[str, Any], payload: dict[str, Any], creating: bool) -> None:
        status = payload.get("status")
        if payload.get("conclusion"):
            status = "completed"
        if status and status != "completed" and run["status"] == "completed" and not creating:
            raise Reply(422, "a completed check run cannot go back to " + status)
        if status == "completed" and not payload.get("conclusion") and not run["conclusion"]:
            raise Reply(422, "conclusion is required to complete a check run")
        output = payload.get("output")
        if output is not None:
            if not output.get("title") or output.get("summary") is None:
                raise Reply(422, "output needs title and summary")
            if len(output["summary"]) > MAX_SUMMARY or len(output.get("text") or "") > MAX_SUMMARY:
                raise Reply(422, "output summary and text are limited to 65535 characters")
            annotations = output.get("annotations") or []
            if len(annotations) > 50:
                raise Reply(422, "at most 50 annotations per request")
            for item in annotations:
                if item.get("annotation_level") not in ("notice", "warning", "failure") or not item.get("path") or not item.get("message"):
                    raise Reply(422, f"invalid annotation {item!r}")
                if len(item.get("title") or "") > 255:
                    raise Reply(422, "annotation title is limited to 255 characters")
            run["annotations"].extend(annotations)
            run["output"] = {
                "title": output["title"],
                "summary": output["summary"],
                "text": output.get("text"),
                "annotations_count": len(run["annotations"]),
            }
        actions = payload.get("actions")
        if actions is not None:
            # GitHub: at most 3 buttons, label <= 20, description <= 40, identifier <= 20 characters. It does not return them.
            if len(actions) > 3 or any(len(a.get("label", "")) > 20 or len(a.get("description", "")) > 40 or not 0 < len(a.get("identifier", "")) <= 20 for a in actions):
                raise Reply(422, f"invalid actions {actions!r}")
            run["actions"] = actions
        if status:
            run["status"] = status
        if payload.get("conclusion"):
            run["conclusion"] = payload["conclusion"]
            run["completed_at"] = payload.get("completed_at") or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _get_check_run(self, repo: Repo, query, payload, run_id):
        run = next((r for r in self.check_runs if r["id"] == int(run_id) and r["repo"] == repo.full_name), None)
        if run is None:
            raise Reply(404, "Not Found")
        return 200, self._public(run), {}

    def _deliveries(self, method: str, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        """GET /app/hook/deliveries (newest first, `cursor` paging) and POST /app/hook/deliveries/{id}/attempts."""
        match = re.fullmatch(r"/app/hook/deliveries/(\d+)/attempts", path)
        if match and method == "POST":
            original = next((d for d in self.deliveries if d["id"] == int(match.group(1))), None)
            if original is None:
                raise Reply(404, "Not Found")
            self.redelivery_requests.append(original["id"])
            attempt = self.add_delivery(original["guid"], self.redelivery_status, event=original["event"], action=original["action"], redelivery=True, payload=original["payload"])
            if self.on_redeliver is not None:
                self.on_redeliver(attempt)
            return 202, {}, {}
        if path != "/app/hook/deliveries" or method != "GET":
            raise Reply(404, "Not Found")
        newest_first = sorted(self.deliveries, key=lambda d: (d["delivered_at"], d["id"]), reverse=True)
        per_page = min(int(query.get("per_page", 30)), 100)
        start = int(query.get("cursor", 0) or 0)
        page = [{k: v for k, v in d.items() if k != "payload"} for d in newest_first[start : start + per_page]]
        headers = {}
        if start + per_page < len(newest_first):
            next_query = {**query, "cursor": str(start + per_page), "per_page": str(per_page)}
            headers["link"] = f'<{self.base_url}/app/hook/deliveries?{urlencode(next_query)}>; rel="next"'
        return 200, page, headers

    def _list_annotations(self, repo: Repo, query, payload, run_id):
        run = next((r for r in self.check_runs if r["id"] == int(run_id) and r["repo"] == repo.full_name), None)
        if run is None:
            raise Reply(404, "Not Found")
        return self._page(list(run["annotations"]), query, f"/repos/{repo.full_name}/check-runs/{run_id}/annotations")


class StandinServer:
    """StandinGitHub served over HTTP on 127.0.0.1 and a free port, in a background thread."""

    def __init__(self, github: StandinGitHub):
        self.github = github
        standin = github

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                standin.wait_if_held(self.command, self.path)
                try:
                    status, headers, content = standin.handle(self.command, self.path, dict(self.headers), body)
                except TransportFault as fault:
                    if fault.kind == "timeout":
                        time.sleep(standin.timeout_delay)
                    self.close_connection = True
                    try:
                        self.connection.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                    return
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        github.base_url = self.url
        self._thread = threading.Thread(target=self.httpd.serve_forever, name="standin-github", daemon=True)

    def __enter__(self) -> "StandinServer":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self._thread.join(timeout=5)


def generate_app_key() -> tuple[str, str]:
    """A fresh RSA key pair for a test App: (private key PEM, public key PEM)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()).decode("ascii")
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
    return private, public
