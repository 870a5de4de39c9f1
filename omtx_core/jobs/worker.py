"""The worker: claims jobs under a lease, runs their plan on an engine, stores results; never loses a job."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from omtx_core import metrics
from omtx_core.cache import HotCache
from omtx_core.config import Settings
from omtx_core.domain.job import Job, utcnow
from omtx_core.engines.base import Engine
from omtx_core.errors import OmtxError
from omtx_core.jobs.job_run import JobRun
from omtx_core.logs import job_context
from omtx_core.store.base import ArtifactStore, JobStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerTiming:
    """How often the worker polls and heartbeats, and how it backs off; tests shorten these."""

    poll_s: float = 2.0
    idle_s: float = 5.0
    retry_backoff_s: float = 30.0
    log_every_s: float = 10.0
    partial_every_s: float = 10.0  # how often finished runs of a running job are published (live screen table)
    failing_max_s: float = 60.0  # the longest pause between tries while the store keeps failing


def new_worker_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"


class Worker:
    """Runs claimed jobs one at a time per thread; `run` starts `concurrency` threads until `stop` is set."""

    def __init__(
        self,
        store: JobStore,
        artifacts: ArtifactStore,
        engine: Engine,
        settings: Settings,
        *,
        worker_id: str | None = None,
        timing: WorkerTiming | None = None,
        clock: Callable[[], datetime] = utcnow,
        hot: HotCache | None = None,
    ) -> None:
        self.store, self.artifacts, self.engine, self.settings = store, artifacts, engine, settings
        self.hot = hot or HotCache(None, settings.cache_ttl_s)
        self.worker_id = worker_id or new_worker_id()
        self.timing = timing or WorkerTiming(poll_s=settings.worker_poll_s, idle_s=settings.worker_poll_s * 2.5)
        self.clock = clock
        self.stop = threading.Event()

    def run(self, concurrency: int = 1) -> None:
        """Work until `self.stop` is set; each thread holds at most one job."""
        threads = [
            threading.Thread(target=self._loop, name=f"omtx-worker-{i}", daemon=True) for i in range(concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _loop(self) -> None:
        outage = _Outage(self.timing)
        while not self.stop.is_set():
            try:
                job = self.run_once()
            except Exception as exc:  # a store outage must not kill the worker; the lease protects the job
                self.stop.wait(outage.failed(exc))
                continue
            outage.over()
            if job is None:
                self.stop.wait(self.timing.idle_s)

    def run_once(self) -> Job | None:
        """Claim one job and take it to an end state (or hand it back); None when there was nothing to do."""
        if self.engine.unavailable_reason() is not None:
            return None  # jobs stay pending until an engine is configured
        job = self.store.claim_next(
            self.worker_id, self.settings.lease_s, max_running=self.settings.max_concurrent, now=self.clock()
        )
        if job is None:
            return None
        metrics.job_claimed(job.task_type)
        with job_context(job):  # every log line of this job names it, its task and its owner
            log.info("job claimed by %s (attempt %d)", self.worker_id, job.attempts)
            if job.attempts > self.settings.max_attempts:  # every earlier worker stopped before the job ended
                return JobRun(self, job).give_up()
            return JobRun(self, job).execute()


class _Outage:
    """Consecutive failures of one worker thread's loop: said once in the log, waited out with growing pauses."""

    def __init__(self, timing: WorkerTiming) -> None:
        self.timing = timing
        self.failures = 0
        self.since = 0.0
        self.said = ""

    def failed(self, exc: Exception) -> float:
        """Log the failure if it is new (one line; a traceback only for a bug) and return the pause before the
        next try: doubling from the idle pause up to `failing_max_s`."""
        pause = min(self.timing.idle_s * 2**self.failures, self.timing.failing_max_s)
        if not self.failures:
            self.since = time.monotonic()
        self.failures += 1
        metrics.store_error("worker")
        said = str(exc) if isinstance(exc, OmtxError) else f"{type(exc).__name__}: {exc}"
        if said != self.said:
            self.said = said
            bug = None if isinstance(exc, OmtxError) else exc  # an OmtxError says all there is to say
            log.warning("the worker cannot take jobs now: %s; trying again with growing pauses", said, exc_info=bug)
        return pause

    def over(self) -> None:
        if self.failures:
            seconds = time.monotonic() - self.since
            log.info("the job store is back after %.0f s of failures; the worker goes on", seconds)
        self.failures, self.said = 0, ""
