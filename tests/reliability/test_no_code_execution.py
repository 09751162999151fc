"""The bot never checks out, imports or runs pull request code, and reads its configuration only from the default branch.

A pull request brings code that would leave a mark if it ran (module level,
conftest.py, setup.py, __init__.py, a .pth file). While the review runs, an
audit hook records every import, exec, compile of a code object from those
files, subprocess and os.system call; none may concern them, and no mark may appear.
"""

from __future__ import annotations

import sys

from bot.github import installation_client
from bot.jobs import review
from reliability.helpers import REPO, with_hollow

RECORDING: list[tuple[str, str]] = []
WATCHING = [False]


def _audit(event: str, args) -> None:
    if not WATCHING[0]:
        return
    if event in ("import", "exec", "subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "ctypes.dlopen"):
        RECORDING.append((event, repr(args)[:300]))


sys.addaudithook(_audit)  # audit hooks cannot be removed: this one records only while WATCHING


def payload_that_leaves(mark) -> str:
    return f"import pathlib\npathlib.Path({str(mark)!r}).write_text('ran')\nimport os\nos.system('touch {mark}.sh')\n"


def test_pull_request_code_is_read_never_imported_or_run(settings, standin, tmp_path):
    mark = tmp_path / "pwned"
    evil = payload_that_leaves(mark)
    files = {
        "app/profiles.py": with_hollow("profile") + "\n" + evil,
        "conftest.py": evil,
        "setup.py": evil + "from setuptools import setup\nsetup()\n",
        "evilpkg/__init__.py": evil,
        "evilpkg/evil_module.py": evil,
        "sitecustomize.py": evil,
        "evil.pth": f"import os; os.system('touch {mark}.pth')\n",
        ".github/ainascan.yml": "select: []\nfail_on: never\n!!python/object/apply:os.system ['touch " + str(mark) + ".yaml']\n",
    }
    head = standin.add_pull(REPO, 7, files)
    modules_before = set(sys.modules)
    WATCHING[0] = True
    try:
        with installation_client(settings, 1) as gh:
            outcome = review(gh, settings, REPO, 7, head)
    finally:
        WATCHING[0] = False

    assert outcome["findings"] >= 1  # it was read and analyzed
    assert not list(tmp_path.iterdir())  # nothing it says ran
    assert not {"evilpkg", "evil_module", "conftest", "setup", "sitecustomize"} & (set(sys.modules) - modules_before)
    concerning = [(event, args) for event, args in RECORDING if any(name in args for name in ("evil", "conftest", "setup.py", "sitecustomize", str(mark), "profiles"))]
    assert concerning == []
    assert not [event for event, _args in RECORDING if event in ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn")]
    # The configuration in the pull request (fail_on: never, a YAML tag that would run a command) was never read.
    assert standin.config_reads(REPO) and set(standin.config_reads(REPO)) == {"main"}
    assert standin.runs_for(head)[0]["conclusion"] == "failure"


def test_a_hostile_configuration_on_the_default_branch_is_parsed_safely(settings, standin, tmp_path):
    mark = tmp_path / "yaml-ran"
    standin.add_repo(REPO, {"app/profiles.py": "x = 1\n", ".github/ainascan.yml": f"!!python/object/apply:os.system ['touch {mark}']\n"})
    head = standin.add_pull(REPO, 7, {"app/profiles.py": with_hollow("profile")})
    with installation_client(settings, 1) as gh:
        outcome = review(gh, settings, REPO, 7, head)
    assert outcome["status"] == "config-error" and not mark.exists()
    run = standin.runs_for(head)[0]
    assert (run["conclusion"], run["output"]["title"]) == ("neutral", "Configuration error")
