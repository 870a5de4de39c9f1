"""The 2D interaction diagram on the real carazolol pose: labels, lines by kind, anchors, no overlaps, escaping."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from pathlib import Path

import gemmi
import numpy as np
import pytest

from omtx_core.analysis.contacts import ligand_contacts
from omtx_core.analysis.interaction_diagram import posed_ligand, residue_spots
from omtx_core.analysis.interaction_diagram_svg import CONTACT_ONLY, STYLES, interaction_diagram, residue_text
from omtx_core.analysis.models import Contact
from tests.examples import CARAZOLOL as CARAZOLOL_SMILES

CARAZOLOL = Path("protein_ligand_affinity_b2ar_carazolol/boltz_results_b2ar_carazolol_affinity/predictions")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def model(fixtures_dir) -> Path:
    return next((fixtures_dir / CARAZOLOL).glob("*/*_model_0.cif"))


@pytest.fixture(scope="module")
def contacts(model) -> list[Contact]:
    return ligand_contacts(model, "L", smiles=CARAZOLOL_SMILES)


@pytest.fixture(scope="module")
def drawn(model, contacts) -> ET.Element:
    return ET.fromstring(interaction_diagram(contacts, model, "L", CARAZOLOL_SMILES).svg)


def labels(root: ET.Element) -> dict[str, str]:
    """data-residue of each residue box → the words of its label."""
    return {
        group.get("data-residue"): "".join(group.find(f"{SVG}text").itertext())
        for group in root.iter(f"{SVG}g")
        if group.get("class") == "residue"
    }


def boxes(root: ET.Element) -> list[tuple[float, float, float, float]]:
    """(x, y, width, height) of each residue box."""
    return [
        tuple(float(rect.get(key)) for key in ("x", "y", "width", "height"))
        for group in root.iter(f"{SVG}g")
        if group.get("class") == "residue"
        for rect in group.iter(f"{SVG}rect")
    ]


def line_kinds(root: ET.Element) -> set[str]:
    return {line.get("class").split()[1] for line in root.iter(f"{SVG}line") if "link" in line.get("class", "")}


def test_every_contacting_residue_has_one_text_label(drawn, contacts):
    found = labels(drawn)

    assert len(found) == len(contacts) == 18
    assert set(found) == {c.residue for c in contacts}
    assert found["A:113:ASP"] == "Asp113 A" == residue_text(next(c for c in contacts if c.number == 113))
    assert all(found[c.residue] == residue_text(c) for c in contacts)


def test_lines_are_drawn_for_the_kinds_present_and_the_legend_names_them(drawn, contacts):
    present = {kind for c in contacts for kind in c.kinds}
    legend = {t.text for t in drawn.iter(f"{SVG}text") if t.get("class") == "legend-entry"}

    assert present == {"hydrogen_bond", "salt_bridge", "hydrophobic", "pi_stacking"}
    assert line_kinds(drawn) == present
    assert legend == {STYLES[kind][3] for kind in present} | {CONTACT_ONLY}
    h_bond = next(line for line in drawn.iter(f"{SVG}line") if "hydrogen_bond" in line.get("class"))
    assert (h_bond.get("stroke"), h_bond.get("stroke-dasharray")) == (STYLES["hydrogen_bond"][0], "5 3")


def test_residue_boxes_do_not_overlap_and_stay_on_the_canvas(drawn):
    found = boxes(drawn)
    width, height = float(drawn.get("width")), float(drawn.get("height"))

    assert len(found) == 18
    for (ax, ay, aw, ah), (bx, by, bw, bh) in itertools.combinations(found, 2):
        assert ax + aw <= bx or bx + bw <= ax or ay + ah <= by or by + bh <= ay, "two residue boxes overlap"
    assert all(x >= 0 and y >= 0 and x + w <= width and y + h <= height for x, y, w, h in found)
    assert (width, height) >= (700, 560)


def test_lines_anchor_on_the_atoms_of_their_pairs_or_the_nearest_ligand_atoms(model, contacts):
    ligand = posed_ligand(model, "L", CARAZOLOL_SMILES)
    spots = {spot.contact.residue: spot for spot in residue_spots(contacts, model, ligand)}
    named = {(link.kind, tuple(ligand.names[a] for a in link.atoms)) for link in spots["A:113:ASP"].links}

    assert named == {("hydrogen_bond", ("N37",)), ("hydrogen_bond", ("O24",)), ("salt_bridge", ("N37",))}
    assert [(link.kind, ligand.names[link.atoms[0]]) for link in spots["A:203:SER"].links] == [("hydrogen_bond", "N38")]
    # Hydrophobic contacts store no pairs: the line goes to the ligand carbon nearest the side chain, computed here
    # straight from gemmi.
    structure = gemmi.read_structure(str(model))
    lig = [(a.name, np.array(a.pos.tolist())) for r in structure[0]["L"] for a in r if a.element.name == "C"]
    side = [np.array(a.pos.tolist()) for a in structure[0]["A"][str(114)][0] if a.name not in ("N", "CA", "C", "O")]
    nearest = min(lig, key=lambda item: min(np.linalg.norm(item[1] - p) for p in side))[0]
    (hydrophobic,) = spots["A:114:VAL"].links
    assert (hydrophobic.kind, ligand.names[hydrophobic.atoms[0]]) == ("hydrophobic", nearest)
    # π-stacking goes to the centre of an aromatic ring of the ligand.
    stacked = next(link for link in spots["A:290:PHE"].links if link.kind == "pi_stacking")
    assert len(stacked.atoms) == 6 and all(ligand.mol.GetAtomWithIdx(a).GetIsAromatic() for a in stacked.atoms)
    assert spots["A:3:GLN"].links == []  # within 4 Å, no specific interaction: a box without a line


def test_a_residue_name_with_markup_is_escaped(model, contacts):
    renamed = {"name": "<&>", "residue": 'A:113:<&>"'}
    hostile = [c.model_copy(update=renamed) if c.number == 113 else c for c in contacts]
    svg = interaction_diagram(hostile, model, "L", CARAZOLOL_SMILES).svg

    assert "<&>" not in svg and "&lt;&amp;&gt;113" in svg
    assert labels(ET.fromstring(svg))['A:113:<&>"'] == "<&>113 A"


def test_without_a_smiles_the_ligand_is_drawn_from_its_atoms_with_a_note(model, contacts):
    diagram = interaction_diagram(contacts, model, "L", None)
    root = ET.fromstring(diagram.svg)
    notes = " ".join(t.text for t in root.iter(f"{SVG}text") if t.get("class") == "note")

    assert "SMILES is unknown" in " ".join(diagram.notes) and "SMILES is unknown" in notes
    assert "bond orders unknown" in notes
    assert set(labels(root)) == {c.residue for c in contacts}
    # The stored atom pairs still anchor their lines, and the rings found from distances their π-stacking.
    assert line_kinds(root) == {"hydrogen_bond", "salt_bridge", "hydrophobic", "pi_stacking"}


def test_a_smiles_that_does_not_match_the_pose_says_so(model, contacts):
    diagram = interaction_diagram(contacts[:3], model, "L", "CCO")

    assert "does not match the pose" in " ".join(diagram.notes)
    assert len(labels(ET.fromstring(diagram.svg))) == 3


def test_a_kind_stored_without_its_pairs_still_gets_its_line(model):
    legacy = [Contact(residue="A:113:ASP", chain="A", number=113, name="ASP", distance_A=2.55,
                      kinds=["hydrogen_bond", "salt_bridge"])]  # fmt: skip
    root = ET.fromstring(interaction_diagram(legacy, model, "L", CARAZOLOL_SMILES).svg)

    assert line_kinds(root) == {"hydrogen_bond", "salt_bridge"}
