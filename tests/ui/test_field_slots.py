"""Problems in table- and list-shaped inputs appear right under the widget they belong to, each naming its row."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.examples import UBIQUITIN
from tests.ui.test_pages import click, open_page

LIGAND = "CC(=O)Oc1ccccc1C(=O)O"


def in_order(at: AppTest) -> list[tuple[str, str]]:
    """(element type, key or text) of the main area's elements, top to bottom."""
    found = []
    for node in at.main:
        kind = getattr(node, "type", "")
        if kind == "alert":
            kind = "error" if node.proto.format == 1 else "alert"
        name = getattr(node, "key", None) or getattr(getattr(node, "proto", None), "body", "")
        found.append((kind, str(name)))
    return found


def slot_text(at: AppTest, after_key: str) -> str:
    """The error shown right after the widget with `after_key` (one element later, where its slot sits)."""
    order = in_order(at)
    index = next(i for i, (_, name) in enumerate(order) if name == after_key)
    kind, text = order[index + 1]
    assert kind == "error", f"no error under {after_key}; next is {order[index + 1]}"
    return text


def test_complex_chain_problems_sit_under_the_chain_table() -> None:
    task = "protein_complex"
    at = open_page(task)
    at.session_state[f"{task}.rows"] = [
        {"id": "", "type": "protein", "molecule": "GIVEQCCTSICSLYQLENYCX1", "copies": 1},
        {"id": "", "type": "ligand (SMILES)", "molecule": "C1CC", "copies": 1},
    ]
    at = click(at.run(), task, "plan")
    under = next(e.value for e in at.error if "Chain 2" in e.value and e.value != at.error[-1].value)
    assert "**Chain 1 › Sequence**" in under and "**Chain 2 › SMILES**" in under
    order = [kind for kind, _ in in_order(at)]
    assert order.index("error") < [name for _, name in in_order(at)].index(f"{task}.job_name")


def test_variant_line_problems_sit_under_the_variants_box() -> None:
    task = "variant_comparison"
    at = open_page(task)
    at.text_area(key=f"{task}.wildtype_sequence").set_value(UBIQUITIN)
    at.text_area(key=f"{task}.variants").set_value("K6A\nA2W\nK48R")  # ubiquitin's residue 2 is Q, not A
    at = click(at.run(), task, "plan")
    text = slot_text(at, f"{task}.variants")
    assert "Variant 2" in text and "Variant 1" not in text


def test_pocket_residue_problems_show_outside_the_closed_pocket_expander() -> None:
    task = "protein_ligand_binding"
    at = open_page(task)
    at.text_area(key=f"{task}.protein_sequence").set_value(UBIQUITIN)
    at.text_input(key=f"{task}.ligand_smiles").set_value(LIGAND)
    at.text_input(key=f"{task}.pocket_residues").set_value("5, 900")
    at = click(at.run(), task, "plan")
    inline = [e.value for e in at.error[:-1]]
    assert any("900" in text for text in inline), inline
    assert "error" in [kind for kind, _ in in_order(at)][: [n for _, n in in_order(at)].index(f"{task}.job_name")]


def test_screen_compound_problems_sit_under_the_library() -> None:
    task = "drug_discovery"
    at = open_page(task)
    at.text_area(key=f"{task}.protein_sequence").set_value(UBIQUITIN)
    at.text_area(key=f"{task}.library_text").set_value(f"{LIGAND} aspirin\n{LIGAND} aspirin again\n")
    at = click(at.run(), task, "plan")
    inline = [e.value for e in at.error[:-1]]
    assert any("Compound 2" in text for text in inline), [e.value for e in at.error]


def test_a_long_list_under_a_widget_is_cut_short() -> None:
    task = "protein_complex"
    at = open_page(task)
    at.session_state[f"{task}.rows"] = [{"id": "", "type": "ligand (SMILES)", "molecule": "C1CC", "copies": 1}] * 12
    at = click(at.run(), task, "plan")
    under = at.error[0].value
    assert "Chain 10 ›" in under and "Chain 11 ›" not in under and "2 more, listed below" in under
