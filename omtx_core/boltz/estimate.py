"""Rough GPU time of a plan, from its runs, tokens and samples (public Boltz-2 timings, BOLTZ.md §5).

Model loading costs ~35 s per `boltz predict` call and an MSA ~30 s per protein from the server; inference grows
with tokens (pair representation: quadratic) and with samples, steps and recycles. Calibrated on the reported
H100/A100 figures: ~8–15 s of inference for 50–500 token inputs, ~20 s per ligand with affinity.
"""

from __future__ import annotations

from dataclasses import dataclass

from omtx_core.boltz.plan import Plan

MODEL_LOAD_S = 35.0
MSA_SERVER_S = 30.0
AFFINITY_S = 12.0  # the affinity pass at 5 samples, 200 steps


@dataclass(frozen=True)
class Estimate:
    """Seconds of GPU time by where they go, and the number of `boltz predict` calls."""

    model_load_s: float
    msa_s: float
    inference_s: float
    calls: int

    @property
    def total_minutes(self) -> float:
        return (self.model_load_s + self.msa_s + self.inference_s) / 60


def run_seconds(tokens: int, *, samples: int, sampling_steps: int, recycling_steps: int) -> float:
    """Inference time of one run on a data-centre GPU (seconds)."""
    trunk = (recycling_steps + 1) / 4 * (2.0 + 0.012 * tokens + 0.000012 * tokens**2)
    diffusion = samples * sampling_steps / 200 * (1.5 + 0.006 * tokens)
    return trunk + diffusion


def estimate(plan: Plan, *, cached_msas: int = 0) -> Estimate:
    """GPU time of a plan; `cached_msas` proteins already have an MSA (no server request)."""
    options = plan.runs[0].options
    inference = 0.0
    for run in plan.runs:
        inference += run_seconds(
            run.tokens,
            samples=options.diffusion_samples,
            sampling_steps=options.sampling_steps,
            recycling_steps=options.recycling_steps,
        )
        if run.input.affinity_binder is not None:
            scale = options.diffusion_samples_affinity / 5 * options.sampling_steps_affinity / 200
            inference += AFFINITY_S * scale
    msas = max(0, len(plan.shared_proteins) - cached_msas) if options.use_msa_server else 0
    calls = 1 + (1 if msas and len(plan.runs) > msas else 0)  # fetch phase, then one call reusing the MSAs
    return Estimate(MODEL_LOAD_S * calls, MSA_SERVER_S * msas, inference, calls)
