"""The deployed Modal side of the Modal engine: one GPU function that runs `boltz predict` on a batch of inputs.

Deploy it once per Modal workspace, from the repository root (with `MODAL_TOKEN_ID`/`MODAL_TOKEN_SECRET` set, or
after `modal token new`):

    modal deploy omtx_core/engines/modal_app.py                 # builds the image, creates the app "omtx-boltz"
    modal run omtx_core/engines/modal_app.py::download_models   # ONCE: Boltz-2 weights + CCD data onto the Volume

The weights (about 6 GB) live on the Volume `omtx-boltz-models`, mounted at `/models` and passed to Boltz as
`--cache /models`. `predict_batch` never downloads them: without them it stops with an error naming the command
above, because a per-call download would cost minutes of GPU time on every cold start.

`OMTX_MODAL_APP_NAME`, `OMTX_MODAL_GPU` and `OMTX_MODAL_TIMEOUT_S` are read when this file is deployed, through the
app's own `Settings` (so the app and its workers find the same app name). Deploy by file path as above: only this
file and `omtx_core/boltz/staging.py` travel to the container, so the remote code needs only the stdlib and Boltz.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path

import modal


def _deploy_settings() -> tuple[str, str, int]:
    """(app name, GPU, call time limit) from OMTX-Hub's Settings on the machine that deploys. The container holds
    only this file: it reads the values the image was built with (`image.env` below)."""
    if modal.is_local():
        from omtx_core.config import load_settings

        settings = load_settings()
        return settings.modal_app_name, settings.modal_gpu, settings.modal_timeout_s
    env = os.environ
    return env["OMTX_MODAL_APP_NAME"], env["OMTX_MODAL_GPU"], int(env["OMTX_MODAL_TIMEOUT_S"])


APP_NAME, GPU, TIMEOUT_S = _deploy_settings()
MODELS_DIR = "/models"
VOLUME_NAME = "omtx-boltz-models"
WEIGHT_FILES = ("boltz2_conf.ckpt", "boltz2_aff.ckpt", "mols.tar", "mols")  # what download_boltz2 leaves behind
LOG_TAIL_CHARS = 200_000  # Boltz logs progress bars; the tail holds the failures worth reading
BOLTZ_GRACE_S = 60  # stop Boltz this long before Modal's limit so its log still comes back
DOWNLOAD_COMMAND = "modal run omtx_core/engines/modal_app.py::download_models"

app = modal.App(APP_NAME)

# The staging helpers ship as one stdlib-only file: importing the omtx_core package would need pydantic and more.
image = (
    modal.Image.debian_slim(python_version="3.12")
    .uv_pip_install("boltz[cuda]==2.2.1")
    .env({"OMTX_MODAL_APP_NAME": APP_NAME, "OMTX_MODAL_GPU": GPU, "OMTX_MODAL_TIMEOUT_S": str(TIMEOUT_S)})
    .add_local_file(Path(__file__).parents[1] / "boltz" / "staging.py", "/root/omtx_staging.py")
)
volume = modal.Volume.from_name(VOLUME_NAME, create_if_missing=True)


@app.function(image=image, volumes={MODELS_DIR: volume}, timeout=3600)
def download_models() -> list[str]:
    """Fetch Boltz-2's weights and CCD molecules onto the Volume with Boltz's own downloader (run once)."""
    from boltz.main import download_boltz2  # only the container has Boltz (and torch) installed

    download_boltz2(Path(MODELS_DIR))
    volume.commit()  # make the files visible to predict_batch containers started from now on
    return sorted(path.name for path in Path(MODELS_DIR).iterdir())


@app.function(image=image, gpu=GPU, timeout=TIMEOUT_S, volumes={MODELS_DIR: volume})
def predict_batch(runs: list[dict], cli_args: list[str]) -> dict:
    """Run one `boltz predict` over all `runs` ({"name", "yaml_text", "msas": [[file, bytes]]}).

    Returns {"exit_code", "log", "results"}; a Boltz failure is reported there, never raised. Missing weights raise.
    """
    staging = _staging()
    cache = os.environ.get("OMTX_BOLTZ_CACHE", MODELS_DIR)
    _require_weights(Path(cache))
    command = shlex.split(os.environ.get("OMTX_BOLTZ_COMMAND", "boltz"))
    with tempfile.TemporaryDirectory(prefix="omtx-boltz-") as tmp:
        root = Path(tmp)
        inputs = staging.stage_inputs(((r["name"], r["yaml_text"], r.get("msas") or ()) for r in runs), root)
        out_dir = root / "out"
        argv = staging.boltz_command(command, inputs, out_dir, cache, list(cli_args))
        exit_code, log = _run(argv, root / "boltz.log", max(1, TIMEOUT_S - BOLTZ_GRACE_S))
        results = staging.pack_results(out_dir)  # an empty archive when Boltz wrote nothing
    return {"exit_code": exit_code, "log": log[-LOG_TAIL_CHARS:], "results": results}


def _staging():
    """The staging helpers: the shipped single file in the container, the package module everywhere else."""
    try:
        import omtx_staging as staging  # type: ignore[import-not-found]
    except ImportError:
        from omtx_core.boltz import staging
    return staging


def _require_weights(cache: Path) -> None:
    missing = [name for name in WEIGHT_FILES if not (cache / name).exists()]
    if missing:
        raise RuntimeError(
            f"The Boltz-2 weights are not on the Modal volume {VOLUME_NAME!r} (missing in {cache}: "
            f"{', '.join(missing)}). Download them once with `{DOWNLOAD_COMMAND}`."
        )


def _run(argv: list[str], log_path: Path, timeout_s: float) -> tuple[int, str]:
    """Run Boltz with stdout+stderr in a file (a pipe could block on Boltz's worker processes); return code, log."""
    with log_path.open("w", encoding="utf-8", errors="replace") as log_file:
        try:
            code = subprocess.run(argv, stdout=log_file, stderr=subprocess.STDOUT, timeout=timeout_s).returncode
            note = ""
        except subprocess.TimeoutExpired:
            code, note = 124, f"\n[omtx] Boltz was stopped after {timeout_s:.0f} s, near the Modal call's time limit.\n"
        except OSError as exc:  # the command itself is missing or not executable
            code, note = 127, f"[omtx] could not start {argv[0]!r}: {exc}\n"
    return code, log_path.read_text(encoding="utf-8", errors="replace") + note
