"""Danger sinks: which calls the security rules look at, classified by kind.

`sink_kind(call)` is the one place that decides whether a call is a danger
sink (a call that runs SQL, a shell command or Python code, rebuilds objects
from bytes, makes an HTTP request, opens a file by path, ...). The sink rules
dispatch on it, and the `structure` report lists the calls it classifies, so
the report's "danger sinks found" and the rules can never disagree. A sink is
not a finding: whether the call is dangerous is for the rule of its kind to
judge (is the SQL built from data, is `shell=True`, is `verify=False`).

It looks at the call alone (callee name, receiver, keywords), never at
imports, so `from subprocess import run; run(cmd)` is a sink only when it
says `shell=`. Everything here is pure and cheap: most calls are rejected by
one set lookup on the callee's last name.
"""

from __future__ import annotations

import ast

from analyzer.facts import dotted_name

# Every kind, with what a call of that kind does; the structure report shows these.
SINK_KINDS: dict[str, str] = {
    "sql": "runs SQL text",
    "command": "runs an operating-system command",
    "code": "evaluates Python source",
    "deserialization": "rebuilds Python objects from bytes",
    "tls": "sets up a TLS connection or context",
    "http": "makes an outgoing HTTP request",
    "jwt": "decodes a JSON Web Token",
    "cors": "configures cross-origin access",
    "hash": "computes a fast, unsalted hash digest",
    "random": "draws from Python's predictable random generator",
    "bind": "starts a server listening on an address",
    "filesystem": "opens, sends or deletes a file by path",
}

_SQL_METHODS = frozenset({"execute", "executemany", "executescript", "exec_driver_sql", "raw", "extra", "read_sql", "read_sql_query"})
_SQL_TEXT_CALLS = frozenset({"text", "sqlalchemy.text", "sa.text", "sql.text", "expression.text", "sqlalchemy.sql.text"})
_SQL_CONSTRUCTORS = frozenset({"RawSQL"})

_COMMAND_CALLS = frozenset(
    """os.system os.popen os.execl os.execle os.execlp os.execlpe os.execv os.execve os.execvp os.execvpe
    os.spawnl os.spawnle os.spawnlp os.spawnlpe os.spawnv os.spawnve os.spawnvp os.spawnvpe os.posix_spawn
    os.posix_spawnp subprocess.run subprocess.call subprocess.check_call subprocess.check_output
    subprocess.Popen subprocess.getoutput subprocess.getstatusoutput commands.getoutput
    commands.getstatusoutput asyncio.create_subprocess_shell asyncio.create_subprocess_exec pty.spawn""".split()
)
# Callee names that only the subprocess family uses, whatever the module is imported as.
_COMMAND_LAST = frozenset({"Popen", "check_output", "check_call", "getoutput", "getstatusoutput", "create_subprocess_shell", "create_subprocess_exec"})
_SHELL_KEYWORDS = frozenset({"shell"})

_CODE_BUILTINS = frozenset({"eval", "exec", "compile"})

_DESERIALIZING_MODULES = {
    "pickle": frozenset({"load", "loads", "Unpickler"}),
    "cPickle": frozenset({"load", "loads", "Unpickler"}),
    "_pickle": frozenset({"load", "loads", "Unpickler"}),
    "dill": frozenset({"load", "loads"}),
    "cloudpickle": frozenset({"load", "loads"}),
    "shelve": frozenset({"open"}),
    "marshal": frozenset({"load", "loads"}),
    "jsonpickle": frozenset({"decode"}),
    "yaml": frozenset({"load", "load_all", "unsafe_load", "unsafe_load_all"}),
    "torch": frozenset({"load"}),
    "joblib": frozenset({"load"}),
    "pandas": frozenset({"read_pickle"}),
    "pd": frozenset({"read_pickle"}),
}

_TLS_LAST = frozenset({"_create_unverified_context", "wrap_socket", "TCPConnector", "PoolManager", "HTTPSConnectionPool"})

_HTTP_VERBS = frozenset({"get", "post", "put", "patch", "delete", "head", "options", "request"})
_HTTP_MODULES = frozenset({"requests", "httpx"})
_HTTP_CLIENTS = frozenset({"httpx.Client", "httpx.AsyncClient", "aiohttp.ClientSession"})
_HTTP_STREAM = frozenset({"httpx.stream"})
_URLOPEN = frozenset({"urlopen", "urllib.request.urlopen", "request.urlopen", "urllib2.urlopen"})

_JWT_LAST = frozenset({"decode", "decode_complete"})

_CORS_LAST = frozenset({"CORS", "CORSMiddleware", "cross_origin"})
_CORS_WRAPPERS = frozenset({"add_middleware", "Middleware"})

