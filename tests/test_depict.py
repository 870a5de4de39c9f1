"""2D depictions: RDKit SVG of the molecule a job uses, cached per canonical SMILES, None for what cannot be drawn."""

from __future__ import annotations

import base64
import re
import xml.etree.ElementTree as ET

import pytest

from omtx_core.depict import (
    FORM,
    THUMBNAIL,
    _depict_canonical,
    depict_ccd,
    depict_smiles,
    svg_data_uri,
    thumbnail_uri,
)
from tests.examples import CARAZOLOL

ASPIRIN = "CC(=O)Oc1ccccc1C(=O)O"
SVG = "{http://www.w3.org/2000/svg}"


def drawn(svg: str) -> tuple[ET.Element, set[str], dict[int, str]]:
    """The parsed SVG, the bond ids its paths draw, and each labelled atom's label (RDKit draws one glyph a text)."""
    root = ET.fromstring(svg)
    bonds = {m for p in root.iter(f"{SVG}path") for m in re.findall(r"bond-\d+", p.get("class", ""))}
    labels: dict[int, str] = {}
    for text in root.iter(f"{SVG}text"):
        atom = int(re.search(r"atom-(\d+)", text.get("class", ""))[1])
        labels[atom] = labels.get(atom, "") + "".join(text.itertext())
    return root, bonds, labels


def hetero_atoms(smiles: str) -> dict[int, str]:
    from rdkit import Chem

    return {a.GetIdx(): a.GetSymbol() for a in Chem.MolFromSmiles(smiles).GetAtoms() if a.GetSymbol() != "C"}


@pytest.mark.parametrize(("smiles", "bonds", "formula"), [(ASPIRIN, 13, "C9H8O4"), (CARAZOLOL, 24, "C18H23N2O2+")])
def test_the_svg_is_xml_with_every_bond_and_the_hetero_atoms_drawn(smiles, bonds, formula):
    depiction = depict_smiles(smiles)
    root, drawn_bonds, labels = drawn(depiction.svg)
    assert root.tag == f"{SVG}svg" and (root.get("width"), root.get("height")) == (f"{FORM[0]}px", f"{FORM[1]}px")
    assert len(drawn_bonds) == bonds and depiction.formula == formula
    hetero = hetero_atoms(depiction.label)  # the drawing numbers atoms as the canonical SMILES does
    assert labels.keys() == hetero.keys() and all(labels[i].startswith(hetero[i]) for i in hetero), labels
    assert root.find(f"{SVG}title").text == depiction.label


def test_a_salt_is_drawn_as_the_parent_the_job_uses():
    salt = depict_smiles("CC(C)[NH2+]C[C@@H](O)COc1cccc2[nH]c3ccccc3c12.[Cl-]")
    assert salt.label == CARAZOLOL and salt.heavy_atoms == 22 and salt.removed == ("[Cl-]",)
    assert "Cl" not in drawn(salt.svg)[2].values() and salt.svg == depict_smiles(CARAZOLOL).svg


def test_the_same_molecule_is_drawn_once_however_it_is_written():
    _depict_canonical.cache_clear()
    first = depict_smiles(ASPIRIN)
    assert depict_smiles("OC(=O)c1ccccc1OC(C)=O") is first  # another spelling, one canonical form
    assert _depict_canonical.cache_info().hits == 1
    assert depict_smiles(ASPIRIN, THUMBNAIL) is not first  # each size is its own drawing


@pytest.mark.parametrize("text", ["C1CC", "c1cccc1", "", "CCO ethanol", "[H][H]", "C" * 2001])
def test_what_is_not_a_valid_smiles_is_not_drawn(text):
    assert depict_smiles(text) is None and thumbnail_uri(text) is None


def test_the_thumbnail_data_uri_decodes_back_to_the_svg():
    uri = thumbnail_uri(ASPIRIN)
    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix) and thumbnail_uri(ASPIRIN) is uri  # cached per SMILES text
    svg = base64.b64decode(uri[len(prefix) :]).decode("utf-8")
    assert svg == depict_smiles(ASPIRIN, THUMBNAIL).svg and svg_data_uri(svg) == uri
    root = ET.fromstring(svg)
    assert (root.get("width"), root.get("height")) == (f"{THUMBNAIL[0]}px", f"{THUMBNAIL[1]}px")


def test_thumbnails_are_small_enough_for_hundreds_in_a_table():
    assert len(thumbnail_uri(CARAZOLOL)) < 12_000


def test_a_ccd_code_is_drawn_from_the_dictionary_and_an_unknown_one_is_not():
    atp = depict_ccd(" atp ")
    assert atp.label == "ATP" and atp.formula == "C10H16N5O13P3" and atp.heavy_atoms == 31
    root, bonds, labels = drawn(atp.svg)
    assert len(bonds) == 33 and sorted(labels.values()).count("P") == 3
    assert depict_ccd("ZZZZZ") is None and depict_ccd("not a code") is None
