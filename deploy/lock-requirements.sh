#!/bin/sh
# Regenerate requirements.lock, the exact versions (with their hashes) the image installs.
# Run after changing [project] dependencies or [build-system] requires in pyproject.toml:
#   deploy/lock-requirements.sh
# pip-tools is a tool of this script only, installed in a throwaway virtual environment;
# it is not a dependency of AINAScan. tests/test_deploy.py checks the lock still satisfies pyproject.toml.
set -eu
cd "$(dirname "$0")/.."
tools="$(mktemp -d)"
trap 'rm -rf "$tools"' EXIT
"${PYTHON:-python3}" -m venv "$tools"
"$tools/bin/pip" install --quiet "pip-tools>=7.4"
# Extras stay in the pins (hishel[httpx]==...): pip's hash-checking mode needs them. --build-deps-for wheel:
# setuptools and wheel too, so the image builds AINAScan without downloading anything unlocked.
"$tools/bin/pip-compile" --quiet --generate-hashes --allow-unsafe \
  --no-emit-index-url --no-emit-find-links --build-deps-for wheel \
  --output-file requirements.lock pyproject.toml
echo "requirements.lock updated"
