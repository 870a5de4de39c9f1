"""Protein–ligand contacts, interaction kinds and pocket constraints: built structures and the real carazolol pose."""

from __future__ import annotations

from pathlib import Path

import gemmi
import numpy as np
import pytest

from omtx_core.analysis.contacts import check_pocket_constraint, ligand_contacts, pocket_of_ligand
from omtx_core.analysis.models import Contact, Pocket, PocketResidueCheck
from omtx_core.analysis.pockets import detect_pockets
from omtx_core.analysis.structure import heavy_atom_coords, load_structure, neighbor_search, residue_records
from omtx_core.errors import BoltzOutputError
from tests.analysis.built_complexes import (
    ASPARTATE,
    HEXAGON,
    LEUCINE,
    LYSINE,
    PHENYLALANINE,
    SERINE,
    Atoms,
    at,
    carbons,
    write_pdb,
)
from tests.examples import CARAZOLOL as CARAZOLOL_SMILES

CARAZOLOL = Path("protein_ligand_affinity_b2ar_carazolol/boltz_results_b2ar_carazolol_affinity/predictions")
CONTACT_KEYS = {"residue", "chain", "number", "name", "distance_A", "kinds", "pairs"}


def only_contact(tmp_path: Path, protein_residue, ligand: Atoms, smiles: str | None = None) -> Contact:
    """The one contact of a built complex; `smiles` gives the ligand's chemistry (donors, acceptors, charges)."""
    contacts = ligand_contacts(write_pdb(tmp_path / "complex.pdb", [protein_residue], ligand), "L", smiles=smiles)
    assert len(contacts) == 1
    assert set(contacts[0].model_dump()) == CONTACT_KEYS
    return contacts[0]


def json_round_trip(model_type, items: list) -> None:
    """Models written as JSON (as the result document stores them) read back equal."""
    assert [model_type.model_validate_json(item.model_dump_json()) for item in items] == items


# --- Interaction kinds on structures built in the test --------------------------------------------------------


def test_oxygen_2_9_A_from_serine_og_is_a_hydrogen_bond(tmp_path):
    methanol = [("O1", "O", (2.9, 0.0, 0.0)), ("C1", "C", (4.33, 0.0, 0.0))]
    contact = only_contact(tmp_path, SERINE, methanol, smiles="CO")

    assert contact.residue == "A:7:SER"
    assert (contact.chain, contact.number, contact.name) == ("A", 7, "SER")
    assert contact.distance_A == pytest.approx(2.9, abs=0.005)
    assert contact.kinds == ["hydrogen_bond"]


def test_carbon_3_8_A_from_leucine_cd1_is_hydrophobic(tmp_path):
    ethane = carbons([(3.8, 0.0, 0.0), (5.33, 0.0, 0.0)])
    contact = only_contact(tmp_path, LEUCINE, ethane)

    assert contact.distance_A == pytest.approx(3.8, abs=0.005)
    assert contact.kinds == ["hydrophobic"]


def test_a_residue_beyond_the_cutoff_is_no_contact(tmp_path):
    path = write_pdb(tmp_path / "far.pdb", [LEUCINE], carbons([(4.2, 0.0, 0.0)]))

    assert ligand_contacts(path, "L") == []
    assert ligand_contacts(path, "L", cutoff=4.5)[0].distance_A == pytest.approx(4.2, abs=0.005)


def test_an_ammonium_nitrogen_near_aspartate_is_a_salt_bridge(tmp_path):
    nitrogen = at(30, 1.25)
    methylammonium = [
        ("N1", "N", (nitrogen[0] + 3.0, nitrogen[1], 0.0)),
        ("C1", "C", (nitrogen[0] + 4.47, nitrogen[1], 0.0)),
    ]
    contact = only_contact(tmp_path, ASPARTATE, methylammonium, smiles="C[NH3+]")

    assert contact.distance_A == pytest.approx(3.0, abs=0.005)
    assert contact.kinds == ["hydrogen_bond", "salt_bridge"]


