"""The shared vocabulary: which calls read a database or write, what success looks like, whose signature is imposed.

Predicates on AST nodes are judged on parsed expressions; predicates on a
function's facts are judged while the engine walks a small source, through a
throwaway rule that records the answer for one named function.
"""

from __future__ import annotations

import ast

import pytest

from analyzer.engine import ScanOptions, scan_source
from analyzer.facts import CallFact
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Rule
from analyzer import vocabulary as v


def expr(text: str) -> ast.expr:
    return ast.parse(text, mode="eval").body


def call_fact(text: str) -> CallFact:
    node = expr(text)
    assert isinstance(node, ast.Call)
    return CallFact(node, v.callee_parts(node)[1], 1, True, False)


def judge(source: str, function: str, predicate) -> object:
    """predicate(facts, ctx) for the function whose qualified name is `function`, asked while the engine is inside it."""
    answers = []

    def check(fn, ctx):
        if fn.qualname == function:
            answers.append(predicate(fn, ctx))
        return ()

    rule = Rule("TEST_VOCABULARY", Severity.WARN, check, (FUNCTION,), 1.0, __name__)
    result = scan_source(source, "app/module.py", ScanOptions(rules=[rule]))
    assert result.error is None, result.error
    assert len(answers) == 1, f"expected one function named {function}, saw {len(answers)}"
    return answers[0]


# ---------------------------------------------------------------- database reads


@pytest.mark.parametrize(
    "text",
    [
        "db.execute('SELECT a FROM t').fetchall()",
        "cur.fetchone()",
        "cur.fetchmany(10)",
        "session.execute(select(User)).scalars().all()",
        "session.scalars(select(User)).first()",
        "session.scalar(select(func.count()).select_from(User))",
        "conn.execute(text('SELECT id FROM users')).one()",
        "session.query(User).filter(User.id == 1).first()",
        "User.objects.filter(active=True)",
        "User.objects.get(pk=1)",
        "session.get(User, 1)",
        "db.session.get(User, 1)",
    ],
)
def test_database_reads_are_recognised(text):
    assert v.describe_db_read(expr(text)) is not None


@pytest.mark.parametrize(
    "text",
    ["await conn.fetch('SELECT 1 FROM t')", "await conn.fetchrow('q')", "await conn.fetchval('q')", "await database.fetch_all(q)", "await cur.fetchall()"],
)
def test_async_driver_reads_are_recognised(text):
    node = ast.parse(f"async def f():\n    x = {text}\n").body[0].body[0].value
    assert v.describe_db_read(node) is not None


@pytest.mark.parametrize(
    "text",
    [
        "cache.get('k')",
        "d.get('k', 1)",
        "items.filter(x)",
        "db.execute('UPDATE t SET a = 1')",
        "conn.execute(text('DELETE FROM t'))",
        "obj.all()",
        "requests.get(url)",
        "session.get(url)",
    ],
)
def test_other_calls_are_not_database_reads(text):
    assert v.describe_db_read(expr(text)) is None


@pytest.mark.parametrize(
    ("sql", "is_read"),
    [
        ("SELECT a FROM t", True),
        ("  select a\n  from t where b = 1", True),
        ("WITH x AS (SELECT 1 FROM t) SELECT * FROM x", True),
        ("SELECT 1", False),  # a health check: no FROM
        ("SELECT a FROM t FOR UPDATE", False),
        ("SELECT a FROM t FOR NO KEY UPDATE", False),
        ("SELECT * INTO backup FROM t", False),
        ("SELECT setval('s', (SELECT MAX(id) FROM t))", False),
        ("SELECT pg_advisory_lock(1) FROM pg_stat_activity", False),
        ("INSERT INTO t SELECT * FROM u", False),
        ("UPDATE t SET a = 1", False),
    ],
)
def test_select_sql_is_a_read_only_when_it_returns_rows(sql, is_read):
    assert v.is_select_sql(ast.Constant(sql)) is is_read


