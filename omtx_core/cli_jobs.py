"""`python -m omtx_core submit | jobs ... | worker`: the job commands, over the store and engine from settings."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from functools import cached_property
from typing import Any

from omtx_core.config import Settings, load_settings
from omtx_core.domain.job import Job, JobQuery, JobStatus
from omtx_core.domain.results import JobSummary

EXIT_JOB_FAILED = 1
EXIT_NOT_FINISHED = 3  # --wait gave up (--timeout) before the job finished


class CliContext:
    """What the commands need, each built once on first use: settings, stores, hot cache, the caller's job service.

    The caller's identity comes from the store settings: the local user on SQLite; on Supabase, whoever
    OMTX_SUPABASE_KEY speaks for (a user's JWT: that user; the service-role key: every job).
    """

    @cached_property
    def settings(self) -> Settings:
        return load_settings()

    @cached_property
    def stores(self):
        from omtx_core.store.factory import open_stores

        return open_stores(self.settings)

    @cached_property
    def hot(self):
        from omtx_core.cache import open_hot_cache

        return open_hot_cache(self.settings)

    @cached_property
    def jobs(self):
        from omtx_core.domain.identity import identity_for
        from omtx_core.jobs.service import JobService

        key = self.settings.supabase_key.get_secret_value() if self.settings.supabase_key else None
        store, artifacts = self.stores
        identity = identity_for(self.settings.store, key)
        return JobService(settings=self.settings, store=store, artifacts=artifacts, identity=identity, hot=self.hot)


def add_job_commands(commands: argparse._SubParsersAction, task_help: str, read_json) -> None:
    """Register submit, jobs and worker on the main parser; `read_json` reads an input file or '-'."""
    submit = commands.add_parser("submit", help="submit a job; prints its id on the last line")
    submit.add_argument("task", help=task_help)
    submit.add_argument("input", help="input JSON file ('-' for standard input)")
    submit.add_argument("--wait", action="store_true", help="wait until a worker finishes the job")
    submit.add_argument("--no-cache", action="store_true", help="run again even if identical input was run")
    submit.add_argument("--timeout", type=float, default=None, help="give up waiting after this many seconds")
    submit.set_defaults(handler=lambda args: _submit(args, read_json))

    jobs = commands.add_parser("jobs", help="list, show, cancel, re-run or delete jobs").add_subparsers(
        dest="jobs_command", required=True
    )
    listing = jobs.add_parser("list", help="jobs, newest first")
    listing.add_argument("--status", choices=[s.value for s in JobStatus])
    listing.add_argument("--task", help=task_help)
    listing.add_argument("--search", help="text in the job name")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--offset", type=int, default=0)
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    show = jobs.add_parser("show", help="one job")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)
    for name, handler, text in (("cancel", _cancel, "cancel a pending or running job"),
                                ("rerun", _rerun, "submit a job's input again"),
                                ("delete", _delete, "delete a job and its files")):  # fmt: skip
        command = jobs.add_parser(name, help=text)
        command.add_argument("id")
        command.set_defaults(handler=handler)

    worker = commands.add_parser("worker", help="run jobs from the store on the configured engine")
    worker.add_argument("--once", action="store_true", help="take at most one job, then exit")
    worker.add_argument("--concurrency", type=int, default=1, help="jobs run at the same time by this worker")
    worker.set_defaults(handler=_worker)


def _submit(args: argparse.Namespace, read_json) -> int:
    jobs = args.ctx.jobs
    submission = jobs.submit(args.task, read_json(args.input), use_cache=not args.no_cache)
    for warning in submission.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    job = submission.job
    if job.cache_hit:
        print(f"cache hit: results of job {job.results_from}")
    if args.wait:
        job = _wait_for(jobs, job, args.timeout)
        print(_describe(job))
    print(job.id)
    if job.status in (JobStatus.FAILED, JobStatus.CANCELLED):
        return EXIT_JOB_FAILED
    return EXIT_NOT_FINISHED if args.wait and not job.status.is_terminal else 0


def _wait_for(jobs, job: Job, timeout: float | None) -> Job:
    deadline = None if timeout is None else time.monotonic() + timeout
    while not job.status.is_terminal and (deadline is None or time.monotonic() < deadline):
        time.sleep(0.5)
        job = jobs.get(job.id)
    return job


def _list(args: argparse.Namespace) -> int:
    query = JobQuery(status=args.status, task_type=args.task, search=args.search, limit=args.limit, offset=args.offset)
    page = args.ctx.jobs.list(query)
    if args.json:
        print(json.dumps([_as_json(job) for job in page.jobs], indent=2))
        return 0
    for job in page.jobs:
        print(f"{job.id}  {job.status.value:<9}  {job.task_type:<24}  {job.created_at:%Y-%m-%d %H:%M}  {job.job_name}")
    print(f"{len(page.jobs)} of {page.total} job(s)", file=sys.stderr)
    return 0


def _show(args: argparse.Namespace) -> int:
    job = args.ctx.jobs.get(args.id)
    print(json.dumps(_as_json(job), indent=2) if args.json else _describe(job))
    return 0


def _cancel(args: argparse.Namespace) -> int:
    job = args.ctx.jobs.cancel(args.id)
    print(f"{job.id} {job.status.value}")
    return 0


def _rerun(args: argparse.Namespace) -> int:
    print(args.ctx.jobs.rerun(args.id).job.id)
    return 0


def _delete(args: argparse.Namespace) -> int:
    args.ctx.jobs.delete(args.id)
    print(f"{args.id} deleted")
    return 0


def _worker(args: argparse.Namespace) -> int:
    from omtx_core.engines.factory import make_engine
    from omtx_core.jobs.worker import Worker

    settings = args.ctx.settings
    store, artifacts = args.ctx.stores
    worker = Worker(store, artifacts, make_engine(settings), settings, hot=args.ctx.hot)
    reason = worker.engine.unavailable_reason()
    if reason:
        print(f"warning: {reason}", file=sys.stderr)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop.set())  # hand the current job back, then exit
    if args.once:
        job = worker.run_once()
        print(_describe(job) if job else "no job to run")
        return 0
    worker.run(concurrency=args.concurrency)
    return 0


def _as_json(job: Job) -> dict[str, Any]:
    return job.model_dump(mode="json")


def _describe(job: Job) -> str:
    lines = [f"{job.job_name} ({job.task_type})", f"status: {job.status.value}",
             f"progress: {job.progress_done}/{job.progress_total} run(s)"]  # fmt: skip
    if job.cache_hit:
        lines.append(f"cache hit: results of job {job.results_from}")
    if job.error:
        lines.append(f"error: {job.error.message}" + (f" ({job.error.details})" if job.error.details else ""))
    summary = JobSummary.read(job.result)
    for run, numbers in summary.runs.items() if summary else ():
        shown = ", ".join(f"{k} {v:.3f}" for k, v in numbers.model_dump().items() if v is not None)
        lines.append(f"{run}: {shown}")
    for run, failure in summary.failed_runs.items() if summary else ():
        lines.append(f"{run}: failed: {failure.message}")
    return "\n".join(lines)
