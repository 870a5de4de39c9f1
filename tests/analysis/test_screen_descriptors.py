"""Screen descriptors by their textbook definitions: Lipinski's own donor and acceptor counts, the neutral parent."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from omtx_core.analysis import screening
from omtx_core.analysis.models import CompoundRow
from omtx_core.analysis.screening import compound_row, descriptors, rows_to_csv
from tests.examples import ASPIRIN, CARAZOLOL

CARAZOLOL_PARENT = "CC(C)NC[C@@H](O)COc1cccc2[nH]c3ccccc3c12"  # the amine as a neutral base
POLYAMINE = "NCCC(N)CCC(N)CCN"  # four NH2 groups: eight N–H bonds on four donor atoms
AS_GIVEN = ("parent_smiles", "charge_as_given", "mw_as_given", "clogp_as_given", "tpsa_as_given")
LEGACY = Path(__file__).resolve().parents[1] / "data" / "legacy" / "drug_discovery.json"


def test_rule_of_five_uses_lipinskis_donor_and_acceptor_counts():
    values = descriptors(ASPIRIN)
    assert (values["lipinski_hbd"], values["lipinski_hba"]) == (1, 4)  # NH + OH: the acid's OH; N + O: 4 oxygens
    assert (values["hbd"], values["hba"]) == (1, 3)  # RDKit's donor/acceptor patterns, kept under their own names


def test_a_polyamine_breaks_the_donor_rule_by_lipinskis_count():
    values = descriptors(POLYAMINE)
    assert values["lipinski_hbd"] == 8 and values["hbd"] == 4  # Lipinski counts hydrogens, RDKit donor atoms
    assert values["lipinski_violations"] == 1  # NH + OH = 8 > 5


def test_carazolol_descriptors_are_of_the_neutral_parent_with_the_charged_form_beside():
    values = descriptors(CARAZOLOL)  # protonated secondary amine, as bound
    assert values["parent_smiles"] == CARAZOLOL_PARENT
    assert values["mw"] == pytest.approx(298.39, abs=0.01)
    assert values["clogp"] == pytest.approx(3.06, abs=0.01)
    assert values["tpsa"] == pytest.approx(57.28, abs=0.01)
    assert (values["lipinski_hbd"], values["lipinski_hba"], values["lipinski_violations"]) == (3, 4, 0)
    assert values["charge_as_given"] == 1
    assert values["mw_as_given"] == pytest.approx(299.39, abs=0.01)
    assert values["clogp_as_given"] == pytest.approx(2.03, abs=0.01)
    assert values["tpsa_as_given"] == pytest.approx(61.86, abs=0.01)
    assert values["heavy_atoms"] == 22  # unchanged by (de)protonation: ligand efficiency stays the same


def test_a_neutral_compound_has_no_separate_given_form():
    values = descriptors(ASPIRIN)
    assert {key: values[key] for key in AS_GIVEN} == dict.fromkeys(AS_GIVEN)
    assert values["mw"] == pytest.approx(180.16, abs=0.01)


def test_a_salt_form_is_described_as_its_parent_acid():
    values = descriptors("CC(=O)Oc1ccccc1C(=O)[O-]")  # aspirin's carboxylate
    assert values["parent_smiles"] == ASPIRIN and values["charge_as_given"] == -1
    assert values["clogp"] == pytest.approx(1.31, abs=0.01) and values["clogp_as_given"] == pytest.approx(-0.02)


def test_carazolol_row_on_the_fixture_has_parent_and_given_descriptors(carazolol):
    row = compound_row("carazolol", CARAZOLOL, carazolol)
    assert row.mw == pytest.approx(298.39, abs=0.01) and row.mw_as_given == pytest.approx(299.39, abs=0.01)
    assert row.lipinski_hbd == 3 and row.lipinski_hba == 4 and row.parent_smiles == CARAZOLOL_PARENT
    assert row.ligand_efficiency == pytest.approx(1.364 * 10.0688 / 22, abs=1e-3)


def test_csv_headers_say_which_definition_and_which_form():
    text = rows_to_csv([compound_row("carazolol", CARAZOLOL, None).model_copy(update={"rank": 1})])
    (record,) = csv.DictReader(io.StringIO(text))
    assert len(screening.CSV_HEADERS) == len(screening.CSV_COLUMNS) and tuple(record) == screening.CSV_HEADERS
    assert (record["hbd_rdkit"], record["hba_rdkit"]) == ("3", "3")
    assert (record["lipinski_hbd_nh_oh"], record["lipinski_hba_n_o"]) == ("3", "4")
    assert record["mw"] == "298.39" and record["mw_as_given"] == "299.39" and record["charge_as_given"] == "1"
    assert record["parent_smiles"] == CARAZOLOL_PARENT and record["smiles"] == CARAZOLOL
    assert "hbd" not in record and "hba" not in record  # a bare "hbd" would not say whose count it is


def test_a_stored_row_keeps_its_rdkit_counts_and_has_no_lipinski_counts():
    stored = json.loads(LEGACY.read_text())["analysis"]["rows"][0]
    row = CompoundRow.model_validate(stored)
    assert (row.hbd, row.hba) == (3, 2) and row.lipinski_hbd is None and row.parent_smiles is None
