"""HARDCODED_SECRET: a password, key or token is written into the source code.

What it does:
    Flags a password, key or token written into the source as a string
    literal. Either the literal is given a secret's name (`password`,
    `secret_key`, `api_key`, `access_token`, `client_secret`, `private_key`,
    ...) as a variable, attribute, keyword argument or dict entry; or it has
    the shape of a live credential wherever it is: an AWS access key id
    (`AKIA...`), a GitHub token (`ghp_...`), a Slack token (`xoxb-...`), a
    Stripe live key, a Google API key, or a PEM private key block.

Why it matters:
    Source code is copied to laptops, CI logs, forks and backups, and its
    history is forever: a key committed once is a key leaked. Bots scan
    public repositories for these shapes within minutes. A secret in code
    also cannot be rotated without a deploy, and is the same in every
    environment.

Example:
    STRIPE_API_KEY = "sk_live_51H8x2LkqzP0aB7cD9eF1gH3iJ5kL7mN9"

Use instead:
    STRIPE_API_KEY = os.environ["STRIPE_API_KEY"]

Notes:
    Empty strings, placeholders (`"changeme"`, `"your-api-key-here"`,
    `"<token>"`, `"xxx"`), values with spaces, URLs and paths, values that
    repeat the name (`PASSWORD_FIELD = "password"`), identifiers and slugs
    (`SESSION_TOKEN = "_password_reset_token"`), regular expressions, short
    words such as `token_type = "bearer"`, environment lookups, tests and docs are not
    findings. A provider-shaped credential is BLOCK; a secret-named literal
    that looks random (long, mixed characters) is BLOCK, a weaker one WARN.
"""

from __future__ import annotations

import ast
import math
import re
from typing import Iterator

from analyzer.model import Severity
from analyzer.registry import STRING, Report, rule

_PROVIDER_SHAPES = (
    ("an AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("a GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{60,})\b")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[0-9]{6,}-[A-Za-z0-9-]{10,}")),
    ("a Stripe live key", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}\b")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("a private key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----\s*[A-Za-z0-9+/=\s:,-]{64,}")),
)
_PROVIDER_PREFIX = re.compile(r"AKIA|ASIA|gh[pousr]_|github_pat_|xox|[sr]k_live_|AIza|-----BEGIN")
_SECRET_NAME = re.compile(
    r"(?:^|_)(?:password|passwd|pwd|passphrase|secret|secret_key|api_key|apikey|access_key|secret_access_key|"
    r"access_token|auth_token|refresh_token|bearer_token|api_token|token|private_key|client_secret|signing_key|"
    r"encryption_key|master_key|webhook_secret|db_password|credentials?)$"
)
_PLACEHOLDER = re.compile(
    r"^(?:x+|\*+|\.+|-+|_+|0+|1234\d*|test\w*|dummy\w*|fake\w*|sample\w*|example\w*|placeholder\w*|changeme\w*|"
    r"change[-_ ]?me\w*|none|null|nil|undefined|default|secret|password|passwd|token|redacted|hidden|todo\w*|fixme\w*)$"
    r"|your[-_ ]|[-_ ]here$|<[^>]*>|\$\{|\{\{|%\(|\{[a-z_]*\}|replace[-_ ]?me|change[-_ ]?(?:me|this)|insert[-_ ]|"
    r"example|dummy|placeholder|not[-_ ]?a[-_ ]?real|xxxx",
    re.IGNORECASE,
)
_NOT_A_VALUE = re.compile(r"\s|://|^/|^\.{0,2}/|\\\\|^[A-Z_]+$|%s|\{\}|\.(?:pem|key|json|txt|crt|env)$")
# Lower-case words joined by `_`, `-`, `.`: an identifier or slug (`"_password_reset_token"`), not a secret.
_IDENTIFIER = re.compile(r"^[a-z_][a-z_.-]*$")
# Regular expressions and character classes (`"[-!#$%&'*+.^_`|~0-9a-zA-Z]+"`).
_PATTERN_SYNTAX = re.compile(r"\\[A-Za-z]|\[[^\]]*\][*+?{]?|\(\?|\)[*+?]")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_DOCS_PATH = re.compile(r"(^|/)(docs?|examples?)/")


# A keyword argument's literal is judged from the literal itself (its parent is the keyword): most keyword values
# are no string, and dispatching every keyword to the rule cost more than the literals it finds there.
@rule("HARDCODED_SECRET", Severity.BLOCK, on=(STRING, ast.Assign, ast.AnnAssign, ast.Dict), precision=0.9)
def check(node: ast.AST, ctx) -> Iterator[Report] | None:
    # Cheap tests first: this rule sees every string literal and assignment of a file. Exact classes by type(),
    # which costs less than reading `__class__` (an attribute lookup), and each field read once.
    node_type = type(node)
    if node_type is _CONSTANT:
        if len(node.value) < 8:  # a str: the rule looks at string literals (STRING), not at every constant
            return None  # too short to be a secret of either kind
        reports = _literal_reports(node, ctx)
    elif node_type is _DICT:
        if not _holds_long_string(node.values):
            return None  # no dict value is a literal long enough to be a secret
        reports = _named_reports(node)
    else:
        value = node.value
        if type(value) is not _CONSTANT or type(text := value.value) is not str or len(text) < 8:
            return None  # an assignment whose value is no literal long enough to be a secret (`_long_string`, inlined)
        reports = _named_reports(node)
    if not reports or ctx.is_test_file or _DOCS_PATH.search(ctx.path):
        return None
    return iter(reports)


_CONSTANT, _EXPR, _DICT, _KEYWORD = ast.Constant, ast.Expr, ast.Dict, ast.keyword


