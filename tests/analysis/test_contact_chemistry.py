"""Contacts a crystallographer would accept: H-bonds need a donor and an acceptor, protonation makes them possible,
and heavy atoms closer than the clash cut-off are clashes, not contacts. Built complexes and the carazolol pose."""

from __future__ import annotations

import math
from pathlib import Path

import gemmi
import pytest

from omtx_core.analysis.contacts import ligand_contacts
from omtx_core.analysis.models import Contact
from tests.analysis.built_complexes import LEUCINE, SERINE, Atoms, make_residue, write_pdb
from tests.examples import ASPIRIN, CARAZOLOL

HB, POSSIBLE = "hydrogen_bond", "possible_hydrogen_bond"
MODEL = "protein_ligand_affinity_b2ar_carazolol/boltz_results_b2ar_carazolol_affinity/predictions"


def _around(origin, length: float, count: int, tilt_deg: float) -> list[tuple[float, float, float]]:
    """`count` points `length` Å from `origin` on a cone of half-angle `tilt_deg` pointing away (along +x)."""
    x, y, z = origin
    tilt = math.radians(tilt_deg)
    along, across = length * math.cos(tilt), length * math.sin(tilt)
    turns = [2 * math.pi * i / count for i in range(count)]
    return [(x + along, y + across * math.cos(turn), z + across * math.sin(turn)) for turn in turns]


POLAR = (2.9, 0.0, 0.0)  # the ligand's polar atom: 2.9 Å from the protein atom at the origin
ETHER = [("O1", "O", POLAR), *[(f"C{i + 1}", "C", xyz) for i, xyz in enumerate(_around(POLAR, 1.42, 2, 56.0))]]
AMMONIUM = [("N1", "N", POLAR), ("C1", "C", (4.37, 0.0, 0.0))]
AMINE = [("N1", "N", POLAR), ("C1", "C", (4.37, 0.0, 0.0))]
TERTIARY_AMINE = [("N1", "N", POLAR), *[(f"C{i + 1}", "C", xyz) for i, xyz in enumerate(_around(POLAR, 1.47, 3, 70.5))]]
ACID = [("O1", "O", POLAR), ("C1", "C", (4.16, 0.0, 0.0)), ("O2", "O", (4.79, 1.09, 0.0)),
        ("C2", "C", (4.92, -1.31, 0.0))]  # fmt: skip

# (residue, atom, element) → the H-bond kind with an ether oxygen (acceptor only) and with an ammonium (donor only).
PROTEIN_ROLES = [
    ("GLY", "N", "N", HB, None),  # backbone NH: donor
    ("PRO", "N", "N", None, None),  # proline's backbone N has no hydrogen
    ("GLY", "O", "O", None, HB),  # backbone carbonyl: acceptor
    ("SER", "OG", "O", HB, HB),  # hydroxyls: both
    ("THR", "OG1", "O", HB, HB),
    ("TYR", "OH", "O", HB, HB),
    ("ASN", "OD1", "O", None, HB),
    ("ASN", "ND2", "N", HB, None),
    ("GLN", "OE1", "O", None, HB),
    ("GLN", "NE2", "N", HB, None),
    ("HIS", "ND1", "N", POSSIBLE, POSSIBLE),  # tautomer and protonation decide
    ("HIS", "NE2", "N", POSSIBLE, POSSIBLE),
    ("LYS", "NZ", "N", HB, None),
    ("ARG", "NE", "N", HB, None),
    ("ARG", "NH1", "N", HB, None),
    ("ARG", "NH2", "N", HB, None),
    ("ASP", "OD1", "O", None, HB),
    ("ASP", "OD2", "O", None, HB),
    ("GLU", "OE1", "O", None, HB),
    ("GLU", "OE2", "O", None, HB),
    ("TRP", "NE1", "N", HB, None),
    ("CYS", "SG", "S", POSSIBLE, POSSIBLE),  # a weak donor and acceptor
    ("MET", "SD", "S", None, HB),
]


def contact(tmp_path: Path, residue, ligand: Atoms, smiles: str | None = None, **kwargs) -> Contact:
    (found,) = ligand_contacts(write_pdb(tmp_path / "complex.pdb", [residue], ligand), "L", smiles=smiles, **kwargs)
    return found


