"""The compare page over imported fixture jobs, its messages for missing jobs, and the Jobs page's Compare button."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.boltz_fixture_output import AFFINITY_CASE
from tests.ui.rendered import as_text
from tests.ui.test_imported_job_page import PMHC, import_into_the_app
from tests.ui.test_job_page import APP


def open_compare(ids: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.switch_page("pages/compare.py")
    at.query_params["jobs"] = ids
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, list[str]]:
    frame = next(f.value for f in at.dataframe if "Metric" in f.value.columns)
    return {row["Metric"]: list(row.iloc[1:]) for _, row in frame.iterrows()}


def texts(elements) -> str:
    return " ".join(as_text(element.value) for element in elements)


def test_two_imported_jobs_side_by_side_with_best_marks_and_a_fit_table():
    carazolol, pmhc = import_into_the_app(AFFINITY_CASE), import_into_the_app(PMHC)
    at = open_compare(f"{carazolol.id},{pmhc.id}")
    assert at.title[0].value == "Compare jobs"
    table = metrics(at)
    assert table["Task"] == ["Protein–ligand binding", "Complex"]
    assert table["pIC50"] == ["10.07", ""]
    assert table["Binder probability (0–1)"] == ["0.999", ""]
    assert table["Confidence score (0–1)"] == ["0.829", "0.950 ★"]
    assert table["ipTM (0–1)"] == ["0.989 ★", "0.933"]
    assert table["Mean pLDDT (0–100)"] == ["78.9", "95.4 ★"]
    assert table["Chain compared"] == ["A", "A"]
    fit = next(f.value for f in at.dataframe if "TM-score" in f.value.columns)
    assert list(fit["Superposed"]) == ["no"]  # b2AR and an MHC are different proteins
    assert "is not superposed" in texts(at.info) and "different protein" in texts(at.info)
    assert not at.warning and not at.error


def test_a_missing_and_an_unfinished_job_are_named_and_the_rest_compared():
    from tests.services import job_service
    from tests.ui.test_job_page import INPUTS

    carazolol = import_into_the_app(AFFINITY_CASE)
    again = import_into_the_app(AFFINITY_CASE)
    queued = _queued(job_service, INPUTS)
    at = open_compare(f"{carazolol.id}, no-such-job ,{queued},{again.id},{carazolol.id}")  # spaces and a repeat
    warnings = texts(at.warning)
    assert "There is no job no-such-job (it was deleted" in warnings
    assert "is queued: only completed jobs are compared" in warnings
    table = metrics(at)
    assert table["pIC50"] == ["10.07", "10.07"]  # equal values: no best mark
    fit = next(f.value for f in at.dataframe if "TM-score" in f.value.columns)
    assert list(fit["Superposed"]) == ["yes"] and float(fit["RMSD (Å)"][0]) < 0.01


def test_fewer_than_two_jobs_say_what_is_needed():
    at = open_compare("")
    assert "Select two or more completed jobs" in texts(at.info)
    at = open_compare("gone-1,gone-2")
    assert "There is no job gone" in texts(at.warning)
    assert "Two or more completed jobs are needed" in texts(at.info)
    assert not [f for f in at.dataframe]


def _actions(ids: list[str]) -> None:
    from omtx_core.ui import job_list
    from omtx_core.ui.resources import jobs

    job_list.actions([jobs().get(job_id) for job_id in ids])


def test_the_jobs_page_compare_button_needs_two_completed_jobs():
    from tests.services import job_service
    from tests.ui.test_job_page import INPUTS

    carazolol, pmhc = import_into_the_app(AFFINITY_CASE), import_into_the_app(PMHC)
    queued = _queued(job_service, INPUTS)
    cases = [([carazolol.id, pmhc.id], None), ([carazolol.id], "Select two or more completed jobs"),
             ([carazolol.id, queued], "completed jobs only")]  # fmt: skip
    for ids, why in cases:
        at = AppTest.from_function(_actions, args=(ids,), default_timeout=30)
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        button = at.button(key="jobs.compare")
        assert button.disabled is (why is not None), ids
        if why:
            assert why in texts(at.caption)


def _queued(job_service, inputs) -> str:
    from omtx_core.config import load_settings
    from omtx_core.store.local_artifacts import LocalArtifactStore
    from omtx_core.store.sqlite import SqliteJobStore

    settings = load_settings()
    store = SqliteJobStore(settings.database_path)
    return (
        job_service(store, LocalArtifactStore(settings.artifacts_dir), settings=settings)
        .submit("protein_structure", inputs["protein_structure"])
        .job.id
    )


def test_the_compared_run_is_a_screens_best_hit_and_a_variant_jobs_wild_type():
    from omtx_core.domain.results import ResultDocument
    from omtx_core.tasks.drug_discovery import ScreenAnalysis
    from omtx_core.tasks.variant_comparison import VariantAnalysis
    from omtx_core.ui.task_views import featured

    run = {"name": "x", "chains": [], "models": []}
    runs = {name: dict(run, name=name) for name in ("c00001_a", "c00002_b", "wildtype", "K2A")}
    predictions = dict.fromkeys(runs, "parsed")
    rows = [{"name": "a", "smiles": "C", "status": "done", "run": "c00001_a", "binder_probability": 0.2},
            {"name": "b", "smiles": "CC", "status": "done", "run": "c00002_b", "binder_probability": 0.9}]  # fmt: skip
    summary = {"n_compounds": 2, "n_done": 2, "n_failed": 0, "n_pending": 0, "n_hits": 1, "hit_rate": 0.5,
               "best_pic50": 7.0, "median_pic50": 6.0, "best_compound": "b", "threshold": 0.5}  # fmt: skip
    screen = ResultDocument.read({"runs": runs, "analysis": {"rows": rows, "summary": summary}}, ScreenAnalysis)
    assert featured(screen, predictions) == ("c00002_b", "b (best predicted binder)")
    no_hit = ResultDocument.read(
        {"runs": runs, "analysis": {"rows": rows, "summary": summary | {"best_compound": None,
                                                                         "most_probable_compound": "a"}}},
        ScreenAnalysis,
    )  # fmt: skip
    assert featured(no_hit, predictions) == ("c00001_a", "a (no predicted binder; most probable compound)")
    variants = ResultDocument.read({"runs": runs, "analysis": {"variants": []}}, VariantAnalysis)
    assert featured(variants, predictions) == ("wildtype", "Wild type")
    assert featured(ResultDocument.read({"runs": runs}), predictions) == ("c00001_a", "c00001_a")
