"""LocalArtifactStore: job files on the local disk at `<root>/<key>`, written atomically."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

from omtx_core.domain.layout import BUCKETS, check_artifact_key
from omtx_core.errors import ArtifactNotFound, StoreUnavailable

# `~` never appears in a valid key, so a file with it in its name is an unfinished write, never an artifact.
_TEMP_PREFIX = ".tmp~"
_PUT_ATTEMPTS = 3


class LocalArtifactStore:
    """Artifacts as plain files; `content_type` is not stored (the file name's extension carries it)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_artifact_key(key)

    def _folder(self, prefix: str) -> Path:
        """The folder a prefix names: `<bucket>`, or `<bucket>/<job id>[/<path>]`, with or without a final `/`."""
        folder = prefix.rstrip("/")
        if folder not in BUCKETS:
            check_artifact_key(folder)
        return self.root / folder

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        path = self._path(key)
        try:
            for attempt in range(_PUT_ATTEMPTS):
                path.parent.mkdir(parents=True, exist_ok=True)
                try:
                    _write_atomic(path, data)
                    return
                except FileNotFoundError:  # a concurrent delete_prefix removed the empty folder: make it again
                    if attempt == _PUT_ATTEMPTS - 1:
                        raise
        except OSError as exc:
            raise self._write_error(key, exc) from exc

    def _write_error(self, key: str, exc: OSError) -> StoreUnavailable:
        """A failed write in plain words: which folder, and what to do (a full disk is the usual cause)."""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return StoreUnavailable(
                f"The disk holding the job files is full ({self.root}); {key} could not be saved.",
                f"Free up space in {self.root}, or set OMTX_DATA_DIR to a folder on a larger disk; then try again.",
            )
        return StoreUnavailable(
            f"The job file {key} could not be saved under {self.root} ({exc.strerror or exc}).",
            f"Check that {self.root} is writable by OMTX-Hub and sits on a working disk.",
        )

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ArtifactNotFound(f"No artifact {key!r}.", "The job may have been deleted or not finished.") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def list(self, prefix: str) -> list[str]:
        """Every key in the folder the prefix names (folder semantics: `results/j1` never matches `results/j10`)."""
        folder = self._folder(prefix)
        keys = []
        for dirpath, _dirs, files in os.walk(folder):
            for name in files:
                if _TEMP_PREFIX not in name:
                    keys.append((Path(dirpath) / name).relative_to(self.root).as_posix())
        return sorted(keys)

    def delete(self, key: str) -> bool:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            return False
        return True

    def delete_prefix(self, prefix: str) -> int:
        folder = self._folder(prefix)
        deleted = 0
        for key in self.list(prefix):
            try:
                (self.root / key).unlink()
                deleted += 1
            except FileNotFoundError:  # someone else deleted it first
                pass
        _remove_empty_folders(folder)
        return deleted


def _write_atomic(path: Path, data: bytes) -> None:
    """Write beside the target, then rename over it: readers see the old file or the new one, never a part."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=_TEMP_PREFIX)
    try:
        os.fchmod(fd, 0o644)  # mkstemp makes 0600; artifacts are ordinary readable files
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _remove_empty_folders(folder: Path) -> None:
    """Remove `folder` and the folders below it that are empty, deepest first."""
    for dirpath, _dirs, _files in os.walk(folder, topdown=False):
        with contextlib.suppress(OSError):  # not empty: a file remains, or a writer just added one
            os.rmdir(dirpath)
