"""BARE_EXCEPT: an `except:` with no exception class, which also catches Ctrl-C and exit requests.

What it does:
    Flags a bare `except:` handler that does not re-raise. A bare `except:` that
    cleans up and then re-raises (a bare `raise`, `with safe_reraise():`, or
    `sys.exc_info()` kept for later) is correct and not a finding; an `except: pass` is EMPTY_EXCEPT's
    finding. The fix replaces `except:` with `except Exception:`.

Why it matters:
    A bare `except:` catches KeyboardInterrupt, SystemExit and GeneratorExit
    as well as errors: Ctrl-C no longer stops the worker, `sys.exit()` in a
    callee is ignored, and a generator cannot be closed. It also hides typos
    that raise NameError, so the handler's fallback runs for bugs too.

Example:
    def load_config(path):
        try:
            return json.loads(path.read_text())
        except:
            return DEFAULT_CONFIG

Use instead:
    def load_config(path):
        try:
            return json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            return DEFAULT_CONFIG
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from analyzer.model import Fix, Severity
from analyzer.registry import Report, rule
from analyzer.rules._statements import is_pass_only, walk_local

_TRY_NODES = (ast.Try, ast.TryStar) if hasattr(ast, "TryStar") else (ast.Try,)
_BARE_CLAUSE = re.compile(r"^(\s*)except\s*:")


@rule("BARE_EXCEPT", Severity.WARN, on=_TRY_NODES, precision=0.91)
def check(node: ast.Try, ctx) -> Iterator[Report]:
    for handler in node.handlers:
        if handler.type is not None or is_pass_only(handler.body):
            continue
        if reraises(handler):
            continue  # clean up, then re-raise: the interrupt still propagates
        yield Report(
            line=handler.lineno,
            end_line=handler.lineno,
            message=f"bare `except:` on line {handler.lineno} also catches KeyboardInterrupt and SystemExit from the `try` on line {node.lineno}; catch `Exception` or the errors you expect",
            evidence=(handler.lineno,),
            fix=_exception_fix(ctx, handler),
        )


def reraises(handler: ast.ExceptHandler) -> bool:
    """A bare `raise`, a `with safe_reraise():` block, or `sys.exc_info()` kept to re-raise later."""
    for inner in walk_local(handler.body):
        if isinstance(inner, ast.Raise) and inner.exc is None:
            return True
        if isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute) and inner.func.attr == "exc_info":
            return True
        if isinstance(inner, (ast.With, ast.AsyncWith)):
            for item in inner.items:
                call = item.context_expr
                if isinstance(call, ast.Call) and "reraise" in ast.unparse(call.func).lower():
                    return True
    return False


def _exception_fix(ctx, handler: ast.ExceptHandler) -> Fix | None:
    text = ctx.line_text(handler.lineno)
    match = _BARE_CLAUSE.match(text)
    if match is None or len(match.group(1)) != handler.col_offset:
        return None
    fixed = f"{match.group(1)}except Exception:{text[match.end():]}"
    return Fix(handler.lineno, handler.lineno, fixed, "catch Exception, not KeyboardInterrupt and SystemExit")
