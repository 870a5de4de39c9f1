"""Shared task-form widgets (sequences, ligands, options, examples) and the pre-flight plan view."""

from __future__ import annotations

import re
import types
from collections.abc import Callable
from typing import Any, Union, get_args, get_origin

import streamlit as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from omtx_core.boltz.estimate import estimate
from omtx_core.boltz.options import PredictionOptions
from omtx_core.domain.job import Job
from omtx_core.errors import InputError, JobNotFound, Problem
from omtx_core.tasks import ValidatedInput
from omtx_core.ui.errors import field_label, problem_line, show_error
from omtx_core.ui.molecules import ligand_depiction
from omtx_core.ui.resources import jobs, runtime
from omtx_core.ui.text import plain

# What each task gives the user, in PRODUCT.md's words; shown on Home and under each page title.
TASK_BLURBS = {
    "protein_ligand_binding": "Affinity in lab units (pIC50, IC50, ΔG), binder probability and contacts "
    "for one protein and one ligand.",
    "protein_structure": "Per-residue pLDDT, PAE and pTM for one protein chain.",
    "protein_complex": "Chain-pair ipTM and interface residues for 2+ chains: protein, DNA, RNA or ligand.",
    "binding_site_prediction": "Pockets on the predicted structure (volume, depth, lining residues), "
    "with ligand contacts when a ligand is given.",
    "variant_comparison": "TM-score, RMSD and pLDDT change for each variant against the wild type, "
    "and Δ affinity with a ligand.",
    "drug_discovery": "A ranked table of binder probability and pIC50 for a target against up to 10,000 compounds.",
}

# Examples: human ubiquitin (76 aa) and the ABL1 kinase domain, imatinib's target.
EXAMPLE_UBIQUITIN = "MQIFVKTLTGKTITLEVEPSDTIENVKAKIQDKEGIPPDQQRLIFAGKQLEDGRTLSDYNIQKESTLHLVLRLRGG"
EXAMPLE_KINASE = (
    ">ABL1 kinase domain\n"
    "GGGQYGEVYEGVWKKYSLTVAVKTLKEDTMEVEEFLKEAAVMKEIKHPNLVQLLGVCTREPPFYIITEFMTYGNLLDYLRECNRQEVNAVVLLYMATQ\n"
    "ISSAMEYLEKKNFIHRDLAARNCLVGENHLVKVADFGLSRLMTGDTYTAHAGAKFPIKWTAPESLAYNKFSIKSDVWAFGVLLWEIATYGMSPYPGI\n"
    "DLSQVYELLEKDYRMERPEGCPEKVYELMRACWQWNPSDRPSFAEIHQAFETMFQESSISDEVEKEL"
)
IMATINIB = "Cc1ccc(NC(=O)c2ccc(CN3CCN(C)CC3)cc2)cc1Nc1nccc(-c2cccnc2)n1"
MAX_RUNS_SHOWN = 20
_SLOTS = "_omtx_error_slots"
_MAX_NAMES_LISTED = 5
_MAX_BESIDE = 10  # problems listed under one widget; the full list is in the box below the form
_NOT_SUBMITTED = "Checked only: nothing was stored or run. Press Submit job to queue it."


def key(prefix: str, name: str) -> str:
    """The session-state key of a page's widget, so Example can fill it."""
    return f"{prefix}.{name}"


def _fill(prefix: str, values: dict[str, Any]) -> None:
    for name, value in values.items():
        st.session_state[key(prefix, name)] = value


def page_header(task_id: str, title: str) -> None:
    st.title(title)
    st.caption(TASK_BLURBS[task_id])


def example_button(prefix: str, values: dict[str, Any], on_click: Callable[[], None] | None = None) -> None:
    """A button that fills the form with `values` (field name → widget value) before the widgets draw."""

    def fill() -> None:
        _fill(prefix, values)
        if on_click is not None:
            on_click()

    st.button("Example", key=key(prefix, "example"), on_click=fill, help="Fill the form with a small real example.")


