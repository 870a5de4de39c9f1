"""What Boltz's log says about a run that produced no output, in the user's words (BOLTZ.md §2, §5)."""

from __future__ import annotations

import re

_FAILED_COUNT = re.compile(r"Number of failed examples:\s*(\d+)")

# (pattern in Boltz's log, what it means for the user, what to do)
_CAUSES: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"ran out of memory|CUDA out of memory|OutOfMemoryError", re.I),
     "The GPU ran out of memory.",
     "Use fewer diffusion samples, a shorter sequence, or a GPU with more memory."),
    (re.compile(r"MSA generation|MMseqs2 API|Too many failed attempts|msa server", re.I),
     "The MSA server failed or refused the request.",
     "Try again later, or switch the MSA server off (single-sequence mode, less accurate)."),
    (re.compile(r"Missing MSA's in input", re.I),
     "The input has no MSA and the MSA server was not enabled.",
     "Enable the MSA server for this job."),
    (re.compile(r"Failed to process|Invalid|is not a ligand|not supported", re.I),
     "Boltz could not read this input.",
     "Check the input; the log below names the part Boltz refused."),
)  # fmt: skip


_REFUSED = re.compile(r"Failed to process .*?Error:\s*(.+?)\s*$", re.M)


def _refusal_reason(lines: str) -> str:
    """Boltz's own words for an input it refused ("Failed to process x.yaml. Skipping. Error: ..."), quoted."""
    match = _REFUSED.search(lines)
    return f" Boltz said: {match.group(1)[:300].rstrip('.')}." if match else ""


def failed_example_count(log: str) -> int | None:
    """Boltz's own count of failed predictions ("Number of failed examples: N"; the last pass when an affinity pass
    follows the structure pass): refused inputs are not counted there."""
    match = _FAILED_COUNT.findall(log)
    return int(match[-1]) if match else None


def explain_missing_output(log: str, run_name: str) -> tuple[str, str]:
    """(message, hint) for a run whose expected output files are missing, from Boltz's log."""
    naming = "\n".join(line for line in log.splitlines() if run_name in line)
    relevant, reason = naming or log, _refusal_reason(naming)  # quote a refusal only from this run's own lines
    for text in (relevant, log):
        for pattern, message, hint in _CAUSES:
            if pattern.search(text):
                return f"Run {run_name} produced no structure: {message}{reason}", hint
    return (
        f"Run {run_name} produced no structure, and Boltz's log does not say why.",
        "Open the log; Boltz exits successfully even when an input fails, so the cause is only in the log.",
    )
