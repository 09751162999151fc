"""`ainascan register` end to end: the local page, a stand-in GitHub on 127.0.0.1, the code exchange and the env file."""

from __future__ import annotations

import json
import secrets
import stat
import threading
import time
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
import yaml

from bot.cli import main
from bot.register import RegistrationError, api_url_for, build_manifest, new_app_url, updated_env_text
from bot.settings import load_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
APP_YML = PROJECT_ROOT / "app.yml"
WEBHOOK_URL = "https://ainascan.acme.example/api/github/webhooks"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAstandin+key/material==\nAbCdEf0123456789\n-----END RSA PRIVATE KEY-----\n"


class StandInGitHub:
    """GitHub's side of the manifest flow: the "new App" forms and POST /api/v3/app-manifests/{code}/conversions."""

    def __init__(self) -> None:
        self.manifests: list[tuple[str, dict]] = []  # (form path, manifest)
        self.codes: dict[str, dict] = {}
        self.conversions: list[str] = []
        self.refuse_conversion = False
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                parts = urlsplit(self.path)
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                if parts.path.endswith("/settings/apps/new"):
                    stand_in.new_app(self, parts, body)
                elif parts.path.startswith("/api/v3/app-manifests/") and parts.path.endswith("/conversions"):
                    stand_in.convert(self, parts.path.split("/")[4])
                else:
                    self.send_error(404)

            def log_message(self, format, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def new_app(self, handler: BaseHTTPRequestHandler, parts, body: bytes) -> None:
        """What a user's press on "Create GitHub App" does: create the App, redirect to redirect_url with a code and the state."""
        manifest = json.loads(parse_qs(body.decode())["manifest"][0])
        self.manifests.append((parts.path, manifest))
        code = secrets.token_hex(10)
        owner = parts.path.split("/")[2] if parts.path.startswith("/organizations/") else "octocat"
        slug = manifest["name"].lower().replace(" ", "-")
        self.codes[code] = {
            "id": 424242,
            "slug": slug,
            "name": manifest["name"],
            "owner": {"login": owner},
            "html_url": f"{self.url}/apps/{slug}",
            "pem": PEM,
            "webhook_secret": "e340154128314309424b7c8e90325147d99fdafa",
            "client_id": "Iv1.8a61f9b3a7aba766",
            "client_secret": "1726be1638095a19edd134c77bde3aa2ece1e5d8",
        }
        state = parse_qs(parts.query).get("state", [""])[0]
        handler.send_response(302)
        handler.send_header("Location", f"{manifest['redirect_url']}?{urlencode({'code': code, 'state': state})}")
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def convert(self, handler: BaseHTTPRequestHandler, code: str) -> None:
        self.conversions.append(code)
        app = None if self.refuse_conversion else self.codes.pop(code, None)  # a code works once
        body = json.dumps(app or {"message": "Not Found"}).encode()
        handler.send_response(201 if app else 404)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    def __enter__(self) -> "StandInGitHub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


class FormReader(HTMLParser):
    """The first form of a page: its action and its hidden inputs, as a browser would submit them."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.inputs: dict[str, str] = {}

    def handle_starttag(self, tag, attrs) -> None:
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action")
        elif tag == "input" and attrs.get("name"):
            self.inputs[attrs["name"]] = attrs.get("value") or ""


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RegisterRun:
    """`ainascan register ...` running in a thread, as the user runs it in a terminal."""

    def __init__(self, argv: list[str]) -> None:
        self.port = free_port()
        self.argv = ["register", "--no-browser", "--timeout", "20", "--port", str(self.port), *argv]
        self.exit_code: int | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        self.exit_code = main(self.argv)

    def start(self) -> str:
        self.thread.start()
        local = f"http://127.0.0.1:{self.port}/"
        for _ in range(100):
            try:
                httpx.get(local + "favicon.ico", timeout=1)
                return local
            except httpx.TransportError:
                time.sleep(0.05)
        raise AssertionError("the register page never came up")

    def wait(self) -> int | None:
        self.thread.join(timeout=20)
        return self.exit_code


def browse(local: str) -> httpx.Response:
    """What the user's browser does: load the local page, submit its form, follow GitHub's redirect back."""
    with httpx.Client(follow_redirects=True, timeout=10) as browser:
        page = browser.get(local)
        form = FormReader()
        form.feed(page.text)
        return browser.post(form.action, data=form.inputs)


def test_register_for_an_organization_writes_the_credentials_and_keeps_the_env_file(tmp_path, capsys):
    env_file = tmp_path / "deploy" / ".env"
    env_file.parent.mkdir()
    env_file.write_text("# my settings\nAINASCAN_REDIS_URL=redis://redis:6379/0\nAINASCAN_APP_ID=1\nAINASCAN_REVIEW_DRAFTS=true\n")
    env_file.chmod(0o644)
    with StandInGitHub() as github:
        run = RegisterRun(["--org", "acme", "--webhook-url", WEBHOOK_URL, "--github-url", github.url, "--env-file", str(env_file), "--manifest", str(APP_YML)])
        finished = browse(run.start())
        exit_code = run.wait()

    assert exit_code == 0
    assert finished.status_code == 200
    assert f"{github.url}/apps/ainascan/installations/new" in finished.text
    form_path, manifest = github.manifests[0]
    assert form_path == "/organizations/acme/settings/apps/new"
    assert manifest["hook_attributes"]["url"] == WEBHOOK_URL
    assert manifest["redirect_url"] == f"http://127.0.0.1:{run.port}/callback"
    app_yml = yaml.safe_load(APP_YML.read_text())
    assert manifest["default_events"] == app_yml["default_events"]
    assert manifest["default_permissions"] == app_yml["default_permissions"]
    assert github.conversions and not github.codes  # the code was exchanged

    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    text = env_file.read_text()
    assert text.startswith("# my settings\nAINASCAN_REDIS_URL=redis://redis:6379/0\nAINASCAN_APP_ID=424242\nAINASCAN_REVIEW_DRAFTS=true\n")
    assert text.count("AINASCAN_APP_ID=") == 1
    assert "\nAINASCAN_PRIVATE_KEY=-----BEGIN RSA PRIVATE KEY-----\\nMIIE" in text
    env = dict(line.split("=", 1) for line in text.splitlines() if line and not line.startswith("#"))
    assert env["AINASCAN_GITHUB_API_URL"] == f"{github.url}/api/v3"
    settings = load_settings(**{key.removeprefix("AINASCAN_").lower(): value for key, value in env.items()})
    assert settings.app_id == 424242
    assert settings.private_key_pem() == PEM
    assert settings.webhook_secret.get_secret_value() == "e340154128314309424b7c8e90325147d99fdafa"

    out = capsys.readouterr()
    assert f"{github.url}/apps/ainascan/installations/new" in out.out
    for secret in ("MIIEowIBAAKCAQEA", "e340154128314309424b7c8e90325147d99fdafa", "1726be1638095a19edd134c77bde3aa2ece1e5d8"):
        assert secret not in out.out + out.err
        assert secret not in finished.text


def test_register_for_a_personal_account_creates_a_new_env_file(tmp_path):
    env_file = tmp_path / "new.env"
    with StandInGitHub() as github:
        run = RegisterRun(["--webhook-url", WEBHOOK_URL, "--name", "AINAScan for Acme", "--github-url", github.url, "--env-file", str(env_file), "--manifest", str(APP_YML)])
        browse(run.start())
        assert run.wait() == 0

    assert github.manifests[0][0] == "/settings/apps/new"
    assert github.manifests[0][1]["name"] == "AINAScan for Acme"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    assert "AINASCAN_WEBHOOK_SECRET=e340154128314309424b7c8e90325147d99fdafa" in env_file.read_text()


def test_a_callback_without_this_registrations_state_is_refused(tmp_path):
    env_file = tmp_path / ".env"
    with StandInGitHub() as github:
        run = RegisterRun(["--webhook-url", WEBHOOK_URL, "--github-url", github.url, "--env-file", str(env_file), "--manifest", str(APP_YML)])
        local = run.start()
        forged = httpx.get(f"{local}callback?code=attacker-code&state=guessed")
        assert forged.status_code == 400
        assert not env_file.exists()
        browse(local)  # the real answer still completes the registration
        assert run.wait() == 0
    assert github.conversions[-1] != "attacker-code"
    assert "attacker-code" not in github.conversions
    assert env_file.exists()


def test_a_refused_conversion_writes_nothing_and_fails(tmp_path, capsys):
    env_file = tmp_path / ".env"
    with StandInGitHub() as github:
        github.refuse_conversion = True
        run = RegisterRun(["--webhook-url", WEBHOOK_URL, "--github-url", github.url, "--env-file", str(env_file), "--manifest", str(APP_YML)])
        page = browse(run.start())
        assert run.wait() == 1
    assert page.status_code == 502
    assert not env_file.exists()
    assert "GitHub refused the conversion (404" in capsys.readouterr().err


def test_registering_without_a_webhook_url_is_a_usage_error(tmp_path, capsys):
    assert main(["register", "--no-browser", "--manifest", str(APP_YML), "--env-file", str(tmp_path / ".env")]) == 2
    assert "--webhook-url" in capsys.readouterr().err


def test_a_missing_manifest_is_named(tmp_path, capsys):
    assert main(["register", "--no-browser", "--webhook-url", WEBHOOK_URL, "--manifest", str(tmp_path / "nope.yml")]) == 2
    assert "nope.yml not found" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("github_url", "api_url"),
    [("https://github.com", "https://api.github.com"), ("https://github.com/", "https://api.github.com"), ("https://ghe.acme.example", "https://ghe.acme.example/api/v3")],
)
def test_api_url_for_github_and_enterprise_server(github_url, api_url):
    assert api_url_for(github_url) == api_url


def test_new_app_url_carries_the_state_and_the_owner():
    assert new_app_url("https://github.com", None, "s1") == "https://github.com/settings/apps/new?state=s1"
    assert new_app_url("https://ghe.acme.example/", "acme", "s2") == "https://ghe.acme.example/organizations/acme/settings/apps/new?state=s2"


def test_the_manifest_homepage_defaults_to_the_webhook_host_when_app_yml_has_the_placeholder():
    manifest = build_manifest({"name": "AINAScan", "url": "https://example.com/ainascan", "hook_attributes": {"url": "https://example.com/hook"}}, WEBHOOK_URL, "http://127.0.0.1:1/callback")
    assert manifest["url"] == "https://ainascan.acme.example"
    assert manifest["hook_attributes"] == {"url": WEBHOOK_URL, "active": True}
    with pytest.raises(RegistrationError):
        build_manifest({"name": "AINAScan", "hook_attributes": {"url": "https://example.com/hook"}}, None, "http://127.0.0.1:1/callback")


def test_updated_env_text_replaces_in_place_drops_duplicates_and_appends():
    existing = "A=1\n# AINASCAN_APP_ID=commented stays\nAINASCAN_APP_ID=1\nAINASCAN_APP_ID=2\n\nB=2"
    text = updated_env_text(existing, {"AINASCAN_APP_ID": "9", "AINASCAN_PRIVATE_KEY": "line1\nline2"})
    assert text == "A=1\n# AINASCAN_APP_ID=commented stays\nAINASCAN_APP_ID=9\n\nB=2\n# Written by `ainascan register`.\nAINASCAN_PRIVATE_KEY=line1\\nline2\n"
    with pytest.raises(RegistrationError):
        updated_env_text("", {"AINASCAN_WEBHOOK_SECRET": "has$dollar"})
