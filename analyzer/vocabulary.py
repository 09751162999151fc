"""Shared knowledge of what code means: which calls write, which read a database, what success looks like.

Rules consult these pure predicates on AST nodes; none of them walks a tree.
"""

from __future__ import annotations

import ast
import re

from analyzer.facts import CallFact, FunctionFacts, dotted_name

# Method names (the last part of a callee) that change state somewhere.
WRITE_VERBS = frozenset(
    """
    execute executemany executescript commit add add_all insert insert_one insert_many bulk_write bulk_create
    bulk_update update update_one update_many update_or_create get_or_create upsert save save_all put put_item
    put_object set setex setnx mset hset hmset lpush rpush sadd zadd incr incrby decr expire write writelines
    write_text write_bytes dump send sendall sendmail send_message post patch flush create merge delete
    delete_one delete_many remove append extend publish emit upload upload_file upload_fileobj store persist
    record replace rename copy copyfile copy2 copytree move mkdir makedirs touch unlink rmtree to_csv to_json
    to_parquet to_sql to_excel to_pickle savefig savez request urlopen setattr delattr pop popitem clear
    setdefault discard appendleft extendleft insert_many_rows set_cookie enqueue apply_async delay submit
    """.split()
)

# Prefixes of callee names that announce a write (save_user, write_row, db_insert ...).
WRITE_PREFIXES = ("save", "store", "persist", "write", "insert", "upsert", "update", "put", "set_", "create",
                  "add_", "record", "send", "post", "upload", "dump", "commit", "push", "publish", "delete",
                  "remove", "sync", "flush", "register", "emit", "log_", "track", "enqueue")

# Callee names that compute and return without touching the world.
PURE_CALLS = frozenset(
    """
    len str int float bool dict list tuple set frozenset sorted reversed min max sum abs round repr format
    isinstance issubclass hasattr getattr type id hash iter next enumerate zip map filter any all range
    json.dumps json.loads copy.copy copy.deepcopy
    """.split()
)
PURE_PREFIXES = ("validate", "check", "is_", "has_", "get", "fetch", "load", "read", "parse", "format",
                 "compute", "calculate", "build", "make", "serialize", "to_", "as_", "normalize", "clean",
                 "sanitize", "convert", "render", "find", "lookup", "search", "count", "verify", "encode", "decode")

DB_FETCH_METHODS = frozenset({"fetchall", "fetchone", "fetchmany", "fetchval", "fetchrow", "fetch"})
SQLALCHEMY_RESULT_METHODS = frozenset(
    {"all", "first", "one", "one_or_none", "scalar", "scalar_one", "scalar_one_or_none", "scalars", "mappings", "fetchall", "fetchone"}
)
DJANGO_QUERY_METHODS = frozenset(
    {"all", "filter", "exclude", "get", "first", "last", "values", "values_list", "count", "exists", "aggregate",
     "annotate", "order_by", "select_related", "prefetch_related", "only", "defer", "distinct", "in_bulk", "earliest", "latest"}
)
_SELECT_SQL = re.compile(r"^\s*(\(\s*)?(select|with)\b.*\bfrom\b", re.IGNORECASE | re.DOTALL)
_NOT_A_READ_SQL = re.compile(r"\bfor\s+(update|share)\b|\binto\b", re.IGNORECASE)


def callee_parts(call: ast.Call) -> tuple[str, str]:
    """(dotted name, last part) of a call's callee; ('', '') when the callee is not a name chain."""
    name = dotted_name(call.func)
    if not name and isinstance(call.func, ast.Attribute):
        return "", call.func.attr
    return name, name.rsplit(".", 1)[-1] if name else ""


def starts_with_any(name: str, prefixes: tuple[str, ...]) -> bool:
    bare = name.lstrip("_").lower()
    return bare.startswith(prefixes)