def prefill_from_job(prefix: str, to_widgets: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
    """Clone and edit: with `?from=<job id>`, fill the form once with that job's input (a new job on submit)."""
    job_id = st.query_params.get("from")
    marker = key(prefix, "filled_from")
    if not job_id or st.session_state.get(marker) == job_id:
        return
    st.session_state[marker] = job_id
    try:
        job = jobs().get(job_id)
    except JobNotFound:
        job = None
    if job is None or job.task_type != prefix:
        st.warning("The job to copy was not found for this task; the form is left as it was.")
        return
    _fill(prefix, to_widgets(job.input))
    _fill(prefix, {f"options.{name}": value for name, value in job.input.get("options", {}).items()})
    st.info(f"The form holds a copy of **{plain(job.job_name)}**: change what you need and submit it as a new job.")


def ligand_widgets(data: dict[str, Any]) -> dict[str, str]:
    """The ligand text boxes for a stored input (empty text where a field is unset)."""
    return {"ligand_smiles": data.get("ligand_smiles") or "", "ligand_ccd": data.get("ligand_ccd") or ""}


def help_of(model: type[BaseModel], name: str) -> str | None:
    return model.model_fields[name].description


def optional(text: str | None) -> str | None:
    """Empty text fields mean "not given", which the task models expect as None."""
    return text.strip() if text and text.strip() else None


def sequence_input(prefix: str, model: type[BaseModel], name: str, label: str | None = None) -> str:
    """A sequence box (FASTA accepted), and below it a FASTA upload that fills the box."""
    widget_key = key(prefix, name)
    text = st.text_area(
        label or field_label(name),
        key=widget_key,
        help=help_of(model, name),
        height=130,
        placeholder="e.g. >my_protein\nMKTAYIAKQRQISFVKSHFSRQ…",
    )
    error_slot(prefix, name)
    st.file_uploader(
        "…or upload a FASTA file",
        type=["fasta", "fa", "faa", "txt"],
        key=f"{widget_key}.file",
        on_change=_load_fasta,
        args=(widget_key,),
        help="Its sequence replaces the text in the box above.",
    )
    return text


def _load_fasta(widget_key: str) -> None:
    upload = st.session_state.get(f"{widget_key}.file")
    if upload is not None:
        st.session_state[widget_key] = upload.getvalue().decode("utf-8", errors="replace")


def ligand_inputs(prefix: str, model: type[BaseModel], caption: str) -> tuple[str | None, str | None]:
    """SMILES and CCD code side by side; returns them with empty fields as None."""
    st.markdown(f"**Ligand** · {caption}")
    left, right = st.columns([3, 1])
    smiles = left.text_input(
        field_label("ligand_smiles"),
        key=key(prefix, "ligand_smiles"),
        help=help_of(model, "ligand_smiles"),
        placeholder="e.g. CC(=O)Oc1ccccc1C(=O)O (aspirin)",
    )
    ccd = right.text_input(
        field_label("ligand_ccd"),
        key=key(prefix, "ligand_ccd"),
        help=help_of(model, "ligand_ccd"),
        placeholder="e.g. ATP",
    )
    with left:
        error_slot(prefix, "ligand_smiles")
    with right:
        error_slot(prefix, "ligand_ccd")
    ligand_depiction(left, smiles, ccd)
    return optional(smiles), optional(ccd)


def error_slot(prefix: str, field: str) -> None:
    """An empty place under a field where its validation problem appears after Submit or Check."""
    st.session_state.setdefault(_SLOTS, {})[(prefix, field)] = st.empty()


def _show_beside_fields(prefix: str, problems: list[Problem]) -> None:
    """Each problem also under the widget it belongs to; a list-shaped input (chains, variants, compounds,
    options) lists all of its problems there, each named by its row or option ("Chain 2 › Sequence: …")."""
    slots = st.session_state.get(_SLOTS, {})
    by_field: dict[str, list[Problem]] = {}
    for problem in problems:
        by_field.setdefault(problem.field.split(".")[0], []).append(problem)
    for field, found in by_field.items():
        slot = slots.get((prefix, field))
        if slot is None:
            continue
        lines = [_beside_line(problem) for problem in found[:_MAX_BESIDE]]
        if len(found) > _MAX_BESIDE:
            lines.append(f"…and {len(found) - _MAX_BESIDE:,} more, listed below.")
        slot.error("  \n".join(lines))


def _beside_line(problem: Problem) -> str:
    if "." not in problem.field:  # the widget's own label already names the field
        return plain(problem.message + (f" {problem.hint}" if problem.hint else ""))
    return problem_line(problem)


def job_name_input(prefix: str, model: type[BaseModel]) -> str | None:
    name = st.text_input("Job name (optional)", key=key(prefix, "job_name"), help=help_of(model, "job_name"))
    error_slot(prefix, "job_name")
    return optional(name)


def parse_residue_numbers(text: str | None, field: str = "pocket_residues") -> list[int] | None:
    """`45, 46 89` → [45, 46, 89]; None when empty; InputError naming the first token that is not a number."""
    tokens = [token for token in re.split(r"[\s,;]+", text or "") if token]
    if not tokens:
        return None
    bad = next((token for token in tokens if not token.isdigit()), None)
    if bad is not None:
        raise InputError.single(
            field, f"{bad!r} is not a residue number.", "Give residue numbers separated by commas, e.g. 45, 46, 89."
        )
    return [int(token) for token in tokens]


def options_form(key_prefix: str, *, affinity: bool = True) -> dict[str, Any]:
    """PredictionOptions as widgets in an "Advanced options" expander; affinity options only where scored."""
    values: dict[str, Any] = {}
    fields = [(n, f) for n, f in PredictionOptions.model_fields.items() if affinity or "affinity" not in n]
    with st.expander("Advanced options"):
        columns = st.columns(2)
        for index, (name, field) in enumerate(fields):
            with columns[index % 2]:
                values[name] = _option_widget(key(key_prefix, f"options.{name}"), name, field)
    error_slot(key_prefix, "options")  # outside the expander, so a problem shows even when it is closed
    return values


def _option_widget(widget_key: str, name: str, field: FieldInfo) -> Any:
    label, kind = field_label(name), _value_type(field.annotation)
    if kind is bool:
        return st.checkbox(label, value=field.default, help=field.description, key=widget_key)
    low = next((m.ge for m in field.metadata if hasattr(m, "ge")), None)
    high = next((m.le for m in field.metadata if hasattr(m, "le")), None)
    if kind is float:
        low, high = (None if low is None else float(low)), (None if high is None else float(high))
    step = 1 if kind is int else 0.1
    return st.number_input(
        label,
        min_value=low,
        max_value=high,
        value=field.default,
        step=step,
        help=field.description,
        key=widget_key,
        placeholder="Boltz default",
    )


def _value_type(annotation: Any) -> type:
    """`int | None` → int: the widget kind of an option."""
    if get_origin(annotation) in (Union, types.UnionType):
        return next(arg for arg in get_args(annotation) if arg is not type(None))
    return annotation


def submit_button(prefix: str) -> str | None:
    """Two actions: "submit" stores a job; "plan" only checks the input and shows the Boltz runs."""
    submit, check, _ = st.columns([1, 1, 4])
    if submit.button("Submit job", type="primary", key=key(prefix, "submit")):
        return "submit"
    if check.button("Check and plan", key=key(prefix, "plan")):
        return "plan"
    return None


def plan_task(task_id: str, build: Callable[[], dict[str, Any]], *, submit: bool = False) -> ValidatedInput | None:
    """Validate and plan the input (and store it as a job when `submit`); show the outcome or the error."""
    try:
        validated = jobs().validate(task_id, build())
        if submit:
            job = jobs().submit_validated(validated)
            if not validated.warnings:  # nothing more to read here: follow the job on its own page
                st.switch_page("pages/job.py", query_params={"job": job.id})
            show_submission(job)
    except Exception as exc:  # every failure, expected or not, goes through the one translator
        if isinstance(exc, InputError):
            _show_beside_fields(task_id, exc.problems)
        show_error(exc)
        return None
    show_plan(validated, submitted=submit)
    return validated


def show_submission(job: Job) -> None:
    """Say what happened to the job just submitted, in plain words."""
    if job.cache_hit:
        st.success(
            f"**{plain(job.job_name)}** has the same input as an earlier job, so its results were reused at once "
            f"(no GPU time). Job id `{job.id}`."
        )
    else:
        st.success(f"**{plain(job.job_name)}** was submitted and is queued. Job id `{job.id}`.")
        if problem := runtime().engine_problem:
            st.warning(problem)
    st.page_link("pages/job.py", label="Open the job", icon=":material/analytics:", query_params={"job": job.id})


def show_warnings(warnings: list[Problem]) -> None:
    for warning in warnings:
        st.warning(problem_line(warning) if warning.field else plain(warning.message))


def show_plan(validated: ValidatedInput, *, submitted: bool = False) -> None:
    """Warnings, a pre-flight summary, each run's YAML and flags, and the normalised input."""
    show_warnings(validated.warnings)
    plan, options = validated.plan, validated.input.options
    st.subheader("Pre-flight check")
    cached = jobs().cached_msa_count(plan.shared_proteins)
    gpu = estimate(plan, cached_msas=cached)
    runs, tokens, msas, minutes = st.columns(4)
    runs.metric("Boltz runs", f"{len(plan.runs):,}")
    tokens.metric("Largest run", f"{plan.max_tokens:,} tokens", help="Residues plus ligand heavy atoms.")
    msas.metric(
        "Protein MSAs",
        f"{len(plan.shared_proteins):,}" if options.use_msa_server else "off",
        help=f"{cached} already cached" if cached else None,
    )
    minutes.metric(
        "Estimated GPU time",
        f"≈ {gpu.total_minutes:.0f} min" if gpu.total_minutes >= 1 else "< 1 min",
        help=f"{gpu.calls} model load(s), {gpu.msa_s / 60:.1f} min of MSA requests, "
        f"{gpu.inference_s / 60:.1f} min of inference on a data-centre GPU; a CPU is far slower.",
    )
    _cache_note(validated)
    st.markdown(_msa_lines(plan.shared_proteins, options.use_msa_server))
    _show_runs(plan.runs)
    with st.expander("Normalised input (JSON)"):
        st.json(validated.input.model_dump(mode="json"), expanded=2)
    if not submitted:
        st.info(_NOT_SUBMITTED)


def _cache_note(validated: ValidatedInput) -> None:
    """Say so when identical input was already computed: Submit will reuse it at once."""
    try:
        earlier = jobs().cached_result(validated)
    except Exception:  # a courtesy note: never block planning on the store
        return
    if earlier is not None:
        st.info(
            f"Identical input was already computed in **{plain(earlier.job_name)}**: Submit reuses its results at once "
            "(no GPU time)."
        )


def _msa_lines(shared: dict[str, tuple[str, ...]], use_msa_server: bool) -> str:
    if not use_msa_server:
        return "MSA server off: every protein runs in single-sequence mode (markedly less accurate)."
    lines = []
    for sequence, names in shared.items():
        listed = plain(", ".join(names[:_MAX_NAMES_LISTED]))
        more = f" and {len(names) - _MAX_NAMES_LISTED:,} more" if len(names) > _MAX_NAMES_LISTED else ""
        runs = "run" if len(names) == 1 else f"all {len(names):,} runs"
        lines.append(
            f"- One MSA for the {len(sequence):,}-residue protein `{sequence[:10]}…`, used by {runs}: {listed}{more}"
        )
    return "\n".join(lines) or "No protein chains, so no MSA is needed."


def _show_runs(runs: tuple) -> None:
    if len(runs) > MAX_RUNS_SHOWN:
        st.caption(f"Showing the first {MAX_RUNS_SHOWN} of {len(runs):,} runs.")
    for run in runs[:MAX_RUNS_SHOWN]:
        with st.expander(f"Run `{run.name}` · {run.tokens:,} tokens"):
            if run.members:
                st.caption("For: " + plain(", ".join(m for m in run.members if m)))
            st.code(run.yaml_text, language="yaml")
            st.code(f"boltz predict {run.name}.yaml " + " ".join(run.cli_args()), language="bash")
