"""Download a repository's archive (zipball) at one commit into memory, refusing it past a size cap.

GitHub answers GET /repos/{owner}/{repo}/zipball/{ref} with a 302 to a
codeload address; githubkit's client follows it without forwarding the
token. The body is streamed and the download stops as soon as it passes the
cap, so an oversized repository costs at most the cap in memory.
"""

from __future__ import annotations

import httpx


class DownloadTooLarge(Exception):
    """The archive is larger than the cap; the message says by how much it is allowed."""


def download_zipball(gh, repo: str, ref: str, max_bytes: int) -> bytes:
    """The ZIP archive of `repo` at `ref`, at most `max_bytes` long.

    `gh` must be inside its `with` block, which keeps the HTTP connection open
    while the body streams. Raises DownloadTooLarge past the cap, githubkit's
    errors when GitHub refuses, httpx's when the connection breaks.
    """
    response = gh.request("GET", f"/repos/{repo}/zipball/{ref}", stream=True)
    raw: httpx.Response = response.raw_response
    chunks: list[bytes] = []
    try:
        declared = raw.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise DownloadTooLarge(_too_large(repo, max_bytes, int(declared)))
        received = 0
        for chunk in raw.iter_bytes():
            received += len(chunk)
            if received > max_bytes:
                raise DownloadTooLarge(_too_large(repo, max_bytes))
            chunks.append(chunk)
    finally:
        raw.close()
    return b"".join(chunks)


def _too_large(repo: str, max_bytes: int, size: int | None = None) -> str:
    stated = f" ({size:,} bytes)" if size is not None else ""
    return f"the archive of {repo}{stated} is over the {max_bytes:,}-byte download limit (AINASCAN_FULL_SCAN_MAX_DOWNLOAD_BYTES)"
