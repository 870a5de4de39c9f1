"""The `local` engine: `boltz predict` over a folder of YAMLs as a subprocess on this machine (GPU if present)."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import subprocess
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from omtx_core.boltz.staging import boltz_command, stage_inputs
from omtx_core.engines.base import EngineBatch, EngineRun, EngineState, EngineStatus, time_limit_s
from omtx_core.engines.failures import classify

CPU_WARNING = (
    "No GPU found: Boltz runs on the CPU, which is very slow (about an hour for ~900 tokens). "
    "Install Boltz on a machine with an NVIDIA GPU, or use the Modal engine."
)
# What Boltz may see of our environment, and nothing else (never the store keys, Redis URL or cloud credentials):
# where programs and libraries are, locale and temporary files, the GPU, network proxies and certificates, and the
# variables Boltz itself reads (BOLTZ_CACHE, BOLTZ_MSA_USERNAME/PASSWORD, MSA_API_KEY_VALUE; BOLTZ.md §2). Anything
# else Boltz should get goes into the command: OMTX_BOLTZ_COMMAND="env NAME=value boltz".
_ENV_NAMES = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TMP", "TEMP", "TERM",
     "LD_LIBRARY_PATH", "VIRTUAL_ENV", "CONDA_PREFIX", "MSA_API_KEY_VALUE", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
     "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR", "REQUESTS_CA_BUNDLE",
     "CURL_CA_BUNDLE", "XDG_CACHE_HOME"}
)  # fmt: skip
_ENV_PREFIXES = ("LC_", "BOLTZ_", "CUDA_", "NVIDIA_", "CUEQ_", "PYTORCH_", "TORCH_", "TRITON_", "NCCL_", "PYTHON")
_KILL_GRACE_S = 5.0


def boltz_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The variables of `environ` that Boltz needs."""
    return {name: value for name, value in environ.items() if _needed(name)}


def _needed(name: str) -> bool:
    if name.endswith("_proxy"):  # programs read http_proxy & co. in lower case too
        name = name.upper()
    return name in _ENV_NAMES or name.startswith(_ENV_PREFIXES)


def has_gpu() -> bool:
    """True when `nvidia-smi -L` lists a GPU."""
    if shutil.which("nvidia-smi") is None:
        return False
    try:
        result = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return result.returncode == 0 and "GPU" in result.stdout


@dataclass
class _Batch:
    """One job's runs on disk: a `boltz predict` call per group of runs that share flags, one after another."""

    root: Path
    groups: list[list[EngineRun]]
    next_group: int = 0
    process: subprocess.Popen | None = None
    failure: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def log_path(self) -> Path:
        return self.root / "boltz.log"

    @property
    def out_dir(self) -> Path:
        return self.root / "out"


