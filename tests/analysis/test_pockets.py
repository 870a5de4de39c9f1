"""Pocket detection: cavities built with gemmi in the test, and the real Boltz-2 β2AR–carazolol prediction."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import gemmi
import numpy as np
import pytest

from omtx_core.analysis.contacts import pocket_of_ligand
from omtx_core.analysis.models import Pocket
from omtx_core.analysis.pockets import SCORE_DESCRIPTION, detect_pockets, pocket_score
from omtx_core.analysis.structure import load_structure, residue_records
from omtx_core.boltz.results import load_npz_array
from omtx_core.errors import BoltzOutputError

CARAZOLOL = Path("protein_ligand_affinity_b2ar_carazolol/boltz_results_b2ar_carazolol_affinity/predictions")
POCKET_KEYS = {
    "id", "rank", "score", "volume_A3", "area_A2", "max_depth_A", "mean_depth_A", "enclosed",
    "residues", "mean_plddt", "low_confidence", "center",
}  # fmt: skip


def sphere_points(count: int, radius: float) -> np.ndarray:
    """Evenly spread points on a sphere (Fibonacci lattice): about 1.6 Å apart for 300 points at 8 Å."""
    index = np.arange(count) + 0.5
    polar = np.arccos(1 - 2 * index / count)
    azimuth = np.pi * (1 + 5**0.5) * index
    return radius * np.c_[np.cos(azimuth) * np.sin(polar), np.sin(azimuth) * np.sin(polar), np.cos(polar)]


def write_cif(
    path: Path,
    points: np.ndarray,
    *,
    plddt: Callable[[int], float] = lambda number: 90.0,
    ligand: np.ndarray | None = None,
) -> Path:
    """A protein-like chain A of Leu residues (four side-chain carbons each) at `points`, plus a ligand chain L."""
    model = gemmi.Model(1)
    protein = gemmi.Chain("A")
    for start in range(0, len(points), 4):
        number = start // 4 + 1
        names = ("CB", "CG", "CD1", "CD2")
        protein.add_residue(residue("LEU", number, zip(names, points[start : start + 4], strict=False), plddt(number)))
    model.add_chain(protein)
    if ligand is not None:
        chain = gemmi.Chain("L")
        chain.add_residue(residue("LIG1", 1, [(f"C{i}", xyz) for i, xyz in enumerate(ligand)], 95.0, het=True))
        model.add_chain(chain)
    structure = gemmi.Structure()
    structure.add_model(model)
    structure.setup_entities()
    structure.make_mmcif_document().write_file(str(path))
    return path


def residue(name: str, number: int, atoms, b_factor: float, *, het: bool = False) -> gemmi.Residue:
    made = gemmi.Residue()
    made.name, made.seqid, made.het_flag = name, gemmi.SeqId(number, " "), "H" if het else "A"
    for atom_name, xyz in atoms:
        atom = gemmi.Atom()
        atom.name, atom.element, atom.pos = atom_name, gemmi.Element("C"), gemmi.Position(*map(float, xyz))
        atom.b_iso, atom.occ = b_factor, 1.0
        made.add_atom(atom)
    return made


def varied_plddt(number: int) -> float:
    return 50.0 + 10.0 * (number % 5)


# --- Structures built in the test ---------------------------------------------------------------------------


def test_a_closed_shell_has_one_pocket_at_its_centre(tmp_path):
    pockets = detect_pockets(write_cif(tmp_path / "shell.cif", sphere_points(300, 8.0), plddt=varied_plddt))

    assert len(pockets) == 1
    pocket = pockets[0]
    assert set(pocket.model_dump()) == POCKET_KEYS
    assert (pocket.id, pocket.rank) == ("P1", 1)
    assert np.linalg.norm(pocket.center) < 0.5
    # The empty interior is a sphere of about 8 − 1.9 Å (carbon radius) = 6.1 Å: roughly 950 Å³.
    assert 400 < pocket.volume_A3 < 1200
    assert pocket.area_A2 > 0
    numbers = [int(label.split(":")[1]) for label in pocket.residues]
    assert all(label.startswith("A:") and label.endswith(":LEU") for label in pocket.residues)
    assert pocket.mean_plddt == pytest.approx(np.mean([varied_plddt(n) for n in numbers]), abs=0.05)
    assert pocket.low_confidence is (pocket.mean_plddt < 70)
    assert [Pocket.model_validate_json(p.model_dump_json()) for p in pockets] == pockets


def test_an_open_cup_gives_a_pocket_with_depth(tmp_path):
    shell = sphere_points(300, 8.0)
    pockets = detect_pockets(write_cif(tmp_path / "cup.cif", shell[shell[:, 2] < 3.0]))

    assert len(pockets) == 1
    pocket = pockets[0]
    assert pocket.enclosed is False
    assert pocket.max_depth_A > 0 and pocket.mean_depth_A > 0
    assert pocket.center[2] < 0  # inside the bowl, below its rim at z = 3 Å
    assert pocket.score == pocket_score(pocket.volume_A3, pocket.max_depth_A, False, pocket.mean_plddt)


def test_a_flat_surface_has_no_pocket(tmp_path):
    grid = np.arange(-15.0, 15.1, 1.5)
    x, y = np.meshgrid(grid, grid)
    layer = np.c_[x.ravel(), y.ravel(), np.zeros(x.size)]
    slab = np.vstack([layer, layer + [0.75, 0.75, -1.5]])

    assert detect_pockets(write_cif(tmp_path / "flat.cif", slab)) == []


def test_ligand_atoms_are_left_out_so_the_pocket_they_fill_is_found(tmp_path):
    shell = sphere_points(300, 8.0)
    ligand = np.array([[0.0, 0.0, 0.0], [1.5, 0.0, 0.0], [-1.5, 0.0, 0.0], [0.0, 1.5, 0.0], [0.0, -1.5, 0.0]])
    empty = detect_pockets(write_cif(tmp_path / "empty.cif", shell))
    occupied = detect_pockets(write_cif(tmp_path / "occupied.cif", shell, ligand=ligand))

    assert len(occupied) == 1
    assert occupied[0].volume_A3 == empty[0].volume_A3
    assert pocket_of_ligand(ligand, occupied) == "P1"


def test_low_confidence_lining_is_flagged(tmp_path):
    pockets = detect_pockets(write_cif(tmp_path / "shell.cif", sphere_points(300, 8.0), plddt=lambda n: 50.0))

    assert pockets[0].mean_plddt == 50.0
    assert pockets[0].low_confidence is True


def test_a_structure_without_protein_has_no_pockets(tmp_path):
    model = gemmi.Model(1)
    chain = gemmi.Chain("L")
    chain.add_residue(residue("LIG1", 1, [("C1", (0, 0, 0)), ("C2", (1.5, 0, 0))], 90.0, het=True))
    model.add_chain(chain)
    structure = gemmi.Structure()
    structure.add_model(model)
    structure.setup_entities()
    path = tmp_path / "ligand_only.cif"
    structure.make_mmcif_document().write_file(str(path))

    assert detect_pockets(path) == []


def test_a_missing_structure_file_is_a_boltz_output_error(tmp_path):
    with pytest.raises(BoltzOutputError, match="missing"):
        detect_pockets(tmp_path / "nothing_model_0.cif")


def test_score_rewards_volume_depth_and_confidence():
    base = pocket_score(300.0, 4.0, False, 80.0)

    assert base == pytest.approx((1 - math.exp(-1)) * (1 - math.exp(-1)) * 0.8, abs=1e-3)
    assert pocket_score(600.0, 4.0, False, 80.0) > base
    assert pocket_score(300.0, 8.0, False, 80.0) > base
    assert pocket_score(300.0, None, True, 80.0) > pocket_score(300.0, 12.0, False, 80.0)
    assert pocket_score(300.0, 4.0, False, 40.0) == pytest.approx(base / 2, abs=1e-3)
    assert 0.0 <= pocket_score(1e6, 50.0, False, 100.0) <= 1.0
    assert "300 Å³" in SCORE_DESCRIPTION and "4 Å" in SCORE_DESCRIPTION and "pLDDT" in SCORE_DESCRIPTION


# --- The real Boltz-2 prediction: β2-adrenergic receptor (chain A) with carazolol (chain L) ------------------


@pytest.fixture(scope="module")
def carazolol_model(fixtures_dir) -> Path:
    return next((fixtures_dir / CARAZOLOL).glob("*/*_model_0.cif"))


@pytest.fixture(scope="module")
def carazolol_pockets(carazolol_model) -> list[Pocket]:
    return detect_pockets(carazolol_model)


def test_carazolol_pockets_are_ranked_and_json_able(carazolol_pockets):
    assert len(carazolol_pockets) >= 3
    assert [pocket.rank for pocket in carazolol_pockets] == list(range(1, len(carazolol_pockets) + 1))
    assert [pocket.id for pocket in carazolol_pockets] == [f"P{p.rank}" for p in carazolol_pockets]
    scores = [pocket.score for pocket in carazolol_pockets]
    assert scores == sorted(scores, reverse=True)
    for pocket in carazolol_pockets:
        assert set(pocket.model_dump()) == POCKET_KEYS
        assert 0.0 <= pocket.score <= 1.0
        assert 0.0 <= pocket.mean_plddt <= 100.0
        assert pocket.volume_A3 >= 50.0
        assert all(isinstance(value, float) for value in pocket.center)
    assert [Pocket.model_validate_json(p.model_dump_json()) for p in carazolol_pockets] == carazolol_pockets


def test_carazolol_sits_in_the_top_pocket_lined_by_the_known_binding_residues(carazolol_model, carazolol_pockets):
    ligand = np.vstack([r.coords for r in residue_records(load_structure(carazolol_model)) if r.chain == "L"])
    assert len(ligand) == 22

    pocket_id = pocket_of_ligand(ligand, carazolol_pockets)

    # The orthosteric site of β2AR crystal structures (2RH1): Asp113, Ser203/207, Phe290, Asn312.
    assert pocket_id == "P1"
    best = carazolol_pockets[0]
    assert {"A:113:ASP", "A:203:SER", "A:207:SER", "A:290:PHE", "A:312:ASN"} <= set(best.residues)
    assert best.low_confidence is False
    assert np.linalg.norm(np.array(best.center) - ligand.mean(axis=0)) < 3.0


def test_carazolol_pocket_plddt_matches_the_npz_on_the_0_to_100_scale(carazolol_model, carazolol_pockets):
    plddt = load_npz_array(carazolol_model.with_name(f"plddt_{carazolol_model.stem}.npz"), "plddt")  # 0–1

    for pocket in carazolol_pockets:
        # Chain A is the first chain: its residue n is token n − 1.
        numbers = [int(label.split(":")[1]) for label in pocket.residues]
        assert pocket.mean_plddt == pytest.approx(100 * float(np.mean(plddt[np.array(numbers) - 1])), abs=0.1)
