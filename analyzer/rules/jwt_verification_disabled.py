"""JWT_VERIFICATION_DISABLED: a JSON Web Token is decoded without checking its signature.

What it does:
    Flags `jwt.decode` told not to check the token's signature. That is
    `options={"verify_signature": False}`, PyJWT 1's `verify=False`, or
    `"none"` among the accepted `algorithms` (PyJWT, python-jose), in a
    function that does not also decode the token with its signature checked.

Why it matters:
    A token's claims are only as true as its signature. Without the check,
    anyone can write `{"sub": "admin"}` into a token, base64 it, and be
    admin: the server believes whatever the client sends. `alg: none` is the
    same hole with a standard name.

Example:
    def current_user(token):
        claims = jwt.decode(token, options={"verify_signature": False})
        return User.get(claims["sub"])

Use instead:
    def current_user(token):
        claims = jwt.decode(token, SECRET_KEY, algorithms=["HS256"])
        return User.get(claims["sub"])

Notes:
    Reading a token unverified to learn which key to verify it with (its
    issuer or key id), and then decoding it again with the signature
    checked in the same function, is the standard OpenID Connect idiom and
    is not reported; nor is `jwt.get_unverified_header`, nor turning off
    only the expiry check (`verify_exp`).
"""

from __future__ import annotations

import ast
from typing import Iterator

from analyzer.facts import CallFact, FunctionFacts
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.sinks import sink_kind, sink_names


_SINK_NAMES = sink_names("jwt")


@rule("JWT_VERIFICATION_DISABLED", Severity.BLOCK, on=FUNCTION, precision=0.85)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    if ctx.module.callee_names.isdisjoint(_SINK_NAMES) or ctx.is_test_file:
        return None  # no call in the file so far is named like a JWT decode
    decodes = [call for call in fn.calls if call.attr in _SINK_NAMES and sink_kind(call.node) == "jwt"]
    if not decodes:
        return None  # most functions of a file that decodes something (`bytes.decode`): no JWT decode
    return _findings(decodes)


def _findings(decodes: list[CallFact]) -> Iterator[Report]:
    unverified = [(call, why) for call in decodes if (why := _unverified(call.node)) is not None]
    if not unverified or len(unverified) < len(decodes):
        return  # no unchecked decode, or the token is also decoded with its signature checked
    for call, why in unverified:
        yield Report(
            line=call.line,
            end_line=call.node.end_lineno,
            message=f"`{call.name}()` accepts the token without checking its signature ({why}): anyone can forge its claims",
            evidence=(call.line,),
        )


def _unverified(call: ast.Call) -> str | None:
    """Why this decode skips the signature check, or None when it checks it."""
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    if _is_false(keywords.get("verify")):
        return "`verify=False`"
    options = keywords.get("options")
    if isinstance(options, ast.Dict) and any(
        isinstance(key, ast.Constant) and key.value == "verify_signature" and _is_false(value) for key, value in zip(options.keys, options.values)
    ):
        return '`options={"verify_signature": False}`'
    algorithms = keywords.get("algorithms")
    if isinstance(algorithms, (ast.List, ast.Tuple, ast.Set)) and any(
        isinstance(item, ast.Constant) and isinstance(item.value, str) and item.value.lower() == "none" for item in algorithms.elts
    ):
        return '`"none"` among the accepted algorithms'
    return None


def _is_false(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is False
