"""Parsing real Boltz output folders (shared/fixtures/boltz2) and the errors for broken ones."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from omtx_core.boltz.outputs import (
    SUMMARY_AFFINITY_KEYS,
    SUMMARY_MODEL_KEYS,
    parse_boltz_output,
    summarize_prediction,
)
from omtx_core.boltz.results import BoltzPrediction, ChainInfo
from omtx_core.errors import BoltzOutputError

CARAZOLOL = "protein_ligand_affinity_b2ar_carazolol"
CARAZOLOL_RESULTS = "boltz_results_b2ar_carazolol_affinity"
CARAZOLOL_NAME = "b2ar_carazolol_affinity"
PMHC = "BOLTZ1_multichain_pmhc_4chain"
PMHC_RESULTS = "boltz_results_input_folder"
PMHC_NAME = "pmhc_binder_multi_target_chain"


def _only(path: Path) -> BoltzPrediction:
    predictions = parse_boltz_output(path)
    assert len(predictions) == 1
    return predictions[0]


@pytest.fixture
def carazolol(tmp_path: Path, fixtures_dir: Path) -> Path:
    """A writable copy of the carazolol boltz_results_* folder."""
    return Path(shutil.copytree(fixtures_dir / CARAZOLOL / CARAZOLOL_RESULTS, tmp_path / CARAZOLOL_RESULTS))


@pytest.fixture
def pmhc(tmp_path: Path, fixtures_dir: Path) -> Path:
    return Path(shutil.copytree(fixtures_dir / PMHC / PMHC_RESULTS, tmp_path / PMHC_RESULTS))


def _prediction_file(results: Path, name: str, file_name: str) -> Path:
    return results / "predictions" / name / file_name


# --- the Boltz-2 protein + ligand fixture ------------------------------------------------------------


def test_carazolol_chains_models_and_confidence(fixtures_dir: Path) -> None:
    pred = _only(fixtures_dir / CARAZOLOL)
    assert pred.name == CARAZOLOL_NAME
    assert pred.folder.name == CARAZOLOL_NAME and pred.folder.parent.name == "predictions"
    assert pred.chains == [ChainInfo("A", "protein", 413), ChainInfo("L", "ligand", 22)]
    assert len(pred.models) == 1
    best = pred.best
    assert best is pred.models[0] and best.rank == 0
    assert best.structure_path.name == f"{CARAZOLOL_NAME}_model_0.cif"
    assert best.confidence_score == pytest.approx(0.82884, abs=1e-5)
    assert best.iptm == pytest.approx(0.98928, abs=1e-5) and best.protein_iptm == 0.0
    assert set(best.chains_ptm) == {"A", "L"}
    assert best.chains_ptm["L"] == pytest.approx(0.96290, abs=1e-5)
    # Asymmetric: row L (ligand aligned) differs from row A.
    assert best.pair_chains_iptm["L"]["A"] == pytest.approx(0.98928, abs=1e-5)
    assert best.pair_chains_iptm["A"]["L"] == pytest.approx(0.59475, abs=1e-5)
    # The raw JSON is kept whole, with its index keys.
    assert best.confidence["chains_ptm"].keys() == {"0", "1"}


def test_carazolol_arrays(fixtures_dir: Path) -> None:
    best = _only(fixtures_dir / CARAZOLOL).best
    assert best.n_tokens == 435  # 413 residues + 22 ligand heavy atoms
    assert best.plddt.shape == (435,)
    assert best.plddt.min() >= 0.0 and best.plddt.max() <= 1.0
    assert best.plddt_mean == pytest.approx(best.complex_plddt, abs=1e-4)
    assert isinstance(best.plddt_mean, float)
    assert best.pae is not None and best.pae.shape == (435, 435)
    assert best.pde is not None and best.pde.shape == (435, 435)


def test_carazolol_affinity_derived_values(fixtures_dir: Path) -> None:
    affinity = _only(fixtures_dir / CARAZOLOL).affinity
    assert affinity is not None
    assert affinity.affinity_pred_value == pytest.approx(-4.0688, abs=1e-4)
    assert affinity.affinity_probability_binary == pytest.approx(0.99879, abs=1e-5)
    assert affinity.pic50 == pytest.approx(6 + 4.0688, abs=1e-4)
    assert affinity.ic50_um == pytest.approx(8.535e-5, rel=1e-3)
    assert affinity.ic50_nm == pytest.approx(0.0853, abs=1e-4)
    assert affinity.delta_g_kcal_mol == pytest.approx(-13.73, abs=0.01)
    assert affinity.affinity_pred_value1 == pytest.approx(-4.1061, abs=1e-4)
    assert affinity.affinity_probability_binary2 == pytest.approx(0.99758, abs=1e-5)


# --- the Boltz-1 four-chain fixture ---------------------------------------------------------------------


def test_pmhc_four_chains_three_ranked_models(fixtures_dir: Path) -> None:
    pred = _only(fixtures_dir / PMHC)
    assert pred.name == PMHC_NAME
    # No processed/records/ here: the chains come from manifest.json's matching record.
    assert pred.chains == [
        ChainInfo("A", "protein", 144),
        ChainInfo("B", "protein", 276),
        ChainInfo("C", "protein", 100),
        ChainInfo("D", "protein", 9),
    ]
    assert [model.rank for model in pred.models] == [0, 1, 2]
    scores = [model.confidence_score for model in pred.models]
    assert scores == sorted(scores, reverse=True)
    for model in pred.models:
        assert list(model.pair_chains_iptm) == ["A", "B", "C", "D"]
        assert all(list(row) == ["A", "B", "C", "D"] for row in model.pair_chains_iptm.values())
        assert model.pde is None  # Boltz-1 writes no pde files
        assert model.pae is not None and model.pae.shape == (529, 529)
    assert pred.affinity is None


# --- accepted path forms --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("case", "relative"),
    [
        (CARAZOLOL, CARAZOLOL_RESULTS),
        (CARAZOLOL, f"{CARAZOLOL_RESULTS}/predictions"),
        (CARAZOLOL, f"{CARAZOLOL_RESULTS}/predictions/{CARAZOLOL_NAME}"),
        (PMHC, PMHC_RESULTS),
        (PMHC, f"{PMHC_RESULTS}/predictions"),
        (PMHC, f"{PMHC_RESULTS}/predictions/{PMHC_NAME}"),
    ],
)
def test_every_path_form_gives_the_same_result(fixtures_dir: Path, case: str, relative: str) -> None:
    expected = parse_boltz_output(fixtures_dir / case)
    assert parse_boltz_output(fixtures_dir / case / relative) == expected
    assert parse_boltz_output(str(fixtures_dir / case / relative)) == expected


def test_predictions_sorted_by_name(carazolol: Path, fixtures_dir: Path) -> None:
    # A second prediction in the same run (a renamed copy of the first) sorts before it.
    src = carazolol / "predictions" / CARAZOLOL_NAME
    other = carazolol / "predictions" / "a_first"
    other.mkdir()
    for file in src.iterdir():
        (other / file.name.replace(CARAZOLOL_NAME, "a_first")).write_bytes(file.read_bytes())
    names = [pred.name for pred in parse_boltz_output(carazolol)]
    assert names == ["a_first", CARAZOLOL_NAME]
    # No record for a_first: its chains come from its own structure file.
    first = parse_boltz_output(carazolol)[0]
    assert first.chains == [ChainInfo("A", "protein", 413), ChainInfo("L", "ligand", 22)]


# --- chains from the structure when processed/ is gone --------------------------------------------------


def test_chains_from_cif_when_processed_is_missing(carazolol: Path) -> None:
    shutil.rmtree(carazolol / "processed")
    pred = _only(carazolol)
    assert pred.chains == [ChainInfo("A", "protein", 413), ChainInfo("L", "ligand", 22)]
    assert set(pred.best.chains_ptm) == {"A", "L"}


def test_chains_from_cif_for_pmhc(pmhc: Path) -> None:
    shutil.rmtree(pmhc / "processed")
    assert [(c.id, c.type, c.length) for c in _only(pmhc).chains] == [
        ("A", "protein", 144),
        ("B", "protein", 276),
        ("C", "protein", 100),
        ("D", "protein", 9),
    ]


# --- optional files ------------------------------------------------------------------------------------


def test_absent_pae_pde_and_affinity_are_none(carazolol: Path) -> None:
    folder = carazolol / "predictions" / CARAZOLOL_NAME
    for prefix in ("pae", "pde"):
        (folder / f"{prefix}_{CARAZOLOL_NAME}_model_0.npz").unlink()
    (folder / f"affinity_{CARAZOLOL_NAME}.json").unlink()
    pred = _only(carazolol)
    assert pred.best.pae is None and pred.best.pde is None
    assert pred.affinity is None


def test_missing_optional_confidence_keys_are_none(carazolol: Path) -> None:
    path = _prediction_file(carazolol, CARAZOLOL_NAME, f"confidence_{CARAZOLOL_NAME}_model_0.json")
    data = json.loads(path.read_text())
    for key in ("ptm", "complex_ipde", "chains_ptm", "pair_chains_iptm"):
        del data[key]
    path.write_text(json.dumps(data))
    best = _only(carazolol).best
    assert best.ptm is None and best.complex_ipde is None
    assert best.chains_ptm == {} and best.pair_chains_iptm == {}
    assert best.confidence_score == pytest.approx(0.82884, abs=1e-5)


# --- errors, each naming the offending file ---------------------------------------------------------


def _error(path: Path) -> BoltzOutputError:
    with pytest.raises(BoltzOutputError) as info:
        parse_boltz_output(path)
    assert info.value.hint
    return info.value


def test_missing_confidence_json(carazolol: Path) -> None:
    name = f"confidence_{CARAZOLOL_NAME}_model_0.json"
    _prediction_file(carazolol, CARAZOLOL_NAME, name).unlink()
    assert name in _error(carazolol).message


def test_confidence_json_without_structure(carazolol: Path) -> None:
    _prediction_file(carazolol, CARAZOLOL_NAME, f"{CARAZOLOL_NAME}_model_0.cif").unlink()
    error = _error(carazolol)
    assert f"confidence_{CARAZOLOL_NAME}_model_0.json" in error.message
    assert f"{CARAZOLOL_NAME}_model_0.cif" in error.message


def test_malformed_confidence_json(carazolol: Path) -> None:
    name = f"confidence_{CARAZOLOL_NAME}_model_0.json"
    _prediction_file(carazolol, CARAZOLOL_NAME, name).write_text('{"confidence_score": 0.8,')
    assert name in _error(carazolol).message


def test_confidence_json_without_score(carazolol: Path) -> None:
    name = f"confidence_{CARAZOLOL_NAME}_model_0.json"
    _prediction_file(carazolol, CARAZOLOL_NAME, name).write_text('{"ptm": 0.8}')
    error = _error(carazolol)
    assert name in error.message and "confidence_score" in error.message


def test_chain_index_without_chain(carazolol: Path) -> None:
    name = f"confidence_{CARAZOLOL_NAME}_model_0.json"
    path = _prediction_file(carazolol, CARAZOLOL_NAME, name)
    data = json.loads(path.read_text())
    data["chains_ptm"]["2"] = 0.5
    path.write_text(json.dumps(data))
    error = _error(carazolol)
    assert name in error.message and "'2'" in error.message


def test_no_models(carazolol: Path) -> None:
    folder = carazolol / "predictions" / CARAZOLOL_NAME
    shutil.rmtree(folder)
    folder.mkdir()
    assert CARAZOLOL_NAME in _error(carazolol).message


def test_empty_predictions_folder(carazolol: Path) -> None:
    shutil.rmtree(carazolol / "predictions" / CARAZOLOL_NAME)
    assert "predictions" in _error(carazolol).message


def test_missing_plddt_fails_on_access_only(carazolol: Path) -> None:
    name = f"plddt_{CARAZOLOL_NAME}_model_0.npz"
    _prediction_file(carazolol, CARAZOLOL_NAME, name).unlink()
    best = _only(carazolol).best  # parsing does not load arrays
    with pytest.raises(BoltzOutputError) as info:
        _ = best.plddt
    assert name in info.value.message
    with pytest.raises(BoltzOutputError):
        summarize_prediction(_only(carazolol))


def test_plddt_with_wrong_key_or_shape(carazolol: Path) -> None:
    path = _prediction_file(carazolol, CARAZOLOL_NAME, f"plddt_{CARAZOLOL_NAME}_model_0.npz")
    np.savez(path, other=np.zeros(435))
    with pytest.raises(BoltzOutputError) as info:
        _ = _only(carazolol).best.plddt
    assert path.name in info.value.message and "'plddt'" in info.value.message
    np.savez(path, plddt=np.zeros((435, 2)))
    with pytest.raises(BoltzOutputError) as info:
        _ = _only(carazolol).best.plddt
    assert path.name in info.value.message


def test_corrupt_or_mismatched_pae(carazolol: Path) -> None:
    path = _prediction_file(carazolol, CARAZOLOL_NAME, f"pae_{CARAZOLOL_NAME}_model_0.npz")
    path.write_bytes(b"not an npz")
    with pytest.raises(BoltzOutputError) as info:
        _ = _only(carazolol).best.pae
    assert path.name in info.value.message
    np.savez(path, pae=np.zeros((10, 10)))
    with pytest.raises(BoltzOutputError) as info:
        _ = _only(carazolol).best.pae
    assert path.name in info.value.message


def test_affinity_json_missing_key(carazolol: Path) -> None:
    name = f"affinity_{CARAZOLOL_NAME}.json"
    path = _prediction_file(carazolol, CARAZOLOL_NAME, name)
    data = json.loads(path.read_text())
    del data["affinity_probability_binary"]
    path.write_text(json.dumps(data))
    error = _error(carazolol)
    assert name in error.message and "affinity_probability_binary" in error.message


def test_not_boltz_output(tmp_path: Path) -> None:
    folder = tmp_path / "some_folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    error = _error(folder)
    assert "some_folder" in error.message and "is not Boltz output" in error.message


def test_a_file_is_not_boltz_output(carazolol: Path) -> None:
    path = _prediction_file(carazolol, CARAZOLOL_NAME, f"{CARAZOLOL_NAME}_model_0.cif")
    assert path.name in _error(path).message


def test_nonexistent_path(tmp_path: Path) -> None:
    assert "no_such_run" in _error(tmp_path / "no_such_run").message


def test_two_result_folders_are_ambiguous(tmp_path: Path, fixtures_dir: Path) -> None:
    shutil.copytree(fixtures_dir / CARAZOLOL / CARAZOLOL_RESULTS, tmp_path / CARAZOLOL_RESULTS)
    shutil.copytree(fixtures_dir / PMHC / PMHC_RESULTS, tmp_path / PMHC_RESULTS)
    error = _error(tmp_path)
    assert CARAZOLOL_RESULTS in error.message and PMHC_RESULTS in error.message


# --- summary for `inspect --json` ---------------------------------------------------------------------


@pytest.mark.parametrize("case", [CARAZOLOL, PMHC])
def test_summary_shape_and_json(fixtures_dir: Path, case: str) -> None:
    pred = _only(fixtures_dir / case)
    summary = summarize_prediction(pred).model_dump(mode="json")
    assert set(summary) == {"name", "chains", "models", "affinity"}
    assert all(set(chain) == {"id", "type", "length"} for chain in summary["chains"])
    model_keys = {*SUMMARY_MODEL_KEYS, "plddt_mean", "n_tokens"}
    assert model_keys == {
        "rank", "structure_path", "confidence_score", "ptm", "iptm", "ligand_iptm", "protein_iptm",
        "complex_plddt", "complex_iplddt", "complex_pde", "complex_ipde", "chains_ptm", "pair_chains_iptm",
        "plddt_mean", "n_tokens",
    }  # fmt: skip
    assert all(set(model) == model_keys for model in summary["models"])
    json.loads(json.dumps(summary))  # plain Python types only
    first = summary["models"][0]
    assert type(first["plddt_mean"]) is float and type(first["n_tokens"]) is int
    assert type(first["confidence_score"]) is float and isinstance(first["structure_path"], str)
    if case == CARAZOLOL:
        assert set(summary["affinity"]) == set(SUMMARY_AFFINITY_KEYS) == {
            "affinity_pred_value", "affinity_probability_binary", "pic50", "ic50_um", "ic50_nm",
            "delta_g_kcal_mol", "affinity_pred_value1", "affinity_pred_value2",
            "affinity_probability_binary1", "affinity_probability_binary2",
        }  # fmt: skip
        assert all(type(value) is float and math.isfinite(value) for value in summary["affinity"].values())
    else:
        assert summary["affinity"] is None