def test_an_amide_nitrogen_near_aspartate_is_not_a_salt_bridge(tmp_path):
    n = (at(30, 1.25)[0] + 3.0, at(30, 1.25)[1], 0.0)
    carbonyl = (n[0] + 1.33, n[1], 0.0)  # the short C–N bond of an amide: the N is not basic
    acetamide = [("N1", "N", n), ("C1", "C", carbonyl), ("O1", "O", at(60, 1.23, carbonyl)),
                 ("C2", "C", at(-60, 1.51, carbonyl))]  # fmt: skip

    assert only_contact(tmp_path, ASPARTATE, acetamide, smiles="CC(N)=O").kinds == ["hydrogen_bond"]


def carboxyl(methyl_ester: bool) -> Atoms:
    carbon = (4.26, 0.0, 0.0)
    atoms = [("O1", "O", (3.0, 0.0, 0.0)), ("C1", "C", carbon), ("O2", "O", at(60, 1.26, carbon)),
             ("C2", "C", at(-60, 1.51, carbon))]  # fmt: skip
    if methyl_ester:
        atoms.append(("C3", "C", at(60, 2.69, carbon)))  # bonded to O2, 1.43 Å further out
    return atoms


def test_a_carboxylate_near_lysine_is_a_salt_bridge_but_an_ester_is_not(tmp_path):
    acetate = only_contact(tmp_path, LYSINE, carboxyl(methyl_ester=False), smiles="CC(=O)[O-]")
    ester = only_contact(tmp_path, LYSINE, carboxyl(methyl_ester=True), smiles="COC(C)=O")

    assert acetate.distance_A == pytest.approx(3.0, abs=0.005)
    assert acetate.kinds == ["hydrogen_bond", "salt_bridge"]
    assert ester.kinds == ["hydrogen_bond"]


def test_a_benzene_parallel_over_phenylalanine_at_3_8_A_is_pi_stacking(tmp_path):
    benzene = carbons([(x, y, 3.8) for x, y, _ in HEXAGON])
    contact = only_contact(tmp_path, PHENYLALANINE, benzene)

    assert contact.distance_A == pytest.approx(3.8, abs=0.005)
    assert contact.kinds == ["hydrophobic", "pi_stacking"]


def test_an_edge_on_t_shaped_benzene_is_pi_stacking(tmp_path):
    upright = carbons([(x, 0.0, 5.0 + y) for x, y, _ in HEXAGON])  # ring in the xz plane, centroid 5 Å above

    assert "pi_stacking" in only_contact(tmp_path, PHENYLALANINE, upright).kinds


def test_a_displaced_benzene_or_a_puckered_cyclohexane_is_not_pi_stacking(tmp_path):
    displaced = carbons([(x + 3.0, y, 3.6) for x, y, _ in HEXAGON])  # centroids offset 3 Å sideways
    chair = carbons([(*at(60 * i, 1.44)[:2], 3.8 + (0.25 if i % 2 else -0.25)) for i in range(6)])

    assert only_contact(tmp_path, PHENYLALANINE, displaced).kinds == ["hydrophobic"]
    assert only_contact(tmp_path, PHENYLALANINE, chair).kinds == ["hydrophobic"]


def test_contacts_are_sorted_by_distance_and_json_able(tmp_path):
    serine_far = (8, "SER", [(name, element, (x, y + 5.5, z)) for name, element, (x, y, z) in SERINE[2]])
    ligand = [("O1", "O", (2.9, 0.0, 0.0)), ("C1", "C", (2.9, 1.43, 0.0)), ("C2", "C", (2.9, 2.96, 0.0))]
    path = write_pdb(tmp_path / "two.pdb", [serine_far, SERINE], ligand)

    contacts = ligand_contacts(path, "L", smiles="CCO")

    assert [contact.residue for contact in contacts] == ["A:7:SER", "A:8:SER"]
    assert contacts[0].distance_A < contacts[1].distance_A
    json_round_trip(Contact, contacts)


