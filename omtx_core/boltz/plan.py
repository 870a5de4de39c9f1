"""A plan: the Boltz runs one job needs, with the CLI options and which runs share a protein MSA."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from omtx_core.boltz.inputs import BoltzInput
from omtx_core.boltz.options import PredictionOptions, cli_args

_UNSAFE = re.compile(r"[^A-Za-z0-9-]+")  # `_` too, so runs of separators collapse to one
MAX_RUN_NAME = 64


def safe_name(text: str, fallback: str = "run") -> str:
    """A file-system-safe name: letters, digits, `_` and `-` only, at most 64 characters."""
    name = _UNSAFE.sub("_", text).strip("_-")[:MAX_RUN_NAME].strip("_-")
    return name or fallback


@dataclass(frozen=True)
class BoltzRun:
    """One Boltz input file: its name (file stem, so Boltz's output name), input and options.

    `members` names the task items the run serves (e.g. the variants that share its sequence).
    """

    name: str
    input: BoltzInput
    options: PredictionOptions
    members: tuple[str, ...] = ()

    @property
    def tokens(self) -> int:
        return self.input.tokens

    @property
    def yaml_text(self) -> str:
        return self.input.to_yaml()

    def cli_args(self) -> list[str]:
        return cli_args(
            self.options, affinity=self.input.affinity_binder is not None, msa_server=self.input.needs_msa_server
        )


@dataclass(frozen=True)
class Plan:
    """Every Boltz run of one job; run names are unique, so they can share one input folder."""

    task_type: str
    runs: tuple[BoltzRun, ...]
    shared_proteins: dict[str, tuple[str, ...]] = field(init=False)

    def __post_init__(self) -> None:
        names = [run.name for run in self.runs]
        if not names or len(set(names)) != len(names) or any(safe_name(n) != n for n in names):
            raise ValueError(f"run names must be present, unique and file-system safe: {names}")
        object.__setattr__(self, "shared_proteins", _runs_by_protein(self.runs))

    @property
    def max_tokens(self) -> int:
        return max(run.tokens for run in self.runs)

    def write(self, folder) -> list[str]:
        """Write one `<run>.yaml` per run into `folder` (created if needed); return the file names."""
        from pathlib import Path

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        for run in self.runs:
            (out / f"{run.name}.yaml").write_text(run.yaml_text, encoding="utf-8")
        return [f"{run.name}.yaml" for run in self.runs]


def _runs_by_protein(runs: tuple[BoltzRun, ...]) -> dict[str, tuple[str, ...]]:
    """Protein sequence -> names of the runs that contain it, so its MSA is computed once."""
    shared: dict[str, list[str]] = {}
    for run in runs:
        for sequence in dict.fromkeys(run.input.protein_sequences):
            shared.setdefault(sequence, []).append(run.name)
    return {sequence: tuple(names) for sequence, names in shared.items()}


def unique_run_names(labels: list[str], prefix: str = "") -> list[str]:
    """Safe, unique run names for labels, in order; clashes after sanitising get a numeric suffix."""
    names: list[str] = []
    taken: set[str] = set()
    for label in labels:
        base = safe_name(prefix + label)
        name, n = base, 2
        while name in taken:
            suffix = f"_{n}"
            # Cut before the suffix and drop a trailing separator, so the name stays safe (no `__2`).
            name, n = base[: MAX_RUN_NAME - len(suffix)].rstrip("_-") + suffix, n + 1
        taken.add(name)
        names.append(name)
    return names