def pairs(found: Contact) -> list[tuple[str, str, str, float]]:
    return [(pair.kind, pair.residue_atom, pair.ligand_atom, pair.distance_A) for pair in found.pairs]


def hbond(found: Contact) -> str | None:
    kinds = [kind for kind in found.kinds if kind in (HB, POSSIBLE)]
    assert len(kinds) <= 1, found.kinds
    return kinds[0] if kinds else None


def one_atom(name: str, atom: str, element: str) -> tuple[int, str, Atoms]:
    return (10, name, [(atom, element, (0.0, 0.0, 0.0))])


@pytest.mark.parametrize(("name", "atom", "element", "with_ether", "with_ammonium"), PROTEIN_ROLES)
def test_an_h_bond_needs_a_donor_and_an_acceptor(tmp_path, name, atom, element, with_ether, with_ammonium):
    residue = one_atom(name, atom, element)

    assert hbond(contact(tmp_path, residue, ETHER, "COC")) == with_ether
    assert hbond(contact(tmp_path, residue, AMMONIUM, "C[NH3+]")) == with_ammonium


def test_the_atom_pairs_behind_an_h_bond_are_named(tmp_path):
    found = contact(tmp_path, SERINE, [("O1", "O", (2.9, 0.0, 0.0)), ("C1", "C", (4.33, 0.0, 0.0))], "CO")

    assert found.kinds == [HB]
    assert pairs(found) == [(HB, "OG", "O1", 2.9)]


@pytest.mark.parametrize(
    ("ligand", "smiles", "backbone_n", "backbone_o"),
    [
        (AMINE, "CN", POSSIBLE, HB),  # a neutral amine accepts only while it is not protonated
        (TERTIARY_AMINE, "CN(C)C", POSSIBLE, POSSIBLE),  # no hydrogen to give unless protonated
        (ACID, "CC(=O)O", HB, POSSIBLE),  # a carboxylic acid is a carboxylate at physiological pH
        (AMMONIUM, "C[NH3+]", None, HB),
    ],
)
def test_roles_that_protonation_decides_are_possible(tmp_path, ligand, smiles, backbone_n, backbone_o):
    assert hbond(contact(tmp_path, one_atom("GLY", "N", "N"), ligand, smiles)) == backbone_n
    assert hbond(contact(tmp_path, one_atom("GLY", "O", "O"), ligand, smiles)) == backbone_o


def test_without_the_ligands_chemistry_polar_pairs_are_possible_h_bonds(tmp_path):
    methanol = [("O1", "O", (2.9, 0.0, 0.0)), ("C1", "C", (4.33, 0.0, 0.0))]

    assert contact(tmp_path, SERINE, methanol).kinds == [POSSIBLE]
    assert hbond(contact(tmp_path, one_atom("ASP", "OD1", "O"), ETHER)) is None  # an ether O cannot donate
    assert hbond(contact(tmp_path, one_atom("GLY", "N", "N"), AMMONIUM, "c1ccccc1")) == POSSIBLE  # SMILES unmatched


def test_a_ligand_given_as_ccd_code_has_its_chemistry(tmp_path):
    ethanol = [("C1", "C", (4.33, 1.4, 0.0)), ("C2", "C", (4.33, 0.0, 0.0)), ("O", "O", (2.9, 0.0, 0.0))]

    assert contact(tmp_path, one_atom("GLY", "O", "O"), ethanol, ccd="EOH").kinds == [HB]
    assert contact(tmp_path, one_atom("GLY", "O", "O"), ethanol, ccd="ZZZZZ").kinds == [POSSIBLE]  # unknown code


# --- clashes: closer than 0.75 × the sum of van der Waals radii (PoseBusters) -----------------------------------


def test_carbons_1_6_A_apart_are_a_clash_not_a_hydrophobic_contact(tmp_path):
    found = contact(tmp_path, LEUCINE, [("C1", "C", (1.6, 0.0, 0.0))], "C")

    assert found.kinds == ["clash"]
    assert pairs(found) == [("clash", "CD1", "C1", 1.6)]
    ethane = contact(tmp_path, LEUCINE, [("C1", "C", (1.6, 0.0, 0.0)), ("C2", "C", (3.13, 0.0, 0.0))], "CC")
    assert ethane.kinds == ["hydrophobic", "clash"]  # the other carbon's contact stands; the clashing pair is none


