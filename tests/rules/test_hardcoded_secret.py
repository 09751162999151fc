"""HARDCODED_SECRET beyond its fixture: strength decides severity, secrets are redacted, docs and tests are skipped."""

from __future__ import annotations

from analyzer.engine import ScanOptions, scan_source
from analyzer.model import Severity
from analyzer.registry import all_rules


def findings(source: str, path: str = "app/config.py"):
    result = scan_source(source, path, ScanOptions(rules=[all_rules()["HARDCODED_SECRET"]]))
    assert result.error is None, result.error
    return result.findings


def test_random_looking_secrets_block_and_weak_ones_warn():
    [strong] = findings("API_KEY = 'a8f5f167f44f4964e6c998dee827110c'\n")
    assert strong.severity is Severity.BLOCK
    [weak] = findings("DB_PASSWORD = 'admin123'\n")
    assert weak.severity is Severity.WARN


def test_messages_never_repeat_the_whole_secret():
    secret = "a8f5f167f44f4964e6c998dee827110c"
    [finding] = findings(f"API_KEY = '{secret}'\n")
    assert secret not in finding.message and "a8f5…0c" in finding.message
    key = "AKIAQ3EGRTZ7LWK4XN2P"
    [finding] = findings(f"KEY_ID = '{key}'\n")
    assert key not in finding.message and "AWS access key id" in finding.message


def test_a_provider_shaped_value_is_reported_once():
    assert len(findings("token = 'ghp_R4nd0mT0k3nV4lu3F0rT3st1ngPurp0s3s12'\n")) == 1


def test_docs_and_tests_are_skipped():
    source = "API_KEY = 'a8f5f167f44f4964e6c998dee827110c'\n"
    assert findings(source, "docs/conf.py") == []
    assert findings(source, "tests/test_api.py") == []


# One value of every provider shape the rule knows, each in a string no name points at: found by its shape alone.
PROVIDER_SAMPLES = {
    "an AWS access key id": ["AKIAQ3EGRTZ7LWK4XN2P", "ASIAQ3EGRTZ7LWK4XN2P"],
    "a GitHub token": ["ghp_R4nd0mT0k3nV4lu3F0rT3st1ngPurp0s3s12", "github_pat_" + "R4nd0mT0k3nV4lu3F0r" * 4],
    "a Slack token": ["xoxb-123456789012-abcdefghijKLMNOP"],
    "a Stripe live key": ["sk_live_51H8x2LkqzP0aB7cD9eF1gH3iJ5kL7mN9", "rk_live_51H8x2LkqzP0aB7cD9eF1gH3iJ5kL7mN9"],
    "a Google API key": ["AIzaSyD4r8Qk2LmN7pX0vB3cF6hJ9tW1yZ5aE8g"],
    "a private key": ["-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7Zq3R8s0Kf2Lw9Yp4Nc6Jd1Hb5Gt8Vx3Mz7Qe2Ua9Wr0Sy4Ti6"],
}


def test_every_provider_shape_is_found_in_an_unnamed_string():
    # The rule screens strings with plain substring tests before its provider regex: this holds the two together.
    for label, samples in PROVIDER_SAMPLES.items():
        for sample in samples:
            found = findings(f"def connect(client):\n    client.send({sample!r})\n")
            assert [label in finding.message for finding in found] == [True], (label, sample)


# Every alternative of the rule's secret-name pattern, as a plain name and in camel case.
SECRET_NAMES = (
    "password passwd pwd passphrase secret secret_key api_key apikey access_key secret_access_key access_token auth_token "
    "refresh_token bearer_token api_token token private_key client_secret signing_key encryption_key master_key "
    "webhook_secret db_password credential credentials"
).split()


def test_every_secret_name_is_found():
    # The rule screens names with a few substring tests before its name pattern: this holds the two together.
    for name in SECRET_NAMES:
        camel = name[0] + name.title().replace("_", "")[1:]
        for spelled in (name, name.upper(), camel):
            assert len(findings(f"{spelled} = 'a8f5f167f44f4964e6c998dee827110c'\n")) == 1, spelled


def test_a_keyword_argument_literal_is_named_by_its_keyword_and_reported_once():
    # The rule judges a keyword's literal from the literal (STRING), not from the keyword node.
    [finding] = findings("connect(host='db', password='Sup3rS3cret!')\n")
    assert "`password`" in finding.message and finding.line == 1
    [provider] = findings("connect(token='ghp_R4nd0mT0k3nV4lu3F0rT3st1ngPurp0s3s12')\n")
    assert "GitHub token" in provider.message
    assert findings("connect(**{'a': 1}, verify='a8f5f167f44f4964e6c998dee827110c')\n") == []