def test_sql_text_reads_literals_fstrings_and_text_calls():
    assert v.sql_text(expr("'SELECT 1'")) == "SELECT 1"
    assert v.sql_text(expr("f'SELECT a FROM {table}'")) == "SELECT a FROM "
    assert v.sql_text(expr("text('SELECT a FROM t')")) == "SELECT a FROM t"
    assert v.sql_text(expr("query")) is None


def test_select_constructs_are_recognised_through_their_chain():
    assert v.is_select_construct(expr("select(User).where(User.id == 1).limit(1)"))
    assert not v.is_select_construct(expr("update(User).values(a=1)"))


@pytest.mark.parametrize(
    ("text", "locks"),
    [
        ("Account.objects.select_for_update().get(pk=1)", True),
        ("session.execute(select(Seat).with_for_update()).scalar_one()", True),
        ("cur.execute('SELECT id FROM t WHERE id = 1 FOR UPDATE')", True),
        ("Account.objects.get(pk=1)", False),
        ("session.execute(select(Seat)).scalar_one()", False),
    ],
)
def test_reads_kept_for_their_lock(text, locks):
    assert v.reads_for_a_lock(expr(text)) is locks


def test_call_chain_text_elides_arguments():
    assert v.call_chain_text(expr("db.execute('SELECT a FROM t', (1,)).fetchall()")) == "db.execute(...).fetchall()"
    assert v.call_chain_text(expr("session.query(User).first()")) == "session.query(...).first()"
    long = v.call_chain_text(expr("a." + ".".join(["attribute"] * 20) + "()"), limit=30)
    assert len(long) == 30 and long.startswith("...")


# ---------------------------------------------------------------- writes


@pytest.mark.parametrize(
    "text",
    ["db.execute(q)", "session.commit()", "session.add(x)", "f.write(s)", "json.dump(d, f)", "r.setex(k, 1, v)",
     "requests.post(url)", "save_user(u)", "self.store_row(r)", "super().save()", "open(p, 'w')", "open(p, mode='a')"],
)
def test_write_calls(text):
    assert v.is_write_call(call_fact(text))


@pytest.mark.parametrize("text", ["json.dumps(d)", "json.loads(s)", "open(p)", "open(p, 'r')", "len(x)", "validate(x)", "get_user(1)"])
def test_calls_that_do_not_write(text):
    assert not v.is_write_call(call_fact(text))


def test_open_mode_that_cannot_be_read_is_assumed_to_write():
    assert v.opens_for_writing(expr("open(p, mode)"))
    assert not v.opens_for_writing(expr("open(p, 'rb')"))


def test_pure_calls():
    assert v.is_pure_call(call_fact("validate_preferences(p)"))
    assert v.is_pure_call(call_fact("sorted(x)"))
    assert not v.is_pure_call(call_fact("mailer.send(x)"))


# ---------------------------------------------------------------- success and failure


@pytest.mark.parametrize(
    ("text", "signature"),
    [
        ("True", "True"),
        ("'OK'", "'ok'"),
        ("{'success': True, 'id': 1}", "{'success': True}"),
        ("{'status': 'saved', 'user_id': u}", "{'status': 'saved'}"),
        ("{'status': 200}", "{'status': 200}"),
        ("('OK', 200)", "'ok'"),
        ("JsonResponse({'ok': True})", "JsonResponse({'ok': True})"),
        ("jsonify(success=True)", "jsonify(success=True)"),
        ("Response(data, status=200)", "Response(status=200)"),
        ("Response(data, status=status.HTTP_201_CREATED)", "Response(status=HTTP_201_CREATED)"),
    ],
)
def test_success_signatures(text, signature):
    assert v.success_signature(expr(text)) == signature


@pytest.mark.parametrize(
    "text",
    ["False", "None", "'failed'", "{'success': False}", "{'status': 'error'}", "{'status': 'ok', 'error': msg}",
     "Response({'error': 'x'}, status=200)", "Response(data, status=500)", "result", "42"],
)
def test_values_that_are_not_success(text):
    assert v.success_signature(expr(text)) is None


