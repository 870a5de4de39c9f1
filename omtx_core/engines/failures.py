"""Why an engine run failed, as one of a few kinds (JobError.kind), read from Boltz's log, exit status or Modal."""

from __future__ import annotations

import re

from omtx_core.domain.job import FAILURE_KINDS, FailureKind

# In order: the first kind whose pattern matches wins, so that a specific cause beats a generic one
# ("Failed to process x. Error: MMseqs2 API is giving errors" is the MSA service, not the input).
_PATTERNS: tuple[tuple[FailureKind, re.Pattern[str]], ...] = (
    ("out_of_memory", re.compile(
        r"out of memory|OutOfMemoryError|CUBLAS_STATUS_ALLOC_FAILED|std::bad_alloc|\bMemoryError\b|\bOOM\b"
        r"|Killed process|oom[-_ ]kill", re.I)),
    ("refused_input", re.compile(r"Missing MSA's in input", re.I)),  # names the MSA server but is our input's fault
    ("msa_service", re.compile(
        r"MSA generation|MMseqs2 API|colabfold|MSA server|Too many failed attempts|Error while fetching MSA", re.I)),
    ("refused_input", re.compile(
        r"Failed to process|Invalid|is not a ligand|not supported|Unable to parse|No such option|Missing argument"
        r"|requires an argument|Usage: boltz", re.I)),
    ("timeout", re.compile(r"FunctionTimeoutError|timed out|time limit|deadline exceeded", re.I)),
    ("unavailable", re.compile(
        r"not deployed|refused the credentials|unreachable|command not found|No CUDA GPUs are available"
        r"|No such file or directory: '?boltz", re.I)),
    ("crashed", re.compile(
        r"Traceback \(most recent call last\)|Segmentation fault|core dumped|Aborted|exited with (status|code)"
        r"|\bkilled\b|lost track|was lost", re.I)),
)  # fmt: skip
_KILLED = frozenset({-9, 137})  # SIGKILL (as Popen reports it, as a shell does): the kernel's out-of-memory killer
_TAIL_LINES = 40  # a failed process says why at its end; earlier lines are warnings that do not matter

LABELS: dict[str, str] = {
    "out_of_memory": "Out of memory",
    "msa_service": "MSA service",
    "timeout": "Time limit",
    "crashed": "Engine crashed",
    "refused_input": "Input refused",
    "unavailable": "Engine unavailable",
    "other": "Other",
}
HINTS: dict[str, str] = {
    "out_of_memory": "Use fewer diffusion samples or shorter chains, split the job, or use a GPU with more memory.",
    "msa_service": "The MSA server failed or refused the request: re-run later, or switch the MSA server off.",
    "timeout": "Raise OMTX_RUN_TIMEOUT_S (or OMTX_MODAL_TIMEOUT_S) or split the job into smaller ones.",
    "crashed": "Boltz stopped with an error: the log names it. Re-run once; if it fails again, report it.",
    "refused_input": "Boltz could not use this input: correct the part the log names and submit again.",
    "unavailable": "No engine could run the job: check the engine's configuration (System page or README).",
    "other": "Open the log for details.",
}
assert set(LABELS) == set(HINTS) == set(FAILURE_KINDS)


def classify(text: str, *, exit_code: int | None = None) -> FailureKind:
    """The kind of a failure from the end of its log or message and, when known, the process's exit status."""
    if exit_code in _KILLED:
        return "out_of_memory"
    tail = "\n".join(_boltz_lines(text)[-_TAIL_LINES:])
    for kind, pattern in _PATTERNS:
        if pattern.search(tail):
            return kind
    return "crashed" if exit_code not in (None, 0) else "other"


def missing_output_kind(log: str, run_name: str) -> FailureKind:
    """The kind of a run that left no output although Boltz exited 0 (it skips inputs it cannot predict): read
    from the log lines naming the run first, then from the whole log (the same order as boltz.logs)."""
    lines = _boltz_lines(log)
    relevant = "\n".join(line for line in lines if run_name in line)
    for text in (relevant, "\n".join(lines)):
        for kind, pattern in _PATTERNS:
            if text and pattern.search(text):
                return kind
    return "other"


def _boltz_lines(log: str) -> list[str]:
    # Our own "[omtx]" notes quote the command (`--use_msa_server`) and earlier retries: never the cause.
    return [line for line in log.splitlines() if not line.startswith("[omtx]")]


def exception_kind(exc: BaseException) -> FailureKind:
    """The kind of an exception raised by Modal's client (matched by class name: `modal` is imported lazily)."""
    name = type(exc).__name__
    if name == "FunctionTimeoutError":
        return "timeout"
    if name in ("NotFoundError", "AuthError", "ConnectionError", "ClientClosed") or isinstance(exc, OSError):
        return "unavailable"
    if name in ("OutOfMemoryError", "MemoryError"):
        return "out_of_memory"
    return classify(str(exc)) if classify(str(exc)) != "other" else "crashed"
