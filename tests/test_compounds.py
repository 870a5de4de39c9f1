"""Compound library readers: CSV, SMILES lists, SDF and dispatch, with real RDKit."""

from __future__ import annotations

import io
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rdkit import Chem

from omtx_core.compounds import (
    CompoundEntry,
    CompoundLibrary,
    read_compound_csv,
    read_compound_library,
    read_compound_sdf,
    read_smiles_list,
)

ASPIRIN = Chem.MolToSmiles(Chem.MolFromSmiles("CC(=O)Oc1ccccc1C(=O)O"))
ETHANOL = "CCO"
BENZENE = "c1ccccc1"


def names(library: CompoundLibrary) -> list[str]:
    return [c.name for c in library.compounds]


def smiles(library: CompoundLibrary) -> list[str]:
    return [c.smiles for c in library.compounds]


def fields(library: CompoundLibrary) -> list[str]:
    return [p.field for p in library.problems]


# ---------------------------------------------------------------- CSV


def test_csv_with_name_and_smiles_header():
    lib = read_compound_csv("name,smiles\naspirin,CC(=O)Oc1ccccc1C(=O)O\nethanol,OCC\n")
    assert lib.compounds == [CompoundEntry("aspirin", ASPIRIN), CompoundEntry("ethanol", ETHANOL)]
    assert lib.problems == [] and lib.warnings == []


def test_csv_header_is_case_insensitive_and_finds_name_aliases_in_any_order():
    lib = read_compound_csv("MW, SMILES ,Compound_ID\n46.07,CCO,CPD-1\n78.1,c1ccccc1,CPD-2\n")
    assert names(lib) == ["CPD-1", "CPD-2"]
    assert smiles(lib) == [ETHANOL, BENZENE]


def test_csv_smiles_only_header_generates_names():
    lib = read_compound_csv("SMILES\nCCO\nc1ccccc1\n")
    assert lib.compounds == [CompoundEntry("compound_1", ETHANOL), CompoundEntry("compound_2", BENZENE)]


def test_csv_without_header_one_column():
    lib = read_compound_csv("CCO\nc1ccccc1\n")
    assert names(lib) == ["compound_1", "compound_2"]
    assert smiles(lib) == [ETHANOL, BENZENE]


@pytest.mark.parametrize(
    "text",
    ["ethanol,CCO\nbenzene,c1ccccc1\n", "CCO,ethanol\nc1ccccc1,benzene\n"],
    ids=["name-smiles", "smiles-name"],
)
def test_csv_without_header_two_columns_either_order(text):
    lib = read_compound_csv(text)
    assert lib.compounds == [CompoundEntry("ethanol", ETHANOL), CompoundEntry("benzene", BENZENE)]
    assert lib.problems == []


@pytest.mark.parametrize("delimiter", ["\t", ";"], ids=["tab", "semicolon"])
def test_csv_other_delimiters(delimiter):
    text = f"id{delimiter}smiles\nA1{delimiter}CCO\nA2{delimiter}c1ccccc1\n"
    lib = read_compound_csv(text)
    assert lib.compounds == [CompoundEntry("A1", ETHANOL), CompoundEntry("A2", BENZENE)]


def test_csv_tolerates_utf8_bom_and_crlf():
    lib = read_compound_csv("\ufeffName,SMILES\r\nethanol,CCO\r\n")
    assert lib.compounds == [CompoundEntry("ethanol", ETHANOL)]


def test_csv_quoted_names_with_commas():
    lib = read_compound_csv('name,smiles\n"2,4-dinitrophenol, batch 2",Oc1ccc(cc1[N+](=O)[O-])[N+](=O)[O-]\n')
    assert names(lib) == ["2,4-dinitrophenol, batch 2"]
    assert lib.problems == []


def test_csv_bad_smiles_is_reported_by_line_and_good_rows_survive():
    lib = read_compound_csv("name,smiles\ngood1,CCO\nbad,C1CC(\ngood2,c1ccccc1\n")
    assert names(lib) == ["good1", "good2"]
    assert fields(lib) == ["row 3"]
    assert lib.problems[0].message.startswith("Cannot read this SMILES")
    assert lib.problems[0].hint