def sql_text(node: ast.AST | None) -> str | None:
    """The SQL of a literal query argument: "...", f"...", text("..."), or None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str))
    if isinstance(node, ast.Call) and callee_parts(node)[1] == "text" and node.args:
        return sql_text(node.args[0])
    return None


def is_select_sql(node: ast.AST | None) -> bool:
    """A literal SELECT ... FROM ... that is not a locking or SELECT INTO statement."""
    text = sql_text(node)
    return text is not None and bool(_SELECT_SQL.match(text)) and not _NOT_A_READ_SQL.search(text)


def is_select_construct(node: ast.AST | None) -> bool:
    """SQLAlchemy `select(...)...` query construct."""
    while isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        node = node.func.value
    return isinstance(node, ast.Call) and callee_parts(node)[1] == "select"


def describe_db_read(node: ast.AST) -> str | None:
    """If `node` reads rows from a database, a short description of how ("fetchall()"), else None."""
    if isinstance(node, ast.Await):
        node = node.value
        if isinstance(node, ast.Call) and callee_parts(node)[1] in ("fetch", "fetchrow", "fetchval"):
            return f"{callee_parts(node)[1]}()"
    if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
        return None
    method = node.func.attr
    receiver = node.func.value
    chain = dotted_name(node.func)
    if method in ("fetchall", "fetchone", "fetchmany"):
        return f"{method}()"
    if ".objects." in f".{chain}." and method in DJANGO_QUERY_METHODS:
        return f"{chain.split('.objects.')[0].rsplit('.', 1)[-1]}.objects.{method}()"
    if method in SQLALCHEMY_RESULT_METHODS and isinstance(receiver, ast.Call) and isinstance(receiver.func, ast.Attribute):
        inner = receiver.func.attr
        if inner in ("execute", "scalars", "query", "filter", "filter_by", "where", "order_by", "join", "limit", "offset"):
            if inner != "execute" or _execute_reads(receiver):
                return f"{inner}(...).{method}()"
    if method in ("execute", "scalars", "scalar") and _execute_reads(node):
        return f"{method}(SELECT ...)"
    return None


def _execute_reads(call: ast.Call) -> bool:
    first = call.args[0] if call.args else None
    return is_select_sql(first) or is_select_construct(first)


def is_write_call(call: CallFact) -> bool:
    """A call that may change state: a write verb, a write-like name, or super()."""
    if call.attr in WRITE_VERBS or starts_with_any(call.attr, WRITE_PREFIXES):
        return True
    func = call.node.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) and dotted_name(func.value.func) == "super":
        return True
    return call.name == "open" and opens_for_writing(call.node)


def opens_for_writing(call: ast.Call) -> bool:
    """`open(p, "w")`, `path.open("a")`, or a mode we cannot read (assume it may write)."""
    mode = None
    if len(call.args) >= 2:
        mode = call.args[1]
    for keyword in call.keywords:
        if keyword.arg == "mode":
            mode = keyword.value
    if mode is None:
        return False
    if isinstance(mode, ast.Constant) and isinstance(mode.value, str):
        return any(flag in mode.value for flag in "wax+")
    return True


def is_pure_call(call: CallFact) -> bool:
    return call.name in PURE_CALLS or starts_with_any(call.attr, PURE_PREFIXES)


SUCCESS_KEYS = frozenset({"success", "ok", "status", "saved", "succeeded", "done", "result", "state"})
SUCCESS_WORDS = frozenset({"ok", "success", "succeeded", "saved", "done", "completed", "complete", "sent", "created", "updated", "deleted", "processed", "approved", "paid", "accepted"})


def success_signature(node: ast.AST | None) -> str | None:
    """A canonical text for a success-shaped value (`True`, {"success": True}, {"status": "ok"}), else None.

    Two returns with the same signature tell the caller the same thing.
    """
    if node is None:
        return None
    if isinstance(node, ast.Constant):
        if node.value is True:
            return "True"
        if isinstance(node.value, str) and node.value.strip().lower() in SUCCESS_WORDS:
            return repr(node.value.strip().lower())
        return None
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values):
            if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.lower() in SUCCESS_KEYS:
                shape = success_signature(value)
                if shape is not None or (isinstance(value, ast.Constant) and value.value == 200):
                    return f"{{{key.value!r}: {shape or '200'}}}"
        return None
    if isinstance(node, ast.Tuple) and node.elts:
        return success_signature(node.elts[0])
    if isinstance(node, ast.Call):
        name, last = callee_parts(node)
        for keyword in node.keywords:
            if keyword.arg in SUCCESS_KEYS and (shape := success_signature(keyword.value)) is not None:
                return f"{last}({keyword.arg}={shape})"
        if node.args and (shape := success_signature(node.args[0])) is not None:
            return f"{last}({shape})"
    return None


def is_stub_body(facts: FunctionFacts) -> bool:
    """Only pass, `...`, a docstring, `raise NotImplementedError`, or `return`/`return None`."""
    for stmt in facts.body:
        if isinstance(stmt, ast.Pass):
            continue
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Constant):
            continue
        if isinstance(stmt, ast.Raise) and stmt.exc is not None and dotted_name(stmt.exc).endswith("NotImplementedError"):
            continue
        if isinstance(stmt, ast.Return) and (stmt.value is None or (isinstance(stmt.value, ast.Constant) and stmt.value.value is None)):
            continue
        return False
    return True


ABSTRACT_DECORATORS = ("abstractmethod", "abstractproperty", "overload", "abc.abstractmethod", "typing.overload")


def is_abstract_or_overload(facts: FunctionFacts) -> bool:
    return facts.has_decorator("abstractmethod", "abstractproperty", "overload", "abstractclassmethod", "abstractstaticmethod")
