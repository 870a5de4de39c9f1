"""What imported Boltz output was a prediction of: the task input inferred from its structure, and its analysis.

An import is analysed as a worker-run job of the same task would be (contacts, pockets, interfaces...), so the job
page shows every tab a run would. Its input is honest: a ligand is its CCD code or a SMILES recovered from its
coordinates (the method named in the job's log), and a binding ligand whose bond orders cannot be recovered stays
a binding job whose input says the ligand is unknown (`ligand_unknown`): its affinity, contacts and pocket are
shown from the structure, and running it again asks for the SMILES. Several predictions of one target, each with
one ligand and its affinity, are a screen; any other set of predictions is described by its first one.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from omtx_core.analysis.ligands import recover_smiles
from omtx_core.boltz.inputs import BoltzInput, Chain, merge_identical
from omtx_core.boltz.plan import BoltzRun, Plan, safe_name
from omtx_core.boltz.results import BoltzPrediction
from omtx_core.boltz.structures import read_structure
from omtx_core.domain.results import AnalysisFailed, TaskAnalysis
from omtx_core.errors import ImportRefused, InputError
from omtx_core.tasks import task_model
from omtx_core.tasks.base import TaskInput

log = logging.getLogger(__name__)

_LIGAND_RESIDUE = re.compile(r"LIG\d*")  # Boltz's residue name for a ligand given as SMILES
_CHAIN_ID = re.compile(r"[A-Z0-9]{1,4}")


@dataclass(frozen=True)
class _Ligand:
    """A ligand chain as read from the structure: its input fields ({"ccd": …} or {"smiles": …}), or None when
    neither can be told, and what the job's log says about it."""

    chain: str
    spec: dict[str, Any] | None
    note: str


def infer_task_input(predictions: list[BoltzPrediction], job_name: str) -> tuple[str, dict[str, Any], list[str]]:
    """The task input that describes imported predictions, and notes for the job's log: a screen
    (drug_discovery) when there are several and each is the same protein with one ligand, its SMILES recovered,
    and its affinity; otherwise what `infer_input` makes of the first one."""
    screen = _screen(predictions, job_name) if len(predictions) > 1 else None
    return screen or infer_input(predictions[0], job_name)


def _screen(predictions: list[BoltzPrediction], job_name: str) -> tuple[str, dict[str, Any], list[str]] | None:
    """A drug_discovery input with one compound per prediction (named after it), or None when they are not one."""
    shapes = [sorted(chain.type for chain in p.chains) for p in predictions]
    if any(p.affinity is None for p in predictions) or any(shape != ["ligand", "protein"] for shape in shapes):
        return None  # checked before any structure is read
    targets, compounds, notes = set(), [], []
    for prediction in predictions:
        model = read_structure(prediction.best.structure_path)[0]
        protein, ligand = (next(c.id for c in prediction.chains if c.type == kind) for kind in ("protein", "ligand"))
        targets.add(_sequence(model.find_chain(protein)))
        read = _read_ligand(ligand, model.find_chain(ligand))
        if len(targets) > 1 or not read.spec or "smiles" not in read.spec:
            return None  # another target, or a compound without a SMILES: not one screen
        compounds.append({"name": prediction.name, "smiles": read.spec["smiles"]})
        notes.append(f"{prediction.name}: {read.note}")
    options = {"diffusion_samples": min(max(len(predictions[0].models), 1), 25)}
    data = {"protein_sequence": targets.pop(), "compounds": compounds, "job_name": job_name, "options": options}
    try:
        validated = task_model("drug_discovery").model_validate(data, context={"warnings": []})
    except ValidationError:  # e.g. two predictions of one molecule: not a screen OMTX-Hub could have run
        return None
    return "drug_discovery", validated.model_dump(mode="json"), notes


def infer_input(prediction: BoltzPrediction, job_name: str) -> tuple[str, dict[str, Any], list[str]]:
    """The registered task and a valid normalised input that describe a prediction, plus notes for the job's log.

    One protein + one ligand, with affinity → protein_ligand_binding (with `ligand_unknown` when the ligand's bond
    orders cannot be recovered); one protein alone → protein_structure; anything else → protein_complex (every
    chain, with its chain id; a ligand that cannot be read is left out, and a note says so). Polymer sequences come
    from the structure's residues (modified residues as their parent's letter). Options only carry the number of
    models as `diffusion_samples`.
    """
    model = read_structure(prediction.best.structure_path)[0]  # heavy atoms: ligands are matched by them
    polymers = [(c, _sequence(model.find_chain(c.id))) for c in prediction.chains if c.type != "ligand"]
    ligands = [_read_ligand(c.id, model.find_chain(c.id)) for c in prediction.chains if c.type == "ligand"]
    options = {"diffusion_samples": min(max(len(prediction.models), 1), 25)}
    problems = []
    for task, data, notes in _candidates(prediction, polymers, ligands):
        try:
            validated = task_model(task).model_validate({**data, "job_name": job_name, "options": options},
                                                        context={"warnings": []})  # fmt: skip
        except ValidationError as exc:
            problems.append(str(InputError.from_pydantic(exc)))
            continue
        return task, validated.model_dump(mode="json"), notes
    raise ImportRefused(f"No OMTX-Hub task matches prediction {prediction.name}: {'; '.join(problems)}",
                        "Import predictions of proteins, with or without DNA, RNA and ligands.")  # fmt: skip


