"""Import Boltz output made elsewhere (a ZIP, or a folder on this machine) as a completed job."""

from __future__ import annotations

import io
import logging
import re
import shutil
import stat
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path, PurePosixPath

from omtx_core.boltz.outputs import parse_boltz_output
from omtx_core.boltz.results import BoltzPrediction, shown
from omtx_core.cache import input_hash
from omtx_core.domain.job import Job, JobStatus, utcnow
from omtx_core.domain.layout import JobFiles
from omtx_core.domain.results import AnalysisFailed
from omtx_core.errors import BoltzOutputError, FieldProblem, ImportRefused, OmtxError
from omtx_core.jobs.import_input import analyse_import, infer_task_input
from omtx_core.jobs.results import CollectedResults, collect, job_summary, store_results, stored_keys
from omtx_core.store.base import ArtifactStore, JobStore
from omtx_core.tasks.base import check_text

log = logging.getLogger(__name__)

IMPORT_ENGINE = "import"
IMPORT_HASH_PREFIX = "import:"  # never equal to a real SHA-256 hex digest, so find_completed cannot match it
MAX_JOB_NAME = 200  # TaskInput.job_name's limit
MAX_MEMBERS = 100_000  # a Boltz output folder of a 1,000-run screen holds about 10,000 files
_MAX_DEPTH = 32  # Boltz nests 4 folders deep; deeper paths only serve to exhaust the extractor
_CHUNK = 1 << 20
_ZIP_HINT = "Zip the boltz_results_<name> folder from inside its parent folder (`zip -r out.zip boltz_results_x`)."
_SIZE_HINT = "Zip only predictions/ and processed/records/ of the boltz_results folder (MSAs are not needed)."
_COPY_HINT = "Copy the real files into the folder."
_NAME_HINT = "Rename it using only letters, digits, '.', '_', '-' and '+'."
_CONFIDENCE_FILE = re.compile(r"confidence_(.+)_model_\d+\.json")


def import_boltz_results(
    source: bytes | Path,
    *,
    store: JobStore,
    artifacts: ArtifactStore,
    owner: str,
    job_name: str | None = None,
    max_bytes: int = 2 * 2**30,
    max_members: int = MAX_MEMBERS,
    clock: Callable[[], datetime] = utcnow,
) -> Job:
    """Store Boltz output (ZIP bytes, a ZIP file path, or a folder path) as a completed job of `owner`, analysed as
    a run of its task would be (import_input.py); return it.

    A ZIP is checked before anything is written: no absolute paths, `..`, links, special files or encrypted
    members, at most `max_members` members and 32 folders deep, and at most `max_bytes` expanded (declared sizes,
    then counted while extracting, as headers may lie); every array's header is checked against the prediction's
    tokens before any array is read. The job gets the task `infer_task_input` picks, engine `import`, and an `import:`
    input hash so it is never served as a cache hit for a real submission. Raises ImportRefused saying why for
    any source that cannot be imported (never another exception for a bad source); store errors pass through.

    The job is stored first and its files after it, because a shared store lets a user write files only into
    jobs they own; if storing the files fails, the job and whatever was written are removed again.
    """
    with tempfile.TemporaryDirectory(prefix="omtx-import-") as tmp:
        with _as_refusal(Path(tmp)):
            collected, origin = _collect_source(source, Path(tmp), max_bytes, max_members)
            names = list(collected.predictions)
            name = _job_name(job_name, names)
            task_type, normalised, notes = infer_task_input(list(collected.predictions.values()), name)
            analysis = analyse_import(task_type, normalised, collected.predictions)  # as a run of this input
        if isinstance(analysis, AnalysisFailed):
            notes.append(analysis.error)
        now = clock()
        job = _completed_job(owner, task_type, normalised, collected, now)
        files = JobFiles(job.id)
        job.artifacts = [*stored_keys(job.id, collected), files.engine_log]
        stored = store.create(job)
        try:
            store_results(job.id, collected, artifacts, analysis)
            artifacts.put(files.engine_log, _log_text(names, origin, task_type, notes, now).encode(), "text/plain")
        except BaseException:  # never leave a job without its results, nor results without their job
            for folder in files.folders:
                artifacts.delete_prefix(folder)
            store.delete(job.id)
            raise
        return stored


