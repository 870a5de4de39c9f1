"""The single place that turns an exception into what the user sees; field paths become human labels."""

from __future__ import annotations

import logging

import streamlit as st

from omtx_core.errors import InputError, OmtxError, Problem, error_code, log_unexpected
from omtx_core.ui.text import plain

# Words whose plain capitalisation would read wrong to a scientist.
_WORDS = {"smiles": "SMILES", "ccd": "CCD", "msa": "MSA", "mw": "MW", "id": "ID", "dna": "DNA", "rna": "RNA"}
# Field names whose label is not just their words.
_LABELS = {
    "ligand_ccd": "Ligand CCD code",
    "ccd": "CCD code",
    "wildtype_sequence": "Wild-type sequence",
    "options": "Advanced options",
    "use_msa_server": "Use the MSA server",
    "affinity_mw_correction": "Affinity MW correction",
    "sampling_steps_affinity": "Affinity sampling steps",
    "diffusion_samples_affinity": "Affinity diffusion samples",
}
# List fields, so that `compounds.3` reads as "Compound 4".
_ITEMS = {"compounds": "Compound", "variants": "Variant", "chains": "Chain", "pocket_residues": "Pocket residue"}
_SEPARATOR = " › "
_MAX_LISTED = 50  # a library with thousands of bad rows would bury the page
_UNEXPECTED = "Something went wrong on our side; your input was not lost."
log = logging.getLogger(__name__)


def field_label(path: str) -> str:
    """A dotted field path in the user's words: `compounds.3.smiles` → "Compound 4 › SMILES" (pure)."""
    parts = [part for part in path.strip().split(".") if part]
    if not parts:
        return "Input"
    labels: list[str] = []
    for index, part in enumerate(parts):
        if not part.isdigit():
            labels.append(_LABELS.get(part) or _words(part))
            continue
        previous = parts[index - 1] if index else ""
        item = "Item"
        if previous and not previous.isdigit():
            labels.pop()  # "Compounds" + "4" reads as one label, "Compound 4"
            item = _item_name(previous)
        # Positions in paths are 0-based like the JSON; people count from 1.
        labels.append(f"{item} {int(part) + 1}")
    return _SEPARATOR.join(labels)


def _item_name(list_field: str) -> str:
    if list_field in _ITEMS:
        return _ITEMS[list_field]
    words = _words(list_field)
    return words[:-1] if words.endswith("s") and not words.endswith("ss") else words


def _words(name: str) -> str:
    words = [_WORDS.get(word.lower(), word) for word in name.replace("_", " ").split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def problem_line(problem: Problem) -> str:
    """One problem as a Markdown line: "**Label**: message — hint", its words (which may quote the user) as text."""
    line = f"**{plain(field_label(problem.field))}**: {plain(problem.message)}"
    return f"{line} — {plain(problem.hint)}" if problem.hint else line


def show_problems(problems: list[Problem], heading: str) -> None:
    """A list of problems under a heading, in one error box; a long list is cut after the first 50."""
    lines = [f"- {problem_line(problem)}" for problem in problems[:_MAX_LISTED]]
    if len(problems) > _MAX_LISTED:
        lines.append(f"- …and {len(problems) - _MAX_LISTED:,} more.")
    st.error(plain(heading) + "\n\n" + "\n".join(lines))


def show_configuration_problems(problems: list[Problem]) -> None:
    """Configuration problems in one error box, each under its variable's exact name (what the operator sets)."""
    lines = [f"- `{problem.field}`: {plain(problem.message)} — {plain(problem.hint)}" for problem in problems]
    heading = f"The configuration has {len(problems)} problem(s). Fix them and restart the app."
    st.error(heading + "\n\n" + "\n".join(lines) + "\n\n`python -m omtx_core config check` lists them too.")


def show_error(exc: Exception) -> None:
    """Render any exception for the user: problems per field, a message and hint, or a safe apology with an id.

    An OMTX-Hub error also shows its stable code (quoted in reports, searched in the README); an unexpected one
    shows only an error id that finds its traceback in the log, never the traceback or its message, which may
    hold paths or secret values.
    """
    if isinstance(exc, InputError):
        show_problems(exc.problems, f"{exc.message} {exc.hint}")
    elif isinstance(exc, OmtxError):
        # The hint shares the box so that what went wrong and what to do are read together.
        # Messages quote what the user typed (a SMILES, a job id from the URL): shown as text, never Markdown.
        st.error(f"{plain(exc.message)}  \n{plain(exc.hint)}" if exc.hint else plain(exc.message))
    else:
        error_id = log_unexpected(exc, log)
        st.error(f"{_UNEXPECTED}  \nError id: **{error_id}**. Quote it when you report this: the team finds the "
                 "details in the app's log under it.")  # fmt: skip
        return
    st.caption(f"Error code: `{error_code(exc)}`")
