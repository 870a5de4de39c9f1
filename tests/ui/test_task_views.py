"""Task views are chosen by task type from one registry, and task constants are imported, never re-declared."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from omtx_core.domain.results import TaskAnalysis
from omtx_core.tasks import TASKS, task_analysis_model
from omtx_core.tasks.base import LIGAND_CHAIN, PROTEIN_CHAIN
from omtx_core.tasks.variant_comparison import WILDTYPE_RUN
from omtx_core.ui.task_views import TASK_VIEWS

CORE = Path(__file__).resolve().parents[2] / "omtx_core"
READERS = [*sorted((CORE / "ui").glob("*.py")), CORE / "analysis" / "screening.py"]
TASK_CONSTANTS = {WILDTYPE_RUN, PROTEIN_CHAIN, LIGAND_CHAIN}


def test_every_task_with_its_own_analysis_has_views_and_only_known_tasks_do():
    assert set(TASK_VIEWS) <= set(TASKS)
    with_analysis = {task for task, model in TASKS.items() if model.analysis_model is not TaskAnalysis}
    assert with_analysis == set(TASK_VIEWS)


def test_the_analysis_model_of_each_task_is_named_by_the_task():
    for task_id, model in TASKS.items():
        assert task_analysis_model(task_id) is model.analysis_model
        assert issubclass(model.analysis_model, TaskAnalysis)
    assert task_analysis_model("not_a_task") is TaskAnalysis


def _string_constants(path: Path) -> set[str]:
    """Every string literal of a module except docstrings."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    bodies = [node.body for node in ast.walk(tree) if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef)]
    docstrings = {id(body[0].value) for body in bodies if body and isinstance(body[0], ast.Expr)}
    constants = [node for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)]
    return {node.value for node in constants if id(node) not in docstrings}


@pytest.mark.parametrize("path", READERS, ids=lambda path: path.name)
def test_readers_import_the_wildtype_run_and_chain_letters_from_the_tasks(path):
    assert not _string_constants(path) & TASK_CONSTANTS, f"{path.name} spells out a task constant"
