"""Pockets on a predicted structure: pyKVFinder cavities with volume, depth, lining residues, pLDDT and a score.

Cavities are detected on the protein (polymer) atoms only, so the pocket a co-folded ligand occupies is
found as empty space. Each pocket is ranked by

    score = volume term × depth term × confidence term            (0–1, higher is more ligandable)

    volume term     = 1 − exp(−volume / 300 Å³)        saturates around drug-sized pockets (300–1000 Å³)
    depth term      = 1 − exp(−max depth / 4 Å)        1 for an enclosed cavity (no opening to the solvent)
    confidence term = mean pLDDT of lining residues / 100

A heuristic for ranking pockets of one structure, not a calibrated druggability probability.
"""

from __future__ import annotations

import math
import os
from functools import cached_property, lru_cache

import numpy as np

from omtx_core.analysis.models import Pocket
from omtx_core.analysis.structure import ResidueRecord, StructureSource, load_structure, residue_records

VOLUME_SCALE_A3 = 300.0
DEPTH_SCALE_A = 4.0
_BOX_MARGIN_A = 3.0
LOW_CONFIDENCE_PLDDT = 70.0  # AlphaFold/Boltz convention: below 70 the backbone placement is unreliable

SCORE_DESCRIPTION = (
    "Pocket score (0–1, higher is more ligandable) = volume term × depth term × confidence term. "
    "Volume term = 1 − exp(−volume / 300 Å³), which saturates for drug-sized pockets; "
    "depth term = 1 − exp(−maximum depth / 4 Å), or 1 for a cavity enclosed with no opening to the solvent; "
    "confidence term = mean pLDDT of the lining residues / 100. "
    "Pockets lined by residues of mean pLDDT below 70 are flagged as low confidence. "
    "The score ranks pockets within one structure; it is not a calibrated druggability probability."
)


def detect_pockets(
    structure_path: StructureSource,
    *,
    probe_out: float = 8.0,
    min_volume: float = 50.0,
    probe_in: float = 1.4,
    step: float = 0.9,
) -> list[Pocket]:
    """Pockets of the protein atoms, best score first.

    `probe_in`/`probe_out` are the small and large probe radii in Å (a larger probe_out also finds shallower
    grooves), `min_volume` drops cavities smaller than this many Å³, `step` is the grid spacing in Å (0.9 takes about a
    second for a 400-residue protein on 2 CPUs; 0.6 is finer and about five times slower).

    Each pocket: id "P1", rank 1, score, volume_A3, area_A2, max_depth_A, mean_depth_A, enclosed, residues
    ["A:113:ASP", ...], mean_plddt, low_confidence, center [x, y, z]. Depths are None for an enclosed cavity,
    which has no opening to measure depth from.
    """
    protein = [record for record in residue_records(load_structure(structure_path)) if not record.is_ligand]
    if not protein:
        return []
    cavities = _Cavities.detect(protein, probe_in, probe_out, step, min_volume)
    plddt = {record.label: record.plddt for record in protein}
    pockets = [_pocket(cavities, index, plddt) for index in range(cavities.count)]
    pockets = [pocket for pocket in pockets if pocket.residues]
    pockets.sort(key=lambda pocket: (-pocket.score, -pocket.volume_A3))
    for rank, pocket in enumerate(pockets, start=1):
        pocket.id, pocket.rank = f"P{rank}", rank
    return pockets


def pocket_score(volume_a3: float, max_depth_a: float | None, enclosed: bool, mean_plddt: float) -> float:
    """The ranking score defined in SCORE_DESCRIPTION, rounded to 3 decimals."""
    volume_term = 1.0 - math.exp(-volume_a3 / VOLUME_SCALE_A3)
    depth_term = 1.0 if enclosed else 1.0 - math.exp(-(max_depth_a or 0.0) / DEPTH_SCALE_A)
    confidence_term = min(max(mean_plddt / 100.0, 0.0), 1.0)
    return round(volume_term * depth_term * confidence_term, 3)


def _pocket(cavities: _Cavities, index: int, plddt: dict[str, float]) -> Pocket:
    key = cavities.keys[index]
    residues = cavities.residues.get(key, [])
    mean_plddt = float(np.mean([plddt[label] for label in residues])) if residues else 0.0
    enclosed = bool(cavities.enclosed[index])
    volume = cavities.volume[key]
    max_depth = None if enclosed else cavities.max_depth[key]
    return Pocket(
        id="",  # numbered once all pockets are ranked
        rank=0,
        score=pocket_score(volume, max_depth, enclosed, mean_plddt),
        volume_A3=round(volume, 1),
        area_A2=round(cavities.area[key], 1),
        max_depth_A=max_depth,
        mean_depth_A=None if enclosed else cavities.mean_depth[key],
        enclosed=enclosed,
        residues=residues,
        mean_plddt=round(mean_plddt, 1),
        low_confidence=mean_plddt < LOW_CONFIDENCE_PLDDT,
        center=[round(float(value), 2) for value in cavities.centers[index]],
    )


