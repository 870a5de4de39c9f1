"""Times the result page's data load with and without the Redis hot cache, on the SQLite and the Supabase store.

The load is what pages/job.py asks the job service for: `JobService.get(id)` then `JobService.result_document(job)`,
for a completed 200-compound screen and the carazolol binding job (both made by the real worker running the
stand-in `boltz`, tests/bin/fake_boltz.py, as a program). Each is timed without Redis, with a cold Redis (the
entries dropped before every load: a miss, the store read, the write-back) and with a warm Redis.

Run (SQLite only):  .venv/bin/python -m bench.bench_result_load
Also on Supabase, over the PostgREST/Storage test server and a fresh database on the local PostgreSQL:
    .venv/bin/python -m tests.serve_supabase -- .venv/bin/python -m bench.bench_result_load
or against a Supabase project of your own: set OMTX_SUPABASE_URL (https://<project>.supabase.co) and
OMTX_SUPABASE_KEY (its service_role key, from Project Settings → API), with supabase/migrations applied; the bench
adds its two jobs and removes them when done. Redis: OMTX_REDIS_URL (default redis://127.0.0.1:6379/0); the bench
writes under a key prefix of its own and removes those keys when done.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from bench.standin import CARAZOLOL, FAKE_BOLTZ_COMMAND, b2ar_sequence, screen_compounds
from omtx_core.cache import HotCache
from omtx_core.config import Settings
from omtx_core.domain.identity import LOCAL_USER, Identity, identity_for
from omtx_core.domain.job import Job, JobStatus
from omtx_core.domain.layout import JobFiles
from omtx_core.engines.local import LocalEngine
from omtx_core.jobs.service import JobService
from omtx_core.jobs.worker import Worker, WorkerTiming
from omtx_core.store.base import ArtifactStore, JobStore
from omtx_core.store.local_artifacts import LocalArtifactStore
from omtx_core.store.sqlite import SqliteJobStore

COMPOUNDS = 200
REPEATS = 30
MODES = ("no Redis", "cold Redis", "warm Redis")


def make_jobs(folder: Path) -> tuple[list[tuple[str, Job]], SqliteJobStore, LocalArtifactStore, Settings]:
    """The two completed jobs, by the real worker on a SQLite store in `folder`."""
    settings = Settings(data_dir=folder / "data", run_timeout_s=900, max_attempts=1)
    store, artifacts = SqliteJobStore(settings.database_path), LocalArtifactStore(settings.artifacts_dir)
    engine = LocalEngine(FAKE_BOLTZ_COMMAND, folder / "engine", accelerator="gpu")
    worker = Worker(store, artifacts, engine, settings, timing=WorkerTiming(poll_s=0.05, idle_s=0.05))
    jobs = JobService(settings=settings, store=store, artifacts=artifacts, identity=LOCAL_USER)
    protein = b2ar_sequence()
    inputs = {
        f"{COMPOUNDS}-compound screen": ("drug_discovery", {"protein_sequence": protein,
                                                            "compounds": screen_compounds(COMPOUNDS)}),
        "carazolol binding": ("protein_ligand_binding", {"protein_sequence": protein, "ligand_smiles": CARAZOLOL,
                                                         "pocket_residues": [113]}),
    }  # fmt: skip
    made = []
    for label, (task, data) in inputs.items():
        job = jobs.submit(task, data, use_cache=False).job
        done = worker.run_once()
        assert done is not None and done.id == job.id and done.status == JobStatus.COMPLETED, done and done.error
        made.append((label, done))
    return made, store, artifacts, settings


def copy_jobs(made: list[tuple[str, Job]], source: ArtifactStore, store: JobStore, artifacts: ArtifactStore) -> None:
    """Put the finished records and their result documents into another store (all the page load reads)."""
    for _, job in made:
        store.create(job)
        key = JobFiles(job.id).result_document
        artifacts.put(key, source.get(key), "application/json")


def median_ms(load: Callable[[], object], before: Callable[[], object] = lambda: None) -> float:
    times = []
    for _ in range(REPEATS):
        before()
        start = time.perf_counter()
        load()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def time_store(name: str, made, stores, settings: Settings, identity: Identity, redis_url: str | None) -> list[str]:
    store, artifacts = stores
    rows = []
    for label, job in made:
        sizes = (len(store.get(job.id).model_dump_json()), len(artifacts.get(JobFiles(job.id).result_document)))
        figures = {}
        for mode in MODES:
            if mode != "no Redis" and redis_url is None:
                continue
            hot = HotCache(redis_url if mode != "no Redis" else None, 3600, prefix=f"omtx-bench:{uuid.uuid4().hex}:")
            jobs = JobService(settings=settings, store=store, artifacts=artifacts, identity=identity, hot=hot)

            def load(jobs=jobs, job_id=job.id) -> object:
                return jobs.result_document(jobs.get(job_id))  # as pages/job.py: the job, then its document

            load()  # connections open, entries written: every mode starts from a running app
            drop = (lambda hot=hot: _drop_entries(hot, redis_url)) if mode == "cold Redis" else (lambda: None)
            figures[mode] = median_ms(load, drop)
            _drop_entries(hot, redis_url)
        rows.append(_row(name, label, sizes, figures))
    return rows


def _drop_entries(hot: HotCache, redis_url: str | None) -> None:
    """Empty the bench's namespace (a plain delete, unlike `forget`, which leaves tombstones)."""
    if redis_url is None or not hot.enabled:
        return
    import redis

    with redis.Redis.from_url(redis_url) as client:
        keys = list(client.scan_iter(match=hot.prefix + "*"))
        if keys:
            client.delete(*keys)