def test_a_missing_ligand_chain_names_the_chains_present(tmp_path):
    path = write_pdb(tmp_path / "complex.pdb", [SERINE], carbons([(3.0, 0.0, 0.0)]))

    with pytest.raises(BoltzOutputError, match=r"no chain B \(chains present: A, L\)"):
        ligand_contacts(path, "B")


def test_structure_helpers_read_a_pdb_file(tmp_path):
    structure = load_structure(write_pdb(tmp_path / "complex.pdb", [SERINE], carbons([(3.0, 0.0, 0.0)])))

    records = residue_records(structure)
    assert [(r.label, r.is_ligand, len(r.atoms)) for r in records] == [("A:7:SER", False, 6), ("L:1:LIG", True, 1)]
    assert records[0].plddt == 90.0
    coords = heavy_atom_coords(structure)
    assert coords["A"].shape == (6, 3) and coords["L"].tolist() == [[3.0, 0.0, 0.0]]
    marks = neighbor_search(structure, 5.0).find_atoms(gemmi.Position(3.0, 0.0, 0.0), "\0", radius=3.1)
    assert sorted(mark.to_cra(structure[0]).atom.name for mark in marks) == ["C1", "OG"]


# --- Pocket constraint and pocket membership ---------------------------------------------------------------------


def test_pocket_constraint_reports_exact_distances_and_the_boundary(tmp_path):
    glycines = [(number, "GLY", [("CA", "C", (x, 0.0, 0.0))]) for number, x in ((1, 3.0), (2, 6.0), (3, 7.0))]
    path = write_pdb(tmp_path / "constraint.pdb", glycines, carbons([(0.0, 0.0, 0.0)]))

    checks = check_pocket_constraint(path, "L", [("A", 1), ("A", 2), ("A", 3), ("A", 99)], 6.0)

    assert [(c.residue, c.min_distance_A, c.satisfied) for c in checks] == [
        ("A:1:GLY", 3.0, True),
        ("A:2:GLY", 6.0, True),
        ("A:3:GLY", 7.0, False),
        ("A:99", None, False),
    ]
    assert [c.found for c in checks] == [True, True, True, False]
    assert all(c.max_distance_A == 6.0 for c in checks)
    json_round_trip(PocketResidueCheck, checks)


def pocket(rank: int, residues: list[str], center: list[float]) -> Pocket:
    """A detected pocket with only what pocket_of_ligand reads set to something meaningful."""
    return Pocket(id=f"P{rank}", rank=rank, score=0.5, volume_A3=300.0, area_A2=250.0, max_depth_A=None,
                  mean_depth_A=None, enclosed=True, residues=residues, mean_plddt=90.0, low_confidence=False,
                  center=center)  # fmt: skip


POCKETS = [
    pocket(1, ["A:1:GLY", "A:2:GLY"], [0.0, 0.0, 0.0]),
    pocket(2, ["A:2:GLY", "A:3:GLY", "A:4:GLY"], [20.0, 0.0, 0.0]),
]


def test_pocket_of_ligand_picks_the_pocket_sharing_most_contact_residues():
    def contacts(*labels):
        return [
            Contact(residue=label, chain="A", number=int(label.split(":")[1]), name="GLY", distance_A=3.0, kinds=[])
            for label in labels
        ]

    assert pocket_of_ligand(contacts("A:3:GLY", "A:4:GLY", "A:1:GLY"), POCKETS) == "P2"
    assert pocket_of_ligand(contacts("A:2:GLY"), POCKETS) == "P1"  # a tie goes to the better-ranked pocket
    assert pocket_of_ligand(contacts("A:9:GLY"), POCKETS) is None
    assert pocket_of_ligand([], POCKETS) is None
    assert pocket_of_ligand(contacts("A:1:GLY"), []) is None


def test_pocket_of_ligand_from_coordinates_takes_the_nearest_centre_within_8_A():
    assert pocket_of_ligand(np.array([[19.0, 1.0, 0.0], [21.0, 1.0, 0.0]]), POCKETS) == "P2"
    assert pocket_of_ligand([[0.0, 7.9, 0.0]], POCKETS) == "P1"
    assert pocket_of_ligand([[0.0, 9.0, 0.0]], POCKETS) is None