def _candidates(prediction: BoltzPrediction, polymers, ligands: list[_Ligand]) -> Iterator[tuple[str, dict, list]]:
    """(task, input, notes) to try in turn: the most specific description first, the polymers alone last."""
    proteins = [sequence for chain, sequence in polymers if chain.type == "protein"]
    single = len(polymers) == 1 and len(proteins) == 1
    notes = [ligand.note for ligand in ligands]
    if single and len(ligands) == 1 and prediction.affinity is not None:
        spec = ligands[0].spec
        fields = {f"ligand_{key}": value for key, value in spec.items()} if spec else {"ligand_unknown": True}
        yield "protein_ligand_binding", {"protein_sequence": proteins[0], **fields}, notes
    if all(ligand.spec is not None for ligand in ligands):
        if single and not ligands:
            yield "protein_structure", {"protein_sequence": proteins[0]}, notes
        yield "protein_complex", {"chains": _complex_chains(polymers, ligands)}, notes
    left_out = [f"The input lists the polymer chains only: chain {ligand.chain} is left out." for ligand in ligands]
    if single:  # the fallback: what can always be described, the polymers
        yield "protein_structure", {"protein_sequence": proteins[0]}, notes + left_out
    yield "protein_complex", {"chains": _complex_chains(polymers, [])}, notes + left_out


def _complex_chains(polymers, ligands: list[_Ligand]) -> list[dict[str, Any]]:
    chains = [{"id": c.id, "type": c.type, "sequence": sequence} for c, sequence in polymers]
    chains += [{"id": ligand.chain, "type": "ligand", **ligand.spec} for ligand in ligands if ligand.spec]
    ids = [chain["id"] for chain in chains]
    if len(set(ids)) != len(ids) or not all(_CHAIN_ID.fullmatch(i) for i in ids):
        for chain in chains:  # ids the task cannot hold: let it assign A, B, C…
            chain.pop("id")
    return chains


def _sequence(chain) -> str:
    import gemmi

    def letter(name: str) -> str:
        info = gemmi.find_tabulated_residue(name)
        return info.one_letter_code.upper() if info is not None and info.one_letter_code.strip() else "X"

    return "".join(letter(residue.name) for residue in chain) if chain is not None else ""


def _read_ligand(chain_id: str, chain) -> _Ligand:
    """A ligand chain's CCD code (its residue name) or, for Boltz's `LIG*` residues, a SMILES from its coordinates."""
    where = f"The ligand in chain {chain_id}"
    if chain is None or len(chain) != 1:  # spread over several residues: no single CCD code or SMILES here
        return _Ligand(chain_id, None, f"{where} spans several residues: it has no single CCD code or SMILES.")
    residue = chain[0]
    if not _LIGAND_RESIDUE.fullmatch(residue.name):
        return _Ligand(chain_id, {"ccd": residue.name}, f"{where} is the CCD component {residue.name}.")
    recovered = recover_smiles([(a.element.name, a.pos.tolist()) for a in residue if not a.is_hydrogen()])
    if recovered is None:
        return _Ligand(chain_id, None, f"{where}: its bond orders could not be recovered from its coordinates, so "
                       "its SMILES is unknown. The results keep it as coordinates (affinity, contacts and pocket "
                       "are shown); to run this input again, give its SMILES.")  # fmt: skip
    return _Ligand(chain_id, {"smiles": recovered.smiles},
                   f"{where}: SMILES {recovered.smiles} recovered from its coordinates ({recovered.method}). It is "
                   "one tautomer, in neutral form, with the stereo centres of the predicted pose: check it against "
                   "what was given to Boltz.")  # fmt: skip


# --- the analysis ---------------------------------------------------------------------------------------------


def analyse_import(task: str, data: dict[str, Any], predictions: dict[str, BoltzPrediction]) -> TaskAnalysis:
    """The task's own analysis of imported predictions, as a worker stores it for a run of the same input; an
    analysis that raises is stored as AnalysisFailed (the predictions are kept), as the worker does."""
    typed = task_model(task).model_validate(data, context={"warnings": []})
    try:
        plan = _plan(typed, next(iter(predictions.values())))
        # A screen's compounds are the predictions in order; a single-run task describes the first prediction.
        names = dict(zip((run.name for run in plan.runs), predictions, strict=False))
        analysis = typed.analyse(plan, {run: predictions[name] for run, name in names.items()}, {})
        return _stored_run_names(analysis, names)
    except Exception as exc:  # as in the worker: a failed analysis never loses the predictions
        log.exception("analysis of an imported %s prediction failed", task)
        return AnalysisFailed(error=f"The analysis of the predicted structures failed: {type(exc).__name__}: {exc}")


def _stored_run_names(analysis: TaskAnalysis, names: dict[str, str]) -> TaskAnalysis:
    """Rows that name their run (a screen's compounds) name it as the results store it: by the prediction's name."""
    for value in dict(analysis).values():
        for row in value if isinstance(value, list) else ():
            if isinstance(getattr(row, "run", None), str):
                row.run = names.get(row.run, row.run)
    return analysis


def _plan(typed: TaskInput, prediction: BoltzPrediction) -> Plan:
    """The task's plan, whose runs the analysis reads; for an input that cannot run again as it stands (a ligand
    known only by its coordinates), its one run as it was made elsewhere."""
    try:
        return typed.plan()
    except InputError:
        chains = [
            Chain(c.id, c.type, None if c.type == "ligand" else "X" * c.length,
                  heavy_atoms=c.length if c.type == "ligand" else None)
            for c in prediction.chains
        ]  # fmt: skip
        boltz_input = BoltzInput(merge_identical(chains))
        return Plan(typed.task_id, (BoltzRun(safe_name(prediction.name), boltz_input, typed.options),))