def _literal_reports(node: ast.Constant, ctx) -> list[Report]:
    """A string literal of 8 characters or more: a keyword argument's secret (`f(password="...")`), or a provider's shape."""
    text = node.value
    parents = ctx.parents
    parent = parents[-1] if parents else None
    parent_type = type(parent)
    named = _named(parent.arg, node, node) if parent_type is _KEYWORD else None
    if named is not None:
        return [named]  # no provider's shape: `_looks_like_a_secret` leaves those to `_provider_shaped`
    if len(text) < 20 or parent_type is _EXPR:
        return []  # too short for a provider's shape, or a docstring (most of a file's long strings)
    if not _may_hold_provider_prefix(text) or not _PROVIDER_PREFIX.search(text):
        return []
    return _provider_shaped(node, ctx)


def _may_hold_provider_prefix(text: str) -> bool:
    """A part of every `_PROVIDER_PREFIX` alternative, found by substring search: the regex tries its alternatives
    at every character, which costs more than these scans for the long strings (messages, SQL) most files hold."""
    return (
        "AKIA" in text or "ASIA" in text or "gh" in text or "github_pat_" in text or "xox" in text
        or "k_live_" in text or "AIza" in text or "-----BEGIN" in text
    )  # tests/rules/test_hardcoded_secret.py holds this list to the regex with a value of every shape


def _holds_long_string(values: list[ast.expr]) -> bool:
    for value in values:
        if type(value) is _CONSTANT and type(text := value.value) is str and len(text) >= 8:  # `_long_string`, inlined
            return True
    return False


def _named_values(node: ast.AST) -> list[tuple[str | None, ast.AST, ast.AST]]:
    """(name, value, where to anchor) for each value an assignment or dict literal gives a name to."""
    if type(node) is ast.Assign:
        return [(_target_name(target), node.value, node) for target in node.targets]
    if type(node) is ast.AnnAssign:
        return [(_target_name(node.target), node.value, node)] if node.value is not None else []
    return [(key.value, value, value) for key, value in zip(node.keys, node.values) if isinstance(key, ast.Constant) and type(key.value) is str]


def _provider_shaped(node: ast.Constant, ctx) -> list[Report]:
    for label, shape in _PROVIDER_SHAPES:
        match = shape.search(node.value)
        if match and not _PLACEHOLDER.search(match.group(0)):
            return [
                Report(
                    line=node.lineno,
                    end_line=node.end_lineno,
                    message=f"a string literal holds {label} (`{_redacted(match.group(0))}`): move it to the environment or a secret store, and revoke it",
                    evidence=(node.lineno,),
                )
            ]
    return []


def _long_string(value: ast.AST | None) -> bool:
    return type(value) is ast.Constant and type(value.value) is str and len(value.value) >= 8


def _named_reports(node: ast.AST) -> list[Report]:
    reports = []
    for name, value, anchor in _named_values(node):
        report = _named(name, value, anchor)
        if report is not None:
            reports.append(report)
    return reports


def _named(name: str | None, value: ast.AST, anchor: ast.AST) -> Report | None:
    if not name or not _long_string(value) or not _may_be_secret_name(name):
        return None
    snake = _CAMEL_BOUNDARY.sub("_", name).lower()
    secret = value.value
    if not _SECRET_NAME.search(snake) or not _looks_like_a_secret(secret, snake):
        return None
    strong = len(secret) >= 16 and _character_classes(secret) >= 2 and _entropy(secret) >= 3.5
    return Report(
        line=anchor.lineno,
        end_line=anchor.end_lineno,
        message=f"`{name}` is set to a literal secret (`{_redacted(secret)}`, {len(secret)} characters) in the source; read it from the environment or a secret store",
        evidence=(anchor.lineno,),
        severity=None if strong else Severity.WARN,
    )


# A word every `_SECRET_NAME` alternative holds: most names hold none, and this spares them the camel-case split.
_SECRET_WORD = re.compile("key|token|secret|pass|pwd|credential")


def _may_be_secret_name(name: str) -> bool:
    # The camel-case split only adds `_`, which no word holds: a word of the split name is in the plain one too.
    return _SECRET_WORD.search(name.lower()) is not None


def _looks_like_a_secret(text: str, name: str) -> bool:
    """Not a placeholder, path, identifier, pattern, provider token (reported apart) or the name itself."""
    if _NOT_A_VALUE.search(text) or _PLACEHOLDER.search(text) or _IDENTIFIER.match(text) or _PATTERN_SYNTAX.search(text):
        return False
    if any(shape.search(text) for _, shape in _PROVIDER_SHAPES):
        return False  # the provider-shaped check reports it, with a better name
    squashed, squashed_name = re.sub(r"[^a-z0-9]", "", text.lower()), re.sub(r"[^a-z0-9]", "", name)
    if squashed in squashed_name or squashed_name in squashed:
        return False  # `PASSWORD_FIELD = "password"`, `api_key = "api-key"`: a name, not a secret
    return _character_classes(text) >= 2 or len(text) >= 20  # not a plain word: `token = "csrftoken"`


def _target_name(target: ast.AST) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str):
        return target.slice.value  # os.environ["API_KEY"] = "...", config["password"] = "..."
    return None


def _character_classes(text: str) -> int:
    return sum((any(c.islower() for c in text), any(c.isupper() for c in text), any(c.isdigit() for c in text), any(not c.isalnum() for c in text)))


def _entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    counts: dict[str, int] = {}
    for char in text:
        counts[char] = counts.get(char, 0) + 1
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _redacted(secret: str) -> str:
    secret = secret.strip()
    if secret.startswith("-----BEGIN"):
        return secret.split("-----")[1]
    return f"{secret[:4]}…{secret[-2:]}" if len(secret) > 8 else "…"
