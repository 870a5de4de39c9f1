"""Times the PAE heatmap (build + JSON) for the 435-token fixture and 2,500 tokens: `python -m bench.bench_pae`."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import numpy as np

from omtx_core.boltz.outputs import parse_boltz_output
from omtx_core.boltz.results import ChainInfo
from omtx_core.ui.charts import pae_matrix_figure, token_boundaries

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "boltz2"
FIXTURE = FIXTURES / "protein_ligand_affinity_b2ar_carazolol"
REPEATS = 5


def synthetic(n: int = 2_500) -> tuple[np.ndarray, list[ChainInfo]]:
    """A PAE-like matrix: small near the diagonal, growing with sequence distance, capped at 31 Å."""
    rng = np.random.default_rng(0)
    distance = np.abs(np.subtract.outer(np.arange(n), np.arange(n)))
    pae = np.minimum(31.0, 0.5 + distance / 40.0 + rng.random((n, n)) * 2.0).astype(np.float32)
    chains = [ChainInfo("A", "protein", 1_200), ChainInfo("B", "protein", 1_250), ChainInfo("L", "ligand", 50)]
    return pae, chains


def median_seconds(pae: np.ndarray, chains: list[ChainInfo]) -> tuple[float, float, int]:
    """Median seconds to build the figure and to serialise it (what Streamlit sends), and the JSON size."""
    build, serialise = [], []
    for _ in range(REPEATS):
        start = time.perf_counter()
        fig = pae_matrix_figure(pae, token_boundaries(chains))
        middle = time.perf_counter()
        text = fig.to_json()
        build.append(middle - start)
        serialise.append(time.perf_counter() - middle)
    return statistics.median(build), statistics.median(serialise), len(text)


def main() -> None:
    prediction = parse_boltz_output(FIXTURE)[0]
    cases = {"fixture 435x435": (prediction.best.pae, prediction.chains), "synthetic 2,500x2,500": synthetic()}
    results = {label: median_seconds(*case) for label, case in cases.items()}
    base = sum(results["fixture 435x435"][:2])
    for label, (build, serialise, size) in results.items():
        total = build + serialise
        print(f"{label:<22} build {build * 1000:7.1f} ms  to_json {serialise * 1000:7.1f} ms  "
              f"total {total * 1000:7.1f} ms  ({total / base:4.1f}x fixture)  JSON {size / 1e6:5.2f} MB")  # fmt: skip


if __name__ == "__main__":
    main()
