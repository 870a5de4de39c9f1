"""Chain-pair interfaces on the real Boltz fixtures: contact residues, asymmetric ipTM, inter-chain PAE."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import gemmi
import numpy as np
import pytest

from omtx_core.analysis.interfaces import chain_pair_interfaces, placements, token_ranges
from omtx_core.analysis.models import Interface
from omtx_core.boltz.outputs import parse_boltz_output
from omtx_core.boltz.results import BoltzPrediction, ChainInfo
from omtx_core.errors import BoltzOutputError

PMHC = "BOLTZ1_multichain_pmhc_4chain"
CARAZOLOL = "protein_ligand_affinity_b2ar_carazolol"
LABEL = re.compile(r"^[A-Z]:-?\d+[A-Z]?:[A-Z0-9]+$")


def _pair(entries: list[Interface], first: str, second: str) -> Interface:
    matches = [entry for entry in entries if entry.chains == [first, second]]
    assert len(matches) == 1, [entry.chains for entry in entries]
    return matches[0]


def _brute_force_contacts(path: Path, first: str, second: str, cutoff: float = 5.0) -> int:
    model = gemmi.read_structure(str(path))[0]

    def heavy(chain: str) -> np.ndarray:
        return np.array([a.pos.tolist() for r in model[chain] for a in r if a.element.name != "H"])

    distances = np.linalg.norm(heavy(first)[:, None, :] - heavy(second)[None, :, :], axis=-1)
    return int(np.count_nonzero(distances <= cutoff))


def test_token_ranges_cover_exactly_the_tokens(pmhc: BoltzPrediction, carazolol: BoltzPrediction) -> None:
    ranges = token_ranges(pmhc.chains, pmhc.best.n_tokens)
    assert ranges == {"A": (0, 144), "B": (144, 420), "C": (420, 520), "D": (520, 529)}
    for model in pmhc.models:
        assert max(end for _, end in token_ranges(pmhc.chains, model.n_tokens).values()) == model.n_tokens == 529
    # A ligand counts one token per heavy atom: 413 residues + 22 atoms.
    assert token_ranges(carazolol.chains, carazolol.best.n_tokens) == {"A": (0, 413), "L": (413, 435)}


def test_token_ranges_reject_a_count_that_does_not_match() -> None:
    with pytest.raises(BoltzOutputError, match="10 tokens but the confidence arrays hold 11"):
        token_ranges([ChainInfo("A", "protein", 7), ChainInfo("L", "ligand", 3)], 11)


def test_peptide_hla_interface_has_residues_on_both_sides(pmhc: BoltzPrediction) -> None:
    entry = _pair(chain_pair_interfaces(pmhc), "B", "D")
    assert set(entry.residues) == {"B", "D"}
    for chain in ("B", "D"):
        labels = entry.residues[chain]
        assert labels and all(LABEL.match(label) and label.startswith(f"{chain}:") for label in labels)
        assert len(set(labels)) == len(labels) == entry.residue_counts[chain]
    # The 9-mer sits in the groove: nearly every peptide residue touches the heavy chain.
    assert entry.residue_counts["D"] >= 7
    assert entry.contacts == _brute_force_contacts(pmhc.best.structure_path, "B", "D")


def test_iptm_both_ways_matches_the_confidence_json(pmhc: BoltzPrediction) -> None:
    raw = json.loads(pmhc.best.confidence_path.read_text())["pair_chains_iptm"]
    entry = _pair(chain_pair_interfaces(pmhc), "B", "D")
    # B is chain index 1 and D index 3 in the file; the matrix is asymmetric.
    assert entry.iptm["B→D"] == pytest.approx(raw["1"]["3"], abs=5e-4)
    assert entry.iptm["D→B"] == pytest.approx(raw["3"]["1"], abs=5e-4)
    assert entry.iptm["B→D"] != entry.iptm["D→B"]


def test_mean_pae_is_positive_finite_and_taken_rows_by_columns(pmhc: BoltzPrediction) -> None:
    entries = chain_pair_interfaces(pmhc)
    for entry in entries:
        assert all(math.isfinite(value) and value > 0 for value in entry.mean_pae_A.values())
    pae = np.load(pmhc.best.pae_path)["pae"]
    entry = _pair(entries, "B", "D")
    assert entry.mean_pae_A["B→D"] == pytest.approx(pae[144:420, 520:529].mean(), abs=5e-4)
    assert entry.mean_pae_A["D→B"] == pytest.approx(pae[520:529, 144:420].mean(), abs=5e-4)


def test_pairs_are_sorted_by_contacts_and_pairs_without_contacts_are_left_out(pmhc: BoltzPrediction) -> None:
    entries = chain_pair_interfaces(pmhc)
    counts = [entry.contacts for entry in entries]
    assert counts == sorted(counts, reverse=True) and all(count > 0 for count in counts)
    pairs = {tuple(entry.chains) for entry in entries}
    assert ("B", "D") in pairs and ("B", "C") in pairs
    assert ("A", "C") not in pairs  # the binder does not touch β2m in this prediction
    assert [Interface.model_validate_json(entry.model_dump_json()) for entry in entries] == entries


def test_every_model_can_be_analysed(pmhc: BoltzPrediction) -> None:
    for rank in range(len(pmhc.models)):
        assert _pair(chain_pair_interfaces(pmhc, rank), "B", "D").contacts > 0


def test_a_smaller_cutoff_finds_fewer_contacts(pmhc: BoltzPrediction) -> None:
    wide = _pair(chain_pair_interfaces(pmhc), "B", "D")
    tight = _pair(chain_pair_interfaces(pmhc, cutoff=3.5), "B", "D")
    assert 0 < tight.contacts < wide.contacts
    assert tight.contacts == _brute_force_contacts(pmhc.best.structure_path, "B", "D", 3.5)


def test_protein_ligand_pair_uses_the_ligand_atom_tokens(carazolol: BoltzPrediction) -> None:
    (entry,) = chain_pair_interfaces(carazolol)
    assert entry.chains == ["A", "L"]
    assert entry.residues["L"] == ["L:1:LIG1"]
    assert entry.residue_counts["A"] > 5
    pae = np.load(carazolol.best.pae_path)["pae"]
    assert entry.mean_pae_A["A→L"] == pytest.approx(pae[:413, 413:].mean(), abs=5e-4)
    assert entry.iptm["A→L"] != entry.iptm["L→A"]


def test_without_a_pae_file_the_mean_pae_is_none(tmp_path: Path, fixtures_dir: Path) -> None:
    results = Path(shutil.copytree(fixtures_dir / PMHC, tmp_path / PMHC))
    prediction = parse_boltz_output(results)[0]
    prediction.best.pae_path.unlink()
    entries = chain_pair_interfaces(prediction)
    assert entries and all(entry.mean_pae_A is None for entry in entries)
    assert all(value is not None for entry in entries for value in entry.iptm.values())


def test_placement_reads_ipTM_and_PAE_the_same_way_as_boltz(carazolol: BoltzPrediction) -> None:
    # Boltz's compute_ptms (BOLTZ.md 3.3): pair_chains_iptm[X][Y] scores chain X's tokens in chain Y's frames, so the
    # ligand placed relative to the protein is pair[L][A], which is the file's ligand_iptm. PAE[i, j] is the error of
    # token j when aligned on token i: the ligand relative to the protein is rows A, columns L.
    raw = json.loads(carazolol.best.confidence_path.read_text())
    pae = np.load(carazolol.best.pae_path)["pae"]
    (entry,) = chain_pair_interfaces(carazolol)
    found = {(p.placed, p.reference): p for p in placements(entry)}
    assert set(found) == {("L", "A"), ("A", "L")}
    ligand = found["L", "A"]
    assert ligand.iptm == pytest.approx(raw["ligand_iptm"], abs=5e-4) == pytest.approx(0.989, abs=5e-4)
    assert ligand.mean_pae_A == pytest.approx(pae[:413, 413:].mean(), abs=5e-4)
    protein = found["A", "L"]
    assert protein.iptm == pytest.approx(raw["pair_chains_iptm"]["0"]["1"], abs=5e-4)  # 0.595
    assert protein.mean_pae_A == pytest.approx(pae[413:, :413].mean(), abs=5e-4)


def test_placement_of_the_peptide_on_the_hla_chain(pmhc: BoltzPrediction) -> None:
    raw = json.loads(pmhc.best.confidence_path.read_text())["pair_chains_iptm"]
    pae = np.load(pmhc.best.pae_path)["pae"]
    found = {(p.placed, p.reference): p for p in placements(_pair(chain_pair_interfaces(pmhc), "B", "D"))}
    # D (the peptide, index 3) placed relative to B (the HLA heavy chain, index 1): rows B, columns D of the PAE.
    assert found["D", "B"].iptm == pytest.approx(raw["3"]["1"], abs=5e-4)
    assert found["D", "B"].mean_pae_A == pytest.approx(pae[144:420, 520:529].mean(), abs=5e-4)
    assert found["B", "D"].iptm == pytest.approx(raw["1"]["3"], abs=5e-4)
    assert found["B", "D"].mean_pae_A == pytest.approx(pae[520:529, 144:420].mean(), abs=5e-4)


def test_placement_without_a_pae_file_has_ipTM_only() -> None:
    entry = Interface(chains=["A", "L"], residues={"A": [], "L": []}, residue_counts={"A": 0, "L": 0}, contacts=1,
                      iptm={"A→L": 0.5, "L→A": 0.9}, mean_pae_A=None)  # fmt: skip
    assert [(p.placed, p.reference, p.iptm, p.mean_pae_A) for p in placements(entry)] == [
        ("L", "A", 0.9, None),
        ("A", "L", 0.5, None),
    ]
