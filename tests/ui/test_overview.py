"""The Overview draws the featured model beside the headline numbers: a screen's best hit, a variant set's wild type."""

from __future__ import annotations

import pytest

from tests.ui.rendered import as_text
from tests.ui.test_job_page import INPUTS, finished_job, open_job, stores  # noqa: F401 - `stores` is a fixture

FEATURED = {
    "drug_discovery": "(best predicted binder)",
    "variant_comparison": "Wild type. Best of",
    "protein_ligand_binding": "Best of 1 model(s)",
}


def overview(at):
    return next(tab for tab in at.tabs if tab.label == "Overview")


@pytest.mark.parametrize("task", list(FEATURED))
def test_the_overview_opens_on_the_featured_model(stores, task):  # noqa: F811
    at = open_job(finished_job(stores, task).id)
    tab = overview(at)
    frames = tab.get("iframe")
    assert len(frames) == 1 and "$3Dmolpromise" in frames[0].proto.srcdoc, "no 3D model on the Overview"
    captions = [as_text(c.value) for c in tab.caption]
    assert any(FEATURED[task] in caption for caption in captions), captions
    labels = {m.label for m in tab.metric}
    assert {"Confidence score", "Mean pLDDT", "pTM", "ipTM"} <= labels
