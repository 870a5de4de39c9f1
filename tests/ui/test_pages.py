"""Every page renders; each task form plans its example and names the field of a bad input in plain words."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from omtx_core.tasks import TASKS
from tests.examples import UBIQUITIN
from tests.ui.rendered import as_text

APP = Path(__file__).resolve().parents[2] / "app.py"
PAGES = ["home", "jobs", *TASKS]
TEXT_AREAS = {"protein_sequence", "variants"}
# The first run imports Streamlit's runtime, RDKit and biotite's CCD: allow it time on a slow machine.
TIMEOUT = 30
GOOD_AND_BAD_LIBRARY = "CC(=O)Oc1ccccc1C(=O)O aspirin\nC1CC broken\nCC(C)Cc1ccc(cc1)C(C)C(=O)O ibuprofen\n"


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    at.switch_page(f"pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def click(at: AppTest, task: str, button: str) -> AppTest:
    at.button(key=f"{task}.{button}").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def errors(at: AppTest) -> str:
    return "\n".join(e.value for e in at.error)


def yaml_blocks(at: AppTest) -> list[str]:
    return [c.value for c in at.code if c.language == "yaml"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders(page: str) -> None:
    at = open_page(page)
    assert at.title, f"{page} has no title"
    assert not at.error


def test_home_links_every_task_and_sidebar_says_what_is_missing() -> None:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()
    labels = " ".join(link.value for link in at.page_link)
    assert all(model.title in labels for model in TASKS.values())
    status = " ".join(c.value for c in at.sidebar.caption)
    assert "Job store:** sqlite" in status and "Engine:** not available" in status and "No compute engine" in status


def test_submit_queues_a_job_and_opens_its_page(app_data_dir) -> None:
    at = click(click(open_page("protein_structure"), "protein_structure", "example"), "protein_structure", "submit")
    assert not at.error, errors(at)
    assert at.title[0].value == "Human ubiquitin" and "Queued" in at.markdown[0].value
    assert any("No compute engine" in w.value for w in at.warning)  # it waits: said plainly, not hidden
    home = AppTest.from_file(str(APP), default_timeout=TIMEOUT).run()  # AppTest keeps no sidebar after switch_page
    assert "Queued jobs:** 1" in " ".join(c.value for c in home.sidebar.caption)
    home.switch_page("pages/jobs.py").run()
    (table,) = home.dataframe
    assert list(table.value["Name"]) == ["Human ubiquitin"] and "Queued" in table.value["Status"][0]


@pytest.mark.parametrize("task", list(TASKS))
def test_example_plans_without_error(task: str) -> None:
    at = click(click(open_page(task), task, "example"), task, "plan")
    assert not at.error, errors(at)
    blocks = yaml_blocks(at)
    assert blocks and all(block.startswith("version: 1") for block in blocks)
    assert any(c.value.startswith("boltz predict ") for c in at.code)
    assert at.metric[0].label == "Boltz runs"
    assert "nothing was stored" in at.info[0].value


@pytest.mark.parametrize(
    ("task", "field", "value", "label"),
    [
        ("protein_structure", "protein_sequence", "MKX1Z", "Protein sequence"),
        ("protein_ligand_binding", "ligand_smiles", "C1CC", "Ligand SMILES"),
        ("protein_ligand_binding", "pocket_residues", "45, 4x6", "Pocket residues"),
        ("binding_site_prediction", "ligand_ccd", "NOT-A-CODE", "Ligand CCD code"),
        ("variant_comparison", "variants", "A2K", "Variant 1 › Mutations"),
        ("drug_discovery", "protein_sequence", "MKX1Z", "Protein sequence"),
    ],
)
def test_bad_input_names_the_field(task: str, field: str, value: str, label: str) -> None:
    at = click(open_page(task), task, "example")
    widget = at.text_area if field in TEXT_AREAS else at.text_input
    widget(key=f"{task}.{field}").set_value(value)
    at = click(at, task, "plan")
    assert f"**{label}**" in errors(at)
    assert not yaml_blocks(at)


def test_complex_chain_errors_name_the_row() -> None:
    at = open_page("protein_complex")
    at.session_state["protein_complex.rows"] = [
        {"id": "", "type": "protein", "molecule": "GIVEQCCTSICSLYQLENYCN", "copies": 1},
        {"id": "", "type": "ligand (SMILES)", "molecule": "C1CC", "copies": 1},
    ]
    at = click(at.run(), "protein_complex", "plan")
    assert "**Chain 2 › SMILES**" in errors(at)


def test_complex_homodimer_from_copies_is_two_chains() -> None:
    at = open_page("protein_complex")
    at.session_state["protein_complex.rows"] = [
        {"id": "", "type": "protein", "molecule": "GIVEQCCTSICSLYQLENYCN", "copies": 2},
        {"id": "", "type": "ligand (CCD code)", "molecule": "ATP", "copies": 1},
    ]
    at = click(at.run(), "protein_complex", "plan")
    assert not at.error, errors(at)
    yaml = yaml_blocks(at)[0]
    assert "id:\n    - A\n    - B" in yaml and "ccd: ATP" in yaml


def test_drug_discovery_lists_bad_rows_and_drops_them_on_request() -> None:
    task = "drug_discovery"
    at = click(open_page(task), task, "example")
    at.text_area(key=f"{task}.library_text").set_value(GOOD_AND_BAD_LIBRARY).run()
    assert "**Row 2**" in errors(at) and "unclosed ring" in errors(at).lower()
    assert len(at.dataframe) == 1

    at = click(at, task, "plan")
    assert "Drop invalid rows and continue" in errors(at)
    assert not yaml_blocks(at)

    at.checkbox(key=f"{task}.drop_invalid").check()
    at = click(at, task, "plan")
    assert at.metric[0].value == "2"
    blocks = yaml_blocks(at)
    assert len(blocks) == 2 and "CC(=O)Oc1ccccc1C(=O)O" in blocks[0]


def test_drug_discovery_reads_an_uploaded_csv() -> None:
    task = "drug_discovery"
    at = click(open_page(task), task, "example")
    csv = b"name,smiles\naspirin,CC(=O)Oc1ccccc1C(=O)O\ncaffeine,Cn1cnc2c1c(=O)n(C)c(=O)n2C\n"
    at.file_uploader(key=f"{task}.library_file").set_value(("library.csv", csv, "text/csv")).run()
    assert not at.error, errors(at)
    assert "2 compound(s) read" in " ".join(c.value for c in at.caption)
    at = click(at, task, "plan")
    assert at.metric[0].value == "2"
    assert "caffeine" in " ".join(e.label for e in at.expander)


def test_advanced_options_reach_the_boltz_flags() -> None:
    task = "protein_structure"
    at = click(open_page(task), task, "example")
    at.number_input(key=f"{task}.options.seed").set_value(7)
    at.checkbox(key=f"{task}.options.use_msa_server").uncheck()
    at = click(at, task, "plan")
    command = next(c.value for c in at.code if c.value.startswith("boltz predict"))
    assert "--seed 7" in command and "--use_msa_server" not in command
    assert "msa: empty" in yaml_blocks(at)[0]
    assert at.metric[2].value == "off"


def _raise(kind: str) -> None:
    import streamlit as st  # noqa: F401 - AppTest runs this function's body as the script

    from omtx_core.errors import ConfigurationError
    from omtx_core.ui.errors import show_error

    if kind == "omtx":
        show_error(ConfigurationError("The job store is not reachable.", "Check OMTX_SUPABASE_URL."))
    else:
        show_error(RuntimeError("disk full"))


@pytest.mark.parametrize("kind", ["omtx", "other"])
def test_show_error_for_non_input_errors(kind: str) -> None:
    at = AppTest.from_function(_raise, kwargs={"kind": kind}, default_timeout=TIMEOUT).run()
    assert not at.exception
    if kind == "omtx":
        assert as_text(at.error[0].value) == "The job store is not reachable.  \nCheck OMTX_SUPABASE_URL."
    else:
        assert at.error[0].value.startswith("Something went wrong on our side")
        assert "Error id" in at.error[0].value and "disk full" not in at.error[0].value  # details are in the log


def test_drug_discovery_with_no_readable_row_says_so() -> None:
    task = "drug_discovery"
    at = click(open_page(task), task, "example")
    at.text_area(key=f"{task}.library_text").set_value("C1CC broken\nnot_a_smiles x\n").run()
    assert f"{task}.drop_invalid" not in [c.key for c in at.checkbox], "nothing to keep, so nothing to drop"
    at = click(at, task, "plan")
    assert "No row of the library could be read" in errors(at)


def _many_problems() -> None:
    from omtx_core.errors import Problem
    from omtx_core.ui.errors import show_problems

    show_problems([Problem(f"row {n}", "Cannot read this SMILES.") for n in range(1, 121)], "120 rows:")


def test_a_long_problem_list_is_cut_short() -> None:
    at = AppTest.from_function(_many_problems, default_timeout=TIMEOUT).run()
    text = at.error[0].value
    assert "**Row 50**" in text and "**Row 51**" not in text and "…and 70 more." in text


def test_an_uploaded_fasta_fills_the_sequence_box() -> None:
    task = "protein_structure"
    at = open_page(task)
    fasta = b">sp|P0CG48|UBQ human ubiquitin\n" + UBIQUITIN.encode() + b"\n"
    at.file_uploader(key=f"{task}.protein_sequence.file").set_value(("ubq.fasta", fasta, "text/plain")).run()
    assert at.text_area(key=f"{task}.protein_sequence").value.startswith(">sp|P0CG48")
    at = click(at, task, "plan")
    assert not at.error and any(block.startswith("version: 1") for block in yaml_blocks(at))


def test_a_problem_also_shows_under_its_field() -> None:
    task = "protein_ligand_binding"
    at = open_page(task)
    at.text_area(key=f"{task}.protein_sequence").set_value(UBIQUITIN)
    at.text_input(key=f"{task}.ligand_smiles").set_value("C1CC")
    at = click(at.run(), task, "plan")
    inline, summary = at.error[0].value, at.error[-1].value
    assert "unclosed ring" in inline and "Ligand SMILES" not in inline  # under the field: no label needed
    assert "Ligand SMILES" in summary and len(at.error) == 2
