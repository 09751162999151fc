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
# SELECTs run for what they do, not for rows: locks, sequences, advisory locks, notifications.
_NOT_A_READ_SQL = re.compile(
    r"\bfor\s+(no\s+key\s+)?(update|share)\b|\binto\b|\b(setval|nextval|pg_advisory\w*|set_config|pg_sleep|pg_notify"
    r"|pg_terminate_backend|pg_cancel_backend|lo_unlink|get_lock|release_lock|sleep)\s*\(",
    re.IGNORECASE,
)
ASYNC_FETCH_METHODS = frozenset({"fetch", "fetchrow", "fetchval", "fetch_all", "fetch_one", "fetch_val"})
LOCKING_CALLS = frozenset({"select_for_update", "with_for_update", "with_lockmode"})


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
        if isinstance(node, ast.Call) and callee_parts(node)[1] in ASYNC_FETCH_METHODS:
            return f"await {callee_parts(node)[1]}()"
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
    if method == "get" and len(node.args) == 2 and dotted_name(receiver).rsplit(".", 1)[-1].lower().endswith("session"):
        return "session.get(Model, key)"
    return None


def reads_for_a_lock(node: ast.AST | None) -> bool:
    """A read kept for the row lock it takes: `select_for_update()`, `with_for_update()`, `... FOR UPDATE`."""
    while node is not None:
        if isinstance(node, ast.Await):
            node = node.value
            continue
        if not isinstance(node, ast.Call):
            return False
        if callee_parts(node)[1] in LOCKING_CALLS:
            return True
        query = node.args[0] if node.args else None
        text = sql_text(query)
        if text is not None and _NOT_A_READ_SQL.search(text):
            return True
        if isinstance(query, ast.Call) and text is None and reads_for_a_lock(query):
            return True  # execute(select(User).with_for_update())
        node = node.func.value if isinstance(node.func, ast.Attribute) else None
    return False


def call_chain_text(node: ast.AST, limit: int = 60) -> str:
    """A call chain as a reviewer would name it, arguments elided: `db.execute(...).fetchall()`."""
    prefix = ""
    if isinstance(node, ast.Await):
        prefix, node = "await ", node.value
    parts: list[str] = []
    while True:
        if isinstance(node, ast.Call):
            parts.append("(...)" if node.args or node.keywords else "()")
            node = node.func
        elif isinstance(node, ast.Attribute):
            parts.append("." + node.attr)
            node = node.value
        elif isinstance(node, ast.Name):
            parts.append(node.id)
            break
        else:
            parts.append("(...)")
            break
    text = prefix + "".join(reversed(parts))
    return text if len(text) <= limit else "..." + text[-(limit - 3):]


def _execute_reads(call: ast.Call) -> bool:
    first = call.args[0] if call.args else None
    return is_select_sql(first) or is_select_construct(first)


def is_write_call(call: CallFact) -> bool:
    """A call that may change state: a write verb, a write-like name, or super()."""
    if call.name in PURE_CALLS or call.attr in ("dumps", "loads"):
        return False  # json.dumps serializes; it writes nothing
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
SUCCESS_WORDS = frozenset(
    """ok success succeeded saved done completed complete sent created updated deleted processed approved paid accepted
    stored persisted written recorded inserted queued enqueued scheduled refreshed synced uploaded published registered
    subscribed""".split()
)
_STATUS_CODE_KEYS = frozenset({"status", "status_code", "code", "http_status"})
_FAILURE_KEYS = frozenset({"error", "errors", "exception", "failure", "failed", "traceback"})
_SUCCESS_STATUS_NAMES = re.compile(r"^(HTTP_2\d\d\w*|OK|CREATED|ACCEPTED|NO_CONTENT)$")


def success_signature(node: ast.AST | None) -> str | None:
    """A canonical text for a success-shaped value (`True`, {"success": True}, {"status": "ok"}), else None.

    Two returns with the same signature tell the caller the same thing. A value
    that also carries an error (`{"status": "ok", "error": ...}`) is not success.
    """
    if node is None or is_failure_shaped(node):
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
                if shape is None and key.value.lower() in _STATUS_CODE_KEYS:
                    shape = success_status_code(value)
                if shape is not None:
                    return f"{{{key.value!r}: {shape}}}"
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
        for keyword in node.keywords:
            if keyword.arg in _STATUS_CODE_KEYS and (code := success_status_code(keyword.value)) is not None:
                return f"{last}({keyword.arg}={code})"
    return None


