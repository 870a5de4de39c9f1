"""Hostile imports are refused with a reason, before anything large is allocated or anything is stored."""

from __future__ import annotations

import json
import sys
import time

import numpy as np
import pytest

from omtx_core.domain.identity import LOCAL_OWNER
from omtx_core.domain.job import JobQuery
from omtx_core.errors import ImportRefused
from omtx_core.jobs import importer
from omtx_core.jobs.importer import import_boltz_results
from tests.crafted_output import (
    AFFINITY,
    CONFIDENCE,
    PAE,
    PLDDT,
    PREDICTION,
    STRUCTURE,
    TOKENS,
    address_space_limit,
    npy_bytes,
    npz_bytes,
    zip_case,
)

FIXTURE_PAE = np.load(PREDICTION / PAE)["pae"]


def refusal(data: bytes, store, artifacts, **kwargs) -> ImportRefused:
    """The ImportRefused an import of `data` raises, after checking that nothing was stored."""
    with pytest.raises(ImportRefused) as refused:
        import_boltz_results(data, store=store, artifacts=artifacts, owner=LOCAL_OWNER, **kwargs)
    assert refused.value.hint and "omtx-import-" not in refused.value.message  # never this machine's temp folder
    assert store.list(JobQuery()).total == 0 and artifacts.list("results") == []
    return refused.value


def _json(name: str) -> dict:
    return json.loads((PREDICTION / name).read_text())


@pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS is enforced on Linux only")
def test_an_npz_header_claiming_billions_of_floats_is_refused_without_allocating(store, artifacts):
    bomb = npz_bytes("plddt", npy_bytes((2_500_000_000,)))  # 9.3 GiB declared in a few hundred bytes
    data = zip_case({PLDDT: bomb})
    started = time.monotonic()
    with address_space_limit(2 * 2**30):  # any attempt to allocate the declared array fails at once
        refused = refusal(data, store, artifacts)
    assert time.monotonic() - started < 10
    assert PLDDT in refused.message and "2500000000" in refused.message and str(TOKENS) in refused.message


@pytest.mark.parametrize(
    ("npy", "words"),
    [
        (lambda: npy_bytes((TOKENS + 1, TOKENS + 1), data=bytes(4 * (TOKENS + 1) ** 2)), "(436, 436)"),
        (lambda: npy_bytes((TOKENS, TOKENS), "<i8", bytes(8 * TOKENS**2)), "int64"),
        (lambda: npy_bytes((TOKENS, TOKENS), "|O"), "object"),
        (lambda: npy_bytes((TOKENS, TOKENS), data=FIXTURE_PAE.tobytes() + bytes(5_000_000)), "bytes"),  # a bomb
    ],
    ids=["shape", "integers", "objects", "oversized-member"],
)
def test_npz_members_not_as_boltz_writes_them_are_refused(store, artifacts, npy, words):
    refused = refusal(zip_case({PAE: npz_bytes("pae", npy())}), store, artifacts)
    assert PAE in refused.message and words in refused.message


def test_deep_paths_are_refused(store, artifacts):
    deep = f"boltz_results_b2ar_carazolol_affinity/{'a/' * 1500}notes.txt"
    assert "deep" in refusal(zip_case(extra={deep: b"x"}), store, artifacts).message


def test_archives_with_more_members_than_allowed_are_refused(store, artifacts):
    extra = {f"boltz_results_b2ar_carazolol_affinity/notes/{i}.txt": b"" for i in range(20)}
    refused = refusal(zip_case(extra=extra), store, artifacts, max_members=20)
    assert "members" in refused.message and "20" in refused.message
    assert importer.MAX_MEMBERS == 100_000


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        (CONFIDENCE, b"[" * 100_000 + b"]" * 100_000, "nested"),
        (CONFIDENCE, json.dumps({**_json(CONFIDENCE), "confidence_score": float("nan")}).encode(), "confidence_score"),
        (CONFIDENCE, json.dumps({**_json(CONFIDENCE), "ptm": float("inf")}).encode(), "ptm"),
        (CONFIDENCE, json.dumps({**_json(CONFIDENCE), "iptm": 10**400}).encode(), "iptm"),
        (CONFIDENCE, b'{"confidence_score": ' + b"1" * 5000 + b"}", CONFIDENCE),
        (CONFIDENCE, json.dumps({**_json(CONFIDENCE), "chains_ptm": {"0": float("-inf")}}).encode(), "chains_ptm"),
        (AFFINITY, json.dumps({**_json(AFFINITY), "affinity_pred_value": float("nan")}).encode(), "affinity_pred"),
        (AFFINITY, json.dumps({**_json(AFFINITY), "affinity_pred_value": 400}).encode(), "affinity_pred_value"),
        (AFFINITY, json.dumps({**_json(AFFINITY), "affinity_probability_binary2": 1e999}).encode(), "binary2"),
        (STRUCTURE, b"", STRUCTURE),
    ],
    ids=[
        "nested-json",
        "nan",
        "inf",
        "huge-int",
        "5000-digits",
        "chain-inf",
        "affinity-nan",
        "ic50-overflow",
        "affinity-inf",
        "empty-cif",
    ],  # fmt: skip
)
def test_malformed_files_are_refused_naming_the_file_and_key(store, artifacts, name, content, words):
    refused = refusal(zip_case({name: content}), store, artifacts)
    assert name in refused.message and words in refused.message


def test_an_unreadable_plddt_is_refused_before_the_job_is_stored(store, artifacts):
    refused = refusal(zip_case({PLDDT: b"not an npz"}), store, artifacts)
    assert PLDDT in refused.message
