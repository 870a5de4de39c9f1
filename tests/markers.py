"""Which tests get the slow, browser, postgres and boltz markers; tests/conftest.py applies them at collection."""

from __future__ import annotations

from collections.abc import Iterable
from types import ModuleType

# Every PostgreSQL fixture in tests/store/conftest.py (supabase_db, supabase_server, server, connect) depends on
# `pg_server`, and pytest's fixture closure holds dependencies too, so this one name finds them all; names such as
# `server` alone would also catch unrelated fixtures of the same name elsewhere.
POSTGRES_FIXTURE = "pg_server"
POSTGRES_HELPERS = "tests.pg"  # a module using these helpers directly starts or reaches PostgreSQL itself
BROWSER_FOLDER = "tests/e2e/"
BOLTZ_FOLDER = "tests/boltz_real/"  # the real `boltz predict` with a tiny random model (tests/boltz_cache.py)

# Tests over about 1 s on the 2-core dev machine (`pytest --durations=60 --ignore=tests/e2e`; the seconds measured
# then are in the comments). Left out: tests slow only because they are the first to import RDKit, gemmi or
# Streamlit, whose cost would move to the next test. Listed by node id (parameters stripped) because the modules
# are other owners'; tests/test_markers.py fails when an entry names no test. Every module they test keeps faster
# tests in the inner loop (`-m "not slow and not browser"`); `bash scripts/test.sh` and CI still run them all.
SLOW = frozenset(
    {
        "tests/test_local_engine.py::test_cancel_after_a_restart_uses_the_pid_file",  # 6.3: waits out a process
        "tests/api/test_api_server.py::test_the_api_command_serves_over_http",  # 4.3: uvicorn and CLI processes
        "tests/jobs/test_worker_crash.py::test_killed_worker_job_is_requeued_and_completes_once",  # 5.6: a lease
        "tests/test_cli_jobs.py::test_submit_list_show_cancel_rerun_delete",  # 5.5: a dozen CLI processes
        "tests/store/test_sqlite.py::test_worker_processes_never_claim_the_same_job",  # 5.0: worker processes
        "tests/test_cli_local_engine.py::test_a_screen_asks_for_its_target_msa_once_then_reuses_it",  # 3.6
        "tests/test_metrics.py::test_a_workers_metrics_count_jobs_by_task_and_kind",  # 7.5: worker and CLI processes
        "tests/jobs/test_export.py::test_jobs_zip_puts_each_job_in_its_own_folder",  # 3.1
        "tests/test_cli_jobs.py::test_wait_without_an_engine_times_out_with_the_job_still_queued",  # 2.7: a timeout
        "tests/store/test_sqlite.py::test_listing_100k_jobs_filters_and_pages_correctly",  # 2.5: 100k rows
        "tests/store/test_fallback_supabase.py::test_outage_during_100_submissions_and_a_finished_job",  # 2.3
        "tests/tasks/test_plans.py::test_large_screen_plans_quickly",  # 1.6: a 10k-compound screen
        "tests/test_cli_local_engine.py::test_binding_job_completes_with_the_fixture_affinity",  # 1.8: processes
        "tests/test_compounds.py::test_csv_ten_thousand_rows_read_in_seconds",  # 1.2: 10k rows
        "tests/test_cli_jobs.py::test_invalid_submission_is_refused_and_nothing_stored",  # 1.2: CLI processes
        "tests/test_cli.py::test_inspect_json_on_both_fixtures",  # 1.1: CLI processes
        "tests/ui/test_job_page.py::test_edit_and_rerun_makes_a_new_job_from_the_changed_input",  # 1.2
        "tests/ui/test_import_page.py::test_a_zip_of_boltz_output_becomes_a_job_with_every_tab",  # 1.1
        "tests/test_cli_hot_cache.py::test_the_cli_reads_finished_jobs_through_redis",  # 2.6: CLI processes
        "tests/ui/test_hot_cache.py::test_the_job_page_reads_finished_jobs_through_redis",  # 1.9
        "tests/jobs/test_hot_cache.py::test_entries_live_for_the_ttl_of_the_settings",  # 1.5: waits out a TTL
        # Breadth: one case per task or per bad input, ~0.3-0.5 s each, 1.7-6 s together; the inner loop keeps
        # narrower tests of the same pages and commands.
        "tests/ui/test_job_page.py::test_completed_job_renders_every_tab",  # 6.1 for six tasks
        "tests/ui/test_legacy_results.py::test_a_legacy_document_renders_every_tab",  # 5.3 for six tasks
        "tests/test_cli.py::test_invalid_input_exits_2_with_one_line_per_problem",  # 2.6: five CLI processes
        "tests/ui/test_job_page.py::test_edit_and_rerun_fills_the_task_form_with_the_same_input",  # 1.7
        "tests/ui/test_pages.py::test_example_plans_without_error",  # 1.7 for six tasks
        "tests/test_cli.py::test_inspect_table_and_not_boltz_output",  # 1.3: CLI processes
        "tests/ui/test_markdown_injection.py::test_a_hostile_job_name_is_text_on_the_job_page",  # 1.5: every tab
        "tests/jobs/test_worker_loop.py::test_a_locked_database_is_one_log_line_with_growing_pauses_until_it_is_back",
        "tests/test_broken_store_cli.py::test_an_unreachable_supabase_is_one_line",  # 1.2: a CLI process
        "tests/tasks/test_fuzz_inputs.py::test_fuzzed_task_inputs_10k",  # ~75 s: 10,200 generated inputs
        "tests/test_cli_fuzz.py::test_fuzzed_cli_input_thorough",  # ~60 s: 5,400 command lines
        "tests/test_compound_limits.py::test_a_library_over_the_cap_stops_reading_there",  # 2: 10,005 rows
        "tests/jobs/test_limits.py::test_the_cli_exits_non_zero_with_the_refusal",  # 2-9: two CLI processes
        "tests/store/test_limits_two_processes.py::test_two_processes_on_one_sqlite_store",  # 12: two processes
        "tests/store/test_limits_two_processes.py::test_two_processes_on_one_supabase_store_as_one_user",  # 20
        "tests/store/test_limits_two_processes.py::test_two_users_in_two_processes_share_the_global_cap_on_supabase",
        "tests/analysis/test_contact_chemistry.py::test_a_ligand_given_as_ccd_code_has_its_chemistry",  # 4: CCD load
        "tests/ui/test_screen_results.py::test_the_compounds_tab_headlines_hits_and_says_when_there_is_none",  # 1.0
        "tests/tasks/test_analysis_chains.py::test_binding_site_contacts_and_ligand_pocket_on_the_chains_the_output_names",
        "tests/ui/test_imported_job_page.py::test_an_imported_fixture_shows_every_tab_a_run_of_its_task_shows",  # 2.1
        # Whichever of these two runs first loads biotite's CCD (~3.5 s); test_depict.py and test_depictions.py keep
        # their SMILES tests in the inner loop.
        "tests/test_depict.py::test_a_ccd_code_is_drawn_from_the_dictionary_and_an_unknown_one_is_not",
        "tests/ui/test_depictions.py::test_a_ccd_code_is_drawn_from_the_dictionary_on_the_binding_site_page",
        "tests/api/test_schema_fuzz.py::test_every_endpoint_answers_as_its_schema_says",  # ~20: schemathesis
        "tests/api/test_cross_surface.py::test_a_job_submitted_through_the_api_is_in_the_app_and_the_cli",  # 4.9
        # The real Boltz on 2 cores (plus ~6 s once per session to build the tiny model's cache).
        "tests/boltz_real/test_real_boltz.py::test_protein_structure_single_sequence",  # 9
        "tests/boltz_real/test_real_boltz.py::test_protein_ligand_binding_with_affinity",  # 16
        "tests/boltz_real/test_real_boltz.py::test_binding_with_a_pocket_constraint",  # 16
        "tests/boltz_real/test_real_boltz.py::test_binding_site_prediction_with_a_ccd_ligand",  # 10
        "tests/boltz_real/test_real_boltz.py::test_complex_with_a_dna_chain_and_a_ccd_ligand",  # 20
        "tests/boltz_real/test_real_boltz.py::test_variants_in_one_call",  # 11
        "tests/boltz_real/test_real_boltz.py::test_a_two_compound_screen_with_affinity",  # 21
        "tests/boltz_real/test_real_boltz.py::test_an_input_boltz_refuses_fails_the_job",  # 6
        "tests/boltz_real/test_real_boltz.py::test_an_input_boltz_refuses_fails_the_job_with_boltzs_reason",  # 6
        "tests/boltz_real/test_real_boltz.py::test_cancel_stops_boltz_and_leaves_no_process",  # 3
        "tests/boltz_real/test_real_boltz.py::test_an_msa_from_our_msa_cache_is_given_to_boltz_by_path",  # 9
    }
)


def base_node_id(node_id: str) -> str:
    """The node id without its parameters: `path::Class::test[a-b]` → `path::Class::test`."""
    return node_id.split("[", 1)[0]


def _uses_postgres_helpers(module: ModuleType | None) -> bool:
    """Whether the test module imported anything from tests.pg (`import tests.pg` or `from tests.pg import ...`)."""
    values = vars(module).values() if module is not None else ()
    origins = (
        value.__name__ if isinstance(value, ModuleType) else getattr(value, "__module__", "") for value in values
    )
    return any(str(origin).startswith(POSTGRES_HELPERS) for origin in origins)


def markers_for(node_id: str, fixture_names: Iterable[str], module: ModuleType | None = None) -> set[str]:
    """The markers a test gets from where it lives, the fixtures it uses, and the SLOW list."""
    markers = set()
    if node_id.startswith(BROWSER_FOLDER):
        markers.add("browser")
    if node_id.startswith(BOLTZ_FOLDER):
        markers.add("boltz")
    if POSTGRES_FIXTURE in fixture_names or _uses_postgres_helpers(module):
        markers.add("postgres")
    if base_node_id(node_id) in SLOW:
        markers.add("slow")
    return markers
