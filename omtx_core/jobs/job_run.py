"""One claimed job in the worker: plan it, drive the engine under a lease kept alive, store the outcome."""

from __future__ import annotations

import contextlib
import logging
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from omtx_core import metrics
from omtx_core.boltz.msa import generated_msas, next_phase
from omtx_core.boltz.plan import BoltzRun
from omtx_core.cache import MsaCache
from omtx_core.domain.job import Job, JobError, JobStatus
from omtx_core.domain.layout import JobFiles
from omtx_core.domain.results import AnalysisFailed, TaskAnalysis
from omtx_core.engines.base import EngineBatch, EngineRun, EngineState, EngineStatus
from omtx_core.engines.failures import classify, missing_output_kind
from omtx_core.errors import EngineError, InputError, JobNotFound, OmtxError, StaleJobError, StoreUnavailable
from omtx_core.jobs.results import collect, job_summary, store_results
from omtx_core.logs import add_log_context
from omtx_core.tasks import ValidatedInput, validate_task_input

if TYPE_CHECKING:
    from omtx_core.jobs.worker import Worker

log = logging.getLogger(__name__)
T = TypeVar("T")


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


class JobRun:
    """One claimed job: plan it, drive the engine with heartbeats, store the outcome.

    Whatever the end (completed, failed, cancelled, lease lost, handed back), the engine calls are cancelled once
    nothing reads them any more, which also frees what they hold (the local engine's work folders).
    """

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
        self.released: set[tuple[str, ...]] = set()  # engine calls already cancelled and freed
        self.store_failing = False

    def execute(self) -> Job | None:
        try:
            return self._execute()
        except LeaseLost:
            self._cancel_engine()
            return self._current()
        except ShutdownRequested:
            self._cancel_engine()
            return self._hand_back()
        except JobFailed as failed:
            self._save_log_quietly()  # before the engine's folder goes
            self._cancel_engine()
            return self._finish(JobStatus.FAILED, {"error": failed.error})
        except OmtxError as exc:  # e.g. a full disk under the job files: its own words, no traceback
            log.warning("job %s failed: %s", self.job.id, exc)
            self._cancel_engine()
            kind = "unavailable" if isinstance(exc, StoreUnavailable) else "other"
            return self._finish(JobStatus.FAILED, {"error": JobError(kind=kind, message=exc.message,
                                                                     details=exc.hint)})  # fmt: skip
        except Exception as exc:  # an unexpected bug: fail the job with a reason rather than loop on it
            log.exception("job %s failed unexpectedly", self.job.id)
            self._cancel_engine()
            error = JobError(kind="other", message="The job stopped because of an error on our side.",
                             details=f"{type(exc).__name__}: {exc}")  # fmt: skip
            return self._finish(JobStatus.FAILED, {"error": error})

    def give_up(self) -> Job | None:
        """Fail a job whose workers all stopped before it ended (it may be what stops them), so no worker takes it
        again; its last attempt's engine calls are stopped and freed."""
        self._cancel_engine()
        tries = self.job.attempts - 1
        error = JobError(kind="crashed", message=f"The job was tried {tries} times and its worker stopped each "
                         "time before the job ended.", details="Running out of memory is the usual cause: try fewer "
                         "or smaller runs, or a machine with more memory, then re-run the job (OMTX_MAX_ATTEMPTS "
                         "sets how many tries a job gets).")  # fmt: skip
        return self._finish(JobStatus.FAILED, {"error": error})

    def _execute(self) -> Job | None:
        try:
            validated = validate_task_input(self.job.task_type, self.job.input, self.w.settings)
        except InputError as exc:
            error = JobError(kind="refused_input", message="The stored input is no longer valid.", details=str(exc))
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
            self._cancel_engine()  # its outputs are copied and its log read: free its work folder
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
                    kind = exc.kind or classify(exc.message)
                    raise JobFailed(JobError(kind=kind, message=exc.message, details=exc.hint)) from None
                self._note(f"Transient engine error ({exc.message}); retry {attempt + 1} follows.")
                self._cancel_engine()
                self._wait(self.w.timing.retry_backoff_s * 2 ** (attempt - 1))

    def _run_batch(self, batch: EngineBatch) -> None:
        started = time.monotonic()
        self.call_ids = self.w.engine.start(batch)
        metrics.engine_call(self.w.engine.name)
        add_log_context(engine_call_id=",".join(self.call_ids))
        try:
            self._poll_batch(batch)
        finally:
            metrics.engine_batch_seconds(self.w.engine.name, time.monotonic() - started)

    def _poll_batch(self, batch: EngineBatch) -> None:
        self._update({"engine": self.w.engine.name, "engine_call_ids": self.call_ids})
        deadline = self.w.clock() + timedelta(seconds=batch.timeout_s)
        while True:
            status = self.w.engine.poll(self.call_ids)
            self._progress(status)
            if status.state == EngineState.FINISHED:
                return
            if status.state == EngineState.FAILED:
                raise EngineError(status.message or "The engine reported a failure.", "Open the job's log for details.",
                                  transient=status.transient, kind=status.kind)  # fmt: skip
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
        beat = self._stored(
            lambda: self.w.store.heartbeat(self.job.id, self.w.worker_id, self.w.settings.lease_s, now=self.w.clock())
        )
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
            run, first = next(iter(collected.failures.items()))
            kind = missing_output_kind(log_text, run)
            raise JobFailed(JobError(kind=kind, message=first.message, details=first.hint))
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
        except (StaleJobError, JobNotFound, LeaseLost, ShutdownRequested):  # cancelled, deleted or taken over
            return self._current()  # meanwhile, or the store stayed away past our lease: the other outcome stands
        self.w.hot.keep_job(job)  # the finished record, warm for the first page that opens it
        metrics.job_finished(job)
        log.info("job %s", job.status.value)
        return job

    def _update(self, changes: dict) -> Job:
        self.job = self._stored(
            lambda: self.w.store.update(
                self.job.id, changes, expect_status=JobStatus.RUNNING, expect_lease_owner=self.w.worker_id
            )
        )
        return self.job

    def _stored(self, call: Callable[[], T]) -> T:
        """`call()` on the job store. While the store fails (busy, a network blip), try again every poll and let
        the engine run on, until our lease would have run out: then another worker may take the job over, so
        stop quietly (LeaseLost) rather than fail a job that is fine."""
        while True:
            try:
                result = call()
            except StoreUnavailable as exc:
                metrics.store_error("job")
                expires = self.job.lease_expires_at
                if expires is None or self.w.clock() >= expires:
                    raise LeaseLost() from None
                if not self.store_failing:
                    self.store_failing = True
                    log.warning("job %s: %s; the job runs on and the store is tried again until %s",
                                self.job.id, exc, expires.isoformat(timespec="seconds"))  # fmt: skip
                if self.w.stop.wait(self.w.timing.poll_s):
                    raise ShutdownRequested() from None
                continue
            if self.store_failing:
                self.store_failing = False
                log.info("job %s: the job store answers again", self.job.id)
            return result

    def _current(self) -> Job | None:
        """The job as stored now, or as last seen while the store cannot say."""
        try:
            return self.w.store.get(self.job.id)
        except StoreUnavailable:
            return self.job

    def _hand_back(self) -> Job | None:
        """Leave the job for another worker (pending again); a stop is no failure, so the try is not counted."""
        changes = {"status": JobStatus.PENDING, "lease_owner": None, "lease_expires_at": None,
                   "engine_call_ids": [], "attempts": max(0, self.job.attempts - 1)}  # fmt: skip
        try:  # once only: a worker that is stopping does not wait for the store; the lease ends anyway
            return self.w.store.update(
                self.job.id, changes, expect_status=JobStatus.RUNNING, expect_lease_owner=self.w.worker_id
            )
        except OmtxError:  # taken over, deleted, or the store is away
            return self._current()

    def _cancel_engine(self) -> None:
        """Stop the current engine calls and free what they hold; once per set of calls."""
        calls = tuple(self.call_ids)
        if not calls or calls in self.released:
            return
        self.released.add(calls)
        try:
            self.w.engine.cancel(self.call_ids)
        except Exception:  # best effort: the engine may already be gone
            log.warning("could not cancel engine calls of job %s", self.job.id, exc_info=True)

    def _note(self, line: str) -> None:
        self.last_log += f"\n[omtx] {line}\n"

    def _save_log_quietly(self) -> None:
        try:
            self._save_log()
        except Exception as exc:  # the failure's reason matters more than its log
            log.warning("could not save the engine log of job %s: %s", self.job.id, exc)

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