def success_status_code(node: ast.AST | None) -> str | None:
    """`200`..`299`, `status.HTTP_201_CREATED`, `HTTPStatus.OK`, as text; else None."""
    if isinstance(node, ast.Constant) and type(node.value) is int and 200 <= node.value < 300:
        return str(node.value)
    name = dotted_name(node) if node is not None else ""
    if name and _SUCCESS_STATUS_NAMES.match(name.rsplit(".", 1)[-1]):
        return name.rsplit(".", 1)[-1]
    return None


def is_failure_shaped(node: ast.AST) -> bool:
    """A value that says something went wrong: False, {"success": False}, {"error": ...}, {"status": "error"}."""
    if isinstance(node, ast.Constant):
        return node.value is False
    if isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, str)):
                continue
            word = key.value.lower()
            if word in _FAILURE_KEYS and not (isinstance(value, ast.Constant) and value.value in (None, False, "", 0)):
                return True
            if word in SUCCESS_KEYS and isinstance(value, ast.Constant):
                if value.value is False or (isinstance(value.value, str) and value.value.lower() in ("error", "failed", "fail", "failure")):
                    return True
        return False
    if isinstance(node, ast.Call):
        return any(is_failure_shaped(arg) for arg in node.args) or any(
            keyword.arg in _FAILURE_KEYS or (keyword.value is not None and is_failure_shaped(keyword.value))
            for keyword in node.keywords
        )
    return False


def is_stub_body(facts: FunctionFacts) -> bool:
    """Only pass, `...`, a docstring, `raise NotImplementedError`, or `return`/`return None`."""
    for stmt in facts.body:  # exact classes: several rules ask this of every function
        stmt_type = stmt.__class__
        if stmt_type is ast.Pass:
            continue
        if stmt_type is ast.Expr and stmt.value.__class__ is ast.Constant:
            continue
        if stmt_type is ast.Raise and stmt.exc is not None and dotted_name(stmt.exc).endswith("NotImplementedError"):
            continue
        if stmt_type is ast.Return and (stmt.value is None or (stmt.value.__class__ is ast.Constant and stmt.value.value is None)):
            continue
        return False
    return True


ABSTRACT_DECORATORS = ("abstractmethod", "abstractproperty", "overload", "abc.abstractmethod", "typing.overload")


def is_abstract_or_overload(facts: FunctionFacts) -> bool:
    return facts.has_decorator("abstractmethod", "abstractproperty", "overload", "abstractclassmethod", "abstractstaticmethod")


# ---------------------------------------------------------------- signatures imposed by someone else
#
# A function may ignore a parameter, or a `save()` may do nothing, because its
# signature and its existence are fixed elsewhere: a base class, a framework
# that calls it, a family of sibling implementations. These predicates look at
# the function, its class, and the file's text; none of them walks a tree.

_DEFAULT_CLASS_NAME = re.compile(
    r"^_*(Base|Abstract|Default|Null|Dummy|Noop|NoOp|Fake|Mock|Stub|Trivial)"
    r"|(Mixin|Protocol|Interface|Base|ABC|Stub|Fake|Dummy|Null|Backend)$"
)
_DEFAULT_DOC = re.compile(
    r"\b(default|by default|override|overridden|subclass(es)?|hook|no-?op|does nothing|do nothing|placeholder|compat\w*|ignored?)\b",
    re.IGNORECASE,
)
_INTERFACE_BASES = frozenset({"ABC", "abc.ABC", "Protocol", "typing.Protocol", "typing_extensions.Protocol"})


def class_of(facts: FunctionFacts, ctx) -> ast.ClassDef | None:
    """The class a method is defined in, while the engine is inside it."""
    if facts.class_name is None:
        return None
    for node in reversed(ctx.class_stack):
        if node.name == facts.class_name:
            return node
    return None


def base_names(node: ast.ClassDef) -> list[str]:
    """Dotted names of a class's bases, looking through `Base[T]` and `factory(...)`; '' where unreadable."""
    names = []
    for base in node.bases:
        while isinstance(base, (ast.Subscript, ast.Call)):
            base = base.value if isinstance(base, ast.Subscript) else base.func
        names.append(dotted_name(base))
    return names


