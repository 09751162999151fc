"""AUTH_CHECK_ALWAYS_PASSES: a permission or authentication check that says yes on every path.

What it does:
    Flags a function named as an access check (`is_authorized`,
    `has_permission`, `has_object_permission`, `check_permission`,
    `authorize*`, `authenticate*`, `verify_token` and other `verify_*` of
    credentials, `can_edit` and other `can_<action>` taking a user) that
    returns `True` on every path, raises nothing and calls nothing that could
    refuse. Permission classes meant as defaults or as "allow all" (`Base*`,
    `Abstract*`, `Allow*`, mixins, documented defaults, methods overridden
    elsewhere in the file) are left alone.

Why it matters:
    Every caller that asks "may this user do this?" is told yes: any user
    reads any record, an expired token opens the API, a forged signature is
    accepted. It looks like a security control in review and in the tests
    that only exercise the allowed path.

Example:
    class IsOwner(BasePermission):
        def has_object_permission(self, request, view, obj):
            return True

Use instead:
    class IsOwner(BasePermission):
        def has_object_permission(self, request, view, obj):
            return obj.owner_id == request.user.id
"""

from __future__ import annotations

import re
from typing import Iterator

from analyzer.facts import FunctionFacts
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.rules._constant_answers import constant_answer, is_deliberate_default, judged_params

_AUTH_NAME = re.compile(
    r"^_*(is_authori[sz]ed|is_permitted|is_allowed|has_permissions?|has_perms?|has_[a-z_]*_permissions?|has_access|has_role"
    r"|check_[a-z_]*(permissions?|perms?|access|auth[a-z_]*|roles?|scopes?|token|credentials|password|signature|api_key|login|admin)"
    r"|authori[sz]e[a-z_]*|authenticate[a-z_]*|permission_check|access_check"
    r"|verify_[a-z_]*(token|jwt|password|signature|hmac|webhook|credentials|api_key|key|auth|session|otp|totp|user|access|permission|request|hash)s?)$"
)
_CAN_ACTION = re.compile(
    r"^_*can_(access|view|see|read|edit|write|update|change|modify|delete|remove|create|add|manage|admin|administer|approve"
    r"|publish|invite|moderate|download|upload|export|comment|post|assign|transfer|withdraw|impersonate)(_|$)"
)
_PRINCIPALS = frozenset(
    "user request principal actor account member role token identity subject credentials current_user requester viewer owner perm permission scope".split()
)


# How every name the two patterns accept begins, once its leading underscores are set aside: one cheap
# test spares nearly every function both patterns.
_AUTH_NAME_STARTS = ("is_", "has_", "check_", "authori", "authenticate", "permission_check", "access_check", "verify_", "can_")


def is_auth_check(fn: FunctionFacts) -> bool:
    """The function's name says it decides access."""
    if not fn.name.lstrip("_").startswith(_AUTH_NAME_STARTS):
        return False
    if _AUTH_NAME.match(fn.name):
        return True
    return bool(_CAN_ACTION.match(fn.name)) and any(_is_principal(p) for p in judged_params(fn))


def _is_principal(name: str) -> bool:
    return name in _PRINCIPALS or name.endswith(("_user", "_token")) or name.startswith("user_")


@rule("AUTH_CHECK_ALWAYS_PASSES", Severity.BLOCK, on=FUNCTION, precision=0.9)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    if not is_auth_check(fn):
        return None
    if constant_answer(fn) is not True or not judged_params(fn):
        return None
    if is_deliberate_default(fn, ctx):
        return None
    if any(call.discarded and not call.is_log for call in fn.calls):
        return None  # a check that raises on refusal (`jwt.decode(token, key)`), then answers True
    return _findings(fn, ctx)


def _findings(fn: FunctionFacts, ctx) -> Iterator[Report]:
    lines = tuple(r.line for r in fn.returns)
    yield Report(
        line=fn.line,
        end_line=fn.line,
        message=f"`{fn.name}()` returns `True` on every path (line{'s' if len(lines) > 1 else ''} {', '.join(map(str, lines))}): the check grants access to everyone",
        evidence=(fn.line, *lines),
    )
