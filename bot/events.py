"""Route a webhook to the jobs it asks for: pure, from (event name, plain JSON payload) to job requests.

The web process enqueues what this returns and nothing else; it never reads
GitHub. Routing is on the plain JSON, not on githubkit's typed models, which
reject some real payloads. Jobs are named by dotted path so the web process
never imports the worker's code.

Draft pull requests are routed like any other: the worker reads `draft`
from the pull request and completes a neutral check when drafts are not
reviewed, so the check still concludes for every head SHA.

The star-gated features are routed here too: `/ainascan full-scan` and
`/ainascan history` comments on pull requests (bot.commands), the "Full
scan" button of the check run, and `star` webhooks, which refresh the star
gate's cache. A `star` webhook needs no installation (the star repository
may send it through a plain repository webhook); the job itself ignores
stars of any repository but AINASCAN_STAR_REPO.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.commands import FULL_SCAN_IDENTIFIER, Command, parse_commands

REVIEW_PULL_REQUEST = "bot.jobs.review_pull_request"
REVIEW_HEAD_SHA = "bot.jobs.review_head_sha"
FULL_SCAN = "bot.full_scan.full_scan"
SCAN_HISTORY = "bot.full_scan.scan_history"
RECORD_STAR = "bot.gate.record_star"

# Events whose jobs need no installation.
INSTALLATION_OPTIONAL = frozenset({"star"})

# pull_request actions that put a new head in front of reviewers.
REVIEWED_PULL_REQUEST_ACTIONS = frozenset({"opened", "synchronize", "reopened", "ready_for_review"})


@dataclass(frozen=True)
class JobRequest:
    """One RQ job to enqueue: the function's dotted path, its keyword arguments, and a stable job id."""

    function: str
    kwargs: dict[str, Any]
    job_id: str
    description: str


Handler = Callable[[dict[str, Any], str | None], list[JobRequest]]
_HANDLERS: dict[tuple[str, str], Handler] = {}


def handles(event: str, *actions: str) -> Callable[[Handler], Handler]:
    """Register a handler for an event and its actions, like bedevere's router."""

    def register(handler: Handler) -> Handler:
        for action in actions:
            _HANDLERS[(event, action)] = handler
        return handler

    return register


def routed_events() -> frozenset[str]:
    """The event names some handler reacts to (the App manifest must subscribe to these)."""
    return frozenset(event for event, _action in _HANDLERS)


def jobs_for(event: str, payload: dict[str, Any], delivery_id: str | None = None) -> list[JobRequest]:
    """The jobs one webhook asks for; an empty list means acknowledge and ignore it."""
    handler = _HANDLERS.get((event, str(payload.get("action", ""))))
    if handler is None or _repo(payload) is None:
        return []
    if _installation_id(payload) is None and event not in INSTALLATION_OPTIONAL:
        return []
    return handler(payload, delivery_id)


def review_job_id(repo: str, number: int, head_sha: str) -> str:
    """The RQ job id of one pull request review at one head: a burst for the same head collapses into it.

    RQ 3 accepts only letters, digits, `_` and `-` in job ids, so the repository
    name is escaped (`/`, `.` and `_` become `_2f`, `_2e`, `_5f`) and fields are
    joined with `__`, which no escaped field contains: distinct inputs never share an id.
    """
    return f"review__{_escape(repo)}__{int(number)}__{_escape(head_sha)}"


def head_review_job_id(repo: str, head_sha: str) -> str:
    """The RQ job id of a review of one head SHA whose pull requests the worker finds itself."""
    return f"review-head__{_escape(repo)}__{_escape(head_sha)}"


def full_scan_job_id(repo: str, number: int | None, head_sha: str | None, user: str) -> str:
    """The RQ job id of one user's full-scan request: a repeated click or comment collapses while one is pending."""
    return f"full-scan__{_escape(repo)}__{_escape(str(number))}__{_escape(head_sha or 'head')}__{_escape(user)}"


def history_job_id(repo: str, number: int, user: str) -> str:
    return f"history__{_escape(repo)}__{int(number)}__{_escape(user)}"