@pytest.mark.parametrize(("distance", "kinds"), [(2.0, ["clash"]), (2.3, ["clash"]), (2.4, [HB])])
def test_oxygens_closer_than_2_33_A_clash_and_make_no_h_bond(tmp_path, distance, kinds):
    methanol = [("O1", "O", (distance, 0.0, 0.0)), ("C1", "C", (distance + 1.43, 0.0, 0.0))]

    assert contact(tmp_path, SERINE, methanol, "CO").kinds == kinds


def test_a_covalent_bond_written_in_the_file_is_no_clash(tmp_path):
    def cysteine_adduct(bonded: bool) -> Path:
        model = gemmi.Model("1")
        for name, residue in (("A", make_residue("CYS", 5, [("CB", "C", (-1.8, 0.0, 0.0)), ("SG", "S", (0, 0, 0))],
                                                 het=False)),
                              ("L", make_residue("LIG", 1, [("C1", "C", (1.8, 0.0, 0.0)), ("C2", "C", (3.3, 0.0, 0.0))],
                                                 het=True))):  # fmt: skip
            chain = gemmi.Chain(name)
            chain.add_residue(residue)
            model.add_chain(chain)
        structure = gemmi.Structure()
        structure.add_model(model)
        structure.setup_entities()
        if bonded:
            link = gemmi.Connection()
            link.name, link.type = "covale1", gemmi.ConnectionType.Covale
            link.partner1 = gemmi.AtomAddress("A", gemmi.SeqId(5, " "), "CYS", "SG")
            link.partner2 = gemmi.AtomAddress("L", gemmi.SeqId(1, " "), "LIG", "C1")
            structure.connections.append(link)
        path = tmp_path / f"adduct-{bonded}.cif"
        structure.make_mmcif_document().write_file(str(path))
        return path

    assert ligand_contacts(cysteine_adduct(bonded=False), "L")[0].kinds == ["clash"]
    assert ligand_contacts(cysteine_adduct(bonded=True), "L")[0].kinds == []


# --- the real Boltz-2 pose of carazolol in the β2-adrenergic receptor --------------------------------------------


@pytest.fixture(scope="module")
def model(fixtures_dir) -> Path:
    return next((fixtures_dir / MODEL).glob("*/*_model_0.cif"))


def test_carazolol_h_bonds_pair_a_donor_with_an_acceptor(model):
    by_residue = {found.residue: found for found in ligand_contacts(model, "L", smiles=CARAZOLOL)}

    asp113, asn312, ser203 = by_residue["A:113:ASP"], by_residue["A:312:ASN"], by_residue["A:203:SER"]
    assert asp113.kinds == [HB, "salt_bridge"]
    # N37 is the protonated amine ([NH2+]), O24 the hydroxyl: Asp113's carboxylate accepts from both.
    assert pairs(asp113) == [
        (HB, "OD1", "O24", 2.55),
        (HB, "OD2", "N37", 2.7),
        (HB, "OD2", "O24", 3.09),
        ("salt_bridge", "OD2", "N37", 2.7),
        ("salt_bridge", "OD1", "N37", 3.87),
    ]
    assert {(p.residue_atom, p.ligand_atom) for p in asn312.pairs if p.kind == HB} == {("OD1", "N37"), ("ND2", "O24")}
    assert [(p.kind, p.residue_atom, p.ligand_atom) for p in ser203.pairs] == [(HB, "OG", "N38")]  # carbazole NH
    assert not any("clash" in found.kinds for found in by_residue.values())


def test_carazolol_without_its_smiles_has_possible_h_bonds_only(model):
    for smiles in (None, ASPIRIN):  # no chemistry, or a SMILES that does not match the pose
        by_residue = {found.residue: found for found in ligand_contacts(model, "L", smiles=smiles)}
        assert by_residue["A:113:ASP"].kinds == [POSSIBLE, "salt_bridge"]
        assert by_residue["A:203:SER"].kinds == [POSSIBLE]
        assert not any(HB in found.kinds for found in by_residue.values())
