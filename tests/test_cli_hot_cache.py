"""With OMTX_REDIS_URL set, `python -m omtx_core jobs ...` reads finished jobs through Redis, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import redis as redis_lib

from omtx_core.cache import cache_prefix
from omtx_core.config import Settings
from tests.hot import finished_job, rename_behind_the_stores_back

REPO = Path(__file__).resolve().parents[1]


def test_the_cli_reads_finished_jobs_through_redis(tmp_path, redis):
    settings = Settings(data_dir=tmp_path / "data")
    job_id = finished_job(settings)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OMTX_", "MODAL_"))}
    env |= {"OMTX_DATA_DIR": str(settings.data_dir), "OMTX_REDIS_URL": redis, "OMTX_CACHE_TTL_S": "300",
            "OMTX_BOLTZ_COMMAND": str(tmp_path / "no-boltz-installed"), "HOME": str(tmp_path)}  # fmt: skip

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "omtx_core", *args], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=120)  # fmt: skip

    first = json.loads(cli("jobs", "show", job_id, "--json").stdout)
    key = f"{cache_prefix(settings)}job:{job_id}"
    with redis_lib.Redis.from_url(redis) as raw:
        assert 290_000 < raw.pttl(key) <= 300_000  # the CLI cached the record, with the TTL of its settings
        rename_behind_the_stores_back(settings, job_id, "renamed behind the store's back")
        assert json.loads(cli("jobs", "show", job_id, "--json").stdout)["job_name"] == first["job_name"]
        assert cli("jobs", "delete", job_id).returncode == 0
        missing = cli("jobs", "show", job_id)
        assert missing.returncode == 2 and "no job" in missing.stderr
