"""analyzer.rules._web: which values a web client supplies, and how far a local is followed back."""

from __future__ import annotations

import ast

from analyzer.engine import ScanOptions, scan_source
from analyzer.model import Severity
from analyzer.registry import FUNCTION, Rule
from analyzer.rules._web import origin, request_data, web_parameters


def facts_of(source: str):
    """The facts of every function in `source`, by name."""
    found = {}

    def capture(fn, ctx):
        found[fn.name] = fn
        return iter(())

    scan_source(source, "app.py", ScanOptions(rules=[Rule("TEST_CAPTURE", Severity.WARN, capture, (FUNCTION,), 1.0, __name__)]))
    return found


def test_request_data_is_found_inside_expressions():
    assert request_data(ast.parse("open(request.args['name'])")) == "request.args"
    assert request_data(ast.parse("self.request.GET.get('x')")) == "self.request.GET"
    assert request_data(ast.parse("request.method")) is None
    assert request_data(ast.parse("int(request.args['id'])")) is None  # cleansed


def test_route_path_parameters_are_client_text_unless_typed():
    fns = facts_of(
        "@app.route('/files/<name>/<int:page>')\ndef flask_view(name, page):\n    pass\n"
        "@api.get('/items/{item_id}')\ndef fastapi_view(item_id: str, limit: int, db: Session = Depends(get_db), q: str = None):\n    pass\n"
        "def django_view(request, slug):\n    pass\n"
        "class View:\n    def get(self, request, pk):\n        pass\n"
        "def helper(name):\n    pass\n"
    )
    assert set(web_parameters(fns["flask_view"])) == {"name"}
    assert set(web_parameters(fns["fastapi_view"])) == {"item_id", "q"}
    assert set(web_parameters(fns["django_view"])) == {"slug"}
    assert set(web_parameters(fns["get"])) == {"pk"}
    assert web_parameters(fns["helper"]) == {}


def test_origin_follows_locals_assigned_before_the_use():
    [fn] = facts_of(
        "@app.post('/x')\ndef view():\n    payload = request.get_json()\n    name = payload['name']\n    path = base + name\n    use(path)\n    late = request.form\n"
    ).values()
    use_line = 6
    assert origin(ast.parse("path").body[0].value, fn, use_line) == "`path`, which holds request data (`request.get_json`)"
    assert origin(ast.parse("late").body[0].value, fn, use_line) is None
