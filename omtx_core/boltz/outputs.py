"""Read a Boltz output folder (BOLTZ.md section 3) into typed results, naming any bad file."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import gemmi

from omtx_core.boltz.results import (
    MAX_TOKENS,
    AffinityResult,
    BoltzPrediction,
    ChainInfo,
    ChainType,
    ModelResult,
    shown,
)
from omtx_core.boltz.structures import read_structure
from omtx_core.domain.runs import AffinitySummary, ChainSummary, ModelSummary, RunSummary
from omtx_core.errors import BoltzOutputError

CONFIDENCE_NUMBERS = (
    "confidence_score", "ptm", "iptm", "ligand_iptm", "protein_iptm",
    "complex_plddt", "complex_iplddt", "complex_pde", "complex_ipde",
)  # fmt: skip
AFFINITY_REQUIRED = ("affinity_pred_value", "affinity_probability_binary")
AFFINITY_OPTIONAL = (
    "affinity_pred_value1", "affinity_pred_value2",
    "affinity_probability_binary1", "affinity_probability_binary2",
)  # fmt: skip
SUMMARY_MODEL_KEYS = ("rank", "structure_path", *CONFIDENCE_NUMBERS, "chains_ptm", "pair_chains_iptm")
SUMMARY_AFFINITY_KEYS = (
    *AFFINITY_REQUIRED, "pic50", "ic50_um", "ic50_nm", "delta_g_kcal_mol", *AFFINITY_OPTIONAL,
)  # fmt: skip

# Boltz's const.chain_type_ids: processed records store the chain type as this integer.
_MOL_TYPES: dict[int, ChainType] = {0: "protein", 1: "dna", 2: "rna", 3: "ligand"}
_POLYMER_TYPES: dict[gemmi.PolymerType, ChainType] = {
    gemmi.PolymerType.PeptideL: "protein",
    gemmi.PolymerType.PeptideD: "protein",
    gemmi.PolymerType.Dna: "dna",
    gemmi.PolymerType.Rna: "rna",
    gemmi.PolymerType.DnaRnaHybrid: "dna",
}

_EXPECTED = (
    "Pass a boltz_results_<name>/ folder, its predictions/ folder, one predictions/<name>/ folder, "
    "or a folder holding exactly one boltz_results_<name>/ folder."
)
_RERUN = "Re-run Boltz for this input with --override, or copy the whole predictions/<name>/ folder again."
# 10**value is the IC50 in µM: past about 300 it is no longer a float, and Boltz never writes such a value.
_LOG10_IC50_LIMIT = 300
_FAILED_RUN = (
    "`boltz predict` exits 0 even when an input failed (parse error, MSA error, out of memory): "
    "check its log, fix the cause and run again."
)


def parse_boltz_output(path: str | Path) -> list[BoltzPrediction]:
    """Every prediction under `path`, sorted by name; raises BoltzOutputError naming the bad file."""
    folders = _prediction_folders(Path(path))
    return [_parse_prediction(folder) for folder in sorted(folders, key=lambda folder: folder.name)]


def summarize_prediction(pred: BoltzPrediction) -> RunSummary:
    """The prediction as plain numbers (result documents, `omtx_core inspect --json`); loads the pLDDT arrays."""
    return RunSummary(
        name=pred.name,
        chains=[ChainSummary(id=c.id, type=c.type, length=c.length) for c in pred.chains],
        models=[_summarize_model(model) for model in pred.models],
        affinity=_summarize_affinity(pred.affinity) if pred.affinity else None,
    )


def _summarize_model(model: ModelResult) -> ModelSummary:
    summary = {key: getattr(model, key) for key in SUMMARY_MODEL_KEYS}
    summary["structure_path"] = str(model.structure_path)
    return ModelSummary(**summary, plddt_mean=model.plddt_mean, n_tokens=model.n_tokens)


def _summarize_affinity(affinity: AffinityResult) -> AffinitySummary:
    return AffinitySummary(**{key: getattr(affinity, key) for key in SUMMARY_AFFINITY_KEYS})


# --- locating the prediction folders ---------------------------------------------------------------

# Either file marks a predictions/<name>/ folder; the structure too, so a lost JSON is reported as such.
_MODEL_FILE = re.compile(r"confidence_.+_model_\d+\.json|.+_model_\d+\.(?:cif|pdb)")


def _prediction_folders(path: Path) -> list[Path]:
    if not path.exists():
        raise BoltzOutputError(f"{path} does not exist.", "Check the path. " + _EXPECTED)
    if not path.is_dir():
        raise _not_boltz(path)
    folder = path.resolve()
    if (folder / "predictions").is_dir():
        return _subfolders(folder / "predictions")
    if folder.name == "predictions":
        return _subfolders(folder)
    if any(_MODEL_FILE.fullmatch(child.name) for child in folder.iterdir()):
        return [folder]
    results = sorted(p for p in folder.glob("boltz_results_*") if p.is_dir())
    if len(results) == 1:
        return _prediction_folders(results[0])
    if results:
        names = ", ".join(p.name for p in results)
        raise BoltzOutputError(f"{path} holds {len(results)} Boltz result folders ({names}).", "Pass one of them.")
    raise _not_boltz(path)


def _not_boltz(path: Path) -> BoltzOutputError:
    return BoltzOutputError(
        f"{path} is not Boltz output: no predictions/ folder or confidence_*.json files found.", _EXPECTED
    )


def _subfolders(predictions: Path) -> list[Path]:
    folders = [child for child in predictions.iterdir() if child.is_dir()]
    if not folders:
        raise BoltzOutputError(f"{shown(predictions)}/ holds no prediction folders.", _FAILED_RUN)
    return folders


# --- one prediction ---------------------------------------------------------------------------------


def _parse_prediction(folder: Path) -> BoltzPrediction:
    name = folder.name
    files = _model_files(folder, name)
    chains = _read_chains(folder, name, files[0][1])
    _check_tokens(folder, chains)
    models = [_parse_model(rank, structure, confidence, chains) for rank, structure, confidence in files]
    affinity = _parse_affinity(folder / f"affinity_{name}.json")
    return BoltzPrediction(name=name, folder=folder, chains=chains, models=models, affinity=affinity)


def _model_files(folder: Path, name: str) -> list[tuple[int, Path, Path]]:
    """(rank, structure, confidence JSON) for every model, rank ascending; every file must have its pair."""
    structures = _by_rank(folder, re.compile(rf"{re.escape(name)}_model_(\d+)\.(?:cif|pdb)"))
    confidences = _by_rank(folder, re.compile(rf"confidence_{re.escape(name)}_model_(\d+)\.json"))
    if not structures and not confidences:
        raise BoltzOutputError(
            f"{shown(folder)}/ holds no models: expected {name}_model_0.cif and confidence_{name}_model_0.json.",
            _FAILED_RUN,
        )
    for rank, structure in structures.items():
        if rank not in confidences:
            missing = f"confidence_{name}_model_{rank}.json"
            raise BoltzOutputError(f"{shown(folder)}/{missing} is missing (needed by {structure.name}).", _RERUN)
    for rank, confidence in confidences.items():
        if rank not in structures:
            raise BoltzOutputError(f"{shown(confidence)} has no structure {name}_model_{rank}.cif (or .pdb).", _RERUN)
    return [(rank, structures[rank], confidences[rank]) for rank in sorted(structures)]


def _by_rank(folder: Path, pattern: re.Pattern[str]) -> dict[int, Path]:
    found: dict[int, Path] = {}
    # Sorted, so .cif comes before .pdb and wins if a folder somehow holds both for one rank.
    for child in sorted(folder.iterdir()):
        if match := pattern.fullmatch(child.name):
            found.setdefault(int(match[1]), child)
    return found


def _check_tokens(folder: Path, chains: list[ChainInfo]) -> None:
    tokens = sum(chain.length for chain in chains)
    if tokens > MAX_TOKENS:  # every array is sized by the tokens: refuse before any is read
        raise BoltzOutputError(
            f"{shown(folder)}/ is a prediction of {tokens:,} tokens, more than the {MAX_TOKENS:,} OMTX-Hub reads.",
            "Predict a smaller part of the complex (the domains of interest).",
        )


def _parse_model(rank: int, structure: Path, path: Path, chains: list[ChainInfo]) -> ModelResult:
    data = _read_json(path)
    if not isinstance(data, dict) or not _is_number(data.get("confidence_score")):
        raise BoltzOutputError(f"{shown(path)} lacks a numeric confidence_score.", _RERUN)
    numbers = {key: _optional_number(data, key, path) for key in CONFIDENCE_NUMBERS}
    letters, to_float = [chain.id for chain in chains], _float_reader(path)

    def row(value: Any, label: str) -> dict[str, float]:
        return _by_letter(value, letters, path, to_float, label)

    model = ModelResult(
        rank=rank,
        structure_path=structure,
        confidence_path=path,
        **numbers,
        chains_ptm=_by_letter(data.get("chains_ptm", {}), letters, path, to_float, "chains_ptm"),
        pair_chains_iptm=_by_letter(data.get("pair_chains_iptm", {}), letters, path, row, "pair_chains_iptm"),
        confidence=data,
        chains=tuple(chains),
    )
    model.check_arrays()
    return model


def _by_letter(
    mapping: Any, letters: list[str], path: Path, convert: Callable[[Any, str], Any], label: str
) -> dict[str, Any]:
    """Re-key a {"0": ..., "1": ...} chain-index map by chain letter, in the file's order."""
    if not isinstance(mapping, dict):
        raise BoltzOutputError(f"{shown(path)}: {label} is {type(mapping).__name__}, expected an object.", _RERUN)
    result = {}
    for key, value in mapping.items():
        if not (key.isdigit() and int(key) < len(letters)):
            raise BoltzOutputError(
                f"{shown(path)} names chain index {key!r}, but this prediction has {len(letters)} chains "
                f"({', '.join(letters)}).",
                "The confidence file does not belong to this input's processed record; " + _RERUN,
            )
        result[letters[int(key)]] = convert(value, f"{label}[{key!r}]")
    return result


