"""GPU time estimates grow with what the plan asks for, and count model loads and MSA requests as planned."""

from __future__ import annotations

from omtx_core.boltz.estimate import estimate, run_seconds
from omtx_core.config import Settings
from omtx_core.tasks import validate_task_input
from tests.examples import LYSOZYME, VALID_INPUTS


def plan(task: str, data: dict):
    return validate_task_input(task, data, Settings()).plan


def test_bigger_inputs_and_more_samples_take_longer():
    assert run_seconds(900, samples=1, sampling_steps=200, recycling_steps=3) > run_seconds(
        300, samples=1, sampling_steps=200, recycling_steps=3
    )
    five = run_seconds(300, samples=5, sampling_steps=200, recycling_steps=3)
    assert five > run_seconds(300, samples=1, sampling_steps=200, recycling_steps=3)
    assert 5 < run_seconds(300, samples=1, sampling_steps=200, recycling_steps=3) < 20  # reported ~8–15 s


def test_a_screen_loads_the_model_twice_and_asks_for_one_msa():
    compounds = [{"smiles": "C" * (i + 1) + "O"} for i in range(20)]
    result = estimate(plan("drug_discovery", {"protein_sequence": LYSOZYME, "compounds": compounds}))
    assert result.calls == 2 and result.msa_s == 30 and result.total_minutes > 20 * 20 / 60
    cached = estimate(plan("drug_discovery", {"protein_sequence": LYSOZYME, "compounds": compounds}), cached_msas=1)
    assert cached.calls == 1 and cached.msa_s == 0


def test_single_sequence_mode_needs_no_msa():
    data = dict(VALID_INPUTS["protein_structure"], options={"use_msa_server": False})
    assert estimate(plan("protein_structure", data)).msa_s == 0
