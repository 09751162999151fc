"""Prometheus metrics for the whole deployment, kept in Redis so that every process can add to them.

Why Redis and not prometheus-client's in-process registry or its multiprocess
mode: each review runs in an rq work-horse, a process forked for one job and
gone when the job ends, and the workers run in other containers (other pods,
often other hosts) than the web process that Prometheus scrapes. Counts kept
in a work-horse's memory die with it; PROMETHEUS_MULTIPROC_DIR shares a
directory, which processes on different hosts do not have. Redis is the one
thing every process already shares. So each process adds its increments to
Redis hashes (HINCRBY, HINCRBYFLOAT: atomic, so concurrent writers never lose
a count), and `GET /metrics` on any web replica reads them back and renders
them with prometheus-client's exposition code. Every replica answers with the
same deployment-wide totals: scrape one of them (the Service), and do not sum
across replicas. Queue depth and worker count are read from rq at scrape time.

Recording never fails or slows the caller's work for long: when Redis does not
answer, a process keeps its increments and adds them at its next successful
write (a work-horse that exits first loses them: metrics are not worth a
retry loop in a review job). The web process counts its webhooks in memory
(BatchedMetricsStore) and adds them to Redis in one write a second and at
shutdown, so that counting costs a webhook no round trip of its own.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric as MetricFamily

log = logging.getLogger(__name__)

KEY_PREFIX = "ainascan:metrics:"
MAX_LABEL_CHARS = 64


@dataclass(frozen=True)
class Metric:
    """One metric's name, kind (counter, gauge or histogram), help text, label names and histogram buckets."""

    name: str
    kind: str
    documentation: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = ()


WEBHOOKS_RECEIVED = Metric(
    "ainascan_webhooks_received",
    "counter",
    "Webhook deliveries received, by event and outcome (queued, collapsed, duplicate, ignored, pong, unavailable, "
    "refused:<HTTP status>). Deliveries refused before their signature is verified count under event 'unverified'.",
    ("event", "outcome"),
)
JOBS = Metric("ainascan_jobs", "counter", "Review jobs finished, by outcome (the job's status, or 'error' when it raised).", ("outcome",))
JOB_DURATION = Metric(
    "ainascan_job_duration_seconds",
    "histogram",
    "Wall-clock seconds one review job took, from start to its outcome.",
    buckets=(0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600),
)
GITHUB_CALLS = Metric("ainascan_github_api_calls", "counter", "Responses from GitHub's API, by HTTP status.", ("status",))
GITHUB_RATE_LIMIT_REMAINING = Metric(
    "ainascan_github_rate_limit_remaining",
    "gauge",
    "Requests left in GitHub's rate-limit window as of the latest response, by installation ('app' for the App's own JWT calls) and resource.",
    ("installation", "resource"),
)
FINDINGS_POSTED = Metric("ainascan_findings_posted", "counter", "Findings posted as inline review comments, by severity.", ("severity",))
STORED_METRICS = (WEBHOOKS_RECEIVED, JOBS, JOB_DURATION, GITHUB_CALLS, GITHUB_RATE_LIMIT_REMAINING, FINDINGS_POSTED)

QUEUE_JOBS = Metric("ainascan_queue_jobs", "gauge", "Jobs on the review queue, by state (queued, started, scheduled, deferred, failed).", ("state",))
WORKERS = Metric("ainascan_workers", "gauge", "rq workers registered on the review queue.")


def _field(values: Iterable[str]) -> str:
    return json.dumps(list(values), separators=(",", ":"))


def label_values(metric: Metric, labels: Mapping[str, Any]) -> tuple[str, ...]:
    """The metric's label values in declaration order, as short strings; a missing or unknown label is a programming error."""
    if set(labels) != set(metric.labels):
        raise ValueError(f"{metric.name} takes labels {metric.labels}, got {tuple(labels)}")
    return tuple(str(labels[name])[:MAX_LABEL_CHARS] for name in metric.labels)


def bucket_for(metric: Metric, value: float) -> str:
    """The `le` of the smallest bucket holding `value` ('+Inf' above the last)."""
    for bound in metric.buckets:
        if value <= bound:
            return repr(float(bound))
    return "+Inf"