def test_failure_shapes():
    assert v.is_failure_shaped(expr("{'ok': False}"))
    assert v.is_failure_shaped(expr("{'errors': errors}"))
    assert not v.is_failure_shaped(expr("{'error': None, 'ok': True}"))
    assert v.success_status_code(expr("HTTPStatus.OK")) == "OK"
    assert v.success_status_code(expr("404")) is None


# ---------------------------------------------------------------- function shapes


def test_stub_bodies():
    assert judge("def f(a):\n    '''doc'''\n    ...\n", "f", lambda fn, ctx: v.is_stub_body(fn))
    assert judge("def f(a):\n    raise NotImplementedError\n", "f", lambda fn, ctx: v.is_stub_body(fn))
    assert not judge("def f(a):\n    return a\n", "f", lambda fn, ctx: v.is_stub_body(fn))


def test_abstract_and_overload():
    source = "class A:\n    @abstractmethod\n    def f(self): ...\n    @typing.overload\n    def g(self): ...\n    def h(self): ...\n"
    assert judge(source, "A.f", lambda fn, ctx: v.is_abstract_or_overload(fn))
    assert judge(source, "A.g", lambda fn, ctx: v.is_abstract_or_overload(fn))
    assert not judge(source, "A.h", lambda fn, ctx: v.is_abstract_or_overload(fn))


def test_only_returns_a_literal():
    ask = lambda fn, ctx: v.only_returns_a_literal(fn)  # noqa: E731
    assert judge("def f(a):\n    '''Default.'''\n    return []\n", "f", ask)
    assert judge("def f(a):\n    return {'type': 'null', 'n': -1}\n", "f", ask)
    assert not judge("def f(a):\n    return {'type': a}\n", "f", ask)
    assert not judge("def f(a):\n    x = 1\n    return []\n", "f", ask)


def test_only_raises():
    assert judge("def f(a):\n    raise RuntimeError('never')\n", "f", lambda fn, ctx: v.only_raises(fn))
    assert not judge("def f(a):\n    check(a)\n    raise RuntimeError\n", "f", lambda fn, ctx: v.only_raises(fn))


# ---------------------------------------------------------------- signatures imposed by someone else


def test_base_names_look_through_generics_and_factories():
    node = ast.parse("class A(ParamType[int], mixins.Base, declarative_base(), object): pass").body[0]
    assert v.base_names(node) == ["ParamType", "mixins.Base", "declarative_base", "object"]


def test_defined_more_than_once():
    source = "if V2:\n    def f(a):\n        return a\nelse:\n    def f(a):\n        return 1\n"
    assert judge(source.replace("def f(a):\n        return 1", "def g(a):\n        return 1"), "f", v.is_defined_more_than_once) is False
    answers = []

    def check(fn, ctx):
        answers.append(v.is_defined_more_than_once(fn, ctx))
        return ()

    scan_source(source, "app/m.py", ScanOptions(rules=[Rule("T", Severity.WARN, check, (FUNCTION,), 1.0, __name__)]))
    assert answers == [True, True]


@pytest.mark.parametrize(
    ("source", "referenced"),
    [
        ("def f(a):\n    return 1\nsorted(x, key=f)\n", True),
        ("def f(a):\n    return 1\nHANDLERS = {'a': f}\n", True),
        ("def f(a):\n    return 1\nregister(f)\n", True),
        ("def f(a):\n    return 1\nf(2)\n", False),
        ("def f(a):\n    return 1\n__all__ = ['f']\n", False),
        ("def f(a):\n    return 1\nobj.f = 3\n", False),
    ],
)
def test_functions_referenced_by_name(source, referenced):
    assert judge(source, "f", v.is_referenced_by_name) is referenced


def test_methods_referenced_as_bound_methods():
    source = "class A:\n    def m(self, x):\n        return 1\n    def wire(self):\n        button.on_click(self.m)\n"
    assert judge(source, "A.m", v.is_referenced_by_name)
    assert not judge(source.replace("self.m)", "self.m())"), "A.m", v.is_referenced_by_name)


