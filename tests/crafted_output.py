"""Crafted Boltz output for hardening tests: .npz files whose headers lie, the fixture zipped with files swapped."""

from __future__ import annotations

import io
import resource
import struct
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.boltz_fixture_output import AFFINITY_CASE, AFFINITY_NAME

PREDICTION = AFFINITY_CASE / "predictions" / AFFINITY_NAME
CONFIDENCE = f"confidence_{AFFINITY_NAME}_model_0.json"
AFFINITY = f"affinity_{AFFINITY_NAME}.json"
STRUCTURE = f"{AFFINITY_NAME}_model_0.cif"
PLDDT, PAE, PDE = (f"{kind}_{AFFINITY_NAME}_model_0.npz" for kind in ("plddt", "pae", "pde"))
TOKENS = 435  # 413 residues + 22 ligand heavy atoms


def npy_bytes(shape: tuple[int, ...], dtype: str = "<f4", data: bytes = b"") -> bytes:
    """A version 1.0 .npy: a header declaring `shape` of `dtype`, then `data` (which may hold far less, or more)."""
    header = f"{{'descr': {dtype!r}, 'fortran_order': False, 'shape': {tuple(shape)!r}, }}"
    header += " " * (-(len(header) + 11) % 64) + "\n"  # numpy aligns the data to 64 bytes
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + data


def npz_bytes(key: str, npy: bytes) -> bytes:
    """An .npz (a deflated ZIP) holding one member, `<key>.npy`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{key}.npy", npy)
    return buffer.getvalue()


def zip_case(replace: dict[str, bytes] | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """The carazolol fixture as `boltz_results_<name>/...` in a ZIP, files swapped by name and members added."""
    replace = replace or {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(AFFINITY_CASE.rglob("*")):
            if path.is_file():
                name = f"{AFFINITY_CASE.name}/{path.relative_to(AFFINITY_CASE).as_posix()}"
                archive.writestr(name, replace[path.name] if path.name in replace else path.read_bytes())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


def write_case(folder: Path, replace: dict[str, bytes]) -> Path:
    """A writable copy of the carazolol boltz_results folder under `folder`, files swapped by name; returns it."""
    target = folder / AFFINITY_CASE.name
    for path in sorted(AFFINITY_CASE.rglob("*")):
        if path.is_file():
            out = target / path.relative_to(AFFINITY_CASE)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(replace[path.name] if path.name in replace else path.read_bytes())
    return target


@contextmanager
def address_space_limit(headroom: int) -> Iterator[None]:
    """While inside, this process may map only `headroom` more bytes: a large allocation fails with MemoryError."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (used + headroom, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
