# One image for the web process and the worker; the command picks which:
#   docker build -t ainascan .
#   docker run --env-file deploy/.env -p 8000:8000 ainascan            # serve (the default command; AINASCAN_WEB_WORKERS processes)
#   docker run --env-file deploy/.env --no-healthcheck ainascan worker   # a worker serves no /healthz
# Dependencies are the exact versions of requirements.lock, every file's hash checked
# (deploy/lock-requirements.sh regenerates it). No secret is in the image: the App's
# credentials come from the environment when a container starts (deploy/.env, a Kubernetes Secret).
# tests/test_deploy.py runs this file's build-stage RUN lines in a temporary directory.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_ROOT_USER_ACTION=ignore
COPY deploy/install-image.sh /usr/local/bin/install-image
WORKDIR /src
# The dependencies first: this layer is rebuilt only when the lock changes.
COPY requirements.lock ./
RUN sh /usr/local/bin/install-image deps /opt/ainascan requirements.lock
COPY pyproject.toml README.md ./
COPY analyzer ./analyzer
COPY bot ./bot
RUN sh /usr/local/bin/install-image app /opt/ainascan /src

FROM ${PYTHON_IMAGE}
ENV PATH=/opt/ainascan/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 ainascan \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin ainascan
COPY --from=build /opt/ainascan /opt/ainascan
# A numeric user, so Kubernetes' runAsNonRoot can check it.
USER 10001:10001
WORKDIR /tmp
EXPOSE 8000
# The web process answers /healthz while it runs; the worker serves no HTTP (compose and Kubernetes turn this off for it).
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
  CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]
ENTRYPOINT ["ainascan"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
