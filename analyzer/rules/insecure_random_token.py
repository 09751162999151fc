"""INSECURE_RANDOM_TOKEN: a token, password, key or one-time code is drawn from the predictable `random` module.

What it does:
    Flags a token, password, key or one-time code drawn from the predictable
    `random` module. The draw (`random.choice`, `choices`, `randint`,
    `randrange`, `getrandbits`, `random()`, `sample`, `shuffle`, also
    `numpy.random`) is stored under a security name (`token`, `password`,
    `secret_key`, `api_key`, `otp`, `nonce`, `salt`, `session_id`,
    `reset_code`, ...) or returned from a function named for one
    (`generate_token()`, `make_otp()`).

Why it matters:
    `random` is a Mersenne Twister: after 624 outputs an observer can
    predict every later one, and it is seeded from the clock when the OS
    gives nothing better. Reset links, API keys and one-time codes made
    from it can be guessed, and a six-digit OTP from `randint` is one of a
    million values anyway. The `secrets` module exists for exactly this.

Example:
    def reset_token():
        return "".join(random.choices(string.ascii_letters + string.digits, k=32))

Use instead:
    def reset_token():
        return secrets.token_urlsafe(32)

Notes:
    `random.SystemRandom()`, `secrets` and `os.urandom` are not reported, nor
    are tests. A word drawn from a list (`token = random.choice(vocabulary)`,
    sampling in text generation) is not a secret unless the name leaves no
    doubt (`password`, `otp`, `api_key`...).
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.facts import FunctionFacts, dotted_name
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.sinks import sink_kind, sink_names

# Names that say "a secret" whatever the random value is drawn from.
_SECRET_PARTS = re.compile(
    r"(?:^|_)(?:password|passwd|pwd|secret|secret_key|api_key|apikey|access_key|private_key|signing_key|encryption_key|"
    r"session_key|otp|totp|nonce|salt|session_id|sessionid|csrf|csrf_token|reset_code|verification_code|confirmation_code|"
    r"activation_code|auth_code|sms_code|login_code|mfa_code|otp_code|invite_code|pin_code|pin|passcode|"
    r"reset_token|access_token|auth_token|refresh_token|api_token|session_token|verification_token|secret_token)$"
)
# `token` alone is also a word of text: a secret only when it is built from a character set or numbers.
_TOKEN = re.compile(r"(?:^|_)token$")
_NAME_PREFIXES = ("generate_", "gen_", "make_", "create_", "new_", "random_", "build_", "get_", "_")
_CHARSET_NAME = re.compile(r"chars|alphabet|letters|digits|charset|characters|symbols|hexdigits|printable|punctuation", re.IGNORECASE)
_DRAWS_FROM_POPULATION = frozenset({"choice", "choices", "sample", "shuffle"})


_SINK_NAMES = sink_names("random")


# A draw is always called on a receiver named `random` (`random.choice`, `np.random.randint`).
@rule("INSECURE_RANDOM_TOKEN", Severity.BLOCK, on=(FUNCTION, ast.Assign), precision=0.9, needs={"random"})
def check(subject: FunctionFacts | ast.Assign, ctx) -> Iterator[Report] | None:
    if subject.__class__ is ast.Assign:
        return _module_level(subject, ctx) if ctx.function is None else None
    if ctx.module.callee_names.isdisjoint(_SINK_NAMES) or ctx.is_test_file:
        return None  # no call in the file so far is named like a `random` draw
    if not any(sink_kind(call.node) == "random" for call in subject.calls):
        return None
    return _findings(subject)


def _findings(fn: FunctionFacts) -> Iterator[Report]:
    derived: dict[str, ast.Call] = {}  # locals holding a random value, with the draw that made it
    reports = list(_assignments(fn, derived))
    if reports:
        yield reports[0]  # one secret per function is enough; its return would repeat the finding
        return
    bare = _bare_name(fn.name)
    if _SECRET_PARTS.search(bare) or _TOKEN.search(bare):
        for ret in fn.returns:
            if ret.value is not None:
                yield from _judge_value(ret.value, [f"{fn.name}()"], ret.line, derived, name_for_kind=bare)


def _module_level(assign: ast.Assign, ctx) -> Iterator[Report]:
    """`SECRET_KEY = "".join(random.choice(...) ...)` in a settings module (function bodies are judged with their facts)."""
    if not ctx.is_test_file:
        targets = [_target_name(t) for t in assign.targets]
        yield from _judge_value(assign.value, [t for t in targets if t], assign.lineno, {})


def _assignments(fn: FunctionFacts, derived: dict[str, ast.Call]) -> Iterator[Report]:
    """Security-named assignments built from a draw; fills `derived` with the locals that hold one."""
    for assign in fn.assigns:
        if assign.value is None:
            continue
        names = list(assign.targets)
        if isinstance(assign.node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            stmt_targets = assign.node.targets if isinstance(assign.node, ast.Assign) else [assign.node.target]
            names += [name for t in stmt_targets if not isinstance(t, ast.Name) and (name := _target_name(t))]
        yield from _judge_value(assign.value, names, assign.line, derived)
        draw = _random_draw(assign.value, derived)
        if draw is not None:
            derived.update(dict.fromkeys(assign.targets, draw))


def _bare_name(name: str) -> str:
    """`generate_reset_token` -> `reset_token`."""
    for prefix in _NAME_PREFIXES:
        name = name.removeprefix(prefix)
    return name.lower()


def _judge_value(value: ast.expr, names: list[str], line: int, derived: dict[str, ast.Call], name_for_kind: str | None = None) -> Iterator[Report]:
    kinds = [(name, (name_for_kind or name).lower()) for name in names]
    kinds = [(name, kind) for name, kind in kinds if _SECRET_PARTS.search(kind) or _TOKEN.search(kind)]
    if not kinds:
        return  # no security name: no need to look for a draw
    draw = _random_draw(value, derived)
    if draw is None:
        return
    for name, kind_name in kinds:
        if _SECRET_PARTS.search(kind_name) or _builds_text_secret(draw):
            shown = dotted_name(draw.func)
            yield Report(
                line=line,
                end_line=getattr(value, "end_lineno", line),
                message=f"`{name}` is built with `{shown}`, which is predictable; use the `secrets` module "
                "(`secrets.token_urlsafe()`, `secrets.choice()`, `secrets.randbelow()`)",
                evidence=(line,),
            )
            return


def _random_draw(value: ast.expr, derived: dict[str, ast.Call]) -> ast.Call | None:
    """The `random` call in `value`, or the one that made a local read in `value`."""
    for node in ast.walk(value):
        if isinstance(node, ast.Call) and sink_kind(node) == "random":
            return node
        if isinstance(node, ast.Name) and node.id in derived:
            return derived[node.id]
    return None


def _builds_text_secret(draw: ast.Call) -> bool:
    """Drawn from a character set or as a number, not picked from a list of words."""
    method = dotted_name(draw.func).rsplit(".", 1)[-1]
    if method not in _DRAWS_FROM_POPULATION:
        return True  # randint, getrandbits, random(): numbers
    population = draw.args[0] if draw.args else None
    if population is None:
        return False
    if isinstance(population, ast.Constant) and isinstance(population.value, str):
        return True
    return any(_CHARSET_NAME.search(dotted_name(node) or "") for node in ast.walk(population) if isinstance(node, (ast.Name, ast.Attribute)))


def _target_name(target: ast.AST) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) and isinstance(target.slice.value, str):
        return target.slice.value
    return None
