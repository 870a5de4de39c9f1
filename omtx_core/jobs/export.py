"""Job downloads: stored results as a local Boltz folder, `.pdb` from `.cif`, the metrics CSV, job ZIPs."""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from omtx_core.boltz.plan import safe_name
from omtx_core.domain.job import Job, JobStatus
from omtx_core.domain.layout import BOLTZ_FOLDER, BUCKETS, RESULT_FILE, JobFiles
from omtx_core.domain.results import ResultDocument
from omtx_core.errors import OmtxError
from omtx_core.jobs.results import read_result_document
from omtx_core.store.base import ArtifactStore
from omtx_core.tasks import task_analysis_model

# PDB's fixed columns: 5-digit atom serials, 4-digit residue numbers, chain id in column 22 (gemmi also uses
# column 21, so 2 characters). gemmi would write larger numbers in hybrid-36, which most viewers misread.
PDB_MAX_ATOMS = 99_999
PDB_RESIDUE_NUMBERS = range(-999, 10_000)
PDB_MAX_CHAIN_ID = 2
_PDB_HINT = "Download the .cif file instead: mmCIF has no such limits."

# One row per run and model rank. pLDDT columns are 0–100 (as in the structure's B-factors; Boltz's JSON holds
# 0–1), which their names say; PDE in Å;
# log10_IC50_uM is Boltz's affinity_pred_value (lower is stronger); affinity numbers repeat on each model
# row of a run because Boltz scores affinity once per run. The *_head1/2 columns are the two ensemble heads.
METRIC_COLUMNS = (
    "job_id", "job_name", "run", "status", "model_rank",
    "confidence_score", "pTM", "ipTM", "ligand_ipTM", "protein_ipTM",
    "complex_pLDDT_0_100", "complex_ipLDDT_0_100", "complex_PDE_A", "complex_iPDE_A", "mean_pLDDT_0_100",
    "log10_IC50_uM", "pIC50", "IC50_nM", "IC50_uM", "dG_kcal_per_mol", "binder_probability",
    "log10_IC50_uM_head1", "log10_IC50_uM_head2", "binder_probability_head1", "binder_probability_head2",
    "failure_reason",
)  # fmt: skip
_MODEL_COLUMNS = {
    "confidence_score": "confidence_score", "pTM": "ptm", "ipTM": "iptm", "ligand_ipTM": "ligand_iptm",
    "protein_ipTM": "protein_iptm", "complex_PDE_A": "complex_pde", "complex_iPDE_A": "complex_ipde",
}  # fmt: skip
_PLDDT_COLUMNS = {"complex_pLDDT_0_100": "complex_plddt", "complex_ipLDDT_0_100": "complex_iplddt",
                  "mean_pLDDT_0_100": "plddt_mean"}  # fmt: skip
_AFFINITY_COLUMNS = {
    "log10_IC50_uM": "affinity_pred_value", "pIC50": "pic50", "IC50_nM": "ic50_nm", "IC50_uM": "ic50_um",
    "dG_kcal_per_mol": "delta_g_kcal_mol", "binder_probability": "affinity_probability_binary",
    "log10_IC50_uM_head1": "affinity_pred_value1", "log10_IC50_uM_head2": "affinity_pred_value2",
    "binder_probability_head1": "affinity_probability_binary1",
    "binder_probability_head2": "affinity_probability_binary2",
}  # fmt: skip


# --- results as a local Boltz folder ---------------------------------------------------------------------


def materialize(job: Job, artifacts: ArtifactStore, cache_dir: Path) -> Path:
    """The job's stored Boltz results as `cache_dir/<results job id>/boltz_results/`, downloaded once.

    The download goes to a temporary folder renamed into place, so a concurrent reader sees the whole
    folder or none; when two callers race, the first rename wins and the other's copy is dropped.
    """
    source = job.results_job_id
    files = JobFiles(source)  # checks the id, which becomes a folder name: no `..` or `/`
    target = Path(cache_dir) / source / BOLTZ_FOLDER
    if target.is_dir():
        return target
    if job.status != JobStatus.COMPLETED:
        raise OmtxError(f"Job {job.id} has no results: it is {job.status.value}.", "Wait until it completes.")
    prefix = files.boltz_output
    keys = [key for key in artifacts.list(files.results) if key.startswith(prefix)]
    if not keys:
        raise OmtxError(f"Job {job.id} has no stored Boltz results.", "Its results may have been deleted; re-run it.")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        for key in keys:
            path = staging / key.removeprefix(prefix)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(artifacts.get(key))
        try:
            os.rename(staging, target)
        except OSError:
            if not target.is_dir():  # not a lost race: a real error
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


# --- PDB -------------------------------------------------------------------------------------------------


def pdb_from_cif(cif_text: str) -> str:
    """A PDB-format copy of an mmCIF structure, keeping chain ids, B-factors (pLDDT 0–100) and HETATM ligands.

    Residue names longer than 3 characters are cut to 3 by gemmi (Boltz's `LIG1` becomes `LIG`; the chain id
    still tells ligands apart). Chain ids of 2 characters go in columns 21–22, as gemmi writes them. Structures
    PDB cannot hold (over 99,999 atoms, residue numbers beyond 4 digits, chain ids over 2 characters) raise
    OmtxError rather than being renamed, so chain letters always match the rest of the results.
    """
    import gemmi

    try:
        structure = gemmi.make_structure_from_block(gemmi.cif.read_string(cif_text).sole_block())
    except (RuntimeError, ValueError) as exc:
        raise OmtxError(f"The structure cannot be read as mmCIF ({exc}).", "Download the .cif file itself.") from exc
    _check_pdb_limits(structure)
    structure.setup_entities()
    return structure.make_pdb_string()


