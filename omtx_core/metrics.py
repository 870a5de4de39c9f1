"""Prometheus metrics of one process: service and worker counters, store gauges read at scrape time, the endpoint."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from omtx_core.config import Settings
    from omtx_core.store.base import JobStore

log = logging.getLogger(__name__)
# Jobs take seconds to hours; Boltz runs from seconds (a cached small protein) to the 30-minute default limit.
JOB_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400)
RUN_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600)
_lock = threading.Lock()
_metrics: Metrics | None = None


class Metrics:
    """Every metric of the process, on its own registry (never the library's global one, so tests can build many)."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Histogram

        self.registry = CollectorRegistry()
        r = self.registry
        self.submitted = Counter("omtx_jobs_submitted", "Jobs submitted, by task.", ["task"], registry=r)
        self.cache_hits = Counter("omtx_cache_hits", "Submissions answered from an identical earlier job.", ["task"],
                                  registry=r)  # fmt: skip
        self.claimed = Counter("omtx_jobs_claimed", "Jobs a worker of this process took from the queue.", ["task"],
                               registry=r)  # fmt: skip
        self.completed = Counter("omtx_jobs_completed", "Jobs completed by a worker, by task.", ["task"], registry=r)
        self.failed = Counter("omtx_jobs_failed", "Jobs failed, by task and error kind.", ["task", "kind"], registry=r)
        self.job_seconds = Histogram("omtx_job_duration_seconds", "Time from a job's start to its end, by task.",
                                     ["task"], buckets=JOB_BUCKETS, registry=r)  # fmt: skip
        self.run_seconds = Histogram("omtx_engine_batch_duration_seconds", "Time of one engine batch of Boltz runs "
                                     "(start to finished or failed), by engine.", ["engine"], buckets=RUN_BUCKETS,
                                     registry=r)  # fmt: skip
        self.engine_calls = Counter("omtx_engine_calls", "Engine batches started, by engine.", ["engine"], registry=r)
        self.store_errors = Counter("omtx_store_errors", "Job store failures met, by where.", ["where"], registry=r)
        self.gauges = _StoreGauges(self)
        r.register(self.gauges)


class _StoreGauges:
    """Queue depth, running jobs and the outbox, asked of the store when scraped (one cheap count each)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics
        self.store: JobStore | None = None

    def describe(self) -> list:
        return []  # the families are built at scrape time; an empty description keeps registration from calling us

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import GaugeMetricFamily

        from omtx_core.domain.job import JobQuery, JobStatus

        store = self.store
        if store is None:
            return
        try:
            queued = store.list(JobQuery(status=JobStatus.PENDING, limit=1)).total
            running = store.list(JobQuery(status=JobStatus.RUNNING, limit=1)).total
        except Exception as exc:  # an unreachable store: say so in the scrape, never fail it
            log.warning("metrics: the job store cannot count jobs: %s", type(exc).__name__)
            self.metrics.store_errors.labels("metrics").inc()
            yield GaugeMetricFamily("omtx_store_up", "1 when the job store answered this scrape.", value=0)
        else:
            yield GaugeMetricFamily("omtx_store_up", "1 when the job store answered this scrape.", value=1)
            yield GaugeMetricFamily("omtx_queue_depth", "Jobs waiting for a worker.", value=queued)
            yield GaugeMetricFamily("omtx_jobs_running", "Jobs running on any worker.", value=running)
        outbox = getattr(store, "outbox", None)  # only the fallback store keeps one
        if outbox is not None:
            try:
                pending, parked = len(outbox), len(outbox.parked())
            except Exception:
                return
            family = GaugeMetricFamily("omtx_outbox_entries", "Local changes not yet in the shared store.",
                                       labels=["state"])  # fmt: skip
            family.add_metric(["pending"], pending)
            family.add_metric(["parked"], parked)
            yield family


def metrics() -> Metrics:
    """This process's metrics, made on first use."""
    global _metrics
    with _lock:
        if _metrics is None:
            _metrics = Metrics()
        return _metrics


def _guarded(record):
    """A recording function that never breaks the job it counts."""

    def call(*args: Any) -> None:
        try:
            record(metrics(), *args)
        except Exception:
            log.debug("could not record a metric", exc_info=True)

    return call


@_guarded
def job_submitted(m: Metrics, task: str, cache_hit: bool) -> None:
    m.submitted.labels(task).inc()
    if cache_hit:
        m.cache_hits.labels(task).inc()


job_claimed = _guarded(lambda m, task: m.claimed.labels(task).inc())
engine_call = _guarded(lambda m, engine: m.engine_calls.labels(engine).inc())
engine_batch_seconds = _guarded(lambda m, engine, seconds: m.run_seconds.labels(engine).observe(seconds))
store_error = _guarded(lambda m, where: m.store_errors.labels(where).inc())


def job_finished(job: Any) -> None:
    """Count a job a worker took to its end (completed or failed) and observe its duration."""
    try:
        m = metrics()
        status = getattr(job.status, "value", job.status)
        if status == "completed":
            m.completed.labels(job.task_type).inc()
        elif status == "failed":
            m.failed.labels(job.task_type, getattr(job.error, "kind", None) or "other").inc()
        else:
            return
        if job.duration_s is not None:
            m.job_seconds.labels(job.task_type).observe(max(0.0, job.duration_s))
    except Exception:
        log.debug("could not record a finished job", exc_info=True)


_server: tuple[int, Any] | None = None


def serve_metrics(settings: Settings, store: JobStore) -> int | None:
    """Serve /metrics on `settings.metrics_port` (all interfaces) with gauges read from `store`; None when off.

    Once per process: a later call (the app's resources rebuilt) points the gauges at the new store."""
    global _server
    if settings.metrics_port is None:
        return None
    m = metrics()
    m.gauges.store = store
    with _lock:
        if _server is None:
            from prometheus_client import start_http_server

            from omtx_core.errors import ConfigurationError

            try:
                server, _thread = start_http_server(settings.metrics_port, registry=m.registry)
            except OSError as exc:
                raise ConfigurationError(
                    f"Cannot serve metrics on port {settings.metrics_port}: {exc.strerror or exc}.",
                    "Choose a free port in OMTX_METRICS_PORT, or unset it to serve no metrics.",
                ) from None
            _server = (settings.metrics_port, server)
            log.info("metrics served on port %d at /metrics", settings.metrics_port)
        return _server[0]


def serve_metrics_or_warn(settings: Settings, store: JobStore) -> int | None:
    """serve_metrics for a process that must start anyway (the app): a busy port is logged, not raised."""
    try:
        return serve_metrics(settings, store)
    except Exception as exc:
        log.warning("metrics are not served: %s", exc)
        return None


def scrape() -> bytes:
    """The text a scrape would read now (for tests and the System page)."""
    from prometheus_client import generate_latest

    return generate_latest(metrics().registry)
