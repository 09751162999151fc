"""Read the Python files of a ZIP archive in memory, refusing archives that are hostile or too big.

Nothing is extracted to disk. An archive with path traversal or absolute
names is refused whole; member count, per-file size, total uncompressed size
and compression ratio are capped (zip bombs). Symbolic links are never
followed nor read: a Python one is named as not analyzed, and the rest of the
archive is scanned (git stores a repository's symlinks in its zipball, so
refusing them would refuse every repository that has one). A GitHub
zipball's single top folder (`owner-repo-sha/`) is stripped from the names.
"""

from __future__ import annotations

import io
import re
import stat
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from analyzer.model import FileError


class ArchiveError(ValueError):
    """The archive as a whole is refused; the message says why."""


@dataclass(frozen=True)
class ArchiveLimits:
    max_members: int = 50_000
    max_file_bytes: int = 10 * 1024 * 1024
    max_total_bytes: int = 512 * 1024 * 1024
    max_ratio: float = 200.0  # uncompressed / compressed, per member and overall


@dataclass
class ArchiveContents:
    python_files: list[tuple[str, bytes]] = field(default_factory=list)
    skipped: list[FileError] = field(default_factory=list)  # Python members named but not read (too large, symbolic links)
    other_files: dict[str, bytes] = field(default_factory=dict)  # dependency files, for project context


_ZIPBALL_FOLDER = re.compile(r"[^/]+-[0-9a-f]{7,40}")

_CONTEXT_FILES = ("pyproject.toml", "setup.cfg", "setup.py", "Pipfile")


def read_archive(data: bytes, limits: ArchiveLimits = ArchiveLimits()) -> ArchiveContents:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, EOFError, NotImplementedError) as exc:  # corrupt headers raise any of these
        raise ArchiveError(f"not a ZIP archive: {exc}") from exc
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > limits.max_members:
        raise ArchiveError(f"archive has {len(members):,} files; the limit is {limits.max_members:,}")
    total = 0
    compressed_total = 0
    for member in members:
        _refuse_unsafe_name(member)
        total += member.file_size
        compressed_total += member.compress_size
        if member.file_size > 1024 * 1024 and member.file_size > limits.max_ratio * max(member.compress_size, 1):
            raise ArchiveError(f"archive member {member.filename!r} expands {member.file_size / max(member.compress_size, 1):,.0f}x; refused as a zip bomb")
    if total > limits.max_total_bytes:
        raise ArchiveError(f"archive expands to {total:,} bytes; the limit is {limits.max_total_bytes:,}")
    if total > 1024 * 1024 and total > limits.max_ratio * max(compressed_total, 1):
        raise ArchiveError(f"archive expands {total / max(compressed_total, 1):,.0f}x overall; refused as a zip bomb")

    prefix = _common_top_folder([m.filename for m in members])
    contents = ArchiveContents()
    read_total = 0
    for member in members:
        name = member.filename[len(prefix) :]
        is_python = name.endswith(".py")
        is_context = name.rsplit("/", 1)[-1] in _CONTEXT_FILES or name.rsplit("/", 1)[-1].startswith("requirements")
        if not (is_python or is_context):
            continue
        if _is_symlink(member):
            if is_python:
                contents.skipped.append(FileError(name, "symlink", "a symbolic link: never followed, so not analyzed"))
            continue
        if member.file_size > limits.max_file_bytes:
            contents.skipped.append(FileError(name, "too-large", f"{member.file_size:,} bytes is over the {limits.max_file_bytes:,}-byte limit"))
            continue
        payload = _read_capped(archive, member, limits.max_file_bytes)
        read_total += len(payload)
        if read_total > limits.max_total_bytes:
            raise ArchiveError(f"archive expands past {limits.max_total_bytes:,} bytes; refused")
        if is_python:
            contents.python_files.append((name, payload))
        elif "/" not in name:
            contents.other_files[name] = payload
    contents.python_files.sort()
    return contents


def _is_symlink(member: zipfile.ZipInfo) -> bool:
    mode = member.external_attr >> 16
    return bool(mode) and stat.S_ISLNK(mode)


def _refuse_unsafe_name(member: zipfile.ZipInfo) -> None:
    name = member.filename
    path = PurePosixPath(name.replace("\\", "/"))
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in path.parts:
        raise ArchiveError(f"archive member {name!r} points outside the archive; refused")


def _read_capped(archive: zipfile.ZipFile, member: zipfile.ZipInfo, cap: int) -> bytes:
    """Read at most cap+1 bytes: a lying header cannot make us inflate more than that."""
    if member.flag_bits & 0x1:
        raise ArchiveError(f"archive member {member.filename!r} is encrypted; refused")
    try:
        with archive.open(member) as handle:
            payload = handle.read(cap + 1)
    except (zipfile.BadZipFile, ValueError, NotImplementedError, EOFError, zlib.error) as exc:
        raise ArchiveError(f"archive member {member.filename!r} cannot be read: {exc}") from exc
    if len(payload) > cap:
        raise ArchiveError(f"archive member {member.filename!r} is larger than its header says; refused")
    return payload


def _common_top_folder(names: list[str]) -> str:
    """The `owner-repo-sha/` folder of a GitHub zipball, when every member sits in it; else ''.

    Only that shape is stripped: a ZIP of one package (`pkg/...`) keeps its folder,
    which is part of the module's name.
    """
    tops = {name.split("/", 1)[0] for name in names if "/" in name}
    if len(tops) == 1 and all("/" in name for name in names):
        top = tops.pop()
        if _ZIPBALL_FOLDER.fullmatch(top):
            return top + "/"
    return ""