def _check_pdb_limits(structure) -> None:
    atoms = max((model.count_atom_sites() for model in structure), default=0)  # serials restart per model
    if atoms > PDB_MAX_ATOMS:
        raise OmtxError(f"The structure has {atoms:,} atoms; the PDB format holds at most 99,999.", _PDB_HINT)
    for chain in (chain for model in structure for chain in model):
        if len(chain.name) > PDB_MAX_CHAIN_ID:
            raise OmtxError(
                f"Chain id {chain.name} is too long for the PDB format (at most {PDB_MAX_CHAIN_ID} characters).",
                _PDB_HINT,
            )
        if any(residue.seqid.num not in PDB_RESIDUE_NUMBERS for residue in chain):
            raise OmtxError(f"Chain {chain.name} has residue numbers the PDB format cannot hold.", _PDB_HINT)


# --- metrics CSV -----------------------------------------------------------------------------------------


def metrics_rows(job: Job, result_document: ResultDocument) -> list[dict[str, Any]]:
    """One row per run and model rank (runs in document order), then one `failed` row per failed run."""
    rows = []
    for run, summary in result_document.runs.items():
        affinity = summary.affinity
        for model in summary.models:
            row = _row(job, run, "completed", model_rank=model.rank)
            row.update({column: getattr(model, key) for column, key in _MODEL_COLUMNS.items()})
            row.update({column: _percent(getattr(model, key)) for column, key in _PLDDT_COLUMNS.items()})
            row.update({column: getattr(affinity, key, None) for column, key in _AFFINITY_COLUMNS.items()})
            rows.append(row)
    for run, failure in result_document.failed_runs.items():
        rows.append(_row(job, run, "failed", failure_reason=failure.message))
    return rows


def _percent(fraction: float | None) -> float | None:
    # Four decimals keep Boltz's float32 precision without printing float noise (78.87284159660339).
    return None if fraction is None else round(fraction * 100.0, 4)


def _row(job: Job, run: str, status: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(METRIC_COLUMNS)
    row.update(job_id=job.id, job_name=job.job_name, run=run, status=status, **values)
    return row


def metrics_csv(job: Job, result_document: ResultDocument) -> str:
    """The metrics rows as CSV text with a header row; empty cells where a number does not apply.

    Text cells (the job name, a failure reason) that a spreadsheet would run as a formula get a leading `'`;
    numbers are written as they are.
    """
    from omtx_core.analysis.screening import spreadsheet_text

    out = io.StringIO()
    # CRLF rows (RFC 4180): the writer quotes a field holding either character, so a CR in a name cannot end a row.
    writer = csv.DictWriter(out, fieldnames=METRIC_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in metrics_rows(job, result_document):
        writer.writerow(
            {key: spreadsheet_text(value) if isinstance(value, str) else value for key, value in row.items()}
        )
    return out.getvalue()


# --- ZIPs ------------------------------------------------------------------------------------------------


def job_zip(job: Job, artifacts: ArtifactStore) -> bytes:
    """A ZIP of one job: record, input, Boltz YAMLs, every result artifact, log, metrics CSV, result document."""
    return _zip_bytes(_job_entries(job, artifacts, folder=""))


def jobs_zip(jobs: Iterable[Job], artifacts: ArtifactStore) -> bytes:
    """Several jobs in one ZIP, each in its own `<job name slug>-<first 8 characters of its id>/` folder."""
    unique = {job.id: job for job in jobs}
    entries = []
    for job in unique.values():
        slug = safe_name(job.job_name, fallback="job")[:40].strip("_-") or "job"
        entries += _job_entries(job, artifacts, folder=f"{slug}-{job.id[:8]}/")
    return _zip_bytes(entries)


def _job_entries(job: Job, artifacts: ArtifactStore, folder: str) -> list[tuple[str, bytes, datetime]]:
    """(name in the ZIP, bytes, date) of one job; only the Job record and artifacts, never environment data."""
    stamp = job.created_at
    files: dict[str, bytes] = {
        "job.json": job.model_dump_json(indent=2).encode(),
        "input.json": json.dumps(job.input, indent=2, sort_keys=True).encode(),
    }
    # A cache hit ran nothing itself: its inputs, results and log are those of the job it reuses.
    for bucket in BUCKETS:
        files.update(_bucket_files(job, artifacts, bucket))
    if job.status == JobStatus.COMPLETED:
        model = task_analysis_model(job.task_type)
        document = read_result_document(job.results_job_id, artifacts, analysis_model=model)
        files[RESULT_FILE] = document.model_dump_json(indent=2).encode()
        files["metrics.csv"] = metrics_csv(job, document).encode()
    return [(folder + name, data, stamp) for name, data in files.items()]


def _bucket_files(job: Job, artifacts: ArtifactStore, bucket: str) -> dict[str, bytes]:
    owners = [job.results_job_id] if bucket == "results" else list(dict.fromkeys([job.id, job.results_job_id]))
    for owner in owners:
        prefix = f"{bucket}/{owner}/"
        keys = artifacts.list(prefix)
        if keys:
            return {f"{bucket}/{key.removeprefix(prefix)}": artifacts.get(key) for key in keys}
    return {}


def _zip_bytes(entries: list[tuple[str, bytes, datetime]]) -> bytes:
    """Entries sorted by name with fixed dates and modes, so the same jobs always give the same bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, stamp in sorted(entries, key=lambda entry: entry[0]):
            info = zipfile.ZipInfo(name, date_time=_zip_time(stamp))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, whatever machine builds it
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _zip_time(stamp: datetime) -> tuple[int, int, int, int, int, int]:
    # ZIP dates start in 1980 and carry no time zone; the job's UTC creation time keeps them reproducible.
    return max((1980, 1, 1, 0, 0, 0), stamp.utctimetuple()[:6])
