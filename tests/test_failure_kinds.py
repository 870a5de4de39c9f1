"""Engine failures sorted into kinds (JobError.kind) from real-looking Boltz logs, exit statuses and Modal errors."""

from __future__ import annotations

import time

import pytest

from omtx_core.domain.job import FAILURE_KINDS, JobError
from omtx_core.engines.base import EngineBatch, EngineRun, EngineState
from omtx_core.engines.failures import HINTS, LABELS, classify, exception_kind, missing_output_kind
from omtx_core.engines.local import LocalEngine

CUDA_OOM = """Predicting DataLoader 0:   0%|          | 0/1 [00:00<?, ?it/s]
Traceback (most recent call last):
  File "/opt/boltz/lib/python3.11/site-packages/boltz/model/modules/trunkv2.py", line 402, in forward
    z = z + self.pairformer(s, z, mask=mask)
torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 8.79 GiB. GPU 0 has a total capacity of 79.15 GiB of \
which 3.12 GiB is free. Including non-PyTorch memory, this process has 76.02 GiB memory in use."""
BOLTZ_OOM = """Processing 3 inputs.
| WARNING: ran out of memory, skipping batch
Predicting DataLoader 0: 100%|##########| 3/3 [01:12<00:00, 24.1s/it]
Number of failed examples: 1"""
COLABFOLD = """Checking input data.
Generating MSA for b2ar_carazolol.yaml with 1 protein entities.
COMPLETE: 100%|##########| 150/150 [elapsed: 00:02 remaining: 00:00]
Traceback (most recent call last):
  File "/opt/boltz/lib/python3.11/site-packages/boltz/data/msa/mmseqs2.py", line 86, in submit
    raise Exception("MMseqs2 API is giving errors. Please confirm your input is a valid protein sequence.")
Exception: MMseqs2 API is giving errors. Please confirm your input is a valid protein sequence."""
MSA_CONNECTION = """requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.colabfold.com', port=443): Max \
retries exceeded with url: /ticket/msa (Caused by NewConnectionError('Failed to establish a new connection'))"""
MSA_FLAG = "Failed to process /w/run.yaml. Skipping. Error: Missing MSA's in input and --use_msa_server flag not set."
BAD_INPUT = "Failed to process /w/in/run.yaml. Skipping. Error: Invalid sequence: X12 is not a residue."
SEGFAULT = "Predicting DataLoader 0:  10%|#         | 1/10\nSegmentation fault (core dumped)"
CUDA_KERNEL = "Traceback (most recent call last):\nRuntimeError: CUDA error: no kernel image is available"


@pytest.mark.parametrize(
    ("log", "exit_code", "kind"),
    [
        (CUDA_OOM, 1, "out_of_memory"),
        (BOLTZ_OOM, 0, "out_of_memory"),
        ("Killed", 137, "out_of_memory"),  # a shell's report of the kernel's out-of-memory killer
        ("Predicting DataLoader 0:  40%", -9, "out_of_memory"),  # as Popen reports SIGKILL
        (COLABFOLD, 1, "msa_service"),
        (MSA_CONNECTION, 1, "msa_service"),
        (MSA_FLAG, 0, "refused_input"),
        (BAD_INPUT, 0, "refused_input"),
        ("Error: No such option: --bogus", 2, "refused_input"),
        ("modal.exception.FunctionTimeoutError: Function timed out after 1800s", None, "timeout"),
        (SEGFAULT, -11, "crashed"),
        (CUDA_KERNEL, 1, "crashed"),
        ("just some words", 3, "crashed"),
        ("just some words", None, "other"),
    ],
)
def test_a_log_tail_is_classified(log, exit_code, kind):
    assert classify(log, exit_code=exit_code) == kind


def test_our_own_notes_in_the_log_are_not_read_as_the_cause():
    command = "[omtx] $ env boltz predict /w/in --use_msa_server --out_dir /w/out"
    assert classify(f"{command}\n{CUDA_KERNEL}", exit_code=1) == "crashed"
    assert missing_output_kind(f"{command}\nNumber of failed examples: 1", "run") == "other"


def test_only_the_end_of_a_long_log_decides():
    noisy = "UserWarning: this feature is not supported\n" + "Predicting ...\n" * 100 + SEGFAULT
    assert classify(noisy, exit_code=-11) == "crashed"


def test_a_run_without_output_is_classified_from_the_lines_naming_it():
    log = f"{BAD_INPUT.replace('run.yaml', 'alpha.yaml')}\n| WARNING: ran out of memory, skipping batch (beta)\n"
    assert missing_output_kind(log, "alpha") == "refused_input"
    assert missing_output_kind(log, "beta") == "out_of_memory"
    assert missing_output_kind("Number of failed examples: 1", "gamma") == "other"


def test_modal_exceptions_are_classified_by_their_class():
    def named(name: str, base: type[Exception] = Exception) -> Exception:
        return type(name, (base,), {})("text")

    assert exception_kind(named("FunctionTimeoutError")) == "timeout"
    assert exception_kind(named("NotFoundError")) == "unavailable"
    assert exception_kind(named("AuthError")) == "unavailable"
    assert exception_kind(ConnectionRefusedError()) == "unavailable"
    assert exception_kind(RuntimeError("CUDA out of memory")) == "out_of_memory"
    assert exception_kind(named("RemoteError")) == "crashed"


def test_every_kind_has_words_and_old_rows_still_load():
    assert set(LABELS) == set(HINTS) == set(FAILURE_KINDS)
    legacy = {
        "input": "refused_input",
        "engine": "crashed",
        "missing_output": "other",
        "worker_lost": "crashed",
        "internal": "other",
        "timeout": "timeout",
        "unavailable": "unavailable",
        "from_the_future": "other",
    }
    for stored, kind in legacy.items():
        assert JobError.model_validate({"kind": stored, "message": "m"}).kind == kind
    assert JobError(message="m").kind == "other"  # a row stored without a kind


def test_a_boltz_killed_by_the_system_is_out_of_memory(tmp_path):
    engine = LocalEngine("bash -c 'kill -9 $$' boltz", tmp_path / "engine", accelerator="gpu")
    calls = engine.start(EngineBatch("job1", (EngineRun("run", "version: 1\n", ()),), timeout_s=60))
    deadline = time.monotonic() + 20
    while (status := engine.poll(calls)).state == EngineState.RUNNING and time.monotonic() < deadline:
        time.sleep(0.05)
    assert status.state == EngineState.FAILED and status.kind == "out_of_memory", status
    engine.cancel(calls)