def _parse_affinity(path: Path) -> AffinityResult | None:
    if not path.exists():
        return None
    data = _read_json(path)
    missing = [key for key in AFFINITY_REQUIRED if not (isinstance(data, dict) and _is_number(data.get(key)))]
    if missing:
        raise BoltzOutputError(
            f"{shown(path)} lacks {' and '.join(missing)}.",
            "The affinity pass failed or was cut short; delete this file and re-run Boltz for this input.",
        )
    values = {key: _optional_number(data, key, path) for key in (*AFFINITY_REQUIRED, *AFFINITY_OPTIONAL)}
    for key in ("affinity_pred_value", "affinity_pred_value1", "affinity_pred_value2"):
        _check_log10_ic50(values[key], key, path)
    return AffinityResult(path=path, **values, raw=data)


def _check_log10_ic50(value: float | None, key: str, path: Path) -> None:
    if value is not None and abs(value) > _LOG10_IC50_LIMIT:
        raise BoltzOutputError(
            f"{shown(path)}: {key} is {value:g}, beyond ±{_LOG10_IC50_LIMIT}: an IC50 (10^value µM) no number holds.",
            "The affinity pass wrote a broken value; delete this file and re-run Boltz for this input.",
        )


# --- chains --------------------------------------------------------------------------------------------


