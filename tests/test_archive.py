"""ZIP input read in memory: what is read, what is stripped, and every hostile or oversized archive refused."""

from __future__ import annotations

import io
import stat
import struct
import zipfile

import pytest

from analyzer.archive import ArchiveError, ArchiveLimits, read_archive


def build_zip(members, compression=zipfile.ZIP_DEFLATED) -> bytes:
    """members: (name, bytes) pairs, or ZipInfo objects paired with their bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def symlink_member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def test_reads_python_and_dependency_files_in_memory():
    data = build_zip(
        [
            ("pyproject.toml", b"[project]\ndependencies = ['requests']\n"),
            ("requirements-dev.txt", b"pytest\n"),
            ("pkg/b.py", b"b = 2\n"),
            ("pkg/a.py", b"a = 1\n"),
            ("pkg/nested/pyproject.toml", b"ignored: not at the top\n"),
            ("README.md", b"not read"),
            ("pkg/data.json", b"{}"),
        ]
    )
    contents = read_archive(data)
    assert contents.python_files == [("pkg/a.py", b"a = 1\n"), ("pkg/b.py", b"b = 2\n")]
    assert sorted(contents.other_files) == ["pyproject.toml", "requirements-dev.txt"]
    assert contents.skipped == []


def test_a_github_zipball_top_folder_is_stripped():
    data = build_zip([("octo-shop-1a2b3c4/pkg/mod.py", b"x = 1\n"), ("octo-shop-1a2b3c4/setup.cfg", b"[metadata]\n")])
    contents = read_archive(data)
    assert [name for name, _ in contents.python_files] == ["pkg/mod.py"]
    assert list(contents.other_files) == ["setup.cfg"]


def test_a_zip_of_one_package_keeps_its_folder():
    data = build_zip([("pkg/__init__.py", b""), ("pkg/mod.py", b"x = 1\n")])
    assert [name for name, _ in read_archive(data).python_files] == ["pkg/__init__.py", "pkg/mod.py"]


def test_a_file_over_the_size_limit_is_skipped_as_an_error_and_the_rest_read():
    data = build_zip([("big.py", b"#" * 5000), ("small.py", b"x = 1\n")])
    contents = read_archive(data, ArchiveLimits(max_file_bytes=1000))
    assert [name for name, _ in contents.python_files] == ["small.py"]
    assert [(e.path, e.kind) for e in contents.skipped] == [("big.py", "too-large")]


@pytest.mark.parametrize(
    "name",
    ["../x.py", "pkg/../../x.py", "/etc/x.py", "C:/temp/x.py", "..\\x.py", "\\server\\x.py"],
)
def test_names_pointing_outside_are_refused(name):
    with pytest.raises(ArchiveError, match="points outside the archive"):
        read_archive(build_zip([("ok.py", b""), (name, b"x = 1\n")]))


def test_symlink_members_are_never_read_and_a_python_one_is_named():
    contents = read_archive(build_zip([("pkg/ok.py", b"x = 1\n"), (symlink_member("pkg/link.py"), b"/etc/passwd"), (symlink_member("requirements.txt"), b"/etc/shadow")]))
    assert contents.python_files == [("pkg/ok.py", b"x = 1\n")]
    assert [(s.path, s.kind) for s in contents.skipped] == [("pkg/link.py", "symlink")] and "never followed" in contents.skipped[0].message
    assert contents.other_files == {}  # a linked dependency file is not read either


def test_too_many_members_are_refused():
    data = build_zip([(f"m{i}.py", b"") for i in range(6)])
    assert len(read_archive(data, ArchiveLimits(max_members=6)).python_files) == 6
    with pytest.raises(ArchiveError, match="6 files; the limit is 5"):
        read_archive(data, ArchiveLimits(max_members=5))


def test_a_member_that_expands_too_much_is_a_zip_bomb():
    data = build_zip([("bomb.py", b"\0" * (8 * 1024 * 1024))])
    with pytest.raises(ArchiveError, match="zip bomb"):
        read_archive(data)


def test_many_small_members_that_expand_too_much_together_are_a_zip_bomb():
    # Each member stays under the 1 MiB floor of the per-member check; together they do not.
    data = build_zip([(f"part{i}.py", b"\0" * (900 * 1024)) for i in range(4)])
    with pytest.raises(ArchiveError, match="overall; refused as a zip bomb"):
        read_archive(data)


def test_compressible_but_honest_archives_are_read():
    text = b"".join(f"value_{i} = {i * 7919 % 1000}\n".encode() for i in range(60000))
    contents = read_archive(build_zip([("generated.py", text)]))
    assert contents.python_files == [("generated.py", text)]


def test_total_uncompressed_size_is_capped():
    data = build_zip([(f"m{i}.py", b"x" * 400) for i in range(5)], compression=zipfile.ZIP_STORED)
    assert len(read_archive(data, ArchiveLimits(max_total_bytes=2000)).python_files) == 5
    with pytest.raises(ArchiveError, match="expands to 2,400 bytes; the limit is 2,000"):
        read_archive(build_zip([(f"m{i}.py", b"x" * 400) for i in range(6)], compression=zipfile.ZIP_STORED), ArchiveLimits(max_total_bytes=2000))


def test_a_header_that_understates_the_size_is_caught_while_reading():
    data = bytearray(build_zip([("lie.py", b"x" * 5000)], compression=zipfile.ZIP_STORED))
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 10)  # uncompressed size in the central directory
    with pytest.raises(ArchiveError):
        read_archive(bytes(data))


def test_encrypted_members_are_refused():
    data = bytearray(build_zip([("secret.py", b"x = 1\n")], compression=zipfile.ZIP_STORED))
    data[6] |= 1  # the "encrypted" flag, in the local header
    data[data.find(b"PK\x01\x02") + 8] |= 1  # and in the central directory
    with pytest.raises(ArchiveError, match="encrypted"):
        read_archive(bytes(data))


def test_corrupt_member_data_is_refused_not_raised():
    data = bytearray(build_zip([("a.py", b"x = 1\n")], compression=zipfile.ZIP_STORED))
    data[data.find(b"x = 1")] = ord("y")
    with pytest.raises(ArchiveError, match="cannot be read"):
        read_archive(bytes(data))


@pytest.mark.parametrize("cut", [10, 40, -30, -5])
def test_truncated_or_foreign_bytes_are_not_a_zip(cut):
    data = build_zip([("pkg/a.py", b"x = 1\n" * 100), ("pkg/b.py", b"y = 2\n")])
    with pytest.raises(ArchiveError):
        read_archive(data[:cut])
    with pytest.raises(ArchiveError, match="not a ZIP archive"):
        read_archive(b"plain text, not an archive")
