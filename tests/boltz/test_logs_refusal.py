"""A run Boltz refused while processing its input is explained with Boltz's own reason (the real program's line)."""

from omtx_core.boltz.logs import explain_missing_output

REAL_LINE = "Failed to process /work/x/inputs/cofold.yaml. Skipping. Error: CCD component FAD not found!."


def test_boltzs_own_reason_is_quoted_in_the_message():
    message, hint = explain_missing_output(f"Processing 1 inputs with 1 threads.\n{REAL_LINE}\n", "cofold")
    assert message.endswith("Boltz said: CCD component FAD not found!.") and "could not read" in message and hint


def test_a_refusal_of_another_run_is_not_quoted():
    message, _ = explain_missing_output(f"{REAL_LINE}\nRunning structure prediction for 1 input(s).\n", "apo")
    assert "FAD" not in message