def star_job_id(repo: str, user: str, delivery_id: str | None, action: str) -> str:
    """One job per star delivery, so a star and an unstar in a row are both applied, in order."""
    return f"star__{_escape(repo)}__{_escape(user)}__{_escape(delivery_id or action)}"


def _listed_pull_requests(checked: dict[str, Any]) -> list[dict[str, Any]]:
    """The pull request objects of a check suite or run; anything malformed in a signed payload is ignored."""
    listed = checked.get("pull_requests")
    return [pr for pr in listed if isinstance(pr, dict)] if isinstance(listed, list) else []


def log_fields(event: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The identifying fields of a webhook for one structured log line: repo, PR, head SHA, installation."""
    fields: dict[str, Any] = {"event": event, "action": payload.get("action")}
    repo = _repo(payload)
    if repo:
        fields["repo"] = repo
    installation_id = _installation_id(payload)
    if installation_id is not None:
        fields["installation_id"] = installation_id
    pull_request = payload.get("pull_request")
    if isinstance(pull_request, dict):
        fields["pr"] = pull_request.get("number")
        fields["head_sha"] = _head_sha(pull_request)
    for key in ("check_suite", "check_run"):
        checked = payload.get(key)
        if isinstance(checked, dict):
            fields["head_sha"] = checked.get("head_sha")
            fields["prs"] = [pr.get("number") for pr in _listed_pull_requests(checked)]
    requested = payload.get("requested_action")
    if isinstance(requested, dict):
        fields["requested_action"] = requested.get("identifier")
    issue = payload.get("issue")
    if isinstance(issue, dict) and isinstance(issue.get("pull_request"), dict):
        fields["pr"] = issue.get("number")
    sender = payload.get("sender")
    if event in ("issue_comment", "star") and isinstance(sender, dict):
        fields["user"] = sender.get("login")
    return fields


@handles("pull_request", *sorted(REVIEWED_PULL_REQUEST_ACTIONS))
def _review_pull_request(payload: dict[str, Any], delivery_id: str | None) -> list[JobRequest]:
    pull_request = payload.get("pull_request") or {}
    number = pull_request.get("number", payload.get("number"))
    head_sha = _head_sha(pull_request)
    if not isinstance(number, int) or not head_sha:
        return []
    return [_review(_installation_id(payload), _repo(payload), number, head_sha, delivery_id)]


@handles("check_suite", "requested", "rerequested")
def _rerun_check_suite(payload: dict[str, Any], delivery_id: str | None) -> list[JobRequest]:
    return _reviews_for_head(payload, payload.get("check_suite") or {}, delivery_id)


@handles("check_run", "rerequested")
def _rerun_check_run(payload: dict[str, Any], delivery_id: str | None) -> list[JobRequest]:
    return _reviews_for_head(payload, payload.get("check_run") or {}, delivery_id)


@handles("issue_comment", "created")
def _pull_request_command(payload: dict[str, Any], delivery_id: str | None) -> list[JobRequest]:
    """`/ainascan full-scan` and `/ainascan history` in a new comment on a pull request, by a person (never a bot)."""
    issue, comment = payload.get("issue") or {}, payload.get("comment") or {}
    number = issue.get("number")
    author = comment.get("user") or payload.get("sender") or {}
    user = author.get("login")
    if not isinstance(issue.get("pull_request"), dict) or not isinstance(number, int) or not isinstance(user, str) or author.get("type") == "Bot":
        return []
    installation_id, repo = _installation_id(payload), _repo(payload)
    jobs = []
    for command in parse_commands(comment.get("body")):
        if command is Command.FULL_SCAN:
            jobs.append(_full_scan(installation_id, repo, user, number, None, delivery_id))
        elif command is Command.HISTORY:
            jobs.append(
                JobRequest(
                    function=SCAN_HISTORY,
                    kwargs={"installation_id": installation_id, "repo": repo, "number": number, "user": user, "delivery_id": delivery_id},
                    job_id=history_job_id(repo, number, user),
                    description=f"scan history of {repo}#{number} for {user}",
                )
            )
    return jobs


@handles("check_run", "requested_action")
def _check_run_button(payload: dict[str, Any], delivery_id: str | None) -> list[JobRequest]:
    """The "Full scan" button: one full scan of the run's head, answered on its (lowest-numbered) pull request."""
    if (payload.get("requested_action") or {}).get("identifier") != FULL_SCAN_IDENTIFIER:
        return []
    check_run = payload.get("check_run") or {}
    head_sha = check_run.get("head_sha")
    user = (payload.get("sender") or {}).get("login")
    if not isinstance(head_sha, str) or not head_sha or not isinstance(user, str):
        return []
    numbers = sorted(pr["number"] for pr in _listed_pull_requests(check_run) if isinstance(pr.get("number"), int))
    number = numbers[0] if numbers else None
    return [_full_scan(_installation_id(payload), _repo(payload), user, number, head_sha, delivery_id)]


@handles("star", "created", "deleted")
def _star(payload: dict[str, Any], delivery_id: str | None) -> list[JobRequest]:
    """A star given or taken back: refresh the star gate's cache for that user (the job checks the repository)."""
    user = (payload.get("sender") or {}).get("login")
    if not isinstance(user, str) or not user:
        return []
    repo, action = _repo(payload), str(payload["action"])
    return [
        JobRequest(
            function=RECORD_STAR,
            kwargs={"star_repo": repo, "user": user, "starred": action == "created", "delivery_id": delivery_id},
            job_id=star_job_id(repo, user, delivery_id, action),
            description=f"star {action} on {repo} by {user}",
        )
    ]


def _full_scan(installation_id: int, repo: str, user: str, number: int | None, head_sha: str | None, delivery_id: str | None) -> JobRequest:
    where = f"#{number}" if number is not None else f"@{str(head_sha)[:7]}"
    return JobRequest(
        function=FULL_SCAN,
        kwargs={"installation_id": installation_id, "repo": repo, "user": user, "number": number, "head_sha": head_sha, "delivery_id": delivery_id},
        job_id=full_scan_job_id(repo, number, head_sha, user),
        description=f"full scan of {repo}{where} for {user}",
    )


def _reviews_for_head(payload: dict[str, Any], checked: dict[str, Any], delivery_id: str | None) -> list[JobRequest]:
    """One review per pull request of a check suite or run; with none listed (forks), one head-SHA review."""
    head_sha = checked.get("head_sha")
    if not isinstance(head_sha, str) or not head_sha:
        return []
    installation_id, repo = _installation_id(payload), _repo(payload)
    numbers = sorted({pr["number"] for pr in _listed_pull_requests(checked) if isinstance(pr.get("number"), int)})
    if numbers:
        return [_review(installation_id, repo, number, head_sha, delivery_id) for number in numbers]
    return [
        JobRequest(
            function=REVIEW_HEAD_SHA,
            kwargs={"installation_id": installation_id, "repo": repo, "head_sha": head_sha, "delivery_id": delivery_id},
            job_id=head_review_job_id(repo, head_sha),
            description=f"review {repo}@{head_sha[:7]} (pull requests found by the worker)",
        )
    ]


def _review(installation_id: int, repo: str, number: int, head_sha: str, delivery_id: str | None) -> JobRequest:
    return JobRequest(
        function=REVIEW_PULL_REQUEST,
        kwargs={"installation_id": installation_id, "repo": repo, "number": number, "head_sha": head_sha, "delivery_id": delivery_id},
        job_id=review_job_id(repo, number, head_sha),
        description=f"review {repo}#{number} at {head_sha[:7]}",
    )


def _installation_id(payload: dict[str, Any]) -> int | None:
    installation = payload.get("installation")
    if isinstance(installation, dict) and isinstance(installation.get("id"), int):
        return installation["id"]
    return None


def _repo(payload: dict[str, Any]) -> str | None:
    repository = payload.get("repository")
    if isinstance(repository, dict) and isinstance(repository.get("full_name"), str):
        return repository["full_name"]
    return None


def _head_sha(pull_request: dict[str, Any]) -> str | None:
    head = pull_request.get("head")
    sha = head.get("sha") if isinstance(head, dict) else None
    return sha if isinstance(sha, str) and sha else None


def _escape(text: str) -> str:
    return "".join(char if char.isascii() and (char.isalnum() or char == "-") else "".join(f"_{byte:02x}" for byte in char.encode("utf-8")) for char in text)
