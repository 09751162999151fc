"""`ainascan register`: create the GitHub App from app.yml with GitHub's App-manifest flow, as Probot does.

1. A one-use page on 127.0.0.1 posts the manifest (app.yml as JSON, with
   the deployment's webhook URL and a redirect back to this page) to
   GitHub's "new App" form, for the user's account or an organization.
2. The user names the App on GitHub and presses Create; GitHub redirects
   back here with a temporary `code` (and the `state` we sent, which is
   checked so no other page can feed us a code).
3. `POST /app-manifests/{code}/conversions` (no authentication: the code
   is the credential, valid for an hour and once) answers with the App's
   id, private key and webhook secret, which are written to the env file
   with mode 0600, keeping its other lines.

The private key goes into AINASCAN_PRIVATE_KEY on one line with `\\n` for
newlines (Settings turns them back), so the env file alone configures both
docker compose (`env_file:`) and a Kubernetes Secret (`--from-env-file`).
Neither the key nor the secret is ever printed.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import secrets
import sys
import tempfile
import threading
import webbrowser
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import yaml

DEFAULT_GITHUB_URL = "https://github.com"
DEFAULT_API_URL = "https://api.github.com"
CALLBACK_PATH = "/callback"
PLACEHOLDER_HOST = "example.com"
WAIT_SECONDS = 15 * 60


class RegistrationError(Exception):
    """The flow cannot go on: a bad option, a missing manifest, or GitHub refusing the conversion."""


# ---------------------------------------------------------------- pure parts


def api_url_for(github_url: str) -> str:
    """github.com's API is api.github.com; GitHub Enterprise Server serves it at https://HOST/api/v3."""
    github_url = github_url.rstrip("/")
    return DEFAULT_API_URL if github_url == DEFAULT_GITHUB_URL else f"{github_url}/api/v3"


def new_app_url(github_url: str, org: str | None, state: str) -> str:
    """Where the manifest is posted: the user's settings, or the organization's."""
    owner = f"/organizations/{org}" if org else ""
    return f"{github_url.rstrip('/')}{owner}/settings/apps/new?{urlencode({'state': state})}"


def build_manifest(app_yml: dict[str, Any], webhook_url: str | None, redirect_url: str, name: str | None = None) -> dict[str, Any]:
    """app.yml as GitHub's manifest, pointed at this deployment's webhook URL and back at the local page."""
    manifest = dict(app_yml)
    hook = dict(manifest.get("hook_attributes") or {})
    if webhook_url:
        hook["url"] = webhook_url
    hook_url = hook.get("url")
    if not hook_url or urlsplit(hook_url).hostname in (None, PLACEHOLDER_HOST):
        raise RegistrationError("pass --webhook-url: where GitHub will deliver webhooks (https://YOUR-HOST/api/github/webhooks)")
    hook.setdefault("active", True)
    manifest["hook_attributes"] = hook
    homepage = manifest.get("url")
    if not homepage or urlsplit(homepage).hostname == PLACEHOLDER_HOST:
        parts = urlsplit(hook_url)
        manifest["url"] = f"{parts.scheme}://{parts.netloc}"
    manifest["redirect_url"] = redirect_url
    if name:
        manifest["name"] = name
    return manifest


def form_page(action: str, manifest: dict[str, Any]) -> str:
    """The local page: a form carrying the manifest, submitted at once by a line of script (or by hand)."""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Register AINAScan on GitHub</title></head>
<body>
<h1>Register the AINAScan GitHub App</h1>
<p>Sending the App's manifest to GitHub. Choose the App's name there and press <em>Create GitHub App</em>.</p>
<form id="manifest-form" action="{html.escape(action, quote=True)}" method="post">
<input type="hidden" name="manifest" value="{html.escape(json.dumps(manifest), quote=True)}">
<button type="submit">Register on GitHub</button>
</form>
<script>document.getElementById("manifest-form").submit();</script>
</body></html>
"""


def message_page(title: str, body_html: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>
<body><h1>{html.escape(title)}</h1>{body_html}</body></html>
"""


