"""CORS_ALLOW_ALL_WITH_CREDENTIALS: any web site may make logged-in requests to the API.

What it does:
    Flags CORS configured to allow every origin together with credentials.
    That is Starlette/FastAPI `CORSMiddleware` with `allow_origins=["*"]`
    (or `allow_origin_regex=".*"`) and `allow_credentials=True`; flask-cors
    `CORS(...)` or `@cross_origin(...)` with `supports_credentials=True` and
    origins left at, or set to, `"*"`; and a Django settings module with
    `CORS_ALLOW_ALL_ORIGINS = True` (or `CORS_ORIGIN_ALLOW_ALL`) and
    `CORS_ALLOW_CREDENTIALS = True`.

Why it matters:
    Browsers refuse a literal `*` with credentials, so these libraries echo
    the caller's origin back instead: every site on the internet, including
    an attacker's page that a logged-in user visits, can then call the API
    with the user's cookies and read the answers (their data, their CSRF
    tokens), and act as them.

Example:
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_credentials=True,
    )

Use instead:
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["https://app.example.com"],
        allow_credentials=True,
    )

Notes:
    All origins without credentials (a public, cookie-less API) and an
    explicit list of origins with credentials are not findings; neither are
    origins read from configuration.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.facts import dotted_name
from analyzer.model import Severity
from analyzer.registry import Report, rule
from analyzer.sinks import sink_kind, sink_names

_DJANGO_ALLOW_ALL = frozenset({"CORS_ALLOW_ALL_ORIGINS", "CORS_ORIGIN_ALLOW_ALL"})
_DJANGO_CREDENTIALS = re.compile(r"^CORS_ALLOW_CREDENTIALS\s*=\s*True\b", re.MULTILINE)
_ANY_ORIGIN_REGEX = frozenset({".*", "^.*$", ".+", "^.+$", "https?://.*", "^https?://.*$", "*"})


@rule("CORS_ALLOW_ALL_WITH_CREDENTIALS", Severity.BLOCK, on=(ast.Call, ast.Assign), precision=0.9, calls=sink_names("cors"), needs={"CORS", "cross_origin"})
def check(node: ast.Call | ast.Assign, ctx) -> Iterator[Report] | None:
    if type(node) is ast.Call:
        if sink_kind(node) != "cors":
            return None
        reports = list(_middleware(node))
    elif ctx.function is None and not ctx.class_stack and _is_true(node.value):
        reports = list(_django_settings(node, ctx))
    else:
        return None
    if not reports or ctx.is_test_file:
        return None
    return iter(reports)


def _middleware(call: ast.Call) -> Iterator[Report]:
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    name = dotted_name(call.func) or "CORS"
    if "supports_credentials" in keywords:  # flask-cors
        if not _is_true(keywords["supports_credentials"]):
            return
        origins = _flask_origins(keywords)
        credentials = "supports_credentials=True"
    elif "allow_credentials" in keywords:  # Starlette, FastAPI
        if not _is_true(keywords["allow_credentials"]):
            return
        origins = _starlette_origins(keywords)
        credentials = "allow_credentials=True"
    else:
        return
    if origins is None:
        return
    yield Report(
        line=call.lineno,
        end_line=call.end_lineno,
        message=f"`{name}(...)` allows {origins} with `{credentials}`: any web site can make requests with the user's cookies and read the answers",
        evidence=(call.lineno,),
    )


def _starlette_origins(keywords: dict[str, ast.expr]) -> str | None:
    origins = keywords.get("allow_origins")
    if origins is not None and _has_star(origins):
        return "every origin (`allow_origins=[\"*\"]`)"
    regex = keywords.get("allow_origin_regex")
    if isinstance(regex, ast.Constant) and regex.value in _ANY_ORIGIN_REGEX:
        return f"every origin (`allow_origin_regex={regex.value!r}`)"
    return None


def _flask_origins(keywords: dict[str, ast.expr]) -> str | None:
    origins = keywords.get("origins")
    if origins is not None:
        return "every origin (`origins=\"*\"`)" if _has_star(origins) else None
    resources = keywords.get("resources")
    if resources is None:
        return "every origin (flask-cors's default `origins=\"*\"`)"
    options = resources.values if isinstance(resources, ast.Dict) else []
    if any(_has_star(_dict_value(option, "origins")) for option in options):
        return "every origin (`\"origins\": \"*\"` in `resources`)"
    return None


def _dict_value(node: ast.AST, key: str) -> ast.AST | None:
    """The value under a constant `key` in a dict literal, or None."""
    if not isinstance(node, ast.Dict):
        return None
    return next((v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant) and k.value == key), None)


def _django_settings(assign: ast.Assign, ctx) -> Iterator[Report]:
    if not _is_true(assign.value):
        return
    names = [t.id for t in assign.targets if isinstance(t, ast.Name) and t.id in _DJANGO_ALLOW_ALL]
    if not names:
        return
    credentials = _DJANGO_CREDENTIALS.search(ctx.source)
    if credentials is None:
        return
    credentials_line = ctx.source.count("\n", 0, credentials.start()) + 1
    yield Report(
        line=assign.lineno,
        end_line=assign.end_lineno,
        message=f"`{names[0]} = True` with `CORS_ALLOW_CREDENTIALS = True` (line {credentials_line}): any web site can make requests with the user's cookies and read the answers",
        evidence=tuple(sorted({assign.lineno, credentials_line})),
    )


def _has_star(node: ast.AST | None) -> bool:
    if isinstance(node, ast.Constant):
        return node.value == "*"
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        return any(isinstance(item, ast.Constant) and item.value == "*" for item in node.elts)
    return False


def _is_true(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value is True
