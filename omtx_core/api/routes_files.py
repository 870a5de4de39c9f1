"""Routes of a job's results and files: the result document, the file list, streamed downloads, logs, imports."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response, StreamingResponse

from omtx_core.api.errors import ERROR_RESPONSES, IMPORT_TOO_LARGE
from omtx_core.api.routes_jobs import Jobs
from omtx_core.api.schemas import FileListOut, FileOut, JobOut, LogsOut, ResultOut
from omtx_core.domain.job import Job, JobStatus
from omtx_core.domain.layout import JobFiles
from omtx_core.errors import ArtifactNotFound, ImportRefused
from omtx_core.jobs.service import JobService

router = APIRouter(tags=["results"])
CHUNK = 1 << 20  # bytes per streamed chunk
MAX_OFFSET = 2**62
_TEXT = "; charset=utf-8"
_TYPES = {".cif": "chemical/x-mmcif", ".pdb": "chemical/x-pdb", ".json": "application/json", ".csv": "text/csv" + _TEXT,
          ".yaml": "application/yaml", ".log": "text/plain" + _TEXT, ".txt": "text/plain" + _TEXT,
          ".a3m": "text/plain" + _TEXT, ".sdf": "chemical/x-mdl-sdfile", ".zip": "application/zip"}  # fmt: skip

_CONTENT = {media: {} for media in sorted({t.split(";")[0] for t in _TYPES.values()} | {"application/octet-stream"})}


@dataclass(frozen=True)
class _File:
    content_type: str
    load: Callable[[], bytes]
    size: int | None = None


def _errors(*statuses: int) -> dict:
    return {status: ERROR_RESPONSES[status] for status in statuses}


@router.get("/jobs/{job_id}/result", response_model=ResultOut, responses=_errors(404))
def result(job_id: str, jobs: Jobs) -> JSONResponse:
    """A completed job's typed result document: every run, every failed run, and the task's analysis."""
    job = jobs.get(job_id)
    document = jobs.result_document(job).model_dump(mode="json")
    return JSONResponse({"job_id": job.id, "job_name": job.job_name, "task_type": job.task_type, **document})


@router.get("/jobs/{job_id}/files", response_model=FileListOut, responses=_errors(404))
def files(job_id: str, jobs: Jobs) -> FileListOut:
    """The files of a job that can be downloaded: structures, arrays, inputs, log, CSVs, SDF, the job ZIP."""
    catalogue = _catalogue(jobs, jobs.get(job_id))
    return FileListOut(
        files=[FileOut(name=name, content_type=f.content_type, size=f.size) for name, f in catalogue.items()]
    )


@router.get(
    "/jobs/{job_id}/files/{name:path}",
    response_class=StreamingResponse,
    responses={200: {"content": _CONTENT, "description": "The file, streamed"},
               304: {"description": "Unchanged since the ETag given in If-None-Match"}, **_errors(404)},
)  # fmt: skip
def download(job_id: str, name: str, request: Request, jobs: Jobs) -> Response:
    """One file of the job, streamed with its content type and an ETag (304 when If-None-Match matches)."""
    entry = _catalogue(jobs, jobs.get(job_id)).get(name)
    if entry is None:
        raise ArtifactNotFound(f"Job {job_id} has no file {name!r}.", "List its files with GET /jobs/{id}/files.")
    data = entry.load()
    etag = f'"{hashlib.sha256(data).hexdigest()[:32]}"'
    headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    filename = name.rsplit("/", 1)[-1]
    headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return StreamingResponse(_chunks(data), media_type=entry.content_type, headers=headers)


def _chunks(data: bytes) -> Iterator[bytes]:
    view = memoryview(data)
    for start in range(0, len(data), CHUNK):
        yield bytes(view[start : start + CHUNK])


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


@router.get("/jobs/{job_id}/logs", response_model=LogsOut, responses=_errors(404))
def logs(job_id: str, jobs: Jobs, since: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> LogsOut:
    """The engine log from byte `since` on, and the offset to ask from next time (poll while it runs)."""
    job = jobs.get(job_id)
    data = (jobs.engine_log(job) or "").encode()
    start = min(since, len(data))
    return LogsOut(text=data[start:].decode(errors="replace"), next=len(data), finished=job.status.is_terminal)


@router.post("/import", status_code=201, response_model=JobOut, responses=_errors(400, 413, 422, 429))
async def import_zip(
    request: Request, jobs: Jobs, file: UploadFile, job_name: Annotated[str | None, Form(max_length=200)] = None
) -> JobOut:
    """Boltz output made elsewhere (a ZIP of a boltz_results_<name> folder) as a completed, analysed job."""
    from starlette.concurrency import run_in_threadpool

    limit = request.app.state.settings.import_max_mb * 2**20
    data = await file.read(limit + 1)
    if len(data) > limit:
        refused = ImportRefused(
            f"The upload is larger than the {limit // 2**20} MB allowed.",
            "Zip only predictions/ and processed/records/ of the boltz_results folder.",
        )
        setattr(refused, IMPORT_TOO_LARGE, True)
        raise refused
    try:
        job = await run_in_threadpool(jobs.import_results, data, job_name=job_name or None)
    except ImportRefused as exc:
        from omtx_core.jobs import importer

        if exc.hint == importer._SIZE_HINT:  # too many members or too large once expanded
            setattr(exc, IMPORT_TOO_LARGE, True)
        raise
    return JobOut.of(job)


def _catalogue(jobs: JobService, job: Job) -> dict[str, _File]:
    """Every downloadable file of the job by name, loaded only when asked for."""
    found: dict[str, _File] = {"job.zip": _File(_TYPES[".zip"], lambda: jobs.job_zip([job]))}
    owners = list(dict.fromkeys([job.id, job.results_job_id]))  # a cache hit's files are its source job's
    if any(jobs.artifacts.exists(JobFiles(owner).engine_log) for owner in owners):
        found["engine.log"] = _File(_TYPES[".log"], lambda: (jobs.engine_log(job) or "").encode())
    for owner in owners:
        if keys := jobs.artifacts.list(JobFiles(owner).inputs):
            found.update({f"boltz_inputs/{key.rsplit('/', 1)[-1]}": _stored(jobs, key) for key in keys})
            break
    if job.status != JobStatus.COMPLETED:
        return found
    found["result.json"] = _File(_TYPES[".json"], lambda: jobs.result_document(job).model_dump_json(indent=2).encode())
    found["metrics.csv"] = _File(_TYPES[".csv"], lambda: _metrics_csv(jobs, job))
    if job.task_type == "drug_discovery":
        found["compounds.csv"] = _File(_TYPES[".csv"], lambda: _compounds_csv(jobs, job))
        found["poses.sdf"] = _File(_TYPES[".sdf"], lambda: _poses_sdf(jobs, job))
    prefix = JobFiles(job.results_job_id).results
    for key in jobs.artifacts.list(JobFiles(job.results_job_id).boltz_output):
        found[key.removeprefix(prefix)] = _stored(jobs, key)
    return found


def _stored(jobs: JobService, key: str) -> _File:
    suffix = "." + key.rsplit(".", 1)[-1] if "." in key.rsplit("/", 1)[-1] else ""
    return _File(_TYPES.get(suffix, "application/octet-stream"), lambda: jobs.artifacts.get(key), _size(jobs, key))


def _size(jobs: JobService, key: str) -> int | None:
    """A stored file's size where the store tells it cheaply (files on disk); None rather than a download."""
    root = getattr(jobs.artifacts, "root", None)
    if root is None:
        return None
    try:
        return (root / key).stat().st_size
    except (OSError, TypeError):
        return None