class MetricsStore:
    """Counters, gauges and histograms in Redis hashes, one hash per metric (and per histogram part)."""

    def __init__(self, connection: redis.Redis, prefix: str = KEY_PREFIX) -> None:
        self.connection = connection
        self.prefix = prefix
        self._lock = threading.Lock()
        self._pending_increments: Counter[tuple[str, str]] = Counter()
        self._pending_values: dict[tuple[str, str], float] = {}

    def key(self, metric: Metric, part: str = "") -> str:
        return f"{self.prefix}{metric.name}{':' + part if part else ''}"

    # ------------------------------------------------------------ writing

    def increment(self, metric: Metric, amount: float = 1, **labels: Any) -> None:
        self._write(increments={(self.key(metric), _field(label_values(metric, labels))): amount})

    def set_gauge(self, metric: Metric, value: float, **labels: Any) -> None:
        self._write(values={(self.key(metric), _field(label_values(metric, labels))): float(value)})

    def observe(self, metric: Metric, value: float, **labels: Any) -> None:
        values = label_values(metric, labels)
        self._write(
            increments={
                (self.key(metric, "bucket"), _field((*values, bucket_for(metric, value)))): 1,
                (self.key(metric, "sum"), _field(values)): float(value),
                (self.key(metric, "count"), _field(values)): 1,
            }
        )

    def _write(self, increments: Mapping[tuple[str, str], float] | None = None, values: Mapping[tuple[str, str], float] | None = None) -> None:
        """Send these writes and any kept from earlier failures in one round trip; keep them all if Redis fails."""
        self._keep(increments, values)
        self.flush()

    def _keep(self, increments: Mapping[tuple[str, str], float] | None, values: Mapping[tuple[str, str], float] | None) -> None:
        with self._lock:
            self._pending_increments.update(increments or {})
            self._pending_values.update(values or {})

    def flush(self) -> None:
        """Send every write kept in memory in one round trip (none when there is nothing to send); keep them if Redis fails."""
        with self._lock:
            if not self._pending_increments and not self._pending_values:
                return
            batch_increments, batch_values = dict(self._pending_increments), dict(self._pending_values)
            self._pending_increments.clear()
            self._pending_values.clear()
        pipe = self.connection.pipeline(transaction=False)
        for (key, field), amount in batch_increments.items():
            pipe.hincrbyfloat(key, field, amount)  # float throughout: one field may take 1 and later 0.25
        for (key, field), value in batch_values.items():
            pipe.hset(key, field, value)
        try:
            pipe.execute()
        except redis.ResponseError as exc:  # Redis answered, and refused: keeping the writes would only repeat it
            log.warning("metrics dropped, Redis refused them: %s", exc)
        except redis.RedisError as exc:
            with self._lock:
                self._pending_increments.update(batch_increments)
                for item, value in batch_values.items():
                    self._pending_values.setdefault(item, value)  # a newer value set meanwhile wins
            log.warning("metrics kept in memory, Redis did not take them: %s", exc.__class__.__name__)

    @property
    def pending(self) -> int:
        """How many writes wait for Redis to come back."""
        with self._lock:
            return len(self._pending_increments) + len(self._pending_values)

    # ------------------------------------------------------------ reading

    def read(self, metric: Metric, part: str = "") -> dict[tuple[str, ...], float]:
        """Label values -> value for one metric (or one part of a histogram). Raises redis.RedisError."""
        stored = self.connection.hgetall(self.key(metric, part))
        return {tuple(json.loads(field)): float(value) for field, value in stored.items()}

    def families(self) -> Iterator[MetricFamily]:
        """Every stored metric as a prometheus-client metric family (a metric never recorded shows with no samples)."""
        for metric in STORED_METRICS:
            if metric.kind == "histogram":
                yield self._histogram(metric)
                continue
            family = (CounterMetricFamily if metric.kind == "counter" else GaugeMetricFamily)(
                metric.name, metric.documentation, labels=metric.labels
            )
            for values, value in sorted(self.read(metric).items()):
                family.add_metric(list(values), value)
            yield family

    def _histogram(self, metric: Metric) -> HistogramMetricFamily:
        family = HistogramMetricFamily(metric.name, metric.documentation, labels=metric.labels)
        buckets, sums = self.read(metric, "bucket"), self.read(metric, "sum")
        for values, count in sorted(self.read(metric, "count").items()):
            cumulative, samples = 0.0, []
            for bound in [repr(float(b)) for b in metric.buckets]:
                cumulative += buckets.get((*values, bound), 0.0)
                samples.append((bound, cumulative))
            samples.append(("+Inf", count))
            family.add_metric(list(values), samples, sums.get(values, 0.0))
        return family


class BatchedMetricsStore(MetricsStore):
    """A MetricsStore that only counts in memory; its owner calls `flush()` now and then, and at shutdown.

    The web process counts every webhook: a Redis round trip for each would
    cost as much as queueing the webhook itself. The totals still live in
    Redis (every process, every replica adds its own), only later: at most
    one flush interval, and at once for the process's own `/metrics` page.
    """

    def _write(self, increments=None, values=None) -> None:
        self._keep(increments, values)


def queue_families(queue) -> list[MetricFamily]:
    """Queue depth by state and the number of workers, read from rq now (no registry cleanup: that is the workers' job)."""
    from rq import Worker

    depth = GaugeMetricFamily(QUEUE_JOBS.name, QUEUE_JOBS.documentation, labels=QUEUE_JOBS.labels)
    depth.add_metric(["queued"], queue.count)
    registries = {
        "started": queue.started_job_registry,
        "scheduled": queue.scheduled_job_registry,
        "deferred": queue.deferred_job_registry,
        "failed": queue.failed_job_registry,
    }
    for state, registry in registries.items():
        depth.add_metric([state], registry.get_job_count(cleanup=False))
    workers = GaugeMetricFamily(WORKERS.name, WORKERS.documentation)
    workers.add_metric([], Worker.count(connection=queue.connection, queue=queue))
    return [depth, workers]