@pytest.mark.parametrize(
    ("source", "default"),
    [
        ("class BaseOps:\n    def f(self, a):\n        return []\n", True),
        ("class CacheMixin:\n    def f(self, a):\n        return []\n", True),
        ("class Store(ABC):\n    def f(self, a):\n        return []\n", True),
        ("class Store(metaclass=ABCMeta):\n    def f(self, a):\n        return []\n", True),
        ("class Feed:\n    def f(self, a):\n        return []\nclass Blog(Feed):\n    pass\n", True),
        ("class Feed:\n    def f(self, a):\n        '''Override to add items.'''\n        return []\n", True),
        ("class Pricing:\n    def f(self, a):\n        return []\n", False),
        ("class Feed:\n    def f(self, a):\n        return []\nclass FeedReader(Other):\n    pass\n", False),
    ],
)
def test_default_implementations(source, default):
    qualname = source.split("class ", 1)[1].split("(", 1)[0].split(":", 1)[0] + ".f"
    assert judge(source, qualname, v.is_default_implementation) is default


@pytest.mark.parametrize(
    ("source", "interface"),
    [
        ("class A(Foreign):\n    def f(self, a):\n        return 1\n", True),
        ("class A(Base[int]):\n    def f(self, a):\n        return 1\n", True),
        ("class B:\n    def f(self, a):\n        return a\nclass A(B):\n    def f(self, a):\n        return 1\n", True),
        ("class C:\n    def f(self, a):\n        return a\nclass B(C):\n    pass\nclass A(B):\n    def f(self, a):\n        return 1\n", True),
        ("class A:\n    def f(self, schema):\n        return 1\n    def g(self, schema):\n        return schema\n", True),
        ("class B:\n    def g(self, a):\n        return a\nclass A(B):\n    def f(self, a):\n        return 1\n", False),
        ("class A(object):\n    def f(self, a):\n        return 1\n    def g(self, b):\n        return b\n", False),
    ],
)
def test_interface_methods(source, interface):
    assert judge(source, "A.f", v.is_interface_method) is interface


def test_plain_functions_are_neither_defaults_nor_interfaces():
    source = "def f(a):\n    return 1\n"
    assert judge(source, "f", v.is_default_implementation) is False
    assert judge(source, "f", v.is_interface_method) is False


@pytest.mark.parametrize(
    ("source", "no_op"),
    [
        ("def f(a):\n    '''Does nothing at runtime.'''\n    return 1\n", True),
        ("def f(a):\n    '''Kept for backwards compatibility.'''\n    return 1\n", True),
        ("def f(a, b):  # noqa: ARG001\n    return a\n", True),
        ("def f(a, b):  # pylint: disable=unused-argument\n    return a\n", True),
        ("def f(\n    a,\n    b,  # noqa\n):\n    return a\n", True),
        ("def f(a, b):  # noqa: E501\n    return a\n", False),
        ("def f(a):\n    '''Return the discount for a tier.'''\n    return 1\n", False),
    ],
)
def test_documented_no_ops(source, no_op):
    assert judge(source, "f", v.is_documented_no_op) is no_op


def test_a_family_of_three_sharing_a_parameter_position_is_a_calling_convention():
    family = "".join(f"def {name}(validator, value, instance, schema):\n    return value\n" for name in ("a", "b", "c"))
    ask = lambda fn, ctx: v.shares_signature_with_siblings(fn, ctx, ["schema"])  # noqa: E731
    assert judge(family, "a", ask)
    pair = "".join(f"def {name}(validator, value, instance, schema):\n    return value\n" for name in ("a", "b"))
    assert not judge(pair, "a", ask)
    other_arity = family.replace("def c(validator, value, instance, schema)", "def c(validator, value, schema)")
    assert not judge(other_arity, "a", ask)


def test_sibling_methods_are_judged_within_their_class():
    source = (
        "class G:\n"
        + "".join(f"    def {name}(self, schema):\n        return 1\n" for name in ("a", "b", "c"))
        + "def d(self, schema):\n    return 1\n"
    )
    assert judge(source, "G.a", lambda fn, ctx: v.shares_signature_with_siblings(fn, ctx, ["schema"]))
