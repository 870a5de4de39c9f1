"""field_label turns dotted field paths into the labels a scientist reads, without a Streamlit runtime."""

from __future__ import annotations

import pytest

from omtx_core.errors import Problem
from omtx_core.tasks import TASKS
from omtx_core.ui.errors import field_label, problem_line
from tests.ui.rendered import as_text


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("protein_sequence", "Protein sequence"),
        ("wildtype_sequence", "Wild-type sequence"),
        ("ligand_smiles", "Ligand SMILES"),
        ("ligand_ccd", "Ligand CCD code"),
        ("pocket_residues", "Pocket residues"),
        ("pocket_residues.2", "Pocket residue 3"),
        ("compounds.3.smiles", "Compound 4 › SMILES"),
        ("compounds.0.name", "Compound 1 › Name"),
        ("variants.0.mutations", "Variant 1 › Mutations"),
        ("chains.1.id", "Chain 2 › ID"),
        ("chains.9.ccd", "Chain 10 › CCD code"),
        ("options.seed", "Advanced options › Seed"),
        ("options.use_msa_server", "Advanced options › Use the MSA server"),
        ("options.diffusion_samples_affinity", "Advanced options › Affinity diffusion samples"),
        ("row 3", "Row 3"),
        ("record 12", "Record 12"),
        ("header", "Header"),
        ("", "Input"),
        ("0", "Item 1"),
        ("matrix.0.1", "Matrix 1 › Item 2"),
        ("samples.4", "Sample 5"),
    ],
)
def test_field_label(path: str, label: str) -> None:
    assert field_label(path) == label


def test_every_task_field_gets_a_label_without_underscores() -> None:
    for model in TASKS.values():
        for name in model.model_fields:
            label = field_label(name)
            assert "_" not in label and label[0].isupper(), (name, label)


def test_problem_line_puts_the_label_first_and_the_hint_last() -> None:
    problem = Problem("compounds.3.smiles", "Unclosed ring.", "Check the SMILES.")
    assert problem_line(problem) == "**Compound 4 › SMILES**: Unclosed ring\\. — Check the SMILES\\."
    assert as_text(problem_line(Problem("job_name", "Too long."))) == "**Job name**: Too long."