def _metrics_csv(jobs: JobService, job: Job) -> bytes:
    from omtx_core.jobs.export import metrics_csv

    return metrics_csv(job, jobs.result_document(job)).encode()


def _screen_rows(jobs: JobService, job: Job) -> list:
    from omtx_core.analysis.screening import rank_compounds

    rows = getattr(jobs.result_document(job).analysis, "rows", None)
    if not rows:
        raise ArtifactNotFound(f"Job {job.id} has no compound table.", "Its analysis may have failed; re-run it.")
    return rank_compounds(rows)


def _compounds_csv(jobs: JobService, job: Job) -> bytes:
    from omtx_core.analysis.screening import rows_to_csv

    return rows_to_csv(_screen_rows(jobs, job)).encode()


def _poses_sdf(jobs: JobService, job: Job) -> bytes:
    """Each compound's predicted pose with bond orders from its SMILES, as the job page's SDF download."""
    from omtx_core.analysis.poses import poses_to_sdf
    from omtx_core.analysis.structure import first_chain
    from omtx_core.boltz.outputs import parse_boltz_output

    rows = _screen_rows(jobs, job)
    folder = jobs.boltz_output(job, jobs.settings.data_dir / "cache")
    predictions = {p.name: p for p in parse_boltz_output(folder)}
    items = [(r.name, r.smiles, predictions[r.run].best.structure_path, first_chain(predictions[r.run], "ligand"),
              {"pIC50": r.pic50, "binder_probability": r.binder_probability})
             for r in rows if r.run in predictions]  # fmt: skip
    return poses_to_sdf(items)[0].encode()