# --- The real Boltz-2 prediction: β2-adrenergic receptor (chain A) with carazolol (chain L) ------------------


@pytest.fixture(scope="module")
def carazolol_model(fixtures_dir) -> Path:
    return next((fixtures_dir / CARAZOLOL).glob("*/*_model_0.cif"))


@pytest.fixture(scope="module")
def carazolol_contacts(carazolol_model) -> list[Contact]:
    return ligand_contacts(carazolol_model, "L", smiles=CARAZOLOL_SMILES)


def atoms_by_residue(path: Path) -> dict[tuple[str, int], np.ndarray]:
    """Heavy-atom positions straight from gemmi, independent of omtx_core's helpers."""
    structure = gemmi.read_structure(str(path))
    return {
        (chain.name, residue.seqid.num): np.array([a.pos.tolist() for a in residue if a.element.name != "H"])
        for chain in structure[0]
        for residue in chain
    }


def test_carazolol_contacts_the_known_beta2_binding_residues(carazolol_contacts):
    by_residue = {contact.residue: contact for contact in carazolol_contacts}

    # 2RH1: the protonated amine salt-bridges Asp113 and the hydroxyl/amine bond Asn312; the carbazole NH bonds
    # Ser203 and its ring stacks on Phe290.
    assert by_residue["A:113:ASP"].distance_A <= 4.0
    assert {"hydrogen_bond", "salt_bridge"} <= set(by_residue["A:113:ASP"].kinds)
    assert "hydrogen_bond" in by_residue["A:312:ASN"].kinds
    assert "hydrogen_bond" in by_residue["A:203:SER"].kinds
    assert "pi_stacking" in by_residue["A:290:PHE"].kinds
    assert {"A:207:SER", "A:289:PHE", "A:114:VAL", "A:117:VAL"} <= set(by_residue)
    distances = [contact.distance_A for contact in carazolol_contacts]
    assert distances == sorted(distances) and max(distances) <= 4.0
    json_round_trip(Contact, carazolol_contacts)


def test_carazolol_contact_distances_match_a_direct_computation(carazolol_model, carazolol_contacts):
    atoms = atoms_by_residue(carazolol_model)
    ligand = atoms[("L", 1)]
    assert len(ligand) == 22
    close = {key for key, xyz in atoms.items() if key[0] == "A" and _min_distance(xyz, ligand) <= 4.0}

    assert {(contact.chain, contact.number) for contact in carazolol_contacts} == close
    for contact in carazolol_contacts:
        expected = _min_distance(atoms[(contact.chain, contact.number)], ligand)
        assert contact.distance_A == pytest.approx(expected, abs=0.005)


def test_carazolol_sits_in_a_detected_pocket(carazolol_model, carazolol_contacts):
    pockets = detect_pockets(carazolol_model)

    by_contacts = pocket_of_ligand(carazolol_contacts, pockets)
    by_position = pocket_of_ligand(atoms_by_residue(carazolol_model)[("L", 1)], pockets)

    assert by_contacts is not None and by_contacts == by_position
    pocket = next(p for p in pockets if p.id == by_contacts)
    assert "A:113:ASP" in pocket.residues


def test_carazolol_pocket_constraint_distances_are_exact(carazolol_model):
    requested = [("A", 113), ("A", 203), ("A", 290), ("A", 312), ("A", 50), ("A", 1)]
    atoms = atoms_by_residue(carazolol_model)

    checks = check_pocket_constraint(carazolol_model, "L", requested, 6.0)

    for (chain, number), check in zip(requested, checks, strict=True):
        expected = _min_distance(atoms[(chain, number)], atoms[("L", 1)])
        assert check.found is True
        assert check.min_distance_A == pytest.approx(expected, abs=5e-4)
        assert check.satisfied is (expected <= 6.0)
    assert checks[0].satisfied is True and checks[4].satisfied is False  # Asp113 in the pocket, residue 50 not


def _min_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a[:, None, :] - b[None, :, :], axis=2).min())
