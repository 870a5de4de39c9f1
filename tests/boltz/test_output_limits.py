"""Engine output Boltz never writes (lying array headers, NaN, too many tokens) is refused naming the file."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from omtx_core.boltz import results
from omtx_core.boltz.outputs import parse_boltz_output, summarize_prediction
from omtx_core.boltz.results import load_npz_array
from omtx_core.config import Settings
from omtx_core.errors import BoltzOutputError
from omtx_core.jobs.results import collect
from tests.boltz_fixture_output import AFFINITY_CASE, AFFINITY_NAME
from tests.crafted_output import (
    CONFIDENCE,
    PAE,
    PDE,
    PLDDT,
    PREDICTION,
    TOKENS,
    address_space_limit,
    npy_bytes,
    npz_bytes,
    write_case,
)


def _refused(folder: Path) -> BoltzOutputError:
    """Parsing and summarising (what the worker does before storing) must refuse the folder."""
    with pytest.raises(BoltzOutputError) as refused:
        for prediction in parse_boltz_output(folder):
            summarize_prediction(prediction)
    assert refused.value.hint
    return refused.value


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is enforced on Linux only")
@pytest.mark.parametrize(
    ("name", "npz"),
    [
        (PLDDT, npz_bytes("plddt", npy_bytes((2_500_000_000,)))),
        (PAE, npz_bytes("pae", npy_bytes((60_000, 60_000)))),
        (PDE, npz_bytes("pde", npy_bytes((TOKENS, 5_000_000)))),
    ],
    ids=["plddt", "pae", "pde"],
)
def test_headers_declaring_huge_arrays_are_refused_before_parsing_returns(tmp_path, name, npz):
    folder = write_case(tmp_path, {name: npz})
    with address_space_limit(2 * 2**30), pytest.raises(BoltzOutputError) as refused:
        parse_boltz_output(folder)  # nothing but headers is read here, and still the file is refused
    assert name in refused.value.message and f"{TOKENS} tokens" in refused.value.message


def test_the_token_count_comes_from_the_chains(tmp_path):
    plddt = np.load(PREDICTION / PLDDT)["plddt"]
    folder = write_case(tmp_path, {PLDDT: npz_bytes("plddt", npy_bytes((TOKENS - 1,), data=plddt[:-1].tobytes()))})
    error = _refused(folder)
    assert PLDDT in error.message and "(434,)" in error.message and "A 413, L 22" in error.message


def test_a_member_that_unpacks_to_more_than_its_header_is_refused(tmp_path):
    plddt = np.load(PREDICTION / PLDDT)["plddt"]
    npy = npy_bytes((TOKENS,), data=plddt.tobytes() + bytes(10_000_000))  # 10 MB of zeros deflate to ~10 KB
    error = _refused(write_case(tmp_path, {PLDDT: npz_bytes("plddt", npy)}))
    assert PLDDT in error.message and "10,001,868 bytes" in error.message


def test_non_finite_arrays_are_refused_when_loaded(tmp_path):
    plddt = np.load(PREDICTION / PLDDT)["plddt"].copy()
    plddt[7] = np.nan
    folder = write_case(tmp_path, {PLDDT: npz_bytes("plddt", npy_bytes((TOKENS,), data=plddt.tobytes()))})
    error = _refused(folder)
    assert PLDDT in error.message and "NaN" in error.message


def test_records_claiming_more_tokens_than_the_cap_are_refused(tmp_path):
    record_path = AFFINITY_CASE / "processed" / "records" / f"{AFFINITY_NAME}.json"
    record = json.loads(record_path.read_text())
    cap = getattr(results, "MAX_TOKENS", 20_000)
    record["chains"][0]["num_residues"] = cap + 1
    error = _refused(write_case(tmp_path, {record_path.name: json.dumps(record).encode()}))
    assert f"{cap + 1 + 22:,} tokens" in error.message and f"{cap:,}" in error.message


def test_the_cap_admits_every_run_the_settings_allow():
    (upper,) = [meta.le for meta in Settings.model_fields["max_tokens"].metadata if hasattr(meta, "le")]
    assert upper <= results.MAX_TOKENS


def test_nan_confidence_is_a_failed_run_never_a_number(tmp_path):
    data = json.loads((PREDICTION / CONFIDENCE).read_text())
    folder = write_case(tmp_path, {CONFIDENCE: json.dumps({**data, "complex_plddt": float("nan")}).encode()})
    collected = collect([folder], [AFFINITY_NAME], "")
    assert collected.predictions == {}
    failure = collected.failures[AFFINITY_NAME]
    assert CONFIDENCE in failure.message and "complex_plddt" in failure.message and failure.hint


def test_an_unreadable_plddt_is_a_failed_run_not_a_crash_when_storing(tmp_path):
    collected = collect([write_case(tmp_path, {PLDDT: b"not an npz"})], [AFFINITY_NAME], "")
    assert collected.predictions == {} and PLDDT in collected.failures[AFFINITY_NAME].message


def test_arrays_load_without_a_known_token_count_under_the_cap():
    assert load_npz_array(PREDICTION / PLDDT, "plddt").shape == (TOKENS,)
    assert load_npz_array(PREDICTION / PAE, "pae", (None, None)).shape == (TOKENS, TOKENS)
