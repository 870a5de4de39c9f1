"""Times the binding-site analysis of the real β2AR–carazolol prediction: `python -m bench.bench_analysis`."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from omtx_core.analysis.contacts import check_pocket_constraint, ligand_contacts, pocket_of_ligand
from omtx_core.analysis.pockets import detect_pockets

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "boltz2"
PREDICTION = "protein_ligand_affinity_b2ar_carazolol/boltz_results_b2ar_carazolol_affinity/predictions"
POCKET_RESIDUES = [("A", 113), ("A", 203), ("A", 207), ("A", 290), ("A", 312)]
BUDGET_S = 2.0
REPEATS = 5


def timed(step: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = step()
    return time.perf_counter() - start, result


def analyse(model: Path) -> dict[str, float]:
    """One full analysis, as a results page runs it from the structure file; seconds per step."""
    seconds: dict[str, float] = {}
    seconds["pockets"], pockets = timed(lambda: detect_pockets(model))
    seconds["contacts"], contacts = timed(lambda: ligand_contacts(model, "L"))
    seconds["pocket of ligand"], _ = timed(lambda: pocket_of_ligand(contacts, pockets))
    seconds["constraint check"], _ = timed(lambda: check_pocket_constraint(model, "L", POCKET_RESIDUES, 6.0))
    return seconds


def main() -> None:
    model = next((FIXTURES / PREDICTION).glob("*/*_model_0.cif"))
    cold = analyse(model)  # includes importing pyKVFinder and reading its radii table
    runs = [analyse(model) for _ in range(REPEATS)]
    print(f"β2AR (413 residues) + carazolol (22 heavy atoms), {model.name}; {REPEATS} runs after one cold run")
    print(f"{'step':<18} {'cold':>8} {'median':>8} {'min':>8}")
    for step in cold:
        times = [run[step] for run in runs]
        print(f"{step:<18} {cold[step]:7.3f}s {statistics.median(times):7.3f}s {min(times):7.3f}s")
    totals = [sum(run.values()) for run in runs]
    median_total = statistics.median(totals)
    print(f"{'total':<18} {sum(cold.values()):7.3f}s {median_total:7.3f}s {min(totals):7.3f}s")
    verdict = "within" if median_total < BUDGET_S else "OVER"
    print(f"median total {median_total:.2f} s is {verdict} the {BUDGET_S:.0f} s budget")
    if median_total >= BUDGET_S:
        sys.exit(1)


if __name__ == "__main__":
    main()
