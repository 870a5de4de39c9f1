"""The worker: claims jobs under a lease, runs their plan on an engine, stores results; never loses a job."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from omtx_core.boltz.msa import generated_msas, next_phase
from omtx_core.boltz.plan import BoltzRun
from omtx_core.cache import HotCache, MsaCache
from omtx_core.config import Settings
from omtx_core.domain.job import Job, JobError, JobStatus, utcnow
from omtx_core.domain.layout import JobFiles
from omtx_core.domain.results import AnalysisFailed, TaskAnalysis
from omtx_core.engines.base import Engine, EngineBatch, EngineRun, EngineState, EngineStatus
from omtx_core.errors import EngineError, InputError, StaleJobError
from omtx_core.jobs.results import collect, job_summary, store_results
from omtx_core.store.base import ArtifactStore, JobStore
from omtx_core.tasks import ValidatedInput, validate_task_input

log = logging.getLogger(__name__)


@dataclass
class _Partial:
    """Runs of a running job already published for the live view."""

    root: Path
    predictions: dict = field(default_factory=dict)
    published_at: datetime | None = None
    enabled: bool = True
    count: int = 0

    def next_folder(self) -> Path:
        self.count += 1
        return self.root / str(self.count)


class LeaseLost(Exception):
    """The job was cancelled, or another worker took it over after our lease expired: stop quietly."""


class ShutdownRequested(Exception):
    """The worker is stopping (SIGTERM): hand the job back so another worker finishes it."""


class JobFailed(Exception):
    """The job cannot succeed; carries the reason stored on it."""

    def __init__(self, error: JobError) -> None:
        super().__init__(error.message)
        self.error = error


@dataclass(frozen=True)
class WorkerTiming:
    """How often the worker polls and heartbeats, and how it backs off; tests shorten these."""

    poll_s: float = 2.0
    idle_s: float = 5.0
    retry_backoff_s: float = 30.0
    log_every_s: float = 10.0
    partial_every_s: float = 10.0  # how often finished runs of a running job are published (live screen table)


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
        while not self.stop.is_set():
            try:
                job = self.run_once()
            except Exception:  # a store outage must not kill the worker; the lease protects the job
                log.exception("worker loop error; retrying")
                job = None
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
        return _JobRun(self, job).execute()


class _JobRun:
    """One claimed job: plan it, drive the engine with heartbeats, store the outcome."""

    def __init__(self, worker: Worker, job: Job) -> None:
        self.w = worker
        self.job = job
        self.files = JobFiles(job.id)
        self.call_ids: list[str] = list(job.engine_call_ids)
        self.done_before = 0  # runs finished in earlier phases of this job
        self.logs: list[str] = []  # engine logs of finished phases
        self.logged_calls: list[str] = []
        self.last_log = ""
        self.last_log_at = worker.clock()

    def execute(self) -> Job | None:
        try:
            return self._execute()
        except LeaseLost:
            self._cancel_engine()
            return self.w.store.get(self.job.id)
        except ShutdownRequested:
            self._cancel_engine()
            return self._update({"status": JobStatus.PENDING, "lease_owner": None, "lease_expires_at": None,
                                 "engine_call_ids": []})  # fmt: skip
        except JobFailed as failed:
            self._cancel_engine()
            self._save_log()
            return self._finish(JobStatus.FAILED, {"error": failed.error})
        except Exception as exc:  # an unexpected bug: fail the job with a reason rather than loop on it
            log.exception("job %s failed unexpectedly", self.job.id)
            self._cancel_engine()
            error = JobError(kind="internal", message="The job stopped because of an error on our side.",
                             details=f"{type(exc).__name__}: {exc}")  # fmt: skip
            return self._finish(JobStatus.FAILED, {"error": error})

    def _execute(self) -> Job | None:
        try:
            validated = validate_task_input(self.job.task_type, self.job.input, self.w.settings)
        except InputError as exc:
            error = JobError(kind="input", message="The stored input is no longer valid.", details=str(exc))
            raise JobFailed(error) from None
        plan = validated.plan
        self.validated = validated
        self._cancel_engine()  # a previous attempt's engine calls, if its worker died
        for run in plan.runs:
            self.w.artifacts.put(self.files.boltz_input(run.name), run.yaml_text.encode(), "text/yaml")
        with tempfile.TemporaryDirectory(prefix="omtx-out-") as tmp:
            self.partial = _Partial(Path(tmp) / "partial")
            result_dirs = self._run_phases(list(plan.runs), Path(tmp))
            return self._store_outcome(validated, result_dirs)

    def _run_phases(self, runs: list[BoltzRun], tmp: Path) -> list[Path]:
        """Run the plan in as few engine calls as MSA reuse allows: runs that need a protein's MSA from the server
        go first (one per protein), then every other run reuses the cached MSAs in one batch."""
        msas = MsaCache(self.w.artifacts)
        result_dirs: list[Path] = []
        reuse = True
        while runs:
            wanted = {s for run in runs if run.input.needs_msa_server for s in run.input.protein_sequences}
            cached = msas.lookup(wanted) if wanted and reuse else {}
            now, runs = next_phase(runs, set(cached)) if reuse else (runs, [])
            self._run_with_retries(self._batch(now, cached))
            dirs = self.w.engine.fetch_outputs(self.call_ids, tmp / f"phase{len(result_dirs)}-{self.done_before}")
            result_dirs += dirs
            self.partial.predictions.update(collect(dirs, [run.name for run in now], "").predictions)
            self.logs.append(self.w.engine.read_log(self.call_ids))
            self.logged_calls = list(self.call_ids)
            fresh = generated_msas(dirs, wanted - set(cached))
            msas.save(fresh)
            reuse = bool(fresh) or not (wanted - set(cached))  # the server gave nothing: stop waiting on it
            self.done_before += len(now)
        return result_dirs

    def _batch(self, runs: list[BoltzRun], cached: dict[str, bytes]) -> EngineBatch:
        engine_runs = tuple(
            EngineRun(
                run.name,
                run.yaml_text,
                tuple(run.cli_args()),
                msas=tuple((name, cached[sequence]) for sequence, name in run.input.msa_files),
                tokens=run.tokens,
            )
            for run in runs
        )
        limit = self.w.engine.time_limit_s(engine_runs, self.w.settings.run_timeout_s)
        return EngineBatch(self.job.id, engine_runs, timeout_s=limit)

    def _run_with_retries(self, batch: EngineBatch) -> None:
        for attempt in range(1, self.w.settings.max_attempts + 1):
            try:
                self._run_batch(batch)
                return
            except EngineError as exc:
                if not exc.transient or attempt == self.w.settings.max_attempts:
                    raise JobFailed(JobError(kind="engine", message=exc.message, details=exc.hint)) from None
                self._note(f"Transient engine error ({exc.message}); retry {attempt + 1} follows.")
                self._cancel_engine()
                self._wait(self.w.timing.retry_backoff_s * 2 ** (attempt - 1))

    def _run_batch(self, batch: EngineBatch) -> None:
        self.call_ids = self.w.engine.start(batch)
        self._update({"engine": self.w.engine.name, "engine_call_ids": self.call_ids})
        deadline = self.w.clock() + timedelta(seconds=batch.timeout_s)
        while True:
            status = self.w.engine.poll(self.call_ids)
            self._progress(status)
            if status.state == EngineState.FINISHED:
                return
            if status.state == EngineState.FAILED:
                raise EngineError(status.message or "The engine reported a failure.", transient=status.transient)
            if self.w.clock() > deadline:
                raise JobFailed(JobError(kind="timeout", message=f"The job ran longer than its limit of "
                                         f"{batch.timeout_s / 60:.0f} minutes and was stopped.",
                                         details="Raise OMTX_RUN_TIMEOUT_S or split the job."))  # fmt: skip
            self._wait(self.w.timing.poll_s)

    def _wait(self, seconds: float) -> None:
        """Sleep, but keep the lease alive and notice cancellation and shutdown."""
        end = self.w.clock() + timedelta(seconds=seconds)
        while True:
            self._heartbeat()
            remaining = (end - self.w.clock()).total_seconds()
            if remaining <= 0:
                return
            if self.w.stop.wait(min(remaining, self.w.timing.poll_s)):
                raise ShutdownRequested()

    def _heartbeat(self) -> None:
        beat = self.w.store.heartbeat(self.job.id, self.w.worker_id, self.w.settings.lease_s, now=self.w.clock())
        if beat is None:
            raise LeaseLost()
        self.job = beat
        if (self.w.clock() - self.last_log_at).total_seconds() >= self.w.timing.log_every_s:
            self._save_log()

    def _progress(self, status: EngineStatus) -> None:
        changes: dict = {}
        done = self.done_before + len(status.finished_runs)
        if done != self.job.progress_done:
            changes["progress_done"] = done
        if status.call_ids and list(status.call_ids) != self.call_ids:
            self.call_ids = list(status.call_ids)
            changes["engine_call_ids"] = self.call_ids
        if changes:
            self._update(changes)
        if status.state == EngineState.RUNNING:
            self._publish_partial(status.finished_runs)

    def _publish_partial(self, finished: tuple[str, ...]) -> None:
        """Let the job page show finished runs early (a screen's ranked table fills in); never fails the job."""
        partial = self.partial
        new = [run for run in finished if run not in partial.predictions]
        since = (self.w.clock() - partial.published_at).total_seconds() if partial.published_at else None
        if not partial.enabled or not new or (since is not None and since < self.w.timing.partial_every_s):
            return
        try:
            dirs = self.w.engine.fetch_outputs(self.call_ids, partial.next_folder(), runs=new)
            partial.predictions.update(collect(dirs, new, "").predictions)
            analysis = self.validated.input.partial_analysis(self.validated.plan, partial.predictions)
            if analysis is None:
                partial.enabled = False
                return
            self.w.artifacts.put(self.files.partial_results, analysis.model_dump_json().encode(), "application/json")
            partial.published_at = self.w.clock()
        except Exception:
            log.warning("could not publish partial results of job %s", self.job.id, exc_info=True)
            partial.enabled = False

    def _store_outcome(self, validated: ValidatedInput, result_dirs: list[Path]) -> Job | None:
        log_text = self._save_log()
        collected = collect(result_dirs, [run.name for run in validated.plan.runs], log_text)
        if collected.all_failed:
            first = next(iter(collected.failures.values()))
            raise JobFailed(JobError(kind="missing_output", message=first.message, details=first.hint))
        analysis = self._analyse(validated, collected)
        self._heartbeat()  # still ours? never store results for a job someone else now owns
        keys = store_results(self.job.id, collected, self.w.artifacts, analysis)
        summary = job_summary(collected).model_dump(mode="json")  # the record's `result` column holds plain JSON
        changes = {"result": summary, "progress_done": len(collected.predictions),
                   "artifacts": keys + self._log_keys()}  # fmt: skip
        return self._finish(JobStatus.COMPLETED, changes)

    def _analyse(self, validated: ValidatedInput, collected) -> TaskAnalysis:
        """The task's analysis; a failure there is noted, never a reason to lose the predictions."""
        try:
            return validated.input.analyse(validated.plan, collected.predictions, collected.failures)
        except Exception as exc:
            log.exception("analysis of job %s failed", self.job.id)
            self._note(f"The analysis failed: {type(exc).__name__}: {exc}")
            return AnalysisFailed(error=f"The analysis of the predicted structures failed: {type(exc).__name__}: {exc}")

    def _finish(self, status: JobStatus, changes: dict) -> Job | None:
        with contextlib.suppress(Exception):  # the live preview has served its purpose
            self.w.artifacts.delete(self.files.partial_results)
        final = {"status": status, "finished_at": self.w.clock(), "lease_owner": None, "lease_expires_at": None}
        final.update(changes)
        try:
            job = self._update(final)
        except StaleJobError:  # cancelled or taken over meanwhile: the other outcome stands
            return self.w.store.get(self.job.id)
        self.w.hot.keep_job(job)  # the finished record, warm for the first page that opens it
        return job

    def _update(self, changes: dict) -> Job:
        self.job = self.w.store.update(
            self.job.id, changes, expect_status=JobStatus.RUNNING, expect_lease_owner=self.w.worker_id
        )
        return self.job

    def _cancel_engine(self) -> None:
        if self.call_ids:
            try:
                self.w.engine.cancel(self.call_ids)
            except Exception:  # best effort: the engine may already be gone
                log.warning("could not cancel engine calls of job %s", self.job.id, exc_info=True)

    def _note(self, line: str) -> None:
        self.last_log += f"\n[omtx] {line}\n"

    def _save_log(self) -> str:
        current = self.call_ids and self.call_ids != self.logged_calls
        text = "".join(self.logs) + (self.w.engine.read_log(self.call_ids) if current else "") + self.last_log
        if text:
            self.w.artifacts.put(self.files.engine_log, text.encode(), "text/plain")
        self.last_log_at = self.w.clock()
        return text

    def _log_keys(self) -> list[str]:
        key = self.files.engine_log
        return [key] if self.w.artifacts.exists(key) else []