class _Cavities:
    """pyKVFinder's results for one structure, indexed by cavity number (grid label = index + 2)."""

    def __init__(self, grid: np.ndarray, vertices: np.ndarray, step: float, count: int) -> None:
        self.grid, self.vertices, self.step, self.count = grid, vertices, step, count
        self.keys: list[str] = []
        self.volume: dict[str, float] = {}
        self.area: dict[str, float] = {}
        self.max_depth: dict[str, float] = {}
        self.mean_depth: dict[str, float] = {}
        self.residues: dict[str, list[str]] = {}

    @classmethod
    def detect(
        cls, protein: list[ResidueRecord], probe_in: float, probe_out: float, step: float, min_volume: float
    ) -> _Cavities:
        import pyKVFinder

        atomic = _atomic_array(protein)
        threads = _usable_cpus()
        # pyKVFinder checks `type(x) in [float, int]`, so numpy scalars must become plain floats.
        probe_in, probe_out, step, min_volume = float(probe_in), float(probe_out), float(step), float(min_volume)
        # pyKVFinder pads the grid by probe_out only, so the large probe cannot reach a flat face and the space
        # above it reads as a huge false pocket; the extra margin (more than an atom radius) lets it touch down.
        vertices = pyKVFinder.get_vertices(atomic, probe_out=probe_out + _BOX_MARGIN_A, step=step)
        count, grid = pyKVFinder.detect(
            atomic, vertices, step=step, probe_in=probe_in, probe_out=probe_out,
            volume_cutoff=min_volume, nthreads=threads,
        )  # fmt: skip
        cavities = cls(grid, vertices, step, count)
        if count > 0:
            cavities._characterise(atomic, probe_in, threads)
        return cavities

    def _characterise(self, atomic: np.ndarray, probe_in: float, threads: int) -> None:
        import pyKVFinder

        _, self.volume, self.area = pyKVFinder.spatial(self.grid, step=self.step, nthreads=threads)
        _, self.max_depth, self.mean_depth = pyKVFinder.depth(self.grid, step=self.step, nthreads=threads)
        lining = pyKVFinder.constitutional(
            self.grid, atomic, self.vertices, step=self.step, probe_in=probe_in, nthreads=threads
        )
        # pyKVFinder names cavities KAA, KAB, ... in label order; its dicts keep that order.
        self.keys = list(self.volume)
        self.residues = {key: _sorted_labels(rows) for key, rows in lining.items()}

    @cached_property
    def centers(self) -> np.ndarray:
        """Mean position of each cavity's grid points, [count, 3] Å."""
        labels = self.grid[self.grid >= 2] - 2
        points = self.vertices[0] + np.argwhere(self.grid >= 2) * self.step  # get_vertices' box is axis-aligned
        totals = np.vstack([np.bincount(labels, weights=points[:, axis], minlength=self.count) for axis in range(3)])
        sizes = np.maximum(np.bincount(labels, minlength=self.count), 1)
        return (totals / sizes).T

    @cached_property
    def enclosed(self) -> np.ndarray:
        """Per cavity: True when no grid point touches the bulk solvent (pyKVFinder then reports depth 0)."""
        bulk = np.pad(self.grid == -1, 1, constant_values=True)
        touches = np.zeros(self.grid.shape, dtype=bool)
        nx, ny, nz = self.grid.shape
        for dx, dy, dz in ((1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1)):
            touches |= bulk[1 + dx : 1 + dx + nx, 1 + dy : 1 + dy + ny, 1 + dz : 1 + dz + nz]
        open_labels = np.unique(self.grid[touches & (self.grid >= 2)]) - 2
        enclosed = np.ones(self.count, dtype=bool)
        enclosed[open_labels] = False
        return enclosed


def _atomic_array(protein: list[ResidueRecord]) -> np.ndarray:
    """pyKVFinder's in-memory atom table: [resnum, chain, resname, atom, x, y, z, radius] per atom, as strings."""
    vdw = _vdw_radii()
    generic = vdw["GEN"]
    rows = []
    for record in protein:
        by_name = vdw.get(record.name, {})
        for atom in record.atoms:
            radius = by_name.get(atom.name) or generic.get(atom.element.upper(), 1.9)
            rows.append([record.number, record.chain, record.name, atom.name, *atom.xyz, radius])
    return np.asarray(rows, dtype=str)


def _usable_cpus() -> int:
    # The CPUs this process may run on (a container may allow fewer than the machine has).
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


@lru_cache(maxsize=1)
def _vdw_radii() -> dict[str, dict[str, float]]:
    import pyKVFinder

    return pyKVFinder.read_vdw()  # the radii table shipped with pyKVFinder, read once per process


def _sorted_labels(rows: list[list[str]]) -> list[str]:
    """pyKVFinder's [number, chain, name] rows as `A:113:ASP` labels, ordered by chain then number."""
    unique = {(chain, int(number), name) for number, chain, name in rows}
    return [f"{chain}:{number}:{name}" for chain, number, name in sorted(unique)]