def _row(store: str, label: str, sizes: tuple[int, int], figures: dict[str, float]) -> str:
    cells = "".join(f"{figures[m]:>12.2f}" if m in figures else f"{'-':>12}" for m in MODES)
    ratios = "".join(f"{figures[a] / figures[b]:>9.1f}x" if a in figures and b in figures else f"{'-':>10}"
                     for a, b in (("no Redis", "warm Redis"), ("cold Redis", "no Redis")))  # fmt: skip
    kib = f"{sizes[0] / 1024:.0f} + {sizes[1] / 1024:.0f} KiB"
    return f"{store:<9}{label:<22}{kib:>18}{cells}{ratios}"


def redis_answers(url: str) -> bool:
    import redis

    try:
        with redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1) as client:
            return bool(client.ping())
    except Exception:
        return False


def supabase_stores():
    """(job store, artifact store, identity) of OMTX_SUPABASE_URL / OMTX_SUPABASE_KEY, or None when unset."""
    url, key = os.environ.get("OMTX_SUPABASE_URL"), os.environ.get("OMTX_SUPABASE_KEY")
    if not url or not key:
        return None
    from omtx_core.store.factory import open_stores

    settings = Settings(store="supabase", supabase_url=url, supabase_key=key)
    return open_stores(settings), identity_for("supabase", key), settings


def main() -> None:
    redis_url = os.environ.get("OMTX_REDIS_URL") or "redis://127.0.0.1:6379/0"
    if not redis_answers(redis_url):
        print(f"No Redis answers at {redis_url}: only the figures without Redis (set OMTX_REDIS_URL).")
        redis_url = None
    with tempfile.TemporaryDirectory(prefix="omtx-bench-") as tmp:
        started = time.perf_counter()
        made, store, artifacts, settings = make_jobs(Path(tmp))
        print(f"(made both jobs with the real worker and the stand-in boltz in {time.perf_counter() - started:.0f} s)")
        rows = time_store("sqlite", made, (store, artifacts), settings, LOCAL_USER, redis_url)
        supabase = supabase_stores()
        if supabase is None:
            rows.append("supabase: not measured. Set OMTX_SUPABASE_URL and OMTX_SUPABASE_KEY, or run under "
                        "`python -m tests.serve_supabase -- ...` (see this module's docstring).")  # fmt: skip
        else:
            (sb_store, sb_artifacts), identity, sb_settings = supabase
            copy_jobs(made, artifacts, sb_store, sb_artifacts)
            try:
                rows += time_store("supabase", made, (sb_store, sb_artifacts), sb_settings, identity, redis_url)
            finally:
                for _, job in made:
                    sb_store.delete(job.id)
                    sb_artifacts.delete_prefix(JobFiles(job.id).results)
    print(f"Result page data load (JobService.get + result_document), median of {REPEATS}, in ms")
    header = "".join(f"{m:>12}" for m in MODES)
    print(f"{'store':<9}{'job':<22}{'record + document':>18}{header}{'no/warm':>10}{'cold/no':>10}")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