def env_line_value(value: str) -> str:
    """A value for a KEY=VALUE line that docker compose, `docker run --env-file` and kubectl read alike: one unquoted line."""
    value = value.replace("\r\n", "\n").replace("\n", "\\n")
    if any(char in value for char in "\"'$#`"):
        raise RegistrationError("GitHub returned a credential with characters an env file cannot hold unquoted")
    return value


def updated_env_text(existing: str, values: dict[str, str]) -> str:
    """The env file with `values` set: existing assignments replaced in place, new ones appended, other lines kept."""
    remaining = dict(values)
    lines = []
    for line in existing.splitlines():
        key = line.split("=", 1)[0].strip() if "=" in line and not line.lstrip().startswith("#") else None
        if key in remaining:
            lines.append(f"{key}={env_line_value(remaining.pop(key))}")
        elif key not in values:
            lines.append(line)
    if remaining:
        lines.append("# Written by `ainascan register`.")
        lines.extend(f"{key}={env_line_value(value)}" for key, value in remaining.items())
    return "\n".join(lines) + "\n"


def write_private_file(path: Path, text: str) -> None:
    """Replace `path` with `text`, readable by its owner only (0600) from the first byte: a temporary file renamed over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def credentials_env(app: dict[str, Any], api_url: str) -> dict[str, str]:
    """The settings a conversion's answer gives the bot (see bot/settings.py)."""
    missing = [key for key in ("id", "pem", "webhook_secret") if not app.get(key)]
    if missing:
        raise RegistrationError(f"GitHub's answer lacks {', '.join(missing)}")
    values = {
        "AINASCAN_APP_ID": str(app["id"]),
        "AINASCAN_PRIVATE_KEY": app["pem"],
        "AINASCAN_WEBHOOK_SECRET": app["webhook_secret"],
    }
    if api_url.rstrip("/") != DEFAULT_API_URL:
        values["AINASCAN_GITHUB_API_URL"] = api_url.rstrip("/")
    return values


def install_url(app: dict[str, Any]) -> str:
    return f"{app['html_url'].rstrip('/')}/installations/new"


# ---------------------------------------------------------------- the flow


