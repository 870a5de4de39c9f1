"""`python -m omtx_core submit | jobs ... | worker`: the job commands, over the store and engine from settings.

`import` and `jobs result` live in cli_results.py.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
from functools import cached_property
from typing import Any

from omtx_core.config import Settings, load_settings
from omtx_core.domain.job import MAX_SEARCH, Job, JobQuery, JobStatus
from omtx_core.domain.results import JobSummary

EXIT_JOB_FAILED = 1
EXIT_NOT_FINISHED = 3  # --wait gave up (--timeout) before the job finished

MAX_OFFSET = 2**62  # SQLite's integers are 64-bit


def shown(text: str, *, lines: bool = False) -> str:
    """Text safe for a terminal: control, invisible and direction characters become `\\uXXXX` escapes (valid in
    JSON strings too), so a stored name cannot move the cursor, recolour or reorder what follows; with `lines`,
    newlines are kept as line breaks."""
    if lines:
        return "\n".join(shown(line) for line in text.split("\n"))
    if text.isprintable():  # the common case, checked in C
        return text
    from omtx_core.tasks.base import is_hidden

    return "".join(_escaped(char) if is_hidden(char) else char for char in text)


def _escaped(char: str) -> str:
    code = ord(char)
    if code > 0xFFFF:  # JSON escapes have four digits: a character beyond them is written as a surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def _bounded_int(low: int, high: int):
    """An argparse type: an integer from low to high, or a usage error naming the range."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{value} is outside {low:,}–{high:,}")
        return value

    return parse


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 <= value < float("inf"):  # also refuses nan
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds from 0 up")
    return value


def _search(text: str) -> str:
    if len(text) > MAX_SEARCH:
        raise argparse.ArgumentTypeError(
            f"the search is {len(text):,} characters long; at most {MAX_SEARCH:,} are accepted: "
            "search for a shorter part of the job name"
        )
    return text


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
    submit.add_argument("--timeout", type=_seconds, default=None, help="give up waiting after this many seconds")
    submit.set_defaults(handler=lambda args: _submit(args, read_json))

    jobs = commands.add_parser(
        "jobs", help="list, show, read the results of, cancel, re-run or delete jobs"
    ).add_subparsers(dest="jobs_command", required=True)
    listing = jobs.add_parser("list", help="jobs, newest first")
    listing.add_argument("--status", choices=[s.value for s in JobStatus])
    listing.add_argument("--task", help=task_help)
    listing.add_argument("--search", type=_search, help="text in the job name")
    listing.add_argument("--limit", type=_bounded_int(1, 1000), default=50, help="jobs per page (1–1,000)")
    listing.add_argument("--offset", type=_bounded_int(0, MAX_OFFSET), default=0, help="jobs to skip")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    show = jobs.add_parser("show", help="one job")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_show)
    from omtx_core.cli_results import add_result_command  # here: that module reads `shown` from this one

    add_result_command(jobs)
    for name, handler, text in (("cancel", _cancel, "cancel a pending or running job"),
                                ("rerun", _rerun, "submit a job's input again"),
                                ("delete", _delete, "delete a job and its files")):  # fmt: skip
        command = jobs.add_parser(name, help=text)
        command.add_argument("id")
        command.set_defaults(handler=handler)

    worker = commands.add_parser("worker", help="run jobs from the store on the configured engine")
    worker.add_argument("--once", action="store_true", help="take at most one job, then exit")
    worker.add_argument("--concurrency", type=_bounded_int(1, 1000), default=1,
                        help="jobs run at the same time by this worker")  # fmt: skip
    worker.set_defaults(handler=_worker)


def _submit(args: argparse.Namespace, read_json) -> int:
    jobs = args.ctx.jobs
    submission = jobs.submit(args.task, read_json(args.input), use_cache=not args.no_cache)
    for warning in submission.warnings:
        print(shown(f"warning: {warning}"), file=sys.stderr)
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
        print(shown(json.dumps([_as_json(job) for job in page.jobs], indent=2), lines=True))
        return 0
    for job in page.jobs:
        line = f"{job.id}  {job.status.value:<9}  {job.task_type:<24}  {job.created_at:%Y-%m-%d %H:%M}  {job.job_name}"
        print(shown(line))
    print(f"{len(page.jobs)} of {page.total} job(s)", file=sys.stderr)
    return 0


def _show(args: argparse.Namespace) -> int:
    job = args.ctx.jobs.get(args.id)
    print(shown(json.dumps(_as_json(job), indent=2), lines=True) if args.json else _describe(job))
    return 0


def _cancel(args: argparse.Namespace) -> int:
    job = args.ctx.jobs.cancel(args.id)
    print(shown(f"{job.id} {job.status.value}"))
    return 0


def _rerun(args: argparse.Namespace) -> int:
    print(args.ctx.jobs.rerun(args.id).job.id)
    return 0


def _delete(args: argparse.Namespace) -> int:
    args.ctx.jobs.delete(args.id)
    print(shown(f"{args.id} deleted"))
    return 0


def _worker(args: argparse.Namespace) -> int:
    from omtx_core.engines.factory import make_engine
    from omtx_core.jobs.worker import Worker
    from omtx_core.metrics import serve_metrics

    settings = args.ctx.settings
    store, artifacts = args.ctx.stores
    worker = Worker(store, artifacts, make_engine(settings), settings, hot=args.ctx.hot)
    serve_metrics(settings, store)  # when OMTX_METRICS_PORT is set
    reason = worker.engine.unavailable_reason()
    if reason:
        print(shown(f"warning: {reason}"), file=sys.stderr)
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
        values = numbers.model_dump()
        if values["complex_plddt"] is not None:  # people read pLDDT on 0–100; Boltz's JSON holds 0–1
            values["complex_pLDDT_0_100"] = values.pop("complex_plddt") * 100
        values = ", ".join(f"{k} {v:.3f}" for k, v in values.items() if v is not None)
        lines.append(f"{run}: {values}")
    for run, failure in summary.failed_runs.items() if summary else ():
        lines.append(f"{run}: failed: {failure.message}")
    return "\n".join(shown(line) for line in lines)  # each line whole: a stored text cannot start a new one
