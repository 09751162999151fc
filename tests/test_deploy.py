"""The deployment kit: Dockerfile, requirements.lock, deploy/docker-compose.yml, deploy/k8s/ and deploy/.env.example.

No Docker engine and no Kubernetes cluster run here, so:
- the Compose file is validated against the Compose Specification's JSON
  schema (vendored in the check-jsonschema package, a test extra), as
  `docker compose config` would check it;
- every Kubernetes manifest is validated against the Kubernetes JSON
  schemas shipped by kubernetes-validate (a test extra), in their strict
  form (no unknown fields), for several Kubernetes versions;
- both validators are first shown to reject a broken copy, so a pass means something;
- the image's build stage is run for real: the Dockerfile's COPY and RUN
  lines, in order, in a temporary directory (test_the_image_build_steps_run).
"""

from __future__ import annotations

import importlib.resources
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import tomllib
from copy import deepcopy
from pathlib import Path

import httpx
import jsonschema
import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.cli import add_server_commands
from bot.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
COMPOSE_FILE = DEPLOY / "docker-compose.yml"
ENV_EXAMPLE = DEPLOY / ".env.example"
DOCKERFILE = ROOT / "Dockerfile"
LOCK = ROOT / "requirements.lock"
KUBERNETES_VERSIONS = ("1.27", "1.30", "1.33")
SETTING_NAME = re.compile(r"\bAINASCAN_[A-Z0-9_]+")
SETTINGS = {f"AINASCAN_{name.upper()}" for name in Settings.model_fields}
SECRET_SETTINGS = {"AINASCAN_PRIVATE_KEY", "AINASCAN_WEBHOOK_SECRET", "AINASCAN_PRIVATE_KEY_PATH"}


def deploy_files() -> list[Path]:
    return sorted(path for path in DEPLOY.rglob("*") if path.is_file())


