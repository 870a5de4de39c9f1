"""Stand-in for the `boltz` executable (tests only): checks its flags like Boltz's CLI and writes the real fixture
output renamed per input, or fails the ways real Boltz fails. Behaviour is chosen by environment variables:

FAKE_BOLTZ_RECORD  a JSON-lines file; every call appends {"argv": ...} and every MSA server request {"msa": seq}
FAKE_BOLTZ_MODE    ok (default) | oom:<run>[,<run>] (exit 0, no files, "ran out of memory") | exit1 | hang
FAKE_BOLTZ_DELAY_S seconds to sleep per input (to watch progress)
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repo root, for tests.* helpers

import yaml  # noqa: E402

from tests.boltz_fixture_output import write_prediction  # noqa: E402

# Boltz 2.2 `boltz predict` options (BOLTZ.md §2): name -> takes a value
OPTIONS = {
    "--out_dir": True, "--cache": True, "--checkpoint": True, "--affinity_checkpoint": True, "--model": True,
    "--accelerator": True, "--devices": True, "--recycling_steps": True, "--sampling_steps": True,
    "--diffusion_samples": True, "--max_parallel_samples": True, "--step_scale": True, "--output_format": True,
    "--num_workers": True, "--preprocessing-threads": True, "--override": False, "--seed": True,
    "--use_msa_server": False, "--msa_server_url": True, "--msa_pairing_strategy": True, "--use_potentials": False,
    "--method": True, "--write_full_pae": False, "--write_full_pde": False, "--write_embeddings": False,
    "--affinity_mw_correction": False, "--sampling_steps_affinity": True, "--diffusion_samples_affinity": True,
    "--max_msa_seqs": True, "--subsample_msa": False, "--num_subsampled_msa": True, "--no_kernels": False,
}  # fmt: skip


def record(entry: dict) -> None:
    path = os.environ.get("FAKE_BOLTZ_RECORD")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(entry) + "\n")


def parse_args(argv: list[str]) -> tuple[Path, dict[str, str | bool]]:
    if not argv or argv[0] != "predict":
        sys.exit("Usage: boltz predict INPUT [OPTIONS]")
    positional, options, rest = [], {}, argv[1:]
    while rest:
        token = rest.pop(0)
        if not token.startswith("--"):
            positional.append(token)
        elif token not in OPTIONS:
            print(f"Error: No such option: {token}", file=sys.stderr)
            sys.exit(2)
        elif OPTIONS[token]:
            if not rest:
                print(f"Error: Option '{token}' requires an argument.", file=sys.stderr)
                sys.exit(2)
            options[token] = rest.pop(0)
        else:
            options[token] = True
    if len(positional) != 1:
        print("Error: Missing argument 'DATA'.", file=sys.stderr)
        sys.exit(2)
    return Path(positional[0]), options


def inputs_of(data: Path) -> list[Path]:
    if data.is_file():
        return [data]
    files = sorted(data.iterdir())
    for path in files:
        if path.is_dir() or path.suffix not in (".yaml", ".yml", ".fa", ".fasta", ".fas"):
            raise RuntimeError(f"Unable to parse filetype {path.suffix}, please provide a .fasta or .yaml file.")
    return files


def msa_problem(document: dict, stem: str, out: Path, use_server: bool) -> str | None:
    """Give every protein its MSA like Boltz: a file it must find, `empty`, or one server request."""
    for index, entry in enumerate(document["sequences"]):
        kind, body = next(iter(entry.items()))
        if kind != "protein" or body.get("msa") == "empty":
            continue
        if body.get("msa"):
            if not Path(body["msa"]).is_file():
                return f"MSA file {body['msa']} not found"
            continue
        if not use_server:
            return "Missing MSA's in input and --use_msa_server flag not set."
        record({"msa": body["sequence"]})
        (out / "msa").mkdir(parents=True, exist_ok=True)
        (out / "msa" / f"{stem}_{index}.csv").write_text(f"key,sequence\n-1,{body['sequence']}\n")
    return None


def predict(path: Path, out: Path, options: dict, failed_by_oom: set[str]) -> bool | None:
    """Like Boltz: None for an input refused while processing, else whether it has an affinity property.

    Boltz processes every input first (printing and skipping those it refuses), then predicts the rest; its
    "Number of failed examples" counts failed predictions (out of memory), never refused inputs.
    """
    stem = path.stem
    try:
        document = yaml.safe_load(path.read_text())
        problem = msa_problem(document, stem, out, bool(options.get("--use_msa_server")))
    except Exception as exc:  # Boltz prints and skips any input it cannot process
        problem = str(exc)
    if problem:
        print(f"Failed to process {path}. Skipping. Error: {problem}.")
        return None
    if stem in failed_by_oom:
        print(f"| WARNING: ran out of memory, skipping batch ({stem})")
        return False
    prediction = write_prediction(out, stem)
    if not any("affinity" in prop for prop in document.get("properties", [])):
        for name in (f"affinity_{stem}.json", f"pre_affinity_{stem}.npz"):
            (prediction / name).unlink(missing_ok=True)
        return False
    return True


def main() -> int:
    record({"argv": sys.argv[1:]})
    data, options = parse_args(sys.argv[1:])
    mode = os.environ.get("FAKE_BOLTZ_MODE", "ok")
    files = inputs_of(data)
    out = Path(str(options.get("--out_dir", "."))) / f"boltz_results_{data.stem}"
    print(f"Checking input data.\nProcessing {len(files)} inputs with 1 threads.", flush=True)
    if mode == "exit1":
        print(
            "Traceback (most recent call last):\nRuntimeError: CUDA error: no kernel image is available",
            file=sys.stderr,
        )
        return 1
    if mode == "hang":
        time.sleep(3600)
    failed_by_oom = set(mode.removeprefix("oom:").split(",")) if mode.startswith("oom:") else set()
    outcomes = []
    for path in files:
        time.sleep(float(os.environ.get("FAKE_BOLTZ_DELAY_S", "0")))
        outcomes.append(predict(path, out, options, failed_by_oom))
        print(f"Predicting DataLoader 0: {path.stem} done", flush=True)
    predicted = [o for o in outcomes if o is not None]
    if predicted:  # real Boltz loads no model, and prints no count, when it refused every input
        print(f"Running structure prediction for {len(predicted)} input{'s' * (len(predicted) > 1)}.")
        oom = sum(p.stem in failed_by_oom for p, o in zip(files, outcomes, strict=True) if o is not None)
        print(f"Number of failed examples: {oom}", flush=True)
    if any(predicted):
        print(f"\nPredicting property: affinity\n\nRunning affinity prediction for {sum(predicted)} inputs.")
        print("Number of failed examples: 0", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
