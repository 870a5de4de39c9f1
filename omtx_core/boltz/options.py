"""Prediction options a user may set, and how they map to `boltz predict` flags (BOLTZ.md §2)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class PredictionOptions(BaseModel):
    """Boltz-2 sampling options shared by every task; defaults are Boltz's own."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    use_msa_server: bool = Field(
        True,
        description="Build an MSA for each protein on the MSA server (sequences leave this machine). "
        "Off runs single-sequence mode, which is markedly less accurate.",
    )
    recycling_steps: int = Field(3, ge=1, le=20, description="Trunk recycling iterations (AF3 uses 10).")
    sampling_steps: int = Field(200, ge=10, le=1000, description="Diffusion steps per structure sample.")
    diffusion_samples: int = Field(1, ge=1, le=25, description="Structure samples (models) per run.")
    use_potentials: bool = Field(False, description="Steer sampling with physical potentials (fewer clashes).")
    seed: int | None = Field(None, ge=0, le=2**32 - 1, description="Random seed for a reproducible run.")
    step_scale: float | None = Field(
        None, ge=0.5, le=3.0, description="Diffusion step scale; lower gives more diverse samples (Boltz: 1.5)."
    )
    affinity_mw_correction: bool = Field(False, description="Apply Boltz's molecular-weight affinity correction.")
    sampling_steps_affinity: int = Field(200, ge=10, le=1000, description="Diffusion steps of the affinity pass.")
    diffusion_samples_affinity: int = Field(5, ge=1, le=25, description="Samples of the affinity pass.")


def cli_args(options: PredictionOptions, *, affinity: bool, msa_server: bool | None = None) -> list[str]:
    """The `boltz predict` flags for these options; affinity flags only when the run scores a ligand.

    `msa_server` (default: the option) is False when every protein already has an MSA file.
    """
    args = [
        "--model",
        "boltz2",
        "--output_format",
        "mmcif",
        "--recycling_steps",
        str(options.recycling_steps),
        "--sampling_steps",
        str(options.sampling_steps),
        "--diffusion_samples",
        str(options.diffusion_samples),
    ]
    if options.use_msa_server if msa_server is None else msa_server:
        args.append("--use_msa_server")
    if options.use_potentials:
        args.append("--use_potentials")
    if options.seed is not None:
        args += ["--seed", str(options.seed)]
    if options.step_scale is not None:
        args += ["--step_scale", repr(options.step_scale)]
    if affinity:
        args += [
            "--sampling_steps_affinity",
            str(options.sampling_steps_affinity),
            "--diffusion_samples_affinity",
            str(options.diffusion_samples_affinity),
        ]
        if options.affinity_mw_correction:
            args.append("--affinity_mw_correction")
    return args