def _completed_job(owner: str, task_type: str, normalised: dict, collected: CollectedResults, now: datetime) -> Job:
    """The job record of an import: completed at once by engine `import`, with an `import:` input hash."""
    runs = len(collected.predictions)
    return Job(
        owner=owner, task_type=task_type, job_name=normalised["job_name"], input=normalised,
        options=normalised.get("options", {}), input_hash=IMPORT_HASH_PREFIX + input_hash(task_type, normalised),
        status=JobStatus.COMPLETED, created_at=now, updated_at=now, started_at=now, finished_at=now,
        engine=IMPORT_ENGINE, progress_done=runs, progress_total=runs,
        result=job_summary(collected).model_dump(mode="json"),
    )  # fmt: skip


@contextmanager
def _as_refusal(tmp: Path) -> Iterator[None]:
    """Every failure to read the source becomes an ImportRefused, its paths shown relative to the ZIP."""
    try:
        yield
    except BoltzOutputError as exc:
        message = exc.message  # never this machine's temp folder
        for shown_as in (str((tmp / "zip").resolve()), str(tmp / "zip"), f"{tmp.name}/zip"):
            message = message.replace(shown_as + "/", "").replace(shown_as, "The ZIP")
        raise ImportRefused(message, exc.hint) from None
    except OmtxError:
        raise
    except Exception as exc:  # a reader's bug must still reach the page as a refusal; the log keeps the traceback
        log.exception("Import failed unexpectedly")
        raise ImportRefused(f"The upload could not be read ({type(exc).__name__}).",
                            "Check that it is Boltz output as `boltz predict` wrote it.") from None  # fmt: skip


def _collect_source(source: bytes | Path, tmp: Path, max_bytes: int, max_members: int) -> tuple[CollectedResults, str]:
    """Every prediction of the source, parsed as the worker does, and where they came from in words."""
    root, origin = _unpack(source, tmp, max_bytes, max_members)
    predictions = _find_predictions(root, tmp)
    _check_files(predictions, max_bytes)
    names = [prediction.name for prediction in predictions]
    collected = collect(_result_dirs(predictions, tmp / "staged"), expected_runs=names, log="")
    if collected.failures:
        failure = next(iter(collected.failures.values()))
        raise ImportRefused(failure.message, failure.hint)
    return collected, origin


# --- reading the source -----------------------------------------------------------------------------------


def _unpack(source: bytes | Path, tmp: Path, max_bytes: int, max_members: int) -> tuple[Path, str]:
    """The folder to search for Boltz output, and where it came from in words (for the job's log)."""
    if isinstance(source, bytes | bytearray | memoryview):
        return _extract_zip(io.BytesIO(bytes(source)), tmp / "zip", max_bytes, max_members), "an uploaded ZIP"
    path = Path(source).expanduser()
    if path.is_file():
        with path.open("rb") as handle:
            return _extract_zip(handle, tmp / "zip", max_bytes, max_members), f"the ZIP file {path.name}"
    if path.is_dir():
        return path, f"the folder {path.name}"
    raise ImportRefused(f"There is no file or folder {path}.", "Check the path on the machine running OMTX-Hub.")


def _extract_zip(stream, dest: Path, max_bytes: int, max_members: int) -> Path:
    try:
        archive = zipfile.ZipFile(stream)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportRefused("The upload is not a ZIP archive.", _ZIP_HINT) from None
    with archive:
        if len(archive.infolist()) > max_members:
            raise ImportRefused(f"The ZIP holds {len(archive.infolist()):,} members, more than the {max_members:,} "
                                "allowed.", _SIZE_HINT)  # fmt: skip
        members = _safe_members(archive, max_bytes)
        written = 0
        dest.mkdir(parents=True)
        for info, path in members:
            written = _extract_member(archive, info, dest / path, written, max_bytes)
    return dest