class LocalEngine:
    """Runs Boltz as a child process group; one model load per group of runs, fresh folders per attempt."""

    name = "local"

    def __init__(self, command: str, work_dir: Path, *, cache: str | None = None, accelerator: str = "auto"):
        self.command = shlex.split(command)
        self.work_dir = Path(work_dir)
        self.cache = cache
        self.on_cpu = accelerator == "cpu" or (accelerator == "auto" and not has_gpu())
        self._batches: dict[str, _Batch] = {}

    def unavailable_reason(self) -> str | None:
        executable = self.command[0] if self.command else ""
        if executable and (shutil.which(executable) or Path(executable).is_file()):
            return None
        return (
            f"The local engine cannot find the boltz command ({executable or 'empty'}). Install Boltz with "
            "`OMTX_INSTALL_BOLTZ=1 bash scripts/run.sh` on a GPU machine, or set OMTX_BOLTZ_COMMAND."
        )

    def time_limit_s(self, runs: tuple[EngineRun, ...], per_run_s: float) -> float:
        return time_limit_s(runs, per_run_s, on_cpu=self.on_cpu)

    def start(self, batch: EngineBatch) -> list[str]:
        root = self.work_dir / batch.job_id / uuid.uuid4().hex[:12]  # fresh: Boltz skips inputs it processed before
        groups: dict[tuple[str, ...], list[EngineRun]] = {}
        for run in batch.runs:
            groups.setdefault(run.cli_args, []).append(run)
        state = _Batch(root, list(groups.values()))
        root.mkdir(parents=True, exist_ok=True)
        if self.on_cpu:
            state.log_path.write_text(f"[omtx] {CPU_WARNING}\n")
        call_id = f"local:{root}"
        self._batches[call_id] = state
        self._launch_next(state)
        return [call_id]

    def _launch_next(self, state: _Batch) -> None:
        group = state.groups[state.next_group]
        inputs = stage_inputs(((r.name, r.yaml_text, r.msas) for r in group), state.root / f"group{state.next_group}")
        extra = list(group[0].cli_args) + (["--accelerator", "cpu"] if self.on_cpu else [])
        command = boltz_command(self.command, inputs, state.out_dir, self.cache, extra)
        env = boltz_environment(os.environ)
        with state.log_path.open("ab") as log:
            log.write(f"[omtx] $ {shlex.join(command)}\n".encode())
            log.flush()
            state.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=state.root, env=env,
                start_new_session=True,  # its own process group, so cancel stops Boltz and its dataloader workers
            )  # fmt: skip
        (state.root / "pgid").write_text(str(state.process.pid))
        state.next_group += 1

    def poll(self, call_ids: list[str]) -> EngineStatus:
        state = self._batches.get(call_ids[0]) if call_ids else None
        if state is None:
            return EngineStatus(EngineState.FAILED, message="The local Boltz process was lost.", transient=True)
        with state.lock:
            finished = tuple(_finished_runs(state.out_dir))
            code = state.process.poll() if state.process else None
            if code is None:
                return EngineStatus(EngineState.RUNNING, finished_runs=finished)
            if code != 0:
                reason = _last_line(state.log_path) or "no output"
                kind = classify(_tail(state.log_path), exit_code=code)
                message = f"Boltz exited with status {code}: {reason}"
                return EngineStatus(EngineState.FAILED, finished, message, kind=kind)
            if state.next_group < len(state.groups):
                self._launch_next(state)
                return EngineStatus(EngineState.RUNNING, finished_runs=finished)
            return EngineStatus(EngineState.FINISHED, finished_runs=finished)

    def read_log(self, call_ids: list[str]) -> str:
        root = _root(call_ids)
        path = root / "boltz.log" if root else None
        return path.read_text(errors="replace") if path and path.is_file() else ""

    def fetch_outputs(self, call_ids: list[str], dest: Path, runs: list[str] | None = None) -> list[Path]:
        root = _root(call_ids)
        found = sorted((root / "out").glob("boltz_results_*")) if root else []
        copies = []
        for index, results in enumerate(found):
            target = dest / f"{index}" / results.name
            if runs is None:
                shutil.copytree(results, target)
            else:
                _copy_runs(results, target, runs)
            copies.append(target)
        return copies

    def cancel(self, call_ids: list[str]) -> None:
        """Stop the batch's process group, then remove its work folder (the worker has copied what it keeps)."""
        root = _root(call_ids)
        state = self._batches.pop(call_ids[0], None) if call_ids else None
        if state is not None:
            state.next_group = len(state.groups)
        if root is None:
            return
        _kill_group(root, state.process if state else None)  # reads the pid file, so only then remove it
        if not self._owns(root):  # a damaged or forged call id: remove no folder it names
            return
        shutil.rmtree(root, ignore_errors=True)
        with contextlib.suppress(OSError):  # the job's folder, once its last attempt is gone
            root.parent.rmdir()

    def _owns(self, root: Path) -> bool:
        """True for `<work dir>/<job id>/<attempt>` exactly, as `start` makes them."""
        return root.parent.parent.resolve() == self.work_dir.resolve() and ".." not in root.parts


def _copy_runs(results: Path, target: Path, runs: list[str]) -> None:
    """Copy only these runs' prediction folders and records (a running batch grows; never copy it all again)."""
    for run in runs:
        prediction = results / "predictions" / run
        if prediction.is_dir():
            shutil.copytree(prediction, target / "predictions" / run)
        record = results / "processed" / "records" / f"{run}.json"
        if record.is_file():
            (target / "processed" / "records").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(record, target / "processed" / "records" / record.name)


def _root(call_ids: list[str]) -> Path | None:
    if not call_ids or not call_ids[0].startswith("local:"):
        return None
    return Path(call_ids[0].removeprefix("local:"))


def _finished_runs(out_dir: Path) -> list[str]:
    return sorted(p.parent.name for p in out_dir.glob("boltz_results_*/predictions/*/confidence_*_model_0.json"))


def _last_line(path: Path) -> str:
    lines = (
        [line.strip() for line in path.read_text(errors="replace").splitlines() if line.strip()]
        if path.exists()
        else []
    )
    return lines[-1][:300] if lines else ""


def _tail(path: Path, size: int = 20000) -> str:
    """The end of the log, where a failed process says why (a long run's log is large)."""
    if not path.exists():
        return ""
    with path.open("rb") as handle:
        handle.seek(max(0, path.stat().st_size - size))
        return handle.read().decode(errors="replace")


def _kill_group(root: Path, process: subprocess.Popen | None) -> None:
    """Stop the process group started for `root` (SIGTERM, then SIGKILL), checking it is still ours: after a
    worker restart only the pid file is left, and the pid may have been reused."""
    pid_file = root / "pgid"
    if not pid_file.is_file():
        return
    pgid = int(pid_file.read_text())
    if process is None and not _is_ours(pgid, root):
        return
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        if _ended(pgid, process, _KILL_GRACE_S if sig == signal.SIGTERM else 1.0):
            return


def _ended(pid: int, process: subprocess.Popen | None, wait_s: float) -> bool:
    if process is not None:  # our child: wait() also reaps it
        try:
            process.wait(timeout=wait_s)
        except subprocess.TimeoutExpired:
            return False
        return True
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.1)
    return False


def _is_ours(pid: int, root: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return str(root).encode() in cmdline
