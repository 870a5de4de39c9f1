"""The deployed Modal app: its settings at deploy time, a light import, and the remote body run in-process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from omtx_core.config import Settings
from omtx_core.engines import modal_app
from tests.modal_engine.fake_modal import copies, predictions

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.filterwarnings("ignore:The predict_batch function is executing locally")


def test_settings_come_from_omtx_modal_variables(monkeypatch):
    monkeypatch.setenv("OMTX_MODAL_CHUNK_SIZE", "3")
    monkeypatch.setenv("OMTX_MODAL_APP_NAME", "other-app")
    settings = Settings()
    assert (settings.modal_chunk_size, settings.modal_app_name, settings.modal_max_calls, settings.modal_gpu) == (
        3,
        "other-app",
        10,
        "A100-80GB",
    )


def test_importing_the_engine_leaves_modal_unloaded_and_the_app_needs_no_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODAL_")}
    env.update(HOME=str(tmp_path), OMTX_MODAL_GPU="H100", OMTX_MODAL_TIMEOUT_S="900")
    code = (
        "import sys, omtx_core.engines.modal; print('modal' in sys.modules); "
        "import omtx_core.engines.modal_app as m; print(m.app.name, m.GPU, m.TIMEOUT_S)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["False", "omtx-boltz H100 900"]


def test_the_remote_body_refuses_to_run_without_weights(tmp_path, monkeypatch):
    monkeypatch.setenv("OMTX_BOLTZ_CACHE", str(tmp_path / "empty"))
    with pytest.raises(RuntimeError, match="modal run omtx_core/engines/modal_app.py::download_models"):
        modal_app.predict_batch.local([], [])


def test_the_remote_body_stages_msas_and_packs_results(cache, record, tmp_path):
    yaml_text = (
        "version: 1\nsequences:\n  - protein:\n      id: A\n      sequence: MVTPEGNVSLVDESLLVGVTDEDRAVRSAHQF\n"
        "      msa: '@MSA_DIR@/A.a3m'\n"
    )
    out = modal_app.predict_batch.local(
        [{"name": "with_msa", "yaml_text": yaml_text, "msas": [["A.a3m", b">A\n"]]}], []
    )
    assert out["exit_code"] == 0 and "Number of failed examples: 0" in out["log"]
    from omtx_core.boltz.staging import unpack_results

    assert predictions(unpack_results(out["results"], tmp_path / "unpacked")) == ["with_msa"]


def test_the_remote_body_reports_failures_instead_of_raising(cache, monkeypatch):
    monkeypatch.setenv("FAKE_BOLTZ_MODE", "hang")
    monkeypatch.setattr(modal_app, "TIMEOUT_S", modal_app.BOLTZ_GRACE_S + 1)  # Boltz gets one second
    monkeypatch.setattr(modal_app, "LOG_TAIL_CHARS", 100)
    out = modal_app.predict_batch.local([{"name": "r0", "yaml_text": copies(1)[0].yaml_text, "msas": []}], [])
    assert out["exit_code"] == 124 and "stopped after 1 s" in out["log"] and len(out["log"]) <= 100
    monkeypatch.setenv("OMTX_BOLTZ_COMMAND", "/nonexistent/boltz")
    out = modal_app.predict_batch.local([], [])
    assert out["exit_code"] == 127 and "could not start '/nonexistent/boltz'" in out["log"]
