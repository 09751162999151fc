"""Project context: declared dependencies read from dependency files as text, and the project's own top-level modules."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyzer.project import ProjectContext, dependencies_from_files, normalize_distribution, project_context_for, requirement_names


@pytest.mark.parametrize(
    ("name", "normal"),
    [("Foo_Bar.baz", "foo-bar-baz"), ("requests", "requests"), ("Zope.Interface", "zope-interface"), ("a--b__c", "a-b-c")],
)
def test_normalize_distribution(name, normal):
    assert normalize_distribution(name) == normal


def test_requirement_names_skip_options_urls_and_comments():
    lines = [
        "requests>=2  # http",
        "Django[argon2]==4.2",
        "zope.interface",
        "pytest ; python_version > '3.8'",
        "foo @ https://example.invalid/foo.whl",
        "-r other.txt",
        "-e .",
        "git+https://example.invalid/repo.git",
        "https://example.invalid/pkg.whl",
        "# a comment",
        "",
    ]
    assert requirement_names(lines) == {"requests", "django", "zope-interface", "pytest", "foo"}


def test_pyproject_project_tables_and_groups():
    text = """
[project]
name = "shop"
dependencies = ["Requests>=2", "pydantic_settings"]
[project.optional-dependencies]
test = ["pytest>=8"]
[dependency-groups]
lint = ["ruff", {include-group = "test"}]
[tool.poetry.dependencies]
python = "^3.11"
Flask = "*"
[tool.poetry.dev-dependencies]
black = "*"
[tool.poetry.group.docs.dependencies]
Sphinx = "*"
"""
    names = dependencies_from_files({"pyproject.toml": text})
    assert {"requests", "pydantic-settings", "pytest", "ruff", "flask", "black", "sphinx"} <= names
    assert "shop" not in names  # the project's own name is not a dependency


def test_broken_pyproject_declares_nothing():
    assert dependencies_from_files({"pyproject.toml": "[project\ndependencies = ["}) == set()


def test_requirements_files_by_name():
    files = {"requirements.txt": "flask\n", "requirements-dev.in": "Jinja2\n", "constraints.txt": "nope\n"}
    assert dependencies_from_files(files) == {"flask", "jinja2"}


@pytest.mark.parametrize(
    ("filename", "text"),
    [
        ("setup.cfg", "[options]\ninstall_requires =\n    requests>=2\n    click\n"),
        ("setup.py", "from setuptools import setup\nsetup(name='shop', install_requires=['requests>=2', 'click'])\n"),
        ("Pipfile", '[packages]\nrequests = "*"\nclick = {version = "*"}\n'),
    ],
)
def test_loosely_read_dependency_files(filename, text):
    assert {"requests", "click"} <= dependencies_from_files({filename: text})


def test_project_context_from_a_folder(tmp_path: Path):
    (tmp_path / "pyproject.toml").write_text('[project]\ndependencies = ["httpx"]\n')
    (tmp_path / "requirements.txt").write_text("redis\n")
    (tmp_path / "manage.py").write_text("")
    (tmp_path / "shop").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "src" / "billing").mkdir(parents=True)
    (tmp_path / "src" / "tool.py").write_text("")
    context = project_context_for(tmp_path)
    assert context.declared_dependencies == frozenset({"httpx", "redis"})
    assert {"manage", "shop", "billing", "tool"} <= context.local_modules
    assert ".git" not in context.local_modules
    assert context.has_dependency_files


def test_a_folder_without_dependency_files(tmp_path: Path):
    (tmp_path / "app.py").write_text("")
    context = project_context_for(tmp_path)
    assert context == ProjectContext(frozenset(), frozenset({"app"}), False)


def test_every_scanned_file_and_folder_is_a_local_module(tmp_path):
    from analyzer.project import module_names_of, project_context_for

    assert module_names_of(["bench/noise.py", "src/pkg/sub/mod.py", "pkg/__init__.py", "my-dir/x.py"]) == {"bench", "noise", "src", "pkg", "sub", "mod", "x"}
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "corpus.py").write_text("")
    context = project_context_for(tmp_path, [str(tmp_path / "tools" / "corpus.py")])
    assert {"tools", "corpus"} <= context.local_modules
