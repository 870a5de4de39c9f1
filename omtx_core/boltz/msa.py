"""MSA reuse (BOLTZ.md §1.1, §5): which runs must ask the MSA server, which reuse a cached MSA, and the MSAs
Boltz generated (`msa/<input>_<entity>.csv`, first row the query)."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
from pathlib import Path

from omtx_core.boltz.plan import BoltzRun


def msa_file_name(sequence: str) -> str:
    """A stable file name for a protein's MSA (Boltz needs the `.csv` suffix for `key,sequence` MSAs)."""
    return hashlib.sha256(sequence.encode()).hexdigest()[:40] + ".csv"


def with_msa_files(run: BoltzRun, sequences: set[str]) -> BoltzRun:
    """The run with every protein pointing at its cached MSA file (callers pass all of the run's proteins)."""
    files = tuple((s, msa_file_name(s)) for s in dict.fromkeys(run.input.protein_sequences) if s in sequences)
    return dataclasses.replace(run, input=dataclasses.replace(run.input, msa_files=files))


def next_phase(runs: list[BoltzRun], cached: set[str]) -> tuple[list[BoltzRun], list[BoltzRun]]:
    """(runs to start now, runs that wait): runs whose proteins all have cached MSAs reuse them; otherwise one
    run per missing protein asks the server first, so each MSA is requested once and the rest wait for it."""
    if not any(run.input.needs_msa_server for run in runs):
        return runs, []
    ready = [with_msa_files(r, cached) for r in runs if set(r.input.protein_sequences) <= cached]
    if len(ready) == len(runs):
        return ready, []
    fetchers, covered = [], set(cached)
    for run in runs:
        missing = set(run.input.protein_sequences) - covered
        if missing:
            fetchers.append(run)  # asks the server for all its proteins: Boltz cannot mix given and server MSAs
            covered |= missing
    waiting = [r for r in runs if r not in fetchers]
    return fetchers, waiting


def generated_msas(result_dirs: list[Path], wanted: set[str]) -> dict[str, bytes]:
    """MSAs Boltz generated in these output folders, keyed by their query sequence (only `wanted` ones)."""
    found: dict[str, bytes] = {}
    for result_dir in result_dirs:
        for path in sorted((result_dir / "msa").glob("*.csv")):
            data = path.read_bytes()
            query = _query_sequence(data)
            if query in wanted:
                found.setdefault(query, data)
    return found


def _query_sequence(data: bytes) -> str | None:
    rows = csv.reader(io.StringIO(data.decode("utf-8", errors="replace")))
    header = next(rows, None)
    first = next(rows, None)
    if header is None or first is None or "sequence" not in header:
        return None
    return first[header.index("sequence")].replace("-", "").upper()
