"""ACTION_WITHOUT_EFFECT: a function named for an action (send, notify, delete, charge ...) does nothing that could perform it.

What it does:
    Flags a function whose name promises an effect on the world (`send_*`,
    `notify_*`, `delete_*`, `charge_*`, `refund_*`, `upload_*`, `sync_*`,
    `publish_*`, `cancel_*`, `revoke_*` ... and methods named `send`,
    `delete`, `publish` ...) whose body calls nothing able to do it: only
    logging, printing, sleeping, string formatting or id generation, no state
    changed outside itself, and a literal result such as `True` or
    `{"status": "sent"}`.

Why it matters:
    The caller is told the email went out, the card was charged, the file
    was deleted. Nothing happened. A log line saying "Sending email to ..."
    makes it look right in development, and tests that mock the mailer never
    notice that the mailer was never called.

Example:
    def send_welcome_email(user):
        logger.info("Sending welcome email to %s", user.email)
        return {"status": "sent", "to": user.email}

Use instead:
    def send_welcome_email(user):
        message = render_welcome(user)
        mailer.send(to=user.email, subject="Welcome", body=message)
        return {"status": "sent", "to": user.email}
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.facts import CallFact, FunctionFacts
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Report, rule
from analyzer.rules._pure_calls import REBINDABLE_STR_METHODS, STR_QUERY_METHODS
from analyzer.vocabulary import is_abstract_or_overload, is_pure_call, is_stub_body, is_write_call, success_signature

_ACTION_VERBS = (
    "send|notify|delete|charge|refund|upload|sync|publish|email|dispatch|broadcast|purge|revoke|cancel|transfer"
    "|pay|invalidate|archive|deactivate|ban|unsubscribe|subscribe|deliver|submit|alert|sms|page|reset|deploy"
)
_ACTION_NAME = re.compile(rf"^_*({_ACTION_VERBS})_[a-z0-9]")
_ACTION_METHODS = frozenset({"send", "notify", "delete", "charge", "refund", "upload", "sync", "publish", "cancel", "revoke", "deliver", "dispatch", "broadcast"})
_NOUN_SUFFIXES = (
    "_path", "_dir", "_name", "_count", "_id", "_key", "_url", "_type", "_mode", "_format", "_size", "_file", "_enabled",
    "_options", "_config", "_settings", "_at", "_on", "_by", "_time", "_date", "_status", "_view", "_form", "_button",
    "_permission", "_permissions", "_allowed", "_template", "_message_text", "_subject", "_queue_name", "_topic",
    "_timeout", "_interval", "_delay", "_limit", "_retries", "_threshold", "_window",
)
# Calls that cannot perform an action: they time, name, format or wait.
_INERT_CALLS = frozenset(
    """uuid4 uuid1 now utcnow today time monotonic perf_counter isoformat strftime timestamp sleep randint random
    choice uniform token_hex token_urlsafe hexdigest digest dumps loads len str int float bool round
    sorted dict list tuple set""".split()
) | REBINDABLE_STR_METHODS | STR_QUERY_METHODS
_SKIP_DECORATORS = ("property", "cached_property", "setter", "fixture", "contextmanager", "asynccontextmanager", "abstractmethod")


@rule("ACTION_WITHOUT_EFFECT", Severity.BLOCK, on=FUNCTION, precision=0.9)
def check(fn: FunctionFacts, ctx) -> Iterator[Report] | None:
    if not _promises_action(fn) or ctx.is_test_file or fn.parent is not None:
        return None  # nested functions are callbacks shaped by their caller
    if any(isinstance(parent, (ast.If, ast.Try)) for parent in ctx.parents):
        return None  # a conditional definition: the fallback of a platform or an optional dependency
    if is_abstract_or_overload(fn) or is_stub_body(fn) or fn.has_decorator(*_SKIP_DECORATORS):
        return None
    if fn.has_yield or fn.globals_declared or _acts_somewhere(fn):
        return None
    return _findings(fn, ctx)


def _findings(fn: FunctionFacts, ctx) -> Iterator[Report]:
    returns = [r for r in fn.returns if r.value is not None]
    if not all(_is_literal_result(r.value) for r in returns):
        return  # returns something it computed: a helper, not a hollow action
    if not returns and not fn.calls:
        return  # an empty-ish body with no claim: STUB_IMPLEMENTATION's concern
    success = next((sig for r in returns if (sig := success_signature(r.value)) is not None), None)
    only = _what_it_does(fn)
    claim = f" and reports `{success}`" if success else ""
    yield Report(
        line=fn.line,
        end_line=fn.line,
        message=f"`{fn.name}()` calls nothing that could {_verb(fn.name)} ({only}){claim}",
        evidence=(fn.line, *(r.line for r in returns)),
        strength=1.0 if success else 0.9,
    )


def _promises_action(fn: FunctionFacts) -> bool:
    name = fn.name
    # The verb first: most names have none, and testing the noun endings costs more.
    if _ACTION_NAME.match(name) or (fn.class_name is not None and name in _ACTION_METHODS):
        return not name.endswith(_NOUN_SUFFIXES)
    return False


def _verb(name: str) -> str:
    match = re.match(rf"^_*({_ACTION_VERBS})", name)
    verb = match.group(1) if match else name
    return {"email": "send an email", "sms": "send an SMS", "page": "page anyone", "alert": "raise an alert"}.get(verb, f"{verb} anything")


def _acts_somewhere(fn: FunctionFacts) -> bool:
    for call in fn.calls:
        if call.is_log or _is_inert(call):
            continue
        if is_write_call(call) or not is_pure_call(call):
            return True  # it may act: a write, or a call we cannot judge
        if call.discarded:
            return True  # called for its effect
    for store in fn.stores:
        if store.root is None or not fn.holds_fresh_value(store.root):
            return True
    return any(isinstance(stmt, ast.Delete) for stmt in fn.body)


def _is_inert(call: CallFact) -> bool:
    return call.attr in _INERT_CALLS


def _what_it_does(fn: FunctionFacts) -> str:
    if any(call.is_log for call in fn.calls):
        return "it only logs"
    if any(call.attr == "sleep" for call in fn.calls):
        return "it only sleeps"
    return "no call acts outside the function"


def _is_literal_result(node: ast.AST) -> bool:
    if isinstance(node, (ast.Constant, ast.Dict, ast.List, ast.Tuple, ast.Set, ast.JoinedStr)):
        return True
    return success_signature(node) is not None
