"""WEAK_PASSWORD_HASH: a password is hashed with a fast hash (MD5, SHA-1, SHA-256...), or a security token with MD5/SHA-1.

What it does:
    Flags a password hashed with a fast hash such as MD5, SHA-1 or SHA-256.
    The hash (`hashlib.md5`, `sha1`, `sha256`, `sha512`, the rest of the
    family, `hashlib.new(...)`) is applied to a value named like a password
    (`password`, `passwd`, `pwd`, `passphrase`), directly, through
    `.update(...)`, or through a local built from it. As WARN, it also flags
    an MD5 or SHA-1 digest stored under a security name (`token`, `api_key`,
    `signature`, `session_id`, `nonce`, `otp`) that is not made from
    `secrets`/`os.urandom` bytes.

Why it matters:
    Fast hashes are built to be fast: a single GPU tries billions of SHA-256
    guesses a second, so a leaked table of SHA-256 password hashes is a
    leaked table of passwords, salt or no salt. Password hashing needs a
    deliberately slow, salted function. An MD5 "token" made from a user id
    and a timestamp can be recomputed by anyone who guesses them.

Example:
    def create_user(email, password):
        digest = hashlib.sha256(password.encode()).hexdigest()
        return User(email=email, password_hash=digest)

Use instead:
    def create_user(email, password):
        digest = argon2.PasswordHasher().hash(password)  # or bcrypt, scrypt, hashlib.pbkdf2_hmac
        return User(email=email, password_hash=digest)

Notes:
    `hashlib.pbkdf2_hmac`, `scrypt`, bcrypt and argon2 are slow by design and
    are not sinks. A hash called with `usedforsecurity=False`, and methods
    of a class named `...Hasher` (an implementation of a named legacy
    algorithm, kept so old hashes still verify), are not reported.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.facts import FunctionFacts, dotted_name
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.rules._strings import assigned_values
from analyzer.sinks import sink_kind, sink_names

_PASSWORD_PARTS = frozenset({"password", "passwd", "pwd", "passphrase", "pw", "passwords", "pword"})
_TOKEN_NAME = re.compile(r"(?:^|_)(?:token|api_key|apikey|secret|signature|sig|session_id|sessionid|nonce|otp|reset_code|verification_code|csrf)$")
_RANDOM_SOURCES = re.compile(r"^(?:os\.urandom|secrets\.\w+|uuid\.uuid4|token_bytes|token_hex|token_urlsafe)$")
_WEAK_FOR_TOKENS = frozenset({"md5", "sha1"})


_SINK_NAMES = sink_names("hash")


# Every hash sink is named md5, sha*, blake2* or hashlib.new.
@rule("WEAK_PASSWORD_HASH", Severity.BLOCK, on=FUNCTION, precision=0.9)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    if ctx.module.callee_names.isdisjoint(_SINK_NAMES) or ctx.is_test_file or (fn.class_name or "").endswith("Hasher"):
        return None  # no call in the file so far is named like a hash
    return _findings(fn, ctx)


def _findings(fn: FunctionFacts, ctx) -> Iterator[Report]:
    for call in fn.calls:
        if sink_kind(call.node) != "hash" or _not_for_security(call.node):
            continue
        algorithm = _algorithm(call.node)
        fed = _data_fed(call.node, fn)
        password = next((found for line, data in fed if (found := _password_in(data, fn, line, 0)) is not None), None)
        if password is not None:
            yield Report(
                line=call.line,
                end_line=call.node.end_lineno,
                message=f"`{password}` is hashed with `{algorithm}`, a fast hash: leaked digests are brute-forced at billions of guesses a second; "
                "use a password hash (argon2, bcrypt, scrypt, `hashlib.pbkdf2_hmac`)",
                evidence=(call.line,),
            )
        elif algorithm in _WEAK_FOR_TOKENS and (token := _token_target(call.node, fn)) is not None:
            if any(_from_random(data, fn, line, 0) for line, data in fed):
                continue
            yield Report(
                line=call.line,
                end_line=call.node.end_lineno,
                message=f"`{token}` is made with `{algorithm}` from guessable input; use `secrets.token_urlsafe()` for tokens or `hmac` with SHA-256 for signatures",
                evidence=(call.line,),
                severity=Severity.WARN,
            )


def _algorithm(call: ast.Call) -> str:
    name = dotted_name(call.func).rsplit(".", 1)[-1]
    if name == "new" and call.args and isinstance(call.args[0], ast.Constant):
        return str(call.args[0].value).lower().replace("-", "")
    return name


def _not_for_security(call: ast.Call) -> bool:
    return any(k.arg == "usedforsecurity" and isinstance(k.value, ast.Constant) and k.value.value is False for k in call.keywords)


def _data_fed(call: ast.Call, fn: FunctionFacts) -> list[tuple[int, ast.expr]]:
    """What the hash digests: its data argument, and the arguments of `.update()` on the object it was assigned to."""
    index = 1 if dotted_name(call.func).endswith(".new") else 0
    found = [(call.lineno, call.args[index])] if len(call.args) > index else []
    found += [(call.lineno, k.value) for k in call.keywords if k.arg in ("data", "string")]
    holder = _assigned_to(call, fn)
    if holder is not None:
        for other in fn.calls:
            func = other.node.func
            if other.attr == "update" and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == holder:
                found += [(other.line, arg) for arg in other.node.args]
    return found


def _assigned_to(call: ast.Call, fn: FunctionFacts) -> str | None:
    for assign in fn.assigns:
        if assign.line == call.lineno and assign.value is call and len(assign.targets) == 1:
            return assign.targets[0]
    return None


def _password_in(expr: ast.expr, fn: FunctionFacts, line: int, depth: int) -> str | None:
    """The password-named value read in `expr`, following locals back a few assignments."""
    for node in ast.walk(expr):
        name = None
        if isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str):
            name = node.slice.value
        if name is None:
            continue
        if _is_password_name(name):
            return ast.unparse(node)
        if isinstance(node, ast.Name) and depth < 3:
            for assign_line, value in assigned_values(fn, node.id, line):
                found = _password_in(value, fn, assign_line, depth + 1)
                if found is not None:
                    return found
    return None


def _is_password_name(name: str) -> bool:
    parts = name.lower().strip("_").split("_")
    if "hash" in parts or "hashed" in parts or "field" in parts or "reset" in parts:
        return False  # password_hash, hashed_password: already a digest; password_field, password_reset: not a password
    return not _PASSWORD_PARTS.isdisjoint(parts)


def _token_target(call: ast.Call, fn: FunctionFacts) -> str | None:
    """The security name a digest ends up in: `token = md5(...).hexdigest()`, or `generate_token()` returning it."""
    for assign in fn.assigns:
        if assign.value is not None and assign.line <= call.lineno <= (assign.node.end_lineno or assign.line) and _contains(assign.value, call):
            name = next((name for name in _assigned_names(assign) if _TOKEN_NAME.search(name.lower())), None)
            if name is not None:
                return name
    bare = fn.name.lower().removeprefix("generate_").removeprefix("make_").removeprefix("create_")
    if _TOKEN_NAME.search(bare) and any(ret.value is not None and _contains(ret.value, call) for ret in fn.returns):
        return f"{fn.name}()"
    return None


def _contains(expr: ast.expr, node: ast.AST) -> bool:
    return any(inner is node for inner in ast.walk(expr))


def _assigned_names(assign) -> list[str]:
    """Plain names and attribute names (`self.token`) an assignment binds."""
    names = list(assign.targets)
    if isinstance(assign.node, ast.Assign):
        names += [t.attr for t in assign.node.targets if isinstance(t, ast.Attribute)]
    return names


def _from_random(data: ast.expr, fn: FunctionFacts, line: int, depth: int) -> bool:
    """Bytes from a secure random source in `data`, or in what a local in it was assigned (`s += os.urandom(8)`)."""
    for node in ast.walk(data):
        if isinstance(node, ast.Call) and _RANDOM_SOURCES.match(dotted_name(node.func) or ""):
            return True
        if isinstance(node, ast.Name) and depth < 3:
            if any(_from_random(value, fn, assign_line, depth + 1) for assign_line, value in assigned_values(fn, node.id, line + 1)):
                return True
    return False
