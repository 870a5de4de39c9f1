"""Lay a batch out for `boltz predict` and pack its results; stdlib only, so the Modal container can use it."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Iterable
from pathlib import Path

MSA_DIR_PLACEHOLDER = "@MSA_DIR@"


def stage_inputs(runs: Iterable[tuple[str, str, Iterable[tuple[str, bytes]]]], root: Path) -> Path:
    """Write `<root>/inputs/<name>.yaml` per run and its MSA files into `<root>/msa/`; return the inputs folder.

    Boltz refuses sub-folders inside an input folder, so MSAs live beside it, named by absolute path in the YAML.
    """
    inputs, msa_dir = root / "inputs", (root / "msa").resolve()
    inputs.mkdir(parents=True, exist_ok=True)
    for name, yaml_text, msas in runs:
        for file_name, data in msas:
            msa_dir.mkdir(parents=True, exist_ok=True)
            (msa_dir / Path(file_name).name).write_bytes(data)
        (inputs / f"{name}.yaml").write_text(yaml_text.replace(MSA_DIR_PLACEHOLDER, str(msa_dir)), encoding="utf-8")
    return inputs


def boltz_command(command: list[str], inputs: Path, out_dir: Path, cache: str | None, extra: list[str]) -> list[str]:
    """The full `boltz predict` command line for a staged batch."""
    args = [*command, "predict", str(inputs), "--out_dir", str(out_dir)]
    if cache:
        args += ["--cache", cache]
    return args + list(extra)


def pack_results(out_dir: Path) -> bytes:
    """The `boltz_results_*` folders under out_dir as tar.gz bytes (without processed/ bulk: structures, MSAs)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for results in sorted(out_dir.glob("boltz_results_*")):
            for path in sorted(results.rglob("*")):
                relative = path.relative_to(out_dir)
                if path.is_file() and not _bulky(relative):
                    archive.add(path, arcname=relative.as_posix())
    return buffer.getvalue()


def _bulky(relative: Path) -> bool:
    parts = relative.parts
    keep_processed = len(parts) > 2 and parts[1] == "processed" and parts[2] in ("records", "manifest.json")
    raw_msa = len(parts) > 3 and parts[1] == "msa" and parts[2].endswith("_tmp_env")
    return (
        (len(parts) > 2 and parts[1] == "processed" and not keep_processed) or raw_msa or parts[1] == "lightning_logs"
    )


def unpack_results(data: bytes, dest: Path, max_bytes: int = 20 * 2**30) -> list[Path]:
    """Extract packed results safely (no absolute paths, `..`, links; size-capped); return the result folders."""
    dest.mkdir(parents=True, exist_ok=True)
    total = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            path = Path(member.name)
            if path.is_absolute() or ".." in path.parts or not (member.isfile() or member.isdir()):
                raise ValueError(f"unsafe entry in results archive: {member.name}")
            total += member.size
            if total > max_bytes:
                raise ValueError("results archive is larger than allowed")
        archive.extractall(dest, filter="data")
    return sorted(p for p in dest.glob("boltz_results_*") if p.is_dir())
