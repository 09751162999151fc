#!/bin/sh
# The image's install steps. The Dockerfile runs them; tests/test_deploy.py runs the very same RUN lines in a
# temporary directory (no Docker engine there), so what the image installs is exercised on every test run.
#   install-image deps VENV LOCKFILE   the locked dependencies into a new virtual environment, every hash checked
#   install-image app VENV SOURCE      AINAScan itself, with nothing downloaded, then a consistency check
set -eu
step="$1"
venv="$2"
source="$3"
case "$step" in
  deps)
    "${PYTHON:-python3}" -m venv "$venv"
    # Wheels only: the slim image has no compiler, and a wheel installs the same bytes everywhere.
    "$venv/bin/pip" install --quiet --require-hashes --only-binary=:all: -r "$source"
    ;;
  app)
    # The build backend (setuptools, wheel) came from the lock: no build isolation, no index.
    "$venv/bin/pip" install --quiet --no-deps --no-build-isolation --no-index "$source"
    "$venv/bin/pip" check
    # The console script runs, and the server modules import with the locked versions (githubkit and hishel, say).
    "$venv/bin/ainascan" rules >/dev/null
    "$venv/bin/python" -c "import bot.web, bot.jobs, bot.metrics, bot.register"
    ;;
  *)
    echo "install-image: unknown step '$step' (deps or app)" >&2
    exit 2
    ;;
esac
