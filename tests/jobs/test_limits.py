"""Submission limits through the job service over real SQLite: the rate window, the caps, cache hits, re-runs,
imports, the refusal's words and the CLI (the task form: tests/ui/test_limit_refusal.py)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from omtx_core.domain.identity import LOCAL_USER, Identity
from omtx_core.domain.job import JobQuery, JobStatus, utcnow
from omtx_core.errors import LimitExceeded
from omtx_core.jobs.limits import refusal
from omtx_core.jobs.service import JobService
from omtx_core.store.base import LimitUsage, SubmissionLimits
from tests.boltz_fixture_output import FIXTURES
from tests.examples import LYSOZYME, UBIQUITIN, VALID_INPUTS

REPO = Path(__file__).resolve().parents[2]
PMHC = FIXTURES / "BOLTZ1_multichain_pmhc_4chain" / "boltz_results_input_folder"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def service(store, artifacts, settings, *, clock=utcnow, identity=LOCAL_USER, **limits) -> JobService:
    return JobService(settings=settings.model_copy(update=limits), store=store, artifacts=artifacts,
                      identity=identity, clock=clock)  # fmt: skip


def submit(jobs: JobService, sequence: str = UBIQUITIN, **options):
    return jobs.submit("protein_structure", {"protein_sequence": sequence, **options}).job


def test_the_101st_submission_in_a_minute_is_refused_until_the_first_leaves_the_window(store, artifacts, settings):
    clock = Clock()
    jobs = service(store, artifacts, settings, clock=clock)
    start = clock.now
    for _ in range(100):
        submit(jobs)
        clock.advance(0.2)  # 100 jobs in 20 s
    with pytest.raises(LimitExceeded) as refused:
        submit(jobs)
    assert refused.value.retry_after_s == 40  # the first leaves the window 60 s after it came
    assert refused.value.message == "You submitted 100 jobs in the last minute; you can submit again in 40 s."
    assert "at most 100 jobs a minute" in refused.value.hint
    assert store.list(JobQuery()).total == 100  # nothing stored
    clock.now = start + timedelta(seconds=59.9)
    with pytest.raises(LimitExceeded) as refused:
        submit(jobs)
    assert refused.value.retry_after_s == 1  # rounded up: never "again in 0 s"
    clock.now = start + timedelta(seconds=60)
    assert submit(jobs).status == JobStatus.PENDING
    with pytest.raises(LimitExceeded):  # the second of the 100 still holds the place
        submit(jobs)


def test_the_rate_is_per_user(store, artifacts, settings):
    alice = service(store, artifacts, settings, identity=Identity("alice"), rate_limit_per_min=2)
    bob = service(store, artifacts, settings, identity=Identity("bob"), rate_limit_per_min=2)
    submit(alice), submit(alice)
    with pytest.raises(LimitExceeded, match="You submitted 2 jobs"):
        submit(alice)
    assert submit(bob).owner == "bob"


def test_a_user_over_the_cap_is_refused_until_a_job_is_cancelled(store, artifacts, settings):
    jobs = service(store, artifacts, settings, max_active_jobs_per_user=2)
    first, _ = submit(jobs), submit(jobs)
    with pytest.raises(LimitExceeded) as refused:
        submit(jobs)
    assert refused.value.message == "You have 2 jobs queued or running; each user may have at most 2 at once."
    assert "cancel" in refused.value.hint and refused.value.retry_after_s is None
    jobs.cancel(first.id)
    assert submit(jobs).status == JobStatus.PENDING


def test_the_global_cap_counts_every_users_jobs(store, artifacts, settings):
    caps = {"max_active_jobs": 3, "max_active_jobs_per_user": 10}
    alice = service(store, artifacts, settings, identity=Identity("alice"), **caps)
    bob = service(store, artifacts, settings, identity=Identity("bob"), **caps)
    submit(alice), submit(alice), submit(bob)
    with pytest.raises(LimitExceeded) as refused:
        submit(bob)
    assert refused.value.message == "The hub has 3 jobs queued or running, the most it takes at once (3)."
    assert "Wait for jobs to finish" in refused.value.hint


def test_cache_hits_count_for_the_rate_but_not_against_the_caps(store, artifacts, settings, worker):
    clock = Clock()
    jobs = service(store, artifacts, settings, clock=clock, max_active_jobs_per_user=1, rate_limit_per_min=3)
    data = VALID_INPUTS["protein_structure"]
    jobs.submit("protein_structure", data)
    worker.run_once()
    submit(jobs, LYSOZYME)  # one queued: the user's cap is full
    with pytest.raises(LimitExceeded, match="You have 1 job queued or running"):
        submit(jobs, options={"seed": 7})  # new input: it would need the engine
    hit = jobs.submit("protein_structure", data).job  # the same input again: no engine time, so no cap
    assert hit.cache_hit
    with pytest.raises(LimitExceeded, match="You submitted 3 jobs in the last minute"):
        jobs.submit("protein_structure", data)  # but it counted for the rate


def test_rerun_and_import_obey_the_limits(store, artifacts, settings):
    jobs = service(store, artifacts, settings, max_active_jobs_per_user=1)
    job = submit(jobs)
    with pytest.raises(LimitExceeded, match="each user may have at most 1"):
        jobs.rerun(job.id)
    assert store.list(JobQuery()).total == 1
    importer = service(store, artifacts, settings, rate_limit_per_min=1)
    with pytest.raises(LimitExceeded, match="You submitted 1 job in the last minute"):
        importer.import_results(PMHC)
    assert store.list(JobQuery()).total == 1 and artifacts.list("results/") == []  # nothing stored, no files


def test_an_import_is_not_capped(store, artifacts, settings):
    jobs = service(store, artifacts, settings, max_active_jobs_per_user=1)
    submit(jobs)
    assert jobs.import_results(PMHC).status == JobStatus.COMPLETED


@pytest.mark.parametrize(
    ("usage", "message"),
    [
        (LimitUsage(1, 59.01, 0, 0), "You submitted 1 job in the last minute; you can submit again in 60 s."),
        (LimitUsage(0, 0, 7, 0), "You have 7 jobs queued or running; each user may have at most 7 at once."),
        (LimitUsage(0, 0, 1, 9), "The hub has 9 jobs queued or running, the most it takes at once (9)."),
    ],
)
def test_refusal_wording(usage, message):
    error = refusal(usage, SubmissionLimits(per_window=1, active_per_owner=7, active_total=9))
    assert error.message == message and error.hint


def test_the_cli_exits_non_zero_with_the_refusal(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMTX_", "MODAL_"))}
    env |= {"OMTX_DATA_DIR": str(tmp_path / "data"), "OMTX_BOLTZ_COMMAND": str(tmp_path / "no-boltz"),
            "HOME": str(tmp_path), "OMTX_RATE_LIMIT_PER_MIN": "1"}  # fmt: skip

    def cli_submit() -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "omtx_core", "submit", "protein_structure", "-"], cwd=REPO,
                              env=env, input=json.dumps({"protein_sequence": UBIQUITIN}), capture_output=True,
                              text=True, timeout=120)  # fmt: skip

    assert cli_submit().returncode == 0
    refused = cli_submit()
    assert refused.returncode != 0 and "Traceback" not in refused.stderr
    assert "You submitted 1 job in the last minute; you can submit again in" in refused.stderr
    assert "at most 1 job a minute" in refused.stderr