def _read_chains(folder: Path, name: str, structure_path: Path) -> list[ChainInfo]:
    """Chains from processed/records, else processed/manifest.json, else the model_0 structure."""
    record, source = _find_record(folder.parent.parent / "processed", name)
    if record is None:
        return _chains_from_structure(structure_path)
    chains = [_chain_from_record(entry, source) for entry in _record_chains(record, source)]
    if any(chain.type == "ligand" for chain in chains):
        # Records give a ligand 1 "residue"; Boltz tokenises ligands per heavy atom, so count them.
        model = _read_structure(structure_path)[0]
        chains = [_with_ligand_size(chain, model, structure_path) for chain in chains]
    return chains


def _find_record(processed: Path, name: str) -> tuple[dict[str, Any] | None, Path]:
    record_path = processed / "records" / f"{name}.json"
    if record_path.is_file():
        record = _read_json(record_path)
        if not isinstance(record, dict):
            raise BoltzOutputError(f"{shown(record_path)} is not a JSON object.", _RERUN)
        return record, record_path
    manifest_path = processed / "manifest.json"
    if manifest_path.is_file():
        manifest = _read_json(manifest_path)
        records = manifest.get("records") if isinstance(manifest, dict) else None
        if not isinstance(records, list):
            raise BoltzOutputError(f"{shown(manifest_path)} has no 'records' list.", _RERUN)
        for record in records:
            if isinstance(record, dict) and record.get("id") == name:
                return record, manifest_path
    return None, manifest_path


