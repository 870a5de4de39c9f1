"""Fuzzing every task model: hostile input ends in InputError or in a stored input that validates again to itself.

The quick tests run in the inner loop; the 10,000-example run (1,700 per task) is in tests/markers.py's SLOW list.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omtx_core.config import Settings
from omtx_core.errors import InputError
from omtx_core.tasks import TASKS, validate_task_input
from omtx_core.tasks.base import is_hidden
from tests.fuzz import task_inputs

SETTINGS = Settings()
QUICK, THOROUGH = 25, 1_700  # 6 tasks x 1,700 = 10,200 examples
FUZZ = {"deadline": None, "database": None, "suppress_health_check": list(HealthCheck)}


def check_task_input(task: str, data: Any) -> None:
    """Anything but InputError fails; an accepted input is strict JSON, holds no hidden character, and validates
    again (after a trip through JSON, as the worker reads it from the store) to exactly itself."""
    try:
        validated = validate_task_input(task, data, SETTINGS)
    except InputError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    stored = validated.input.model_dump(mode="json")
    text = json.dumps(stored, allow_nan=False)  # PostgreSQL's jsonb refuses NaN and Infinity
    assert not [s for s in _strings(stored) if any(is_hidden(c) for c in s)], "a hidden character was stored"
    again = validate_task_input(task, json.loads(text), SETTINGS)
    assert again.input.model_dump(mode="json") == stored
    assert [run.name for run in again.plan.runs] == [run.name for run in validated.plan.runs]


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return [s for child in children for s in _strings(child)]


def fuzz(task: str, examples: int) -> None:
    @settings(max_examples=examples, **FUZZ)
    @given(st.data())
    def run(data):
        check_task_input(task, data.draw(task_inputs(task), label="input"))

    run()


@pytest.mark.parametrize("task", TASKS)
def test_fuzzed_task_inputs_quick(task):
    fuzz(task, QUICK)


@pytest.mark.parametrize("task", TASKS)
def test_fuzzed_task_inputs_10k(task):
    fuzz(task, THOROUGH)