def test_csv_row_numbers_count_blank_lines_and_missing_smiles_is_a_problem():
    lib = read_compound_csv("name,smiles\n\nethanol,CCO\nnothing,\nshort\n")
    assert names(lib) == ["ethanol"]
    assert fields(lib) == ["row 4", "row 5"]
    assert "no SMILES" in lib.problems[0].message


def test_csv_generated_names_number_compounds_not_rows():
    lib = read_compound_csv("smiles\nCCO\nnot_a_smiles\nc1ccccc1\n")
    assert names(lib) == ["compound_1", "compound_2"]


def test_csv_salt_is_stripped_with_a_warning():
    lib = read_compound_csv("name,smiles\nethanol,CCO\nmethylamine HCl,CN.Cl\n")
    assert smiles(lib) == [ETHANOL, "CN"]
    assert [w.field for w in lib.warnings] == ["row 3"]
    assert str(lib.warnings[0]) == "row 3: Kept the largest fragment, removed Cl."


def test_csv_keeps_duplicates():
    lib = read_compound_csv("smiles\nCCO\nOCC\n")
    assert smiles(lib) == [ETHANOL, ETHANOL]


def test_csv_header_without_smiles_column_is_one_problem():
    lib = read_compound_csv("name,structure_smi,mw\nethanol,CCO,46\nbenzene,c1ccccc1,78\n")
    assert lib.compounds == []
    assert fields(lib) == ["header"]
    problem = lib.problems[0]
    assert "'structure_smi'" in problem.message and "'name'" in problem.message
    assert "canonical_smiles" in problem.hint


@pytest.mark.parametrize("text", ["C1CC(\nCCO\n", "aspirin,CC(=O)Oc1ccccc1C(=O\nethanol,CCO\n"])
def test_csv_bad_smiles_in_first_row_is_a_row_problem_not_a_header(text):
    lib = read_compound_csv(text)
    assert smiles(lib) == [ETHANOL]
    assert fields(lib) == ["row 1"]


def test_csv_header_only_reports_no_compounds():
    lib = read_compound_csv("name,smiles\n")
    assert lib.compounds == [] and fields(lib) == ["file"]


ALL_READERS = [read_compound_csv, read_smiles_list, read_compound_sdf, read_compound_library]


@pytest.mark.parametrize("reader", ALL_READERS)
@pytest.mark.parametrize("text", ["", "  \n\n", "\ufeff"])
def test_empty_text_is_one_file_problem(reader, text):
    lib = reader(text)
    assert lib.compounds == []
    assert fields(lib) == ["file"]
    assert "empty" in lib.problems[0].message


def test_csv_ten_thousand_rows_read_in_seconds():
    text = "name,smiles\n" + "".join(f"c{i},{'C' * (i % 20 + 1)}O\n" for i in range(10_000))
    start = time.perf_counter()
    lib = read_compound_csv(text)
    assert time.perf_counter() - start < 10
    assert len(lib.compounds) == 10_000 and lib.problems == []


# ---------------------------------------------------------------- SMILES list


def test_smiles_list_names_with_spaces_comments_and_blank_lines():
    text = "# my library\n\nCCO ethanol absolute\n  c1ccccc1\tbenzene\nC1CC(\n# done\nCC(=O)Oc1ccccc1C(=O)O\n"
    lib = read_smiles_list(text)
    assert lib.compounds == [
        CompoundEntry("ethanol absolute", ETHANOL),
        CompoundEntry("benzene", BENZENE),
        CompoundEntry("compound_3", ASPIRIN),
    ]
    assert fields(lib) == ["row 5"]


def test_smiles_list_skips_a_header_line():
    lib = read_smiles_list("SMILES Name\nCCO ethanol\n")
    assert lib.compounds == [CompoundEntry("ethanol", ETHANOL)] and lib.problems == []


def test_smiles_list_of_only_comments_has_no_compounds():
    assert fields(read_smiles_list("# nothing here\n")) == ["file"]


# ---------------------------------------------------------------- SDF


