"""Times SqliteJobStore.list over 100,000 jobs (pages, filters, search): `python -m bench.bench_sqlite_list`."""

from __future__ import annotations

import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from omtx_core.domain.identity import LOCAL_OWNER
from omtx_core.domain.job import Job, JobQuery, JobStatus
from omtx_core.store.sqlite import FOLDED_NAME, SqliteJobStore, format_time, job_to_row

JOBS = 100_000
REPEATS = 20

QUERIES = {
    "first page (50)": JobQuery(),
    "deep page (offset 90,000)": JobQuery(offset=90_000),
    "status = completed": JobQuery(status=JobStatus.COMPLETED),
    "search 'screen 12'": JobQuery(search="screen 12"),
    "status + search + page 3": JobQuery(status=JobStatus.FAILED, search="screen", offset=100),
}


def fill(store: SqliteJobStore) -> float:
    """Insert JOBS jobs in one transaction (names and statuses vary); return the seconds it took."""
    template = job_to_row(Job(owner=LOCAL_OWNER, task_type="protein_structure", job_name="x",
                              input={"protein_sequence": "MQIF"}, input_hash="h"))  # fmt: skip
    base = datetime(2024, 1, 1, tzinfo=UTC)
    statuses = [status.value for status in JobStatus]
    rows = []
    for i in range(JOBS):
        name = f"Kinase screen {i}" if i % 3 == 0 else f"dimer {i}"
        rows.append(template | {"id": f"job{i:06d}", "created_at": format_time(base + timedelta(seconds=i)),
                                "status": statuses[i % 5], "job_name": name, FOLDED_NAME: name.casefold()})  # fmt: skip
    start = time.perf_counter()
    store._insert_rows(rows)
    return time.perf_counter() - start


def median_ms(store: SqliteJobStore, query: JobQuery) -> tuple[float, int]:
    times = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        page = store.list(query)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, page.total


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = SqliteJobStore(Path(folder) / "jobs.sqlite")
        print(f"insert {JOBS:,} jobs: {fill(store):.2f} s")
        first, _ = median_ms(store, QUERIES["first page (50)"])
        for label, query in QUERIES.items():
            ms, total = median_ms(store, query)
            print(f"{label:<28} {ms:8.2f} ms  ({ms / first:5.1f}x first page)  total={total:,}")
        store.close()


if __name__ == "__main__":
    main()