_HASH_LAST = frozenset({"md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_256", "sha3_512", "blake2b", "blake2s"})
_HASH_MODULES = frozenset({"hashlib", "_hashlib", ""})

_RANDOM_LAST = frozenset({"random", "choice", "choices", "randint", "randrange", "getrandbits", "sample", "shuffle", "uniform", "randbytes"})

_SERVER_CALLS = frozenset(
    """uvicorn.run hypercorn.run run_simple werkzeug.serving.run_simple make_server wsgiref.simple_server.make_server
    HTTPServer ThreadingHTTPServer TCPServer UDPServer ThreadingTCPServer ThreadingUDPServer
    http.server.HTTPServer http.server.ThreadingHTTPServer socketserver.TCPServer socketserver.UDPServer
    socketserver.ThreadingTCPServer socketserver.ThreadingUDPServer socket.create_server asyncio.start_server
    web.run_app aiohttp.web.run_app waitress.serve""".split()
)
_SERVER_LAST_WITH_HOST = frozenset({"run", "serve", "create_server", "start_server", "run_app", "run_server"})

_FILE_CALLS = frozenset(
    """open io.open codecs.open os.open send_file flask.send_file FileResponse responses.FileResponse
    starlette.responses.FileResponse fastapi.responses.FileResponse os.remove os.unlink shutil.rmtree""".split()
)
_PATH_METHODS = frozenset({"open", "read_text", "read_bytes", "write_text", "write_bytes", "unlink"})
_PATH_CONSTRUCTORS = frozenset({"Path", "pathlib.Path", "PurePath"})



def sink_kind(call: ast.Call) -> str | None:
    """The kind of danger sink `call` is (a key of SINK_KINDS), or None when it is not one."""
    func = call.func
    if isinstance(func, ast.Name):
        last = func.id
    elif isinstance(func, ast.Attribute):
        last = func.attr
    else:
        return None
    classifiers = _CLASSIFIERS_BY_LAST.get(last)
    if classifiers is None:
        return None  # one lookup rejects almost every call
    value = func.value if isinstance(func, ast.Attribute) else None
    if value is None:
        name, receiver = last, ""
    elif isinstance(value, ast.Name):  # the common `module.function` / `obj.method`: no chain to walk
        name, receiver = f"{value.id}.{last}", value.id
    else:
        name = dotted_name(func)
        receiver = name[: -len(last) - 1] if name.endswith("." + last) else ""
    for classify in classifiers:
        kind = classify(call, name, receiver, last)
        if kind is not None:
            return kind
    return None


def _sql(call: ast.Call, name: str, receiver: str, last: str) -> str | None:
    if last in _SQL_METHODS and isinstance(call.func, ast.Attribute):
        return "sql"
    if name in _SQL_TEXT_CALLS or last in _SQL_CONSTRUCTORS:
        return "sql"
    return None


def _command(call: ast.Call, name: str, receiver: str, last: str) -> str | None:
    if name in _COMMAND_CALLS or last in _COMMAND_LAST:
        return "command"
    if last in ("run", "call") and any(keyword.arg in _SHELL_KEYWORDS for keyword in call.keywords):
        return "command"  # `from subprocess import run; run(cmd, shell=True)`, or `sp.run(...)`
    return None


def _code(call: ast.Call, name: str, receiver: str, last: str) -> str | None:
    if last in _CODE_BUILTINS and (isinstance(call.func, ast.Name) or receiver == "builtins"):
        return "code"
    return None


def _deserialization(call: ast.Call, name: str, receiver: str, last: str) -> str | None:
    methods = _DESERIALIZING_MODULES.get(receiver.rsplit(".", 1)[-1]) if receiver else None
    if methods is not None and last in methods:
        return "deserialization"
    return None


def _tls(call: ast.Call, name: str, receiver: str, last: str) -> str | None:
    return "tls" if last in _TLS_LAST else None


def _http(call: ast.Call, name: str, receiver: str, last: str) -> str | None:
    if last in _HTTP_VERBS:
        if receiver in _HTTP_MODULES:
            return "http"
        if call.keywords and receiver and any(keyword.arg == "verify" for keyword in call.keywords):
            return "http"  # `session.get(url, verify=...)`: only HTTP clients take `verify`
        return None
    if name in _HTTP_CLIENTS or name in _HTTP_STREAM or name in _URLOPEN:
        return "http"
    return None


def _jwt(call: ast.Call, name: str, receiver: str, last: str) -> str | None:
    if last in _JWT_LAST and "jwt" in receiver.rsplit(".", 1)[-1].lower():
        return "jwt"  # jwt.decode, jose.jwt.decode, jwt.api_jwt.decode, `from jose import jwt as jose_jwt`
    return None


