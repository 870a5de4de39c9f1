"""A screen's headline compound is a predicted binder: best pIC50 among hits, else the most probable compound."""

from __future__ import annotations

import pytest

from omtx_core.analysis.models import ScreenSummary
from omtx_core.analysis.screening import compound_row, screen_summary
from tests.analysis.test_screening import rows_for, screen
from tests.examples import CARAZOLOL


def test_a_decoy_with_a_higher_pic50_never_headlines(tmp_path, carazolol):
    decoy = rows_for(screen(tmp_path, {"x": (-5.0, 0.1)}))  # pIC50 11, binder probability 0.1
    rows = [compound_row("carazolol", CARAZOLOL, carazolol), *decoy]
    summary = screen_summary(rows)
    assert summary.n_hits == 1
    assert summary.best_compound == "carazolol" and summary.best_pic50 == pytest.approx(10.069, abs=1e-3)
    assert summary.most_probable_compound == "carazolol"


def test_without_a_hit_the_summary_says_so_and_names_the_most_probable_compound(carazolol):
    rows = [compound_row("carazolol", CARAZOLOL, carazolol)]  # binder probability 0.9988
    summary = screen_summary(rows, hit_threshold=0.999)
    assert summary.n_hits == 0 and summary.best_compound is None and summary.best_pic50 is None
    assert summary.most_probable_compound == "carazolol"
    assert summary.most_probable_probability == pytest.approx(0.9988, abs=1e-4)


def test_the_most_probable_compound_is_by_probability_not_pic50(tmp_path):
    rows = rows_for(screen(tmp_path, {"x": (-5.0, 0.2), "y": (-1.0, 0.4)}))
    summary = screen_summary(rows)
    assert (summary.best_compound, summary.most_probable_compound) == (None, "y")
    assert summary.median_pic50 == pytest.approx(9.0)  # the distribution still covers every scored compound


def test_a_stored_summary_without_the_new_fields_still_reads():
    stored = {"n_compounds": 1, "n_done": 1, "n_failed": 0, "n_pending": 0, "n_hits": 1, "hit_rate": 1.0,
              "best_pic50": 10.069, "median_pic50": 10.069, "best_compound": "carazolol", "threshold": 0.5}  # fmt: skip
    summary = ScreenSummary.model_validate(stored)
    assert summary.best_compound == "carazolol" and summary.most_probable_compound is None