def convert(api_url: str, code: str, client: httpx.Client | None = None) -> dict[str, Any]:
    """Exchange the manifest code for the App's credentials (POST /app-manifests/{code}/conversions)."""
    owned = client is None
    client = client or httpx.Client(timeout=30.0)
    try:
        response = client.post(
            f"{api_url.rstrip('/')}/app-manifests/{code}/conversions",
            headers={"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "AINAScan"},
        )
    except httpx.HTTPError as exc:
        raise RegistrationError(f"could not reach GitHub's API at {api_url}: {exc.__class__.__name__}") from None
    finally:
        if owned:
            client.close()
    if response.status_code != 201:
        message = ""
        try:
            message = str(response.json().get("message", ""))[:200]
        except ValueError:
            pass
        raise RegistrationError(f"GitHub refused the conversion ({response.status_code} {message}); the code is valid for one hour and one use: run `ainascan register` again")
    return response.json()


@dataclass
class Registration:
    """One run of the manifest flow: what to post, where, and what came back."""

    manifest: dict[str, Any]
    action: str
    state: str
    api_url: str
    env_file: Path
    app: dict[str, Any] | None = None
    written: tuple[str, ...] = ()
    error: str | None = None
    finished: threading.Event = field(default_factory=threading.Event)

    def complete(self, code: str) -> None:
        """Exchange the code and write the env file; remember the App or the error."""
        try:
            app = convert(self.api_url, code)
            values = credentials_env(app, self.api_url)
            existing = self.env_file.read_text(encoding="utf-8") if self.env_file.exists() else ""
            write_private_file(self.env_file, updated_env_text(existing, values))
            self.app, self.written = app, tuple(values)
        except (RegistrationError, OSError) as exc:
            self.error = str(exc)
        self.finished.set()


def handler_for(registration: Registration) -> type[BaseHTTPRequestHandler]:
    class ManifestFlowHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            parts = urlsplit(self.path)
            if parts.path == "/":
                self._send(200, form_page(registration.action, registration.manifest))
            elif parts.path == CALLBACK_PATH:
                self._callback(parse_qs(parts.query))
            else:
                self._send(404, message_page("Not found", ""))

        def _callback(self, query: dict[str, list[str]]) -> None:
            state, code = query.get("state", [""])[0], query.get("code", [""])[0]
            if registration.finished.is_set():
                self._send(410, message_page("Already registered", "<p>This page has done its work; you can close it.</p>"))
            elif not secrets.compare_digest(state, registration.state) or not code:
                self._send(400, message_page("Not this registration", "<p>The answer does not carry this registration's state.</p>"))
            else:
                registration.complete(code)
                if registration.app is not None:
                    link = html.escape(install_url(registration.app), quote=True)
                    body = f'<p>The App is registered and its credentials are in the env file.</p><p><a href="{link}">Install it on your organization</a>.</p>'
                    self._send(200, message_page("AINAScan is registered", body))
                else:
                    self._send(502, message_page("Registration failed", f"<p>{html.escape(registration.error or '')}</p>"))

        def _send(self, status: int, page: str) -> None:
            body = page.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # the query string carries the code: keep it off the terminal
            pass

    return ManifestFlowHandler


def load_app_yml(path: Path) -> dict[str, Any]:
    try:
        manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegistrationError(f"{path} not found: run from the AINAScan checkout or pass --manifest PATH") from None
    except yaml.YAMLError as exc:
        raise RegistrationError(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(manifest, dict):
        raise RegistrationError(f"{path} is not a mapping")
    return manifest


def register(args: argparse.Namespace, out=None, open_browser: Callable[[str], Any] = webbrowser.open) -> int:
    """Run the flow for the command line's options; 0 once the env file holds the App's credentials."""
    out = out or sys.stdout
    github_url = args.github_url.rstrip("/")
    api_url = (args.api_url or api_url_for(github_url)).rstrip("/")
    server = HTTPServer(("127.0.0.1", args.port), BaseHTTPRequestHandler)
    serving: threading.Thread | None = None
    try:
        local_url = f"http://127.0.0.1:{server.server_port}"
        manifest = build_manifest(load_app_yml(Path(args.manifest)), args.webhook_url, local_url + CALLBACK_PATH, args.name)
        state = secrets.token_urlsafe(24)
        registration = Registration(manifest, new_app_url(github_url, args.org, state), state, api_url, Path(args.env_file))
        server.RequestHandlerClass = handler_for(registration)
        serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        serving.start()
        owner = f"the organization {args.org}" if args.org else "your account"
        print(f"Registering the GitHub App {manifest['name']!r} for {owner} on {github_url}.", file=out)
        print(f"Open {local_url}/ in a browser signed in to GitHub, then press Create GitHub App there.", file=out, flush=True)
        if not args.no_browser:
            open_browser(local_url + "/")
        if not registration.finished.wait(args.timeout):
            print(f"ainascan: no answer from GitHub within {args.timeout:g} seconds; nothing was written.", file=sys.stderr)
            return 1
    finally:
        if serving is not None:
            server.shutdown()
        server.server_close()
    if registration.app is None:
        print(f"ainascan: registration failed: {registration.error}", file=sys.stderr)
        return 1
    app = registration.app
    print(f"Registered {app.get('name', manifest['name'])!r} (App id {app['id']}, {app.get('html_url', '')}).", file=out)
    print(f"Wrote {', '.join(registration.written)} to {args.env_file} (mode 0600).", file=out)
    print(f"Install it on your organization: {install_url(app)}", file=out)
    return 0


def run(args: argparse.Namespace) -> int:
    """The `ainascan register` command (its options are declared in bot/cli.py)."""
    try:
        return register(args)
    except RegistrationError as exc:
        print(f"ainascan: {exc}", file=sys.stderr)
        return 2