def _cors(call: ast.Call, name: str, receiver: str, last: str) -> str | None:
    if last in _CORS_LAST:
        return "cors"
    if last in _CORS_WRAPPERS and call.args and dotted_name(call.args[0]).endswith("CORSMiddleware"):
        return "cors"
    return None


def _hash(call: ast.Call, name: str, receiver: str, last: str) -> str | None:
    if last in _HASH_LAST and receiver in _HASH_MODULES:
        return "hash"
    if last == "new" and receiver == "hashlib":
        return "hash"
    return None


def _random(call: ast.Call, name: str, receiver: str, last: str) -> str | None:
    # `random.choice`, `np.random.randint`; not `random.SystemRandom().choice`, not `secrets.choice`.
    if last in _RANDOM_LAST and (receiver == "random" or receiver.endswith(".random")):
        return "random"
    return None


def _bind(call: ast.Call, name: str, receiver: str, last: str) -> str | None:
    if last == "bind" and receiver and call.args and isinstance(call.args[0], ast.Tuple):
        return "bind"  # `sock.bind((host, port))`
    if name in _SERVER_CALLS or last in ("HTTPServer", "ThreadingHTTPServer", "make_server", "run_simple"):
        return "bind"
    if last in _SERVER_LAST_WITH_HOST and receiver and any(keyword.arg == "host" for keyword in call.keywords):
        return "bind"  # `app.run(host=...)`, `web.run_app(app, host=...)`
    return None


def _filesystem(call: ast.Call, name: str, receiver: str, last: str) -> str | None:
    if name in _FILE_CALLS:
        return "filesystem"
    func = call.func
    if last in _PATH_METHODS and isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        if dotted_name(func.value.func) in _PATH_CONSTRUCTORS:
            return "filesystem"  # `Path(p).read_text()`
    return None


# Each kind's classifier, with the last callee names it can accept; in the order they are tried.
_CLASSIFIER_NAMES = (
    ("code", _code, _CODE_BUILTINS),
    ("command", _command, {name.rsplit(".", 1)[-1] for name in _COMMAND_CALLS} | _COMMAND_LAST | {"run", "call"}),
    ("deserialization", _deserialization, {method for methods in _DESERIALIZING_MODULES.values() for method in methods}),
    ("sql", _sql, _SQL_METHODS | {name.rsplit(".", 1)[-1] for name in _SQL_TEXT_CALLS} | _SQL_CONSTRUCTORS),
    ("tls", _tls, _TLS_LAST),
    ("http", _http, _HTTP_VERBS | {name.rsplit(".", 1)[-1] for name in _HTTP_CLIENTS | _HTTP_STREAM | _URLOPEN}),
    ("jwt", _jwt, _JWT_LAST),
    ("cors", _cors, _CORS_LAST | _CORS_WRAPPERS),
    ("hash", _hash, _HASH_LAST | {"new"}),
    ("random", _random, _RANDOM_LAST),
    ("bind", _bind, {"bind", "HTTPServer", "ThreadingHTTPServer", "make_server", "run_simple"} | {name.rsplit(".", 1)[-1] for name in _SERVER_CALLS} | _SERVER_LAST_WITH_HOST),
    ("filesystem", _filesystem, {name.rsplit(".", 1)[-1] for name in _FILE_CALLS} | _PATH_METHODS),
)


def _classifiers_by_last_name() -> dict[str, tuple]:
    index: dict[str, tuple] = {}
    for _, classify, names in _CLASSIFIER_NAMES:
        for name in names:
            index[name] = (*index.get(name, ()), classify)
    return index


_CLASSIFIERS_BY_LAST = _classifiers_by_last_name()
_NAMES_BY_KIND: dict[str, frozenset[str]] = {kind: frozenset(names) for kind, _, names in _CLASSIFIER_NAMES}


def sink_names(kind: str) -> frozenset[str]:
    """The last callee names a sink of `kind` can have (`execute`, `raw`, ... for "sql").

    Not every call so named is a sink (`cache.get` is not "http"), but no
    sink has another name: a rule may skip a whole function whose calls
    include none of these.
    """
    return _NAMES_BY_KIND[kind]


def sink_path_argument(call: ast.Call) -> ast.expr | None:
    """The path a filesystem sink acts on: its first argument, or the `Path(...)` expression of `Path(a, b).open()`."""
    func = call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call) and func.attr in _PATH_METHODS:
        return func.value
    if call.args:
        return call.args[0]
    for keyword in call.keywords:
        if keyword.arg in ("file", "path", "filename", "path_or_file"):
            return keyword.value
    return None
