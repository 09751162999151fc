"""HALLUCINATED_IMPORT: a top-level import of a package that the project neither has nor declares.

What it does:
    Flags a top-level `import x` / `from x import y` where `x` is not in the
    standard library, not a module of the scanned project, and not provided by
    any dependency its pyproject.toml, requirements files, setup.cfg, setup.py
    or Pipfile declare (import names are mapped to distribution names: `yaml`
    to PyYAML, `PIL` to Pillow, `sklearn` to scikit-learn ...). It runs only
    when the project's dependency files are known. Relative imports and
    imports guarded by `try/except ImportError`, `if TYPE_CHECKING` or any
    other condition are left alone.

Why it matters:
    AI assistants invent plausible package names (`import flask_oauth_helper`,
    `from pydantic_validators import email`), and attackers register such
    names on PyPI so that a hurried `pip install` runs their code. Even a real
    but undeclared package breaks the first clean install or deployment.

Example:
    # requirements.txt: fastapi, sqlalchemy
    import fastapi
    from fastapi_auth_helpers import require_user

Use instead:
    # requirements.txt: fastapi, sqlalchemy, fastapi-users
    import fastapi
    from fastapi_users import FastAPIUsers
"""

from __future__ import annotations

import ast
import sys
from typing import Iterator

from analyzer.model import Severity
from analyzer.project import normalize_distribution
from analyzer.registry import Report, rule

_ALWAYS_AVAILABLE = frozenset({"__future__", "__main__", "setuptools", "pkg_resources", "pip", "_typeshed", "typing_extensions"})

# Import name -> distributions that provide it, where the names differ.
_PROVIDERS: dict[str, tuple[str, ...]] = {
    "yaml": ("pyyaml",), "PIL": ("pillow",), "sklearn": ("scikit-learn",), "skimage": ("scikit-image",),
    "cv2": ("opencv-python", "opencv-python-headless", "opencv-contrib-python", "opencv-contrib-python-headless"),
    "bs4": ("beautifulsoup4",), "dateutil": ("python-dateutil",), "jwt": ("pyjwt",), "attr": ("attrs",),
    "googleapiclient": ("google-api-python-client",), "google": ("protobuf", "google-api-python-client", "google-auth"),
    "grpc": ("grpcio",), "Crypto": ("pycryptodome", "pycrypto"), "Cryptodome": ("pycryptodomex",),
    "OpenSSL": ("pyopenssl",), "nacl": ("pynacl",), "zmq": ("pyzmq",), "git": ("gitpython",), "MySQLdb": ("mysqlclient",),
    "psycopg2": ("psycopg2-binary", "psycopg2"), "psycopg": ("psycopg", "psycopg-binary"), "win32api": ("pywin32",),
    "win32con": ("pywin32",), "pythoncom": ("pywin32",), "dotenv": ("python-dotenv",), "multipart": ("python-multipart",),
    "jose": ("python-jose",), "ldap": ("python-ldap",), "slugify": ("python-slugify",), "socketio": ("python-socketio",),
    "engineio": ("python-engineio",), "magic": ("python-magic",), "docx": ("python-docx",), "pptx": ("python-pptx",),
    "fitz": ("pymupdf",), "websocket": ("websocket-client",), "serial": ("pyserial",), "usb": ("pyusb",),
    "dns": ("dnspython",), "gi": ("pygobject",), "wx": ("wxpython",), "kafka": ("kafka-python",), "memcache": ("python-memcached",),
    "mpl_toolkits": ("matplotlib",), "pylab": ("matplotlib",), "umap": ("umap-learn",), "faiss": ("faiss-cpu", "faiss-gpu"),
    "llama_cpp": ("llama-cpp-python",), "speech_recognition": ("speechrecognition",), "telegram": ("python-telegram-bot",),
    "discord": ("discord-py", "py-cord"), "github": ("pygithub",), "gitlab": ("python-gitlab",), "jenkins": ("python-jenkins",),
    "rest_framework": ("djangorestframework",), "corsheaders": ("django-cors-headers",), "django_filters": ("django-filter",),
    "debug_toolbar": ("django-debug-toolbar",), "environ": ("django-environ",), "storages": ("django-storages",),
    "crispy_forms": ("django-crispy-forms",), "allauth": ("django-allauth",), "rest_framework_simplejwt": ("djangorestframework-simplejwt",),
    "drf_spectacular": ("drf-spectacular",), "markdown": ("markdown",), "Levenshtein": ("python-levenshtein", "levenshtein"),
    "sentry_sdk": ("sentry-sdk",), "ruamel": ("ruamel-yaml",), "paho": ("paho-mqtt",), "Xlib": ("python-xlib",),
    "xdist": ("pytest-xdist",), "pytest_asyncio": ("pytest-asyncio",), "_pytest": ("pytest",), "tomli_w": ("tomli-w",),
    "bson": ("pymongo",), "gridfs": ("pymongo",), "azure": ("azure-core", "azure-identity", "azure-storage-blob"),
}
# Declared distribution -> import names it brings along (its own dependencies), so that using them is not flagged.
_BRINGS: dict[str, tuple[str, ...]] = {
    "fastapi": ("starlette", "pydantic", "pydantic_core", "anyio", "annotated_types"),
    "flask": ("werkzeug", "jinja2", "click", "itsdangerous", "markupsafe", "blinker"),
    "requests": ("urllib3", "certifi", "idna", "charset_normalizer"),
    "httpx": ("httpcore", "anyio", "sniffio", "certifi", "idna", "h11"),
    "django": ("asgiref", "sqlparse"),
    "uvicorn": ("h11", "click"),
    "celery": ("kombu", "billiard", "vine", "click"),
    "boto3": ("botocore", "s3transfer", "jmespath"),
    "pydantic": ("pydantic_core", "annotated_types"),
    "sqlalchemy": ("greenlet",),
    "pandas": ("numpy", "dateutil", "pytz", "tzdata"),
    "matplotlib": ("numpy", "PIL", "dateutil", "pyparsing", "cycler", "kiwisolver"),
    "scikit-learn": ("numpy", "scipy", "joblib", "threadpoolctl"),
    "scipy": ("numpy",),
    "transformers": ("huggingface_hub", "tokenizers", "numpy", "tqdm", "yaml", "requests", "safetensors", "regex", "filelock"),
    "torch": ("typing_extensions", "jinja2", "sympy", "networkx", "filelock", "fsspec"),
    "pytest": ("_pytest", "pluggy", "iniconfig"),
    "aiohttp": ("multidict", "yarl", "aiosignal", "frozenlist", "attr"),
    "openai": ("httpx", "pydantic", "anyio", "tqdm", "distro"),
    "anthropic": ("httpx", "pydantic", "anyio", "distro"),
    "githubkit": ("httpx", "pydantic", "hishel"),
    "rq": ("redis", "click"),
    "sphinx": ("docutils", "jinja2", "pygments", "babel"),
    "black": ("click",),
    "typer": ("click", "rich"),
    "streamlit": ("pandas", "numpy", "altair", "PIL", "requests", "tornado", "pyarrow"),
    "pydantic-settings": ("pydantic", "dotenv"),
    "google-cloud-storage": ("google",),
    "djangorestframework": ("django",),
    "flask-sqlalchemy": ("flask", "sqlalchemy"),
    "langchain": ("langchain_core", "pydantic", "yaml", "requests", "sqlalchemy", "numpy"),
    "respx": ("httpx",),
    "starlette": ("anyio",),
    "jinja2": ("markupsafe",),
    "werkzeug": ("markupsafe",),
}


