"""Each job page offers its link to share; outside a browser session (no page URL) the link is relative."""

from __future__ import annotations

from tests.ui.test_job_page import finished_job, open_job, stores  # noqa: F401 - `stores` is a fixture


def test_the_job_page_offers_its_link(stores):  # noqa: F811
    job = finished_job(stores, "protein_structure")
    at = open_job(job.id)
    codes = [c.value for c in at.code if c.value.endswith(f"?job={job.id}")]
    assert codes == [f"job?job={job.id}"], [c.value for c in at.code]
    assert any("allowed to see the job" in c.value for c in at.caption)