class _Snapshot:
    """A prometheus-client collector that yields families read once, for one scrape."""

    def __init__(self, families: list[MetricFamily]) -> None:
        self._families = families

    def collect(self) -> list[MetricFamily]:
        return self._families


def render(store: MetricsStore, queue=None) -> bytes:
    """The Prometheus text exposition of the stored metrics (and of the queue, if given). Raises redis.RedisError."""
    families = list(store.families())
    if queue is not None:
        families.extend(queue_families(queue))
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Snapshot(families))
    return generate_latest(registry)


# ---------------------------------------------------------------- the worker's side


_default_store: MetricsStore | None = None


class UnconfiguredStore(MetricsStore):
    """Where counts go when the process has no settings (a library caller, a unit test): nowhere.

    A metric must never fail the work it measures, and a missing
    configuration is reported by the process that needs it, not here.
    """

    def __init__(self) -> None:
        super().__init__(connection=None)  # type: ignore[arg-type]

    def _write(self, increments=None, values=None) -> None:
        return None


def default_store() -> MetricsStore:
    """The store on Settings.redis_url, built once per process (redis-py reconnects after rq forks a work-horse)."""
    global _default_store
    if _default_store is None:
        from bot.settings import SettingsError, get_settings

        try:
            redis_url = get_settings().redis_url
        except SettingsError:
            return UnconfiguredStore()  # not kept: a later call may find the settings
        # One quick attempt: a review job must not wait on Redis for a metric (redis-py's default retries take seconds).
        connection = redis.Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=2, retry=Retry(NoBackoff(), 0))
        _default_store = MetricsStore(connection)
    return _default_store


def use_store(store: MetricsStore | None) -> None:
    """Make `store` the one the record_* functions use by default (None: build it from the settings again)."""
    global _default_store
    _default_store = store


def record_webhook(event: str, outcome: str, store: MetricsStore | None = None) -> None:
    (store or default_store()).increment(WEBHOOKS_RECEIVED, event=event, outcome=outcome)


def record_job(outcome: str, seconds: float, store: MetricsStore | None = None) -> None:
    """One finished job: counted by outcome, its duration observed."""
    store = store or default_store()
    store.increment(JOBS, outcome=outcome)
    store.observe(JOB_DURATION, seconds)


def record_github_call(status: int | str, remaining: int | None = None, resource: str | None = None, installation: str = "app", store: MetricsStore | None = None) -> None:
    """One response from GitHub: counted by status; the rate-limit budget left, when the response says."""
    store = store or default_store()
    store.increment(GITHUB_CALLS, status=status)
    if remaining is not None:
        store.set_gauge(GITHUB_RATE_LIMIT_REMAINING, remaining, installation=installation, resource=resource or "core")


def record_findings_posted(severity: str, count: int, store: MetricsStore | None = None) -> None:
    if count > 0:
        (store or default_store()).increment(FINDINGS_POSTED, count, severity=severity)


def record_comments_posted(comments: Iterable[Any], store: MetricsStore | None = None) -> None:
    """Count posted inline comments by their `severity` (a Severity, or its name)."""
    by_severity = Counter(getattr(c.severity, "name", str(c.severity)) for c in comments)
    for severity, count in by_severity.items():
        record_findings_posted(severity, count, store=store)


def github_event_hooks(installation_id: int | None = None, store: MetricsStore | None = None) -> dict[str, list[Callable]]:
    """httpx event hooks (githubkit's `event_hooks=`) that record every GitHub response.

    Calls under /app (the App's own JWT calls, such as minting installation
    tokens) have the App's budget, not the installation's, so they are
    labelled installation="app".
    """

    def record_response(response) -> None:
        path = response.request.url.path
        own = installation_id is None or path.startswith("/app/") or path.startswith("/app-manifests/") or path == "/app"
        remaining = response.headers.get("x-ratelimit-remaining")
        try:
            record_github_call(
                response.status_code,
                int(remaining) if remaining is not None and remaining.isdigit() else None,
                response.headers.get("x-ratelimit-resource"),
                installation="app" if own else str(installation_id),
                store=store,
            )
        except Exception:  # a metric must never fail a request
            log.debug("could not record a GitHub response", exc_info=True)

    return {"response": [record_response]}


Job = TypeVar("Job", bound=Callable[..., Any])


def measured_job(job: Job) -> Job:
    """Decorate an RQ job function: count its outcome (its result's `status`, or 'error') and time it."""

    @functools.wraps(job)
    def measured(*args: Any, **kwargs: Any) -> Any:
        started = time.monotonic()
        outcome = "error"
        try:
            result = job(*args, **kwargs)
            outcome = str(result.get("status", "done")) if isinstance(result, Mapping) else "done"
            return result
        finally:
            try:
                record_job(outcome, time.monotonic() - started)
            except Exception:
                log.debug("could not record a job outcome", exc_info=True)

    return measured  # type: ignore[return-value]
