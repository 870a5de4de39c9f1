"""The one structure reader: first model only, what it strips and keeps, and errors that name the file."""

from __future__ import annotations

from pathlib import Path

import gemmi
import pytest

from omtx_core.analysis.structure import load_structure
from omtx_core.boltz.structures import read_structure
from omtx_core.errors import BoltzOutputError
from tests.boltz_fixture_output import AFFINITY_CASE, AFFINITY_NAME

CIF = AFFINITY_CASE / "predictions" / AFFINITY_NAME / f"{AFFINITY_NAME}_model_0.cif"


def atom(name: str, element: str, xyz: tuple[float, float, float], altloc: str = "\0") -> gemmi.Atom:
    made = gemmi.Atom()
    made.name, made.element, made.pos, made.altloc, made.occ = (
        name,
        gemmi.Element(element),
        gemmi.Position(*xyz),
        altloc,
        1.0,
    )
    return made


def residue(name: str, number: int, atoms: list[gemmi.Atom], het: str = "A") -> gemmi.Residue:
    made = gemmi.Residue()
    made.name, made.seqid, made.het_flag = name, gemmi.SeqId(number, " "), het
    for item in atoms:
        made.add_atom(item)
    return made


def write_messy_pdb(path: Path) -> Path:
    """Two models; model 1 has a serine with a hydrogen and two CB conformers, a water and a ligand."""
    structure = gemmi.Structure()
    for shift in (0.0, 50.0):
        model = gemmi.Model(str(len(structure) + 1))
        chain = gemmi.Chain("A")
        serine = [atom("N", "N", (shift, 0, 0)), atom("CA", "C", (shift + 1.5, 0, 0)), atom("H", "H", (shift, 1, 0)),
                  atom("CB", "C", (shift + 2, 1, 0), "A"), atom("CB", "C", (shift + 2, -1, 0), "B")]  # fmt: skip
        chain.add_residue(residue("SER", 1, serine))
        chain.add_residue(residue("HOH", 2, [atom("O", "O", (shift + 9, 0, 0))], "H"))
        model.add_chain(chain)
        ligand = gemmi.Chain("L")
        ligand.add_residue(residue("LIG", 1, [atom("C1", "C", (shift + 4, 0, 0))], "H"))
        model.add_chain(ligand)
        structure.add_model(model)
    structure.setup_entities()
    structure.write_pdb(str(path))
    return path


def counts(structure: gemmi.Structure) -> dict[str, int]:
    names = [(r.name, a.name) for chain in structure[0] for r in chain for a in r]
    return {"models": len(structure), "atoms": len(names), "H": names.count(("SER", "H")),
            "HOH": sum(n == "HOH" for n, _ in names), "CB": names.count(("SER", "CB")),
            "LIG": sum(n == "LIG" for n, _ in names)}  # fmt: skip


def test_the_default_read_keeps_the_first_model_heavy_atoms_and_ligands(tmp_path):
    structure = read_structure(write_messy_pdb(tmp_path / "messy.pdb"))
    assert counts(structure) == {"models": 1, "atoms": 4, "H": 0, "HOH": 0, "CB": 1, "LIG": 1}
    assert structure[0]["A"][0]["CA"][0].pos.x == pytest.approx(1.5)  # model 1, not model 2


def test_a_caller_can_keep_hydrogens_waters_and_alternative_locations(tmp_path):
    path = write_messy_pdb(tmp_path / "messy.pdb")
    everything = read_structure(path, keep_hydrogens=True, keep_waters=True, keep_altlocs=True)
    assert counts(everything) == {"models": 1, "atoms": 7, "H": 1, "HOH": 1, "CB": 2, "LIG": 1}
    assert counts(read_structure(path, keep_waters=True))["HOH"] == 1


def test_load_structure_reads_through_the_one_reader_and_passes_a_loaded_structure_on(tmp_path):
    loaded = load_structure(CIF)
    assert [chain.name for chain in loaded[0]] == ["A", "L"] and load_structure(loaded) is loaded
    assert counts(load_structure(write_messy_pdb(tmp_path / "messy.pdb")))["atoms"] == 4


def test_errors_name_the_file_and_give_the_callers_hint(tmp_path):
    with pytest.raises(BoltzOutputError) as missing:
        read_structure(tmp_path / "run" / "missing_model_0.cif")
    assert missing.value.message == "run/missing_model_0.cif is missing."  # never this machine's whole path
    assert missing.value.hint == "Re-run the prediction."
    broken = tmp_path / "broken.cif"
    broken.write_text("data_x\nloop_\n_atom_site.id\n")
    with pytest.raises(BoltzOutputError, match="broken.cif") as unreadable:
        read_structure(broken, hint="Copy the folder again.")
    assert unreadable.value.hint == "Copy the folder again."