def docstring_of(node: ast.AST) -> str:
    try:
        return ast.get_docstring(node, clean=False) or ""
    except TypeError:
        return ""


_DEF_BEFORE_NAME = re.compile(r"[ \t]*(?:async[ \t]+)?def[ \t]+")
_PARENTHESIS_AFTER_NAME = re.compile(r"[ \t]*\(")


def is_defined_more_than_once(facts: FunctionFacts, ctx) -> bool:
    """Another `def` of the same name in this file: an override, a sibling implementation or a version shim.

    A line `[async] def <name>(` counts; the name is found by str.find and each line checked around it,
    which spares compiling a pattern for every name asked about.
    """
    source, name = ctx.source, facts.name
    found = 0
    at = source.find(name)
    while at >= 0:
        line_start = source.rfind("\n", 0, at) + 1
        if _DEF_BEFORE_NAME.fullmatch(source, line_start, at) and _PARENTHESIS_AFTER_NAME.match(source, at + len(name)):
            found += 1
            if found > 1:
                return True
        at = source.find(name, at + 1)
    return False


# Around a name used as a value rather than called: what may stand before it (a method only after a dot;
# a function not after a word character, a dot, a quote or `def `), and after it (not a call, not a longer word).
_ATTRIBUTE_BEFORE_NAME = re.compile(r"(?<=\.)")
_VALUE_BEFORE_NAME = re.compile(r"(?<![\w.'\"])(?<!def )")
_METHOD_VALUE_AFTER_NAME = re.compile(r"\b(?!\s*\()")
_FUNCTION_VALUE_AFTER_NAME = re.compile(r"\b(?![\w'\"]|\s*\()")


def is_referenced_by_name(facts: FunctionFacts, ctx) -> bool:
    """The function is used as a value in this file (`key=fn`, `register(fn)`, `self.method` passed on), not only called.

    Found as `is_defined_more_than_once` finds a def: the name by str.find, and fixed patterns matched around each
    occurrence (lookbehinds see the text before the position they are matched at), which spares compiling a
    pattern for every name asked about.
    """
    if facts.class_name is not None:
        before, after = _ATTRIBUTE_BEFORE_NAME, _METHOD_VALUE_AFTER_NAME
    else:
        before, after = _VALUE_BEFORE_NAME, _FUNCTION_VALUE_AFTER_NAME
    source, name = ctx.source, facts.name
    at = source.find(name)
    while at >= 0:
        if before.match(source, at) and after.match(source, at + len(name)):
            return True
        at = source.find(name, at + 1)
    return False


_NO_OP_DOC = re.compile(
    r"\b(no-?op|does nothing|do nothing|ignored|unused|not used|placeholder|compatib\w*|deprecated|backwards?)\b", re.IGNORECASE
)
_UNUSED_ARGUMENT_PRAGMA = re.compile(r"unused-argument|noqa\b(?!:)|noqa:[^#\n]*\bARG\d|unused-variable")


def is_documented_no_op(facts: FunctionFacts, ctx) -> bool:
    """The function says it ignores something on purpose: its docstring, or a linter pragma on its `def` lines."""
    if _NO_OP_DOC.search(docstring_of(facts.node)):
        return True
    body_start = facts.body[0].lineno if facts.body else facts.line
    header = "\n".join(ctx.line_text(n) for n in range(facts.line, body_start))
    return _UNUSED_ARGUMENT_PRAGMA.search(header) is not None


def is_default_implementation(facts: FunctionFacts, ctx) -> bool:
    """A method meant to be overridden: in a base, mixin, null-object or abstract class, or one subclassed in this file."""
    node = class_of(facts, ctx)
    if node is None:
        return False
    if _DEFAULT_CLASS_NAME.search(node.name) or _DEFAULT_DOC.search(docstring_of(facts.node)):
        return True
    if any(base in _INTERFACE_BASES for base in base_names(node)) or any(k.arg == "metaclass" for k in node.keywords):
        return True
    # Searched once per class and file, however many of its methods ask.
    return ctx.module.memoized((is_default_implementation, node.name), named_in_class_bases, ctx.source, node.name, _CLASS_HEADER)


_CLASS_HEADER = re.compile(r"^[ \t]*class[ \t]+\w+[ \t]*\(", re.MULTILINE)
_WORD_END = re.compile(r"\b")