def sdf_text(*records: tuple[str, str]) -> str:
    out = io.StringIO()
    writer = Chem.SDWriter(out)
    for smi, name in records:
        mol = Chem.MolFromSmiles(smi)
        mol.SetProp("_Name", name)
        writer.write(mol)
    writer.close()
    return out.getvalue()


BROKEN_RECORD = "broken\n  junk\n\n  3  2  0  0  0  0  0  0  0  0999 V2000\nxx\nM  END\n$$$$\n"


def test_sdf_reads_good_records_and_reports_the_broken_one():
    good = sdf_text(("CCO", "ethanol"), ("c1ccccc1", "benzene"), ("CC(=O)Oc1ccccc1C(=O)O", "aspirin"))
    first, rest = good.split("$$$$\n", 1)
    lib = read_compound_sdf(first + "$$$$\n" + BROKEN_RECORD + rest + "\n\n")
    assert lib.compounds == [
        CompoundEntry("ethanol", ETHANOL),
        CompoundEntry("benzene", BENZENE),
        CompoundEntry("aspirin", ASPIRIN),
    ]
    assert fields(lib) == ["record 2"]
    assert "RDKit cannot read this record" in lib.problems[0].message
    assert "too short" in lib.problems[0].message


def test_sdf_name_falls_back_to_id_property_then_generated():
    mol = Chem.MolFromSmiles("CCO")
    mol.SetProp("ID", "CPD-7")
    out = io.StringIO()
    writer = Chem.SDWriter(out)
    writer.write(mol)
    writer.write(Chem.MolFromSmiles("c1ccccc1"))
    writer.close()
    assert names(read_compound_sdf(out.getvalue())) == ["CPD-7", "compound_2"]


def test_sdf_salt_is_stripped_with_a_warning():
    lib = read_compound_sdf(sdf_text(("CN.Cl", "methylamine HCl")))
    assert smiles(lib) == ["CN"]
    assert [w.field for w in lib.warnings] == ["record 1"]


def test_single_mol_block_without_terminator():
    mol = Chem.MolFromSmiles("CCO")
    mol.SetProp("_Name", "ethanol")
    lib = read_compound_library(Chem.MolToMolBlock(mol), "ethanol.mol")
    assert lib.compounds == [CompoundEntry("ethanol", ETHANOL)]


# ---------------------------------------------------------------- dispatch


@pytest.mark.parametrize(
    ("filename", "text"),
    [
        ("lib.CSV", "name,smiles\nethanol,CCO\n"),
        ("lib.tsv", "name\tsmiles\nethanol\tCCO\n"),
        ("lib.txt", "ethanol;CCO\n"),
        ("lib.txt", "CCO ethanol\n"),
        ("lib.smi", "CCO ethanol\n"),
        ("lib.smiles", "CCO ethanol\n"),
        ("lib.sdf", sdf_text(("CCO", "ethanol"))),
        ("lib.sd", sdf_text(("CCO", "ethanol"))),
        ("", "name,smiles\nethanol,CCO\n"),
        ("", "\n\nCCO\tethanol\n"),
        ("", "CCO ethanol\n"),
        ("", sdf_text(("CCO", "ethanol"))),
        ("upload.dat", "CCO ethanol\n"),
    ],
)
def test_dispatch_by_filename_and_content(filename, text):
    lib = read_compound_library(text, filename)
    assert lib.compounds == [CompoundEntry("ethanol", ETHANOL)]
    assert lib.problems == []


def test_filename_wins_over_content():
    # As a CSV the line is one cell with a space in it, which is not a SMILES.
    assert fields(read_compound_library("CCO ethanol\n", "lib.csv")) == ["row 1"]


def test_as_input_shape():
    lib = read_compound_csv("name,smiles\nethanol,CCO\n,c1ccccc1\n")
    assert lib.as_input() == [
        {"name": "ethanol", "smiles": ETHANOL},
        {"name": "compound_2", "smiles": BENZENE},
    ]


# ---------------------------------------------------------------- robustness


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_text_readers_never_raise(text):
    for reader in (read_compound_csv, read_smiles_list):
        lib = reader(text)
        assert isinstance(lib, CompoundLibrary)
        assert lib.compounds or lib.problems
