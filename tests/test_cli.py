"""`ainascan scan | rules | explain`: exit codes, formats, rule selection, excludes, ZIP input, diff scoping.

Run in-process through bot.cli.main (the console script's entry point) with
capsys; two tests run the installed console script as a subprocess.
"""

from __future__ import annotations

import functools
import io
import json
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import analyzer.archive
import analyzer.cli
from analyzer.archive import ArchiveLimits
from analyzer.registry import all_rules
from bot.cli import main

HOLLOW = 'def save_user_preferences(user_id, preferences):\n    return {"status": "saved"}\n'
HOLLOW_TOO = '\n\ndef save_invoice(invoice_id, lines):\n    return {"status": "saved"}\n'
WARN_ONLY = "LIMIT = 3  # ainascan: ignore[NO_SUCH_RULE]\n"
CLEAN = "def add(a, b):\n    return a + b\n"


def write(root: Path, relative: str, text: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def scan_json(capsys, *argv: str) -> tuple[int, dict]:
    code, out, _ = run(capsys, "scan", *argv, "--format", "json")
    return code, json.loads(out)


def located(data: dict) -> list[tuple[str, str, int]]:
    return [(f["rule_id"], f["path"], f["line"]) for f in data["findings"]]


# ---------------------------------------------------------------- exit codes


@pytest.fixture
def mixed(tmp_path: Path, monkeypatch) -> Path:
    """cwd with a BLOCK in app/store.py and only a WARN in app/limits.py."""
    write(tmp_path, "app/store.py", HOLLOW)
    write(tmp_path, "app/limits.py", WARN_ONLY)
    write(tmp_path, "app/math.py", CLEAN)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(
    ("target", "fail_on", "code"),
    [
        ("app", "block", 1),
        ("app", "warn", 1),
        ("app", "never", 0),
        ("app/limits.py", "block", 0),
        ("app/limits.py", "warn", 1),
        ("app/limits.py", "never", 0),
        ("app/math.py", "warn", 0),
    ],
)
def test_exit_code_follows_fail_on(capsys, mixed, target, fail_on, code):
    assert run(capsys, "scan", target, "--fail-on", fail_on)[0] == code


def test_fail_on_defaults_to_block(capsys, mixed):
    assert run(capsys, "scan", "app/store.py")[0] == 1
    assert run(capsys, "scan", "app/limits.py")[0] == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["scan", "app", "--select", "NO_SUCH_RULE"], "unknown rule id(s): NO_SUCH_RULE"),
        (["scan", "app", "--ignore", "MISSING_WRITE,NOPE"], "unknown rule id(s): NOPE"),
        (["scan", "missing_folder"], "no such file or folder: missing_folder"),
        (["scan", "app", "--diff", "not_there.diff"], "cannot read diff not_there.diff"),
        (["scan", "app", "--diff", "garbage.diff"], "not a unified diff"),
        (["explain", "NO_SUCH_RULE"], "unknown rule 'NO_SUCH_RULE'"),
    ],
)
def test_usage_errors_exit_2_with_one_clear_line(capsys, mixed, argv, message):
    write(mixed, "garbage.diff", "this is the wrong file\n")
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.startswith("ainascan: error: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_argument_errors_exit_2(capsys, mixed):
    for argv in (["scan", "app", "--format", "xml"], ["scan", "app", "--fail-on", "sometimes"], ["scan"], ["frobnicate"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 2
    capsys.readouterr()


# ---------------------------------------------------------------- formats and bad input


@pytest.fixture
def with_bad_files(tmp_path: Path, monkeypatch) -> Path:
    write(tmp_path, "src/good.py", HOLLOW)
    write(tmp_path, "src/syntax.py", b"def broken(:\n")
    write(tmp_path, "src/nulls.py", b"x = 1\x00\n")
    write(tmp_path, "src/latin.py", "x = 'caf\u00e9'\n".encode("latin-1"))
    write(tmp_path, "src/cookie.py", "# -*- coding: latin-1 -*-\nx = 'caf\u00e9'\n".encode("latin-1"))
    write(tmp_path, "src/deep_parse.py", "x = " + "-" * 20_000 + "1\n")
    write(tmp_path, "src/deep_walk.py", "x = " + " + ".join(["a"] * 2_000) + "\n")
    write(tmp_path, "src/huge.py", "x = 1\n" * 5_000)
    monkeypatch.chdir(tmp_path)
    return tmp_path


BAD_KINDS = {
    "src/syntax.py": "syntax-error",
    "src/nulls.py": "null-bytes",
    "src/latin.py": "encoding",
    "src/deep_parse.py": "too-deep",
    "src/deep_walk.py": "too-deep",
    "src/huge.py": "too-large",
}


def test_bad_files_are_errors_of_their_kind_and_the_good_file_is_still_reported(capsys, with_bad_files):
    code, data = scan_json(capsys, "src", "--max-bytes", "25000")
    assert code == 1
    assert {e["path"]: e["kind"] for e in data["errors"]} == BAD_KINDS
    assert ("MISSING_WRITE", "src/good.py", 1) in located(data)
    assert data["summary"]["files"] == 8
    assert data["summary"]["errors"] == 6


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "github-markdown"])
def test_every_format_shows_every_error_and_the_findings(capsys, with_bad_files, fmt):
    code, out, _ = run(capsys, "scan", "src", "--max-bytes", "25000", "--format", fmt)
    assert code == 1
    if fmt == "sarif":
        run_log = json.loads(out)["runs"][0]
        notifications = run_log["invocations"][0]["toolExecutionNotifications"]
        shown = {n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: n["message"]["text"] for n in notifications}
        assert {path: text.split(":")[0] for path, text in shown.items()} == BAD_KINDS
        assert "MISSING_WRITE" in {r["ruleId"] for r in run_log["results"]}
        return
    for path, kind in BAD_KINDS.items():
        assert path in out and kind in out, (path, kind)
    assert "MISSING_WRITE" in out and "src/good.py" in out
    assert "src/cookie.py" not in out  # decoded fine, nothing to say about it


def test_text_is_the_default_format(capsys, mixed):
    code, out, _ = run(capsys, "scan", "app", "--select", "MISSING_WRITE,UNKNOWN_SUPPRESSION")
    assert "app/store.py:1: BLOCK MISSING_WRITE" in out
    assert "app/limits.py:1: WARN UNKNOWN_SUPPRESSION" in out
    assert out.rstrip().splitlines()[-1].startswith("1 BLOCK, 1 WARN in 3 files")


def test_output_file_receives_the_report(capsys, mixed):
    code, out, _ = run(capsys, "scan", "app", "--format", "json", "--output", "report.json")
    assert code == 1 and out == ""
    data = json.loads((mixed / "report.json").read_text())
    assert ("MISSING_WRITE", "app/store.py", 1) in located(data)


# ---------------------------------------------------------------- choosing rules and files


def test_select_runs_only_the_named_rules(capsys, mixed):
    _, data = scan_json(capsys, "app", "--select", "unknown_suppression")
    assert {f["rule_id"] for f in data["findings"]} == {"UNKNOWN_SUPPRESSION"}
    _, data = scan_json(capsys, "app", "--select", "MISSING_WRITE, UNKNOWN_SUPPRESSION")
    assert {f["rule_id"] for f in data["findings"]} == {"MISSING_WRITE", "UNKNOWN_SUPPRESSION"}


def test_ignore_drops_the_named_rules(capsys, mixed):
    _, everything = scan_json(capsys, "app")
    _, data = scan_json(capsys, "app", "--ignore", "MISSING_WRITE")
    assert "MISSING_WRITE" in {f["rule_id"] for f in everything["findings"]}
    assert [f for f in everything["findings"] if f["rule_id"] != "MISSING_WRITE"] == data["findings"]


def test_exclude_patterns_are_gitignore_style(capsys, tmp_path, monkeypatch):
    for relative in ("main.py", "pkg/models.py", "pkg/sub/models.py", "pkg/sub/deep.py", "build/gen.py", "pkg/build/gen.py", "legacy/old.py"):
        write(tmp_path, relative, HOLLOW)
    monkeypatch.chdir(tmp_path)

    def scanned(*patterns: str) -> set[str]:
        argv = ["."] + [arg for pattern in patterns for arg in ("--exclude", pattern)]
        return {f["path"] for f in scan_json(capsys, *argv, "--select", "MISSING_WRITE")[1]["findings"]}

    everything = scanned()
    assert len(everything) == 7
    assert everything - scanned("models.py") == {"pkg/models.py", "pkg/sub/models.py"}  # a name, at any depth
    assert everything - scanned("build/") == {"build/gen.py", "pkg/build/gen.py"}  # folders only
    assert everything - scanned("pkg/sub/models.py") == {"pkg/sub/models.py"}  # anchored
    assert everything - scanned("/build") == {"build/gen.py"}  # anchored by a leading slash
    assert everything - scanned("pkg/*.py") == {"pkg/models.py"}  # `*` stays in its folder
    assert everything - scanned("pkg/**/gen.py") == {"pkg/build/gen.py"}
    assert everything - scanned("**/models.py", "legacy") == {"pkg/models.py", "pkg/sub/models.py", "legacy/old.py"}


def test_jobs_2_finds_what_jobs_1_finds(capsys, tmp_path, monkeypatch):
    for i in range(12):
        write(tmp_path, f"pkg/m{i:02}.py", HOLLOW.replace("save_user_preferences", f"save_item_{i}") + (HOLLOW_TOO if i % 2 else ""))
    write(tmp_path, "pkg/zz_broken.py", "def broken(:\n")
    write(tmp_path, "pkg/zz_warn.py", WARN_ONLY)
    monkeypatch.chdir(tmp_path)
    _, serial = scan_json(capsys, "pkg", "--jobs", "1")
    _, parallel = scan_json(capsys, "pkg", "--jobs", "2")
    assert parallel == serial
    assert serial["summary"]["files"] == 14
    assert sum(f["rule_id"] == "MISSING_WRITE" for f in serial["findings"]) == 18
    assert len(serial["errors"]) == 1


# ---------------------------------------------------------------- rules and explain


def test_rules_lists_the_catalog(capsys):
    code, out, _ = run(capsys, "rules")
    assert code == 0
    for rule_id, rule in all_rules().items():
        line = next(line for line in out.splitlines() if line.startswith(rule_id + " "))
        assert rule.severity.name in line and rule.summary in line
    assert f"{len(all_rules())} rules." in out


def test_rules_as_json(capsys):
    code, out, _ = run(capsys, "rules", "--format", "json")
    listed = json.loads(out)
    assert code == 0
    assert [entry["id"] for entry in listed] == sorted(all_rules())
    assert {entry["id"]: entry["severity"] for entry in listed}["UNKNOWN_SUPPRESSION"] == "WARN"


def test_explain_prints_the_rules_documentation(capsys):
    code, out, _ = run(capsys, "explain", "missing_write")
    assert code == 0
    assert out.startswith("MISSING_WRITE (BLOCK, measured precision")
    assert all_rules()["MISSING_WRITE"].doc in out


# ---------------------------------------------------------------- ZIP input


def build_zip(path: Path, members) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return path


def test_zip_findings_are_reported_inside_the_archive(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    build_zip(tmp_path / "project.zip", [("pkg/__init__.py", ""), ("pkg/mod.py", HOLLOW), ("pkg/broken.py", "def broken(:\n")])
    write(tmp_path, "loose.py", HOLLOW)
    code, data = scan_json(capsys, "project.zip", "loose.py")
    assert code == 1
    assert ("MISSING_WRITE", "project.zip!/pkg/mod.py", 1) in located(data)
    assert ("MISSING_WRITE", "loose.py", 1) in located(data)
    assert [(e["path"], e["kind"]) for e in data["errors"]] == [("project.zip!/pkg/broken.py", "syntax-error")]
    assert data["summary"]["files"] == 4


def test_github_zipball_folder_is_dropped_from_paths(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    build_zip(tmp_path / "project.zip", [("octo-shop-0123abc/pkg/mod.py", HOLLOW)])
    _, data = scan_json(capsys, "project.zip")
    assert ("MISSING_WRITE", "project.zip!/pkg/mod.py", 1) in located(data)


def symlink(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def test_a_symlink_in_an_archive_is_named_never_followed_and_the_rest_is_scanned(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    build_zip(tmp_path / "project.zip", [(symlink("pkg/link.py"), "/etc/passwd"), ("pkg/orders.py", HOLLOW)])
    code, out, err = run(capsys, "scan", "project.zip", "--format", "json")
    report = json.loads(out)
    assert code == 1 and {f["path"] for f in report["findings"]} == {"project.zip!/pkg/orders.py"}
    assert [(e["path"], e["kind"]) for e in report["errors"]] == [("project.zip!/pkg/link.py", "symlink")]


@pytest.mark.parametrize(
    ("members", "limits", "message"),
    [
        ([("../x.py", HOLLOW)], {}, "archive member '../x.py' points outside the archive; refused"),
        ([("/etc/x.py", HOLLOW)], {}, "archive member '/etc/x.py' points outside the archive; refused"),
        ([(f"m{i}.py", "") for i in range(4)], {"max_members": 3}, "archive has 4 files; the limit is 3"),
        ([("bomb.py", "\0" * (8 * 1024 * 1024))], {}, "refused as a zip bomb"),
        ([(f"m{i}.py", "x" * 100) for i in range(3)], {"max_total_bytes": 250}, "archive expands to 300 bytes; the limit is 250"),
    ],
    ids=["traversal", "absolute", "too-many-members", "zip-bomb", "total-size"],
)
def test_hostile_or_oversized_archives_are_refused(capsys, tmp_path, monkeypatch, members, limits, message):
    monkeypatch.chdir(tmp_path)
    if limits:
        monkeypatch.setattr(analyzer.archive, "ArchiveLimits", functools.partial(ArchiveLimits, **limits))  # the CLI imports it when it opens an archive
    build_zip(tmp_path / "evil.zip", members)
    code, out, err = run(capsys, "scan", "evil.zip")
    assert code == 2
    assert out == ""
    assert err.startswith("ainascan: error: evil.zip: ") and message in err
    assert len(err.strip().splitlines()) == 1


def test_a_file_that_is_not_a_zip_is_refused(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "fake.zip", "just text")
    code, _, err = run(capsys, "scan", "fake.zip")
    assert code == 2 and "fake.zip: not a ZIP archive" in err


# ---------------------------------------------------------------- diff scoping


def git(repo: Path, *args: str) -> str:
    command = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(command, cwd=repo, check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch) -> Path:
    """A git work tree (also the cwd): app/store.py committed with one hollow function, a second added since."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q")
    write(root, "app/store.py", HOLLOW)
    write(root, "app/other.py", HOLLOW.replace("save_user_preferences", "save_profile"))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    write(root, "app/store.py", HOLLOW + HOLLOW_TOO)
    monkeypatch.chdir(root)
    return root


def test_without_a_diff_every_finding_is_reported(capsys, repo):
    _, data = scan_json(capsys, "app", "--select", "MISSING_WRITE")
    assert located(data) == [("MISSING_WRITE", "app/other.py", 1), ("MISSING_WRITE", "app/store.py", 1), ("MISSING_WRITE", "app/store.py", 5)]


def test_diff_file_keeps_only_what_the_change_introduced(capsys, repo, tmp_path):
    diff = tmp_path / "change.diff"
    diff.write_text(git(repo, "diff"))
    code, data = scan_json(capsys, "app", "--select", "MISSING_WRITE", "--diff", str(diff))
    assert code == 1
    assert located(data) == [("MISSING_WRITE", "app/store.py", 5)]


def test_diff_from_stdin(capsys, repo, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(git(repo, "diff")))
    _, data = scan_json(capsys, "app", "--select", "MISSING_WRITE", "--diff", "-")
    assert located(data) == [("MISSING_WRITE", "app/store.py", 5)]


def test_an_empty_diff_reports_nothing_and_passes(capsys, repo, monkeypatch):
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "second")
    monkeypatch.setattr(sys, "stdin", io.StringIO(git(repo, "diff")))
    code, data = scan_json(capsys, "app", "--diff", "-")
    assert (code, data["findings"]) == (0, [])


def test_base_keeps_only_what_changed_since_the_revision(capsys, repo):
    code, data = scan_json(capsys, "app", "--select", "MISSING_WRITE", "--base", "HEAD")
    assert code == 1
    assert located(data) == [("MISSING_WRITE", "app/store.py", 5)]


def test_base_from_a_subfolder_matches_repository_paths(capsys, repo, monkeypatch):
    monkeypatch.chdir(repo / "app")
    _, data = scan_json(capsys, ".", "--select", "MISSING_WRITE", "--base", "HEAD")
    assert located(data) == [("MISSING_WRITE", "store.py", 5)]  # shown as given, matched as app/store.py


def test_base_counts_a_new_untracked_file_as_added(capsys, repo):
    write(repo, "app/fresh.py", HOLLOW)
    _, data = scan_json(capsys, "app", "--select", "MISSING_WRITE", "--base", "HEAD")
    assert sorted(located(data)) == [("MISSING_WRITE", "app/fresh.py", 1), ("MISSING_WRITE", "app/store.py", 5)]


def test_diff_matches_findings_scanned_by_absolute_path(capsys, repo, tmp_path):
    diff = tmp_path / "change.diff"
    diff.write_text(git(repo, "diff"))
    _, data = scan_json(capsys, str(repo / "app"), "--select", "MISSING_WRITE", "--diff", str(diff))
    assert [(rule, Path(path).relative_to(repo).as_posix(), line) for rule, path, line in located(data)] == [("MISSING_WRITE", "app/store.py", 5)]


def test_base_with_an_unknown_revision_is_a_usage_error(capsys, repo):
    code, _, err = run(capsys, "scan", "app", "--base", "no-such-branch")
    assert code == 2 and "git diff no-such-branch failed" in err


def test_diff_and_base_are_exclusive(capsys, repo):
    with pytest.raises(SystemExit) as exit_info:
        main(["scan", "app", "--diff", "-", "--base", "HEAD"])
    assert exit_info.value.code == 2


# ---------------------------------------------------------------- the installed console script


def console_script() -> str:
    script = Path(sys.executable).with_name("ainascan")
    if not script.exists():
        pytest.fail(f"console script missing next to {sys.executable}: pip install -e '.[test]'")
    return str(script)


def test_console_script_scans_and_sets_the_exit_code(tmp_path):
    write(tmp_path, "app/store.py", HOLLOW)
    completed = subprocess.run([console_script(), "scan", "app", "--format", "json"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert completed.returncode == 1, completed.stderr
    assert ("MISSING_WRITE", "app/store.py", 1) in located(json.loads(completed.stdout))


def test_console_script_with_base_inside_a_work_tree(repo):
    completed = subprocess.run(
        [console_script(), "scan", "app", "--select", "MISSING_WRITE", "--base", "HEAD", "--format", "json"],
        cwd=repo, capture_output=True, text=True, timeout=60,
    )
    assert completed.returncode == 1, completed.stderr
    assert located(json.loads(completed.stdout)) == [("MISSING_WRITE", "app/store.py", 5)]