def named_in_class_bases(source: str, name: str, header: re.Pattern, word_start: str = r"(?<![\w])") -> bool:
    """`name` stands as a whole word (`word_start` before it, `\\b` after) between a class `header`, matched up to
    its opening parenthesis, and the next `)`: the class is subclassed in `source`.

    The same answer as searching `header` + `[^)]*` + `word_start` + `name\\b` over the file, found faster from
    the other end: from each occurrence of the name (str.find), back to the last `)` before it, where the header
    must start. A pattern that starts at every line start is tried all over the file.

    `word_start` (zero-width, like `\\b` after the name) is matched where the name starts and `\\b` where it
    ends, both seeing the text around them: the whole-word test without compiling a pattern for every name.
    """
    starts_word = re.compile(word_start)  # two spellings in use, both in the re module's cache
    at = source.find(name)
    while at >= 0:
        if starts_word.match(source, at) and _WORD_END.match(source, at + len(name)) and header.search(source, source.rfind(")", 0, at) + 1, at):
            return True
        at = source.find(name, at + 1)
    return False


def is_interface_method(facts: FunctionFacts, ctx) -> bool:
    """A method whose signature someone else fixed: a base class from elsewhere or one that defines it,
    or a family of sibling methods in the same class that take the very same parameters."""
    node = class_of(facts, ctx)
    if node is None:
        return False
    local_classes = {c.name: c for c in ctx.module.classes}
    pending, seen = list(base_names(node)), set()
    while pending:
        base = pending.pop()
        if base in ("object", "builtins.object") or base in seen:
            continue
        seen.add(base)
        base_node = local_classes.get(base)
        if base_node is None:
            return True  # defined elsewhere (or unreadable): it may declare this method
        # Looked up once per class and file, however many of its subclasses' methods ask.
        if facts.name in ctx.module.memoized((_method_names, base_node), _method_names, base_node):
            return True
        pending.extend(base_names(base_node))
    own = _parameter_names(facts.node)
    if not own:
        return False
    return any(
        isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) and s is not facts.node and _parameter_names(s) == own
        for s in node.body
    )


def _method_names(node: ast.ClassDef) -> set[str]:
    """The names of the methods a class body defines."""
    return {s.name for s in node.body if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}


def shares_signature_with_siblings(facts: FunctionFacts, ctx, names: list[str], family: int = 2) -> bool:
    """At least `family` other functions of the same module or class take each of `names` at the same position,
    with as many parameters: a calling convention (validators, keyword checks, dispatch tables)."""
    container = class_of(facts, ctx) if facts.class_name is not None else next(
        (p for p in ctx.parents if isinstance(p, ast.Module)), None
    )
    if container is None:
        return False
    own = _all_parameter_names(facts.node)
    positions = [own.index(name) for name in names if name in own]
    if len(positions) != len(names):
        return False
    siblings = 0
    for stmt in container.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt is not facts.node and stmt.name != facts.name:
            theirs = _all_parameter_names(stmt)
            if len(theirs) == len(own) and all(theirs[i] == own[i] for i in positions):
                siblings += 1
                if siblings >= family:
                    return True
    return False


def _all_parameter_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
    args = node.args
    return tuple([a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs]])


def _parameter_names(node: ast.FunctionDef | ast.AsyncFunctionDef) -> tuple[str, ...]:
    args = node.args
    return tuple([a.arg for a in [*args.posonlyargs, *args.args, *args.kwonlyargs][1:]])


def only_returns_a_literal(facts: FunctionFacts) -> bool:
    """The body is one `return` of a literal that reads no name: `return []`, `return {"type": "null"}`."""
    body = facts.body
    if len(body) != 1 or not isinstance(body[0], ast.Return):
        return False
    value = body[0].value
    # The value's own class first: most are calls or names, and starting a walk costs more than the test.
    return value is None or (isinstance(value, _LITERAL_NODES) and all(isinstance(n, _LITERAL_NODES) for n in ast.walk(value)))


_LITERAL_NODES = (ast.Constant, ast.Dict, ast.List, ast.Tuple, ast.Set, ast.Load, ast.UnaryOp, ast.USub, ast.UAdd, ast.Not)


def only_raises(facts: FunctionFacts) -> bool:
    """The body does nothing but raise: a function that refuses to run ignores its inputs on purpose."""
    body = [s for s in facts.body if not isinstance(s, ast.Pass)]
    return len(body) == 1 and isinstance(body[0], ast.Raise)
