"""The bot benchmarks' own pieces (bench/bot_harness.py, bot_calls.py, ingest.py): what they send is what the bot accepts.

The benchmarks themselves run with `make bench`; these check, quickly, that a
signed webhook of the ingest load is one the web process verifies and routes
to a job of its own, that the load client reads kept-alive answers right,
that a benchmark pull request adds the lines it claims, and that the harness
never empties Redis database 0.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project root: the bench/ scripts import bench.*

from analyzer.diff import patch_changes  # noqa: E402
from bench import bot_calls, bot_harness, ingest  # noqa: E402
from bot.events import jobs_for  # noqa: E402
from bot.web import WEBHOOK_PATH, signature_is_valid  # noqa: E402
from standin_github import github_patch  # noqa: E402


def _split(request: bytes) -> tuple[dict[str, str], bytes]:
    head, _, body = request.partition(b"\r\n\r\n")
    lines = head.decode("ascii").split("\r\n")
    assert lines[0] == f"POST {WEBHOOK_PATH} HTTP/1.1"
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in lines[1:])}
    return headers, body


def test_each_signed_webhook_is_verified_and_routed_to_a_job_of_its_own():
    template, _source = ingest.pull_request_template()
    requests = ingest.SignedWebhooks(template, "s3cret", 8000)
    job_ids, deliveries = set(), set()
    for serial in (0, 1, 2**40):
        headers, body = _split(requests(serial))
        assert int(headers["content-length"]) == len(body)
        assert signature_is_valid(b"s3cret", body, headers["x-hub-signature-256"])
        assert not signature_is_valid(b"other", body, headers["x-hub-signature-256"])
        (job,) = jobs_for(headers["x-github-event"], json.loads(body), headers["x-github-delivery"])
        job_ids.add(job.job_id)
        deliveries.add(headers["x-github-delivery"])
    assert len(job_ids) == 3 and len(deliveries) == 3


def test_the_load_client_reads_kept_alive_answers_one_at_a_time():
    async def read_two() -> list[tuple[bytes, bytes]]:
        reader = asyncio.StreamReader()
        reader.feed_data(b'HTTP/1.1 202 Accepted\r\ncontent-type: application/json\r\ncontent-length: 19\r\n\r\n{"status":"queued"}')
        reader.feed_data(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 2\r\n\r\n{}")
        return [await ingest._answer(reader), await ingest._answer(reader)]

    assert asyncio.run(read_two()) == [(b"202", b'{"status":"queued"}'), (b"401", b"{}")]


def test_a_benchmark_pull_request_adds_its_middle_block_and_one_hollow_function():
    text = "".join(f"value_{n} = {n}\n" for n in range(300))
    change = bot_calls.changes({"pkg/module.py": text}, 1, hollow=True)
    added = patch_changes("pkg/module.py", github_patch(bot_calls.base_text(text), change.files["pkg/module.py"])).added
    hollow_lines = bot_calls.HOLLOW.format(index=0).count("\n")
    assert len(added) == bot_calls.NEW_BLOCK_LINES + hollow_lines
    assert min(added) == 151  # the block starts in the middle of the file
    assert bot_calls.changes({"pkg/module.py": text}, 0, hollow=True).python_files == 0


def test_endpoints_are_named_without_their_variable_parts():
    sha = "a" * 40
    assert bot_calls.endpoint(bot_calls.Call(0.0, "GET", f"/repos/{bot_calls.REPO}/commits/{sha}/check-runs", 200)) == "GET /repos/{repo}/commits/{sha}/check-runs"
    assert bot_calls.endpoint(bot_calls.Call(0.0, "PATCH", f"/repos/{bot_calls.REPO}/check-runs/1017", 200)) == "PATCH /repos/{repo}/check-runs/{n}"
    assert bot_calls.endpoint(bot_calls.Call(0.0, "GET", "/repos/bench/.github/contents/.github/ainascan.yml", 404)) == "GET /repos/{owner}/.github/contents/{path}"
    assert bot_calls.kind(bot_calls.Call(0.0, "POST", "/app/installations/7/access_tokens", 201)) == "token"
    assert bot_calls.kind(bot_calls.Call(0.0, "POST", "/graphql", 200)) == "graphql"


def test_the_harness_refuses_to_empty_redis_database_0():
    with pytest.raises(SystemExit, match="database 0"):
        bot_harness.bench_redis("redis://127.0.0.1:6379/0")
    with pytest.raises(SystemExit, match="database 0"):
        bot_harness.bench_redis("redis://127.0.0.1:6379")