def manifests() -> list[tuple[str, dict]]:
    """(file name, document) for every Kubernetes object under deploy/k8s/, the kustomization excepted."""
    documents = []
    for path in sorted(K8S.rglob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        documents.extend((str(path.relative_to(K8S)), doc) for doc in yaml.safe_load_all(path.read_text()) if doc)
    return documents


def by_kind(kind: str) -> list[dict]:
    return [doc for _, doc in manifests() if doc["kind"] == kind]


def named(kind: str, name: str) -> dict:
    (found,) = [doc for doc in by_kind(kind) if doc["metadata"]["name"] == name]
    return found


def cli_parser():
    """The `ainascan` parser with the bot's commands, to check that every command line in deploy/ means what it says."""
    from analyzer.cli import build_parser

    parser, subparsers = build_parser("ainascan")
    add_server_commands(subparsers)
    return parser


def web_routes() -> set[str]:
    from bot.web import create_app

    app = create_app(load_settings(app_id=1, private_key="k", webhook_secret="s", redis_url="redis://127.0.0.1:1/0"))
    return {route.path for route in app.routes}


# ---------------------------------------------------------------- settings


def test_every_ainascan_variable_in_deploy_and_the_dockerfile_is_a_setting_the_bot_reads():
    used = {}
    for path in [*deploy_files(), DOCKERFILE]:
        for name in SETTING_NAME.findall(path.read_text(encoding="utf-8", errors="replace")):
            used.setdefault(name, path.relative_to(ROOT))
    assert used, "the deploy files name no setting at all"
    unknown = {name: str(path) for name, path in used.items() if name not in SETTINGS}
    assert unknown == {}


def test_the_env_example_documents_every_setting():
    documented = set(re.findall(r"^#? ?(AINASCAN_[A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    assert SETTINGS - documented == set()


def settings_from_environment(monkeypatch, variables: dict[str, str]) -> Settings:
    """Settings as the bot reads them: from the process environment, as docker compose or Kubernetes set it."""
    for name in [name for name in os.environ if name.startswith("AINASCAN_")]:
        monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return load_settings()


def test_the_env_example_once_filled_in_configures_the_bot(monkeypatch):
    lines = ENV_EXAMPLE.read_text().splitlines()
    active = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert set(active) == {"AINASCAN_APP_ID", "AINASCAN_PRIVATE_KEY", "AINASCAN_WEBHOOK_SECRET"}
    filled = {"AINASCAN_APP_ID": "12345", "AINASCAN_PRIVATE_KEY": "-----BEGIN KEY-----\\nabc\\n-----END KEY-----", "AINASCAN_WEBHOOK_SECRET": "s3cret"}
    commented = dict(line[2:].split("=", 1) for line in lines if line.startswith("# AINASCAN_") and "=" in line)
    commented.pop("AINASCAN_PRIVATE_KEY_PATH")  # the alternative to AINASCAN_PRIVATE_KEY, not a default
    with_commented_values = settings_from_environment(monkeypatch, {**commented, **filled})
    with_defaults = settings_from_environment(monkeypatch, filled)
    assert with_commented_values == with_defaults, "a commented value in .env.example is not the setting's default"
    assert with_defaults.private_key_pem() == "-----BEGIN KEY-----\nabc\n-----END KEY-----"


# ---------------------------------------------------------------- docker compose


@pytest.fixture(scope="module")
def compose_schema() -> dict:
    schema_file = importlib.resources.files("check_jsonschema").joinpath("builtin_schemas/vendor/compose-spec.json")
    schema = json.loads(schema_file.read_text(encoding="utf-8"))
    assert schema["$id"] == "compose_spec.json"
    return schema


def compose_errors(schema: dict, document: dict) -> list[str]:
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(document)]


def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


def test_the_compose_schema_rejects_a_broken_file(compose_schema):
    broken = compose()
    broken["services"]["worker"]["restart"] = ["always"]
    broken["services"]["web"]["envfile"] = ".env"
    errors = compose_errors(compose_schema, broken)
    assert any("services/worker/restart" in error for error in errors)
    assert any("envfile" in error for error in errors)


def test_the_compose_file_is_valid_by_the_compose_specification(compose_schema):
    assert compose_errors(compose_schema, compose()) == []


def test_compose_runs_web_scalable_workers_and_a_persistent_redis():
    services = compose()["services"]
    assert set(services) == {"web", "worker", "redis"}
    web, worker, redis = services["web"], services["worker"], services["redis"]
    assert web["image"] == worker["image"] and web["build"] == worker["build"]
    assert (DEPLOY / web["build"]["context"] / "Dockerfile").resolve() == DOCKERFILE
    # --scale worker=N needs workers without a fixed name or host port.
    assert "container_name" not in worker and "ports" not in worker
    assert worker["healthcheck"] == {"disable": True}
    for service in (web, worker):
        assert service["env_file"] == ".env"
        assert service["environment"]["AINASCAN_REDIS_URL"].startswith("redis://redis:")
        assert service["depends_on"]["redis"]["condition"] == "service_healthy"
    assert "--appendonly" in redis["command"] and redis["command"][redis["command"].index("--appendonly") + 1] == "yes"
    volume = redis["volumes"][0].split(":")
    assert volume[1] == "/data" and volume[0] in compose()["volumes"]
    parser = cli_parser()
    assert parser.parse_args(web["command"]).command == "serve"
    assert parser.parse_args(worker["command"]).command == "worker"
    assert web["ports"] == [f"8000:{parser.parse_args(web['command']).port}"]


# ---------------------------------------------------------------- Kubernetes


def kubernetes_errors(document: dict, version: str) -> str | None:
    import kubernetes_validate

    try:
        kubernetes_validate.validate(document, version, strict=True)
    except kubernetes_validate.ValidationError as error:
        return f"{'.'.join(map(str, error.path))}: {error.message}"
    return None


def test_the_kubernetes_schemas_reject_a_broken_manifest():
    web = deepcopy(named("Deployment", "ainascan-web"))
    container = web["spec"]["template"]["spec"]["containers"][0]
    container["readinesProbe"] = container.pop("readinessProbe")
    assert "readinesProbe" in kubernetes_errors(web, KUBERNETES_VERSIONS[-1])
    hpa = deepcopy(named("HorizontalPodAutoscaler", "ainascan-worker"))
    hpa["spec"]["maxReplicas"] = "ten"
    assert "ten" in kubernetes_errors(hpa, KUBERNETES_VERSIONS[-1])


@pytest.mark.parametrize("version", KUBERNETES_VERSIONS)
def test_every_kubernetes_manifest_is_valid_by_its_schema(version):
    import kubernetes_validate

    documents = manifests()
    assert {doc["kind"] for _, doc in documents} >= {"Deployment", "Service", "HorizontalPodAutoscaler", "StatefulSet", "Secret", "ConfigMap"}
    failures = {}
    for name, document in documents:
        try:
            problem = kubernetes_errors(document, version)
        except kubernetes_validate.SchemaNotFoundError as error:
            problem = error.message
        if problem:
            failures[f"{name}: {document['kind']}/{document['metadata']['name']}"] = problem
    assert failures == {}


def test_the_kustomization_lists_every_manifest_but_the_secret_template():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    listed = set(kustomization["resources"])
    on_disk = {path.name for path in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk
    assert all((K8S / name).is_file() for name in listed)
    assert {doc["metadata"]["namespace"] for _, doc in manifests() if doc["kind"] != "Namespace"} == {kustomization["namespace"]}
    images = {image["name"] for image in kustomization["images"]}
    for deployment in by_kind("Deployment"):
        assert {c["image"] for c in deployment["spec"]["template"]["spec"]["containers"]} <= images


def test_the_web_deployment_probes_routes_the_app_serves():
    web = named("Deployment", "ainascan-web")
    (container,) = web["spec"]["template"]["spec"]["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert {"/readyz", "/healthz", "/metrics"} <= web_routes()
    port_names = {port["name"]: port["containerPort"] for port in container["ports"]}
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"]["port"] in port_names
    args = cli_parser().parse_args(container["args"])
    assert args.command == "serve" and args.port == port_names["http"] and args.host == "0.0.0.0"


def test_services_select_the_pods_they_serve_and_the_hpa_scales_the_workers():
    pods = {doc["metadata"]["name"]: doc["spec"]["template"]["metadata"]["labels"] for doc in by_kind("Deployment") + by_kind("StatefulSet")}
    for workload in by_kind("Deployment") + by_kind("StatefulSet"):
        selector = workload["spec"]["selector"]["matchLabels"]
        assert selector.items() <= workload["spec"]["template"]["metadata"]["labels"].items()
    for service in by_kind("Service"):
        served = [name for name, labels in pods.items() if service["spec"]["selector"].items() <= labels.items()]
        assert len(served) == 1, service["metadata"]["name"]
    assert named("Service", "redis")["spec"]["clusterIP"] == "None" and named("StatefulSet", "redis")["spec"]["serviceName"] == "redis"
    hpa = named("HorizontalPodAutoscaler", "ainascan-worker")
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "ainascan-worker"}
    worker = named("Deployment", "ainascan-worker")["spec"]["template"]["spec"]["containers"][0]
    assert cli_parser().parse_args(worker["args"]).command == "worker"
    assert worker["resources"]["requests"]["cpu"], "a CPU-utilisation HPA needs a CPU request"


def test_redis_keeps_its_data_on_a_persistent_volume_claim():
    redis = named("StatefulSet", "redis")
    claims = {claim["metadata"]["name"] for claim in redis["spec"]["volumeClaimTemplates"]}
    (container,) = redis["spec"]["template"]["spec"]["containers"]
    assert {mount["name"] for mount in container["volumeMounts"]} <= claims
    assert container["args"][container["args"].index("--appendonly") + 1] == "yes"
    redis_url = named("ConfigMap", "ainascan-config")["data"]["AINASCAN_REDIS_URL"]
    assert redis_url.startswith(f"redis://{redis['spec']['serviceName']}:{container['ports'][0]['containerPort']}/")


def test_pods_run_as_non_root_and_take_settings_from_the_config_map_and_the_secret():
    secret = named("Secret", "ainascan-app")
    assert set(secret["stringData"]) == {"AINASCAN_APP_ID", "AINASCAN_PRIVATE_KEY", "AINASCAN_WEBHOOK_SECRET"}
    assert not SECRET_SETTINGS & set(named("ConfigMap", "ainascan-config")["data"])
    for deployment in by_kind("Deployment"):
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
        for container in pod["containers"]:
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            sources = [next(iter(source.values()))["name"] for source in container["envFrom"]]
            assert sources == ["ainascan-config", "ainascan-app"]  # the Secret last: its keys win


# ---------------------------------------------------------------- Dockerfile and lock


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    instructions = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            instructions.append((keyword.upper(), rest.strip()))
    return instructions


def stages() -> list[list[tuple[str, str]]]:
    result: list[list[tuple[str, str]]] = []
    for keyword, rest in dockerfile_instructions():
        if keyword == "FROM":
            result.append([])
        if result:
            result[-1].append((keyword, rest))
    return result


def test_the_image_runs_as_a_numeric_non_root_user_with_a_health_check_and_no_secret():
    final = stages()[-1]
    users = [rest for keyword, rest in final if keyword == "USER"]
    assert users and users[-1].split(":")[0].isdigit() and int(users[-1].split(":")[0]) != 0
    (healthcheck,) = [rest for keyword, rest in final if keyword == "HEALTHCHECK"]
    assert "/healthz" in healthcheck and "CMD" in healthcheck
    for keyword, rest in dockerfile_instructions():
        if keyword in ("ENV", "ARG", "LABEL"):
            assert not SETTING_NAME.search(rest), f"{keyword} {rest} bakes a setting into the image"
    (entrypoint,) = [json.loads(rest) for keyword, rest in final if keyword == "ENTRYPOINT"]
    (command,) = [json.loads(rest) for keyword, rest in final if keyword == "CMD"]
    assert entrypoint == ["ainascan"]
    assert cli_parser().parse_args(command).command == "serve"


def test_the_build_context_leaves_credentials_out():
    ignored = [line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert "deploy/.env" in ignored or "**/.env" in ignored
    assert "**/*.pem" in ignored
    for keyword, rest in dockerfile_instructions():
        if keyword == "COPY" and not rest.startswith("--from"):
            *sources, _destination = shlex.split(rest)
            for source in sources:
                assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
                assert source not in ignored


def locked_pins() -> dict[str, tuple[str, int]]:
    """Package name -> (pinned version, number of hashes) from requirements.lock (a pin may carry a marker: `; sys_platform ...`)."""
    pins = {}
    text = LOCK.read_text()
    for match in re.finditer(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s\\;]+)(?:\s*;[^\\\n]*)?((?:\s*\\\s*--hash=sha256:[0-9a-f]{64})*)", text, re.MULTILINE):
        pins[canonicalize_name(match.group(1))] = (match.group(2), match.group(3).count("--hash="))
    return pins


def test_the_lock_pins_every_dependency_with_hashes_and_satisfies_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pins = locked_pins()
    assert len(pins) >= 30
    assert all(hashes >= 1 for _version, hashes in pins.values())
    required = [*pyproject["project"]["dependencies"], *pyproject["build-system"]["requires"]]
    unsatisfied = []
    for line in required:
        requirement = Requirement(line)
        pinned = pins.get(canonicalize_name(requirement.name))
        if pinned is None or not requirement.specifier.contains(pinned[0], prereleases=True):
            unsatisfied.append(f"{line} (locked: {pinned and pinned[0]})")
    assert unsatisfied == [], "run deploy/lock-requirements.sh"


# ---------------------------------------------------------------- the image's build steps, run for real


def wheelhouse_for_lock() -> Path:
    """A directory of every locked wheel, downloaded once (hash-checked) and reused by later runs."""
    wheelhouse = Path(os.environ.get("AINASCAN_TEST_WHEELHOUSE", Path.home() / ".cache" / "ainascan" / "wheelhouse"))
    wheelhouse.mkdir(parents=True, exist_ok=True)
    present = {
        (canonicalize_name(wheel.name.split("-")[0]), wheel.name.split("-")[1]) for wheel in wheelhouse.glob("*.whl")
    }
    if all((name, version) in present for name, (version, _hashes) in locked_pins().items()):
        return wheelhouse
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--require-hashes", "--only-binary=:all:", "--no-deps", "-r", str(LOCK), "-d", str(wheelhouse)],
        check=True,
        timeout=600,
    )
    return wheelhouse


def rooted(command: str, root: Path) -> str:
    """An image path (/opt/..., /src) moved under `root`: the test's stand-in for the image's file system."""
    return re.sub(r"(^|\s)/(?=[\w.])", lambda match: f"{match.group(1)}{root}/", command)


@pytest.mark.image_build
@pytest.mark.skipif(os.environ.get("AINASCAN_SKIP_IMAGE_BUILD") == "1", reason="AINASCAN_SKIP_IMAGE_BUILD=1")
def test_the_image_build_steps_run(tmp_path, redis_url, redis_conn):
    """The Dockerfile's build stage, COPY and RUN lines in order, with the image's / moved to a temporary directory.

    Two deliberate differences from `docker build`: packages come from a
    local wheelhouse of the locked files (still hash-checked, no index), and
    pip skips compiling .pyc files (PIP_COMPILE=0), which only saves time.
    Then the HEALTHCHECK command is run against `ainascan serve` from the
    new environment, as Docker would run it in the container.
    """
    root = tmp_path / "image"
    env = {
        **os.environ,
        "PYTHON": sys.executable,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse_for_lock()),
        "PIP_COMPILE": "0",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    workdir = root
    ran = []
    build, final = stages()[0], stages()[-1]
    for keyword, rest in build:
        if keyword == "WORKDIR":
            workdir = Path(rooted(rest, root))
            workdir.mkdir(parents=True, exist_ok=True)
        elif keyword == "COPY":
            *sources, destination = shlex.split(rest)
            target = Path(rooted(destination, root)) if destination.startswith("/") else workdir / destination
            into_directory = destination.endswith("/") or destination == "." or len(sources) > 1
            for source in sources:
                path = ROOT / source
                if path.is_dir():  # Docker copies a directory's contents
                    shutil.copytree(path, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
                else:
                    into = target / path.name if into_directory else target
                    into.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, into)
        elif keyword == "RUN":
            command = rooted(rest, root)
            done = subprocess.run(["sh", "-c", command], cwd=workdir, env=env, capture_output=True, text=True, timeout=600)
            assert done.returncode == 0, f"RUN {rest}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            ran.append(rest)
    assert len(ran) == 2

    venv = root / "opt" / "ainascan"
    port = _free_port()
    settings_env = {**env, "AINASCAN_APP_ID": "1", "AINASCAN_PRIVATE_KEY": "k", "AINASCAN_WEBHOOK_SECRET": "s", "AINASCAN_REDIS_URL": redis_url}
    settings_env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    (healthcheck,) = [rest for keyword, rest in final if keyword == "HEALTHCHECK"]
    probe = json.loads(healthcheck[healthcheck.index("CMD") + 3 :].strip())
    probe = [part.replace(":8000/", f":{port}/") for part in probe]
    server = subprocess.Popen([str(venv / "bin" / "ainascan"), "serve", "--host", "127.0.0.1", "--port", str(port)], env=settings_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        _wait_for(f"http://127.0.0.1:{port}/healthz")
        assert subprocess.run(probe, env=settings_env, timeout=30).returncode == 0
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert subprocess.run(probe, env=settings_env, capture_output=True, timeout=30).returncode != 0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str) -> None:
    for _ in range(300):
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never answered")
