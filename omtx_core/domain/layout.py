"""Where a job's files live in the artifact store: the one module that builds artifact keys.

    inputs/<job id>/<run>.yaml                                  Boltz input of each run (as run)
    inputs/msa-cache/<sha256 of the sequence>.csv               a protein's MSA, reused across jobs
    results/<job id>/result.json                                the result document (written last)
    results/<job id>/partial.json                               finished runs of a job still running
    results/<job id>/boltz_results/predictions/<run>/<file>     Boltz's own output, as Boltz lays it out
    results/<job id>/boltz_results/processed/records/<run>.json
    logs/<job id>/engine.log                                    the engine's log

Keys are `<bucket>/<job id>/<relative path>`: the bucket is the first segment (a Supabase Storage bucket, or a
folder on disk) and the job id the second, which is what storage policies check ownership by.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

BUCKETS = ("inputs", "results", "logs")
MSA_CACHE_FOLDER = "msa-cache"  # in the inputs bucket, beside the job folders; never a job id (ids are hex)
RESULT_FILE = "result.json"
PARTIAL_FILE = "partial.json"
LOG_FILE = "engine.log"
BOLTZ_FOLDER = "boltz_results"
_KEY = re.compile(r"(inputs|results|logs)/[A-Za-z0-9._-]+(/[A-Za-z0-9._+-]+)*")  # fullmatch: `$` allows a final \n


def check_artifact_key(key: str) -> str:
    """The key itself when it is `<bucket>/<job id>/<relative path>` with no `..`, absolute path or odd character."""
    if not _KEY.fullmatch(key) or any(part in (".", "..") for part in key.split("/")):
        raise ValueError(f"invalid artifact key {key!r}")
    return key


def msa_cache_key(sequence: str) -> str:
    return f"inputs/{MSA_CACHE_FOLDER}/{hashlib.sha256(sequence.encode()).hexdigest()}.csv"


@dataclass(frozen=True)
class JobFiles:
    """The artifact keys of one job (for a cache hit, pass the id of the job whose results it reads)."""

    job_id: str

    def __post_init__(self) -> None:
        check_artifact_key(f"results/{self.job_id}/{RESULT_FILE}")  # the id is a key segment: no `/` or `..`

    @property
    def folders(self) -> tuple[str, ...]:
        """`inputs/<id>/`, `results/<id>/`, `logs/<id>/`: everything the job owns."""
        return tuple(f"{bucket}/{self.job_id}/" for bucket in BUCKETS)

    @property
    def inputs(self) -> str:
        return f"inputs/{self.job_id}/"

    def boltz_input(self, run: str) -> str:
        return check_artifact_key(f"inputs/{self.job_id}/{run}.yaml")

    @property
    def results(self) -> str:
        return f"results/{self.job_id}/"

    @property
    def result_document(self) -> str:
        return f"results/{self.job_id}/{RESULT_FILE}"

    @property
    def partial_results(self) -> str:
        return f"results/{self.job_id}/{PARTIAL_FILE}"

    @property
    def boltz_output(self) -> str:
        """The folder holding Boltz's own layout (`predictions/`, `processed/records/`), with a final `/`."""
        return f"results/{self.job_id}/{BOLTZ_FOLDER}/"

    def prediction_file(self, run: str, name: str) -> str:
        return check_artifact_key(f"{self.boltz_output}predictions/{run}/{name}")

    def record(self, run: str) -> str:
        return check_artifact_key(f"{self.boltz_output}processed/records/{run}.json")

    @property
    def logs(self) -> str:
        return f"logs/{self.job_id}/"

    @property
    def engine_log(self) -> str:
        return f"logs/{self.job_id}/{LOG_FILE}"
