"""The code structure report: functions with complexity, danger sinks flagged or not, the call graph."""

from __future__ import annotations

import json

from analyzer.engine import scan_source
from analyzer.structure import call_graph, file_structure
from bot.cli import main

SERVICE = '''\
import subprocess


def run(cmd):
    return subprocess.run(cmd, shell=True)


def archive(folder, verbose):
    if verbose and folder:
        print(folder)
    return run(f"tar czf out.tgz {folder}")


class Report:
    def build(self, rows):
        return [archive(r, False) for r in rows if r]
'''


def test_functions_carry_lines_params_and_complexity():
    structure = file_structure(SERVICE, "svc.py")
    by_name = {f.qualname: f for f in structure.functions}
    assert set(by_name) == {"run", "archive", "Report.build"}
    assert by_name["archive"].params == ["folder", "verbose"]
    assert (by_name["archive"].line, by_name["archive"].end_line) == (8, 11)
    assert by_name["archive"].complexity == 3  # if + one `and`
    assert by_name["Report.build"].complexity == 3  # comprehension for + if


def test_sinks_are_listed_and_marked_when_a_rule_flags_them():
    findings = scan_source(SERVICE, "svc.py").findings
    structure = file_structure(SERVICE, "svc.py", findings)
    [sink] = structure.sinks
    assert (sink.kind, sink.line, sink.call, sink.function) == ("command", 5, "subprocess.run", "run")
    flagged_on_line = sorted({f.rule_id for f in findings if f.line <= 5 <= f.end_line})
    assert sink.flagged_by == flagged_on_line


def test_unflagged_sink_is_still_listed():
    source = "import subprocess\n\ndef ls():\n    return subprocess.run(['ls'])\n"
    [sink] = file_structure(source, "a.py").sinks
    assert sink.kind == "command" and sink.flagged_by == []


def test_call_graph_links_calls_across_files_by_name():
    first = file_structure(SERVICE, "svc.py")
    second = file_structure("from svc import archive\n\ndef nightly():\n    archive('/srv', True)\n", "jobs.py")
    graph = call_graph([first, second])
    assert graph["svc.py::archive"] == ["svc.py::run"]
    assert graph["svc.py::Report.build"] == ["svc.py::archive"]
    assert graph["jobs.py::nightly"] == ["svc.py::archive"]
    assert "svc.py::run" not in graph  # calls nothing of ours


def test_unparsable_file_reports_an_error_not_a_crash():
    structure = file_structure("def broken(:\n", "bad.py")
    assert structure.error and "SyntaxError" in structure.error
    assert structure.functions == []


def test_structure_command_prints_json(tmp_path, capsys):
    (tmp_path / "svc.py").write_text(SERVICE)
    assert main(["structure", str(tmp_path), "--format", "json", "--jobs", "1"]) == 0
    report = json.loads(capsys.readouterr().out)
    [entry] = report["files"]
    assert entry["path"].endswith("svc.py")
    assert [f["qualname"] for f in entry["functions"]] == ["run", "archive", "Report.build"]
    assert report["sink_kinds"]["command"]
    assert any(caller.endswith("::archive") for caller in report["call_graph"])


def test_structure_command_text_and_missing_path(tmp_path, capsys):
    (tmp_path / "svc.py").write_text(SERVICE)
    assert main(["structure", str(tmp_path / "svc.py")]) == 0
    text = capsys.readouterr().out
    assert "def archive(folder, verbose)" in text and "sink command" in text
    assert main(["structure", str(tmp_path / "nope")]) == 2
