"""Artifact keys: what `check_artifact_key` lets through and what it refuses."""

from __future__ import annotations

import pytest

from omtx_core.domain.layout import JobFiles, check_artifact_key


@pytest.mark.parametrize(
    "key",
    ["results/abc123/result.json", "inputs/abc123/run_1.yaml", "results/abc/boltz_results/predictions/r+1/x.cif"],
)
def test_well_formed_keys_pass(key):
    assert check_artifact_key(key) == key


@pytest.mark.parametrize(
    "key",
    [
        "results/abc123/result.json\n",  # `$` alone matches before a final newline
        "results/abc123\n/result.json",
        "\nresults/abc123/result.json",
        "results/abc123/result.json\r\n",
        "results/../x/result.json",
        "results/abc/./result.json",
        "/results/abc/result.json",
        "other/abc/result.json",
        "results/abc//result.json",
        "results/abc/name with space.json",
    ],
    ids=repr,
)
def test_malformed_keys_are_refused(key):
    with pytest.raises(ValueError, match="invalid artifact key"):
        check_artifact_key(key)


def test_a_job_id_with_a_trailing_newline_is_refused():
    with pytest.raises(ValueError):
        JobFiles("abc123\n")
    with pytest.raises(ValueError):
        JobFiles("abc123").prediction_file("run\n", "x.cif")
