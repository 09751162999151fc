"""UNSAFE_DESERIALIZATION beyond its fixture: the safe_load fix, severities by where the bytes come from."""

from __future__ import annotations

from analyzer.engine import ScanOptions, scan_source
from analyzer.model import Severity
from analyzer.registry import all_rules


def findings(source: str):
    result = scan_source(source, "app/loader.py", ScanOptions(rules=[all_rules()["UNSAFE_DESERIALIZATION"]]))
    assert result.error is None, result.error
    return result.findings


def test_yaml_load_without_loader_is_fixed_to_safe_load():
    [finding] = findings("import yaml\nconfig = yaml.load(open('c.yml'))  # settings\n")
    assert finding.severity is Severity.BLOCK
    assert finding.fix.replacement == "config = yaml.safe_load(open('c.yml'))  # settings"
    [finding] = findings("import yaml\ndocs = list(yaml.load_all(stream))\n")
    assert finding.fix.replacement == "docs = list(yaml.safe_load_all(stream))"


def test_an_unsafe_loader_is_reported_without_a_fix():
    [finding] = findings("import yaml\nx = yaml.load(s, Loader=yaml.UnsafeLoader)\n")
    assert finding.fix is None and "Loader=yaml.UnsafeLoader" in finding.message


def test_pickle_is_block_from_a_client_and_warn_from_the_network():
    client = "import pickle\n@app.post('/x')\ndef view():\n    return pickle.loads(request.data)\n"
    [finding] = findings(client)
    assert finding.severity is Severity.BLOCK and "request.data" in finding.message
    network = "import pickle, requests\ndef fetch(url):\n    return pickle.loads(requests.get(url, timeout=3).content)\n"
    [finding] = findings(network)
    assert finding.severity is Severity.WARN


def test_a_module_level_ruamel_instance_is_not_pyyaml():
    assert findings("from ruamel.yaml import YAML\nyaml = YAML()\ndata = yaml.load(stream)\n") == []
