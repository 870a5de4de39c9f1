"""Molecules drawn where they are typed: under the ligand field, in the library preview and the ranked screen table."""

from __future__ import annotations

import base64
import json

import pytest
from streamlit.testing.v1 import AppTest

from tests.examples import CARAZOLOL
from tests.ui.rendered import as_text
from tests.ui.test_pages import click, open_page
from tests.ui.test_screen_results import screen_page, stores  # noqa: F401 (fixtures)

BINDING = "protein_ligand_binding"
SVG_URI = "data:image/svg+xml;base64,"


def images(at: AppTest) -> list[str]:
    return [url for image in at.get("image") for url in image.value]


def captions(at: AppTest) -> str:
    return "\n".join(as_text(c.value) for c in at.caption)


def type_ligand(at: AppTest, page: str, field: str, text: str) -> AppTest:
    at.text_input(key=f"{page}.{field}").input(text).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def svg_of(uri: str) -> str:
    assert uri.startswith(SVG_URI), uri[:60]
    return base64.b64decode(uri[len(SVG_URI) :]).decode()


def test_a_typed_smiles_is_drawn_under_the_field_with_its_formula():
    at = open_page(BINDING)
    assert not images(at)
    type_ligand(at, BINDING, "ligand_smiles", "OC(=O)c1ccccc1OC(C)=O")
    (uri,) = images(at)
    assert "<title>CC(=O)Oc1ccccc1C(=O)O</title>" in svg_of(uri)  # the canonical form the job will use
    assert "C9H8O4 · 13 heavy atoms · as the job will use it: CC(=O)Oc1ccccc1C(=O)O" in captions(at)
    assert not at.error


def test_a_salt_is_drawn_as_its_parent_and_the_caption_says_what_was_left_out():
    at = type_ligand(open_page(BINDING), BINDING, "ligand_smiles", f"{CARAZOLOL}.[Cl-]")
    (uri,) = images(at)
    assert f"<title>{CARAZOLOL}</title>" in svg_of(uri)
    assert "22 heavy atoms" in captions(at) and "(left out: [Cl-])" in captions(at)


def test_an_invalid_smiles_draws_nothing_and_leaves_the_error_to_submit():
    at = type_ligand(open_page(BINDING), BINDING, "ligand_smiles", "C1CC")
    assert not images(at) and "Not a valid SMILES yet." in captions(at) and not at.error
    click(at, BINDING, "plan")
    assert "unclosed ring" in "\n".join(e.value for e in at.error)
    assert not images(at)


def test_a_ccd_code_is_drawn_from_the_dictionary_on_the_binding_site_page():
    page = "binding_site_prediction"
    at = type_ligand(open_page(page), page, "ligand_ccd", "ATP")
    (uri,) = images(at)
    assert "<title>ATP</title>" in svg_of(uri)
    assert "C10H16N5O13P3 · 31 heavy atoms · from the Chemical Component Dictionary: ATP" in captions(at)
    assert not images(type_ligand(at, page, "ligand_ccd", "ZZZZZ"))


def structure_column(at: AppTest, first: str) -> tuple[list[str], list[str], dict]:
    """The Structure column's values and its column config in the table whose first column is `first`."""
    frame = next(f for f in at.dataframe if f.value.columns[0] == first)
    config = json.loads(frame.proto.columns)["Structure"]
    return list(frame.value.columns), frame.value["Structure"].tolist(), config


def test_the_library_preview_has_a_structure_thumbnail_for_every_compound():
    at = click(open_page("drug_discovery"), "drug_discovery", "example")
    columns, thumbnails, config = structure_column(at, "#")
    assert columns[:4] == ["#", "Structure", "Name", "SMILES"] and config["type_config"]["type"] == "image"
    assert len(thumbnails) == 4 and all("<svg" in svg_of(uri) for uri in thumbnails)


def test_the_ranked_screen_table_has_thumbnails_after_the_rank(screen_page):  # noqa: F811 (fixture)
    columns, thumbnails, config = structure_column(screen_page, "Rank")
    assert columns[:3] == ["Rank", "Structure", "Name"] and config["type_config"]["type"] == "image"
    assert thumbnails and all("<svg" in svg_of(uri) for uri in thumbnails)


@pytest.mark.parametrize("rows", [3, 250])
def test_thumbnails_are_drawn_for_the_first_rows_only(rows):
    from omtx_core.ui import molecules

    table = molecules.with_thumbnails([{"#": i, "SMILES": "CCO"} for i in range(rows)], after="#")
    drawn = [row["Structure"] is not None for row in table]
    assert drawn == [i < molecules.MAX_THUMBNAILS for i in range(rows)]
    assert list(table[0]) == ["#", "Structure", "SMILES"]
