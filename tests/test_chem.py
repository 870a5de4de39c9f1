"""SMILES and CCD validation with RDKit and biotite's CCD, including property-based tests."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omtx_core.chem import check_affinity_ligand_size, check_ccd, parse_smiles
from omtx_core.errors import FieldProblem
from tests.examples import CARAZOLOL


def test_smiles_is_canonicalised_and_heavy_atoms_counted():
    ligand = parse_smiles("  OC(=O)c1ccccc1OC(C)=O ")
    assert ligand.smiles == "CC(=O)Oc1ccccc1C(=O)O" and ligand.heavy_atoms == 13
    assert parse_smiles(CARAZOLOL).heavy_atoms == 22  # as in the carazolol fixture's CIF
    assert parse_smiles("[H]OC([H])([H])[H]").heavy_atoms == 2


def test_largest_fragment_is_kept_and_the_rest_reported():
    ligand = parse_smiles("CC(C)[NH2+]C[C@@H](O)COc1cccc2[nH]c3ccccc3c12.[Cl-]")
    assert ligand.smiles == CARAZOLOL and ligand.removed_fragments == ("[Cl-]",)


@pytest.mark.parametrize(
    ("smiles", "message"),
    [
        ("C1CC", "unclosed ring"),
        ("CC(C", "extra open parentheses (around position 3)"),
        ("c1cccc1", "aromatic ring with atoms 1, 2, 3, 4, 5"),
        ("CN(C)(C)(C)C", "atom 2 (N, valence 5) has more bonds"),
        ("", "empty"),
        ("CCO ethanol", "' ' at position 4"),
        ("[H][H]", "no heavy atoms"),
        ("C" * 2001, "2,001 characters"),
    ],
)
def test_bad_smiles_messages(smiles, message):
    with pytest.raises(FieldProblem) as caught:
        parse_smiles(smiles)
    assert message in caught.value.message and caught.value.hint


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_parse_smiles_only_raises_field_problems(text):
    try:
        ligand = parse_smiles(text)
    except FieldProblem as problem:
        assert problem.message
    else:
        assert ligand.heavy_atoms >= 1 and parse_smiles(ligand.smiles).smiles == ligand.smiles


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="CNOScnos()[]=#123456789+-@H.%/\\", max_size=40))
def test_parse_smiles_on_smiles_like_text_only_raises_field_problems(text):
    with contextlib.suppress(FieldProblem):
        parse_smiles(text)


def test_ccd_codes():
    assert check_ccd(" hem ").ccd == "HEM" and check_ccd("HEM").heavy_atoms == 43
    for code, message in [("ATP-", "not a CCD code"), ("ABCDEF", "not a CCD code"), ("QQQQQ", "not in the Chemical")]:
        with pytest.raises(FieldProblem, match=message):
            check_ccd(code)


def test_affinity_size_rules():
    assert check_affinity_ligand_size(parse_smiles("C" * 56)) is None
    assert "56" in check_affinity_ligand_size(parse_smiles("C" * 57))
    assert check_affinity_ligand_size(parse_smiles("C" * 128)) is not None
    with pytest.raises(FieldProblem, match="at most 128"):
        check_affinity_ligand_size(parse_smiles("C" * 129))


def test_a_ccd_entry_without_coordinates_still_counts_its_atoms(recwarn):
    # Biotite cannot build 3UQ's coordinates; its atoms, all the check needs, are in the dictionary all the same.
    assert check_ccd("3UQ").heavy_atoms == 16 and check_ccd("4kv").heavy_atoms == 21
    assert not [w for w in recwarn if "coordinates" in str(w.message)]  # no biotite noise on a CLI's stderr
