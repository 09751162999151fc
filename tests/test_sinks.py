"""sink_kind: which calls are danger sinks, of which kind; and which look alike but are not."""

from __future__ import annotations

import ast

import pytest

from analyzer.sinks import SINK_KINDS, sink_kind, sink_names, sink_path_argument


def call(source: str) -> ast.Call:
    node = ast.parse(source, mode="eval").body
    assert isinstance(node, ast.Call)
    return node


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("cursor.execute(sql)", "sql"),
        ("conn.executemany(sql, rows)", "sql"),
        ("User.objects.raw(q)", "sql"),
        ("qs.extra(where=[w])", "sql"),
        ("text('SELECT 1')", "sql"),
        ("sa.text(q)", "sql"),
        ("pd.read_sql(q, con)", "sql"),
        ("os.system(cmd)", "command"),
        ("os.popen(cmd)", "command"),
        ("subprocess.run(args)", "command"),
        ("sp.check_output(args)", "command"),
        ("run(cmd, shell=True)", "command"),
        ("asyncio.create_subprocess_shell(cmd)", "command"),
        ("eval(text)", "code"),
        ("exec(code, ns)", "code"),
        ("compile(src, 'f', 'exec')", "code"),
        ("builtins.eval(text)", "code"),
        ("pickle.loads(data)", "deserialization"),
        ("yaml.load(stream)", "deserialization"),
        ("torch.load(path)", "deserialization"),
        ("shelve.open(path)", "deserialization"),
        ("marshal.loads(data)", "deserialization"),
        ("ssl._create_unverified_context()", "tls"),
        ("aiohttp.TCPConnector(ssl=False)", "tls"),
        ("urllib3.PoolManager(cert_reqs='CERT_NONE')", "tls"),
        ("requests.get(url)", "http"),
        ("requests.request('GET', url)", "http"),
        ("httpx.Client(verify=False)", "http"),
        ("urllib.request.urlopen(url)", "http"),
        ("session.post(url, verify=False)", "http"),
        ("jwt.decode(token, key)", "jwt"),
        ("jose_jwt.decode(token, key)", "jwt"),
        ("app.add_middleware(CORSMiddleware, allow_origins=['*'])", "cors"),
        ("CORS(app)", "cors"),
        ("hashlib.sha256(data)", "hash"),
        ("md5(data)", "hash"),
        ("hashlib.new('md5', data)", "hash"),
        ("random.choice(chars)", "random"),
        ("np.random.randint(0, 9)", "random"),
        ("sock.bind(('0.0.0.0', 80))", "bind"),
        ("uvicorn.run(app, host='0.0.0.0')", "bind"),
        ("app.run(host='0.0.0.0')", "bind"),
        ("HTTPServer(('', 8000), Handler)", "bind"),
        ("open(path)", "filesystem"),
        ("send_file(path)", "filesystem"),
        ("FileResponse(handle)", "filesystem"),
        ("os.remove(path)", "filesystem"),
        ("Path(base, name).read_text()", "filesystem"),
    ],
)
def test_sinks_are_classified(source, kind):
    node = call(source)
    assert sink_kind(node) == kind
    assert kind in SINK_KINDS
    last = node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
    assert last in sink_names(kind)  # rules may skip a function whose calls have none of these names


def test_every_kind_has_names():
    assert all(sink_names(kind) for kind in SINK_KINDS)


@pytest.mark.parametrize(
    "source",
    [
        "re.compile(pattern)",
        "self.compile(x)",
        "json.loads(data)",
        "yaml.safe_load(stream)",
        "random.SystemRandom().choice(chars)",
        "secrets.choice(chars)",
        "cache.get(key)",
        "session.get(url)",
        "run(cmd)",
        "app.run()",
        "metadata.bind(engine)",
        "redis.Redis(host='0.0.0.0')",
        "send_from_directory(folder, name)",
        "codec.decode(data)",
        "hashlib.pbkdf2_hmac('sha256', pw, salt, 1000)",
        "print(text)",
        "execute(sql)",
        "(lambda: 1)()",
    ],
)
def test_look_alikes_are_not_sinks(source):
    assert sink_kind(call(source)) is None


def test_path_argument_of_a_path_method_is_the_whole_path_expression():
    node = call("Path(base, name).read_text()")
    assert ast.unparse(sink_path_argument(node)) == "Path(base, name)"
    assert ast.unparse(sink_path_argument(call("open(p, 'rb')"))) == "p"
    assert ast.unparse(sink_path_argument(call("send_file(path_or_file=p)"))) == "p"