@rule("HALLUCINATED_IMPORT", Severity.WARN, on=(ast.Import, ast.ImportFrom), precision=0.6)
def check(node: ast.Import | ast.ImportFrom, ctx) -> Iterator[Report] | None:
    project = ctx.project
    if project is None or not project.has_dependency_files or ctx.function is not None or ctx.is_test_file:
        return None
    return _findings(node, ctx)


def _findings(node: ast.Import | ast.ImportFrom, ctx) -> Iterator[Report]:
    if isinstance(node, ast.ImportFrom):
        if node.level or not node.module:
            return
        modules = [node.module]
    else:
        modules = [alias.name for alias in node.names]
    if _guarded(ctx.parents):
        return
    for module in modules:
        top = module.split(".", 1)[0]
        if _is_known(top, module, ctx):
            continue
        yield Report(
            line=node.lineno,
            end_line=node.end_lineno,
            message=f"`{module}` is imported on line {node.lineno} but is neither in the standard library, nor a module of this project, nor provided by a declared dependency",
            evidence=(node.lineno,),
        )


def _guarded(parents: list[ast.AST]) -> bool:
    """Inside a try (optional dependency), an `if` (TYPE_CHECKING, version or platform switch), or a class or function."""
    return any(isinstance(p, (ast.Try, ast.If, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef, ast.ExceptHandler)) or type(p).__name__ == "TryStar" for p in parents)


def _is_known(top: str, module: str, ctx) -> bool:
    if top in sys.stdlib_module_names or top in _ALWAYS_AVAILABLE:
        return True
    project = ctx.project
    if top in project.local_modules or top in ctx.path.split("/")[:-1] or ctx.filename.removesuffix(".py") == top:
        return True
    declared = project.declared_dependencies
    return bool(_candidate_distributions(top, module) & declared) or _brought_by(top, declared) or _namespace_member(top, declared)


def _candidate_distributions(top: str, module: str) -> set[str]:
    base = normalize_distribution(top)
    names = {base, f"python-{base}", f"py{base}", f"{base}-python", f"{base}py", f"django-{base}", f"flask-{base}", f"types-{base}"}
    names.update(_PROVIDERS.get(top, ()))
    parts = module.split(".")
    for size in (2, 3):
        if len(parts) >= size:
            names.add(normalize_distribution("-".join(parts[:size])))  # google.cloud.storage -> google-cloud-storage
    return names


def _brought_by(top: str, declared: frozenset[str]) -> bool:
    return any(top in _BRINGS.get(dist, ()) for dist in declared)


def _namespace_member(top: str, declared: frozenset[str]) -> bool:
    """`import google` / `import azure` with google-cloud-storage / azure-identity declared."""
    prefix = normalize_distribution(top) + "-"
    return any(dist.startswith(prefix) for dist in declared)