def _safe_members(archive: zipfile.ZipFile, max_bytes: int) -> list[tuple[zipfile.ZipInfo, PurePosixPath]]:
    """Every member worth extracting, after refusing the whole archive for any unsafe one."""
    members = []
    for info in archive.infolist():
        path = _member_path(info.filename)
        _check_member_type(info)
        if path is not None:
            members.append((info, path))
    declared = sum(info.file_size for info, _ in members)
    if declared > max_bytes:
        raise ImportRefused(f"The ZIP expands to {_size(declared)}, more than the {_size(max_bytes)} allowed.",
                            _SIZE_HINT)  # fmt: skip
    return members


def _member_path(name: str) -> PurePosixPath | None:
    """The relative path to extract a member to; None for Finder's metadata (`__MACOSX/`, `._*`)."""
    unified = name.replace("\\", "/")  # ZIPs made on Windows may use backslashes
    if unified.startswith("/") or re.match(r"[A-Za-z]:", unified):
        raise ImportRefused(f"The ZIP holds {name!r}, an absolute path; it was refused for safety.", _ZIP_HINT)
    parts = [part for part in unified.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ImportRefused(f"The ZIP holds {name!r}, which points outside the archive ('..'); it was refused "
                            "for safety.", _ZIP_HINT)  # fmt: skip
    if "\x00" in unified:
        raise ImportRefused(f"The ZIP holds a member with a broken name ({name!r}).", _ZIP_HINT)
    if len(parts) > _MAX_DEPTH:
        raise ImportRefused(f"The ZIP holds a path {len(parts)} folders deep ({name[:60]!r}…); at most {_MAX_DEPTH} "
                            "are allowed.", _ZIP_HINT)  # fmt: skip
    if not parts or parts[0] == "__MACOSX" or parts[-1].startswith("._"):
        return None
    return PurePosixPath(*parts)


def _check_member_type(info: zipfile.ZipInfo) -> None:
    mode = info.external_attr >> 16  # Unix mode bits, when the archiver recorded them
    kind = stat.S_IFMT(mode)
    if stat.S_ISLNK(mode):
        raise ImportRefused(f"The ZIP holds {info.filename!r}, a symbolic link; links are refused for safety.",
                            "Zip the real files: `zip -r` without `--symlinks`.")  # fmt: skip
    if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
        raise ImportRefused(f"The ZIP holds {info.filename!r}, which is not a regular file or folder.", _ZIP_HINT)
    if info.flag_bits & 0x1:
        raise ImportRefused(f"The ZIP member {info.filename!r} is password-protected.", "Upload an unencrypted ZIP.")


def _extract_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, written: int, limit: int) -> int:
    """Write one member, counting real bytes: the declared sizes may lie."""
    try:
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            return written
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(info) as src, target.open("wb") as out:
            while chunk := src.read(_CHUNK):
                written += len(chunk)
                if written > limit:
                    raise ImportRefused(f"The ZIP expands to more than the {_size(limit)} allowed.", _SIZE_HINT)
                out.write(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ImportRefused(f"The ZIP is damaged at {info.filename!r} ({exc}).", "Create the ZIP again.") from None
    except NotImplementedError:
        raise ImportRefused(f"{info.filename!r} uses a compression method that cannot be read.",
                            "Create the ZIP with ordinary (deflate) compression.") from None  # fmt: skip
    except OSError as exc:  # e.g. one name used for both a file and a folder
        raise ImportRefused(f"{info.filename!r} cannot be extracted ({exc.strerror}).", _ZIP_HINT) from None
    return written


def _find_predictions(root: Path, tmp: Path) -> list[BoltzPrediction]:
    """Parse the Boltz output, stepping into a ZIP's single top folder (`my_run/boltz_results_x/...`)."""
    folder = root
    while (inner := _wrapper_child(folder)) is not None:
        folder = inner
    named = {m[1] for p in folder.iterdir() if (m := _CONFIDENCE_FILE.fullmatch(p.name))}
    if folder == tmp / "zip" and len(named) == 1:  # a ZIP of one prediction's files: name the folder after them
        (tmp / "unzipped").mkdir()
        folder = folder.rename(tmp / "unzipped" / named.pop())
    return parse_boltz_output(folder)  # a BoltzOutputError becomes a refusal in `_as_refusal`


def _wrapper_child(folder: Path) -> Path | None:
    """The only entry of a folder that merely wraps the output (not `predictions/` nor `boltz_results_*/`)."""
    entries = [p for p in folder.iterdir() if not p.name.startswith((".", "__MACOSX"))]
    if len(entries) != 1 or not entries[0].is_dir() or entries[0].name == "predictions":
        return None
    return None if entries[0].name.startswith("boltz_results_") else entries[0]


def _check_files(predictions: list[BoltzPrediction], max_bytes: int) -> None:
    """Files to store must be plain (a folder source is not checked like a ZIP), fit the limit, have key-safe names."""
    total = 0
    for path in (path for prediction in predictions for path in _stored_paths(prediction)):
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            raise ImportRefused(f"{shown(path)} is a link or special file; it was refused for safety.", _COPY_HINT)
        try:
            JobFiles("check").prediction_file(path.parent.name, path.name)  # raises for names a key cannot hold
        except ValueError:
            raise ImportRefused(f"{shown(path)} has a name the job store cannot hold.", _NAME_HINT) from None
        total += path.stat().st_size if path.is_file() else 0
    if total > max_bytes:
        message = f"The predictions hold {_size(total)}, more than the {_size(max_bytes)} allowed."
        raise ImportRefused(message, _SIZE_HINT)


def _stored_paths(prediction: BoltzPrediction) -> list[Path]:
    """What `store_results` will read: the prediction folder's files and its processed record, if any."""
    record = prediction.folder.parent.parent / "processed" / "records" / f"{prediction.name}.json"
    return [*prediction.folder.iterdir(), *([record] if record.exists() or record.is_symlink() else [])]


def _result_dirs(predictions: list[BoltzPrediction], staging: Path) -> list[Path]:
    """Folders laid out as `<dir>/predictions/<name>/`, as `collect` expects; bare prediction folders are copied."""
    if all(p.folder.parent.name == "predictions" for p in predictions):
        return sorted({p.folder.parent.parent for p in predictions})
    for prediction in predictions:
        shutil.copytree(prediction.folder, staging / "predictions" / prediction.name)
    return [staging]


def _job_name(given: str | None, names: list[str]) -> str:
    """The name given (refused, saying why, when it cannot be stored), or one made from the predictions' names."""
    name = (given or "").strip()
    if not name:
        return _default_name(names)
    try:
        check_text(name, "job name")
    except FieldProblem as problem:
        raise ImportRefused(problem.message, problem.hint) from None
    if len(name) > MAX_JOB_NAME:
        raise ImportRefused(f"The job name is {len(name):,} characters long; at most {MAX_JOB_NAME} are accepted.",
                            "Give a shorter name.")  # fmt: skip
    return name


def _default_name(names: list[str]) -> str:
    more = f" and {len(names) - 1} more" if len(names) > 1 else ""
    return f"Imported: {names[0]}{more}"[:200]


def _log_text(names: list[str], origin: str, task: str, notes: list[str], now: datetime) -> str:
    listed = ", ".join(names[:20]) + (", …" if len(names) > 20 else "")
    lines = [
        f"Imported {len(names)} Boltz prediction(s) from {origin} on {now:%Y-%m-%d %H:%M} UTC: {listed}.",
        f"OMTX-Hub did not run this job: its input ({task}) and options were inferred from the structure, and it "
        "was analysed as a run of that input would be.",
        *notes,
    ]
    return "".join(f"[omtx] {line}\n" for line in lines)


def _size(n: int) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"