def _record_chains(record: dict[str, Any], source: Path) -> list[Any]:
    chains = record.get("chains")
    if not isinstance(chains, list) or not chains:
        raise BoltzOutputError(f"{shown(source)}: record {record.get('id')!r} has no chains list.", _RERUN)
    return chains


def _chain_from_record(entry: Any, source: Path) -> ChainInfo:
    entry = entry if isinstance(entry, dict) else {}
    chain_id, mol_type, length = entry.get("chain_name"), entry.get("mol_type"), entry.get("num_residues")
    if not isinstance(chain_id, str) or mol_type not in _MOL_TYPES or not _is_count(length):
        raise BoltzOutputError(
            f"{shown(source)} has a chain without chain_name, a known mol_type (0-3) and num_residues.",
            _RERUN,
        )
    return ChainInfo(id=chain_id, type=_MOL_TYPES[mol_type], length=length)


def _with_ligand_size(chain: ChainInfo, model: gemmi.Model, structure_path: Path) -> ChainInfo:
    if chain.type != "ligand":
        return chain
    found = model.find_chain(chain.id)
    if found is None:
        raise BoltzOutputError(f"{shown(structure_path)} has no chain {chain.id} (ligand in the record).", _RERUN)
    return ChainInfo(id=chain.id, type="ligand", length=_heavy_atoms(found))


def _chains_from_structure(path: Path) -> list[ChainInfo]:
    structure = _read_structure(path)
    return [_chain_from_gemmi(structure, chain) for chain in structure[0] if len(chain)]


def _chain_from_gemmi(structure: gemmi.Structure, chain: gemmi.Chain) -> ChainInfo:
    subchains = list(chain.subchains())
    entity = structure.get_entity_of(subchains[0]) if subchains else None
    if entity is None or entity.entity_type != gemmi.EntityType.Polymer:
        return ChainInfo(id=chain.name, type="ligand", length=_heavy_atoms(chain))
    # Boltz writes only protein, DNA and RNA polymers; anything gemmi cannot type is most likely protein.
    kind = _POLYMER_TYPES.get(entity.polymer_type, "protein")
    return ChainInfo(id=chain.name, type=kind, length=len(chain.get_polymer()))


def _heavy_atoms(chain: gemmi.Chain) -> int:
    return sum(1 for residue in chain for atom in residue if not atom.is_hydrogen())


def _read_structure(path: Path) -> gemmi.Structure:
    # Everything kept: chains are typed and sized from the file as Boltz wrote it.
    return read_structure(path, keep_hydrogens=True, keep_waters=True, keep_altlocs=True, hint=_RERUN)


# --- small readers --------------------------------------------------------------------------------------


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise BoltzOutputError(f"{shown(path)} is nested too deeply to be Boltz output.", _RERUN) from None
    except (OSError, ValueError) as exc:  # ValueError: bad JSON, bad UTF-8, or an integer of thousands of digits
        raise BoltzOutputError(f"{shown(path)} is not valid JSON ({exc}).", _RERUN) from exc


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _optional_number(data: dict[str, Any], key: str, path: Path) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    return _float_reader(path)(value, key)


def _float_reader(path: Path) -> Callable[[Any, str], float]:
    def to_float(value: Any, key: str) -> float:
        if not _is_number(value):
            raise BoltzOutputError(f"{shown(path)}: {key} is {_brief(value)}, expected a number.", _RERUN)
        try:
            number = float(value)
        except OverflowError:  # an integer too large for a float
            number = math.inf
        if not math.isfinite(number):  # Python's json reads NaN, Infinity and 1e999: never show them as numbers
            raise BoltzOutputError(f"{shown(path)}: {key} is {_brief(value)}, expected a finite number.", _RERUN)
        return number

    return to_float


def _brief(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
