"""The JobStore and ArtifactStore contract, run against every implementation (subclass and give fixtures)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from omtx_core.domain.identity import LOCAL_OWNER
from omtx_core.domain.job import Job, JobQuery, JobStatus, utcnow
from omtx_core.errors import ArtifactNotFound, IllegalTransition, JobNotFound, StaleJobError
from omtx_core.store.base import LimitUsage, SubmissionLimits


def make_job(**fields) -> Job:
    defaults = {"owner": LOCAL_OWNER, "task_type": "protein_structure", "job_name": "ubiquitin",
                "input": {"protein_sequence": "MQIF"}, "input_hash": "h1", "progress_total": 1}  # fmt: skip
    return Job(**(defaults | fields))


class JobStoreContract:
    """Subclasses provide a `store` fixture (a fresh, empty JobStore) and may override `owner`."""

    owner = "local"

    def job(self, **fields) -> Job:
        return make_job(owner=self.owner, **fields)

    def test_create_get_roundtrip_keeps_every_field(self, store):
        job = self.job(options={"seed": 1}, result=None, engine_call_ids=["a"], artifacts=["results/x/y.json"])
        store.create(job)
        assert store.get(job.id) == job
        assert store.get("missing") is None

    def test_create_is_idempotent(self, store):
        job = self.job()
        store.create(job)
        assert store.create(job) == job
        assert store.list(JobQuery()).total == 1

    def test_list_newest_first_filters_search_and_paging(self, store):
        base = utcnow()
        for i in range(7):
            store.create(self.job(job_name=f"Kinase screen {i}" if i % 2 else f"dimer {i}",
                                  task_type="drug_discovery" if i % 2 else "protein_complex",
                                  created_at=base + timedelta(seconds=i)))  # fmt: skip
        page = store.list(JobQuery(limit=3))
        assert page.total == 7 and [j.job_name for j in page.jobs] == ["dimer 6", "Kinase screen 5", "dimer 4"]
        assert [j.job_name for j in store.list(JobQuery(limit=3, offset=6)).jobs] == ["dimer 0"]
        assert store.list(JobQuery(task_type="drug_discovery")).total == 3
        assert store.list(JobQuery(search="KINASE")).total == 3
        assert store.list(JobQuery(search="%")).total == 0  # wildcards are literal
        assert store.list(JobQuery(status=JobStatus.RUNNING)).total == 0

    def test_update_applies_changes_and_checks_transitions(self, store):
        job = store.create(self.job())
        done = store.update(job.id, {"status": JobStatus.CANCELLED})
        assert done.status == JobStatus.CANCELLED and done.updated_at >= job.updated_at
        with pytest.raises(IllegalTransition):
            store.update(job.id, {"status": JobStatus.RUNNING})
        with pytest.raises(JobNotFound):
            store.update("missing", {"job_name": "x"})

    def test_update_is_conditional(self, store):
        job = store.create(self.job())
        with pytest.raises(StaleJobError):
            store.update(job.id, {"progress_done": 1}, expect_status=JobStatus.RUNNING)
        claimed = store.claim_next("w1", 60, max_running=10, now=utcnow())
        with pytest.raises(StaleJobError):
            store.update(job.id, {"progress_done": 1}, expect_lease_owner="w2")
        updated = store.update(claimed.id, {"progress_done": 1, "result": {"a": [1.5]}}, expect_lease_owner="w1")
        assert updated.progress_done == 1 and store.get(job.id).result == {"a": [1.5]}

    def test_delete(self, store):
        job = store.create(self.job())
        assert store.delete(job.id) is True and store.get(job.id) is None and store.delete(job.id) is False

    def test_claim_takes_oldest_pending_and_sets_lease(self, store):
        now = utcnow()
        old = store.create(self.job(created_at=now - timedelta(seconds=5)))
        store.create(self.job(created_at=now))
        claimed = store.claim_next("w1", 30, max_running=10, now=now)
        assert claimed.id == old.id and claimed.status == JobStatus.RUNNING and claimed.attempts == 1
        assert claimed.lease_owner == "w1" and claimed.lease_expires_at == now + timedelta(seconds=30)
        assert claimed.started_at == now

    def test_claim_respects_max_running_and_reclaims_expired_leases(self, store):
        now = utcnow()
        first = store.create(self.job(created_at=now - timedelta(seconds=1)))
        store.create(self.job(created_at=now))
        assert store.claim_next("w1", 10, max_running=1, now=now).id == first.id
        assert store.claim_next("w2", 10, max_running=1, now=now) is None  # cap reached
        later = now + timedelta(seconds=11)  # w1 died: its lease expired
        again = store.claim_next("w2", 10, max_running=1, now=later)
        assert again.id == first.id and again.attempts == 2 and again.lease_owner == "w2"
        assert store.heartbeat(first.id, "w1", 10, now=later) is None  # w1 lost it
        beat = store.heartbeat(first.id, "w2", 10, now=later + timedelta(seconds=5))
        assert beat.lease_expires_at == later + timedelta(seconds=15)

    def test_terminal_jobs_are_never_claimed(self, store):
        job = store.create(self.job())
        store.update(job.id, {"status": JobStatus.CANCELLED})
        assert store.claim_next("w1", 10, max_running=10, now=utcnow()) is None

    def test_concurrent_claims_never_share_a_job(self, store):
        for _ in range(40):
            store.create(self.job())
        claimed: list[str] = []
        lock = threading.Lock()

        def worker(name: str) -> None:
            while (job := store.claim_next(name, 300, max_running=100, now=utcnow())) is not None:
                with lock:
                    claimed.append(job.id)

        threads = [threading.Thread(target=worker, args=(f"w{i}",)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(claimed) == 40 and len(set(claimed)) == 40

    def test_find_completed_and_results_users(self, store):
        done = store.create(self.job(input_hash="abc"))
        store.claim_next("w", 10, max_running=10, now=utcnow())
        store.update(done.id, {"status": JobStatus.COMPLETED})
        assert store.find_completed("abc", self.owner).id == done.id
        assert store.find_completed("other", self.owner) is None
        hit = store.create(self.job(input_hash="abc", status=JobStatus.COMPLETED, cache_hit=True,
                                    results_from=done.id))  # fmt: skip
        assert store.find_completed("abc", self.owner).id == done.id  # never a cache hit itself
        assert store.count_results_users(done.id) == 1 and store.count_results_users(hit.id) == 0

    def test_create_limited_counts_then_creates_or_refuses(self, store):
        limits, now = SubmissionLimits(per_window=3, active_per_owner=2, active_total=5), utcnow()
        job, usage = store.create_limited(self.job(), limits, now=now)
        assert store.get(job.id) == job and usage == LimitUsage(0, 0.0, 0, 0)
        store.create_limited(self.job(), limits, now=now)
        refused, usage = store.create_limited(self.job(), limits, now=now)  # over the per-owner cap
        assert refused is None and (usage.recent, usage.active_owner, usage.active_total) == (2, 2, 2)
        done = self.job(status=JobStatus.COMPLETED, created_at=now, finished_at=now)
        assert store.create_limited(done, limits, now=now)[0] == done  # no engine time: the caps do not apply
        refused, usage = store.create_limited(self.job(status=JobStatus.COMPLETED), limits, now=now)  # the rate
        assert refused is None and usage.recent == 3 and 0 < usage.retry_after_s <= 60
        assert store.list(JobQuery()).total == 3
        assert store.create_limited(job, limits, now=now)[0] == job  # an existing id comes back, as with create


class ArtifactStoreContract:
    """Subclasses provide an `artifacts` fixture (a fresh, empty ArtifactStore)."""

    def test_put_get_exists_list_delete(self, artifacts):
        artifacts.put("results/j1/predictions/a/model_0.cif", b"data_model\n")
        artifacts.put("results/j1/result.json", b"{}", "application/json")
        artifacts.put("logs/j1/engine.log", b"line\n")
        artifacts.put("results/j2/result.json", b"{}")
        assert artifacts.get("results/j1/result.json") == b"{}"
        assert artifacts.exists("logs/j1/engine.log") and not artifacts.exists("logs/j1/other.log")
        assert artifacts.list("results/j1/") == ["results/j1/predictions/a/model_0.cif", "results/j1/result.json"]
        assert artifacts.delete_prefix("results/j1/") == 2
        assert artifacts.list("results/j1/") == [] and artifacts.exists("results/j2/result.json")
        with pytest.raises(ArtifactNotFound):
            artifacts.get("results/j1/result.json")

    def test_delete_one_key(self, artifacts):
        artifacts.put("logs/j1/engine.log", b"x")
        artifacts.put("logs/j1/other.log", b"y")
        assert artifacts.delete("logs/j1/engine.log") is True and artifacts.delete("logs/j1/engine.log") is False
        assert artifacts.list("logs/j1/") == ["logs/j1/other.log"]

    def test_overwrite(self, artifacts):
        artifacts.put("inputs/j1/run.yaml", b"a")
        artifacts.put("inputs/j1/run.yaml", b"b")
        assert artifacts.get("inputs/j1/run.yaml") == b"b"

    @pytest.mark.parametrize("key", ["../x", "results/../etc/passwd", "/abs/path", "other/j1/x", "results/j1/a b"])
    def test_bad_keys_are_refused(self, artifacts, key):
        with pytest.raises(ValueError):
            artifacts.put(key, b"x")
